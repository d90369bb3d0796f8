import type { Route } from '../../../src/sandbox/kit/http.ts';
import { route } from './api.ts';
import { liveCustomer } from './customers.ts';
import { invalidRequest, noSuch, stripeError } from './errors.ts';
import { applyMetadata, readParams } from './form.ts';
import {
  CREATED_SPEC,
  LIST_SPECS,
  SEARCH_SPECS,
  expandList,
  expandObject,
  inRange,
  newestFirst,
  paginate,
} from './lists.ts';
import {
  TEST_CARDS,
  newCharge,
  newPaymentIntent,
  newPaymentMethod,
  type PaymentIntent,
  type PaymentIntentStatus,
  type PaymentMethod,
} from './objects.ts';
import { search, type SearchResource } from './search.ts';
import type { Origin, StripeState } from './state.ts';

// https://docs.stripe.com/api/payment_intents

const NULLABLE_STRING = { type: 'string', nullable: true } as const;
const CAPTURE_METHODS = ['automatic', 'automatic_async', 'manual'] as const;

/** The API version that renamed the request parameter `payment_method_types` to `allowed_payment_method_types`. */
const ALLOWED_TYPES_VERSION = '2026-10-28';
const TYPES_SPECS = {
  allowed_payment_method_types: { type: 'strings', enum: ['card'] },
  payment_method_types: { type: 'strings', enum: ['card'] },
} as const;

/** The list of payment method types a request asks for, under the name its API version uses. */
function requestedTypes(
  params: { allowed_payment_method_types?: string[]; payment_method_types?: string[] },
  apiVersion: string,
): string[] | undefined {
  if (params.payment_method_types === undefined) return params.allowed_payment_method_types;
  if (apiVersion >= ALLOWED_TYPES_VERSION) {
    throw invalidRequest('Received unknown parameter: payment_method_types', {
      param: 'payment_method_types',
      code: 'parameter_unknown',
    });
  }
  return params.payment_method_types;
}

const CREATE_SPECS = {
  amount: { type: 'integer', required: true, min: 1, max: 99_999_999 },
  currency: { type: 'string', required: true },
  customer: { type: 'string' },
  description: { type: 'string', nullable: true, max: 1000 },
  metadata: { type: 'metadata' },
  confirm: { type: 'boolean' },
  payment_method: { type: 'string' },
  ...TYPES_SPECS,
  capture_method: { type: 'string', enum: CAPTURE_METHODS },
  receipt_email: NULLABLE_STRING,
  automatic_payment_methods: {
    type: 'object',
    fields: {
      enabled: { type: 'boolean', required: true },
      allow_redirects: { type: 'string', enum: ['always', 'never'] },
    },
  },
  statement_descriptor_suffix: { type: 'string', nullable: true, max: 22 },
  off_session: { type: 'boolean' },
  return_url: { type: 'string' },
  expand: { type: 'expand' },
} as const;

const UPDATE_SPECS = {
  amount: { type: 'integer', min: 1, max: 99_999_999 },
  currency: { type: 'string' },
  customer: { type: 'string' },
  description: { type: 'string', nullable: true, max: 1000 },
  metadata: { type: 'metadata' },
  payment_method: { type: 'string' },
  ...TYPES_SPECS,
  capture_method: { type: 'string', enum: CAPTURE_METHODS },
  receipt_email: NULLABLE_STRING,
  statement_descriptor_suffix: { type: 'string', nullable: true, max: 22 },
  expand: { type: 'expand' },
} as const;

const CURRENCIES = ['gbp', 'eur', 'usd', 'aud', 'cad', 'chf', 'dkk', 'nok', 'nzd', 'pln', 'sek', 'jpy'];
/** https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts */
const MINIMUM_AMOUNT: Record<string, number> = {
  gbp: 30,
  eur: 50,
  usd: 50,
  aud: 50,
  cad: 50,
  chf: 50,
  jpy: 50,
};

export function formatMoney(amount: number, currency: string): string {
  const symbol: Record<string, string> = { gbp: '£', usd: '$', eur: '€' };
  const text = currency === 'jpy' ? String(amount) : (amount / 100).toFixed(2);
  return symbol[currency] ? `${symbol[currency]}${text}` : `${text} ${currency}`;
}

