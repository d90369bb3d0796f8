/**
 * Invoice: read (`GET invoice/{id}`), create and update (`POST invoice`, full or sparse, `Id` +
 * current `SyncToken`), delete (`POST invoice?operation=delete`, answers
 * `{"Invoice":{"status":"Deleted","domain":"QBO","Id":"..."}}`) and void
 * (`POST invoice?operation=void`, or an update with `include=void`: amounts go to zero,
 * `PrivateNote` becomes "Voided").
 * Lines are `SalesItemLineDetail` lines (`Amount` = `Qty` × `UnitPrice`, an `ItemRef`, and a VAT
 * `TaxCodeRef`: this is a UK company, which refuses a line without one) plus the
 * `SubTotalLineDetail` line QBO adds to every answer. Amounts are VAT exclusive
 * (`GlobalTaxCalculation: TaxExcluded`); `TxnTaxDetail` carries the VAT. `Balance` is what is
 * left after the payments linked to the invoice (`LinkedTxn` lists them); a voided invoice has
 * `TotalAmt` and `Balance` 0.
 * Docs: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/invoice
 */
import {
  isSparse,
  metaData,
  wholeSeconds,
  type EntityOps,
  type FieldSpec,
  type QboContext,
  type Rec,
  type WriteOptions,
} from './context.ts';
import { findCustomer } from './customers.ts';
import {
  amountApplied,
  changed,
  computeTotals,
  defaultDueDate,
  invoiceBalance,
  nextDocNumber,
  paymentsApplied,
  TAX_CODES,
  type Invoice,
  type InvoiceLine,
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
  refValue,
  requiredParam,
  str,
  stringLength,
  toMinor,
  validation,
} from './wire.ts';

const MODELLED = [
  'CustomerRef',
  'Line',
  'TxnDate',
  'DueDate',
  'DocNumber',
  'PrivateNote',
  'CustomerMemo',
  'BillEmail',
  'EmailStatus',
  'PrintStatus',
  'CurrencyRef',
  'GlobalTaxCalculation',
];

/** Writable QBO members kept as given and echoed back. */
const KEPT = [
  'BillAddr',
  'ShipAddr',
  'SalesTermRef',
  'ClassRef',
  'DepartmentRef',
  'CustomField',
  'TrackingNum',
  'ShipDate',
  'ShipMethodRef',
  'BillEmailCc',
  'BillEmailBcc',
  'TransactionLocationType',
  'ProjectRef',
];

/** Read-only or computed members clients echo back; ignored on writes. */
const READ_ONLY = [
  'Id',
  'SyncToken',
  'MetaData',
  'domain',
  'sparse',
  'TotalAmt',
  'HomeTotalAmt',
  'Balance',
  'HomeBalance',
  'Deposit',
  'LinkedTxn',
  'TxnTaxDetail',
  'ApplyTaxAfterDiscount',
  'AllowIPNPayment',
  'AllowOnlinePayment',
  'AllowOnlineCreditCardPayment',
  'AllowOnlineACHPayment',
  'InvoiceLink',
  'ExchangeRate',
  'FreeFormAddress',
  'TxnSource',
  'status',
];

const KNOWN = new Set<string>([...MODELLED, ...KEPT, ...READ_ONLY]);

type StoredInvoice = Invoice & { extra?: Record<string, unknown> };

const asInvoice = (rec: Rec) => rec as StoredInvoice;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function taxDetail(invoice: Invoice): Record<string, unknown> {
  const byCode = new Map<string, number>();
  for (const line of invoice.lines) byCode.set(line.taxCode, (byCode.get(line.taxCode) ?? 0) + line.amount);
  return {
    TotalTax: money(invoice.totalTax),
    TaxLine: [...byCode].map(([code, net]) => {
      const tax = TAX_CODES[code];
      return {
        Amount: money(Math.round((net * (tax?.rate ?? 0)) / 100)),
        DetailType: 'TaxLineDetail',
        TaxLineDetail: {
          TaxRateRef: { value: tax?.taxRateId ?? code },
          PercentBased: true,
          TaxPercent: tax?.rate ?? 0,
          NetAmountTaxable: money(net),
        },
      };
    }),
  };
}

