/**
 * Payments against sales invoices: GET list/one, PUT (batch create), POST (single create, the
 * SDK's createPayment), POST /Payments/{id} {Status:"DELETED"} (reverse).
 * Docs: https://developer.xero.com/documentation/api/accounting/payments
 */
import { ResponseError, type Route, type SandboxRequest } from '../../../src/sandbox/kit/http.ts';
import { itemsOf, runBatch, type ElementResult, type XeroContext } from './context.ts';
import type { ChangeBatch } from './webhooks.ts';
import { findInvoice } from './invoices.ts';
import { amountDue, type Payment } from './state.ts';
import { compileOrder, compileWhere, paginate, param } from './query.ts';
import {
  batchItems,
  dateString,
  envelope,
  isGuid,
  isRecord,
  money,
  msDate,
  notFound,
  parseIfModifiedSince,
  parseXeroDate,
  postDataInvalid,
  startOfUtcDay,
  str,
  toMinor,
  utcString,
} from './wire.ts';

const BASE = '/api.xro/2.0';

export const PAYMENT_FIELDS = [
  'PaymentID',
  'Invoice',
  'Account',
  'Date',
  'Amount',
  'BankAmount',
  'Reference',
  'CurrencyRate',
  'PaymentType',
  'Status',
  'UpdatedDateUTC',
  'IsReconciled',
  'HasAccount',
] as const;

export function paymentToWire(ctx: XeroContext, payment: Payment): Record<string, unknown> {
  const invoice = ctx.books.invoices.get(payment.invoiceId);
  const account = ctx.books.accounts.find((a) => a.code === payment.accountCode);
  const contact = invoice ? ctx.books.contacts.get(invoice.contactId) : undefined;
  return {
    PaymentID: payment.id,
    Date: msDate(payment.date),
    BankAmount: money(payment.amount),
    Amount: money(payment.amount),
    Reference: payment.reference,
    CurrencyRate: 1,
    PaymentType: invoice?.type === 'ACCPAY' ? 'ACCPAYPAYMENT' : 'ACCRECPAYMENT',
    Status: payment.status,
    UpdatedDateUTC: msDate(payment.updatedAt),
    UpdatedDateUTCString: utcString(payment.updatedAt),
    HasAccount: true,
    IsReconciled: payment.isReconciled,
    Account: { AccountID: account?.id, Code: payment.accountCode, Name: account?.name },
    Invoice: invoice
      ? {
          Type: invoice.type,
          InvoiceID: invoice.id,
          InvoiceNumber: invoice.number,
          Reference: invoice.reference,
          AmountDue: money(amountDue(ctx.books, invoice)),
          Status: invoice.status,
          Contact: { ContactID: invoice.contactId, Name: contact?.name ?? '', HasValidationErrors: false },
          DateString: dateString(invoice.date),
          Date: msDate(invoice.date),
          Total: money(invoice.total),
          CurrencyCode: invoice.currency,
          LineItems: [],
        }
      : undefined,
    HasValidationErrors: false,
  };
}

/** Applies a payment to an invoice; full payment marks it PAID. Validates before changing anything. */
export function applyPayment(
  ctx: XeroContext,
  input: Record<string, unknown>,
  changes: ChangeBatch,
): ElementResult {
  const errors: string[] = [];
  const invoiceRef = isRecord(input.Invoice)
    ? (str(input.Invoice.InvoiceID) ?? str(input.Invoice.InvoiceNumber))
    : undefined;
  if (input.Invoice !== undefined && !isRecord(input.Invoice))
    throw postDataInvalid('JSON for post data was invalid: "Invoice" must be an object.');
  const invoice = invoiceRef ? findInvoice(ctx, invoiceRef) : undefined;
  if (!invoiceRef)
    errors.push('You must specify an Invoice, CreditNote, Prepayment or Overpayment for the payment.');
  else if (!invoice)
    errors.push(
      `Invoice with ${isGuid(invoiceRef) ? 'InvoiceID' : 'InvoiceNumber'} ${invoiceRef} could not be found.`,
    );
  else if (invoice.status !== 'AUTHORISED')
    errors.push('Payments can only be made against Authorised documents');

  const accountRef = isRecord(input.Account) ? input.Account : undefined;
  const code = accountRef ? str(accountRef.Code) : undefined;
  const accountId = accountRef ? str(accountRef.AccountID)?.toLowerCase() : undefined;
  const account = ctx.books.accounts.find((a) => (code ? a.code === code : a.id === accountId));
  if (!code && !accountId)
    errors.push('You must specify an Account for the payment (Account.Code or Account.AccountID).');
  else if (!account) errors.push(`Account ${code ?? accountId} could not be found.`);
  else if (account.type !== 'BANK')
    errors.push(`Account ${account.code} is not a bank account; payments must be made to a bank account.`);

  const amount = toMinor(input.Amount);
  if (input.Amount === undefined) errors.push('Payment amount must be specified.');
  else if (amount === undefined)
    throw postDataInvalid('JSON for post data was invalid: "Amount" must be a number.');
  else if (amount <= 0) errors.push('Payment amount must be greater than zero.');
  else if (invoice && invoice.status === 'AUTHORISED' && amount > amountDue(ctx.books, invoice))
    errors.push('Payment amount exceeds the amount outstanding on this document');

  let date = startOfUtcDay(ctx.clock.now());
  if (input.Date !== undefined && input.Date !== null) {
    const parsed = parseXeroDate(input.Date);
    if (parsed === undefined)
      throw postDataInvalid('JSON for post data was invalid: "Date" is not a valid date.');
    date = startOfUtcDay(parsed);
  }
  if (errors.length > 0 || !invoice || !account || amount === undefined) return { errors };

  const now = ctx.clock.now();
  const payment: Payment = {
    id: ctx.ids.uuid(),
    invoiceId: invoice.id,
    accountCode: account.code,
    date,
    amount,
    reference: str(input.Reference) ?? '',
    status: 'AUTHORISED',
    isReconciled: input.IsReconciled === true,
    updatedAt: now,
  };
  ctx.books.payments.set(payment.id, payment);
  if (amountDue(ctx.books, invoice) <= 0) {
    invoice.status = 'PAID';
    invoice.fullyPaidOn = date;
  }
  invoice.updatedAt = now;
  // Xero has no payment webhooks: the invoice changes, and that is what subscribers hear about.
  changes.add('INVOICE', 'UPDATE', invoice.id);
  return { id: payment.id };
}