/** The lower-cased currency, or Stripe's 400; `names` are the parameters to blame (Checkout's are nested). */
export function checkMoney(
  amount: number,
  currencyInput: string,
  names: { amount: string; currency: string } = { amount: 'amount', currency: 'currency' },
): string {
  const currency = currencyInput.toLowerCase();
  if (!CURRENCIES.includes(currency)) {
    throw invalidRequest(
      `Invalid currency: ${currencyInput}. Stripe currently supports these currencies: ${CURRENCIES.join(', ')}`,
      { param: names.currency },
    );
  }
  const minimum = MINIMUM_AMOUNT[currency] ?? 1;
  if (amount < minimum) {
    throw invalidRequest(`Amount must be at least ${formatMoney(minimum, currency)} ${currency}`, {
      param: names.amount,
      code: 'amount_too_small',
    });
  }
  return currency;
}

/** A new payment intent with its client secret, stored, and `payment_intent.created` emitted. */
export function createIntent(
  state: StripeState,
  fields: Omit<Parameters<typeof newPaymentIntent>[0], 'id' | 'clientSecret' | 'created'>,
  origin: Origin,
): PaymentIntent {
  const pi = newPaymentIntent({
    ...fields,
    id: state.mint('pi_', 24),
    clientSecret: '',
    created: state.now(),
  });
  pi.client_secret = `${pi.id}_secret_${state.random.string(25)}`;
  state.paymentIntents.set(pi.id, pi);
  state.emit('payment_intent.created', pi, origin);
  return pi;
}

export function findIntent(state: StripeState, id: string, param = 'id', status = 404): PaymentIntent {
  const pi = state.paymentIntents.get(id);
  if (!pi) throw noSuch('payment_intent', id, param, status);
  return pi;
}

function unexpectedState(pi: PaymentIntent, verb: string, allowed: PaymentIntentStatus[]) {
  return invalidRequest(
    `You cannot ${verb} this PaymentIntent because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be ${verb === 'cancel' ? 'canceled' : `${verb}d`}: ${allowed.join(', ')}.`,
    { code: 'payment_intent_unexpected_state' },
  );
}

/** `pm_card_visa` and friends become a fresh `pm_...` each time, as in Stripe test mode. */
function resolvePaymentMethod(state: StripeState, id: string, pi: PaymentIntent): PaymentMethod {
  const existing = state.paymentMethods.get(id);
  if (existing) return existing;
  const card = TEST_CARDS[id];
  if (!card) throw noSuch('PaymentMethod', id, 'payment_method', 400);
  const customer = pi.customer ? state.customers.get(pi.customer) : undefined;
  const pm = newPaymentMethod({
    id: state.mint('pm_', 24),
    created: state.now(),
    card,
    customer: null,
    name: customer?.name ?? null,
    email: customer?.email ?? null,
  });
  state.paymentMethods.set(pm.id, pm);
  return pm;
}

const CONFIRMABLE: PaymentIntentStatus[] = [
  'requires_confirmation',
  'requires_action',
  'requires_payment_method',
];

/**
 * Confirms with a test card: a good card makes a succeeded charge (held for `manual` capture), a
 * declining one a failed charge, the PaymentIntent back to `requires_payment_method` and a 402.
 */
