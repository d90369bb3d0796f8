import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type {
  Change,
  InboxEventInput,
  VerifyResult,
  WebhookDelivery,
  WebhookVerifier,
} from '../../src/webhooks/types.ts';

/**
 * HubSpot webhook intake: the v3 request signature
 * (https://developers.hubspot.com/docs/api/webhooks/validating-requests).
 *
 * `X-HubSpot-Signature-v3` = BASE64(HMAC-SHA256(client secret, method + URI + body + timestamp)),
 * where timestamp is `X-HubSpot-Request-Timestamp` as sent (Unix milliseconds) and URI is the full
 * URL HubSpot called, with the percent-encodings of `: / ? @ ! $ ' ( ) * , ;` decoded (HubSpot signs
 * those characters plain). Requests whose timestamp is more than five minutes off are rejected, so
 * a captured request cannot be replayed later. HubSpot re-signs every retry.
 *
 * Rejections: a missing, malformed, stale or wrong signature is a 401; a correctly signed body that
 * is not a JSON array of events is a 400. HubSpot does not retry 4xx answers, so a rejection is
 * final for that delivery (it stays visible in the hub's rejected count and the app's monitoring).
 */
export interface HubspotWebhookOptions {
  /** The app's client secret (app settings → Auth), which signs every webhook request. */
  clientSecret: string;
  /** Largest accepted |now − timestamp| in milliseconds (default 300,000, as HubSpot's docs and SDK). */
  maxAgeMs?: number;
}

/** What the hub subscribes to: new and deleted contacts and the properties it carries. */
export const SUBSCRIPTIONS: ReadonlyArray<{ eventType: string; propertyName?: string }> = [
  { eventType: 'contact.creation' },
  { eventType: 'contact.deletion' },
  ...['email', 'phone', 'firstname', 'lastname', 'company'].map((propertyName) => ({
    eventType: 'contact.propertyChange',
    propertyName,
  })),
];

const DEFAULT_MAX_AGE_MS = 300_000;
const SIGNATURE = 'x-hubspot-signature-v3';
const TIMESTAMP = 'x-hubspot-request-timestamp';

/** The encodings HubSpot's v3 docs list as decoded in the signed URI (hex case does not matter). */
const DECODED_IN_URI: Record<string, string> = {
  '%3A': ':',
  '%2F': '/',
  '%3F': '?',
  '%40': '@',
  '%21': '!',
  '%24': '$',
  '%27': "'",
  '%28': '(',
  '%29': ')',
  '%2A': '*',
  '%2C': ',',
  '%3B': ';',
};

/** The URI as HubSpot signs it: the listed percent-encodings decoded, everything else as sent. */
export function hubspotSignedUri(url: string): string {
  return url.replace(/%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi, (m) => DECODED_IN_URI[m.toUpperCase()] ?? m);
}

/** BASE64(HMAC-SHA256(secret, method + uri + body + timestamp)), over the body's bytes as received. */
export function hubspotSignatureV3(
  clientSecret: string,
  method: string,
  url: string,
  rawBody: Buffer | string,
  timestamp: string,
): string {
  return createHmac('sha256', clientSecret)
    .update(`${method}${hubspotSignedUri(url)}`)
    .update(rawBody)
    .update(timestamp)
    .digest('base64');
}

// HubSpot shows the answer to whoever set the subscription up: say what is wrong.
const unauthorized = (reason: string): VerifyResult => ({ ok: false, status: 401, reason, explain: true });
const malformed = (reason: string): VerifyResult => ({
  ok: false,
  status: 400,
  reason: `malformed HubSpot webhook body: ${reason}`,
  explain: true,
});

