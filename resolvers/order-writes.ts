import type { Resolvers } from '../src/graph/resolvers-types.generated.ts';
import {
  preparePlaceOrder,
  prepareRefundOrder,
  type PlaceOrderInput,
  type RefundOrderInput,
} from '../src/operations/kinds/order.ts';
import {
  prepareIssueInvoice,
  prepareRecordPayment,
  type IssueInvoiceInput,
  type RecordPaymentInput,
} from '../src/operations/kinds/invoice.ts';
import { badInput } from '../src/graph/errors.ts';
import { toGlobalId } from '../src/graph/ids.ts';
import type { GraphContext } from '../src/graph/context.ts';
import type { CustomerModel } from '../src/graph/models.ts';
import { perform } from './operations.ts';
import { checkCurrency, checkLines, checkMoney } from './validate.ts';
import { customerFor, externalIdOf, mustExist, orNull, recordsOf } from './write-helpers.ts';

const DAY = 86_400_000;

async function accountingContact(ctx: GraphContext, customer: CustomerModel, argument: string) {
  const records = await recordsOf(ctx, customer);
  if (!records.accounting) {
    throw badInput(
      `customer ${toGlobalId('Customer', customer.id)} has no contact in ${ctx.workspace.sources.accounting.name} to invoice; see their sync issues`,
      argument,
    );
  }
  return { ...records, accounting: records.accounting };
}

export const orderWriteResolvers: Resolvers = {
  OrderPayload: {
    operation: (op) => op,
    order: (op, _, ctx) => {
      const id = op.context.orderId ?? op.input.orderId;
      return typeof id === 'string' ? orNull(ctx.loaders.order.load(id)) : null;
    },
    invoice: (op, _, ctx) => {
      const id = op.context.invoiceId;
      return typeof id === 'string' ? orNull(ctx.loaders.invoice.load(id)) : null;
    },
  },
  InvoicePayload: {
    operation: (op) => op,
    invoice: (op, _, ctx) => {
      const id = op.context.invoiceId ?? op.input.invoiceId;
      return typeof id === 'string' ? orNull(ctx.loaders.invoice.load(id)) : null;
    },
  },
  Mutation: {
    placeOrder: (_, args, ctx) =>
      perform<PlaceOrderInput>(ctx, 'placeOrder', args, async () => {
        const { input } = args;
        const lines = checkLines(input.lines);
        const currency = checkCurrency(input.currency, 'input.currency');
        const customer = await customerFor(ctx, input.customerId, 'input.customerId');
        const records = await accountingContact(ctx, customer, 'input.customerId');
        return preparePlaceOrder({
          customerId: customer.id,
          paymentsCustomerId: records.payments,
          accountingContactId: records.accounting,
          description: input.description?.trim() || (lines[0]?.description ?? 'Order'),
          lines,
          currency,
        });
      }),

    refundOrder: (_, args, ctx) =>
      perform<RefundOrderInput>(ctx, 'refundOrder', args, async () => {
        const orderId = externalIdOf(ctx, args.orderId, 'Order', 'orderId');
        const order = await mustExist(ctx.loaders.order.load(orderId), `order ${args.orderId}`, 'orderId');
        if (order.status !== 'SUCCEEDED')
          throw badInput(
            `order ${args.orderId} is ${order.status}: only a paid order can be refunded`,
            'orderId',
          );
        const left = order.amountReceived.amount - order.amountRefunded.amount;
        const amount = args.amount ? checkMoney(args.amount, 'amount') : null;
        if (amount && amount.currency !== order.amount.currency) {
          throw badInput(
            `"amount.currency" must be the order's currency, ${order.amount.currency}`,
            'amount',
          );
        }
        if (left <= 0) throw badInput(`order ${args.orderId} is refunded in full already`, 'orderId');
        if (amount && amount.amount > left)
          throw badInput(`"amount" is more than the ${left} left to refund`, 'amount');
        return prepareRefundOrder({ orderId, paymentsCustomerId: order.customerExternalId, amount });
      }),

    issueInvoice: (_, args, ctx) =>
      perform<IssueInvoiceInput>(ctx, 'issueInvoice', args, async () => {
        const { input } = args;
        const lines = checkLines(input.lines);
        const currency = checkCurrency(input.currency, 'input.currency');
        const dueOn = input.dueOn ?? new Date(Date.now() + 14 * DAY);
        if (dueOn.getTime() < Date.now() - DAY) throw badInput('"input.dueOn" is in the past', 'input.dueOn');
        const customer = await customerFor(ctx, input.customerId, 'input.customerId');
        const records = await accountingContact(ctx, customer, 'input.customerId');
        return prepareIssueInvoice({
          customerId: customer.id,
          accountingContactId: records.accounting,
          lines,
          currency,
          dueOn,
          reference: input.reference?.trim() || null,
        });
      }),

    recordPayment: (_, args, ctx) =>
      perform<RecordPaymentInput>(ctx, 'recordPayment', args, async () => {
        const invoiceId = externalIdOf(ctx, args.invoiceId, 'Invoice', 'invoiceId');
        const invoice = await mustExist(
          ctx.loaders.invoice.load(invoiceId),
          `invoice ${args.invoiceId}`,
          'invoiceId',
        );
        if (invoice.status !== 'AUTHORISED' || invoice.amountDue.amount <= 0) {
          throw badInput(`invoice ${args.invoiceId} is ${invoice.status} with nothing due`, 'invoiceId');
        }
        const amount = args.amount ? checkMoney(args.amount, 'amount') : invoice.amountDue;
        if (amount.currency !== invoice.amountDue.currency) {
          throw badInput(
            `"amount.currency" must be the invoice's currency, ${invoice.amountDue.currency}`,
            'amount',
          );
        }
        if (amount.amount > invoice.amountDue.amount) {
          throw badInput(`"amount" is more than the ${invoice.amountDue.amount} due`, 'amount');
        }
        return prepareRecordPayment({
          invoiceId,
          accountingContactId: invoice.contactExternalId,
          amount,
          paidOn: args.paidOn ?? new Date(),
        });
      }),
  },
};