export function confirmIntent(
  state: StripeState,
  pi: PaymentIntent,
  options: { paymentMethod?: string; returnUrl?: string; offSession?: boolean },
  origin: Origin,
): PaymentIntent {
  if (!CONFIRMABLE.includes(pi.status)) throw unexpectedState(pi, 'confirm', CONFIRMABLE);
  const pmId = options.paymentMethod ?? pi.payment_method ?? undefined;
  if (!pmId) {
    throw invalidRequest(
      "You cannot confirm this PaymentIntent because it's missing a payment method. To confirm the PaymentIntent, specify a payment method with the `payment_method` parameter.",
      { code: 'payment_intent_unexpected_state' },
    );
  }
  const redirects =
    pi.automatic_payment_methods?.enabled && pi.automatic_payment_methods.allow_redirects !== 'never';
  if (redirects && !options.returnUrl && !options.offSession) {
    throw invalidRequest(
      "This PaymentIntent is configured to accept payment methods enabled in your Dashboard. Because some of these payment methods might redirect your customer off of your page, you must provide a `return_url`. If you don't want to accept redirect-based payment methods, set `automatic_payment_methods[enabled]` to `true` and `automatic_payment_methods[allow_redirects]` to `never` when creating Setup Intents and Payment Intents.",
      { param: 'return_url' },
    );
  }
  const pm = resolvePaymentMethod(state, pmId, pi);
  const card = Object.values(TEST_CARDS).find((c) => c.last4 === pm.card.last4 && c.brand === pm.card.brand);
  const decline = card?.decline;
  const manual = pi.capture_method === 'manual';
  const charge = newCharge({
    id: state.mint('ch_', 24),
    created: state.now(),
    pi,
    pm,
    status: decline ? 'failed' : 'succeeded',
    captured: !manual,
    balanceTransaction: manual ? null : state.mint('txn_', 24),
    riskScore: state.random.int(5, 60),
    decline,
  });
  state.charges.set(charge.id, charge);
  pi.latest_charge = charge.id;

  if (decline) {
    pi.status = 'requires_payment_method';
    pi.payment_method = null;
    pi.last_payment_error = {
      type: 'card_error',
      code: decline.code,
      decline_code: decline.decline_code,
      message: decline.message,
      charge: charge.id,
      doc_url: `https://stripe.com/docs/error-codes/${decline.code.replace(/_/g, '-')}`,
      payment_method: structuredClone(pm),
    };
    state.emit('charge.failed', charge, origin);
    state.emit('payment_intent.payment_failed', pi, origin);
    throw stripeError(402, {
      type: 'card_error',
      code: decline.code,
      decline_code: decline.decline_code,
      message: decline.message,
      charge: charge.id,
      payment_intent: structuredClone(pi),
      payment_method: structuredClone(pm),
    });
  }
  pi.payment_method = pm.id;
  pi.last_payment_error = null;
  state.emit('charge.succeeded', charge, origin);
  if (manual) {
    pi.status = 'requires_capture';
    pi.amount_capturable = pi.amount;
    state.emit('payment_intent.amount_capturable_updated', pi, origin);
  } else {
    pi.status = 'succeeded';
    pi.amount_received = pi.amount;
    state.emit('payment_intent.succeeded', pi, origin);
  }
  return pi;
}

/** A `processing` payment settles (bank debits do this days later): the admin "succeed-payment" action. */
export function settleProcessing(state: StripeState, pi: PaymentIntent, origin: Origin): PaymentIntent {
  if (pi.status !== 'processing') {
    throw invalidRequest(
      `PaymentIntent ${pi.id} has status ${pi.status}; only a processing one can succeed.`,
    );
  }
  const charge = pi.latest_charge ? state.charges.get(pi.latest_charge) : undefined;
  if (charge) {
    charge.status = 'succeeded';
    charge.paid = true;
    charge.captured = true;
    charge.amount_captured = charge.amount;
    charge.balance_transaction = state.mint('txn_', 24);
    state.emit('charge.succeeded', charge, origin);
  }
  pi.status = 'succeeded';
  pi.amount_received = pi.amount;
  state.emit('payment_intent.succeeded', pi, origin);
  return pi;
}

export const paymentIntentSearch: SearchResource<PaymentIntent> = {
  name: 'payment_intents',
  fields: {
    amount: { kind: 'number', get: (pi) => pi.amount },
    created: { kind: 'number', get: (pi) => pi.created },
    currency: { kind: 'token', get: (pi) => pi.currency },
    customer: { kind: 'token', get: (pi) => pi.customer },
    status: { kind: 'token', get: (pi) => pi.status },
  },
  metadata: (pi) => pi.metadata,
};

const EDITABLE: PaymentIntentStatus[] = [
  'requires_payment_method',
  'requires_confirmation',
  'requires_action',
];
const CANCELABLE: PaymentIntentStatus[] = [
  'requires_payment_method',
  'requires_capture',
  'requires_confirmation',
  'requires_action',
  'processing',
];