function headerOf(headers: IncomingHttpHeaders, name: string): string | string[] | undefined {
  if (headers[name] !== undefined) return headers[name];
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

function sameSignature(expected: string, candidate: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(candidate, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** An id HubSpot sends as a number (or, defensively, a digit string). */
const idOf = (value: unknown): string | undefined =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0
    ? String(value)
    : typeof value === 'string' && /^\d+$/.test(value)
      ? value
      : undefined;

/**
 * The changes one event implies (https://developers.hubspot.com/docs/api/webhooks#webhook-subscriptions).
 * Contacts are the hub's people; deals and other objects are not modelled yet, so they carry none.
 */
function changesOf(event: Record<string, unknown>, type: string, at: string): Change[] | string {
  if (!type.startsWith('contact.')) return [];
  const externalId = idOf(event.objectId);
  switch (type) {
    case 'contact.creation':
      return externalId ? [{ kind: 'person', externalId, created: true }] : `${at} has no objectId`;
    case 'contact.deletion':
    case 'contact.privacyDeletion': // a GDPR delete removes the contact too
      return externalId ? [{ kind: 'person', externalId, deleted: true }] : `${at} has no objectId`;
    case 'contact.propertyChange': {
      if (!externalId) return `${at} has no objectId`;
      const property = event.propertyName;
      return typeof property === 'string' && property !== ''
        ? [{ kind: 'person', externalId, fields: [property] }]
        : [{ kind: 'person', externalId }];
    }
    case 'contact.restore':
      return externalId ? [{ kind: 'person', externalId }] : `${at} has no objectId`;
    case 'contact.merge': {
      // Merge events name the surviving record (`newObjectId`, else `primaryObjectId`) and the
      // records merged into it, which no longer exist under their own ids.
      const survivor = idOf(event.newObjectId) ?? idOf(event.primaryObjectId) ?? externalId;
      if (!survivor) return `${at} names no surviving contact`;
      const merged = Array.isArray(event.mergedObjectIds) ? event.mergedObjectIds.map(idOf) : [];
      return [
        { kind: 'person', externalId: survivor },
        ...merged
          .filter((id): id is string => id !== undefined && id !== survivor)
          .map((id): Change => ({ kind: 'person', externalId: id, deleted: true })),
      ];
    }
    default:
      return [];
  }
}

/** One element of the body → an inbox event, keyed by HubSpot's `eventId` (the same on every retry). */
function toInboxEvent(raw: unknown, index: number): InboxEventInput | string {
  const at = `event ${index}`;
  if (!isObject(raw)) return `${at} is not an object`;
  const eventId = idOf(raw.eventId);
  if (!eventId) return `${at} has no eventId`;
  const type = raw.subscriptionType;
  if (typeof type !== 'string' || type === '') return `${at} has no subscriptionType`;
  const occurredAt = raw.occurredAt;
  if (typeof occurredAt !== 'number' || !Number.isFinite(occurredAt))
    return `${at} has no occurredAt (Unix milliseconds)`;
  const changes = changesOf(raw, type, at);
  if (typeof changes === 'string') return changes;
  return { eventId, type, occurredAt: new Date(occurredAt), changes };
}

/** HubSpot's verifier needs nothing asynchronous, so it answers synchronously. */
export interface HubspotWebhookVerifier extends WebhookVerifier {
  verify(delivery: WebhookDelivery): VerifyResult;
}

export function createHubspotWebhookVerifier(options: HubspotWebhookOptions): HubspotWebhookVerifier {
  const maxAgeMs = options.maxAgeMs ?? DEFAULT_MAX_AGE_MS;
  if (!Number.isFinite(maxAgeMs) || maxAgeMs <= 0) {
    throw new RangeError(`maxAgeMs must be a positive number of milliseconds, got ${maxAgeMs}`);
  }
  if (typeof options.clientSecret !== 'string' || options.clientSecret === '') {
    throw new TypeError('the HubSpot app client secret is required to verify webhooks');
  }

  return {
    source: 'hubspot',
    verify(delivery: WebhookDelivery): VerifyResult {
      const signature = headerOf(delivery.headers, SIGNATURE);
      const timestamp = headerOf(delivery.headers, TIMESTAMP);
      if (signature === undefined || signature === '')
        return unauthorized('the X-HubSpot-Signature-v3 header is missing');
      if (timestamp === undefined || timestamp === '')
        return unauthorized('the X-HubSpot-Request-Timestamp header is missing');
      if (Array.isArray(signature)) return unauthorized('X-HubSpot-Signature-v3 was sent more than once');
      if (Array.isArray(timestamp))
        return unauthorized('X-HubSpot-Request-Timestamp was sent more than once');
      if (!/^\d{1,16}$/.test(timestamp)) {
        return unauthorized(
          `X-HubSpot-Request-Timestamp "${timestamp.slice(0, 20)}" is not a time in milliseconds`,
        );
      }

      const ageMs = delivery.now.getTime() - Number(timestamp);
      // Written so that an invalid clock (NaN) rejects too.
      if (!(Math.abs(ageMs) <= maxAgeMs)) {
        return unauthorized(
          `X-HubSpot-Request-Timestamp is ${Math.round(Math.abs(ageMs) / 1000)} s ${
            ageMs > 0 ? 'old' : 'in the future'
          }, beyond the ${maxAgeMs / 1000} s limit`,
        );
      }

      const rawBody = Buffer.isBuffer(delivery.rawBody) ? delivery.rawBody : Buffer.from(delivery.rawBody);
      const expected = hubspotSignatureV3(
        options.clientSecret,
        delivery.method.toUpperCase(),
        delivery.url,
        rawBody,
        timestamp,
      );
      if (!sameSignature(expected, signature.trim())) {
        return unauthorized(
          'X-HubSpot-Signature-v3 does not match the app client secret for this method, URL, body and timestamp',
        );
      }

      let body: unknown;
      try {
        body = JSON.parse(rawBody.toString('utf8'));
      } catch {
        return malformed('not valid JSON');
      }
      if (!Array.isArray(body)) return malformed('not a JSON array of events');
      const events: InboxEventInput[] = [];
      for (const [index, raw] of body.entries()) {
        const event = toInboxEvent(raw, index);
        if (typeof event === 'string') return malformed(event);
        events.push(event);
      }
      return { ok: true, events };
    },
  };
}
