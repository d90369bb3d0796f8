import { createHmac } from 'node:crypto';
import { createRandom, type Random } from '../../../src/sandbox/kit/random.ts';
import type { WebhookDispatcher } from '../../../src/sandbox/kit/webhooks.ts';
import type { PersistentState } from '../../../src/sandbox/kit/persist.ts';
import type { SeedBusiness } from '../../../src/sandbox/seed/business.ts';
import {
  DEFAULT_API_VERSION,
  type Charge,
  type CheckoutSession,
  type Customer,
  type PaymentIntent,
  type PaymentMethod,
  type Refund,
  type StripeEvent,
  type WebhookEndpoint,
} from './objects.ts';

/** What caused an event: the API request (id + Idempotency-Key) or nothing (admin actions, Dashboard). */
export interface Origin {
  id: string | null;
  idempotency_key: string | null;
}
export const ADMIN_ORIGIN: Origin = { id: null, idempotency_key: null };

/**
 * A checkout session and what Stripe keeps about it without showing it on the session object:
 * the line item (shown by the line_items endpoint, not implemented) and `payment_intent_data`,
 * which the payment made on the page is created with.
 */
export interface CheckoutSessionRecord {
  session: CheckoutSession;
  lineItem: { name: string; description: string | null; unitAmount: number; quantity: number };
  paymentIntentData: { description: string | null; metadata: Record<string, string> };
}

export interface EndpointRecord {
  endpoint: WebhookEndpoint;
  secret: string;
}

/**
 * The sandbox's account. Maps keep insertion order, and records are inserted oldest first (the
 * seed sorts by `created`, new records are always newer), so a reversed map is Stripe's
 * newest-first list order, ties broken by creation order.
 */
export interface StripeState {
  business: SeedBusiness;
  customers: Map<string, Customer>;
  /** Deleted customers stay in `customers` (cursors keep working) and are answered as stubs. */
  deletedCustomers: Set<string>;
  paymentIntents: Map<string, PaymentIntent>;
  paymentMethods: Map<string, PaymentMethod>;
  charges: Map<string, Charge>;
  refunds: Map<string, Refund>;
  checkoutSessions: Map<string, CheckoutSessionRecord>;
  endpoints: Map<string, EndpointRecord>;
  events: Map<string, StripeEvent>;
  random: Random;
  /** A fresh id like `cus_Ab12...` from the seeded stream. */
  mint(prefix: string, length: number): string;
  /** Unix seconds on the sandbox's clock (never earlier than the seed business's `now`). */
  now(): number;
  /** Records an event and sends it to every enabled endpoint that listens for its type. */
  emit(type: string, object: unknown, origin: Origin, previous?: Record<string, unknown>): StripeEvent;
}

export const ACCOUNT_ID = 'acct_1SwitchboardSbx';

export function createState(business: SeedBusiness, webhooks: WebhookDispatcher): StripeState {
  // When the seed's reference date is in the future (tests pin one), the clock runs from there,
  // so records created through the API are always newer than the seeded ones.
  const offsetMs = Math.max(0, business.now.getTime() - Date.now());
  let last = 0;
  const taken = (id: string) =>
    [
      state.customers,
      state.paymentIntents,
      state.paymentMethods,
      state.charges,
      state.refunds,
      state.checkoutSessions,
      state.endpoints,
      state.events,
    ].some((map) => map.has(id));

  const state: StripeState = {
    business,
    customers: new Map(),
    deletedCustomers: new Set(),
    paymentIntents: new Map(),
    paymentMethods: new Map(),
    charges: new Map(),
    refunds: new Map(),
    checkoutSessions: new Map(),
    endpoints: new Map(),
    events: new Map(),
    random: createRandom(`stripe:${business.seed}`),
    mint(prefix, length) {
      let id: string;
      do id = `${prefix}${state.random.string(length)}`;
      while (taken(id));
      return id;
    },
    now() {
      last = Math.max(last, Math.floor((Date.now() + offsetMs) / 1000));
      return last;
    },
    emit(type, object, origin, previous) {
      const targets = [...state.endpoints.values()].filter(
        ({ endpoint }) =>
          endpoint.status === 'enabled' &&
          (endpoint.enabled_events.includes('*') || endpoint.enabled_events.includes(type)),
      );
      const event: StripeEvent = {
        id: state.mint('evt_', 24),
        object: 'event',
        api_version: DEFAULT_API_VERSION,
        created: state.now(),
        data: { object: structuredClone(object), ...(previous ? { previous_attributes: previous } : {}) },
        livemode: false,
        pending_webhooks: targets.length,
        request: { ...origin },
        type,
      };
      state.events.set(event.id, event);
      for (const target of targets) deliver(webhooks, event, target);
      return event;
    },
  };
  return state;
}