export function paymentIntentRoutes(state: StripeState): Route[] {
  const idOf = (params: Record<string, string>) => params.id ?? '';
  return [
    route('POST', '/v1/payment_intents', 'payment_intents.create', ({ form, origin, apiVersion }) => {
      const params = readParams(form, CREATE_SPECS);
      const types = requestedTypes(params, apiVersion);
      const currency = checkMoney(params.amount, params.currency);
      const customer = params.customer ? liveCustomer(state, params.customer, 'customer', 400) : undefined;
      if (types && params.automatic_payment_methods?.enabled) {
        throw invalidRequest(
          'You may only specify one of these parameters: automatic_payment_methods, allowed_payment_method_types.',
          { code: 'parameters_exclusive' },
        );
      }
      const pi = newPaymentIntent({
        id: state.mint('pi_', 24),
        clientSecret: '',
        created: state.now(),
        amount: params.amount,
        currency,
        customer: customer?.id ?? null,
        description: params.description ?? null,
        metadata: applyMetadata({}, params.metadata),
        allowedTypes: types,
        captureMethod: params.capture_method as PaymentIntent['capture_method'] | undefined,
        receiptEmail: params.receipt_email,
      });
      pi.client_secret = `${pi.id}_secret_${state.random.string(25)}`;
      pi.statement_descriptor_suffix = params.statement_descriptor_suffix ?? null;
      if (params.automatic_payment_methods) {
        pi.automatic_payment_methods = {
          enabled: params.automatic_payment_methods.enabled,
          allow_redirects: (params.automatic_payment_methods.allow_redirects ?? 'always') as
            'always' | 'never',
        };
      }
      if (params.payment_method) {
        pi.payment_method = resolvePaymentMethod(state, params.payment_method, pi).id;
        pi.status = 'requires_confirmation';
      }
      state.paymentIntents.set(pi.id, pi);
      state.emit('payment_intent.created', pi, origin);
      if (params.confirm) {
        confirmIntent(state, pi, { returnUrl: params.return_url, offSession: params.off_session }, origin);
      }
      return expandObject(state, pi, 'payment_intent', params.expand);
    }),
    route('GET', '/v1/payment_intents', 'payment_intents.list', ({ form }) => {
      const params = readParams(form, { ...LIST_SPECS, ...CREATED_SPEC, customer: { type: 'string' } });
      const page = paginate({
        all: newestFirst(state.paymentIntents),
        keep: (pi) =>
          inRange(pi.created, params.created) &&
          (params.customer === undefined || pi.customer === params.customer),
        params,
        url: '/v1/payment_intents',
        objectName: 'payment_intent',
      });
      return { ...page, data: expandList(state, page.data, 'payment_intent', params.expand).data };
    }),
    route('GET', '/v1/payment_intents/search', 'payment_intents.search', ({ form }) => {
      const params = readParams(form, SEARCH_SPECS);
      const { page, total } = search({
        all: newestFirst(state.paymentIntents),
        resource: paymentIntentSearch,
        params,
        url: '/v1/payment_intents/search',
      });
      const expanded = expandList(state, page.data, 'payment_intent', params.expand);
      return { ...page, data: expanded.data, ...(expanded.totalCount ? { total_count: total } : {}) };
    }),
    route('GET', '/v1/payment_intents/:id', 'payment_intents.retrieve', ({ req, form }) => {
      const params = readParams(form, { expand: { type: 'expand' }, client_secret: { type: 'string' } });
      return expandObject(state, findIntent(state, idOf(req.params)), 'payment_intent', params.expand);
    }),
    route('POST', '/v1/payment_intents/:id', 'payment_intents.update', ({ req, form, apiVersion }) => {
      const params = readParams(form, UPDATE_SPECS);
      const types = requestedTypes(params, apiVersion);
      const pi = findIntent(state, idOf(req.params));
      for (const field of [
        'amount',
        'currency',
        'payment_method',
        'allowed_payment_method_types',
        'payment_method_types',
        'capture_method',
      ] as const) {
        if (params[field] !== undefined && !EDITABLE.includes(pi.status)) {
          throw invalidRequest(
            `This PaymentIntent's ${field} could not be updated because it has a status of ${pi.status}. You may only update the ${field} of a PaymentIntent with one of the following statuses: ${EDITABLE.join(', ')}.`,
            { param: field, code: 'payment_intent_unexpected_state' },
          );
        }
      }
      const amount = params.amount ?? pi.amount;
      const currency = checkMoney(amount, params.currency ?? pi.currency);
      if (params.customer !== undefined)
        pi.customer = liveCustomer(state, params.customer, 'customer', 400).id;
      pi.amount = amount;
      pi.currency = currency;
      if (params.description !== undefined) pi.description = params.description;
      if (params.receipt_email !== undefined) pi.receipt_email = params.receipt_email;
      if (params.statement_descriptor_suffix !== undefined) {
        pi.statement_descriptor_suffix = params.statement_descriptor_suffix;
      }
      if (params.capture_method !== undefined)
        pi.capture_method = params.capture_method as PaymentIntent['capture_method'];
      if (types !== undefined) {
        pi.allowed_payment_method_types = types;
        pi.payment_method_types = types;
        pi.automatic_payment_methods = null;
      }
      if (params.payment_method !== undefined) {
        pi.payment_method = resolvePaymentMethod(state, params.payment_method, pi).id;
        pi.status = 'requires_confirmation';
      }
      pi.metadata = applyMetadata(pi.metadata, params.metadata);
      // Stripe has no payment_intent.updated event type: updates are silent.
      return expandObject(state, pi, 'payment_intent', params.expand);
    }),
    route('POST', '/v1/payment_intents/:id/confirm', 'payment_intents.confirm', ({ req, form, origin }) => {
      const params = readParams(form, {
        payment_method: { type: 'string' },
        receipt_email: NULLABLE_STRING,
        return_url: { type: 'string' },
        off_session: { type: 'boolean' },
        capture_method: { type: 'string', enum: CAPTURE_METHODS },
        expand: { type: 'expand' },
      });
      const pi = findIntent(state, idOf(req.params));
      if (params.receipt_email !== undefined) pi.receipt_email = params.receipt_email;
      if (params.capture_method !== undefined)
        pi.capture_method = params.capture_method as PaymentIntent['capture_method'];
      confirmIntent(
        state,
        pi,
        {
          paymentMethod: params.payment_method,
          returnUrl: params.return_url,
          offSession: params.off_session,
        },
        origin,
      );
      return expandObject(state, pi, 'payment_intent', params.expand);
    }),
    route('POST', '/v1/payment_intents/:id/capture', 'payment_intents.capture', ({ req, form, origin }) => {
      const params = readParams(form, {
        amount_to_capture: { type: 'integer', min: 1 },
        metadata: { type: 'metadata' },
        expand: { type: 'expand' },
      });
      const pi = findIntent(state, idOf(req.params));
      if (pi.status !== 'requires_capture') {
        throw invalidRequest(
          `This PaymentIntent could not be captured because it has a status of ${pi.status}. Only a PaymentIntent with one of the following statuses may be captured: requires_capture.`,
          { code: 'payment_intent_unexpected_state' },
        );
      }
      const amount = params.amount_to_capture ?? pi.amount_capturable;
      if (amount > pi.amount_capturable) {
        throw invalidRequest(
          `The amount to capture (${amount}) must be less than or equal to the amount capturable (${pi.amount_capturable}).`,
          { param: 'amount_to_capture', code: 'amount_too_large' },
        );
      }
      const charge = state.charges.get(pi.latest_charge ?? '');
      if (charge) {
        charge.captured = true;
        charge.amount_captured = amount;
        // An uncaptured remainder is released, which Stripe reports as refunded.
        charge.amount_refunded = charge.amount - amount;
        charge.balance_transaction = state.mint('txn_', 24);
        state.emit('charge.captured', charge, origin);
      }
      pi.status = 'succeeded';
      pi.amount_received = amount;
      pi.amount_capturable = 0;
      pi.metadata = applyMetadata(pi.metadata, params.metadata);
      state.emit('payment_intent.succeeded', pi, origin);
      return expandObject(state, pi, 'payment_intent', params.expand);
    }),
    route('POST', '/v1/payment_intents/:id/cancel', 'payment_intents.cancel', ({ req, form, origin }) => {
      const params = readParams(form, {
        cancellation_reason: {
          type: 'string',
          enum: ['duplicate', 'fraudulent', 'requested_by_customer', 'abandoned'],
        },
        expand: { type: 'expand' },
      });
      const pi = findIntent(state, idOf(req.params));
      if (!CANCELABLE.includes(pi.status)) throw unexpectedState(pi, 'cancel', CANCELABLE);
      if (pi.status === 'requires_capture') {
        const charge = state.charges.get(pi.latest_charge ?? '');
        if (charge) {
          charge.amount_refunded = charge.amount;
          charge.refunded = true;
        }
        pi.amount_capturable = 0;
      }
      pi.status = 'canceled';
      pi.canceled_at = state.now();
      pi.cancellation_reason = params.cancellation_reason ?? null;
      state.emit('payment_intent.canceled', pi, origin);
      return expandObject(state, pi, 'payment_intent', params.expand);
    }),
  ];
}
