import { existsSync, readFileSync } from 'node:fs';
import type { Money } from '../domain/model.ts';
import { SERVICES as SEED_SERVICES } from '../sandbox/seed/business.ts';

/**
 * What a business sells and when it is open: the services a website lists (`services`) and the
 * opening hours free slots are cut from (`availability`). Read once at start-up from the
 * environment (`scheduleFromEnv`), every problem reported with the variable to fix, like the rest
 * of src/config.ts.
 */

export interface Service {
  /** Stable code, e.g. `SPORTS-60`: what `availability(service:)` takes and bookings carry as serviceCode. */
  code: string;
  name: string;
  durationMinutes: number;
  price: Money;
  /** What holding a slot of it asks the customer to pay first (`submitEnquiry`, `requestDeposit`); null: none. */
  deposit: Money | null;
  /** Time kept free before a booking of this service (setting up), in minutes. */
  bufferBeforeMinutes: number;
  /** Time kept free after a booking of this service (clearing up, notes), in minutes. */
  bufferAfterMinutes: number;
}

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** Minutes after local midnight: 540 is 09:00. `close` is after `open`, at most 1440 (midnight). */
export interface OpenPeriod {
  open: number;
  close: number;
}

/** Per weekday, the periods the business is open, in its own time zone; `[]` is closed. */
export type OpeningHours = Readonly<Record<Weekday, readonly OpenPeriod[]>>;

export interface Schedule {
  services: readonly Service[];
  hours: OpeningHours;
  /** IANA zone the opening hours are in (SWITCHBOARD_TIME_ZONE). */
  timeZone: string;
  /**
   * Slots start every this many minutes from each opening time. 15 by default: the seed's bookings
   * start on quarter hours, a slot can follow an earlier booking's end (plus buffer) within 15
   * minutes, and a month stays under about a thousand slots per service.
   */
  stepMinutes: number;
}

/** The default opening hours: Monday to Friday 09:00–17:30, Saturday 09:00–13:00. */
export const DEFAULT_OPENING_HOURS = 'mon-fri 09:00-17:30; sat 09:00-13:00';

/** The sandbox business's deposit for every service: £20 (minor units), below its cheapest price. */
const SEED_DEPOSIT = 2000;

/**
 * The sandbox business's six services (src/sandbox/seed/business.ts), with a 15-minute buffer after
 * each (the room is cleared and notes written before the next client) and a £20 deposit.
 */
export function defaultServices(currency: string): Service[] {
  return SEED_SERVICES.map((s) => ({
    code: s.code,
    name: s.name,
    durationMinutes: s.minutes,
    price: { amount: s.price, currency },
    deposit: { amount: Math.min(SEED_DEPOSIT, s.price), currency },
    bufferBeforeMinutes: 0,
    bufferAfterMinutes: 15,
  }));
}

/** The default schedule: the seed's services, the default opening hours, a 15-minute grid. */
export function defaultSchedule(timeZone = 'Europe/London', currency = 'GBP'): Schedule {
  const problems: string[] = [];
  return scheduleFromEnv({}, problems, { timeZone, currency });
}

const MAX_BUFFER = 240;
const MAX_DURATION = 720;

/**
 * The schedule from `SWITCHBOARD_SERVICES` (a JSON list, inline or a path to a JSON file, e.g.
 * `data/services.json`), `SWITCHBOARD_OPENING_HOURS` (e.g. `mon-fri 09:00-17:30; sat 09:00-13:00`)
 * and `SWITCHBOARD_SLOT_STEP_MINUTES`; problems are pushed with the variable to fix.
 */
export function scheduleFromEnv(
  env: NodeJS.ProcessEnv,
  problems: string[],
  defaults: { timeZone: string; currency: string },
): Schedule {
  const services = env.SWITCHBOARD_SERVICES
    ? parseServices(env.SWITCHBOARD_SERVICES, defaults.currency, problems)
    : defaultServices(defaults.currency);
  const hours = parseOpeningHours(env.SWITCHBOARD_OPENING_HOURS || DEFAULT_OPENING_HOURS, problems);
  const stepRaw = env.SWITCHBOARD_SLOT_STEP_MINUTES || '15';
  const stepMinutes = Number(stepRaw);
  if (!/^\d+$/.test(stepRaw) || stepMinutes < 5 || stepMinutes > 120)
    problems.push(
      `SWITCHBOARD_SLOT_STEP_MINUTES must be a whole number of minutes from 5 to 120, got "${stepRaw}"`,
    );
  return { services, hours, timeZone: defaults.timeZone, stepMinutes };
}

const VAR = 'SWITCHBOARD_SERVICES';

