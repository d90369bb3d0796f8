import { randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';
import { badInput } from '../graph/errors.ts';
import type { CalendarSource } from '../domain/ports.ts';
import type { Kysely } from 'kysely';
import type { SourceStateRepository } from '../store/source-state.ts';
import type { Database } from '../store/schema.ts';
import type { Schedule, Service } from './schedule.ts';
import { computeSlots, startOfLocalDay, type Interval, type Slot } from './slots.ts';

/**
 * Free slots for a website (`availability`) and the booking-time check that refuses a slot taken
 * since it was offered (`SLOT_TAKEN`). Slots come from `computeSlots` over the calendar's busy
 * periods; those are read through the record cache in windows of whole local days (so a month asked
 * again, with `from` clipped to a later "now", hits the same entry) and dropped by calendar webhooks
 * and the hub's own booking writes (`cacheKeys.bookingChanged`).
 */

/** The longest window `availability` answers: about two months, one calendar request. */
export const MAX_WINDOW_DAYS = 62;
const DAY = 86_400_000;

/** The service with this code (case and surrounding spaces aside), if the business has one. */
export function serviceByCode(schedule: Schedule, code: string | null | undefined): Service | undefined {
  const wanted = code?.trim().toUpperCase();
  return wanted ? schedule.services.find((s) => s.code.toUpperCase() === wanted) : undefined;
}

export function findService(schedule: Schedule, code: string, argument = 'service'): Service {
  const service = serviceByCode(schedule, code);
  if (!service)
    throw badInput(
      `"${argument}" must be one of this business's service codes (${schedule.services.map((s) => s.code).join(', ')}), got "${code}"`,
      argument,
    );
  return service;
}

/**
 * The window to compute slots in: `to` after `from`, at most 62 days; a `from` in the past is
 * clipped to `now` (a website asking for "this week" on a Wednesday gets the rest of the week),
 * so the result may be empty but is never an error for that.
 */
export function slotWindow(from: Date, to: Date, now: Date): Interval {
  if (to.getTime() <= from.getTime())
    throw badInput(`"to" must be after "from" (from ${from.toISOString()}, to ${to.toISOString()})`, 'to');
  if (to.getTime() - from.getTime() > MAX_WINDOW_DAYS * DAY)
    throw badInput(
      `the window from "from" to "to" must be at most ${MAX_WINDOW_DAYS} days; ask for the next part with "from" set to this one's "to"`,
      'to',
    );
  return { from: new Date(Math.max(from.getTime(), now.getTime())), to };
}

/**
 * The busy-time window read for slots in `window`: whole local days, one more either side for the
 * buffers of slots near midnight. Its ISO bounds are the cache key (`RESOURCES.busy`).
 */
export function busyWindow(window: Interval, timeZone: string): Interval {
  const from = startOfLocalDay(window.from, timeZone).getTime() - DAY;
  const to = startOfLocalDay(new Date(window.to.getTime() - 1), timeZone).getTime() + 2 * DAY;
  return { from: new Date(from), to: new Date(to) };
}

export const busyKey = (window: Interval) => `${window.from.toISOString()}|${window.to.toISOString()}`;

export async function freeSlots(input: {
  schedule: Schedule;
  service: string;
  from: Date;
  to: Date;
  now: Date;
  /** Busy periods of a `busyWindow`, through the record cache. */
  busy: (window: Interval) => Promise<Interval[]>;
}): Promise<Slot[]> {
  const service = findService(input.schedule, input.service);
  const window = slotWindow(input.from, input.to, input.now);
  if (window.from.getTime() >= window.to.getTime()) return [];
  const busy = await input.busy(busyWindow(window, input.schedule.timeZone));
  return computeSlots({ schedule: input.schedule, service, busy, ...window });
}

/**
 * A workspace's booking lock: a lease row in the store (`source_state`, unique per workspace and key,
 * taken by compare-and-set), so across replicas on one database only one booking of a workspace is
 * between its free/busy check and its operation being stored at a time. The holder renews the lease
 * every second while it holds it; a replica that dies holding it blocks others for at most 3 s.
 */
export interface BookingLock {
  /** Waits for the lock (polling) up to 8 s or the request's end, then fails with `SLOT_BUSY` (retryable). */
  acquire(): Promise<void>;
  /** Gives the lock back; safe to call when not held, and more than once. */
  release(): Promise<void>;
}

/** How long the lease lasts unless renewed (a crashed holder's lock frees itself after this). */
const LEASE_MS = 3_000;
const RENEW_MS = 1_000;
/** How long a booking waits for another one of the same workspace; under the 10 s request deadline. */
const WAIT_MS = 8_000;
const LOCK_KEY = 'booking_lock';

export function bookingLock(
  state: SourceStateRepository,
  workspace: string,
  calendar: string,
  signal?: AbortSignal,
): BookingLock {
  const holder = randomUUID();
  let renewing: ReturnType<typeof setInterval> | undefined;
  const take = () => state.acquireLease(workspace, calendar, LOCK_KEY, holder, LEASE_MS);
  return {
    async acquire() {
      const giveUpAt = Date.now() + WAIT_MS;
      let pause = 5;
      while (!(await take())) {
        if (Date.now() > giveUpAt || signal?.aborted)
          throw new GraphQLError('Another booking of this business is being made; try again in a moment.', {
            extensions: { code: 'SLOT_BUSY', retryable: true },
          });
        await new Promise((resolve) => setTimeout(resolve, pause));
        pause = Math.min(pause * 2, 100);
      }
      renewing = setInterval(() => void take().catch(() => undefined), RENEW_MS);
      renewing.unref();
    },
    async release() {
      if (renewing === undefined) return;
      clearInterval(renewing);
      renewing = undefined;
      // Best effort: a lease not given back expires by itself.
      await state.releaseLease(workspace, calendar, LOCK_KEY, holder).catch(() => undefined);
    },
  };
}

/**
 * The kinds of operation whose stored, unfinished input holds a booking's time: `CreateBookingInput`
 * (`start`, `end`) and `SubmitEnquiryInput` (`hold.start`, `hold.end`).
 */
const CREATE_BOOKING = 'createBooking';
const SUBMIT_ENQUIRY = 'submitEnquiry';

/**
 * Times of bookings stored but not finished (their operation PENDING: the calendar event may not be
 * in the calendar yet, e.g. while its step waits for a retry), which free/busy cannot show.
 */
export async function pendingBookings(db: Kysely<Database>, workspace: string): Promise<Interval[]> {
  const rows = await db
    .selectFrom('operations')
    .select('input')
    .where('workspace_id', '=', workspace)
    .where('kind', 'in', [CREATE_BOOKING, SUBMIT_ENQUIRY])
    .where('state', '=', 'PENDING')
    .execute();
  return rows.flatMap((row) => {
    const stored = JSON.parse(row.input) as {
      start?: unknown;
      end?: unknown;
      hold?: { start?: unknown; end?: unknown } | null;
    };
    // An enquiry holds its slot as `hold` (null when it asked for none).
    const input = 'hold' in stored ? (stored.hold ?? {}) : stored;
    const from = typeof input.start === 'string' ? new Date(input.start) : null;
    const to = typeof input.end === 'string' ? new Date(input.end) : null;
    return from && to && !Number.isNaN(from.getTime()) && !Number.isNaN(to.getTime()) ? [{ from, to }] : [];
  });
}

/**
 * Refuses a booking whose time (widened by its service's buffers, when the service code is one of
 * the business's) is no longer free, reading free/busy from the calendar itself, not the cache.
 */
export async function checkSlotFree(input: {
  calendar: CalendarSource;
  schedule: Schedule;
  serviceCode: string | null;
  start: Date;
  end: Date;
  /** Bookings stored but not yet in the calendar (`pendingBookings`). */
  pending: readonly Interval[];
  signal?: AbortSignal;
  /** The argument the refusal names (`input.start` for createBooking). */
  argument?: string;
}): Promise<void> {
  const service = serviceByCode(input.schedule, input.serviceCode);
  const from = new Date(input.start.getTime() - (service?.bufferBeforeMinutes ?? 0) * 60_000);
  const to = new Date(input.end.getTime() + (service?.bufferAfterMinutes ?? 0) * 60_000);
  const busy = await input.calendar.freeBusy({ from, to }, { signal: input.signal });
  const clash = [...busy, ...input.pending].find((b) => b.from < to && b.to > from);
  if (clash)
    throw new GraphQLError(
      `The time ${input.start.toISOString()}–${input.end.toISOString()} is no longer free (the calendar is busy ${clash.from.toISOString()}–${clash.to.toISOString()}${service && (service.bufferBeforeMinutes || service.bufferAfterMinutes) ? `, with ${service.code}'s buffers` : ''}); ask "availability" for free slots and pick another.`,
      { extensions: { code: 'SLOT_TAKEN', argument: input.argument ?? 'input.start' } },
    );
}
