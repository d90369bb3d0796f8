/**
 * Payment (received from a customer): read (`GET payment/{id}`), create and update
 * (`POST payment`), delete (`POST payment?operation=delete`). A payment's `Line[]` applies
 * amounts to invoices (`{"Amount":50,"LinkedTxn":[{"TxnId":"12","TxnType":"Invoice"}]}`); what is
 * not applied is `UnappliedAmt` (a credit). Applying reduces each invoice's `Balance` (0 when
 * fully paid) and adds the payment to its `LinkedTxn`; deleting the payment puts the balances back.
 * The invoices a payment touches change too (Balance, LinkedTxn, SyncToken, LastUpdatedTime), so
 * each gets an Invoice `Update` event next to the Payment event.
 * Docs: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/payment
 */
import {
  isSparse,
  metaData,
  wholeSeconds,
  type EntityOps,
  type FieldSpec,
  type QboContext,
  type Rec,
} from './context.ts';
import { findCustomer } from './customers.ts';
import { findInvoice } from './invoices.ts';
import {
  ACCOUNTS,
  changed,
  invoiceBalance,
  UNDEPOSITED_FUNDS,
  type Payment,
  type PaymentLine,
} from './state.ts';
import type { ChangeBatch } from './webhooks.ts';
import {
  businessValidation,
  checkProperties,
  GBP,
  invalidProperty,
  invalidReference,
  isDate,
  isRecord,
  localDate,
  money,
  objectNotFound,
  refValue,
  requiredParam,
  str,
  stringLength,
  toMinor,
  validation,
} from './wire.ts';

const MODELLED = [
  'CustomerRef',
  'TotalAmt',
  'Line',
  'TxnDate',
  'DepositToAccountRef',
  'PaymentRefNum',
  'PrivateNote',
  'CurrencyRef',
];
const KEPT = ['PaymentMethodRef', 'ARAccountRef', 'ExchangeRate', 'TxnSource', 'TransactionLocationType'];
const READ_ONLY = [
  'Id',
  'SyncToken',
  'MetaData',
  'domain',
  'sparse',
  'UnappliedAmt',
  'ProcessPayment',
  'status',
];
const KNOWN = new Set<string>([...MODELLED, ...KEPT, ...READ_ONLY]);

type StoredPayment = Payment & { extra?: Record<string, unknown> };
const asPayment = (rec: Rec) => rec as StoredPayment;

export function paymentToWire(ctx: QboContext, rec: Rec): Record<string, unknown> {
  const payment = asPayment(rec);
  const customer = ctx.company.customers.get(payment.customerId);
  const applied = payment.lines.reduce((sum, l) => sum + l.amount, 0);
  return {
    SyncToken: String(payment.syncToken),
    domain: 'QBO',
    DepositToAccountRef: { value: payment.depositToAccountId },
    UnappliedAmt: money(payment.total - applied),
    TxnDate: payment.txnDate,
    TotalAmt: money(payment.total),
    ProcessPayment: false,
    sparse: false,
    Line: payment.lines.map((line) => ({
      Amount: money(line.amount),
      LinkedTxn: [{ TxnId: line.invoiceId, TxnType: 'Invoice' }],
    })),
    CustomerRef: { value: payment.customerId, name: customer?.displayName ?? '' },
    Id: payment.id,
    MetaData: metaData(ctx, payment),
    CurrencyRef: { ...GBP },
    ...(payment.paymentRefNum !== undefined ? { PaymentRefNum: payment.paymentRefNum } : {}),
    ...(payment.privateNote !== undefined ? { PrivateNote: payment.privateNote } : {}),
    ...structuredClone(payment.extra ?? {}),
  };
}

export const findPayment = (ctx: QboContext, id: string): StoredPayment | undefined =>
  ctx.company.payments.get(id.trim());

function amountOf(value: unknown, element: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const minor = toMinor(value);
  if (minor === undefined) throw invalidProperty(element, element);
  return minor;
}

