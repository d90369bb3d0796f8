import { createHmac, timingSafeEqual } from 'node:crypto';
import type {
  Change,
  InboxEventInput,
  VerifyResult,
  WebhookDelivery,
  WebhookVerifier,
} from '../../src/webhooks/types.ts';
import { wholeSecondsIso } from './api.ts';

/**
 * QuickBooks Online webhooks (https://developer.intuit.com/app/developer/qbo/docs/develop/webhooks).
 *
 * One endpoint per app gets the changes of every company connected to it:
 * `{"eventNotifications":[{"realmId":"…","dataChangeEvent":{"entities":[{"name":"Customer","id":"1",
 * "operation":"Create","lastUpdated":"2015-10-05T14:42:19-0700"}]}}]}`, signed with `intuit-signature`
 * = base64(HMAC-SHA256(verifier token, raw body)). Nothing else is signed (no timestamp), so a
 * replayed body is byte-identical and collapses in the inbox through the event ids below.
 * - a missing or wrong signature is 401; a signed body that is not a notification is 400;
 * - a notification for another company is 403, the whole delivery: the hub never takes another
 *   company's events, and what a refused delivery held for this company the CDC catch-up finds;
 * - the payload says what changed, not how: the hub reads the records.
 *
 * Event ids: `<realmId>:<entity>:<id>:<operation>:<lastUpdated as UTC, whole seconds>`. A redelivery
 * repeats them all, a later change has a later lastUpdated, and the CDC catch-up (cdc.ts) builds the
 * same id for the same change, so a change seen both ways is stored once.
 *
 * Changes: Customer → `person` (`created` on Create, `deleted` on Delete, and a Merge's `deletedId`
 * deleted); Invoice → `invoice` (any operation: Create, Update, Void, Delete, Emailed). A Payment
 * changes nothing of its own: QBO also sends an Invoice Update for every invoice a payment touches.
 * Payment and Item events (and entities QBO adds later) are stored with no changes, so they show up
 * in the inbox without triggering fetches.
 */

export interface QuickbooksWebhookVerifierOptions {
  /** The app's "Verifier Token" from Intuit's developer portal (Webhooks). */
  verifierToken: string;
  /** The company (QUICKBOOKS_REALM_ID) this hub takes events of. */
  realmId: string;
}

/** One entity change, as a webhook names it and as CDC finds it. */
export interface EntityChange {
  realmId: string;
  /** `Customer`, `Invoice`, … */
  name: string;
  id: string;
  /** `Create`, `Update`, `Delete`, `Void`, `Merge`, `Emailed`. */
  operation: string;
  lastUpdated: Date;
  /** A Merge's record merged away. */
  deletedId?: string;
}

const SIGNATURE = 'intuit-signature';

const unsigned = (reason: string): VerifyResult => ({ ok: false, status: 401, reason });
const malformed = (reason: string): VerifyResult => ({
  ok: false,
  status: 400,
  reason: `the correctly signed body is not a QuickBooks notification: ${reason}`,
});

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';

/** `Customer`, whatever case the payload used; unknown names as sent. */
const canonicalName = (name: string): string => {
  const known = ['Customer', 'Invoice', 'Payment', 'Item'].find(
    (n) => n.toLowerCase() === name.toLowerCase(),
  );
  return known ?? name;
};

/** The inbox id of one change (see above). */
export function quickbooksEventId(change: EntityChange): string {
  return [change.realmId, change.name, change.id, change.operation, wholeSecondsIso(change.lastUpdated)].join(
    ':',
  );
}

function changesOf(change: EntityChange): Change[] {
  switch (change.name) {
    case 'Customer': {
      const person: Change = {
        kind: 'person',
        externalId: change.id,
        ...(change.operation === 'Create' ? { created: true } : {}),
        ...(change.operation === 'Delete' ? { deleted: true } : {}),
      };
      return change.deletedId
        ? [person, { kind: 'person', externalId: change.deletedId, deleted: true }]
        : [person];
    }
    case 'Invoice':
      return [{ kind: 'invoice', externalId: change.id }];
    default:
      return [];
  }
}