export function parseServices(raw: string, currency: string, problems: string[]): Service[] {
  let text = raw.trim();
  if (!text.startsWith('[')) {
    if (!existsSync(text)) {
      problems.push(
        `${VAR} must be a JSON list of services or the path of a JSON file holding one; no file "${text}"`,
      );
      return [];
    }
    text = readFileSync(text, 'utf8');
  }
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch (error) {
    problems.push(`${VAR} is not valid JSON: ${(error as Error).message}`);
    return [];
  }
  if (!Array.isArray(list) || list.length === 0) {
    problems.push(
      `${VAR} must be a non-empty JSON list like [{"code":"SPORTS-60","name":"Sports massage","durationMinutes":60,"price":6500,"deposit":2000,"bufferAfterMinutes":15}]`,
    );
    return [];
  }
  const out: Service[] = [];
  const seen = new Set<string>();
  list.forEach((item: unknown, i) => {
    const where = `${VAR}[${i}]`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      problems.push(`${where} must be an object with code, name, durationMinutes and price`);
      return;
    }
    const s = item as Record<string, unknown>;
    const before = problems.length;
    const code = typeof s.code === 'string' ? s.code.trim() : '';
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(code))
      problems.push(
        `${where}.code must be 1–64 letters, digits, - or _, e.g. "SPORTS-60", got ${JSON.stringify(s.code)}`,
      );
    else if (seen.has(code.toUpperCase())) problems.push(`${where}.code "${code}" is used twice`);
    const name = typeof s.name === 'string' ? s.name.trim() : '';
    if (name.length === 0 || name.length > 200)
      problems.push(`${where}.name must be a text of 1–200 characters, got ${JSON.stringify(s.name)}`);
    const minutes = (key: string, min: number, max: number, fallback?: number): number => {
      const v = s[key] ?? fallback;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
        problems.push(
          `${where}.${key} must be a whole number of minutes from ${min} to ${max}, got ${JSON.stringify(s[key])}`,
        );
        return 0;
      }
      return v;
    };
    const durationMinutes = minutes('durationMinutes', 5, MAX_DURATION);
    const bufferBeforeMinutes = minutes('bufferBeforeMinutes', 0, MAX_BUFFER, 0);
    const bufferAfterMinutes = minutes('bufferAfterMinutes', 0, MAX_BUFFER, 0);
    const price = parsePrice(s.price, currency, `${where}.price`, problems);
    const deposit =
      s.deposit === undefined || s.deposit === null
        ? null
        : parsePrice(s.deposit, currency, `${where}.deposit`, problems);
    if (price && deposit && (deposit.currency !== price.currency || deposit.amount > price.amount))
      problems.push(
        `${where}.deposit must be in the price's currency and at most the price (${price.amount})`,
      );
    if (problems.length > before || !price) return;
    seen.add(code.toUpperCase());
    out.push({ code, name, durationMinutes, price, deposit, bufferBeforeMinutes, bufferAfterMinutes });
  });
  return out;
}

/** `6500` (minor units in the business's currency) or `{ "amount": 6500, "currency": "GBP" }`. */
function parsePrice(value: unknown, currency: string, where: string, problems: string[]): Money | null {
  const money =
    typeof value === 'number'
      ? { amount: value, currency }
      : typeof value === 'object' && value !== null
        ? (value as { amount?: unknown; currency?: unknown })
        : null;
  const amount = money?.amount;
  const code = typeof money?.currency === 'string' ? money.currency.toUpperCase() : money?.currency;
  if (
    typeof amount !== 'number' ||
    !Number.isInteger(amount) ||
    amount < 0 ||
    typeof code !== 'string' ||
    !/^[A-Z]{3}$/.test(code)
  ) {
    problems.push(
      `${where} must be minor units (6500 is £65.00) or {"amount": 6500, "currency": "GBP"}, got ${JSON.stringify(value)}`,
    );
    return null;
  }
  return { amount, currency: code };
}

const TIME = /^([01]\d|2[0-4]):([0-5]\d)$/;
const HOURS_VAR = 'SWITCHBOARD_OPENING_HOURS';

/**
 * `mon-fri 09:00-17:30; sat 09:00-13:00`: `;`-separated entries of a weekday or a range of them
 * and one or more comma-separated periods (`mon 09:00-12:00,13:00-17:00`); a later entry for a day
 * replaces an earlier one; days not named are closed.
 */
export function parseOpeningHours(text: string, problems: string[]): OpeningHours {
  const hours: Record<Weekday, OpenPeriod[]> = {
    mon: [],
    tue: [],
    wed: [],
    thu: [],
    fri: [],
    sat: [],
    sun: [],
  };
  const example = `like "${DEFAULT_OPENING_HOURS}"`;
  for (const entry of text
    .split(';')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const m = /^([a-z]{3})(?:-([a-z]{3}))?\s+(.+)$/i.exec(entry);
    const first = WEEKDAYS.indexOf(m?.[1]?.toLowerCase() as Weekday);
    const last = m?.[2] ? WEEKDAYS.indexOf(m[2].toLowerCase() as Weekday) : first;
    if (!m || first < 0 || last < first) {
      problems.push(
        `${HOURS_VAR}: "${entry}" must be a weekday (mon…sun) or range (mon-fri) and periods, ${example}`,
      );
      continue;
    }
    const periods: OpenPeriod[] = [];
    for (const period of m[3]!.split(',').map((p) => p.trim())) {
      const [a, b] = period.split('-').map((t) => TIME.exec(t.trim()));
      const open = a ? Number(a[1]) * 60 + Number(a[2]) : NaN;
      const close = b ? Number(b[1]) * 60 + Number(b[2]) : NaN;
      if (!(open < close) || close > 1440) {
        problems.push(
          `${HOURS_VAR}: "${period}" in "${entry}" must be HH:MM-HH:MM with the close after the open, ${example}`,
        );
        continue;
      }
      periods.push({ open, close });
    }
    periods.sort((x, y) => x.open - y.open);
    if (periods.some((p, i) => i > 0 && p.open < periods[i - 1]!.close))
      problems.push(`${HOURS_VAR}: the periods in "${entry}" overlap`);
    for (let d = first; d <= last; d++) hours[WEEKDAYS[d]!] = periods;
  }
  return hours;
}