function parseLines(value: unknown): PaymentLine[] {
  if (!Array.isArray(value)) throw invalidProperty('Line', 'Line');
  return value.flatMap((raw, i): PaymentLine[] => {
    if (!isRecord(raw)) throw invalidProperty(`Line[${i}]`, 'Line');
    const amount = amountOf(raw.Amount, 'Line.Amount');
    if (amount === undefined) throw requiredParam('Line.Amount', 'Line.Amount');
    if (amount < 0) throw businessValidation('A payment line cannot have a negative amount.', 'Line.Amount');
    const links = raw.LinkedTxn;
    if (!Array.isArray(links) || links.length === 0) throw requiredParam('Line.LinkedTxn', 'Line.LinkedTxn');
    if (links.length > 1)
      throw businessValidation('The sandbox links one transaction per payment line.', 'Line.LinkedTxn');
    const link = links[0];
    if (!isRecord(link)) throw invalidProperty('Line.LinkedTxn', 'Line.LinkedTxn');
    const txnId = str(link.TxnId)?.trim();
    if (!txnId) throw requiredParam('Line.LinkedTxn.TxnId', 'Line.LinkedTxn.TxnId');
    const type = str(link.TxnType);
    if (type !== 'Invoice')
      throw businessValidation(
        `The sandbox applies payments to invoices only (TxnType ${type ?? 'missing'}).`,
        'Line.LinkedTxn.TxnType',
      );
    return amount === 0 ? [] : [{ amount, invoiceId: txnId }];
  });
}

/** Creates (no `existing`) or updates a payment, checking every invoice it applies to. */
export function applyPayment(
  ctx: QboContext,
  input: Record<string, unknown>,
  existing: StoredPayment | undefined,
  changes: ChangeBatch,
): StoredPayment {
  checkProperties('Payment', input, KNOWN);
  const company = ctx.company;
  const sparse = existing !== undefined && isSparse(input);
  const given = (key: string) => key in input && input[key] !== undefined;

  let customerId = existing?.customerId;
  if (given('CustomerRef')) customerId = refValue(input.CustomerRef);
  if (!customerId) throw requiredParam('CustomerRef', 'CustomerRef');
  const customer = findCustomer(ctx, customerId);
  if (!customer) throw invalidReference(`Customer ${customerId} does not exist.`, 'CustomerRef');
  if (!customer.active && customerId !== existing?.customerId)
    throw invalidReference(
      `Customer assigned to this transaction has been deleted. Before you can modify this transaction, you must restore ${customer.displayName} (deleted).`,
      'CustomerRef',
    );
  const currency = refValue(input.CurrencyRef);
  if (currency && currency !== 'GBP')
    throw businessValidation(
      'You can only use the home currency (GBP): multicurrency is turned off for this company.',
      'CurrencyRef',
    );
  if (input.ProcessPayment === true)
    throw businessValidation(
      'The sandbox does not charge cards (ProcessPayment must be false).',
      'ProcessPayment',
    );

  const total = given('TotalAmt')
    ? amountOf(input.TotalAmt, 'TotalAmt')
    : sparse
      ? existing?.total
      : undefined;
  if (total === undefined) throw requiredParam('TotalAmt', 'TotalAmt');
  if (total < 0) throw businessValidation('The payment amount cannot be negative.', 'TotalAmt');
  const lines = given('Line') ? parseLines(input.Line) : sparse || !existing ? (existing?.lines ?? []) : [];

  // Each invoice: exists, open, this customer's, and owed at least what is applied to it.
  const appliedTo = new Map<string, number>();
  for (const line of lines) appliedTo.set(line.invoiceId, (appliedTo.get(line.invoiceId) ?? 0) + line.amount);
  for (const [invoiceId, amount] of appliedTo) {
    const invoice = findInvoice(ctx, invoiceId);
    if (!invoice) throw objectNotFound();
    if (invoice.voided)
      throw businessValidation(`Invoice ${invoice.docNumber} has been voided; it cannot take a payment.`);
    if (invoice.customerId !== customer.id)
      throw validation(
        '620',
        'TxnID Cannot Be Linked',
        `TxnID Cannot Be Linked : Invoice ${invoiceId} belongs to another customer; a payment can only be applied to the invoices of its own customer.`,
        'Line.LinkedTxn',
      );
    const already =
      existing?.lines.filter((l) => l.invoiceId === invoiceId).reduce((s, l) => s + l.amount, 0) ?? 0;
    const open = invoiceBalance(company, invoice) + already;
    if (amount > open)
      throw businessValidation(
        `The amount applied to invoice ${invoice.docNumber} (${money(amount).toFixed(2)}) is more than its open balance (${money(open).toFixed(2)}).`,
        'Line.Amount',
      );
  }
  const applied = [...appliedTo.values()].reduce((s, a) => s + a, 0);
  if (applied > total)
    throw businessValidation(
      `The amount applied to transactions (${money(applied).toFixed(2)}) is more than the payment amount (${money(total).toFixed(2)}).`,
      'TotalAmt',
    );

  let txnDate = existing?.txnDate ?? localDate(ctx.clock.now(), company.timeZone);
  if (given('TxnDate')) {
    const value = str(input.TxnDate);
    if (!value || !isDate(value.slice(0, 10))) throw invalidProperty('TxnDate', 'TxnDate');
    txnDate = value.slice(0, 10);
  }
  let account = existing?.depositToAccountId ?? UNDEPOSITED_FUNDS;
  if (given('DepositToAccountRef')) {
    const id = refValue(input.DepositToAccountRef);
    if (!id || !ACCOUNTS[id] || ACCOUNTS[id]!.type === 'Income')
      throw invalidReference(`Account ${id ?? ''} cannot take deposits.`, 'DepositToAccountRef');
    account = id;
  }
  const textMember = (key: string, max: number, current: string | undefined) => {
    if (!given(key)) return sparse ? current : undefined;
    const value = str(input[key]);
    if (value === undefined) throw invalidProperty(key, key);
    if (value.length > max) throw stringLength(key, max, value.length);
    return value;
  };
  const paymentRefNum = textMember('PaymentRefNum', 21, existing?.paymentRefNum);
  const privateNote = textMember('PrivateNote', 4000, existing?.privateNote);
  const extra: Record<string, unknown> = sparse ? structuredClone(existing?.extra ?? {}) : {};
  for (const key of KEPT) if (key in input) extra[key] = structuredClone(input[key]);

  const now = ctx.clock.now();
  const touched = new Set([...(existing?.lines ?? []).map((l) => l.invoiceId), ...appliedTo.keys()]);
  const payment: StoredPayment = existing ?? {
    id: String(company.nextTxnId++),
    syncToken: 0,
    customerId: customer.id,
    txnDate,
    total,
    lines: [],
    depositToAccountId: account,
    createdAt: now,
    updatedAt: now,
  };
  Object.assign(payment, {
    customerId: customer.id,
    txnDate,
    total,
    lines,
    depositToAccountId: account,
    paymentRefNum,
    privateNote,
    extra,
  });
  if (existing) payment.syncToken++;
  payment.updatedAt = now;
  company.payments.set(payment.id, payment);
  changed(company);
  changes.add('Payment', existing ? 'Update' : 'Create', payment.id, now);
  touchInvoices(ctx, touched, changes, now);
  return payment;
}

