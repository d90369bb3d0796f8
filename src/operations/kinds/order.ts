import type { Money } from '../../domain/model.ts';
import type { OperationKind } from '../engine.ts';
import { DAY_MS, createOrderStep, orderTotal, ordersChanged, type LineFields } from './shared.ts';

export interface PlaceOrderInput extends Record<string, unknown> {
  customerId: string;
  stripeCustomerId: string | null;
  xeroContactId: string;
  description: string;
  lines: LineFields[];
  currency: string;
}

const invoiceTargets = (contactId: string, invoiceId?: unknown) => [
  { source: 'xero' as const, resource: 'invoices-by-contact', key: contactId },
  ...(typeof invoiceId === 'string'
    ? [{ source: 'xero' as const, resource: 'invoice', key: invoiceId }]
    : []),
];

/**
 * An order: a payment intent for the total and an authorised invoice for the same lines, each
 * naming the other (the invoice's Reference is the payment intent; the payment intent's metadata
 * carries the invoice number). An invoice the accounting package refuses cancels the payment intent.
 */
export const placeOrder: OperationKind<PlaceOrderInput> = {
  kind: 'placeOrder',
  plan: () => ['stripe.createOrder', 'xero.createInvoice', 'stripe.linkInvoice'],
  steps: {
    'stripe.createOrder': createOrderStep('orderId', (ctx) => ({
      amount: orderTotal(ctx.operation.input.lines, ctx.operation.input.currency),
      description: ctx.operation.input.description,
      metadata: {
        switchboard_customer: ctx.operation.input.customerId,
        switchboard_operation: ctx.operation.id,
      },
    })),
    'xero.createInvoice': {
      system: 'xero',
      async run(ctx) {
        const input = ctx.operation.input;
        const issuedOn = new Date();
        const invoice = await ctx.workspace.sources.accounting.createInvoice(
          {
            contactId: input.xeroContactId,
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
      invalidates: (ctx, r) => invoiceTargets(ctx.operation.input.xeroContactId, r.invoiceId),
    },
    'stripe.linkInvoice': {
      system: 'stripe',
      async run(ctx) {
        const { orderId, invoiceId, invoiceNumber } = ctx.operation.context;
        await ctx.workspace.sources.payments.updateOrderMetadata(
          String(orderId),
          { invoice_number: String(invoiceNumber ?? ''), xero_invoice_id: String(invoiceId) },
          { idempotencyKey: ctx.step.idempotencyKey },
        );
        return {};
      },
      invalidates: (ctx) =>
        ordersChanged(ctx.operation.input.stripeCustomerId, ctx.operation.context.orderId),
    },
  },
};

export interface RefundOrderInput extends Record<string, unknown> {
  orderId: string;
  stripeCustomerId: string | null;
  /** Null refunds what is left. */
  amount: Money | null;
}

export const refundOrder: OperationKind<RefundOrderInput> = {
  kind: 'refundOrder',
  plan: () => ['stripe.refund'],
  steps: {
    'stripe.refund': {
      system: 'stripe',
      async run(ctx) {
        const { orderId, amount } = ctx.operation.input;
        const refund = await ctx.workspace.sources.payments.refundOrder(orderId, amount, {
          idempotencyKey: ctx.step.idempotencyKey,
        });
        return { orderId, refundId: refund.externalId };
      },
      invalidates: (ctx) => ordersChanged(ctx.operation.input.stripeCustomerId, ctx.operation.input.orderId),
    },
  },
};

export { invoiceTargets };
