import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore, storeKinds, type TestStore } from '../../harness/stores.ts';
import { createSourceStateRepository } from '../store/source-state.ts';
import { bookingLock, busyWindow, findService, pendingBookings, slotWindow } from './availability.ts';
import { defaultSchedule } from './schedule.ts';

const DAY = 86_400_000;

describe('availability arguments', () => {
  const now = new Date('2026-11-23T12:00:00Z');

  it('clips a past "from" to now and refuses an empty, inverted or over-long window', () => {
    const from = new Date('2026-11-20T00:00:00Z');
    const to = new Date('2026-11-30T00:00:00Z');
    expect(slotWindow(from, to, now)).toEqual({ from: now, to });
    expect(() => slotWindow(to, to, now)).toThrow('"to" must be after "from"');
    expect(() => slotWindow(to, from, now)).toThrow('"to" must be after "from"');
    expect(() => slotWindow(now, new Date(now.getTime() + 62 * DAY), now)).not.toThrow();
    expect(() => slotWindow(now, new Date(now.getTime() + 62 * DAY + 1), now)).toThrow('at most 62 days');
  });

  it('finds a service by code whatever its case, and lists the codes when it cannot', () => {
    const schedule = defaultSchedule();
    expect(findService(schedule, ' sports-60 ').code).toBe('SPORTS-60');
    expect(() => findService(schedule, 'YOGA')).toThrow(
      `"service" must be one of this business's service codes (SPORTS-60, DEEP-90, PHYSIO-ASSESS, PHYSIO-FU, PILATES-1TO1, ACU-45), got "YOGA"`,
    );
  });

  it('reads busy time in whole local days, one more each side, so repeated asks share a cache key', () => {
    const a = busyWindow(
      { from: new Date('2026-07-01T10:17:00Z'), to: new Date('2026-07-03T09:00:00Z') },
      'Europe/London',
    );
    const b = busyWindow(
      { from: new Date('2026-07-01T15:45:00Z'), to: new Date('2026-07-03T20:00:00Z') },
      'Europe/London',
    );
    expect(a).toEqual(b);
    // London midnight in summer is 23:00 UTC the day before.
    expect(a.from.toISOString()).toBe('2026-06-29T23:00:00.000Z');
    expect(a.to.toISOString()).toBe('2026-07-04T23:00:00.000Z');
  });
});

describe.each(storeKinds)('the booking lock and pending bookings on %s', (kind) => {
  let t: TestStore;
  beforeAll(async () => {
    t = await openTestStore(kind);
  });
  afterAll(() => t.drop());

  it('one holder per workspace at a time; a waiter gets it once it is given back', async () => {
    const state = createSourceStateRepository(t.store);
    const first = bookingLock(state, 'ws1', 'google_calendar');
    const second = bookingLock(state, 'ws1', 'google_calendar');
    const elsewhere = bookingLock(state, 'ws2', 'google_calendar');
    await first.acquire();
    await elsewhere.acquire(); // another workspace is not held up
    let secondHeld = false;
    const waiting = second.acquire().then(() => (secondHeld = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(secondHeld).toBe(false);
    await first.release();
    await waiting;
    expect(secondHeld).toBe(true);
    await first.release(); // twice is fine
    await second.release();
    await elsewhere.release();
  });

  it('a waiter whose request has ended gives up with SLOT_BUSY', async () => {
    const state = createSourceStateRepository(t.store);
    const holder = bookingLock(state, 'ws3', 'google_calendar');
    await holder.acquire();
    const ended = new AbortController();
    ended.abort();
    const error = await bookingLock(state, 'ws3', 'google_calendar', ended.signal)
      .acquire()
      .catch((e: unknown) => e as { extensions?: Record<string, unknown> });
    expect(error?.extensions).toMatchObject({ code: 'SLOT_BUSY', retryable: true });
    await holder.release();
  });

  it('lists the times of createBooking operations still pending, and only those', async () => {
    const now = new Date().toISOString();
    const row = (id: string, kind: string, state: string, input: unknown) => ({
      workspace_id: 'ws1',
      id,
      kind,
      state,
      input: JSON.stringify(input),
      input_hash: id,
      client_key: null,
      context: '{}',
      error: null,
      next_run_at: now,
      locked_by: null,
      locked_until: null,
      created_at: now,
      updated_at: now,
    });
    const slot = { start: '2026-12-01T10:00:00.000Z', end: '2026-12-01T11:00:00.000Z' };
    await t.store.db
      .insertInto('operations')
      .values([
        row('op1', 'createBooking', 'PENDING', slot),
        row('op2', 'createBooking', 'COMPLETED', {
          start: '2026-12-02T10:00:00Z',
          end: '2026-12-02T11:00:00Z',
        }),
        row('op3', 'placeOrder', 'PENDING', {}),
      ])
      .execute();
    expect(await pendingBookings(t.store.db, 'ws1')).toEqual([
      { from: new Date(slot.start), to: new Date(slot.end) },
    ]);
    expect(await pendingBookings(t.store.db, 'ws2')).toEqual([]);
  });
});