const RECORDS = [
  'customers',
  'deletedCustomers',
  'paymentIntents',
  'paymentMethods',
  'charges',
  'refunds',
  'checkoutSessions',
  'endpoints',
  'events',
] as const;

/** The account's records, its id stream and the API's idempotency keys, for sandbox mode's saved state. */
export function persistentState(
  state: StripeState,
  api: { snapshot(): unknown; restore(saved: never): void },
): PersistentState {
  return {
    snapshot: () => ({
      ...Object.fromEntries(RECORDS.map((name) => [name, state[name]])),
      random: state.random.position(),
      api: api.snapshot(),
    }),
    restore(saved) {
      const s = { ...(saved as Record<string, unknown>) };
      // Saved before the sandbox had Checkout: the account simply has no sessions yet.
      s.checkoutSessions ??= new Map();
      for (const name of RECORDS) {
        if (!(s[name] instanceof Map || s[name] instanceof Set))
          throw new Error(`no "${name}" in the saved state`);
      }
      for (const name of RECORDS) Object.assign(state, { [name]: s[name] });
      state.random.seek(s.random as number);
      api.restore(s.api as never);
    },
  };
}

/** Clears the account's records for a reseed; webhook endpoints survive (see README). */
export function clearRecords(state: StripeState): void {
  state.customers.clear();
  state.deletedCustomers.clear();
  state.paymentIntents.clear();
  state.paymentMethods.clear();
  state.charges.clear();
  state.refunds.clear();
  state.checkoutSessions.clear();
  state.events.clear();
  state.random = createRandom(`stripe:${state.business.seed}`);
}

/**
 * https://docs.stripe.com/webhooks#verify-manually: `Stripe-Signature: t=<unix>,v1=<hex>` where
 * v1 = HMAC-SHA256(secret, `${t}.${body}`). The timestamp is the attempt's wall-clock time (the
 * receiver checks it against its own clock with a 300 s tolerance), so each retry is re-signed.
 */
export function signatureHeader(secret: string, body: string, timestampSeconds: number): string {
  const v1 = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
  return `t=${timestampSeconds},v1=${v1}`;
}

function deliver(webhooks: WebhookDispatcher, event: StripeEvent, target: EndpointRecord): void {
  // Stripe renders the event in the endpoint's pinned API version, pretty-printed.
  const body = JSON.stringify(
    { ...event, api_version: target.endpoint.api_version ?? event.api_version },
    null,
    2,
  );
  webhooks.enqueue({
    eventId: event.id,
    type: event.type,
    url: target.endpoint.url,
    build: () => ({
      method: 'POST',
      headers: {
        'Content-Type': 'application/json; charset=utf-8',
        'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
        'Cache-Control': 'no-cache',
        Accept: '*/*; q=0.5, application/xml',
        'Stripe-Signature': signatureHeader(target.secret, body, Math.floor(Date.now() / 1000)),
      },
      body,
    }),
  });
}

/**
 * `data.previous_attributes` for `*.updated` events: the old values of the top-level fields that
 * changed; for metadata only the keys that changed (null for keys that did not exist).
 */
export function previousAttributes<T extends object>(before: T, after: T): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const b = before as Record<string, unknown>;
  const a = after as Record<string, unknown>;
  for (const key of Object.keys(a)) {
    if (JSON.stringify(b[key]) === JSON.stringify(a[key])) continue;
    if (key === 'metadata') {
      const oldMeta = (b[key] ?? {}) as Record<string, string>;
      const newMeta = (a[key] ?? {}) as Record<string, string>;
      const changed: Record<string, string | null> = {};
      for (const k of new Set([...Object.keys(oldMeta), ...Object.keys(newMeta)])) {
        if (oldMeta[k] !== newMeta[k]) changed[k] = oldMeta[k] ?? null;
      }
      out[key] = changed;
    } else out[key] = structuredClone(b[key]);
  }
  return out;
}
