import { createHash } from 'node:crypto';
import type { PaymentLink, PaymentOrder, PersonRecord } from '../../src/domain/model.ts';
import { normaliseEmail } from '../../src/domain/model.ts';
import { SourceError } from '../../src/domain/errors.ts';
import type { CallOptions, Page, PaymentsSource } from '../../src/domain/ports.ts';
import { createUpstreamClient, type Connected, type QueryValue } from '../../src/upstream/client.ts';
import { chunk, createReader } from '../../src/upstream/validate.ts';
import type { Metrics } from '../../src/observability/metrics.ts';
import type { UpstreamPolicy } from '../../src/upstream/policy.ts';
import { retrieveEach } from './batch.ts';
import { toStripeError } from './errors.ts';
import { encodeForm } from './form.ts';
import { createStripeWrites } from './writes.ts';
import {
  dashboardUrl,
  isDeletedCustomer,
  isTestKey,
  toPaymentLink,
  toPaymentOrder,
  toPersonRecord,
  type DashboardLinks,
  type StripeList,
  type StripeSearchResult,
} from './mappers.ts';

export interface StripeConfig {
  /** `https://api.stripe.com` for the real Stripe; the sandbox's URL otherwise. */
  baseUrl: string;
  /** Secret (`sk_…`) or restricted (`rk_…`) key; test keys make Dashboard links point at test mode. */
  apiKey: string;
  /** The key to send now, read per call (a key connected from the console replaces `apiKey`). */
  currentKey?: () => Promise<string>;
  timeoutMs?: number;
  metrics?: Metrics;
  /** Rate budget, circuit breaker and retries (src/upstream/policy.ts); none when absent. */
  policy?: UpstreamPolicy;
}

/** A webhook endpoint the hub can verify: its id and the signing secret (`whsec_…`). */
export interface StripeWebhookEndpoint {
  id: string;
  secret: string;
}

/** Webhook registration (Stripe-only, so not part of the PaymentsSource port). */
export interface StripeWebhookRegistration {
  /**
   * Makes sure Stripe delivers `enabledEvents` to `url`, and returns the endpoint with its secret.
   * An endpoint already registered for `url` is kept when the caller still holds its secret
   * (`knownSecret`), its event list brought up to date; otherwise one is created (Stripe shows a
   * secret only in the create response). The create is idempotent per url and event list for
   * Stripe's 24 hours, so a hub that crashed before storing the secret gets the same endpoint and
   * secret back instead of a second endpoint.
   */
  ensureWebhookEndpoint(
    url: string,
    enabledEvents?: readonly string[],
    knownSecret?: string,
    options?: CallOptions,
  ): Promise<StripeWebhookEndpoint>;
}

export type StripeSource = PaymentsSource & Connected & StripeWebhookRegistration;

/**
 * Every request pins this version, so an account upgrade in the Dashboard cannot change the shapes
 * the mappers read. It is the version stripe-node v23 pins and the sandbox's default: since
 * 2022-11-15 a charge no longer carries its `refunds` list, and since 2026-10-28.endive a payment
 * intent takes `allowed_payment_method_types` (reads are unaffected).
 */
export const STRIPE_API_VERSION = '2026-10-28.endive';

const read = createReader('stripe');
/** Stripe has no batch retrieve; parallel gets, bounded so one loader cannot eat the rate budget (100/s live). */
const RETRIEVE_CONCURRENCY = 8;
/** Search takes at most 10 clauses a query. */
const SEARCH_CLAUSES = 10;
/** Lists and search return at most 100 objects a page. */
const PAGE_LIMIT = 100;

/**
 * Search query values are quoted; a quote or backslash inside is escaped with a backslash
 * (https://docs.stripe.com/search#search-query-language).
 */
const quote = (value: string) => `'${value.replace(/[\\']/g, (c) => `\\${c}`)}'`;
const anyOf = (field: string, values: readonly string[]) =>
  values.map((v) => `${field}:${quote(v)}`).join(' OR ');

