/**
 * Xero webhooks: one subscription per app (set up in the developer portal; here through
 * `POST /__sandbox/webhooks/subscribe`), activated only after the endpoint passes the
 * intent-to-receive check. Deliveries batch the events of one change as
 * `{events, firstEventSequence, lastEventSequence, entropy}`, signed with
 * `x-xero-signature: base64(HMAC-SHA256(webhookKey, raw body))`.
 * Docs: https://developer.xero.com/documentation/guides/webhooks/overview
 */
import { createHmac } from 'node:crypto';
import type { Random } from '../../../src/sandbox/kit/random.ts';
import type { WebhookDispatcher } from '../../../src/sandbox/kit/webhooks.ts';
import type { Clock } from '../../../src/sandbox/kit/clock.ts';

export type EventCategory = 'CONTACT' | 'INVOICE';
export type EventType = 'CREATE' | 'UPDATE';

export interface ChangeBatch {
  add(category: EventCategory, type: EventType, resourceId: string): void;
  /** Sends the collected events as one delivery (when a subscription is active). */
  commit(): void;
  discard(): void;
}

export interface Subscription {
  url: string;
  categories: EventCategory[];
  status: 'OK';
  subscribedAt: string;
}

export interface XeroWebhooks {
  changes(): ChangeBatch;
  subscription(): Subscription | undefined;
  /** Runs intent-to-receive against `url`; activates the subscription only if both checks pass. */
  subscribe(
    url: string,
    categories: EventCategory[],
  ): Promise<{ ok: true; subscription: Subscription } | { ok: false; step: string; detail: string }>;
  unsubscribe(): boolean;
  /** Events sent so far (their sequence numbers), for the admin view. */
  lastSequence(): number;
  /** The subscription, sequence and entropy stream (sandbox mode saves them across restarts). */
  snapshot(): { active?: Subscription; sequence: number; random: number };
  restore(saved: { active?: Subscription; sequence: number; random: number }): void;
}

export const signXero = (webhookKey: string, body: string): string =>
  createHmac('sha256', webhookKey).update(body, 'utf8').digest('base64');

/** `2024-06-21T01:15:39.902`: Xero's eventDateUtc has milliseconds and no zone suffix. */
const eventDate = (ms: number) => new Date(ms).toISOString().replace(/Z$/, '');

export function createXeroWebhooks(options: {
  dispatcher: WebhookDispatcher;
  webhookKey: string;
  tenantId: string;
  clock: Clock;
  random: Random;
  baseUrl: () => string;
}): XeroWebhooks {
  const { dispatcher, webhookKey, tenantId, clock, random } = options;
  let active: Subscription | undefined;
  let sequence = 0;
  const entropy = () => random.string(20, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ');
  const resourcePath = (category: EventCategory) => (category === 'CONTACT' ? 'Contacts' : 'Invoices');

  return {
    snapshot: () => ({ active, sequence, random: random.position() }),
    restore(saved) {
      active = saved.active;
      sequence = saved.sequence;
      random.seek(saved.random);
    },
    changes() {
      const pending: Array<{ category: EventCategory; type: EventType; resourceId: string }> = [];
      let done = false;
      return {
        add(category, type, resourceId) {
          // One event per resource and batch; a CREATE absorbs later UPDATEs of the same record.
          if (pending.some((e) => e.resourceId === resourceId)) return;
          pending.push({ category, type, resourceId });
        },
        discard() {
          done = true;
        },
        commit() {
          if (done) return;
          done = true;
          const subscription = active;
          if (!subscription) return;
          const wanted = pending.filter((e) => subscription.categories.includes(e.category));
          if (wanted.length === 0) return;
          const at = eventDate(clock.now());
          const first = sequence + 1;
          const events = wanted.map((e) => ({
            resourceUrl: `${options.baseUrl()}/api.xro/2.0/${resourcePath(e.category)}/${e.resourceId}`,
            resourceId: e.resourceId,
            eventDateUtc: at,
            eventType: e.type,
            eventCategory: e.category,
            tenantId,
            tenantType: 'ORGANISATION',
          }));
          sequence += events.length;
          const body = JSON.stringify({
            events,
            firstEventSequence: first,
            lastEventSequence: sequence,
            entropy: entropy(),
          });
          const signature = signXero(webhookKey, body);
          dispatcher.enqueue({
            eventId: `xero-seq-${first}-${sequence}`,
            type: wanted.map((e) => `${e.category}.${e.type}`).join(','),
            url: subscription.url,
            // Xero's signature covers only the body, so every retry is byte-identical.
            build: () => ({
              headers: { 'Content-Type': 'application/json', 'x-xero-signature': signature },
              body,
            }),
          });
        },
      };
    },
    subscription: () => (active ? { ...active } : undefined),
    unsubscribe() {
      const had = active !== undefined;
      active = undefined;
      return had;
    },
    lastSequence: () => sequence,
    async subscribe(url, categories) {
      const send = async (signature: (body: string) => string) => {
        const body = JSON.stringify({
          events: [],
          firstEventSequence: 0,
          lastEventSequence: 0,
          entropy: entropy(),
        });
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'x-xero-signature': signature(body) },
          body,
          signal: AbortSignal.timeout(5_000),
        });
        return { status: res.status, text: await res.text() };
      };
      try {
        const good = await send((body) => signXero(webhookKey, body));
        if (good.status !== 200 || good.text.length > 0) {
          return {
            ok: false,
            step: 'correctly-signed',
            detail: `a correctly signed intent-to-receive must get 200 with an empty body; got ${good.status}${good.text ? ` with a ${good.text.length}-byte body` : ''}`,
          };
        }
        const bad = await send((body) => signXero(`${webhookKey}-wrong`, body));
        if (bad.status !== 401) {
          return {
            ok: false,
            step: 'incorrectly-signed',
            detail: `an incorrectly signed intent-to-receive must get 401; got ${bad.status}`,
          };
        }
      } catch (error) {
        return {
          ok: false,
          step: 'connect',
          detail: `the endpoint could not be reached within 5 seconds: ${String(error)}`,
        };
      }
      active = { url, categories, status: 'OK', subscribedAt: new Date(clock.now()).toISOString() };
      sequence = 0; // sequences count per subscription
      return { ok: true, subscription: { ...active } };
    },
  };
}
