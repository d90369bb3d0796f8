import type { Money, SourceName } from '../src/domain/model.ts';
import type { SourceLink, SourceSystem } from '../src/graph/resolvers-types.generated.ts';
import { badInput } from '../src/graph/errors.ts';

export const toSystem = (source: SourceName): SourceSystem => source.toUpperCase() as SourceSystem;

export const link = (system: SourceName, externalId: string, url: string | null): SourceLink => ({
  system: toSystem(system),
  externalId,
  url,
});

export function sumMoney(amounts: Money[], currency: string): Money {
  const others = amounts.filter((m) => m.currency !== currency);
  if (others.length > 0) {
    throw badInput(
      `amounts are in several currencies (${[...new Set(amounts.map((m) => m.currency))].join(', ')}); Switchboard does not convert between them`,
    );
  }
  return { amount: amounts.reduce((sum, m) => sum + m.amount, 0), currency };
}

const DAY = 86_400_000;

export const startOfUtcDay = (date: Date) =>
  new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
/** Default window for a customer's bookings: 90 days either side, on day boundaries so the cache key is stable. */
export function defaultWindow(now: Date): { from: Date; to: Date } {
  const today = startOfUtcDay(now).getTime();
  return { from: new Date(today - 90 * DAY), to: new Date(today + 91 * DAY) };
}

export function checkWindow(from: Date, to: Date): void {
  if (!(from < to))
    throw badInput(`"from" (${from.toISOString()}) must be before "to" (${to.toISOString()})`, 'from');
  if (to.getTime() - from.getTime() > 366 * DAY)
    throw badInput('the window from "from" to "to" is at most 366 days', 'to');
}

export const windowKey = (from: Date, to: Date) => `${from.toISOString()}|${to.toISOString()}`;

/** Money as people read it, `£65.00`, in the currency's own minor units (none for JPY). */
export function formatMoney({ amount, currency }: { amount: number; currency: string }): string {
  const format = new Intl.NumberFormat('en-GB', { style: 'currency', currency });
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(amount / 10 ** digits);
}