/** The inbox event of one change: what the webhook and the CDC catch-up both store. */
export function toInboxEvent(change: EntityChange): InboxEventInput {
  return {
    eventId: quickbooksEventId(change),
    type: `${change.name}.${change.operation}`,
    occurredAt: change.lastUpdated,
    changes: changesOf(change),
  };
}

export function createQuickbooksWebhookVerifier(options: QuickbooksWebhookVerifierOptions): WebhookVerifier {
  const { verifierToken, realmId } = options;

  return {
    source: 'quickbooks',
    verify(delivery: WebhookDelivery): VerifyResult {
      const header = delivery.headers[SIGNATURE];
      if (Array.isArray(header)) return unsigned(`the delivery has more than one ${SIGNATURE} header`);
      const signature = header?.trim();
      if (!signature) return unsigned(`the delivery has no ${SIGNATURE} header`);
      if (!verifierToken)
        return unsigned('no QuickBooks verifier token is configured, so no signature can match');
      const expected = Buffer.from(
        createHmac('sha256', verifierToken).update(delivery.rawBody).digest('base64'),
        'utf8',
      );
      const given = Buffer.from(signature, 'utf8');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        return unsigned(`${SIGNATURE} does not match the HMAC-SHA256 of the body with the verifier token`);
      }

      // Signed by Intuit from here on: anything wrong is a 400 (or the 403 for another company).
      let body: unknown;
      try {
        body = JSON.parse(delivery.rawBody.toString('utf8'));
      } catch {
        return malformed('it is not JSON');
      }
      if (!isRecord(body)) return malformed('it is not a JSON object');
      if (!Array.isArray(body.eventNotifications)) return malformed('"eventNotifications" is not a list');
      const notifications = body.eventNotifications as unknown[];
      for (const [i, notification] of notifications.entries()) {
        if (!isRecord(notification) || !nonEmpty(notification.realmId))
          return malformed(`eventNotifications[${i}].realmId is missing`);
        if (notification.realmId.trim() !== realmId) {
          return {
            ok: false,
            status: 403,
            reason: `the notification is for realm ${notification.realmId.trim()}, not ${realmId} (QUICKBOOKS_REALM_ID): the hub takes no other company's events`,
          };
        }
      }

      const events: InboxEventInput[] = [];
      const seen = new Set<string>();
      for (const [i, notification] of notifications.entries()) {
        const where = `eventNotifications[${i}].dataChangeEvent`;
        const dataChange = (notification as Record<string, unknown>).dataChangeEvent;
        if (!isRecord(dataChange) || !Array.isArray(dataChange.entities))
          return malformed(`${where}.entities is not a list`);
        for (const [j, entity] of (dataChange.entities as unknown[]).entries()) {
          const at = `${where}.entities[${j}]`;
          if (!isRecord(entity)) return malformed(`${at} is not an object`);
          for (const field of ['name', 'id', 'operation', 'lastUpdated'] as const) {
            if (!nonEmpty(entity[field])) return malformed(`${at}.${field} is missing or not a string`);
          }
          const lastUpdated = new Date(String(entity.lastUpdated).trim());
          if (Number.isNaN(lastUpdated.getTime()))
            return malformed(`${at}.lastUpdated "${String(entity.lastUpdated)}" is not a date`);
          const change: EntityChange = {
            realmId,
            name: canonicalName(String(entity.name).trim()),
            id: String(entity.id).trim(),
            operation: String(entity.operation).trim(),
            lastUpdated,
            ...(nonEmpty(entity.deletedId) ? { deletedId: entity.deletedId.trim() } : {}),
          };
          const event = toInboxEvent(change);
          if (seen.has(event.eventId)) continue; // the same change twice in one delivery
          seen.add(event.eventId);
          events.push(event);
        }
      }
      return { ok: true, events };
    },
  };
}
