import type { Route, SandboxRequest, SandboxResponse } from '../../../src/sandbox/kit/http.ts';
import { escapeHtml, htmlPage } from '../../../src/sandbox/kit/oauth.ts';
import { route } from './api.ts';
import { liveCustomer } from './customers.ts';
import { invalidRequest, missingParam, noSuch } from './errors.ts';
import { applyMetadata, readParams } from './form.ts';
import {
  CREATED_SPEC,
  LIST_SPECS,
  expandList,
  expandObject,
  inRange,
  newestFirst,
  paginate,
} from './lists.ts';
import { HOSTED_PREFIX, newCheckoutSession, type CheckoutSession } from './objects.ts';
import { checkMoney, confirmIntent, createIntent, formatMoney } from './payment-intents.ts';
import { ADMIN_ORIGIN, type CheckoutSessionRecord, type StripeState } from './state.ts';

// https://docs.stripe.com/api/checkout/sessions

/** Stripe accepts `expires_at` from 30 minutes to 24 hours after creation (default 24 hours). */
const MIN_LIFETIME_SECONDS = 30 * 60;
const MAX_LIFETIME_SECONDS = 24 * 3_600;
/** Paying on the sandbox's page always uses this test card: it succeeds. */
const PAGE_CARD = 'pm_card_visa';

const LINE_ITEM_FIELDS = {
  price: { type: 'string' },
  price_data: {
    type: 'object',
    fields: {
      currency: { type: 'string', required: true },
      unit_amount: { type: 'integer', min: 0, max: 99_999_999 },
      product_data: {
        type: 'object',
        required: true,
        fields: {
          name: { type: 'string', required: true, max: 5000 },
          description: { type: 'string', max: 40_000 },
        },
      },
    },
  },
  quantity: { type: 'integer', min: 1, max: 999_999 },
} as const;

const CREATE_SPECS = {
  mode: { type: 'string', required: true, enum: ['payment', 'setup', 'subscription'] },
  line_items: { type: 'objects', fields: LINE_ITEM_FIELDS },
  customer: { type: 'string' },
  customer_email: { type: 'string', max: 800 },
  client_reference_id: { type: 'string', max: 200 },
  metadata: { type: 'metadata' },
  payment_intent_data: {
    type: 'object',
    fields: {
      metadata: { type: 'metadata' },
      description: { type: 'string', max: 1000 },
    },
  },
  success_url: { type: 'string', max: 5000 },
  cancel_url: { type: 'string', max: 5000 },
  expires_at: { type: 'integer' },
  expand: { type: 'expand' },
} as const;

const STATUSES = ['open', 'complete', 'expired'] as const;

function checkUrl(url: string, param: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return url;
  } catch {
    // answered below
  }
  throw invalidRequest('Not a valid URL', { param, code: 'url_invalid' });
}

export function findSession(
  state: StripeState,
  id: string,
  param = 'id',
  status = 404,
): CheckoutSessionRecord {
  const record = state.checkoutSessions.get(id);
  if (!record) throw noSuch('checkout.session', id, param, status);
  return record;
}

/** Ends an open session: `expired`, no url, `checkout.session.expired`. */
export function expireSession(state: StripeState, record: CheckoutSessionRecord, origin = ADMIN_ORIGIN) {
  const { session } = record;
  if (session.status !== 'open') {
    throw invalidRequest(
      `Only Checkout Sessions with a status in ["open"] can be expired. This Checkout Session has a status of "${session.status}".`,
      { code: 'checkout_session_unexpected_state' },
    );
  }
  session.status = 'expired';
  session.url = null;
  state.emit('checkout.session.expired', session, origin);
  return session;
}

/**
 * Sessions whose `expires_at` has passed on the sandbox's clock become expired (Stripe does this on
 * its own schedule, within minutes; here on every read and on the server's timer). No request
 * caused it, so the event's `request` is null, as Stripe's is.
 */
export function expireDue(state: StripeState): void {
  const now = state.now();
  for (const record of state.checkoutSessions.values()) {
    if (record.session.status === 'open' && record.session.expires_at <= now) expireSession(state, record);
  }
}

/**
 * The customer pays on the hosted page: a payment intent made from the session and
 * `payment_intent_data`, confirmed with a test card through the payment-intent machinery (so
 * `payment_intent.created`, `charge.succeeded`, `payment_intent.succeeded`), then the session is
 * complete and `checkout.session.completed` follows, in that order, as Stripe sends them.
 */
