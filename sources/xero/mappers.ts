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

/** A phone as Xero's Accounting API holds it (every contact carries DEFAULT, DDI, MOBILE and FAX). */
export interface XeroPhone {
  PhoneType: 'DEFAULT' | 'DDI' | 'MOBILE' | 'FAX';
  PhoneNumber?: string;
  PhoneAreaCode?: string;
  PhoneCountryCode?: string;
}

/** A contact as `GET /Contacts` returns it (fields the hub reads). */
export interface XeroContact {
  ContactID: string;
  ContactStatus?: 'ACTIVE' | 'ARCHIVED' | 'GDPRREQUEST';
  Name?: string;
  /** Free text up to 50 characters for an external system's id; the hub stores its switchboard id here. */
  ContactNumber?: string;
  FirstName?: string;
  LastName?: string;
  EmailAddress?: string;
  Phones?: XeroPhone[];
  /** `/Date(1573755038314+0000)/` */
  UpdatedDateUTC?: string;
}

export interface XeroLineItem {
  LineItemID?: string;
  Description?: string;
  Quantity?: number;
  UnitAmount?: number;
  LineAmount?: number;
}

export interface XeroPayment {
  PaymentID: string;
  Amount: number;
  Date: string;
}

/** An invoice as `GET /Invoices?page=…` returns it: amounts are decimals in `CurrencyCode`. */
export interface XeroInvoice {
  Type: 'ACCREC' | 'ACCPAY';
  InvoiceID: string;
  InvoiceNumber?: string;
  Reference?: string;
  Contact?: { ContactID?: string; Name?: string };
  Date?: string;
  DueDate?: string;
  Status: InvoiceStatus;
  LineItems?: XeroLineItem[];
  SubTotal: number;
  TotalTax: number;
  Total: number;
  AmountDue: number;
  AmountPaid: number;
  CurrencyCode?: string;
  Payments?: XeroPayment[];
  UpdatedDateUTC?: string;
}

const read = createReader('xero');

const STATUSES: ReadonlySet<InvoiceStatus> = new Set([
  'DRAFT',
  'SUBMITTED',
  'AUTHORISED',
  'PAID',
  'VOIDED',
  'DELETED',
]);

export const contactUrl = (id: string) => `https://go.xero.com/Contacts/View/${encodeURIComponent(id)}`;
export const invoiceUrl = (id: string) =>
  `https://go.xero.com/AccountsReceivable/View.aspx?InvoiceID=${encodeURIComponent(id)}`;

const MS_DATE = /^\/Date\((-?\d+)([+-]\d{4})?\)\/$/;
const LOCAL_ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$/;

/**
 * Xero's Microsoft JSON dates (`/Date(1573755038314+0000)/`) and, for the `…String` siblings and
 * newer endpoints, ISO strings. The number is milliseconds since the epoch in UTC; the offset only
 * says which zone the value was written in, so it does not shift the instant. ISO strings without a
 * zone (`2019-11-14T00:00:00`) are calendar dates of the organisation and are read as UTC, which is
 * how Xero sends date-only fields in the MS form too (midnight UTC). Null when absent or unreadable.
 */
export function parseXeroDate(value: unknown): Date | null {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  if (typeof value !== 'string') return null;
  const trimmed = value.trim();
  if (trimmed === '') return null;
  const ms = MS_DATE.exec(trimmed);
  if (ms) return new Date(Number(ms[1]));
  const iso = LOCAL_ISO.test(trimmed) ? `${trimmed}${trimmed.length === 10 ? 'T00:00:00' : ''}Z` : trimmed;
  const parsed = Date.parse(iso);
  return Number.isNaN(parsed) ? null : new Date(parsed);
}

function requiredDate(value: unknown, what: string): Date {
  const date = parseXeroDate(value);
  if (!date) {
    throw new SourceError(
      'xero',
      'UPSTREAM_ERROR',
      `xero sent an unexpected response: ${what} should be a date, got ${JSON.stringify(value)}`,
    );
  }
  return date;
}

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
      // Not an ISO 4217 code Intl knows; Xero's own currencies all have 2 digits or are known.
      digits = 2;
    }
    digitsCache.set(currency, digits);
  }
  return digits;
}

/**
 * Xero sends money as decimals in the currency's major unit (65.00 for £65). Rounding after scaling
 * absorbs the binary float error (0.1 * 100 = 10.000000000000002). Xero keeps amounts at 2 decimal
 * places unless `unitdp=4` is asked for, which the hub never does, so for GBP this is exact.
 */
export function toMoney(amount: number, currency: string): Money {
  return { amount: Math.round(amount * 10 ** currencyDigits(currency)), currency };
}

/**
 * Domain minor units as the decimal Xero expects (1999 pence → 19.99). Division by a power of ten
 * gives the nearest double to the decimal, which JSON prints exactly as written.
 */
export function toXeroAmount(money: Money): number {
  return money.amount / 10 ** currencyDigits(money.currency.toUpperCase());
}

/**
 * A calendar date as Xero takes it in request bodies (`2026-11-23`): the UTC date, the same way
 * `parseXeroDate` reads Xero's date-only fields back (midnight UTC).
 */