function touchInvoices(ctx: QboContext, ids: Iterable<string>, changes: ChangeBatch, now: number): void {
  for (const id of ids) {
    const invoice = ctx.company.invoices.get(id);
    if (!invoice) continue;
    invoice.syncToken++;
    invoice.updatedAt = now;
    changes.add('Invoice', 'Update', invoice.id, now);
  }
}

export function deletePayment(ctx: QboContext, payment: StoredPayment, changes: ChangeBatch): void {
  const now = ctx.clock.now();
  ctx.company.payments.delete(payment.id);
  ctx.company.deleted.push({ entity: 'Payment', id: payment.id, deletedAt: now });
  changed(ctx.company);
  changes.add('Payment', 'Delete', payment.id, now);
  touchInvoices(ctx, new Set(payment.lines.map((l) => l.invoiceId)), changes, now);
}

const fields: FieldSpec[] = [
  { name: 'Id', type: 'id', get: (_ctx, r) => r.id },
  { name: 'TxnDate', type: 'date', get: (_ctx, r) => asPayment(r).txnDate },
  { name: 'CustomerRef', type: 'ref', get: (_ctx, r) => asPayment(r).customerId },
  { name: 'TotalAmt', type: 'number', get: (_ctx, r) => money(asPayment(r).total) },
  { name: 'PaymentRefNum', type: 'string', get: (_ctx, r) => asPayment(r).paymentRefNum },
  { name: 'MetaData.CreateTime', type: 'datetime', get: (_ctx, r) => wholeSeconds(r.createdAt) },
  { name: 'MetaData.LastUpdatedTime', type: 'datetime', get: (_ctx, r) => wholeSeconds(r.updatedAt) },
];

export const paymentOps: EntityOps = {
  name: 'Payment',
  fields,
  properties: [...KNOWN],
  all: (ctx) => [...ctx.company.payments.values()],
  find: findPayment,
  toWire: paymentToWire,
  create: (ctx, input, changes) => applyPayment(ctx, input, undefined, changes),
  update: (ctx, existing, input, changes) => applyPayment(ctx, input, asPayment(existing), changes),
  remove: (ctx, existing, changes) => deletePayment(ctx, asPayment(existing), changes),
};
