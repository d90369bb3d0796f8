import type { Money } from '../../domain/model.ts';
import type { OperationKind, StepContext, StepDefinition } from '../engine.ts';
import { createDepositStore, type Payer } from '../../deposits/store.ts';
import type { IsoDate } from './shared.ts';
import { linkWritten } from './shared.ts';

/** What a deposit link is made from; stored in the operation that makes it (requestDeposit, submitEnquiry). */
export interface DepositLinkInput {
  /** `dep_…`: the hub's row for the link, written with the operation. */
  depositId: string;
  bookingEventId: string;
  amount: Money;
  /** What the customer sees they pay for. */
  description: string;
  paymentsCustomerId: string | null;
  customerEmail: string;
  /** Fixed when the deposit was asked for, so a retried request to the payments system is the same request. */
  expiresAt: IsoDate;
  /** Where the payments page sends the customer back: `?deposit=paid|cancelled&reference=…` is added. */
  returnUrl: string;
  reference: string;
  customerId: string | null;
}

const withQuery = (url: string, query: Record<string, string>): string => {
  const out = new URL(url);
  for (const [k, v] of Object.entries(query)) out.searchParams.set(k, v);
  return out.toString();
};

/**
 * The payments system's hosted page for the deposit, made with the step's idempotency key; its
 * address goes into the hub's row at once, so a checkout webhook that arrives next finds the booking.
 */
export function depositLinkStep<I>(pick: (input: I) => DepositLinkInput): StepDefinition<I> {
  return {
    role: 'payments',
    async run(ctx) {
      const d = pick(ctx.operation.input);
      const payments = ctx.workspace.sources.payments;
      const store = createDepositStore(ctx.store.db);
      // A sweep let the hold go while the payments system could not make the link: a link now
      // would ask the customer to pay for a time no longer kept for them.
      if ((await store.get(ctx.workspace.id, d.depositId))?.status === 'EXPIRED')
        return { depositId: d.depositId, skipped: 'the hold ended before the link could be made' };
      const link = await payments.createPaymentLink(
        {
          customerId: d.paymentsCustomerId,
          customerEmail: d.paymentsCustomerId ? null : d.customerEmail,
          amount: d.amount,
          description: d.description,
          // Also on the payment made through it: the payment names the booking it is for.
          metadata: {
            switchboard_deposit: d.depositId,
            booking_ref: d.bookingEventId,
            ...(d.customerId ? { switchboard_customer: d.customerId } : {}),
            reference: d.reference,
          },
          expiresAt: new Date(d.expiresAt),
          successUrl: withQuery(d.returnUrl, { deposit: 'paid', reference: d.reference }),
          cancelUrl: withQuery(d.returnUrl, { deposit: 'cancelled', reference: d.reference }),
        },
        { idempotencyKey: ctx.step.idempotencyKey },
      );
      await store.opened(ctx.workspace.id, d.depositId, {
        system: payments.name,
        externalId: link.externalId,
        url: link.url,
        expiresAt: link.expiresAt,
      });
      return { depositId: d.depositId, paymentLinkId: link.externalId };
    },
    async compensate(ctx, result) {
      if (typeof result.paymentLinkId !== 'string') return;
      await ctx.workspace.sources.payments.expirePaymentLink(result.paymentLinkId, {
        idempotencyKey: `${ctx.step.idempotencyKey}:expire`,
      });
    },
  };
}

export interface RequestDepositInput extends DepositLinkInput, Record<string, unknown> {}

/** A deposit link for an existing booking (`requestDeposit`). */
export const requestDeposit: OperationKind<RequestDepositInput> = {
  kind: 'requestDeposit',
  plan: () => ['payments.createDepositLink'],
  steps: { 'payments.createDepositLink': depositLinkStep((input) => input) },
};

export interface DepositPaidInput extends Record<string, unknown> {
  depositId: string;
  bookingEventId: string;
  /** The payment made through the link (its id in the payments system), the invoice payment's reference. */
  orderId: string | null;
  amount: Money;
  description: string;
  reference: string;
  customerId: string | null;
  payer: Payer;
  crmContactId: string | null;
  /** The customer's accounting contact when they had one; otherwise the deposit makes it. */
  accountingContactId: string | null;
  paidOn: IsoDate;
}

const contactOf = (ctx: StepContext<DepositPaidInput>): string => {
  const id = ctx.operation.input.accountingContactId ?? ctx.operation.context.accountingContactId;
  if (typeof id !== 'string') throw new Error('the deposit has no accounting contact to invoice');
  return id;
};

