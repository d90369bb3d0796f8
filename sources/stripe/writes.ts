import type { PaymentLink, PaymentOrder, PersonRecord } from '../../src/domain/model.ts';
import { SourceError } from '../../src/domain/errors.ts';
import type { PaymentsWrites, PersonChanges, WriteOptions } from '../../src/domain/ports.ts';
import type { UpstreamClient } from '../../src/upstream/client.ts';
import { encodeForm, FormKeyError, type FormObject } from './form.ts';
import { INVOICE_METADATA, toRefundRecord } from './mappers.ts';

/**
 * Stripe's writes. Every one is a POST carrying the step's `Idempotency-Key`
 * (https://docs.stripe.com/api/idempotent_requests): Stripe stores the first answer for 24 hours
 * and replays it for a retry with the same key and the same parameters (`Idempotent-Replayed:
 * true`), so a retry after a timeout, a lost answer or a crash never creates a second customer,
 * payment intent or refund. The same key with other parameters is a 400 `idempotency_error`
 * (CONFLICT, not retryable); the same key while the first request still runs is a 409 (CONFLICT,
 * retryable). Bodies are deterministic (see form.ts), so a retry's parameters always match.
 */

export interface WriteDeps {
  client: UpstreamClient;
  toPerson(raw: unknown): PersonRecord;
  toOrder(raw: unknown): PaymentOrder;
  toPaymentLink(raw: unknown): PaymentLink;
  notFound(kind: string, id: string, operation: string, why?: string): SourceError;
}

const CUSTOMER_ID = /^cus_\w+$/;
const PAYMENT_INTENT_ID = /^pi_\w+$/;
const CHECKOUT_SESSION_ID = /^cs_\w+$/;
/** Stripe refuses longer keys (400). */
const MAX_IDEMPOTENCY_KEY = 255;
/** Every payment intent the hub reads or writes comes back with its charge, for refunds. */
const EXPAND_CHARGE = ['latest_charge'];

const invalid = (operation: string, message: string) =>
  new SourceError('stripe', 'INVALID_REQUEST', `stripe ${operation}: ${message}`, { operation });

/** An absent or empty value sends nothing on create (Stripe would store an empty string as null anyway). */
const present = (value: string | null | undefined): string | undefined =>
  value === null || value === undefined || value.trim() === '' ? undefined : value;

/** On update: undefined leaves the field alone, null or '' unsets it (Stripe's `field=`). */
const change = (value: string | null | undefined): string | null | undefined =>
  value === undefined ? undefined : present(value) === undefined ? null : value;

/** Stripe's one `name`, from the hub's two parts (read back by splitting on the last space). */
const fullName = (firstName: string, lastName: string): string | null =>
  `${firstName.trim()} ${lastName.trim()}`.trim() || null;