export function toXeroDate(date: Date): string {
  if (Number.isNaN(date.getTime())) {
    throw new SourceError('xero', 'INVALID_REQUEST', 'xero: an invalid date cannot be sent to Xero');
  }
  return date.toISOString().slice(0, 10);
}

function joinPhone(phone: Record<string, unknown>): string | null {
  const number = read.optionalString(phone, 'PhoneNumber')?.trim();
  if (!number) return null;
  const country = read
    .optionalString(phone, 'PhoneCountryCode')
    ?.trim()
    .replace(/^\+|^00/, '');
  let area = read.optionalString(phone, 'PhoneAreaCode')?.trim();
  // With a country code the trunk 0 of the area code is dropped: +44 20 …, not +44 020 ….
  if (country && area) area = area.replace(/^0/, '');
  return [country ? `+${country}` : undefined, area, number].filter(Boolean).join(' ');
}

/** The DEFAULT phone when it has a number, else the MOBILE one; DDI and FAX are not a person's phone. */
function pickPhone(raw: unknown, id: string): string | null {
  if (raw === undefined || raw === null) return null;
  const phones = read.array(raw, `contact ${id}.Phones`).map((p) => read.object(p, `contact ${id}.Phones[]`));
  for (const type of ['DEFAULT', 'MOBILE']) {
    const phone = phones.find((p) => p.PhoneType === type);
    const joined = phone && joinPhone(phone);
    if (joined) return joined;
  }
  return null;
}

export function toPersonRecord(raw: unknown): PersonRecord {
  const contact = read.object(raw, 'contact');
  const id = read.string(contact, 'ContactID', 'contact');
  const firstName = read.optionalString(contact, 'FirstName');
  const lastName = read.optionalString(contact, 'LastName');
  return {
    source: 'xero',
    externalId: id,
    email: read.optionalString(contact, 'EmailAddress'),
    firstName,
    lastName,
    name: read.optionalString(contact, 'Name') ?? ([firstName, lastName].filter(Boolean).join(' ') || null),
    phone: pickPhone(contact.Phones, id),
    // Xero's Name is the contact (person or organisation) and FirstName/LastName the primary person;
    // nothing says which one a contact is, so no company is claimed.
    company: null,
    // Xero keeps no creation date on contacts.
    createdAt: null,
    updatedAt: parseXeroDate(contact.UpdatedDateUTC),
    url: contactUrl(id),
  };
}

export function toAccountingInvoice(raw: unknown): AccountingInvoice {
  const invoice = read.object(raw, 'invoice');
  const id = read.string(invoice, 'InvoiceID', 'invoice');
  const what = `invoice ${id}`;
  const status = read.string(invoice, 'Status', what) as InvoiceStatus;
  if (!STATUSES.has(status)) {
    throw new SourceError(
      'xero',
      'UPSTREAM_ERROR',
      `xero sent an unexpected response: ${what}.Status "${status}" is unknown`,
    );
  }
  const currency = (read.optionalString(invoice, 'CurrencyCode') ?? 'GBP').toUpperCase();
  const money = (obj: Record<string, unknown>, key: string, where: string) =>
    toMoney(read.number(obj, key, where), currency);
  const contact =
    invoice.Contact === undefined || invoice.Contact === null
      ? {}
      : read.object(invoice.Contact, `${what}.Contact`);

  const lines: InvoiceLine[] = read.array(invoice.LineItems ?? [], `${what}.LineItems`).map((rawLine, i) => {
    const line = read.object(rawLine, `${what}.LineItems[${i}]`);
    const where = `${what}.LineItems[${i}]`;
    return {
      description: read.optionalString(line, 'Description') ?? '',
      quantity: read.optionalNumber(line, 'Quantity') ?? 1,
      unitAmount: toMoney(read.optionalNumber(line, 'UnitAmount') ?? 0, currency),
      lineAmount: money(line, 'LineAmount', where),
    };
  });
  const payments: InvoicePayment[] = read
    .array(invoice.Payments ?? [], `${what}.Payments`)
    .map((rawPayment, i) => {
      const payment = read.object(rawPayment, `${what}.Payments[${i}]`);
      const where = `${what}.Payments[${i}]`;
      return {
        externalId: read.string(payment, 'PaymentID', where),
        amount: money(payment, 'Amount', where),
        date: requiredDate(payment.Date, `${where}.Date`),
      };
    });

  return {
    source: 'xero',
    externalId: id,
    number: read.optionalString(invoice, 'InvoiceNumber'),
    contactExternalId: read.optionalString(contact, 'ContactID'),
    status,
    reference: read.optionalString(invoice, 'Reference'),
    issuedOn: parseXeroDate(invoice.Date),
    dueOn: parseXeroDate(invoice.DueDate),
    lines,
    subTotal: money(invoice, 'SubTotal', what),
    totalTax: money(invoice, 'TotalTax', what),
    total: money(invoice, 'Total', what),
    amountDue: money(invoice, 'AmountDue', what),
    amountPaid: money(invoice, 'AmountPaid', what),
    payments,
    updatedAt: parseXeroDate(invoice.UpdatedDateUTC),
    url: invoiceUrl(id),
  };
}