/**
 * A deposit was paid: the booking is confirmed, the deposit invoiced and the payment recorded
 * against it (the books show it paid), and the CRM contact moved on to customer. Submitted with a
 * key made from the link, so however often the payments system reports the payment, this runs once.
 */
export const depositPaid: OperationKind<DepositPaidInput> = {
  kind: 'depositPaid',
  plan: (input) => [
    'calendar.confirmBooking',
    ...(input.accountingContactId ? [] : ['accounting.createContact']),
    'accounting.invoiceDeposit',
    'accounting.recordDeposit',
    ...(input.crmContactId ? ['crm.moveToCustomer'] : []),
  ],
  steps: {
    'calendar.confirmBooking': {
      role: 'calendar',
      async run(ctx) {
        await ctx.workspace.sources.calendar.confirmEvent(ctx.operation.input.bookingEventId);
        return { eventId: ctx.operation.input.bookingEventId };
      },
      invalidates: (ctx) => ctx.keys.bookingChanged(ctx.operation.input.bookingEventId),
    },
    'accounting.createContact': {
      role: 'accounting',
      async run(ctx) {
        const { payer, customerId, depositId } = ctx.operation.input;
        const contact = await ctx.workspace.sources.accounting.createContact(
          { ...payer, company: null, switchboardId: customerId ?? depositId },
          { idempotencyKey: ctx.step.idempotencyKey },
        );
        if (customerId) await linkWritten(ctx, 'accounting', customerId, contact.externalId);
        return { accountingContactId: contact.externalId };
      },
      invalidates: (ctx, r) => ctx.keys.personChanged('accounting', String(r.accountingContactId)),
    },
    'accounting.invoiceDeposit': {
      role: 'accounting',
      async run(ctx) {
        const { amount, description, reference, paidOn } = ctx.operation.input;
        const invoice = await ctx.workspace.sources.accounting.createInvoice(
          {
            contactId: contactOf(ctx),
            lines: [{ description, quantity: 1, unitAmount: amount }],
            currency: amount.currency,
            reference,
            issuedOn: new Date(paidOn),
            dueOn: new Date(paidOn),
            status: 'AUTHORISED',
          },
          { idempotencyKey: ctx.step.idempotencyKey },
        );
        return { invoiceId: invoice.externalId, invoiceNumber: invoice.number };
      },
      invalidates: (ctx, r) => ctx.keys.invoiceChanged(contactOf(ctx), String(r.invoiceId)),
    },
    'accounting.recordDeposit': {
      role: 'accounting',
      async run(ctx) {
        const { amount, paidOn, orderId } = ctx.operation.input;
        const invoiceId = String(ctx.operation.context.invoiceId);
        const payment = await ctx.workspace.sources.accounting.recordPayment(
          { invoiceId, amount, paidOn: new Date(paidOn), reference: orderId },
          { idempotencyKey: ctx.step.idempotencyKey },
        );
        return { paymentId: payment.externalId };
      },
      invalidates: (ctx) => ctx.keys.invoiceChanged(contactOf(ctx), String(ctx.operation.context.invoiceId)),
    },
    'crm.moveToCustomer': {
      role: 'crm',
      async run(ctx) {
        const contactId = ctx.operation.input.crmContactId as string;
        await ctx.workspace.sources.crm.updateContact(
          contactId,
          { stage: 'CUSTOMER' },
          { idempotencyKey: ctx.step.idempotencyKey },
        );
        return { crmContactId: contactId };
      },
      invalidates: (ctx) => ctx.keys.personChanged('crm', ctx.operation.input.crmContactId as string),
    },
  },
};

export interface ReleaseHoldInput extends Record<string, unknown> {
  depositId: string;
  bookingEventId: string;
}

/** A held slot whose deposit link expired unpaid: the tentative booking is cancelled, the time free again. */
export const releaseHold: OperationKind<ReleaseHoldInput> = {
  kind: 'releaseHold',
  plan: () => ['calendar.releaseHold'],
  steps: {
    'calendar.releaseHold': {
      role: 'calendar',
      async run(ctx) {
        const calendar = ctx.workspace.sources.calendar;
        const id = ctx.operation.input.bookingEventId;
        // Someone may have confirmed the booking in the calendar meanwhile: that is theirs to keep.
        const [event] = await calendar.getEvents([id]);
        if (event && !(event instanceof Error) && event.status !== 'TENTATIVE')
          return { eventId: id, kept: true };
        await calendar.cancelEvent(id);
        return { eventId: id };
      },
      invalidates: (ctx) => ctx.keys.bookingChanged(ctx.operation.input.bookingEventId),
    },
  },
};
