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
 * Stripe webhook intake (https://docs.stripe.com/webhooks#verify-manually).
 *
 * `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…][,v0=<hex>]`, where each v1 is
 * HEX(HMAC-SHA256(endpoint secret, `${t}.${raw body}`)). Stripe sends one v1 per active secret of
 * the endpoint (two while a rolled secret is still valid), and `v0` only for test-mode signatures
 * with a legacy scheme, which is ignored. A delivery is accepted when any v1 matches the HMAC under
 * any of the hub's secrets and `t` is within the tolerance of the hub's clock (300 s, the default of
 * Stripe's own libraries; Stripe re-signs every retry with the attempt's time).
 *
 * Every rejection is a 400: Stripe treats any non-2xx as a failed delivery and retries it with
 * exponential backoff for up to three days, so a delivery that failed for a transient reason (a
 * secret rotated mid-flight) still arrives. The only non-400 is a hub that cannot load its own
 * secrets (500): that is the hub's fault, not the delivery's.
 */
export interface StripeWebhookOptions {
  /**
   * The endpoint's signing secrets (`whsec_…`). A function, because the hub learns the secret when it
   * registers the endpoint, and holds two while rotating (old and new both verify).
   */
  secrets: () => string[] | Promise<string[]>;
  /** Largest accepted |now − t| in seconds (default 300, as Stripe's libraries). */
  toleranceSeconds?: number;
}

const DEFAULT_TOLERANCE_SECONDS = 300;

type Parsed = { timestamp: number; signatures: string[] };

// Stripe shows the answer in the dashboard's delivery log: say what is wrong.
const reject = (reason: string, status = 400): VerifyResult => ({ ok: false, status, reason, explain: true });

/** One header, case-insensitively (Node lower-cases them; a hand-built delivery may not). */
function headerOf(headers: IncomingHttpHeaders, name: string): string | string[] | undefined {
  if (headers[name] !== undefined) return headers[name];
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

/** `t=…,v1=…,v1=…,v0=…` → timestamp and v1 signatures, or a sentence saying what is wrong. */
function parseSignatureHeader(value: string): Parsed | string {
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const item of value.split(',')) {
    const eq = item.indexOf('=');
    if (eq <= 0) return `Stripe-Signature has an element without a scheme: "${item.trim().slice(0, 40)}"`;
    const key = item.slice(0, eq).trim();
    const val = item.slice(eq + 1).trim();
    if (key === 't') {
      if (timestamp !== undefined) return 'Stripe-Signature has more than one timestamp';
      if (!/^\d{1,15}$/.test(val))
        return `Stripe-Signature timestamp "${val.slice(0, 20)}" is not a unix time`;
      timestamp = Number(val);
    } else if (key === 'v1') {
      signatures.push(val);
    }
    // Other schemes (v0: legacy test-mode signatures) are not verified, as Stripe's libraries do.
  }
  if (timestamp === undefined) return 'Stripe-Signature has no timestamp (t=)';
  if (signatures.length === 0) return 'Stripe-Signature has no v1 signature';
  return { timestamp, signatures };
}

/** HEX(HMAC-SHA256(secret, `${t}.` + body)), over the body's bytes as received. */
const sign = (secret: string, timestamp: number, body: Buffer): string =>
  createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');

/** Compares in constant time for a given length; the length of a hex SHA-256 is public. */
function sameSignature(expected: string, candidate: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(candidate, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** An id field that may be a plain id or, if expanded, an object carrying one. */
const idOf = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== ''
    ? value
    : isObject(value) && typeof value.id === 'string' && value.id !== ''
      ? value.id
      : undefined;

const CUSTOMER_EVENTS = new Set(['customer.created', 'customer.updated', 'customer.deleted']);
/** https://docs.stripe.com/payments/checkout/fulfill-orders: paid, expired, and slower payments settling. */
const CHECKOUT_SESSION_EVENTS = new Set([
  'checkout.session.completed',
  'checkout.session.expired',
  'checkout.session.async_payment_succeeded',
  'checkout.session.async_payment_failed',
]);

/**
 * What records an event says changed (ids only: the hub retrieves current state itself, since
 * events can arrive late, twice or out of order — https://docs.stripe.com/webhooks#event-ordering).
 * Returns a sentence when a type the hub models lacks the ids it needs.
 */
export function changesOf(type: string, object: Record<string, unknown> | undefined): Change[] | string {
  const missing = (what: string) => `${type} event has no data.object.${what}`;
  if (CUSTOMER_EVENTS.has(type)) {
    const id = idOf(object?.id);
    if (!id) return missing('id');
    const change: Change = { kind: 'person', externalId: id };
    if (type === 'customer.created') change.created = true;
    if (type === 'customer.deleted') change.deleted = true;
    return [change];
  }
  if (type.startsWith('payment_intent.')) {
    const id = idOf(object?.id);
    if (!id) return missing('id');
    return [
      type === 'payment_intent.succeeded'
        ? { kind: 'order', externalId: id, succeeded: true }
        : { kind: 'order', externalId: id },
    ];
  }
  if (CHECKOUT_SESSION_EVENTS.has(type)) {
    // The payment made on the page reports itself through its own payment_intent.* events.
    const id = idOf(object?.id);
    if (!id) return missing('id');
    return [{ kind: 'paymentLink', externalId: id }];
  }
  if (type.startsWith('charge.') || type.startsWith('refund.')) {
    // Charges, refunds (also `charge.refund.updated`) and disputes (`charge.dispute.*`) all carry
    // `payment_intent`; a charge made without a payment intent is not an order the hub knows.
    const id = idOf(object?.payment_intent);
    return id ? [{ kind: 'order', externalId: id }] : [];
  }
  return [];
}

/**
 * The Event JSON (https://docs.stripe.com/api/events/object) → one inbox event keyed by `evt_…`,
 * which Stripe keeps across retries and duplicate deliveries of the same event.
 */
function toInboxEvent(rawBody: Buffer): InboxEventInput | string {
  let body: unknown;
  try {
    body = JSON.parse(rawBody.toString('utf8'));
  } catch {
    return 'the body is not valid JSON';
  }
  if (!isObject(body)) return 'the body is not a Stripe event object';
  const { id, type, created, data } = body;
  if (typeof id !== 'string' || id === '') return 'the event has no id';
  if (typeof type !== 'string' || type === '') return 'the event has no type';
  if (typeof created !== 'number' || !Number.isFinite(created))
    return 'the event has no created time (unix seconds)';
  const object = isObject(data) && isObject(data.object) ? data.object : undefined;
  const changes = changesOf(type, object);
  if (typeof changes === 'string') return changes;
  // `previous_attributes` names the fields an update changed (https://docs.stripe.com/api/events/object#event_object-data-previous_attributes).
  const previous = isObject(data) && isObject(data.previous_attributes) ? data.previous_attributes : null;
  if (type === 'customer.updated' && previous) {
    for (const change of changes) if (change.kind === 'person') change.fields = Object.keys(previous);
  }
  return { eventId: id, type, occurredAt: new Date(created * 1000), changes };
}

export function createStripeWebhookVerifier(options: StripeWebhookOptions): WebhookVerifier {
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (!Number.isFinite(tolerance) || tolerance <= 0) {
    throw new RangeError(`toleranceSeconds must be a positive number of seconds, got ${tolerance}`);
  }

  return {
    source: 'stripe',
    async verify(delivery: WebhookDelivery): Promise<VerifyResult> {
      const header = headerOf(delivery.headers, 'stripe-signature');
      if (header === undefined || header === '') return reject('the Stripe-Signature header is missing');
      if (Array.isArray(header)) return reject('the Stripe-Signature header was sent more than once');
      const parsed = parseSignatureHeader(header);
      if (typeof parsed === 'string') return reject(parsed);

      let secrets: string[];
      try {
        secrets = (await options.secrets()).filter((s) => typeof s === 'string' && s !== '');
      } catch (error) {
        return reject(`the Stripe endpoint secrets could not be loaded: ${(error as Error).message}`, 500);
      }
      if (secrets.length === 0) return reject('no Stripe endpoint secret is configured', 500);

      const rawBody = Buffer.isBuffer(delivery.rawBody) ? delivery.rawBody : Buffer.from(delivery.rawBody);
      // Every comparison runs, so the time taken does not say which secret or signature matched.
      let matched = false;
      for (const secret of secrets) {
        const expected = sign(secret, parsed.timestamp, rawBody);
        for (const candidate of parsed.signatures) matched = sameSignature(expected, candidate) || matched;
      }
      if (!matched) return reject('Stripe-Signature has no v1 signature matching the endpoint secret');

      const ageSeconds = delivery.now.getTime() / 1000 - parsed.timestamp;
      // Written so that an invalid clock (NaN) rejects too.
      if (!(Math.abs(ageSeconds) <= tolerance)) {
        return reject(
          `Stripe-Signature timestamp is ${Math.round(Math.abs(ageSeconds))} s ${
            ageSeconds > 0 ? 'old' : 'in the future'
          }, beyond the ${tolerance} s tolerance`,
        );
      }

      const event = toInboxEvent(rawBody);
      if (typeof event === 'string') return reject(`malformed Stripe event: ${event}`);
      return { ok: true, events: [event] };
    },
  };
}