/** A URL Stripe will take for `success_url` / `cancel_url`: absolute http(s). */
function checkRedirect(operation: string, name: string, value: string): string {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw invalid(operation, `${name} must be an absolute http(s) URL, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function createStripeWrites({
  client,
  toPerson,
  toOrder,
  toPaymentLink,
  notFound,
}: WriteDeps): PaymentsWrites {
  /** One form-encoded POST with the step's idempotency key. */
  const post = async (
    operation: string,
    path: string,
    params: FormObject,
    options: WriteOptions,
  ): Promise<unknown> => {
    const key = options.idempotencyKey;
    // Without a key Stripe would execute a retry again: refuse rather than risk a second record.
    if (typeof key !== 'string' || key.trim() === '' || key.length > MAX_IDEMPOTENCY_KEY) {
      throw invalid(
        operation,
        `an idempotency key of 1 to ${MAX_IDEMPOTENCY_KEY} characters is required, got ${JSON.stringify(key)}`,
      );
    }
    let body: string;
    try {
      body = encodeForm(params);
    } catch (error) {
      if (error instanceof FormKeyError) throw invalid(operation, error.message);
      throw error;
    }
    const res = await client.request({
      operation,
      method: 'POST',
      path,
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'idempotency-key': key,
      },
      body,
      signal: options.signal,
    });
    return res.body;
  };

  const customerPath = (id: string, operation: string) => {
    if (!CUSTOMER_ID.test(id)) throw notFound('customer', id, operation, 'not a customer id');
    return `/v1/customers/${encodeURIComponent(id)}`;
  };
  const intentPath = (id: string, operation: string, suffix = '') => {
    if (!PAYMENT_INTENT_ID.test(id))
      throw notFound('payment intent', id, operation, 'not a payment intent id');
    return `/v1/payment_intents/${encodeURIComponent(id)}${suffix}`;
  };

  const sessionPath = (id: string, operation: string, suffix = '') => {
    if (!CHECKOUT_SESSION_ID.test(id))
      throw notFound('checkout session', id, operation, 'not a checkout session id');
    return `/v1/checkout/sessions/${encodeURIComponent(id)}${suffix}`;
  };

  return {
    async createPaymentLink(input, options) {
      const operation = 'checkout.sessions.create';
      const { amount, description, expiresAt } = input;
      if (!Number.isInteger(amount.amount) || amount.amount <= 0) {
        throw invalid(
          operation,
          `the amount must be a positive whole number of minor units, got ${amount.amount}`,
        );
      }
      if (!/^[A-Za-z]{3}$/.test(amount.currency)) {
        throw invalid(
          operation,
          `the currency must be an ISO 4217 code like GBP, got ${JSON.stringify(amount.currency)}`,
        );
      }
      if (description.trim() === '') {
        throw invalid(
          operation,
          'a description is required: it is what the customer sees they are paying for',
        );
      }
      if (!(expiresAt instanceof Date) || Number.isNaN(expiresAt.getTime())) {
        throw invalid(operation, `expiresAt must be a valid date, got ${String(expiresAt)}`);
      }
      const customer = present(input.customerId);
      // https://docs.stripe.com/api/checkout/sessions/create (mode `payment`, one ad-hoc line item;
      // Stripe takes `expires_at` 30 minutes to 24 hours ahead and answers a 400 otherwise)
      const raw = await post(
        operation,
        '/v1/checkout/sessions',
        {
          mode: 'payment',
          line_items: [
            {
              price_data: {
                currency: amount.currency.toLowerCase(),
                unit_amount: amount.amount,
                product_data: { name: description },
              },
              quantity: 1,
            },
          ],
          // Stripe takes one or the other: a known customer, or an email to fill in on the page.
          customer,
          customer_email: customer ? undefined : present(input.customerEmail),
          metadata: input.metadata,
          // The payment made on the page carries the same keys, so its webhooks lead back too.
          payment_intent_data: { metadata: input.metadata, description },
          success_url: checkRedirect(operation, 'successUrl', input.successUrl),
          cancel_url: checkRedirect(operation, 'cancelUrl', input.cancelUrl),
          expires_at: Math.floor(expiresAt.getTime() / 1000),
        },
        options,
      );
      return toPaymentLink(raw);
    },

    async expirePaymentLink(id, options) {
      const operation = 'checkout.sessions.expire';
      const path = sessionPath(id, operation, '/expire');
      try {
        // https://docs.stripe.com/api/checkout/sessions/expire (only open sessions)
        return toPaymentLink(await post(operation, path, {}, options));
      } catch (error) {
        // A session already complete or expired is a 400 ("Only Checkout Sessions with a status in
        // ["open"] can be expired"): read it, and if it is no longer open that is the answer. That
        // includes one complete with a slower payment still settling (mapped OPEN): Stripe cannot end
        // it either, and its async_payment_* event will say how it went.
        if (!(error instanceof SourceError) || error.status !== 400) throw error;
        // https://docs.stripe.com/api/checkout/sessions/retrieve
        const res = await client.request({
          operation: 'checkout.sessions.retrieve',
          method: 'GET',
          path: sessionPath(id, operation),
          signal: options.signal,
        });
        const link = toPaymentLink(res.body);
        if ((res.body as { status?: unknown }).status !== 'open') return link;
        throw error;
      }
    },

    async createCustomer(input, options) {
      const operation = 'customers.create';
      // https://docs.stripe.com/api/customers/create
      const raw = await post(
        operation,
        '/v1/customers',
        {
          email: input.email,
          name: fullName(input.firstName, input.lastName) ?? undefined,
          phone: present(input.phone),
          // Stripe has no company field; the hub's company goes to the free-text description.
          description: present(input.company),
          metadata: { switchboard_id: input.switchboardId },
        },
        options,
      );
      return toPerson(raw);
    },

    async updateCustomer(id, changes: PersonChanges, options) {
      const operation = 'customers.update';
      const path = customerPath(id, operation);
      const { firstName, lastName } = changes;
      // Stripe holds one `name`. The hub always passes both parts when the name changes; one part
      // alone cannot be written without reading the other, so it is refused rather than guessed.
      if ((firstName === undefined) !== (lastName === undefined)) {
        throw invalid(
          operation,
          'a name change needs both firstName and lastName (Stripe stores one full name)',
        );
      }
      // https://docs.stripe.com/api/customers/update (only the fields that change are sent)
      const raw = await post(
        operation,
        path,
        {
          email: changes.email,
          name: firstName !== undefined && lastName !== undefined ? fullName(firstName, lastName) : undefined,
          phone: change(changes.phone),
          description: change(changes.company),
        },
        options,
      );
      return toPerson(raw);
    },

    async createOrder(input, options) {
      const operation = 'payment_intents.create';
      // https://docs.stripe.com/api/payment_intents/create (not confirmed: the customer pays later)
      const raw = await post(
        operation,
        '/v1/payment_intents',
        {
          amount: input.amount.amount,
          currency: input.amount.currency.toLowerCase(),
          customer: input.customerId ?? undefined,
          description: input.description,
          metadata: input.metadata,
          automatic_payment_methods: { enabled: true },
          expand: EXPAND_CHARGE,
        },
        options,
      );
      return toOrder(raw);
    },

    async linkInvoice(id, invoice, options) {
      const operation = 'payment_intents.update';
      const metadata = {
        [INVOICE_METADATA.system]: invoice.system,
        [INVOICE_METADATA.id]: invoice.id,
        [INVOICE_METADATA.number]: invoice.number ?? '',
      };
      // https://docs.stripe.com/api/payment_intents/update (metadata merges; `metadata[k]=` deletes k)
      const raw = await post(
        operation,
        intentPath(id, operation),
        { metadata, expand: EXPAND_CHARGE },
        options,
      );
      return toOrder(raw);
    },

    async cancelOrder(id, options) {
      const operation = 'payment_intents.cancel';
      const path = intentPath(id, operation, '/cancel');
      try {
        // https://docs.stripe.com/api/payment_intents/cancel
        return toOrder(await post(operation, path, { expand: EXPAND_CHARGE }, options));
      } catch (error) {
        // Cancelling one already cancelled is a 400 payment_intent_unexpected_state: read it, and
        // if it is cancelled that is the answer. Any other state (succeeded, processing…) keeps
        // the error: a paid order has to be refunded instead.
        if (!(error instanceof SourceError) || error.vendorCode !== 'payment_intent_unexpected_state') {
          throw error;
        }
        // https://docs.stripe.com/api/payment_intents/retrieve
        const res = await client.request({
          operation: 'payment_intents.retrieve',
          method: 'GET',
          path: intentPath(id, operation),
          query: { 'expand[]': EXPAND_CHARGE },
          signal: options.signal,
        });
        const order = toOrder(res.body);
        if (order.status === 'CANCELED') return order;
        throw error;
      }
    },

    async refundOrder(id, amount, options) {
      const operation = 'refunds.create';
      if (!PAYMENT_INTENT_ID.test(id))
        throw notFound('payment intent', id, operation, 'not a payment intent id');
      if (amount !== null && (!Number.isInteger(amount.amount) || amount.amount <= 0)) {
        throw invalid(
          operation,
          `a refund amount must be a positive whole number of minor units, got ${amount.amount}`,
        );
      }
      // https://docs.stripe.com/api/refunds/create (no amount: whatever is left unrefunded). Refunds
      // take no currency: the amount is in the payment's currency.
      const raw = await post(
        operation,
        '/v1/refunds',
        { payment_intent: id, amount: amount?.amount },
        options,
      );
      return toRefundRecord(raw);
    },
  };
}
