import type {
  AccountingInvoice,
  InvoiceLine,
  InvoicePayment,
  InvoiceStatus,
  Money,
  PersonRecord,
} from '../../src/domain/model.ts';
import { SourceError } from '../../src/domain/errors.ts';
import { createReader } from '../../src/upstream/validate.ts';

/**
 * QuickBooks Online's Accounting API shapes (the members the hub reads) and their mapping to the
 * domain model. Money is decimal on the wire (`65.5`, unit prices up to seven places), dates are the
 * company's calendar dates (`2026-11-23`), MetaData times carry the company's UTC offset.
 * https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/customer
 * https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/invoice
 * https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/payment
 */

export interface QuickbooksRef {
  value: string;
  name?: string;
}

export interface QuickbooksMetaData {
  CreateTime?: string;
  LastUpdatedTime?: string;
}

export interface QuickbooksCustomer {
  Id: string;
  SyncToken: string;
  DisplayName?: string;
  GivenName?: string;
  FamilyName?: string;
  CompanyName?: string;
  PrimaryEmailAddr?: { Address?: string };
  PrimaryPhone?: { FreeFormNumber?: string };
  Mobile?: { FreeFormNumber?: string };
  Active?: boolean;
  MetaData?: QuickbooksMetaData;
}

export interface QuickbooksInvoiceLine {
  Id?: string;
  Description?: string;
  Amount: number;
  DetailType: 'SalesItemLineDetail' | 'SubTotalLineDetail' | string;
  SalesItemLineDetail?: {
    ItemRef?: QuickbooksRef;
    UnitPrice?: number;
    Qty?: number;
    TaxCodeRef?: QuickbooksRef;
  };
}

export interface QuickbooksInvoice {
  Id: string;
  SyncToken: string;
  DocNumber?: string;
  TxnDate?: string;
  DueDate?: string;
  CustomerRef?: QuickbooksRef;
  CurrencyRef?: QuickbooksRef;
  PrivateNote?: string;
  Line?: QuickbooksInvoiceLine[];
  TxnTaxDetail?: { TotalTax?: number };
  TotalAmt: number;
  Balance: number;
  LinkedTxn?: Array<{ TxnId: string; TxnType: string }>;
  MetaData?: QuickbooksMetaData;
}

export interface QuickbooksPayment {
  Id: string;
  TxnDate?: string;
  TotalAmt: number;
  CurrencyRef?: QuickbooksRef;
  Line?: Array<{ Amount: number; LinkedTxn?: Array<{ TxnId: string; TxnType: string }> }>;
  PrivateNote?: string;
  PaymentRefNum?: string;
}

/** Where records live in QuickBooks' own web app, and the company's currency for records without one. */
export interface MapOptions {
  /** `https://app.qbo.intuit.com`, or `https://app.sandbox.qbo.intuit.com` for a sandbox company. */
  appUrl: string;
  /** The company's home currency: what amounts are in when a record names no CurrencyRef. */
  homeCurrency: string;
}

const read = createReader('quickbooks');

export const customerUrl = (appUrl: string, id: string) =>
  `${appUrl}/app/customerdetail?nameId=${encodeURIComponent(id)}`;
export const invoiceUrl = (appUrl: string, id: string) =>
  `${appUrl}/app/invoice?txnId=${encodeURIComponent(id)}`;

const unexpected = (message: string) =>
  new SourceError('quickbooks', 'UPSTREAM_ERROR', `quickbooks sent an unexpected response: ${message}`);

const digitsCache = new Map<string, number>();

/** Minor-unit digits of a currency (GBP 2, JPY 0, BHD 3), from the ICU data Node ships with. */
export function currencyDigits(currency: string): number {
  let digits = digitsCache.get(currency);
  if (digits === undefined) {
    try {
      digits =
        new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions()
          .maximumFractionDigits ?? 2;
    } catch {
      digits = 2; // not a code Intl knows
    }
    digitsCache.set(currency, digits);
  }
  return digits;
}

/**
 * A decimal amount in integer minor units. Rounding after scaling absorbs the binary error of the
 * decimal (0.1 * 100 = 10.000000000000002) and is exact for amounts QBO keeps at the currency's
 * places; unit prices QBO keeps to seven places are rounded to the nearest minor unit, half away from
 * zero, so negative (discount) amounts round like positive ones.
 */
export function toMinorUnits(amount: number, currency: string): number {
  const scaled = amount * 10 ** currencyDigits(currency);
  return Math.sign(scaled) * Math.round(Math.abs(scaled));
}

export const toMoney = (amount: number, currency: string): Money => ({
  amount: toMinorUnits(amount, currency),
  currency,
});

/**
 * Minor units as the decimal QBO expects (1999 pence → 19.99). Division by a power of ten gives the
 * nearest double to the decimal, which JSON prints exactly as written.
 */
