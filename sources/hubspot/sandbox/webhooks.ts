/**
 * Outgoing webhooks as a HubSpot app receives them: CRM changes matched against the app's active
 * subscriptions, collected for a short window and POSTed to the app's target URL as one JSON array
 * (at most 100 events), signed with the app's client secret.
 * Docs: https://developers.hubspot.com/docs/api/webhooks
 *       https://developers.hubspot.com/docs/api/webhooks/validating-requests
 */
import { createHash, createHmac } from 'node:crypto';
import type { WebhookDispatcher } from '../../../src/sandbox/kit/webhooks.ts';
import type { ChangeSource } from './context.ts';
import { OBJECT_TYPES } from './schema.ts';
import type { Change } from './state.ts';

export interface AppSettings {
  targetUrl: string;
  maxConcurrentRequests: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface Subscription {
  id: number;
  eventType: string;
  propertyName?: string;
  active: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** The developer app's webhook configuration (kept across data resets: it belongs to the app, not the portal). */
export interface AppWebhooks {
  settings?: AppSettings;
  subscriptions: Map<number, Subscription>;
  nextSubscriptionId: number;
}

export interface WebhookEvent {
  eventId: number;
  subscriptionId: number;
  portalId: number;
  appId: number;
  occurredAt: number;
  subscriptionType: string;
  attemptNumber: number;
  objectId: number;
  changeSource: ChangeSource;
  sourceId?: string;
  changeFlag?: 'CREATED' | 'DELETED';
  propertyName?: string;
  propertyValue?: string;
}

export interface EventEmitter {
  emit(changes: Change[], source: ChangeSource): void;
  /** Sends what is waiting in the batching window now. */
  flush(): void;
  /** Drops events not yet sent and restarts event ids (on sandbox reset). */
  reset(): void;
  close(): void;
  /** The next event id (saved across restarts so ids never repeat). */
  nextEventId(): number;
  setNextEventId(id: number): void;
}

const MAX_EVENTS_PER_REQUEST = 100;
/** A HubSpot user id that admin actions ("edits in the HubSpot UI") are attributed to. */
export const UI_USER_ID = 7_654_321;

export interface EmitterOptions {
  app: AppWebhooks;
  dispatcher: WebhookDispatcher;
  portalId: string;
  appId: string;
  clientSecret: string;
  /** How long events are collected before one POST. */
  windowMs: number;
}

/**
 * The URL as HubSpot signs it for v3: the validating-requests docs tell receivers to decode the
 * percent-encodings of `: / ? @ ! $ ' ( ) * , ;` in the URI they received before hashing, so HubSpot
 * hashes those characters plain. Other encodings (`%20`, `%26`, …) stay as sent.
 */
const V3_DECODED: Record<string, string> = {
  '3A': ':',
  '2F': '/',
  '3F': '?',
  '40': '@',
  '21': '!',
  '24': '$',
  '27': "'",
  '28': '(',
  '29': ')',
  '2A': '*',
  '2C': ',',
  '3B': ';',
};
const v3Uri = (url: string) =>
  url.replace(/%([0-9A-Fa-f]{2})/g, (m, hex: string) => V3_DECODED[hex.toUpperCase()] ?? m);

/** The signatures HubSpot puts on a webhook request (v1 and v3). */
export function signWebhook(
  clientSecret: string,
  method: string,
  url: string,
  body: string,
  timestamp: number,
) {
  return {
    v1: createHash('sha256')
      .update(clientSecret + body)
      .digest('hex'),
    v3: createHmac('sha256', clientSecret)
      .update(`${method}${v3Uri(url)}${body}${timestamp}`)
      .digest('base64'),
  };
}

export function createEventEmitter(options: EmitterOptions): EventEmitter {
  const { app, dispatcher } = options;
  const firstEventId = 3_816_000_000;
  let nextEventId = firstEventId;
  let pending: WebhookEvent[] = [];
  let timer: NodeJS.Timeout | undefined;

  const send = (events: WebhookEvent[]) => {
    const targetUrl = app.settings?.targetUrl;
    if (!targetUrl || events.length === 0) return;
    const types = [...new Set(events.map((e) => e.subscriptionType))].join(',');
    dispatcher.enqueue({
      eventId: String(events[0]?.eventId),
      type: `${types} x${events.length}`,
      url: targetUrl,
      build(attempt) {
        // HubSpot counts attempts from 0 and re-signs every attempt with a fresh timestamp.
        const body = JSON.stringify(events.map((e) => ({ ...e, attemptNumber: attempt - 1 })));
        const timestamp = Date.now();
        const signatures = signWebhook(options.clientSecret, 'POST', targetUrl, body, timestamp);
        return {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            'User-Agent': 'HubSpot Connect 2.0 (http://dev.hubspot.com/) - WebhooksExecutorDaemon-executor',
            'X-HubSpot-Signature': signatures.v1,
            'X-HubSpot-Signature-Version': 'v1',
            'X-HubSpot-Signature-v3': signatures.v3,
            'X-HubSpot-Request-Timestamp': String(timestamp),
          },
          body,
        };
      },
    });
  };

  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const events = pending;
    pending = [];
    for (let i = 0; i < events.length; i += MAX_EVENTS_PER_REQUEST) {
      send(events.slice(i, i + MAX_EVENTS_PER_REQUEST));
    }
  };

  return {
    emit(changes, source) {
      if (!app.settings) return;
      const occurredAt = Date.now();
      for (const change of changes) {
        const eventType = `${OBJECT_TYPES[change.objectType].singular}.${change.kind}`;
        for (const sub of app.subscriptions.values()) {
          if (!sub.active || sub.eventType !== eventType) continue;
          if (change.kind === 'propertyChange' && sub.propertyName !== change.propertyName) continue;
          const event: WebhookEvent = {
            eventId: nextEventId++,
            subscriptionId: sub.id,
            portalId: Number(options.portalId),
            appId: Number(options.appId),
            occurredAt,
            subscriptionType: eventType,
            attemptNumber: 0,
            objectId: Number(change.objectId),
            changeSource: source,
            sourceId: source === 'CRM_UI' ? `userId:${UI_USER_ID}` : options.appId,
          };
          if (change.kind === 'creation') event.changeFlag = 'CREATED';
          if (change.kind === 'deletion') event.changeFlag = 'DELETED';
          if (change.kind === 'propertyChange') {
            event.propertyName = change.propertyName;
            event.propertyValue = change.propertyValue ?? '';
          }
          pending.push(event);
        }
      }
      if (pending.length >= MAX_EVENTS_PER_REQUEST) flush();
      else if (pending.length > 0 && !timer) timer = setTimeout(flush, options.windowMs);
    },
    flush,
    nextEventId: () => nextEventId,
    setNextEventId(id) {
      nextEventId = id;
    },
    reset() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      pending = [];
      nextEventId = firstEventId;
    },
    close() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      pending = [];
    },
  };
}
