import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxHub, type SandboxHub } from '../harness/sandbox-hub.ts';
import { clearRequestLog, requestLog, sandboxAction } from '../harness/sandbox-admin.ts';
import { waitFor } from '../harness/wait.ts';
import { wallClock } from '../harness/wall-clock.ts';
import { localDayOf, wallClockToInstant } from '../src/availability/slots.ts';

// The booking journey's reads and the booking-time check, over real sockets on the sandbox hub:
// `services` and `availability` with a publishable key (from an allowed origin) and a secret key,
// a warm repeat served without a calendar request, a calendar change through the sandbox's push
// webhook making the next answer fresh, and createBooking refusing a taken slot (SLOT_TAKEN), with
// exactly one of two racing bookings winning.

const ZONE = 'Europe/London';
const SHOP = 'https://shop.example.com';
const DAY = 86_400_000;
let t: SandboxHub;
let publishable: string;
let calendarUrl: string;

const AVAILABILITY = `query($service: String!, $from: DateTime!, $to: DateTime!) {
  availability(service: $service, from: $from, to: $to) { start end } }`;
const SERVICES = `{ services { code name durationMinutes price { amount currency formatted } bufferBeforeMinutes bufferAfterMinutes } }`;
const BOOK = `mutation($input: CreateBookingInput!) { createBooking(input: $input) { operation { state } booking { id start } } }`;

/** A request from the shop's web page: its publishable key and its Origin. */
async function fromShop(query: string, variables: Record<string, unknown> = {}, origin = SHOP) {
  const res = await fetch(`${t.app.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${publishable}`, origin },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: (await res.json()) as { data?: any; errors?: any[] } };
}

/** Local wall-clock `HH:MM` on the day `day` in London, as an instant. */
const at = (day: Date, hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return new Date(wallClockToInstant(localDayOf(day, ZONE), h * 60 + m, ZONE));
};
const london = (iso: string) => wallClock(iso, ZONE);

/** A Tuesday past the seed's bookings (they reach 90 days ahead), so its calendar starts empty. */
function quietTuesday(weeksAhead: number): Date {
  const ahead = new Date(Date.now() + 100 * DAY + weeksAhead * 7 * DAY);
  // Noon UTC is the same date in London whatever the season.
  let day = new Date(Date.UTC(ahead.getUTCFullYear(), ahead.getUTCMonth(), ahead.getUTCDate(), 12));
  while (day.getUTCDay() !== 2) day = new Date(day.getTime() + DAY);
  return at(day, '00:00');
}

const freeBusyCalls = async () => (await requestLog(calendarUrl)).byOperation['freebusy.query'] ?? 0;

beforeAll(async () => {
  t = await startSandboxHub();
  calendarUrl = t.sandboxes.calendar.url;
  const made = await t.gql(
    `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }`,
    {
      input: {
        name: 'booking site',
        kind: 'PUBLISHABLE',
        scopes: ['AVAILABILITY_READ'],
        allowedOrigins: [SHOP],
      },
    },
  );
  expect(made.errors).toBeUndefined();
  publishable = made.data.createApiKey.secret;
}, 60_000);
afterAll(() => t?.close());

describe('services', () => {
  it('lists the six services to a publishable key from its origin and to a secret key alike', async () => {
    const shop = await fromShop(SERVICES);
    expect(shop.status).toBe(200);
    expect(shop.body.errors).toBeUndefined();
    const secret = await t.gql(SERVICES);
    expect(secret.data).toEqual(shop.body.data);
    expect(shop.body.data.services).toHaveLength(6);
    expect(shop.body.data.services[0]).toEqual({
      code: 'SPORTS-60',
      name: 'Sports massage (60 min)',
      durationMinutes: 60,
      price: { amount: 6500, currency: 'GBP', formatted: '£65.00' },
      bufferBeforeMinutes: 0,
      bufferAfterMinutes: 15,
    });
  });

  it('refuses the publishable key from another origin, and anything beyond its scope', async () => {
    const elsewhere = await fromShop(SERVICES, {}, 'https://evil.example.com');
    expect(elsewhere.status).toBe(403);
    const tooMuch = await fromShop('{ customers(first: 1) { totalCount } }');
    expect(tooMuch.body.errors?.[0]?.extensions).toMatchObject({
      code: 'FORBIDDEN',
      missingScopes: ['customers:read'],
    });
  });
});

