import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import pino from 'pino';
import { openStore, type Store } from '../store/store.ts';
import { createLocalBus } from '../events/bus.ts';
import type { DomainEvent } from '../events/types.ts';
import { createMetrics } from '../observability/metrics.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../../harness/webhook-receiver.ts';
import { waitFor } from '../../harness/wait.ts';
import { createOutbound, type Outbound } from './outbound.ts';

const event = (id: string, customerId: string | null = 'c1'): DomainEvent => ({
  id,
  type: 'BOOKING_CHANGED',
  workspace: 'w',
  occurredAt: new Date('2026-12-04T10:00:00Z'),
  source: 'google_calendar',
  customerId,
  booking: {
    source: 'google_calendar',
    externalId: `g-${id}`,
    status: 'CONFIRMED',
    title: 'Sports massage',
    start: new Date('2026-12-05T09:00:00Z'),
    end: new Date('2026-12-05T10:00:00Z'),
    location: null,
    attendeeEmails: ['pat@example.com'],
    serviceCode: 'SPORTS60',
    createdAt: null,
    updatedAt: new Date('2026-12-04T10:00:00Z'),
    etag: '"e1"',
    url: null,
  },
  invalidate: [{ source: 'google_calendar', resource: 'event', key: `g-${id}` }],
});

describe('the outbound worker', () => {
  let store: Store;
  let receiver: WebhookReceiver;
  const bus = createLocalBus();
  let outbound: Outbound;
  let worker: { stop(): Promise<void> };

  beforeAll(async () => {
    store = await openStore({ url: ':memory:' });
    await store.migrate();
    receiver = await startWebhookReceiver();
    outbound = createOutbound(
      { store, bus, metrics: createMetrics(), logger: pino({ level: 'silent' }) },
      { allowLoopback: true, baseMs: 10, maxMs: 50, maxAttempts: 3, pollMs: 20, timeoutMs: 2_000 },
    );
    worker = outbound.start();
  });
  afterAll(async () => {
    await worker?.stop();
    await outbound?.close();
    await receiver?.close();
    await store?.close();
  });

  it('signs the body it stored so `new Webhook(secret).verify(body, headers)` accepts it', async () => {
    const { secret, endpoint } = await outbound.store.endpoints.create('w', {
      url: `${receiver.url}/in`,
      events: ['BOOKING_CHANGED'],
      description: null,
      createdBy: 'test',
    });
    receiver.verifyWith('/in', secret);
    await bus.publish(event('e1'));
    const got = await waitFor(
      () => receiver.received.find((r) => r.path === '/in'),
      () => 'a delivery at /in',
    );
    expect(got.body).toEqual({
      type: 'BOOKING_CHANGED',
      timestamp: '2026-12-04T10:00:00.000Z',
      data: expect.objectContaining({
        eventId: 'e1',
        source: 'GOOGLE_CALENDAR',
        customerId: expect.any(String),
        booking: expect.objectContaining({
          externalId: 'g-e1',
          start: '2026-12-05T09:00:00.000Z',
          source: 'GOOGLE_CALENDAR',
        }),
      }),
    });
    // Internals stay in the hub.
    expect(got.body.data.booking.etag).toBeUndefined();
    expect(JSON.stringify(got.body)).not.toContain('invalidate');
    const [stored] = await outbound.store.deliveries.list('w', { endpointId: endpoint.id, first: 1 });
    expect(stored).toMatchObject({ id: got.id, state: 'DELIVERED', attempts: 1 });
    // A signature made with another secret does not verify.
    const forged = new Webhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`).sign(
      got.id,
      new Date(),
      stored!.payload,
    );
    expect(() =>
      new Webhook(secret).verify(stored!.payload, {
        'webhook-id': got.id,
        'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
        'webhook-signature': forged,
      }),
    ).toThrow();
  });

  it('counts no answer within the timeout as a failed attempt, saying so', async () => {
    const silent = createServer(() => {}); // holds every request
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const quick = createOutbound(
      { store, bus: createLocalBus(), metrics: createMetrics(), logger: pino({ level: 'silent' }) },
      { allowLoopback: true, baseMs: 10, maxMs: 20, maxAttempts: 1, pollMs: 20, timeoutMs: 200 },
    );
    const { endpoint } = await quick.store.endpoints.create('quiet', {
      url: `http://127.0.0.1:${(silent.address() as AddressInfo).port}/`,
      events: ['BOOKING_CHANGED'],
      description: null,
      createdBy: 'test',
    });
    await quick.store.deliveries.enqueue('quiet', [
      {
        eventId: 'q1',
        eventType: 'BOOKING_CHANGED',
        customerId: null,
        occurredAt: new Date(),
        payload: '{}',
      },
    ]);
    await worker.stop();
    const quickWorker = quick.start();
    try {
      const [failed] = await waitFor(
        async () => {
          const list = await quick.store.deliveries.list('quiet', {
            endpointId: endpoint.id,
            states: ['FAILED'],
            first: 1,
          });
          return list.length ? list : undefined;
        },
        () => 'the unanswered delivery to fail',
      );
      expect(failed!.lastError).toBe('no answer within 200 ms');
    } finally {
      await quickWorker.stop();
      await quick.close();
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
      worker = outbound.start();
    }
  });

  it('checks the address again when it sends: a loopback endpoint outside sandbox mode fails, saying why', async () => {
    const strict = createOutbound(
      { store, bus: createLocalBus(), metrics: createMetrics(), logger: pino({ level: 'silent' }) },
      { allowLoopback: false, baseMs: 10, maxMs: 20, maxAttempts: 2, pollMs: 20 },
    );
    // Saved while it resolved elsewhere (or in sandbox mode); now it names loopback.
    const { endpoint } = await strict.store.endpoints.create('strict', {
      url: `https://localhost:${new URL(receiver.url).port}/strict`,
      events: ['BOOKING_CHANGED'],
      description: null,
      createdBy: 'test',
    });
    await strict.store.deliveries.enqueue('strict', [
      {
        eventId: 's1',
        eventType: 'BOOKING_CHANGED',
        customerId: null,
        occurredAt: new Date(),
        payload: '{}',
      },
    ]);
    await worker.stop();
    const strictWorker = strict.start();
    try {
      const [failed] = await waitFor(
        async () => {
          const list = await strict.store.deliveries.list('strict', {
            endpointId: endpoint.id,
            states: ['FAILED'],
            first: 1,
          });
          return list.length ? list : undefined;
        },
        () => 'the loopback delivery to fail',
      );
      expect(failed!.lastError).toMatch(/localhost.*loopback/);
      expect(failed!.lastStatus).toBeNull();
      expect(receiver.received.some((r) => r.path === '/strict')).toBe(false);
    } finally {
      await strictWorker.stop();
      await strict.close();
      worker = outbound.start();
    }
  });
});
