/**
 * Outbound webhooks benchmark (`npm run bench -- outbound`), on the sandbox-mode hub as `npm start`
 * runs it (in this process, SQLite in memory) and a receiver on a real socket that verifies every
 * signature with the standardwebhooks package and deduplicates on `webhook-id`:
 * - latency: domain events published on the hub's bus one at a time (as the inbox processor
 *   publishes them), from just before the publish to the receiver holding the verified delivery;
 * - an outage: 1,000 events for 50 customers to an endpoint that answers 503 for a while, then
 *   recovers; all must arrive, each customer's in order, none twice. The retry schedule is scaled
 *   down 100× (OUTBOUND_RETRY_BASE_MS=50: 5 s becomes 50 ms, 5 min 3 s, 30 min 18 s) and capped at
 *   5 s, and the outage lasts 6 s (10 minutes scaled the same way).
 * Events are INVOICE_CHANGED without an invoice: no sync rule acts on them, so only delivery is
 * measured.
 */
import type { DomainEvent } from '../src/events/types.ts';
import { startSandboxHub, type SandboxHub } from '../harness/sandbox-hub.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../harness/webhook-receiver.ts';
import { median, percentile, sleep, until } from './support.ts';

export const OUTBOUND_BENCH = {
  latencyEvents: 300,
  outageEvents: 1_000,
  customers: 50,
  outageMs: 6_000,
  scale: 100,
} as const;

export interface OutboundResult {
  latencyMs: number[];
  outage: {
    events: number;
    delivered: number;
    duplicates: number;
    unverified: number;
    outOfOrder: number;
    refusedWhileDown: number;
    /** Recovery to the last delivery. */
    drainMs: number;
    /** Deliveries per second once the first after recovery arrived. */
    perSecond: number;
  };
}

let sequence = 0;
const event = (customer: string | null): DomainEvent => ({
  id: `bench:${process.pid}:${++sequence}`,
  type: 'INVOICE_CHANGED',
  workspace: 'default',
  occurredAt: new Date(),
  source: null,
  customerId: customer,
  invalidate: [],
});

async function endpoint(hub: SandboxHub, receiver: WebhookReceiver, path: string): Promise<string> {
  const { data, errors } = await hub.gql(
    `mutation($input: WebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret endpoint { id } } }`,
    { input: { url: `${receiver.url}${path}`, events: ['INVOICE_CHANGED'] } },
  );
  if (errors) throw new Error(`createWebhookEndpoint: ${JSON.stringify(errors)}`);
  receiver.verifyWith(path, data.createWebhookEndpoint.secret);
  return data.createWebhookEndpoint.endpoint.id;
}

export async function benchOutbound(log: (line: string) => void): Promise<OutboundResult> {
  const receiver = await startWebhookReceiver();
  const hub = await startSandboxHub({
    OUTBOUND_RETRY_BASE_MS: String(5_000 / OUTBOUND_BENCH.scale),
    OUTBOUND_RETRY_MAX_MS: '5000',
    OUTBOUND_MAX_ATTEMPTS: '100',
  });
  try {
    // Latency to a healthy endpoint, one event at a time, with the default poll interval: the worker
    // is woken by the event being stored.
    await endpoint(hub, receiver, '/healthy');
    const latencyMs: number[] = [];
    for (let i = 0; i < OUTBOUND_BENCH.latencyEvents + 20; i++) {
      const e = event(`c${i % OUTBOUND_BENCH.customers}`);
      const started = performance.now();
      await hub.app.hub.bus.publish(e);
      await until(
        () => receiver.received.some((r) => r.path === '/healthy' && r.body.data.eventId === e.id),
        `event ${e.id} at /healthy`,
      );
      const got = receiver.received.find((r) => r.body.data.eventId === e.id)!;
      if (i >= 20) latencyMs.push(got.at - started);
    }
    log(
      `outbound: latency p50 ${median(latencyMs).toFixed(1)} ms, p99 ${percentile(latencyMs, 99).toFixed(1)} ms`,
    );
    await hub.gql(`mutation { disableWebhookEndpoint(id: "${(await listIds(hub))[0]}") { id } }`);

    // The outage: every event is stored while the endpoint answers 503, then it recovers.
    await endpoint(hub, receiver, '/down');
    receiver.answer('/down', 503);
    const sent = new Map<string, string[]>();
    const downAt = performance.now();
    for (let i = 0; i < OUTBOUND_BENCH.outageEvents; i += 50) {
      const batch = Array.from({ length: 50 }, (_, j) => event(`c${(i + j) % OUTBOUND_BENCH.customers}`));
      for (const e of batch) sent.set(e.customerId!, [...(sent.get(e.customerId!) ?? []), e.id]);
      await hub.app.hub.bus.publish(...batch);
    }
    await sleep(Math.max(0, OUTBOUND_BENCH.outageMs - (performance.now() - downAt)));
    const refusedWhileDown = receiver.refused.get('/down') ?? 0;
    receiver.answer('/down', 200);
    const upAt = performance.now();
    const arrived = () => receiver.received.filter((r) => r.path === '/down');
    await until(() => arrived().length >= OUTBOUND_BENCH.outageEvents, 'every event at /down', 300_000);
    const got = arrived();
    const drainMs = got.at(-1)!.at - upAt;
    const perSecond = (got.length - 1) / ((got.at(-1)!.at - got[0]!.at) / 1000);
    let outOfOrder = 0;
    for (const [customer, ids] of sent) {
      const order = got.filter((r) => r.body.data.eventId && ids.includes(r.body.data.eventId));
      if (order.map((r) => r.body.data.eventId).join() !== ids.join()) outOfOrder++;
      void customer;
    }
    log(
      `outbound: ${got.length} of ${OUTBOUND_BENCH.outageEvents} delivered ${drainMs.toFixed(0)} ms after recovery; ${outOfOrder} customers out of order, ${receiver.duplicates} duplicates`,
    );
    return {
      latencyMs,
      outage: {
        events: OUTBOUND_BENCH.outageEvents,
        delivered: got.length,
        duplicates: receiver.duplicates,
        unverified: receiver.unverified,
        outOfOrder,
        refusedWhileDown,
        drainMs,
        perSecond,
      },
    };
  } finally {
    await hub.close();
    await receiver.close();
  }
}

async function listIds(hub: SandboxHub): Promise<string[]> {
  const { data } = await hub.gql(`{ webhookEndpoints { id } }`);
  return (data.webhookEndpoints as Array<{ id: string }>).map((e) => e.id);
}