/** UnitPrice keeps up to seven decimals on the wire, as QBO does. */
const unitPriceWire = (pence: number) => Number((pence / 100).toFixed(7));

export function invoiceToWire(ctx: QboContext, rec: Rec): Record<string, unknown> {
  const invoice = asInvoice(rec);
  const company = ctx.company;
  const customer = company.customers.get(invoice.customerId);
  const subTotal = invoice.lines.reduce((sum, l) => sum + l.amount, 0);
  const linked = paymentsApplied(company, invoice.id).map((id) => ({ TxnId: id, TxnType: 'Payment' }));
  return {
    AllowIPNPayment: false,
    AllowOnlinePayment: false,
    AllowOnlineCreditCardPayment: false,
    AllowOnlineACHPayment: false,
    domain: 'QBO',
    sparse: false,
    Id: invoice.id,
    SyncToken: String(invoice.syncToken),
    MetaData: metaData(ctx, invoice),
    DocNumber: invoice.docNumber,
    TxnDate: invoice.txnDate,
    CurrencyRef: { ...GBP },
    ...(invoice.privateNote !== undefined ? { PrivateNote: invoice.privateNote } : {}),
    LinkedTxn: linked,
    Line: [
      ...invoice.lines.map((line, i) => ({
        Id: line.id,
        LineNum: i + 1,
        ...(line.description !== undefined ? { Description: line.description } : {}),
        Amount: money(line.amount),
        DetailType: 'SalesItemLineDetail',
        SalesItemLineDetail: {
          ...(line.serviceDate ? { ServiceDate: line.serviceDate } : {}),
          ItemRef: { value: line.itemId, name: company.items.get(line.itemId)?.name ?? '' },
          UnitPrice: unitPriceWire(line.unitPrice),
          Qty: line.qty,
          TaxCodeRef: { value: line.taxCode },
        },
      })),
      { Amount: money(subTotal), DetailType: 'SubTotalLineDetail', SubTotalLineDetail: {} },
    ],
    TxnTaxDetail: taxDetail(invoice),
    CustomerRef: { value: invoice.customerId, name: customer?.displayName ?? '' },
    ...(invoice.customerMemo !== undefined ? { CustomerMemo: { value: invoice.customerMemo } } : {}),
    ...(customer?.billAddr && !invoice.extra?.BillAddr ? { BillAddr: { ...customer.billAddr } } : {}),
    DueDate: invoice.dueDate,
    GlobalTaxCalculation: 'TaxExcluded',
    TotalAmt: money(invoice.total),
    HomeTotalAmt: money(invoice.total),
    PrintStatus: invoice.printStatus,
    EmailStatus: invoice.emailStatus,
    ...(invoice.billEmail ? { BillEmail: { Address: invoice.billEmail } } : {}),
    Balance: money(invoiceBalance(company, invoice)),
    Deposit: 0,
    ApplyTaxAfterDiscount: false,
    ...structuredClone(invoice.extra ?? {}),
  };
}

export const findInvoice = (ctx: QboContext, id: string): StoredInvoice | undefined =>
  ctx.company.invoices.get(id.trim());

function numberOf(value: unknown, element: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw invalidProperty(element, element);
  return n;
}

function dateOf(value: unknown, element: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' || !isDate(value.slice(0, 10)))
    throw invalidProperty(`${element} (expected yyyy-MM-dd, got ${JSON.stringify(value)})`, element);
  return value.slice(0, 10);
}