export const toQuickbooksAmount = (minor: number, currency: string): number =>
  minor / 10 ** currencyDigits(currency.toUpperCase());

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * QBO dates and date-times. A transaction date (`2026-11-23`) is a calendar date of the company and
 * is read as midnight UTC, as the other accounting adapter reads date-only fields; MetaData times
 * carry their offset (`2026-11-23T10:15:00+00:00`), webhook times too (`…-0700`). Null when absent
 * or unreadable.
 */
export function parseQuickbooksDate(value: unknown): Date | null {
  if (typeof value !== 'string' || value.trim() === '') return null;
  const trimmed = value.trim();
  const parsed = Date.parse(DATE_ONLY.test(trimmed) ? `${trimmed}T00:00:00Z` : trimmed);
  return Number.isNaN(parsed) ? null : new Date(parsed);
}

/** A calendar date as QBO takes it (`2026-11-23`): the UTC date, the way reads give it back. */
export function toQuickbooksDate(date: Date): string {
  if (Number.isNaN(date.getTime())) {
    throw new SourceError('quickbooks', 'INVALID_REQUEST', 'quickbooks: an invalid date cannot be sent');
  }
  return date.toISOString().slice(0, 10);
}

const optionalObject = (value: unknown, what: string): Record<string, unknown> =>
  value === undefined || value === null ? {} : read.object(value, what);

const VOIDED_NOTE = /^voided\b/i;

/**
 * QBO keeps a voided invoice, with its amounts zeroed and its private note replaced by "Voided"
 * (what the void operation does, and how the sandbox shows it); there is no status member.
 */
export function isVoided(invoice: Record<string, unknown>): boolean {
  const note = read.optionalString(invoice, 'PrivateNote')?.trim() ?? '';
  return read.optionalNumber(invoice, 'TotalAmt') === 0 && VOIDED_NOTE.test(note);
}

/**
 * The vendor-neutral status: QBO has no drafts and no approval step, so an invoice is VOIDED, PAID
 * (nothing left of a positive total) or otherwise AUTHORISED (money due, or a zero invoice).
 */
export function invoiceStatus(invoice: Record<string, unknown>): InvoiceStatus {
  if (isVoided(invoice)) return 'VOIDED';
  const total = read.optionalNumber(invoice, 'TotalAmt') ?? 0;
  const balance = read.optionalNumber(invoice, 'Balance') ?? 0;
  return balance === 0 && total > 0 ? 'PAID' : 'AUTHORISED';
}

/** Ids of the payments an invoice's LinkedTxn names. */
export function linkedPaymentIds(raw: unknown): string[] {
  const invoice = read.object(raw, 'invoice');
  const links = invoice.LinkedTxn === undefined || invoice.LinkedTxn === null ? [] : invoice.LinkedTxn;
  return read
    .array(links, 'invoice.LinkedTxn')
    .map((l) => read.object(l, 'invoice.LinkedTxn[]'))
    .filter((l) => l.TxnType === 'Payment')
    .map((l) => read.string(l, 'TxnId', 'invoice.LinkedTxn[]'));
}

function pickPhone(customer: Record<string, unknown>): string | null {
  for (const key of ['PrimaryPhone', 'Mobile']) {
    const number = read
      .optionalString(optionalObject(customer[key], `customer.${key}`), 'FreeFormNumber')
      ?.trim();
    if (number) return number;
  }
  return null;
}

export function toPersonRecord(raw: unknown, options: MapOptions): PersonRecord {
  const customer = read.object(raw, 'customer');
  const id = read.string(customer, 'Id', 'customer');
  const what = `customer ${id}`;
  const firstName = read.optionalString(customer, 'GivenName');
  const lastName = read.optionalString(customer, 'FamilyName');
  const meta = optionalObject(customer.MetaData, `${what}.MetaData`);
  return {
    source: 'quickbooks',
    externalId: id,
    email: read.optionalString(
      optionalObject(customer.PrimaryEmailAddr, `${what}.PrimaryEmailAddr`),
      'Address',
    ),
    firstName,
    lastName,
    name:
      read.optionalString(customer, 'DisplayName') ??
      ([firstName, lastName].filter(Boolean).join(' ') || null),
    phone: pickPhone(customer),
    company: read.optionalString(customer, 'CompanyName'),
    createdAt: parseQuickbooksDate(meta.CreateTime),
    updatedAt: parseQuickbooksDate(meta.LastUpdatedTime),
    url: customerUrl(options.appUrl, id),
  };
}

/** A payment as the invoices it applies to see it: its date, and the amount applied to each. */
export interface AppliedPayment {
  id: string;
  date: Date;
  /** Invoice id → decimal amount applied. */
  applied: Map<string, number>;
}

