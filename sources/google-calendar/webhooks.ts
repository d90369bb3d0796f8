import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type {
  ChannelRegistry,
  VerifyResult,
  WebhookDelivery,
  WebhookVerifier,
} from '../../src/webhooks/types.ts';

/**
 * Google Calendar push notifications (https://developers.google.com/calendar/api/guides/push).
 *
 * A notification is a POST with no body; everything is in `X-Goog-*` headers. Google signs
 * nothing: a receiver authenticates a notification by matching it against the channel it opened
 * with `events.watch` — the channel id must be one we registered, `X-Goog-Channel-Token` must equal
 * the secret token we gave Google for it, `X-Goog-Resource-ID` must be the resource Google
 * answered the watch with, and the channel must not have expired.
 *
 * Statuses: Google treats 200/201/202/204/102 as delivered, retries 500/502/503/504 with
 * exponential backoff, and counts every other status as a failed message that is not retried.
 * So every rejection of a notification that will never become valid (missing or malformed
 * headers, an unknown channel, a wrong token or resource id, an expired channel) is a 400:
 * retrying it cannot help, and the same status for "unknown" and "forged" does not tell a
 * prober which channel ids exist (404 would be no more useful to Google and reads like "wrong
 * URL"). The reasons do differ, for the hub's logs: keep them out of the response body. Only a
 * failure of our own channel registry is a 503, so that Google retries later.
 *
 * Events: `sync` only confirms a new channel and stores nothing. `exists` / `not_exists` become
 * one inbox event with id `${channelId}:${messageNumber}`: message numbers rise per channel and a
 * redelivery repeats its number, so retries collapse in the inbox (channel ids must therefore be
 * fresh per watch, see `watch` in source.ts). The change is the whole calendar: the hub runs an
 * incremental sync (`listChanges`) with its stored sync token.
 */

export interface GoogleWebhookVerifierOptions {
  /** The channels the hub opened with `watch`, with their tokens, resource ids and expiries. */
  channels: ChannelRegistry;
}

type ResourceState = 'sync' | 'exists' | 'not_exists';
const STATES: ReadonlySet<string> = new Set<ResourceState>(['sync', 'exists', 'not_exists']);

/** 400 for everything Google should not retry (see above). */
const reject = (reason: string): VerifyResult => ({ ok: false, status: 400, reason });

/** Constant-time equality of the UTF-8 bytes; only a difference in length shows. */
function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  if (left.length !== right.length) return false;
  return timingSafeEqual(left, right);
}

/** One header's single value; `undefined` when absent or empty, `null` when it came more than once. */
function single(headers: IncomingHttpHeaders, name: string): string | undefined | null {
  const value = headers[name];
  if (Array.isArray(value)) return value.length === 1 ? value[0] || undefined : null;
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

export function createGoogleWebhookVerifier(options: GoogleWebhookVerifierOptions): WebhookVerifier {
  const { channels } = options;

  return {
    source: 'google_calendar',
    async verify(delivery: WebhookDelivery): Promise<VerifyResult> {
      if (delivery.method.toUpperCase() !== 'POST') {
        return {
          ok: false,
          status: 405,
          reason: `Google push notifications are POSTs, not ${delivery.method}`,
        };
      }
      const headers = readHeaders(delivery.headers);
      if (typeof headers === 'string') return reject(headers);
      const { channelId, state, resourceId, messageNumber, token } = headers;

      if (!STATES.has(state)) {
        return reject(`X-Goog-Resource-State "${state}" is not sync, exists or not_exists`);
      }
      if (!/^[1-9]\d{0,19}$/.test(messageNumber)) {
        return reject(`X-Goog-Message-Number "${messageNumber}" is not a positive integer`);
      }

      let channel: Awaited<ReturnType<ChannelRegistry['find']>>;
      try {
        channel = await channels.find(channelId);
      } catch (error) {
        // Our failure, not Google's: a 5xx makes Google retry the notification with backoff.
        return {
          ok: false,
          status: 503,
          reason: `the channel registry could not be read: ${error instanceof Error ? error.message : String(error)}`,
        };
      }
      if (!channel) return reject(`X-Goog-Channel-ID "${channelId}" is not a channel this hub opened`);
      if (channel.token === '') {
        // Without a token anyone who learns the channel id could forge notifications.
        return reject(
          `channel "${channelId}" was registered without a token, so its notifications cannot be verified`,
        );
      }
      if (token === undefined)
        return reject(`the notification for channel "${channelId}" has no X-Goog-Channel-Token`);
      if (!safeEqual(token, channel.token)) {
        return reject(`X-Goog-Channel-Token does not match the token registered for channel "${channelId}"`);
      }
      if (channel.resourceId !== null && !safeEqual(resourceId, channel.resourceId)) {
        return reject(`X-Goog-Resource-ID does not match the resource watched by channel "${channelId}"`);
      }
      // The registry's expiry, from the watch answer, decides; X-Goog-Channel-Expiration says the
      // same thing rounded to the second, and only when Google chose to send it.
      if (channel.expiresAt.getTime() <= delivery.now.getTime()) {
        return reject(`channel "${channelId}" expired at ${channel.expiresAt.toISOString()}`);
      }

      // `sync` only confirms the channel: nothing changed, nothing to store.
      if (state === 'sync') return { ok: true, events: [] };
      return {
        ok: true,
        events: [
          {
            eventId: `${channelId}:${messageNumber}`,
            type: state,
            // Google says nothing about when the change happened; the notification is near-immediate.
            occurredAt: delivery.now,
            changes: [{ kind: 'calendar', channelId }],
          },
        ],
      };
    },
  };
}

interface PushHeaders {
  channelId: string;
  state: string;
  resourceId: string;
  messageNumber: string;
  token?: string;
}

/** The X-Goog-* headers of a notification, or what is wrong with them. */
function readHeaders(headers: IncomingHttpHeaders): PushHeaders | string {
  const out: Partial<PushHeaders> = {};
  const fields: Array<[keyof PushHeaders, string, boolean]> = [
    ['channelId', 'X-Goog-Channel-ID', true],
    ['state', 'X-Goog-Resource-State', true],
    ['resourceId', 'X-Goog-Resource-ID', true],
    ['messageNumber', 'X-Goog-Message-Number', true],
    ['token', 'X-Goog-Channel-Token', false],
  ];
  for (const [key, name, required] of fields) {
    const value = single(headers, name.toLowerCase());
    if (value === null) return `the notification has more than one ${name} header`;
    if (value === undefined && required) return `the notification has no ${name} header`;
    if (value !== undefined) out[key] = value;
  }
  return out as PushHeaders;
}