function parseLines(ctx: QboContext, value: unknown, existing: InvoiceLine[] | undefined): InvoiceLine[] {
  if (!Array.isArray(value)) throw invalidProperty('Line', 'Line');
  let nextId = Math.max(0, ...(existing ?? []).map((l) => Number(l.id) || 0)) + 1;
  const lines: InvoiceLine[] = [];
  value.forEach((raw, i) => {
    if (!isRecord(raw)) throw invalidProperty(`Line[${i}]`, 'Line');
    const type = str(raw.DetailType);
    if (!type) throw requiredParam('Line.DetailType', 'Line.DetailType');
    if (type === 'SubTotalLineDetail') return; // recomputed on every answer
    if (type !== 'SalesItemLineDetail')
      throw businessValidation(
        `The sandbox supports SalesItemLineDetail lines only (got ${type}).`,
        'Line.DetailType',
      );
    const detail = raw.SalesItemLineDetail ?? {};
    if (!isRecord(detail)) throw invalidProperty('Line.SalesItemLineDetail', 'Line.SalesItemLineDetail');
    const amount = numberOf(raw.Amount, 'Line.Amount');
    if (amount === undefined) throw requiredParam('Line.Amount', 'Line.Amount');
    const itemId = refValue(detail.ItemRef) ?? '1';
    if (!ctx.company.items.has(itemId))
      throw invalidReference(`Item ${itemId} does not exist or has been made inactive.`, 'Line.ItemRef');
    const taxCode = refValue(detail.TaxCodeRef);
    if (!taxCode)
      throw businessValidation(
        'Make sure all your transactions have a VAT rate before you save.',
        'TaxCodeRef',
      );
    if (!TAX_CODES[taxCode])
      throw invalidReference(`TaxCode ${taxCode} does not exist or has been made inactive.`, 'TaxCodeRef');
    let qty = numberOf(detail.Qty, 'Line.SalesItemLineDetail.Qty');
    let unitPrice = numberOf(detail.UnitPrice, 'Line.SalesItemLineDetail.UnitPrice');
    if (qty === undefined && unitPrice === undefined) {
      qty = 1;
      unitPrice = amount;
    } else if (qty === undefined) qty = unitPrice === 0 ? 0 : amount / (unitPrice as number);
    else if (unitPrice === undefined) unitPrice = qty === 0 ? 0 : amount / qty;
    if (Math.abs((qty as number) * (unitPrice as number) - amount) > 0.005)
      throw validation(
        '6070',
        'Amount calculation incorrect in the request',
        `Amount is not equal to Qty * UnitPrice. Supplied value:${amount}`,
        'Line.Amount',
      );
    const description = raw.Description === undefined ? undefined : str(raw.Description);
    if (description !== undefined && description.length > 4000)
      throw stringLength('Line.Description', 4000, description.length);
    const given = str(raw.Id);
    const previous = given ? existing?.find((l) => l.id === given) : undefined;
    lines.push({
      id: previous?.id ?? String(nextId++),
      ...(description !== undefined ? { description } : {}),
      amount: toMinor(amount) as number,
      itemId,
      qty: qty as number,
      unitPrice: (unitPrice as number) * 100,
      taxCode,
      ...(dateOf(detail.ServiceDate, 'ServiceDate')
        ? { serviceDate: dateOf(detail.ServiceDate, 'ServiceDate') }
        : {}),
    });
  });
  return lines;
}

