import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { Webhook } from 'standardwebhooks';
import { Agent, request } from 'undici';
import type { EventBus } from '../events/bus.ts';
import type { DomainEvent } from '../events/types.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Store } from '../store/store.ts';
import { checkUrlForm, guardedLookup, type AddressPolicy } from './addresses.ts';
import { webhookPayload } from './payload.ts';
import { DEFAULT_RETRY, retryDelayMs, type RetrySettings } from './schedule.ts';
import { createOutboundStore, type DeliveryRecord, type OutboundStore } from './store.ts';

/** Settings of outbound webhooks (`OUTBOUND_*` in src/config.ts); tests and benchmarks shorten them. */
export interface OutboundSettings extends RetrySettings, AddressPolicy {
  /** How often the worker looks for due deliveries when nothing wakes it (`OUTBOUND_POLL_MS`, default 1 s). */
  pollMs: number;
  /** A delivery request's whole time, connect to last byte (`OUTBOUND_TIMEOUT_MS`, default 10 s). */
  timeoutMs: number;
  /** How long the secret before a rotation keeps signing too (`OUTBOUND_SECRET_GRACE_MS`, default 24 h). */
  secretGraceMs: number;
  /** Deliveries sent at once by one worker. */
  concurrency: number;
}

export const DEFAULT_OUTBOUND: OutboundSettings = {
  ...DEFAULT_RETRY,
  allowLoopback: false,
  pollMs: 1_000, // 1 second
  timeoutMs: 10_000, // 10 seconds
  secretGraceMs: 86_400_000, // 24 hours
  concurrency: 16,
};

export interface Outbound {
  store: OutboundStore;
  settings: OutboundSettings;
  /**
   * Runs the delivery worker on this replica until `stop()`: it claims due deliveries with a lease,
   * so replicas share the work and none sends a delivery another holds. `nudge()` makes it look now.
   */
  start(): { stop(): Promise<void>; nudge(): void };
  /** Wakes this replica's worker, if it runs (a replay, an event just stored). */
  nudge(): void;
  close(): Promise<void>;
}

export interface OutboundDeps {
  store: Pick<Store, 'db' | 'dialect' | 'secrets'>;
  bus: EventBus;
  metrics: Metrics;
  logger: Logger;
}

/**
 * Outbound webhooks: every domain event published on this replica is stored as one delivery per
 * endpoint that takes its type, before any subscriber hears it (a `beforePublish` hook: when storing
 * fails, the event is not published and the inbox retries it, so none is lost; the primary key
 * makes each delivery once however often it is published). The worker signs each per Standard
 * Webhooks and POSTs it.
 */
