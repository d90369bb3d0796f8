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
import { createOutbound, type Outbound, type OutboundSettings } from './outbound.ts';

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

  /**
   * One delivery to `url` in a workspace of its own, sent by a worker with `settings` alone (the
   * suite's worker paused), until it is FAILED: the failed delivery.
   */
  async function failedAlone(workspace: string, url: string, settings: Partial<OutboundSettings>) {
    const alone = createOutbound(
      { store, bus: createLocalBus(), metrics: createMetrics(), logger: pino({ level: 'silent' }) },
      { baseMs: 10, maxMs: 20, pollMs: 20, ...settings },
    );
    const { endpoint } = await alone.store.endpoints.create(workspace, {
      url,
      events: ['BOOKING_CHANGED'],
      description: null,
      createdBy: 'test',
    });
    const delivery = {
      eventType: 'BOOKING_CHANGED',
      customerId: null,
      occurredAt: new Date(),
      payload: '{}',
    } as const;
    await alone.store.deliveries.enqueue(workspace, [{ ...delivery, eventId: `${workspace}-1` }]);
    await worker.stop();
    const aloneWorker = alone.start();
    try {
      const [failed] = await waitFor(
        async () => {
          const list = await alone.store.deliveries.list(workspace, {
            endpointId: endpoint.id,
            states: ['FAILED'],
            first: 1,
          });
          return list.length ? list : undefined;
        },
        () => `the delivery to ${url} to fail`,
      );
      return failed!;
    } finally {
      await aloneWorker.stop();
      await alone.close();
      worker = outbound.start();
    }
  }

  it('counts no answer within the timeout as a failed attempt, saying so', async () => {
    const silent = createServer(() => {}); // holds every request
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const failed = await failedAlone(
        'quiet',
        `http://127.0.0.1:${(silent.address() as AddressInfo).port}/`,
        {
          allowLoopback: true,
          maxAttempts: 1,
          timeoutMs: 200,
        },
      );
      expect(failed.lastError).toBe('no answer within 200 ms');
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('checks the address again when it sends: a loopback endpoint outside sandbox mode fails, saying why', async () => {
    // Saved while it resolved elsewhere (or in sandbox mode); now it names loopback.
    const failed = await failedAlone('strict', `https://localhost:${new URL(receiver.url).port}/strict`, {
      allowLoopback: false,
      maxAttempts: 2,
    });
    expect(failed.lastError).toMatch(/localhost.*loopback/);
    expect(failed.lastStatus).toBeNull();
    expect(failed.attempts).toBe(2);
    expect(receiver.received.some((r) => r.path === '/strict')).toBe(false);
  });
});