/** Reverses a payment (`Status: DELETED`); a PAID invoice goes back to AUTHORISED. */
export function deletePayment(ctx: XeroContext, payment: Payment, changes: ChangeBatch): ElementResult {
  if (payment.status === 'DELETED') return { errors: ['This payment has already been deleted.'] };
  const invoice = ctx.books.invoices.get(payment.invoiceId);
  const now = ctx.clock.now();
  payment.status = 'DELETED';
  payment.updatedAt = now;
  if (invoice) {
    if (invoice.status === 'PAID') invoice.status = 'AUTHORISED';
    delete invoice.fullyPaidOn;
    invoice.updatedAt = now;
    changes.add('INVOICE', 'UPDATE', invoice.id);
  }
  return { id: payment.id };
}

function listPayments(ctx: XeroContext, req: SandboxRequest) {
  const q = req.query;
  const where = param(q, 'where');
  const filter = where ? compileWhere(where, 'Payment', PAYMENT_FIELDS) : undefined;
  const sort = compileOrder(param(q, 'order') ?? 'UpdatedDateUTC ASC', 'Payment', PAYMENT_FIELDS);
  const since = parseIfModifiedSince(req.headers['if-modified-since']);
  let payments = [...ctx.books.payments.values()];
  if (since !== undefined) payments = payments.filter((p) => p.updatedAt > since);
  let wires = payments.map((p) => paymentToWire(ctx, p));
  if (filter) wires = wires.filter(filter);
  wires.sort((a, b) => sort(a, b) || String(a.PaymentID).localeCompare(String(b.PaymentID)));
  const page = paginate(wires, q);
  return {
    status: 200,
    body: envelope(req, ctx.clock.now(), {
      ...(page.pagination ? { pagination: page.pagination } : {}),
      Payments: page.items,
    }),
  };
}

export function paymentRoutes(ctx: XeroContext): Route[] {
  const one = (req: SandboxRequest) => {
    const id = (req.params.id ?? '').toLowerCase();
    const payment = isGuid(id) ? ctx.books.payments.get(id) : undefined;
    if (!payment) throw new ResponseError(notFound());
    return payment;
  };
  const wire = (id: string) => paymentToWire(ctx, ctx.books.payments.get(id) as Payment);
  const create = (req: SandboxRequest) => {
    const body = req.json();
    const items = itemsOf(body, 'Payments') ?? batchItems(body, 'Payments');
    return runBatch(
      ctx,
      req,
      'Payments',
      items,
      (item, changes) => applyPayment(ctx, item, changes),
      wire,
      'HasValidationErrors',
    );
  };
  return [
    {
      method: 'GET',
      path: `${BASE}/Payments`,
      operation: 'payments.list',
      handler: (req) => listPayments(ctx, req),
    },
    {
      method: 'GET',
      path: `${BASE}/Payments/:id`,
      operation: 'payments.get',
      handler: (req) => ({
        status: 200,
        body: envelope(req, ctx.clock.now(), { Payments: [wire(one(req).id)] }),
      }),
    },
    { method: 'PUT', path: `${BASE}/Payments`, operation: 'payments.create', handler: create },
    { method: 'POST', path: `${BASE}/Payments`, operation: 'payments.createOne', handler: create },
    {
      method: 'POST',
      path: `${BASE}/Payments/:id`,
      operation: 'payments.delete',
      handler: (req) => {
        const payment = one(req);
        const body = req.json();
        const input = itemsOf(body, 'Payments')?.[0] ?? batchItems(body, 'Payments')[0];
        if (str(input?.Status)?.toUpperCase() !== 'DELETED')
          throw postDataInvalid('Only {"Status":"DELETED"} can be posted to an existing payment.');
        return runBatch(
          ctx,
          req,
          'Payments',
          [input as Record<string, unknown>],
          (_item, changes) => deletePayment(ctx, ctx.books.payments.get(payment.id) as Payment, changes),
          wire,
          'HasValidationErrors',
        );
      },
    },
  ];
}
