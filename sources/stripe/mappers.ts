import type {
  InvoiceRef,
  Money,
  OrderStatus,
  PaymentLink,
  PaymentLinkStatus,
  PaymentOrder,
  PersonRecord,
  Refund,
} from '../../src/domain/model.ts';
import { SourceError } from '../../src/domain/errors.ts';
import { createReader } from '../../src/upstream/validate.ts';

/** A customer as Stripe's v1 API returns it (https://docs.stripe.com/api/customers/object), fields the hub reads. */
export interface StripeCustomer {
  id: string;
  object: 'customer';
  name: string | null;
  email: string | null;
  phone: string | null;
  description: string | null;
  /** Unix seconds. */
  created: number;
  metadata: Record<string, string>;
}

/** What `GET /v1/customers/:id` answers (with 200) for a deleted customer. */
export interface StripeDeletedCustomer {
  id: string;
  object: 'customer';
  deleted: true;
}

/** A refund (https://docs.stripe.com/api/refunds/object). */
export interface StripeRefund {
  id: string;
  amount: number;
  currency: string;
  status: string;
  created: number;
}

/** A charge (https://docs.stripe.com/api/charges/object); `refunds` only when expanded or on old API versions. */
export interface StripeCharge {
  id: string;
  amount_refunded: number;
  refunds?: StripeList<StripeRefund>;
}

/** A payment intent (https://docs.stripe.com/api/payment_intents/object), read with `latest_charge` expanded. */
export interface StripePaymentIntent {
  id: string;
  object: 'payment_intent';
  amount: number;
  amount_received: number;
  currency: string;
  customer: string | StripeCustomer | null;
  description: string | null;
  status: StripePaymentIntentStatus;
  latest_charge: StripeCharge | string | null;
  metadata: Record<string, string>;
  created: number;
}

export type StripePaymentIntentStatus =
  | 'requires_payment_method'
  | 'requires_confirmation'
  | 'requires_action'
  | 'processing'
  | 'requires_capture'
  | 'canceled'
  | 'succeeded';

/** A Checkout Session (https://docs.stripe.com/api/checkout/sessions/object), the fields the hub reads. */
export interface StripeCheckoutSession {
  id: string;
  object: 'checkout.session';
  mode: 'payment' | 'setup' | 'subscription';
  status: 'open' | 'complete' | 'expired';
  payment_status: 'paid' | 'unpaid' | 'no_payment_required';
  /** The hosted page; null once the session is complete or expired. */
  url: string | null;
  amount_total: number | null;
  currency: string | null;
  customer: string | StripeCustomer | null;
  payment_intent: string | StripePaymentIntent | null;
  metadata: Record<string, string> | null;
  /** Unix seconds. */
  expires_at: number;
  created: number;
}

/** List envelope (https://docs.stripe.com/api/pagination). */
export interface StripeList<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
}

/** Search envelope (https://docs.stripe.com/api/pagination/search). */
export interface StripeSearchResult<T> {
  object: 'search_result';
  data: T[];
  has_more: boolean;
  next_page: string | null;
}

const read = createReader('stripe');

const STATUSES: Record<StripePaymentIntentStatus, OrderStatus> = {
  requires_payment_method: 'REQUIRES_PAYMENT_METHOD',
  requires_confirmation: 'REQUIRES_CONFIRMATION',
  requires_action: 'REQUIRES_ACTION',
  processing: 'PROCESSING',
  requires_capture: 'REQUIRES_CAPTURE',
  succeeded: 'SUCCEEDED',
  canceled: 'CANCELED',
};

/** Links into the Dashboard: test-mode records live under `/test`. */
export interface DashboardLinks {
  testMode: boolean;
}

/** Test keys (secret or restricted) only see test-mode data, so their records live under `/test`. */
export function isTestKey(apiKey: string): boolean {
  return /^(sk|rk)_test_/.test(apiKey);
}

export function dashboardUrl(links: DashboardLinks, section: 'customers' | 'payments', id: string): string {
  return `https://dashboard.stripe.com${links.testMode ? '/test' : ''}/${section}/${encodeURIComponent(id)}`;
}

const bad = (message: string): never => {
  throw new SourceError('stripe', 'UPSTREAM_ERROR', `stripe sent an unexpected response: ${message}`);
};

/** Stripe timestamps are unix seconds (the shared reader takes bare numbers as milliseconds). */
function unixSeconds(obj: Record<string, unknown>, key: string, what: string): Date {
  return new Date(read.number(obj, key, what) * 1000);
}