/** The same event types, in any order. */
const sameEvents = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((x) => b.includes(x));

/** A stable Idempotency-Key from its parts (Stripe allows 255 characters). */
const idempotencyKey = (...parts: string[]) =>
  `switchboard-webhook-endpoint-${createHash('sha256').update(JSON.stringify(parts)).digest('hex')}`;

/** Stale replays followed before giving up (each is an endpoint created and deleted within 24 h). */
const MAX_STALE_REPLAYS = 10;

/**
 * Ids Stripe minted always carry the object's prefix; anything else cannot exist, so it is answered
 * as NOT_FOUND without a request (and cannot turn `GET /v1/customers/<id>` into another route).
 */
const CUSTOMER_ID = /^cus_\w+$/;
const PAYMENT_INTENT_ID = /^pi_\w+$/;
const CHECKOUT_SESSION_ID = /^cs_\w+$/;

export function createStripeSource(config: StripeConfig): StripeSource {
  const client = createUpstreamClient({
    source: 'stripe',
    baseUrl: config.baseUrl,
    headers: async () => ({
      authorization: `Bearer ${config.currentKey ? await config.currentKey() : config.apiKey}`,
      'stripe-version': STRIPE_API_VERSION,
    }),
    toError: toStripeError,
    timeoutMs: config.timeoutMs,
    metrics: config.metrics,
    policy: config.policy,
  });
  const links: DashboardLinks = { testMode: isTestKey(config.apiKey) };
  const toPerson = (raw: unknown) => toPersonRecord(raw, links);
  const toOrder = (raw: unknown) => toPaymentOrder(raw, links);

  const notFound = (kind: string, id: string, operation: string, why = 'no such id') =>
    new SourceError('stripe', 'NOT_FOUND', `stripe has no ${kind} ${id} (${why})`, { operation });

  /** Every webhook endpoint of the account, all pages (https://docs.stripe.com/api/webhook_endpoints/list). */
  const listWebhookEndpoints = async (signal?: AbortSignal) => {
    const endpoints: Array<{ id: string; url: string; enabledEvents: string[] }> = [];
    let after: string | undefined;
    do {
      const res = await client.request({
        operation: 'webhook_endpoints.list',
        method: 'GET',
        path: '/v1/webhook_endpoints',
        query: { limit: PAGE_LIMIT, starting_after: after },
        signal,
      });
      const body = read.object(res.body, 'webhook endpoint list');
      const data = read.array(body.data, 'webhook endpoint list.data').map((raw) => {
        const e = read.object(raw, 'webhook endpoint');
        const enabled = Array.isArray(e.enabled_events) ? e.enabled_events : [];
        return {
          id: read.string(e, 'id', 'webhook endpoint'),
          url: read.string(e, 'url', 'webhook endpoint'),
          enabledEvents: enabled.filter((x): x is string => typeof x === 'string'),
        };
      });
      endpoints.push(...data);
      after = body.has_more === true ? data.at(-1)?.id : undefined;
    } while (after);
    return endpoints;
  };

  /** Every page of one search; Stripe's `page` token is bound to the query it came from. */
  const searchAll = async (
    operation: string,
    path: string,
    query: string,
    extra: Record<string, QueryValue>,
    signal?: AbortSignal,
  ): Promise<unknown[]> => {
    const items: unknown[] = [];
    let page: string | undefined;
    do {
      // https://docs.stripe.com/search#pagination (`page` = the previous result's `next_page`)
      const res = await client.request<StripeSearchResult<unknown>>({
        operation,
        method: 'GET',
        path,
        query: { query, limit: PAGE_LIMIT, page, ...extra },
        signal,
      });
      const body = read.object(res.body, `${operation} result`);
      items.push(...read.array(body.data, `${operation} result.data`));
      page = body.has_more === true ? read.string(body, 'next_page', `${operation} result`) : undefined;
    } while (page);
    return items;
  };

  return {
    name: 'stripe',
    client,
    recordUrl: (kind, id) =>
      kind === 'customer'
        ? dashboardUrl(links, 'customers', id)
        : kind === 'order'
          ? dashboardUrl(links, 'payments', id)
          : null,

    async getCustomers(ids, options: CallOptions = {}) {
      const operation = 'customers.retrieve';
      return retrieveEach<PersonRecord>(
        ids,
        RETRIEVE_CONCURRENCY,
        async (id) => {
          if (!CUSTOMER_ID.test(id)) throw notFound('customer', id, operation, 'not a customer id');
          // https://docs.stripe.com/api/customers/retrieve (a deleted customer is a 200 stub, not a 404)
          const res = await client.request({
            operation,
            method: 'GET',
            path: `/v1/customers/${encodeURIComponent(id)}`,
            signal: options.signal,
          });
          if (isDeletedCustomer(res.body)) throw notFound('customer', id, operation, 'deleted');
          return toPerson(res.body);
        },
        options.signal,
      );
    },

    async findCustomersByEmail(emails, options: CallOptions = {}) {
      const wanted = [...new Set(emails.map(normaliseEmail).filter((e): e is string => e !== null))];
      const byEmail = new Map<string, PersonRecord[]>();
      await Promise.all(
        chunk(wanted, SEARCH_CLAUSES).map(async (values) => {
          // https://docs.stripe.com/api/customers/search (email match is case-insensitive)
          const found = await searchAll(
            'customers.search',
            '/v1/customers/search',
            anyOf('email', values),
            {},
            options.signal,
          );
          for (const raw of found) {
            const person = toPerson(raw);
            const key = normaliseEmail(person.email);
            // Grouped by the stored email, normalised, so ' Ann@X.com ' answers the key 'ann@x.com'.
            if (key && values.includes(key)) byEmail.set(key, [...(byEmail.get(key) ?? []), person]);
          }
        }),
      );
      return emails.map((email) => byEmail.get(normaliseEmail(email) ?? '') ?? []);
    },

    async listCustomers(after, options: CallOptions = {}): Promise<Page<PersonRecord>> {
      // https://docs.stripe.com/api/customers/list (newest first; deleted customers are left out)
      const res = await client.request<StripeList<unknown>>({
        operation: 'customers.list',
        method: 'GET',
        path: '/v1/customers',
        query: { limit: PAGE_LIMIT, starting_after: after },
        signal: options.signal,
      });
      const body = read.object(res.body, 'customer list');
      const items = read.array(body.data, 'customer list.data').map(toPerson);
      return { items, next: body.has_more === true ? items.at(-1)?.externalId : undefined };
    },

    /**
     * Refunds: a payment intent has no refunds list and, on the pinned version, neither does its
     * charge unless `data.latest_charge.refunds` is expanded, which Stripe's search allows but the
     * sandbox does not. Listing `/v1/refunds?payment_intent=` would cost one request per order, so
     * `refunds` stays empty (filled only if Stripe includes the list) and `amountRefunded` comes from
     * the expanded charge's `amount_refunded`.
     */
    async listOrdersByCustomer(customerIds, options: CallOptions = {}) {
      const wanted = [...new Set(customerIds.filter((id) => CUSTOMER_ID.test(id)))];
      const byCustomer = new Map<string, PaymentOrder[]>();
      await Promise.all(
        chunk(wanted, SEARCH_CLAUSES).map(async (values) => {
          // https://docs.stripe.com/api/payment_intents/search
          const found = await searchAll(
            'payment_intents.search',
            '/v1/payment_intents/search',
            anyOf('customer', values),
            { 'expand[]': ['data.latest_charge'] },
            options.signal,
          );
          for (const raw of found) {
            const order = toOrder(raw);
            const key = order.customerExternalId;
            if (key && values.includes(key)) byCustomer.set(key, [...(byCustomer.get(key) ?? []), order]);
          }
        }),
      );
      // Newest first is the port's promise; Stripe does not document the order of search results.
      for (const orders of byCustomer.values())
        orders.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
      return customerIds.map((id) => byCustomer.get(id) ?? []);
    },

    async getOrders(ids, options: CallOptions = {}) {
      const operation = 'payment_intents.retrieve';
      return retrieveEach<PaymentOrder>(
        ids,
        RETRIEVE_CONCURRENCY,
        async (id) => {
          if (!PAYMENT_INTENT_ID.test(id))
            throw notFound('payment intent', id, operation, 'not a payment intent id');
          // https://docs.stripe.com/api/payment_intents/retrieve
          const res = await client.request({
            operation,
            method: 'GET',
            path: `/v1/payment_intents/${encodeURIComponent(id)}`,
            query: { 'expand[]': ['latest_charge'] },
            signal: options.signal,
          });
          return toOrder(res.body);
        },
        options.signal,
      );
    },

    async getPaymentLinks(ids, options: CallOptions = {}) {
      const operation = 'checkout.sessions.retrieve';
      return retrieveEach<PaymentLink>(
        ids,
        RETRIEVE_CONCURRENCY,
        async (id) => {
          if (!CHECKOUT_SESSION_ID.test(id))
            throw notFound('checkout session', id, operation, 'not a checkout session id');
          // https://docs.stripe.com/api/checkout/sessions/retrieve
          const res = await client.request({
            operation,
            method: 'GET',
            path: `/v1/checkout/sessions/${encodeURIComponent(id)}`,
            signal: options.signal,
          });
          return toPaymentLink(res.body);
        },
        options.signal,
      );
    },

    ...createStripeWrites({ client, toPerson, toOrder, toPaymentLink, notFound }),

    async ensureWebhookEndpoint(url, enabledEvents = ['*'], knownSecret, options: CallOptions = {}) {
      const events = [...new Set(enabledEvents)];
      if (events.length === 0) {
        throw new SourceError(
          'stripe',
          'INVALID_REQUEST',
          'stripe webhook endpoints need at least one event type',
          {
            operation: 'webhook_endpoints.create',
          },
        );
      }
      const existing = (await listWebhookEndpoints(options.signal)).filter((e) => e.url === url);
      const found = existing[0];
      if (found && knownSecret) {
        if (!sameEvents(found.enabledEvents, events)) {
          // https://docs.stripe.com/api/webhook_endpoints/update
          await client.request({
            operation: 'webhook_endpoints.update',
            method: 'POST',
            path: `/v1/webhook_endpoints/${encodeURIComponent(found.id)}`,
            // Setting the list is idempotent by itself; a derived key would replay an older update.
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: encodeForm({ enabled_events: events }),
            signal: options.signal,
          });
        }
        return { id: found.id, secret: knownSecret };
      }
      const present = new Set(existing.map((e) => e.id));
      // The key is derived from the url and events, so a retry (or a hub that crashed before storing
      // the secret) gets Stripe's stored answer, secret included, for 24 hours. A replay of an
      // endpoint deleted since is stale: the next key is chained on the deleted id.
      let key = idempotencyKey(url, ...events);
      for (let stale = 0; stale <= MAX_STALE_REPLAYS; stale++) {
        // https://docs.stripe.com/api/webhook_endpoints/create (`secret` is only in this response)
        const res = await client.request({
          operation: 'webhook_endpoints.create',
          method: 'POST',
          path: '/v1/webhook_endpoints',
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'idempotency-key': key },
          body: encodeForm({ url, enabled_events: events }),
          signal: options.signal,
        });
        const body = read.object(res.body, 'webhook endpoint');
        const id = read.string(body, 'id', 'webhook endpoint');
        const replayed = res.headers['idempotent-replayed'] === 'true';
        if (!replayed || present.has(id)) {
          return { id, secret: read.string(body, 'secret', 'webhook endpoint') };
        }
        key = idempotencyKey(url, ...events, id);
      }
      throw new SourceError(
        'stripe',
        'CONFLICT',
        `stripe webhook_endpoints.create replayed ${MAX_STALE_REPLAYS + 1} endpoints deleted since; try again in 24 hours`,
        { operation: 'webhook_endpoints.create' },
      );
    },

    close: () => client.close(),
  };
}
