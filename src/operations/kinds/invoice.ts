import type { Money } from '../../domain/model.ts';
import type { OperationKind } from '../engine.ts';
import type { IsoDate, LineFields, Prepared } from './shared.ts';

export function prepareIssueInvoice(invoice: {
  customerId: string;
  accountingContactId: string;
  lines: LineFields[];
  currency: string;
  dueOn: Date;
  reference: string | null;
}): Prepared<IssueInvoiceInput> {
  return { input: { ...invoice, dueOn: invoice.dueOn.toISOString() } };
}

export function prepareRecordPayment(payment: {
  invoiceId: string;
  accountingContactId: string | null;
  amount: Money;
  paidOn: Date;
}): Prepared<RecordPaymentInput> {
  return { input: { ...payment, paidOn: payment.paidOn.toISOString(), reference: null } };
}

export interface IssueInvoiceInput extends Record<string, unknown> {
  customerId: string;
  accountingContactId: string;
  lines: LineFields[];
  currency: string;
  dueOn: IsoDate;
  reference: string | null;
}

/** An authorised sales invoice in the accounting package. */
export const issueInvoice: OperationKind<IssueInvoiceInput> = {
  kind: 'issueInvoice',
  plan: () => ['accounting.createInvoice'],
  steps: {
    'accounting.createInvoice': {
      role: 'accounting',
      async run(ctx) {
        const input = ctx.operation.input;
        const invoice = await ctx.workspace.sources.accounting.createInvoice(
          {
            contactId: input.accountingContactId,
            lines: input.lines.map((l) => ({
              description: l.description,
              quantity: l.quantity,
              unitAmount: { amount: l.unitAmount, currency: input.currency },
            })),
            currency: input.currency,
            reference: input.reference,
            issuedOn: new Date(),
            dueOn: new Date(input.dueOn),
            status: 'AUTHORISED',
          },
          { idempotencyKey: ctx.step.idempotencyKey },
        );
        return { invoiceId: invoice.externalId, invoiceNumber: invoice.number };
      },
      invalidates: (ctx, r) => ctx.keys.invoiceChanged(ctx.operation.input.accountingContactId, r.invoiceId),
    },
  },
};

export interface RecordPaymentInput extends Record<string, unknown> {
  invoiceId: string;
  accountingContactId: string | null;
  amount: Money;
  paidOn: IsoDate;
  reference: string | null;
}

/** A payment recorded against an invoice; the accounting package marks it paid when nothing is due. */
export const recordPayment: OperationKind<RecordPaymentInput> = {
  kind: 'recordPayment',
  plan: () => ['accounting.recordPayment'],
  steps: {
    'accounting.recordPayment': {
      role: 'accounting',
      async run(ctx) {
        const input = ctx.operation.input;
        const payment = await ctx.workspace.sources.accounting.recordPayment(
          {
            invoiceId: input.invoiceId,
            amount: input.amount,
            paidOn: new Date(input.paidOn),
            reference: input.reference,
          },
          { idempotencyKey: ctx.step.idempotencyKey },
        );
        return { invoiceId: input.invoiceId, paymentId: payment.externalId };
      },
      invalidates: (ctx) =>
        ctx.keys.invoiceChanged(ctx.operation.input.accountingContactId, ctx.operation.input.invoiceId),
    },
  },
};
