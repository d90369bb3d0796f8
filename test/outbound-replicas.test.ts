import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { POSTGRES_URL } from '../harness/stores.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../harness/webhook-receiver.ts';
import { waitFor } from '../harness/wait.ts';
import { createRedisBus, type EventBus } from '../src/events/bus.ts';
import type { DomainEvent } from '../src/events/types.ts';
import { createMetrics } from '../src/observability/metrics.ts';
import { createOutbound, type Outbound } from '../src/outbound/outbound.ts';
import { openStore, type Store } from '../src/store/store.ts';
import { REDIS_URL } from './support/replicas.ts';

/**
 * Two replicas' outbound webhooks on one PostgreSQL schema and one Redis: each publishes events (and,
 * as an inbox retry would, the other's again), both workers claim at once. Every event reaches the
 * receiver once, each customer's in order.
 */
describe('outbound webhooks on two replicas (PostgreSQL and Redis)', () => {
  const schema = `sb_outbound_${randomBytes(6).toString('hex')}`;
  const prefix = `test-${randomBytes(4).toString('hex')}`;
  const stores: Store[] = [];
  const buses: EventBus[] = [];
  const replicas: Outbound[] = [];
  const workers: Array<{ stop(): Promise<void> }> = [];
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    for (let i = 0; i < 2; i++) {
      const store = await openStore({ url: POSTGRES_URL, schema, secrets: stores[0]?.secrets });
      await store.migrate();
      const bus = await createRedisBus(REDIS_URL, { prefix });
      stores.push(store);
      buses.push(bus);
      replicas.push(
        createOutbound(
          { store, bus, metrics: createMetrics(), logger: pino({ level: 'silent' }) },
          // Retried every 5 to 100 ms, a hundred times: ten seconds down and more before one gives up.
          { allowLoopback: true, baseMs: 5, maxMs: 100, maxAttempts: 100, pollMs: 50, concurrency: 8 },
        ),
      );
    }
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await Promise.all(replicas.map((r) => r.close()));
    await Promise.all(buses.map((b) => b.close()));
    if (stores[0]) await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(stores[0].db);
    await Promise.all(stores.map((s) => s.close()));
    await receiver?.close();
  });

  it('delivers each event once, in order per customer, whichever replica publishes or sends it', async () => {
    const { secret } = await replicas[0]!.store.endpoints.create('w', {
      url: `${receiver.url}/both`,
      events: ['INVOICE_CHANGED'],
      description: null,
      createdBy: 'test',
    });
    receiver.verifyWith('/both', secret);
    // Down at first, so both replicas' workers hold queues when it recovers.
    receiver.answer('/both', 503);
    const events: DomainEvent[] = Array.from({ length: 200 }, (_, i) => ({
      id: `ev-${i}`,
      type: 'INVOICE_CHANGED',
      workspace: 'w',
      occurredAt: new Date(),
      source: null,
      customerId: i % 5 === 4 ? null : `c${i % 4}`,
      invalidate: [],
    }));
    for (const [i, event] of events.entries()) {
      await buses[i % 2]!.publish(event);
      await buses[(i + 1) % 2]!.publish(event);
    }
    // Stored before any is sent (the workers start now), so a slow machine cannot make the queue
    // heads give up while events are still being published.
    workers.push(...replicas.map((r) => r.start()));
    await waitFor(
      () => ((receiver.refused.get('/both') ?? 0) >= 4 ? true : undefined),
      () => 'refused attempts at /both',
    );
    receiver.answer('/both', 200);
    await waitFor(
      () => (receiver.received.length >= events.length ? true : undefined),
      () => `${events.length} deliveries (got ${receiver.received.length})`,
    );
    expect(receiver.duplicates).toBe(0);
    expect(receiver.unverified).toBe(0);
    const arrived = receiver.received.map((r) => r.body.data.eventId as string);
    expect(new Set(arrived).size).toBe(events.length);
    for (const customer of ['c0', 'c1', 'c2', 'c3']) {
      const sent = events.filter((e) => e.customerId === customer).map((e) => e.id);
      expect(arrived.filter((id) => sent.includes(id))).toEqual(sent);
    }
    const rows = await stores[0]!.db
      .selectFrom('outbound_deliveries')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(rows.n)).toBe(events.length);
  }, 120_000);
});
