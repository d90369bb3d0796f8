import type { IncomingHttpHeaders } from 'node:http';
import type { SourceName } from '../domain/model.ts';

/**
 * The contract between the hub's webhook intake and each vendor's webhook module
 * (`sources/<vendor>/webhooks.ts`). A vendor module only checks deliveries and says what changed;
 * the hub stores, deduplicates, fetches current state (batched), publishes and runs the sync rules.
 */

/** One HTTP delivery, exactly as it arrived. */
export interface WebhookDelivery {
  method: string;
  /** The full URL the vendor called (scheme, host, path and query), as signed by HubSpot v3. */
  url: string;
  headers: IncomingHttpHeaders;
  /** Byte-exact body: signatures are computed over it. */
  rawBody: Buffer;
  /** The hub's clock, for timestamp tolerances. */
  now: Date;
}

/** What changed in the vendor's system, by record. Current state is fetched, never trusted from the body. */
export type Change =
  /** A person: HubSpot contact, Stripe customer, Xero contact. `fields` names changed properties when the vendor says. */
  | { kind: 'person'; externalId: string; deleted?: boolean; created?: boolean; fields?: string[] }
  /** A payment (Stripe payment intent); `succeeded` when the event says the payment went through. */
  | { kind: 'order'; externalId: string; succeeded?: boolean }
  /** A payment link (Stripe checkout session): paid, expired or otherwise changed; its state is fetched. */
  | { kind: 'paymentLink'; externalId: string }
  /** An invoice (Xero). */
  | { kind: 'invoice'; externalId: string }
  /** The calendar changed somewhere: Google sends no data, the hub runs an incremental sync. */
  | { kind: 'calendar'; channelId: string };

/** One vendor event, as stored in the inbox. `eventId` is unique per workspace and source. */
export interface InboxEventInput {
  eventId: string;
  /** The vendor's event type, e.g. `payment_intent.succeeded`, `contact.propertyChange`, `exists`. */
  type: string;
  occurredAt: Date;
  changes: Change[];
}

export type VerifyResult =
  | {
      ok: true;
      events: InboxEventInput[];
      /** A vendor-specific answer instead of the default 200 (Google `sync` needs nothing stored). */
      respond?: { status: number; body?: string };
    }
  | {
      ok: false;
      /** The status the vendor expects for this rejection (Xero's intent-to-receive needs 401). */
      status: number;
      reason: string;
      /**
       * Answer with the reason: the vendor shows it to whoever set the endpoint up (Stripe, HubSpot).
       * Left out, the body is empty: a handshake may want it so, and reasons can tell a prober too much.
       */
      explain?: boolean;
    };

/**
 * A vendor's webhook module. `verify` must not throw for bad input: a forged, stale or malformed
 * delivery is `{ ok: false }` with the status the vendor expects.
 */
export interface WebhookVerifier {
  source: SourceName;
  verify(delivery: WebhookDelivery): VerifyResult | Promise<VerifyResult>;
}

/** Registered Google push channels, for checking channel id and token. */
export interface ChannelRegistry {
  find(channelId: string): Promise<{ token: string; resourceId: string | null; expiresAt: Date } | null>;
}