describe('availability', () => {
  it('offers a quiet day’s opening hours in 15-minute steps, then answers the same month warm without the calendar', async () => {
    const day = quietTuesday(0);
    const vars = {
      service: 'SPORTS-60',
      from: day.toISOString(),
      to: new Date(day.getTime() + DAY).toISOString(),
    };
    const first = await fromShop(AVAILABILITY, vars);
    expect(first.body.errors).toBeUndefined();
    const starts = first.body.data.availability.map((s: { start: string }) => london(s.start));
    // Mon–Fri 09:00–17:30: an hour fits from 09:00 to 16:30.
    expect(starts[0]).toBe('09:00');
    expect(starts.at(-1)).toBe('16:30');
    expect(starts).toHaveLength(31);
    for (const slot of first.body.data.availability)
      expect(Date.parse(slot.end) - Date.parse(slot.start)).toBe(60 * 60_000);

    const month = {
      service: 'DEEP-90',
      from: day.toISOString(),
      to: new Date(day.getTime() + 31 * DAY).toISOString(),
    };
    await clearRequestLog(calendarUrl);
    const cold = await t.gql(AVAILABILITY, month);
    expect(cold.errors).toBeUndefined();
    expect(await freeBusyCalls()).toBe(1);
    expect(cold.data.availability.length).toBeGreaterThan(300);
    const warm = await fromShop(AVAILABILITY, month);
    const other = await t.gql(AVAILABILITY, { ...month, service: 'ACU-45' });
    expect(warm.body.data).toEqual(cold.data);
    expect(other.data.availability.length).toBeGreaterThan(cold.data.availability.length);
    expect(await freeBusyCalls()).toBe(1);
  });

  it('a booking made in the calendar reaches the hub by push webhook, and the next answer leaves its time out', async () => {
    const day = quietTuesday(1);
    const vars = {
      service: 'SPORTS-60',
      from: day.toISOString(),
      to: new Date(day.getTime() + DAY).toISOString(),
    };
    const before = await fromShop(AVAILABILITY, vars);
    expect(before.body.data.availability.map((s: { start: string }) => london(s.start))).toContain('10:00');

    await sandboxAction(`${calendarUrl}/__sandbox/actions/create-booking`, {
      id: `dropin${Date.now().toString(32)}`,
      summary: 'Walk-in',
      start: { dateTime: at(day, '10:00').toISOString() },
      end: { dateTime: at(day, '11:00').toISOString() },
    });
    const after = await waitFor(
      async () => {
        // The secret key polls: a publishable key's address is rate-limited (60 a minute).
        const answer = await t.gql(AVAILABILITY, vars);
        const starts = answer.data.availability.map((s: { start: string }) => london(s.start));
        return starts.includes('10:00') ? undefined : starts;
      },
      () => 'the walk-in to leave 10:00 out of availability',
    );
    // Busy 10:00–11:00 with the 15-minute buffer after: 08:45 < start < 11:00 is gone.
    expect(after).not.toContain('09:00');
    expect(after).not.toContain('10:45');
    expect(after).toContain('11:00');
  });

  it('refuses bad windows and unknown services with what to fix, and clips a past "from" to now', async () => {
    const day = quietTuesday(2);
    const bad = async (vars: Record<string, unknown>, message: RegExp) => {
      const answer = await fromShop(AVAILABILITY, { service: 'SPORTS-60', ...vars });
      expect(answer.status).toBe(200);
      expect(answer.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(answer.body.errors?.[0]?.message).toMatch(message);
    };
    await bad({ from: day.toISOString(), to: day.toISOString() }, /"to" must be after "from"/);
    await bad(
      { from: day.toISOString(), to: new Date(day.getTime() + 63 * DAY).toISOString() },
      /at most 62 days/,
    );
    await bad(
      { service: 'YOGA', from: day.toISOString(), to: new Date(day.getTime() + DAY).toISOString() },
      /one of this business's service codes \(SPORTS-60, DEEP-90, PHYSIO-ASSESS, PHYSIO-FU, PILATES-1TO1, ACU-45\), got "YOGA"/,
    );
    const now = Date.now();
    const past = await fromShop(AVAILABILITY, {
      service: 'PHYSIO-FU',
      from: new Date(now - 3 * DAY).toISOString(),
      to: new Date(now + 3 * DAY).toISOString(),
    });
    expect(past.body.errors).toBeUndefined();
    for (const slot of past.body.data.availability)
      expect(Date.parse(slot.start)).toBeGreaterThanOrEqual(now);
  });
});

describe('createBooking and SLOT_TAKEN', () => {
  let customerId: string;
  beforeAll(async () => {
    const found = await t.gql(`{ customers(first: 5) { edges { node { id email } } } }`);
    customerId = found.data.customers.edges.find((e: any) => e.node.email).node.id;
  });

  const booking = (start: Date, minutes = 60) => ({
    input: {
      customerId,
      start: start.toISOString(),
      end: new Date(start.getTime() + minutes * 60_000).toISOString(),
      service: 'Sports massage (60 min)',
      serviceCode: 'SPORTS-60',
    },
  });

  it('refuses a time the calendar has become busy at, reading the calendar itself', async () => {
    const day = quietTuesday(3);
    await sandboxAction(`${calendarUrl}/__sandbox/actions/create-booking`, {
      id: `phone${Date.now().toString(32)}`,
      summary: 'Booked by phone',
      start: { dateTime: at(day, '14:00').toISOString() },
      end: { dateTime: at(day, '15:00').toISOString() },
    });
    await clearRequestLog(calendarUrl);
    const taken = await t.gql(BOOK, booking(at(day, '14:30')));
    expect(taken.errors?.[0]?.extensions).toMatchObject({ code: 'SLOT_TAKEN' });
    expect(taken.errors?.[0]?.message).toMatch(/no longer free .* ask "availability" for free slots/);
    // The buffer counts: 13:00–14:00 plus 15 minutes after runs into the 14:00 booking.
    const buffered = await t.gql(BOOK, booking(at(day, '13:00')));
    expect(buffered.errors?.[0]?.extensions?.code).toBe('SLOT_TAKEN');
    const log = await requestLog(calendarUrl);
    expect(log.byOperation['freebusy.query']).toBe(2);
    expect(log.byOperation['events.insert']).toBeUndefined();

    const free = await t.gql(BOOK, booking(at(day, '15:00')));
    expect(free.errors).toBeUndefined();
    expect(free.data.createBooking.operation.state).toBe('COMPLETED');
  });

  it('two clients racing for the last free slot: exactly one wins, the other gets SLOT_TAKEN', async () => {
    const day = quietTuesday(4);
    // Saturday morning, 09:00–13:00: busy but for 10:45–12:00, so an hour and its 15-minute
    // buffer fit only at 10:45: the last free slot.
    const saturday = at(new Date(day.getTime() + 4 * DAY + 12 * 3_600_000), '00:00');
    for (const [from, to] of [
      ['09:00', '10:45'],
      ['12:00', '13:00'],
    ] as const) {
      await sandboxAction(`${calendarUrl}/__sandbox/actions/create-booking`, {
        id: `full${from.replace(':', '')}${Date.now().toString(32)}`,
        summary: 'Block',
        start: { dateTime: at(saturday, from).toISOString() },
        end: { dateTime: at(saturday, to).toISOString() },
      });
    }
    const vars = {
      service: 'SPORTS-60',
      from: saturday.toISOString(),
      to: new Date(saturday.getTime() + DAY).toISOString(),
    };
    const offered = await waitFor(
      async () => {
        const slots = (await t.gql(AVAILABILITY, vars)).data.availability as Array<{ start: string }>;
        return slots.length === 1 ? slots : undefined;
      },
      () => 'one slot left on the Saturday',
    );
    expect(london(offered[0]!.start)).toBe('10:45');

    const last = new Date(offered[0]!.start);
    const [a, b] = await Promise.all([t.gql(BOOK, booking(last)), t.gql(BOOK, booking(last))]);
    const outcomes = [a, b].map((r) =>
      r.errors ? r.errors[0].extensions.code : r.data.createBooking.operation.state,
    );
    expect(outcomes.sort()).toEqual(['COMPLETED', 'SLOT_TAKEN']);
    const left = await fromShop(AVAILABILITY, vars);
    expect(left.body.data.availability).toEqual([]);
  });
});