export function createOutbound(deps: OutboundDeps, overrides: Partial<OutboundSettings> = {}): Outbound {
  const settings = { ...DEFAULT_OUTBOUND, ...overrides };
  const store = createOutboundStore(deps.store);
  const { metrics, logger } = deps;
  const workerId = `outbound-${randomUUID()}`;
  const leaseMs = settings.timeoutMs + 30_000;
  // The address is checked where the socket connects, so what was checked is what is reached.
  const agent = new Agent({
    connect: { lookup: guardedLookup(settings) as never, timeout: settings.timeoutMs },
    headersTimeout: settings.timeoutMs,
    bodyTimeout: settings.timeoutMs,
  });
  let wake = () => {};

  const stopHook = deps.bus.beforePublish(async (events) => {
    const byWorkspace = new Map<string, DomainEvent[]>();
    for (const event of events)
      byWorkspace.set(event.workspace, [...(byWorkspace.get(event.workspace) ?? []), event]);
    let stored = 0;
    for (const [workspace, list] of byWorkspace) {
      stored += await store.deliveries.enqueue(
        workspace,
        list.map((event) => ({
          eventId: event.id,
          eventType: event.type,
          customerId: event.customerId,
          occurredAt: event.occurredAt,
          payload: JSON.stringify(webhookPayload(event)),
        })),
      );
    }
    if (stored > 0) wake();
  });

  async function deliver(delivery: DeliveryRecord): Promise<void> {
    const target = await store.endpoints.forSending(delivery.workspace, delivery.endpointId);
    const attemptedAt = new Date();
    const settle = (outcome: Parameters<OutboundStore['deliveries']['settle']>[2]) =>
      store.deliveries.settle(delivery, workerId, outcome);
    if (!target || !target.endpoint.enabled) {
      // Disabled since it was claimed: left PENDING for when it is enabled again.
      await settle({
        state: 'PENDING',
        attempts: delivery.attempts,
        status: delivery.lastStatus,
        error: delivery.lastError,
        attemptedAt: delivery.lastAttemptAt,
      });
      return;
    }
    const attempts = delivery.attempts + 1;
    let status: number | null = null;
    let error: string | null = null;
    const started = performance.now();
    const form = checkUrlForm(target.endpoint.url, settings);
    if ('problem' in form) error = form.problem;
    else {
      const signature = [target.secrets.current, target.secrets.previous]
        .filter((s): s is string => s !== null)
        .map((secret) => new Webhook(secret).sign(delivery.id, attemptedAt, delivery.payload))
        .join(' ');
      try {
        // The receiver's endpoint (the business's own tool); the headers and signature are Standard
        // Webhooks': https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
        const response = await request(form.url, {
          method: 'POST',
          dispatcher: agent,
          headers: {
            'content-type': 'application/json',
            'user-agent': 'Switchboard-Webhooks/1.0',
            'webhook-id': delivery.id,
            'webhook-timestamp': String(Math.floor(attemptedAt.getTime() / 1000)),
            'webhook-signature': signature,
          },
          body: delivery.payload,
          signal: AbortSignal.timeout(settings.timeoutMs),
        });
        status = response.statusCode;
        await response.body.dump({ limit: 64 * 1024 }).catch(() => {});
        if (status >= 300 && status < 400) {
          const location = String(response.headers.location ?? '').slice(0, 200);
          error = `HTTP ${status} redirect${location ? ` to ${location}` : ''}: redirects are not followed; give the endpoint's final URL`;
        } else if (status < 200 || status >= 300) error = `HTTP ${status}`;
      } catch (failure) {
        const err = failure as Error & { code?: string };
        error =
          err.name === 'TimeoutError' || err.code === 'UND_ERR_HEADERS_TIMEOUT'
            ? `no answer within ${settings.timeoutMs} ms`
            : `${err.code ? `${err.code}: ` : ''}${err.message}`.slice(0, 500);
      }
    }
    metrics.outboundDuration.observe((performance.now() - started) / 1000);
    if (error === null) {
      await settle({ state: 'DELIVERED', attempts, status, error: null, attemptedAt });
      metrics.outboundDeliveries.inc({ outcome: 'delivered' });
      metrics.outboundLag.observe((Date.now() - delivery.createdAt.getTime()) / 1000);
      return;
    }
    const delay = retryDelayMs(attempts, settings);
    if (delay === null) {
      await settle({ state: 'FAILED', attempts, status, error, attemptedAt });
      metrics.outboundDeliveries.inc({ outcome: 'failed' });
      logger.warn(
        {
          delivery: delivery.id,
          endpoint: delivery.endpointId,
          workspace: delivery.workspace,
          attempts,
          status,
        },
        'outbound webhook gave up; replay it with replayWebhookDelivery',
      );
      return;
    }
    await settle({
      state: 'PENDING',
      attempts,
      status,
      error,
      attemptedAt,
      nextAttemptAt: new Date(Date.now() + delay),
    });
    metrics.outboundDeliveries.inc({ outcome: 'retried' });
  }

  const outbound: Outbound = {
    store,
    settings,
    nudge: () => wake(),
    start() {
      let stopped = false;
      let timer: NodeJS.Timeout | undefined;
      let pending = false;
      const idle = () =>
        new Promise<void>((resolve) => {
          if (pending || stopped) return resolve();
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
          timer = setTimeout(resolve, settings.pollMs);
        });
      const loop = async () => {
        while (!stopped) {
          pending = false;
          wake = () => void (pending = true);
          try {
            const due = await store.deliveries.claimDue(workerId, leaseMs, settings.concurrency);
            await Promise.all(
              due.map((d) =>
                deliver(d).catch((error: unknown) =>
                  logger.error({ err: error, delivery: d.id }, 'outbound delivery could not be recorded'),
                ),
              ),
            );
            // One customer's next delivery becomes due when the one before it is settled.
            if (due.length > 0) continue;
          } catch (error) {
            if (!stopped) logger.error({ err: error }, 'outbound webhook worker tick failed');
          }
          await idle();
        }
      };
      const running = loop();
      return {
        nudge: () => wake(),
        async stop() {
          stopped = true;
          wake();
          await running;
          wake = () => {};
        },
      };
    },
    async close() {
      stopHook();
      await agent.close();
    },
  };
  return outbound;
}