/** Creates (no `existing`) or updates an invoice; validates everything before changing the books. */
export function applyInvoice(
  ctx: QboContext,
  input: Record<string, unknown>,
  existing: StoredInvoice | undefined,
  changes: ChangeBatch,
  options: WriteOptions,
): StoredInvoice {
  checkProperties('Invoice', input, KNOWN);
  const company = ctx.company;
  const sparse = existing !== undefined && isSparse(input);
  const given = (key: string) => key in input && input[key] !== undefined;
  if (existing?.voided)
    throw businessValidation('This transaction has been voided and can no longer be changed.');

  // Customer.
  let customerId = existing?.customerId;
  if (given('CustomerRef')) {
    customerId = refValue(input.CustomerRef);
    if (!customerId) throw requiredParam('CustomerRef', 'CustomerRef');
  } else if (!existing) throw requiredParam('CustomerRef', 'CustomerRef');
  const customer = findCustomer(ctx, customerId as string);
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
  const globalTax = str(input.GlobalTaxCalculation);
  if (globalTax && globalTax !== 'TaxExcluded')
    throw businessValidation(
      'The sandbox company enters amounts excluding VAT (TaxExcluded).',
      'GlobalTaxCalculation',
    );

  // Lines.
  // A full update replaces the lines like everything else: it must carry them.
  const lines = given('Line')
    ? parseLines(ctx, input.Line, existing?.lines)
    : sparse
      ? existing?.lines
      : undefined;
  if (!lines || lines.length === 0) throw requiredParam('Line', 'Line');

  // Dates and number.
  const today = localDate(ctx.clock.now(), company.timeZone);
  const txnDate = dateOf(input.TxnDate, 'TxnDate') ?? existing?.txnDate ?? today;
  const dueDate = dateOf(input.DueDate, 'DueDate') ?? existing?.dueDate ?? defaultDueDate(txnDate);
  let docNumber = existing?.docNumber;
  if (given('DocNumber')) {
    const raw = str(input.DocNumber)?.trim();
    if (raw === undefined) throw invalidProperty('DocNumber', 'DocNumber');
    if (raw.length > 21) throw stringLength('DocNumber', 21, raw.length);
    docNumber = raw || undefined;
  }
  if (docNumber && !options.include.includes('allowduplicatedocnum')) {
    const clash = [...company.invoices.values()].find(
      (i) => i.docNumber === docNumber && i.id !== existing?.id,
    );
    if (clash)
      throw validation(
        '6140',
        'Duplicate Document Number Error',
        `Duplicate Document Number Error : You must specify a different number. This number has already been used. DocNumber=${docNumber} is assigned to TxnType=Invoice with TxnId=${clash.id}`,
        'DocNumber',
      );
  }

  const textMember = (key: string, max: number, current: string | undefined) => {
    if (!given(key)) return sparse || !existing ? current : undefined;
    const value = str(input[key]);
    if (value === undefined) throw invalidProperty(key, key);
    if (value.length > max) throw stringLength(key, max, value.length);
    return value;
  };
  const privateNote = textMember('PrivateNote', 4000, existing?.privateNote);
  let customerMemo = existing?.customerMemo;
  if (given('CustomerMemo')) {
    const memo = isRecord(input.CustomerMemo) ? str(input.CustomerMemo.value) : undefined;
    if (memo === undefined) throw invalidProperty('CustomerMemo', 'CustomerMemo');
    if (memo.length > 1000) throw stringLength('CustomerMemo', 1000, memo.length);
    customerMemo = memo;
  } else if (existing && !sparse) customerMemo = undefined;
  let billEmail = existing?.billEmail ?? (existing ? undefined : customer.email?.trim());
  if (given('BillEmail')) {
    const address = isRecord(input.BillEmail) ? str(input.BillEmail.Address) : undefined;
    if (address === undefined) throw invalidProperty('BillEmail', 'BillEmail');
    if (address.trim() !== '' && !EMAIL.test(address.trim()))
      throw validation(
        '2210',
        'Email Address does not conform to the syntax rules of RFC 822.',
        `Email Address does not conform to the syntax rules of RFC 822. Supplied value:${address}`,
        'BillEmail',
      );
    billEmail = address.trim() || undefined;
  }
  const status = <T extends string>(key: string, allowed: readonly T[], current: T): T => {
    if (!given(key)) return current;
    const value = str(input[key]) as T;
    if (!allowed.includes(value)) throw invalidProperty(`${key} (${String(input[key])})`, key);
    return value;
  };
  const emailStatus = status(
    'EmailStatus',
    ['NotSet', 'NeedToSend', 'EmailSent'] as const,
    existing?.emailStatus ?? 'NotSet',
  );
  const printStatus = status(
    'PrintStatus',
    ['NotSet', 'NeedToPrint', 'PrintComplete'] as const,
    existing?.printStatus ?? 'NotSet',
  );

  const totals = computeTotals(lines);
  if (existing) {
    const applied = amountApplied(company, existing.id);
    if (totals.total < applied)
      throw businessValidation(
        `The invoice total (${money(totals.total).toFixed(2)}) can't be less than the payments applied to it (${money(applied).toFixed(2)}).`,
      );
  }
  const extra: Record<string, unknown> = sparse ? structuredClone(existing?.extra ?? {}) : {};
  for (const key of KEPT) if (key in input) extra[key] = structuredClone(input[key]);

  const now = ctx.clock.now();
  const invoice: StoredInvoice = existing ?? {
    id: String(company.nextTxnId++),
    syncToken: 0,
    docNumber: '',
    txnDate,
    dueDate,
    customerId: customer.id,
    lines: [],
    totalTax: 0,
    total: 0,
    emailStatus,
    printStatus,
    voided: false,
    createdAt: now,
    updatedAt: now,
  };
  Object.assign(invoice, {
    docNumber: docNumber ?? (existing ? '' : nextDocNumber(company)),
    txnDate,
    dueDate,
    customerId: customer.id,
    lines,
    totalTax: totals.totalTax,
    total: totals.total,
    privateNote,
    customerMemo,
    billEmail,
    emailStatus,
    printStatus,
    extra,
  });
  if (existing) invoice.syncToken++;
  invoice.updatedAt = now;
  company.invoices.set(invoice.id, invoice);
  changed(company);
  changes.add('Invoice', existing ? 'Update' : 'Create', invoice.id, now);
  return invoice;
}