function money(obj: Record<string, unknown>, key: string, currency: string, what: string): Money {
  const amount = read.number(obj, key, what);
  if (!Number.isInteger(amount))
    bad(`${what}.${key} should be an integer amount in minor units, got ${amount}`);
  return { amount, currency };
}

/**
 * Where a payment intent keeps the invoice it is paid against: metadata the hub writes
 * (`switchboard_invoice_system`, `switchboard_invoice_id`, `invoice_number`). Orders placed before
 * the system was recorded carry `xero_invoice_id` instead, which can only mean a Xero invoice.
 */
export const INVOICE_METADATA = {
  system: 'switchboard_invoice_system',
  id: 'switchboard_invoice_id',
  number: 'invoice_number',
  legacyXeroId: 'xero_invoice_id',
} as const;

export function invoiceRefOf(metadata: Record<string, string>): InvoiceRef | null {
  const number = metadata[INVOICE_METADATA.number] || null;
  const system = metadata[INVOICE_METADATA.system];
  const id = metadata[INVOICE_METADATA.id];
  if (system && id) return { system, id, number };
  const legacy = metadata[INVOICE_METADATA.legacyXeroId];
  return legacy ? { system: 'xero', id: legacy, number } : null;
}

function metadataOf(value: unknown, what: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(read.object(value, `${what}.metadata`))) {
    if (typeof v === 'string') out[key] = v;
  }
  return out;
}

/** True for the `{id, object:'customer', deleted:true}` stub Stripe answers for a deleted customer. */
export function isDeletedCustomer(raw: unknown): boolean {
  return typeof raw === 'object' && raw !== null && (raw as { deleted?: unknown }).deleted === true;
}

/**
 * Stripe holds one `name`; the split is on the LAST space, so "Mary Ann Smith" is first "Mary Ann",
 * last "Smith" (double-barrelled given names are commoner in the studio's data than multi-word
 * surnames). One word is a first name with no last name.
 */
export function splitName(name: string | null): { firstName: string | null; lastName: string | null } {
  const trimmed = name?.trim();
  if (!trimmed) return { firstName: null, lastName: null };
  const at = trimmed.lastIndexOf(' ');
  if (at === -1) return { firstName: trimmed, lastName: null };
  return { firstName: trimmed.slice(0, at).trim(), lastName: trimmed.slice(at + 1) };
}

export function toPersonRecord(raw: unknown, links: DashboardLinks): PersonRecord {
  const customer = read.object(raw, 'customer');
  const id = read.string(customer, 'id', 'customer');
  const what = `customer ${id}`;
  if (isDeletedCustomer(customer)) bad(`${what} is deleted`);
  const name = read.optionalString(customer, 'name');
  return {
    source: 'stripe',
    externalId: id,
    email: read.optionalString(customer, 'email'),
    ...splitName(name),
    name,
    phone: read.optionalString(customer, 'phone'),
    // Stripe has no company field; `description` is free text, so it is not read as one.
    company: null,
    createdAt: unixSeconds(customer, 'created', what),
    // Stripe keeps no last-modified time on customers.
    updatedAt: null,
    url: dashboardUrl(links, 'customers', id),
  };
}

function toRefund(raw: unknown, currency: string, what: string): Refund {
  const refund = read.object(raw, `${what} refund`);
  const id = read.string(refund, 'id', `${what} refund`);
  const refundWhat = `refund ${id}`;
  const refundCurrency = read.optionalString(refund, 'currency')?.toUpperCase() ?? currency;
  return {
    externalId: id,
    amount: money(refund, 'amount', refundCurrency, refundWhat),
    status: read.string(refund, 'status', refundWhat),
    createdAt: unixSeconds(refund, 'created', refundWhat),
  };
}

/** A refund as `POST /v1/refunds` answers it (https://docs.stripe.com/api/refunds/object). */
export function toRefundRecord(raw: unknown): Refund {
  const refund = read.object(raw, 'refund');
  const what = `refund ${read.string(refund, 'id', 'refund')}`;
  return toRefund(refund, read.string(refund, 'currency', what).toUpperCase(), 'POST /v1/refunds');
}

/**
 * `latest_charge` must be expanded: as a bare id it says nothing about refunds, and reading that as
 * "nothing refunded" would be silently wrong. Refunds come from the charge's `refunds` list only when
 * Stripe included it (expanded, or older API versions); the connector does not ask for it (see
 * source.ts), so on the pinned version `refunds` is usually empty and `amountRefunded` is the truth.
 */
