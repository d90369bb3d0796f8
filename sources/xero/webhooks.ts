import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type {
  Change,
  InboxEventInput,
  VerifyResult,
  WebhookDelivery,
  WebhookVerifier,
} from '../../src/webhooks/types.ts';

/**
 * Xero webhooks (https://developer.xero.com/documentation/guides/webhooks/overview).
 *
 * Signature: `x-xero-signature` is base64(HMAC-SHA256(webhook key, raw body)). The subscription
 * only turns on after "intent to receive": Xero sends an empty batch signed correctly, which must
 * get 200 with an EMPTY body, and one signed incorrectly, which must get exactly 401. So:
 * - a missing or wrong signature is 401 (the hub must answer it with an empty body too);
 * - a correctly signed body that is not a Xero batch is 400;
 * - a good delivery answers `respond: { status: 200, body: '' }` (intent-to-receive included,
 *   whose `events` is empty, so there is nothing to store).
 * Xero signs no timestamp, so there is no staleness window to enforce: a replayed body is
 * byte-identical and collapses in the inbox through the event ids below.
 *
 * Event ids: Xero events carry none. Each event's id is the SHA-256 (hex, prefixed `xero:`) of
 * `[tenantId, eventCategory, eventType, resourceId, eventDateUtc]` exactly as sent: a retry
 * repeats them all, so it collapses in the inbox, while a later change of the same record has a
 * later `eventDateUtc`. Two changes to one record within the same millisecond would share an id;
 * that loses nothing, because the hub fetches the record's current state either way. The sequence
 * numbers are deliberately left out: they describe the batch, not the change.
 *
 * Changes: INVOICE → `invoice`; CONTACT → `person` (`created` for CREATE). Payments have no
 * category of their own: a payment arrives as an INVOICE UPDATE. Other categories (Xero adds some
 * for other products) are stored with no changes, so they show up in the inbox without
 * triggering fetches.
 */

export interface XeroWebhookVerifierOptions {
  /** The app's "Webhooks key" from the Xero developer portal (base64-looking, used as UTF-8). */
  webhookKey: string;
}

const unsigned = (reason: string): VerifyResult => ({ ok: false, status: 401, reason });
const malformed = (reason: string): VerifyResult => ({
  ok: false,
  status: 400,
  reason: `the correctly signed body is not a Xero webhook batch: ${reason}`,
});

/** `2017-06-21T01:15:39.902`: ISO 8601 without a zone, meaning UTC; a zone suffix is accepted too. */
const EVENT_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,7})?(Z|[+-]\d{2}:\d{2})?$/;

function parseEventDate(value: string): Date | null {
  if (!EVENT_DATE.test(value)) return null;
  const match = /^(.*?)(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})?$/.exec(value)!;
  // Date parses milliseconds only: cut .NET's seven fractional digits down to three.
  const fraction = match[2] ? `.${match[2].slice(0, 3).padEnd(3, '0')}` : '';
  const date = new Date(`${match[1]}${fraction}${match[3] ?? 'Z'}`);
  return Number.isNaN(date.getTime()) ? null : date;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The inbox id of one Xero event (see above). */
export function xeroEventId(event: {
  tenantId: string;
  eventCategory: string;
  eventType: string;
  resourceId: string;
  eventDateUtc: string;
}): string {
  const key = JSON.stringify([
    event.tenantId,
    event.eventCategory,
    event.eventType,
    event.resourceId,
    event.eventDateUtc,
  ]);
  return `xero:${createHash('sha256').update(key, 'utf8').digest('hex')}`;
}

function changesOf(category: string, type: string, resourceId: string): Change[] {
  switch (category) {
    case 'INVOICE':
      return [{ kind: 'invoice', externalId: resourceId }];
    case 'CONTACT':
      return [{ kind: 'person', externalId: resourceId, ...(type === 'CREATE' ? { created: true } : {}) }];
    default:
      return [];
  }
}

export function createXeroWebhookVerifier(options: XeroWebhookVerifierOptions): WebhookVerifier {
  const key = options.webhookKey;

  return {
    source: 'xero',
    verify(delivery: WebhookDelivery): VerifyResult {
      const header = delivery.headers['x-xero-signature'];
      if (Array.isArray(header)) return unsigned('the delivery has more than one x-xero-signature header');
      const signature = header?.trim();
      if (!signature) return unsigned('the delivery has no x-xero-signature header');
      if (!key) return unsigned('no Xero webhook key is configured, so no signature can match');

      const expected = Buffer.from(
        createHmac('sha256', key).update(delivery.rawBody).digest('base64'),
        'utf8',
      );
      const given = Buffer.from(signature, 'utf8');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        // Xero's intent-to-receive check sends such a request on purpose and wants this 401; the log
        // line says so, or an operator reads every sandbox start as an attack.
        return unsigned(
          "x-xero-signature does not match the HMAC-SHA256 of the body with the webhook key (expected once when webhooks are turned on: Xero's intent-to-receive check sends a wrong signature on purpose; at any other time, check XERO_WEBHOOK_KEY)",
        );
      }

      // Signed by Xero from here on: anything wrong is a 400, not a 401.
      let body: unknown;
      try {
        body = JSON.parse(delivery.rawBody.toString('utf8'));
      } catch {
        return malformed('it is not JSON');
      }
      if (!isRecord(body)) return malformed('it is not a JSON object');
      if (!Array.isArray(body.events)) return malformed('"events" is not a list');
      for (const field of ['firstEventSequence', 'lastEventSequence'] as const) {
        if (body[field] !== undefined && !Number.isInteger(body[field])) {
          return malformed(`"${field}" is not an integer`);
        }
      }

      const events: InboxEventInput[] = [];
      const seen = new Set<string>();
      for (const [i, raw] of body.events.entries()) {
        if (!isRecord(raw)) return malformed(`events[${i}] is not an object`);
        const fields = {} as Record<
          'resourceId' | 'eventCategory' | 'eventType' | 'tenantId' | 'eventDateUtc',
          string
        >;
        for (const name of [
          'resourceId',
          'eventCategory',
          'eventType',
          'tenantId',
          'eventDateUtc',
        ] as const) {
          const value = raw[name];
          if (typeof value !== 'string' || value.trim() === '') {
            return malformed(`events[${i}].${name} is missing or not a string`);
          }
          fields[name] = value.trim();
        }
        const occurredAt = parseEventDate(fields.eventDateUtc);
        if (!occurredAt) return malformed(`events[${i}].eventDateUtc "${fields.eventDateUtc}" is not a date`);
        const category = fields.eventCategory.toUpperCase();
        const type = fields.eventType.toUpperCase();
        const eventId = xeroEventId(fields);
        if (seen.has(eventId)) continue; // the same change twice in one batch
        seen.add(eventId);
        events.push({
          eventId,
          type: `${category}.${type}`,
          occurredAt,
          changes: changesOf(category, type, fields.resourceId),
        });
      }

      // Xero wants 200 with an empty body, for intent-to-receive and deliveries alike.
      return { ok: true, events, respond: { status: 200, body: '' } };
    },
  };
}
