/**
 * QuickBooks Online webhooks: one endpoint per app (set in the developer portal; here through
 * `POST /__sandbox/webhooks/endpoint`), notified of the entity changes in every connected
 * company. A notification is a POST with a JSON body
 * `{"eventNotifications":[{"realmId":"...","dataChangeEvent":{"entities":[{"name":"Customer",
 * "id":"1","operation":"Create","lastUpdated":"2015-10-05T14:42:19-0700"}]}}]}` and the header
 * `intuit-signature: base64(HMAC-SHA256(verifier token, raw body))`; the payload says what
 * changed, not how: the receiver reads the record (or runs CDC) to learn the rest.
 * Intuit aggregates events for a while before sending (sandbox apps: near real time); this
 * sandbox sends the changes of one API request (or admin action) as one notification at once.
 * Deliveries go through the kit's dispatcher: retried with backoff until a 2xx, duplicated or
 * held and released out of order on request, as Intuit's own can be ("It's possible to receive
 * events out of sequence").
 * Docs: https://developer.intuit.com/app/developer/qbo/docs/develop/webhooks
 *       https://developer.intuit.com/app/developer/qbo/docs/develop/webhooks/managing-webhooks-notifications
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { WebhookDispatcher } from '../../../src/sandbox/kit/webhooks.ts';
import type { Clock } from '../../../src/sandbox/kit/clock.ts';
import type { EntityName } from './state.ts';
import { webhookTime } from './wire.ts';

export type Operation = 'Create' | 'Update' | 'Delete' | 'Void' | 'Merge' | 'Emailed';

export const WEBHOOK_ENTITIES: EntityName[] = ['Customer', 'Invoice', 'Payment', 'Item'];

export interface ChangeBatch {
  add(name: EntityName, operation: Operation, id: string, lastUpdated: number): void;
  /** Sends the collected changes as one notification (when an endpoint is registered and the realm connected). */
  commit(): void;
  discard(): void;
}

export interface WebhookEndpoint {
  url: string;
  entities: EntityName[];
  createdAt: string;
}

export interface QboWebhooks {
  changes(): ChangeBatch;
  endpoint(): WebhookEndpoint | undefined;
  register(url: string, entities: EntityName[]): WebhookEndpoint;
  unregister(): boolean;
  /** Notifications sent so far. */
  sent(): number;
  /** The endpoint and count (sandbox mode saves them across restarts). */
  snapshot(): { active?: WebhookEndpoint; count: number };
  restore(saved: { active?: WebhookEndpoint; count: number }): void;
}

export const signIntuit = (verifierToken: string, body: string | Buffer): string =>
  createHmac('sha256', verifierToken).update(body).digest('base64');

export function createQboWebhooks(options: {
  dispatcher: WebhookDispatcher;
  verifierToken: string;
  realmId: string;
  clock: Clock;
  timeZone: string;
  /** Webhooks reach an app only for companies connected to it (a live OAuth grant). */
  connected: () => boolean;
}): QboWebhooks {
  const { dispatcher, verifierToken, realmId, clock, timeZone } = options;
  let active: WebhookEndpoint | undefined;
  let count = 0;

  return {
    snapshot: () => ({ active, count }),
    restore(saved) {
      active = saved.active;
      count = saved.count;
    },
    changes() {
      const pending: Array<{ name: EntityName; id: string; operation: Operation; lastUpdated: number }> = [];
      let done = false;
      return {
        add(name, operation, id, lastUpdated) {
          const same = pending.find((e) => e.name === name && e.id === id);
          // One event per record and notification: a Create absorbs later Updates; a Delete or Void wins.
          if (same) {
            if (operation === 'Delete' || operation === 'Void') same.operation = operation;
            same.lastUpdated = Math.max(same.lastUpdated, lastUpdated);
            return;
          }
          pending.push({ name, id, operation, lastUpdated });
        },
        discard() {
          done = true;
        },
        commit() {
          if (done) return;
          done = true;
          const endpoint = active;
          if (!endpoint || !options.connected()) return;
          const wanted = pending.filter((e) => endpoint.entities.includes(e.name));
          if (wanted.length === 0) return;
          const body = JSON.stringify({
            eventNotifications: [
              {
                realmId,
                dataChangeEvent: {
                  entities: wanted.map((e) => ({
                    name: e.name,
                    id: e.id,
                    operation: e.operation,
                    lastUpdated: webhookTime(e.lastUpdated, timeZone),
                  })),
                },
              },
            ],
          });
          const signature = signIntuit(verifierToken, body);
          const created = webhookTime(clock.now(), timeZone);
          const tid = randomUUID();
          count++;
          dispatcher.enqueue({
            eventId: `qbo-${tid}`,
            type: wanted.map((e) => `${e.name}.${e.operation}`).join(','),
            url: endpoint.url,
            // The signature covers only the body, so every retry is byte-identical.
            build: () => ({
              headers: {
                'Content-Type': 'application/json; charset=utf-8',
                Accept: 'application/json',
                'intuit-signature': signature,
                'intuit-created-time': created,
                'intuit-t-id': tid,
                'intuit-notification-schema-version': '0.1',
                'User-Agent': 'intuit_notification_server/0.1',
              },
              body,
            }),
          });
        },
      };
    },
    endpoint: () => (active ? { ...active, entities: [...active.entities] } : undefined),
    register(url, entities) {
      active = { url, entities: [...entities], createdAt: new Date(clock.now()).toISOString() };
      return { ...active };
    },
    unregister() {
      const had = active !== undefined;
      active = undefined;
      return had;
    },
    sent: () => count,
  };
}