export function paySession(state: StripeState, record: CheckoutSessionRecord): CheckoutSession {
  const { session } = record;
  const customer = session.customer ? state.customers.get(session.customer) : undefined;
  const pi = createIntent(
    state,
    {
      amount: session.amount_total,
      currency: session.currency,
      customer: session.customer,
      description: record.paymentIntentData.description,
      metadata: { ...record.paymentIntentData.metadata },
      allowedTypes: ['card'],
      captureMethod: 'automatic_async',
      receiptEmail: null,
    },
    ADMIN_ORIGIN,
  );
  confirmIntent(state, pi, { paymentMethod: PAGE_CARD, offSession: true }, ADMIN_ORIGIN);
  session.status = 'complete';
  session.payment_status = 'paid';
  session.payment_intent = pi.id;
  session.url = null;
  session.customer_details = {
    address: null,
    email: customer?.email ?? session.customer_email,
    name: customer?.name ?? null,
    phone: null,
    tax_exempt: 'none',
    tax_ids: [],
  };
  state.emit('checkout.session.completed', session, ADMIN_ORIGIN);
  return session;
}

function createSession(state: StripeState, req: SandboxRequest, params: ReturnType<typeof readCreate>) {
  if (params.mode !== 'payment') {
    throw invalidRequest(
      `The sandbox implements Checkout in payment mode only; mode=${params.mode} is not supported.`,
      { param: 'mode' },
    );
  }
  const items = params.line_items ?? [];
  if (items.length === 0) {
    throw invalidRequest('line_items is required in `payment` mode.', {
      param: 'line_items',
      code: 'parameter_missing',
    });
  }
  if (items.length > 1) {
    throw invalidRequest('The sandbox supports one line item per Checkout Session.', {
      param: 'line_items[1]',
    });
  }
  const item = items[0]!;
  const name = 'line_items[0]';
  if (item.price !== undefined) throw noSuch('price', item.price, `${name}[price]`, 400);
  if (!item.price_data) throw missingParam(`${name}[price_data]`);
  if (item.quantity === undefined) throw missingParam(`${name}[quantity]`);
  if (item.price_data.unit_amount === undefined) throw missingParam(`${name}[price_data][unit_amount]`);
  const amount = item.price_data.unit_amount * item.quantity;
  const currency = checkMoney(amount, item.price_data.currency, {
    amount: `${name}[price_data][unit_amount]`,
    currency: `${name}[price_data][currency]`,
  });

  if (params.customer !== undefined && params.customer_email !== undefined) {
    throw invalidRequest('You may only specify one of these parameters: customer, customer_email.', {
      code: 'parameters_exclusive',
    });
  }
  const customer = params.customer ? liveCustomer(state, params.customer, 'customer', 400) : undefined;
  if (params.customer_email !== undefined && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(params.customer_email)) {
    throw invalidRequest(`Invalid email address: ${params.customer_email}`, {
      param: 'customer_email',
      code: 'email_invalid',
    });
  }
  if (params.success_url === undefined) throw missingParam('success_url');
  const successUrl = checkUrl(params.success_url, 'success_url');
  const cancelUrl = params.cancel_url === undefined ? null : checkUrl(params.cancel_url, 'cancel_url');

  const created = state.now();
  const expiresAt = params.expires_at ?? created + MAX_LIFETIME_SECONDS;
  if (expiresAt < created + MIN_LIFETIME_SECONDS) {
    throw invalidRequest(
      'The `expires_at` timestamp must be at least 30 minutes from Checkout Session creation.',
      { param: 'expires_at' },
    );
  }
  if (expiresAt > created + MAX_LIFETIME_SECONDS) {
    throw invalidRequest(
      'The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.',
      {
        param: 'expires_at',
      },
    );
  }

  const id = state.mint('cs_test_', 58);
  const host = req.headers.host ?? '127.0.0.1';
  const record: CheckoutSessionRecord = {
    session: newCheckoutSession({
      id,
      created,
      amount,
      currency,
      customer: customer?.id ?? null,
      customerEmail: params.customer_email ?? null,
      expiresAt,
      metadata: applyMetadata({}, params.metadata),
      successUrl,
      cancelUrl,
      clientReferenceId: params.client_reference_id ?? null,
      url: `http://${host}${HOSTED_PREFIX}${id}`,
    }),
    lineItem: {
      name: item.price_data.product_data.name,
      description: item.price_data.product_data.description ?? null,
      unitAmount: item.price_data.unit_amount,
      quantity: item.quantity,
    },
    paymentIntentData: {
      description: params.payment_intent_data?.description ?? null,
      metadata: applyMetadata({}, params.payment_intent_data?.metadata),
    },
  };
  state.checkoutSessions.set(id, record);
  // Stripe emits no event when a session is created.
  return record.session;
}

const readCreate = (form: Parameters<typeof readParams>[0]) => readParams(form, CREATE_SPECS);

