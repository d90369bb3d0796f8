import type { Money } from '../../domain/model.ts';
import type { OperationKind } from '../engine.ts';
import { DAY_MS, createOrderStep, orderTotal, type LineFields, type Prepared } from './shared.ts';

export function preparePlaceOrder(order: {
  customerId: string;
  paymentsCustomerId: string | null;
  accountingContactId: string;
  description: string;
  lines: LineFields[];
  currency: string;
}): Prepared<PlaceOrderInput> {
  return { input: { ...order } };
}

export function prepareRefundOrder(refund: {
  orderId: string;
  paymentsCustomerId: string | null;
  amount: Money | null;
}): Prepared<RefundOrderInput> {
  return { input: { ...refund } };
}

export interface PlaceOrderInput extends Record<string, unknown> {
  customerId: string;
  paymentsCustomerId: string | null;
  accountingContactId: string;
  description: string;
  lines: LineFields[];
  currency: string;
}

/**
 * An order: a payment for the total and an authorised invoice for the same lines, each naming the
 * other (the invoice's reference is the payment; the payment keeps an `InvoiceRef` to the invoice,
 * stored the payments adapter's way). An invoice the accounting package refuses cancels the payment.
 */
export const placeOrder: OperationKind<PlaceOrderInput> = {
  kind: 'placeOrder',
  plan: () => ['payments.createOrder', 'accounting.createInvoice', 'payments.linkInvoice'],
  steps: {
    'payments.createOrder': createOrderStep('orderId', (ctx) => ({
      amount: orderTotal(ctx.operation.input.lines, ctx.operation.input.currency),
      description: ctx.operation.input.description,
      metadata: {
        switchboard_customer: ctx.operation.input.customerId,
        switchboard_operation: ctx.operation.id,
      },
    })),
    'accounting.createInvoice': {
      role: 'accounting',
      async run(ctx) {
        const input = ctx.operation.input;
        const issuedOn = new Date();
        const invoice = await ctx.workspace.sources.accounting.createInvoice(
          {
            contactId: input.accountingContactId,
            lines: input.lines.map((l) => ({
              description: l.description,
              quantity: l.quantity,
              unitAmount: { amount: l.unitAmount, currency: input.currency },
            })),
            currency: input.currency,
            reference: String(ctx.operation.context.orderId),
            issuedOn,
            dueOn: new Date(issuedOn.getTime() + 14 * DAY_MS),
            status: 'AUTHORISED',
          },
          { idempotencyKey: ctx.step.idempotencyKey },
        );
        return { invoiceId: invoice.externalId, invoiceNumber: invoice.number };
      },
      async compensate(ctx, result) {
        await ctx.workspace.sources.accounting.voidInvoice(String(result.invoiceId), {
          idempotencyKey: ctx.step.idempotencyKey,
        });
      },
      invalidates: (ctx, r) => ctx.keys.invoiceChanged(ctx.operation.input.accountingContactId, r.invoiceId),
    },
    'payments.linkInvoice': {
      role: 'payments',
      async run(ctx) {
        const { orderId, invoiceId, invoiceNumber } = ctx.operation.context;
        await ctx.workspace.sources.payments.linkInvoice(
          String(orderId),
          {
            system: ctx.workspace.sources.accounting.name,
            id: String(invoiceId),
            number: typeof invoiceNumber === 'string' ? invoiceNumber : null,
          },
          { idempotencyKey: ctx.step.idempotencyKey },
        );
        return {};
      },
      invalidates: (ctx) =>
        ctx.keys.orderChanged(ctx.operation.input.paymentsCustomerId, ctx.operation.context.orderId),
    },
  },
};

export interface RefundOrderInput extends Record<string, unknown> {
  orderId: string;
  paymentsCustomerId: string | null;
  /** Null refunds what is left. */
  amount: Money | null;
}

export const refundOrder: OperationKind<RefundOrderInput> = {
  kind: 'refundOrder',
  plan: () => ['payments.refund'],
  steps: {
    'payments.refund': {
      role: 'payments',
      async run(ctx) {
        const { orderId, amount } = ctx.operation.input;
        const refund = await ctx.workspace.sources.payments.refundOrder(orderId, amount, {
          idempotencyKey: ctx.step.idempotencyKey,
        });
        return { orderId, refundId: refund.externalId };
      },
      invalidates: (ctx) =>
        ctx.keys.orderChanged(ctx.operation.input.paymentsCustomerId, ctx.operation.input.orderId),
    },
  },
};