export function toAppliedPayment(raw: unknown): AppliedPayment {
  const payment = read.object(raw, 'payment');
  const id = read.string(payment, 'Id', 'payment');
  const what = `payment ${id}`;
  const date = parseQuickbooksDate(payment.TxnDate);
  if (!date) throw unexpected(`${what}.TxnDate should be a date, got ${JSON.stringify(payment.TxnDate)}`);
  const applied = new Map<string, number>();
  const lines = payment.Line === undefined || payment.Line === null ? [] : payment.Line;
  read.array(lines, `${what}.Line`).forEach((rawLine, i) => {
    const line = read.object(rawLine, `${what}.Line[${i}]`);
    const amount = read.number(line, 'Amount', `${what}.Line[${i}]`);
    const links = line.LinkedTxn === undefined || line.LinkedTxn === null ? [] : line.LinkedTxn;
    for (const rawLink of read.array(links, `${what}.Line[${i}].LinkedTxn`)) {
      const link = read.object(rawLink, `${what}.Line[${i}].LinkedTxn[]`);
      if (link.TxnType !== 'Invoice') continue;
      const invoiceId = read.string(link, 'TxnId', `${what}.Line[${i}].LinkedTxn[]`);
      applied.set(invoiceId, (applied.get(invoiceId) ?? 0) + amount);
    }
  });
  return { id, date, applied };
}

/**
 * An invoice, with the payments its LinkedTxn names (looked up by the caller, in one query for a
 * whole page of invoices; a payment missing from `payments` is left out).
 *
 * Lines are as QBO holds them: the sandbox company (a UK one) enters amounts excluding VAT
 * (`GlobalTaxCalculation: TaxExcluded`), so `unitAmount` and `lineAmount` are net and `totalTax`
 * is the VAT QBO worked out on the total; `total` includes it. Only item lines count as lines (QBO
 * adds a SubTotalLineDetail line to every answer).
 */
export function toAccountingInvoice(
  raw: unknown,
  payments: ReadonlyMap<string, AppliedPayment>,
  options: MapOptions,
): AccountingInvoice {
  const invoice = read.object(raw, 'invoice');
  const id = read.string(invoice, 'Id', 'invoice');
  const what = `invoice ${id}`;
  const currency = (
    read.optionalString(optionalObject(invoice.CurrencyRef, `${what}.CurrencyRef`), 'value') ??
    options.homeCurrency
  ).toUpperCase();
  const money = (amount: number): Money => toMoney(amount, currency);
  const voided = isVoided(invoice);

  const rawLines = invoice.Line === undefined || invoice.Line === null ? [] : invoice.Line;
  const lines: InvoiceLine[] = [];
  read.array(rawLines, `${what}.Line`).forEach((rawLine, i) => {
    const where = `${what}.Line[${i}]`;
    const line = read.object(rawLine, where);
    if (line.DetailType !== 'SalesItemLineDetail') return;
    const detail = optionalObject(line.SalesItemLineDetail, `${where}.SalesItemLineDetail`);
    const amount = read.number(line, 'Amount', where);
    const quantity = read.optionalNumber(detail, 'Qty') ?? 1;
    const unitPrice = read.optionalNumber(detail, 'UnitPrice') ?? (quantity === 0 ? 0 : amount / quantity);
    lines.push({
      description: read.optionalString(line, 'Description') ?? '',
      quantity,
      unitAmount: money(unitPrice),
      lineAmount: money(amount),
    });
  });

  const total = money(read.number(invoice, 'TotalAmt', what));
  const tax = read.optionalNumber(optionalObject(invoice.TxnTaxDetail, `${what}.TxnTaxDetail`), 'TotalTax');
  const totalTax = money(tax ?? 0);
  const balance = money(read.number(invoice, 'Balance', what));

  const paid: InvoicePayment[] = [];
  for (const paymentId of linkedPaymentIds(invoice)) {
    const payment = payments.get(paymentId);
    const amount = payment?.applied.get(id);
    if (!payment || amount === undefined) continue;
    paid.push({ externalId: payment.id, amount: money(amount), date: payment.date });
  }

  const note = read.optionalString(invoice, 'PrivateNote');
  const meta = optionalObject(invoice.MetaData, `${what}.MetaData`);
  return {
    source: 'quickbooks',
    externalId: id,
    number: read.optionalString(invoice, 'DocNumber'),
    contactExternalId: read.optionalString(
      optionalObject(invoice.CustomerRef, `${what}.CustomerRef`),
      'value',
    ),
    status: invoiceStatus(invoice),
    // Voiding overwrites the private note with "Voided": that is no payment reference.
    reference: voided && note?.trim().toLowerCase() === 'voided' ? null : note,
    issuedOn: parseQuickbooksDate(invoice.TxnDate),
    dueOn: parseQuickbooksDate(invoice.DueDate),
    lines,
    subTotal: { amount: total.amount - totalTax.amount, currency },
    totalTax,
    total,
    amountDue: balance,
    amountPaid: { amount: total.amount - balance.amount, currency },
    payments: paid,
    updatedAt: parseQuickbooksDate(meta.LastUpdatedTime),
    url: invoiceUrl(options.appUrl, id),
  };
}