export function checkoutSessionRoutes(state: StripeState): Route[] {
  const idOf = (req: SandboxRequest) => req.params.id ?? '';
  return [
    route('POST', '/v1/checkout/sessions', 'checkout.sessions.create', ({ req, form }) => {
      const params = readCreate(form);
      expireDue(state);
      const session = createSession(state, req, params);
      return expandObject(state, session, 'checkout_session', params.expand);
    }),
    route('GET', '/v1/checkout/sessions', 'checkout.sessions.list', ({ form }) => {
      const params = readParams(form, {
        ...LIST_SPECS,
        ...CREATED_SPEC,
        customer: { type: 'string' },
        payment_intent: { type: 'string' },
        status: { type: 'string', enum: STATUSES },
      });
      expireDue(state);
      const page = paginate({
        all: newestFirst(state.checkoutSessions).map((r) => r.session),
        keep: (s) =>
          inRange(s.created, params.created) &&
          (params.customer === undefined || s.customer === params.customer) &&
          (params.payment_intent === undefined || s.payment_intent === params.payment_intent) &&
          (params.status === undefined || s.status === params.status),
        params,
        url: '/v1/checkout/sessions',
        objectName: 'checkout.session',
      });
      return { ...page, data: expandList(state, page.data, 'checkout_session', params.expand).data };
    }),
    route('GET', '/v1/checkout/sessions/:id', 'checkout.sessions.retrieve', ({ req, form }) => {
      const params = readParams(form, { expand: { type: 'expand' } });
      expireDue(state);
      return expandObject(state, findSession(state, idOf(req)).session, 'checkout_session', params.expand);
    }),
    route('POST', '/v1/checkout/sessions/:id/expire', 'checkout.sessions.expire', ({ req, form, origin }) => {
      const params = readParams(form, { expand: { type: 'expand' } });
      expireDue(state);
      const session = expireSession(state, findSession(state, idOf(req)), origin);
      return expandObject(state, session, 'checkout_session', params.expand);
    }),
    ...hostedPageRoutes(state),
  ];
}

// ---------------------------------------------------------------------------------------------
// The hosted page (a browser's, so no API key; see the middleware in api.ts)

const notFoundPage = (id: string) =>
  htmlPage(
    404,
    'Checkout: not found',
    `<h1>Something went wrong</h1><p>No Checkout Session ${escapeHtml(id)} exists in this account.</p>`,
  );

/** An expired session is gone (410); a paid one shows as done, and paying it again is refused (400). */
function finishedPage(session: CheckoutSession, paying: boolean): SandboxResponse {
  return session.status === 'expired'
    ? htmlPage(
        410,
        'Checkout: expired',
        `<h1>This checkout session has expired</h1><p>The link is no longer valid; no payment was taken. Ask for a new link.</p>`,
      )
    : htmlPage(
        paying ? 400 : 200,
        'Checkout: already paid',
        `<h1>This checkout session is already complete</h1><p>It has been paid; nothing more was charged.</p>`,
      );
}

function hostedPageRoutes(state: StripeState): Route[] {
  const load = (req: SandboxRequest) => {
    expireDue(state);
    return state.checkoutSessions.get(req.params.id ?? '');
  };
  return [
    {
      method: 'GET',
      path: `${HOSTED_PREFIX}:id`,
      operation: 'checkout.page',
      handler: (req) => {
        const record = load(req);
        if (!record) return notFoundPage(req.params.id ?? '');
        const { session, lineItem } = record;
        if (session.status !== 'open') return finishedPage(session, false);
        const amount = formatMoney(session.amount_total, session.currency);
        const business = state.business.name;
        const description = record.paymentIntentData.description ?? lineItem.name;
        const cancel = session.cancel_url
          ? `<p><a href="${escapeHtml(session.cancel_url)}" role="button">Cancel</a></p>`
          : '';
        return htmlPage(
          200,
          `Pay ${business}`,
          `<h1>Pay ${escapeHtml(business)}</h1>
<p>${escapeHtml(description)}</p>
<p>${escapeHtml(lineItem.name)} × ${lineItem.quantity}</p>
<p><strong>${escapeHtml(amount)}</strong></p>
<form method="post" action="${escapeHtml(`${HOSTED_PREFIX}${session.id}/pay`)}">
<button type="submit">Pay</button>
</form>
${cancel}
<p><small>Stripe sandbox: paying uses the test card 4242 4242 4242 4242 and always succeeds.</small></p>`,
        );
      },
    },
    {
      method: 'POST',
      path: `${HOSTED_PREFIX}:id/pay`,
      operation: 'checkout.page.pay',
      handler: (req) => {
        const record = load(req);
        if (!record) return notFoundPage(req.params.id ?? '');
        if (record.session.status !== 'open') return finishedPage(record.session, true);
        const session = paySession(state, record);
        const location = session.success_url.replaceAll('{CHECKOUT_SESSION_ID}', session.id);
        return { status: 303, headers: { Location: location, 'Cache-Control': 'no-store' } };
      },
    },
  ];
}
