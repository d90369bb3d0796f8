import { customerAt, type SeedOrder } from '../../../src/sandbox/seed/business.ts';
import {
  newCharge,
  newCustomer,
  newPaymentIntent,
  newPaymentMethod,
  newRefund,
  TEST_CARDS,
  type Charge,
  type Customer,
  type PaymentIntent,
  type Refund,
} from './objects.ts';
import { clearRecords, type StripeState } from './state.ts';

const DAY_SECONDS = 86_400;
const toUnix = (date: Date) => Math.floor(date.getTime() / 1000);
const byCreated = <T extends { created: number }>(items: T[]) =>
  [...items].sort((a, b) => a.created - b.created);

/**
 * Loads the seed business into the account: customers as Stripe holds them (customerAt: some are
 * missing or differ), one payment intent per order with its charge and refund, using the ids the
 * seed assigned so other sandboxes' cross references agree. Emits no events.
 */
export function loadSeed(state: StripeState): void {
  clearRecords(state);
  const { business } = state;
  const now = toUnix(business.now);
  const seedRandom = state.random.fork('seed');

  const customers: Customer[] = [];
  const stripeIdByKey = new Map<string, string>();
  const emailByKey = new Map<string, string>();
  for (const c of business.customers) {
    const at = customerAt(c, 'stripe');
    if (!at) continue;
    stripeIdByKey.set(c.key, c.ids.stripeCustomerId);
    emailByKey.set(c.key, at.email);
    customers.push(
      newCustomer({
        id: c.ids.stripeCustomerId,
        created: toUnix(c.createdAt),
        invoicePrefix: seedRandom.string(8, '0123456789ABCDEF'),
        name: `${at.firstName} ${at.lastName}`,
        email: at.email,
        phone: at.phone,
        description: at.company ?? null,
        address: {
          city: c.city,
          country: 'GB',
          line1: c.addressLine,
          line2: null,
          postal_code: c.postcode,
          state: null,
        },
        preferredLocales: ['en-GB'],
      }),
    );
  }
  for (const c of byCreated(customers)) state.customers.set(c.id, c);

  const bookingKeys = new Map(business.bookings.map((b) => [b.key, b]));
  const invoiceNumbers = new Map(business.invoices.map((i) => [i.key, i.number]));
  const intents: PaymentIntent[] = [];
  const charges: Charge[] = [];
  const refunds: Refund[] = [];

  for (const order of business.orders) {
    const customerId = stripeIdByKey.get(order.customerKey) ?? null;
    const created = toUnix(order.createdAt);
    const pi = newPaymentIntent({
      id: order.ids.stripePaymentIntentId,
      clientSecret: `${order.ids.stripePaymentIntentId}_secret_${seedRandom.string(25)}`,
      created,
      amount: order.amount,
      currency: order.currency,
      customer: customerId,
      description: order.description,
      metadata: orderMetadata(order, bookingKeys.get(order.bookingKey ?? '')?.key, invoiceNumbers),
      receiptEmail: customerId ? (emailByKey.get(order.customerKey) ?? null) : null,
    });
    intents.push(pi);

    if (order.status === 'canceled') {
      pi.status = 'canceled';
      pi.canceled_at = Math.min(created + 3_600, now);
      pi.cancellation_reason = 'requested_by_customer';
      continue;
    }

    const declined = order.status === 'requires_payment_method';
    const card = declined
      ? TEST_CARDS.pm_card_chargeDeclined!
      : seedRandom.pick([
          TEST_CARDS.pm_card_visa!,
          TEST_CARDS.pm_card_mastercard!,
          TEST_CARDS.pm_card_visa_debit!,
        ]);
    const pm = newPaymentMethod({
      id: state.mint('pm_', 24),
      created,
      card,
      customer: customerId,
      name: null,
      email: pi.receipt_email,
    });
    state.paymentMethods.set(pm.id, pm);
    const charge = newCharge({
      id: order.ids.stripeChargeId ?? state.mint('ch_', 24),
      created,
      pi,
      pm,
      status: declined ? 'failed' : order.status === 'processing' ? 'pending' : 'succeeded',
      captured: !declined,
      balanceTransaction: order.status === 'succeeded' ? state.mint('txn_', 24) : null,
      riskScore: seedRandom.int(5, 60),
      decline: card.decline,
    });
    charges.push(charge);
    pi.latest_charge = charge.id;

    if (declined) {
      pi.last_payment_error = {
        type: 'card_error',
        code: card.decline!.code,
        decline_code: card.decline!.decline_code,
        message: card.decline!.message,
        charge: charge.id,
        doc_url: 'https://stripe.com/docs/error-codes/card-declined',
        payment_method: pm,
      };
      continue;
    }
    pi.payment_method = pm.id;
    pi.status = order.status === 'processing' ? 'processing' : 'succeeded';
    if (pi.status === 'succeeded') pi.amount_received = pi.amount;

    if (order.refunded > 0 && order.ids.stripeRefundId) {
      const refund = newRefund({
        id: order.ids.stripeRefundId,
        created: Math.min(created + 2 * DAY_SECONDS, now),
        amount: order.refunded,
        charge,
        reason: 'requested_by_customer',
        metadata: {},
        balanceTransaction: state.mint('txn_', 24),
      });
      refunds.push(refund);
      charge.amount_refunded = order.refunded;
      charge.refunded = order.refunded >= charge.amount;
    }
  }

  for (const pi of byCreated(intents)) state.paymentIntents.set(pi.id, pi);
  for (const ch of byCreated(charges)) state.charges.set(ch.id, ch);
  for (const re of byCreated(refunds)) state.refunds.set(re.id, re);
}

/** What the studio's booking system writes into a payment's metadata; the hub links on these. */
function orderMetadata(
  order: SeedOrder,
  bookingKey: string | undefined,
  invoiceNumbers: Map<string, string>,
): Record<string, string> {
  const metadata: Record<string, string> = { order_ref: order.key };
  if (bookingKey) metadata.booking_ref = bookingKey;
  const invoiceNumber = order.invoiceKey ? invoiceNumbers.get(order.invoiceKey) : undefined;
  if (invoiceNumber) metadata.invoice_number = invoiceNumber;
  if (order.isDeposit) metadata.deposit = 'true';
  return metadata;
}