function chargeFacts(raw: unknown, currency: string, what: string): { refunded: number; refunds: Refund[] } {
  if (raw === null || raw === undefined) return { refunded: 0, refunds: [] };
  if (typeof raw === 'string')
    return bad(`${what}.latest_charge should be an expanded charge, got the id ${raw}`);
  const charge = read.object(raw, `${what}.latest_charge`);
  const chargeWhat = `${what}.latest_charge`;
  const refunded = money(charge, 'amount_refunded', currency, chargeWhat).amount;
  const list =
    charge.refunds === undefined || charge.refunds === null
      ? undefined
      : read.object(charge.refunds, `${chargeWhat}.refunds`);
  const refunds = list
    ? read.array(list.data ?? [], `${chargeWhat}.refunds.data`).map((r) => toRefund(r, currency, chargeWhat))
    : [];
  return { refunded, refunds };
}

export function toPaymentOrder(raw: unknown, links: DashboardLinks): PaymentOrder {
  const intent = read.object(raw, 'payment intent');
  const id = read.string(intent, 'id', 'payment intent');
  const what = `payment intent ${id}`;
  const currency = read.string(intent, 'currency', what).toUpperCase();
  const rawStatus = read.string(intent, 'status', what);
  const status = Object.hasOwn(STATUSES, rawStatus)
    ? STATUSES[rawStatus as StripePaymentIntentStatus]
    : undefined;
  if (!status) bad(`${what}.status should be a PaymentIntent status, got "${rawStatus}"`);
  const customer = intent.customer;
  const customerExternalId =
    customer === null || customer === undefined
      ? null
      : typeof customer === 'string'
        ? customer
        : read.string(read.object(customer, `${what}.customer`), 'id', `${what}.customer`);
  const charge = chargeFacts(intent.latest_charge, currency, what);
  const metadata = metadataOf(intent.metadata, what);
  return {
    source: 'stripe',
    externalId: id,
    customerExternalId,
    description: read.optionalString(intent, 'description'),
    amount: money(intent, 'amount', currency, what),
    amountReceived: money(intent, 'amount_received', currency, what),
    amountRefunded: { amount: charge.refunded, currency },
    status: status as OrderStatus,
    refunds: charge.refunds,
    invoiceRef: invoiceRefOf(metadata),
    invoiceNumber: metadata[INVOICE_METADATA.number] || null,
    metadata,
    createdAt: unixSeconds(intent, 'created', what),
    url: dashboardUrl(links, 'payments', id),
  };
}

/** An id field that may have been expanded into its object. */
function idOrExpanded(obj: Record<string, unknown>, key: string, what: string): string | null {
  const value = obj[key];
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  return read.string(read.object(value, `${what}.${key}`), 'id', `${what}.${key}`);
}

/**
 * Where a session stands for the hub. `complete` with `payment_status: unpaid` is a payment still
 * settling (a bank debit: `checkout.session.async_payment_succeeded` or `_failed` follows), so the
 * link is still OPEN until the money is there
 * (https://docs.stripe.com/payments/checkout/fulfill-orders#delayed-notification).
 */
function paymentLinkStatus(status: string, paymentStatus: string, what: string): PaymentLinkStatus {
  if (status === 'open') return 'OPEN';
  if (status === 'expired') return 'EXPIRED';
  if (status === 'complete') {
    if (paymentStatus === 'paid' || paymentStatus === 'no_payment_required') return 'PAID';
    if (paymentStatus === 'unpaid') return 'OPEN';
    return bad(
      `${what}.payment_status should be paid, unpaid or no_payment_required, got "${paymentStatus}"`,
    );
  }
  return bad(`${what}.status should be open, complete or expired, got "${status}"`);
}

/**
 * A Checkout Session as a payment link. Stripe clears `url` once a session is complete or expired
 * (the page no longer opens), so such links map to an empty `url`.
 */
export function toPaymentLink(raw: unknown): PaymentLink {
  const session = read.object(raw, 'checkout session');
  const id = read.string(session, 'id', 'checkout session');
  const what = `checkout session ${id}`;
  const mode = read.string(session, 'mode', what);
  if (mode !== 'payment') bad(`${what} is in ${mode} mode; payment links are payment-mode sessions`);
  const currency = read.string(session, 'currency', what).toUpperCase();
  return {
    source: 'stripe',
    externalId: id,
    url: read.optionalString(session, 'url') ?? '',
    status: paymentLinkStatus(
      read.string(session, 'status', what),
      read.string(session, 'payment_status', what),
      what,
    ),
    amount: money(session, 'amount_total', currency, what),
    orderExternalId: idOrExpanded(session, 'payment_intent', what),
    customerExternalId: idOrExpanded(session, 'customer', what),
    metadata: metadataOf(session.metadata, what),
    expiresAt: unixSeconds(session, 'expires_at', what),
    createdAt: unixSeconds(session, 'created', what),
  };
}