function paymentsOn(ctx: QboContext, invoice: Invoice) {
  return [...ctx.company.payments.values()].filter((p) => p.lines.some((l) => l.invoiceId === invoice.id));
}

export function voidInvoice(ctx: QboContext, invoice: StoredInvoice, changes: ChangeBatch): StoredInvoice {
  if (invoice.voided) return invoice;
  const linked = paymentsOn(ctx, invoice);
  if (linked.length > 0)
    throw businessValidation(
      `This invoice has payments applied (Payment ${linked.map((p) => p.id).join(', ')}). Delete or unapply them before voiding it.`,
    );
  const now = ctx.clock.now();
  invoice.voided = true;
  invoice.lines = invoice.lines.map((l) => ({ ...l, amount: 0, qty: 0 }));
  invoice.total = 0;
  invoice.totalTax = 0;
  invoice.privateNote = 'Voided';
  invoice.syncToken++;
  invoice.updatedAt = now;
  changed(ctx.company);
  changes.add('Invoice', 'Void', invoice.id, now);
  return invoice;
}

export function deleteInvoice(ctx: QboContext, invoice: StoredInvoice, changes: ChangeBatch): void {
  const linked = paymentsOn(ctx, invoice);
  if (linked.length > 0)
    throw businessValidation(
      `This invoice has payments applied (Payment ${linked.map((p) => p.id).join(', ')}). Delete them before deleting the invoice.`,
    );
  const now = ctx.clock.now();
  ctx.company.invoices.delete(invoice.id);
  ctx.company.deleted.push({ entity: 'Invoice', id: invoice.id, deletedAt: now });
  changed(ctx.company);
  changes.add('Invoice', 'Delete', invoice.id, now);
}

const fields: FieldSpec[] = [
  { name: 'Id', type: 'id', get: (_ctx, r) => r.id },
  { name: 'DocNumber', type: 'string', get: (_ctx, r) => asInvoice(r).docNumber },
  { name: 'TxnDate', type: 'date', get: (_ctx, r) => asInvoice(r).txnDate },
  { name: 'DueDate', type: 'date', get: (_ctx, r) => asInvoice(r).dueDate },
  { name: 'CustomerRef', type: 'ref', get: (_ctx, r) => asInvoice(r).customerId },
  { name: 'Balance', type: 'number', get: (ctx, r) => money(invoiceBalance(ctx.company, asInvoice(r))) },
  { name: 'TotalAmt', type: 'number', get: (_ctx, r) => money(asInvoice(r).total) },
  { name: 'PrivateNote', type: 'string', get: (_ctx, r) => asInvoice(r).privateNote },
  { name: 'MetaData.CreateTime', type: 'datetime', get: (_ctx, r) => wholeSeconds(r.createdAt) },
  { name: 'MetaData.LastUpdatedTime', type: 'datetime', get: (_ctx, r) => wholeSeconds(r.updatedAt) },
];

export const invoiceOps: EntityOps = {
  name: 'Invoice',
  fields,
  properties: [...KNOWN],
  all: (ctx) => [...ctx.company.invoices.values()],
  find: findInvoice,
  toWire: invoiceToWire,
  create: (ctx, input, changes, options) => applyInvoice(ctx, input, undefined, changes, options),
  update: (ctx, existing, input, changes, options) =>
    options.include.includes('void')
      ? voidInvoice(ctx, asInvoice(existing), changes)
      : applyInvoice(ctx, input, asInvoice(existing), changes, options),
  remove: (ctx, existing, changes) => deleteInvoice(ctx, asInvoice(existing), changes),
  void: (ctx, existing, changes) => voidInvoice(ctx, asInvoice(existing), changes),
};
