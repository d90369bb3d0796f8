import type { VendorConnections } from '../../src/domain/connections.ts';
import { stripeLimits } from './limits.ts';
import { INVOICE_METADATA } from './mappers.ts';

const IDEMPOTENCY =
  "the step's Idempotency-Key header: Stripe replays the first answer to a retry for 24 hours";
const docs = (path: string) => `https://docs.stripe.com/api/${path}`;
const meta = (key: string) => `metadata.${key}`;

/** How Stripe connects (docs/CONNECTIONS.md); paths are checked against the mappers. */
export const stripeConnections: VendorConnections<'payments'> = {
  records: {
    person: {
      externalId: 'id',
      email: 'email',
      firstName: { from: ['name'], how: 'everything before the last space of the one name' },
      lastName: { from: ['name'], how: 'the last word of the one name' },
      name: 'name',
      phone: 'phone',
      company: { none: 'Stripe has no company field (`description` is free text)' },
      createdAt: { from: ['created'], how: 'unix seconds' },
      updatedAt: { none: 'Stripe keeps no last-modified time on customers' },
      url: { adapter: 'the Dashboard (under /test for test keys), from the id' },
    },
    order: {
      externalId: 'id',
      customerExternalId: { from: ['customer'], how: 'the id, or the expanded object’s id' },
      description: 'description',
      amount: { from: ['amount', 'currency'], how: 'minor units, currency upper-cased' },
      amountReceived: { from: ['amount_received', 'currency'], how: 'minor units' },
      amountRefunded: { from: ['latest_charge.amount_refunded', 'currency'], how: 'the expanded charge' },
      status: { from: ['status'], how: 'the PaymentIntent status, upper-cased' },
      refunds: {
        from: ['latest_charge.refunds.data[].amount', 'latest_charge.refunds.data[].status'],
        how: 'when Stripe includes the charge’s refund list',
      },
      invoiceRef: {
        from: [meta(INVOICE_METADATA.system), meta(INVOICE_METADATA.id), meta(INVOICE_METADATA.number)],
        how: `the hub's metadata (older orders: ${meta(INVOICE_METADATA.legacyXeroId)})`,
      },
      invoiceNumber: meta(INVOICE_METADATA.number),
      metadata: { from: ['metadata'], how: 'string values' },
      createdAt: { from: ['created'], how: 'unix seconds' },
      url: { adapter: 'the Dashboard payment, from the id' },
    },
  },
  writes: {
    createPaymentLink: {
      requests: [{ method: 'POST', path: '/v1/checkout/sessions', docs: docs('checkout/sessions/create') }],
      idempotency: IDEMPOTENCY,
    },
    expirePaymentLink: {
      requests: [
        { method: 'POST', path: '/v1/checkout/sessions/{id}/expire', docs: docs('checkout/sessions/expire') },
        { method: 'GET', path: '/v1/checkout/sessions/{id}', docs: docs('checkout/sessions/retrieve') },
      ],
      idempotency: `${IDEMPOTENCY}; one already complete or expired is read back and counts as done`,
    },
    createCustomer: {
      requests: [{ method: 'POST', path: '/v1/customers', docs: docs('customers/create') }],
      idempotency: IDEMPOTENCY,
    },
    updateCustomer: {
      requests: [{ method: 'POST', path: '/v1/customers/{id}', docs: docs('customers/update') }],
      idempotency: IDEMPOTENCY,
    },
    createOrder: {
      requests: [{ method: 'POST', path: '/v1/payment_intents', docs: docs('payment_intents/create') }],
      idempotency: IDEMPOTENCY,
    },
    linkInvoice: {
      requests: [{ method: 'POST', path: '/v1/payment_intents/{id}', docs: docs('payment_intents/update') }],
      idempotency: `${IDEMPOTENCY}; the metadata it sets is absolute`,
    },
    cancelOrder: {
      requests: [
        { method: 'POST', path: '/v1/payment_intents/{id}/cancel', docs: docs('payment_intents/cancel') },
        { method: 'GET', path: '/v1/payment_intents/{id}', docs: docs('payment_intents/retrieve') },
      ],
      idempotency: `${IDEMPOTENCY}; one already cancelled is read back and counts as done`,
    },
    refundOrder: {
      requests: [{ method: 'POST', path: '/v1/refunds', docs: docs('refunds/create') }],
      idempotency: IDEMPOTENCY,
    },
  },
  webhooks: {
    subscription:
      'a webhook endpoint in the Dashboard (or the sandbox), signed with its secret (Stripe-Signature)',
    events: [
      { event: 'customer.created', changes: ['person'], flags: ['created'] },
      { event: 'customer.updated', changes: ['person'], note: 'the attributes that changed' },
      { event: 'customer.deleted', changes: ['person'], flags: ['deleted'] },
      { event: 'payment_intent.succeeded', changes: ['order'], flags: ['succeeded'] },
      { event: 'payment_intent.*', changes: ['order'], note: 'any other payment intent event' },
      { event: 'charge.*', changes: ['order'], note: "the charge's payment intent (refunds, disputes)" },
      { event: 'refund.*', changes: ['order'], note: "the refund's payment intent" },
      {
        event: 'checkout.session.completed',
        changes: ['paymentLink'],
        note: 'paid, or paying by a slower method',
      },
      { event: 'checkout.session.expired', changes: ['paymentLink'], note: 'expired unpaid, or ended early' },
      {
        event: 'checkout.session.async_payment_succeeded',
        changes: ['paymentLink'],
        note: 'a slower payment arrived',
      },
      {
        event: 'checkout.session.async_payment_failed',
        changes: ['paymentLink'],
        note: 'a slower payment failed',
      },
    ],
  },
  limits: [
    { when: 'live keys', limits: stripeLimits('sk_live_') },
    { when: 'test keys', limits: stripeLimits('sk_test_') },
  ],
};
