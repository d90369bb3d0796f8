import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { CacheTarget } from '../cache/keys.ts';
import { createLocalBus, createRedisBus, type EventBus } from './bus.ts';
import { decodeEvent, encodeEvent, type DomainEvent } from './types.ts';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const event = (id: string, workspace = 'w'): DomainEvent => ({
  id,
  type: 'BOOKING_CHANGED',
  workspace,
  occurredAt: new Date('2026-12-03T10:00:00.000Z'),
  source: 'google_calendar',
  customerId: 'c1',
  invalidate: [{ source: 'google_calendar', resource: 'event', key: 'e1' }],
});

const settle = () => new Promise((resolve) => setTimeout(resolve, 150));

describe('the event codec', () => {
  it('brings every date back as a date, whatever its name or depth', () => {
    const original = {
      ...event('e1'),
      booking: {
        start: new Date('2026-12-04T09:00:00Z'),
        end: new Date('2026-12-04T10:00:00Z'),
        // A field no list of names knew about: it is a date because it was one.
        reminderSentAt: new Date('2026-12-03T08:00:00Z'),
        title: '2026-12-04T09:00:00Z', // a string that looks like a date stays a string
      },
    } as unknown as DomainEvent;
    const decoded = decodeEvent(encodeEvent(original)) as unknown as typeof original & {
      booking: Record<string, unknown>;
    };
    expect(decoded).toEqual(original);
    expect(decoded.booking.reminderSentAt).toBeInstanceOf(Date);
    expect(decoded.booking.title).toBe('2026-12-04T09:00:00Z');
  });

  it('refuses a message that is not an event, saying what is wrong', () => {
    expect(() => decodeEvent('{"id":"x","type":"NOPE","workspace":"w","invalidate":[]}')).toThrow(
      /"type" must be one of .*; "occurredAt" must be a date/,
    );
    expect(() => decodeEvent('null')).toThrow(/JSON object/);
  });
});

describe('the local bus', () => {
  it('applies invalidations on this replica', async () => {
    const bus = createLocalBus();
    const seen: Array<[string, readonly CacheTarget[]]> = [];
    bus.onInvalidate((workspace, targets) => seen.push([workspace, targets]));
    await bus.invalidate('w', [{ source: 'xero', resource: 'contact', key: 'x1' }]);
    expect(seen).toEqual([['w', [{ source: 'xero', resource: 'contact', key: 'x1' }]]]);
  });
});

describe('the Redis bus', () => {
  const buses: EventBus[] = [];
  const open = async (prefix: string) => {
    const bus = await createRedisBus(REDIS_URL, { prefix });
    buses.push(bus);
    return bus;
  };
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((b) => b.close()));
  });

  it('keeps deployments that share one Redis apart by their prefix', async () => {
    const run = randomBytes(4).toString('hex');
    const mine = await open(`test-${run}-a`);
    const replica = await open(`test-${run}-a`);
    const other = await open(`test-${run}-b`);
    const heard = { replica: [] as string[], other: [] as string[] };
    replica.listen('w', (e) => heard.replica.push(e.id));
    other.listen('w', (e) => heard.other.push(e.id));
    await mine.publish(event(`e-${run}`));
    await settle();
    expect(heard.replica).toEqual([`e-${run}`]);
    expect(heard.other).toEqual([]);
  });

  it("carries a write's invalidations to every replica, once each", async () => {
    const prefix = `test-${randomBytes(4).toString('hex')}`;
    const a = await open(prefix);
    const b = await open(prefix);
    const onA: string[] = [];
    const onB: string[] = [];
    a.onInvalidate((workspace, targets) => onA.push(`${workspace}:${targets.map((t) => t.key).join()}`));
    b.onInvalidate((workspace, targets) => onB.push(`${workspace}:${targets.map((t) => t.key).join()}`));
    await a.invalidate('w', [{ source: 'stripe', resource: 'customer', key: 'cus_1' }]);
    // Applied on the writer's replica before invalidate() resolves …
    expect(onA).toEqual(['w:cus_1']);
    await settle();
    // … and on the other through Redis, without the writer applying its own echo again.
    expect(onB).toEqual(['w:cus_1']);
    expect(onA).toEqual(['w:cus_1']);
  });

  it("runs the publishing replica's hooks once per batch, before any replica hears the events; a failed hook publishes nothing", async () => {
    const prefix = `test-${randomBytes(4).toString('hex')}`;
    const a = await open(prefix);
    const b = await open(prefix);
    const order: string[] = [];
    a.beforePublish(async (events) => void order.push(`hook a: ${events.map((e) => e.id).join()}`));
    b.beforePublish(async () => void order.push('hook b'));
    b.listen('w', (e) => order.push(`heard on b: ${e.id}`));
    await a.publish(event('p1'), event('p2'));
    await settle();
    expect(order).toEqual(['hook a: p1,p2', 'heard on b: p1', 'heard on b: p2']);

    order.length = 0;
    const stop = a.beforePublish(async () => {
      throw new Error('the rule could not store its operation');
    });
    await expect(a.publish(event('p3'))).rejects.toThrow('the rule could not store its operation');
    await settle();
    expect(order).toEqual(['hook a: p3']);
    stop();
    await a.publish(event('p3'));
    await settle();
    expect(order).toEqual(['hook a: p3', 'hook a: p3', 'heard on b: p3']);
  });
});
