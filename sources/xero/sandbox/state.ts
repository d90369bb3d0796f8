/**
 * The organisation's books, in memory: contacts, invoices and payments loaded from the shared
 * seed business (money in pence, dates in epoch ms), plus the sandbox clock that token expiry,
 * rate windows and UpdatedDateUTC all read.
 */
import { createRandom, type Random } from '../../../src/sandbox/kit/random.ts';
import { customerAt, type SeedBusiness } from '../../../src/sandbox/seed/business.ts';
import { startOfUtcDay } from './wire.ts';

export type ContactStatus = 'ACTIVE' | 'ARCHIVED' | 'GDPRREQUEST';
export type InvoiceStatus = 'DRAFT' | 'SUBMITTED' | 'AUTHORISED' | 'PAID' | 'VOIDED' | 'DELETED';
export type LineAmountTypes = 'Exclusive' | 'Inclusive' | 'NoTax';

/** Phone and address entries are kept in Xero's own shape. */
export interface Phone {
  PhoneType: 'DEFAULT' | 'DDI' | 'MOBILE' | 'FAX';
  PhoneNumber: string;
  PhoneAreaCode: string;
  PhoneCountryCode: string;
}

export interface Address {
  AddressType: 'POBOX' | 'STREET';
  AddressLine1?: string;
  City: string;
  Region: string;
  PostalCode: string;
  Country: string;
}

export interface Contact {
  id: string;
  status: ContactStatus;
  name: string;
  firstName?: string;
  lastName?: string;
  email?: string;
  contactNumber?: string;
  accountNumber?: string;
  phones: Phone[];
  addresses: Address[];
  isSupplier: boolean;
  updatedAt: number;
}

export interface LineItem {
  id: string;
  description: string;
  quantity: number;
  /** Pence, excluding (or including, for Inclusive invoices) tax. */
  unitAmount: number;
  discountRate?: number;
  accountCode: string;
  taxType: string;
  itemCode?: string;
  lineAmount: number;
  taxAmount: number;
}

export interface Invoice {
  id: string;
  type: 'ACCREC' | 'ACCPAY';
  number: string;
  reference: string;
  contactId: string;
  status: InvoiceStatus;
  /** Midnight UTC of the invoice date. */
  date: number;
  dueDate?: number;
  lineAmountTypes: LineAmountTypes;
  lines: LineItem[];
  currency: 'GBP';
  subTotal: number;
  totalTax: number;
  total: number;
  sentToContact: boolean;
  url?: string;
  createdByApp: boolean;
  fullyPaidOn?: number;
  updatedAt: number;
}

export interface Payment {
  id: string;
  invoiceId: string;
  accountCode: string;
  date: number;
  amount: number;
  reference: string;
  status: 'AUTHORISED' | 'DELETED';
  isReconciled: boolean;
  updatedAt: number;
}

export interface Account {
  id: string;
  code: string;
  name: string;
  type: 'BANK' | 'REVENUE' | 'CURRLIAB';
  /** Default tax type on sales lines coded to this account. */
  taxType: string;
}

/** Tax rates of the UK tax types a sales invoice may use. */
export const TAX_RATES: Record<string, number> = {
  OUTPUT2: 0.2, // 20% (VAT on Income)
  RROUTPUT: 0.05, // 5% reduced rate
  ZERORATEDOUTPUT: 0,
  EXEMPTOUTPUT: 0,
  NONE: 0,
};

export interface Books {
  contacts: Map<string, Contact>;
  invoices: Map<string, Invoice>;
  payments: Map<string, Payment>;
  accounts: Account[];
  nextInvoiceNumber: number;
}

export function chartOfAccounts(random: Random): Account[] {
  const account = (code: string, name: string, type: Account['type'], taxType: string): Account => ({
    id: random.uuid(),
    code,
    name,
    type,
    taxType,
  });
  return [
    account('090', 'Business Bank Account', 'BANK', 'NONE'),
    account('091', 'Business Savings Account', 'BANK', 'NONE'),
    account('200', 'Sales', 'REVENUE', 'OUTPUT2'),
    account('260', 'Other Revenue', 'REVENUE', 'OUTPUT2'),
    account('270', 'Interest Income', 'REVENUE', 'EXEMPTOUTPUT'),
  ];
}

/** Line and invoice totals, the way Xero rounds them: per line, then summed. */
export function computeTotals(invoice: Pick<Invoice, 'lines' | 'lineAmountTypes'>): {
  subTotal: number;
  totalTax: number;
  total: number;
} {
  let subTotal = 0;
  let totalTax = 0;
  for (const line of invoice.lines) {
    const gross = line.quantity * line.unitAmount * (1 - (line.discountRate ?? 0) / 100);
    line.lineAmount = Math.round(gross);
    const rate = invoice.lineAmountTypes === 'NoTax' ? 0 : (TAX_RATES[line.taxType] ?? 0);
    if (invoice.lineAmountTypes === 'Inclusive') {
      // The tax inside a tax-inclusive amount: amount × rate / (1 + rate), rounded per line.
      line.taxAmount = Math.round((line.lineAmount * rate) / (1 + rate));
      subTotal += line.lineAmount - line.taxAmount;
    } else {
      line.taxAmount = Math.round(line.lineAmount * rate);
      subTotal += line.lineAmount;
    }
    totalTax += line.taxAmount;
  }
  return { subTotal, totalTax, total: subTotal + totalTax };
}

export function amountPaid(books: Books, invoiceId: string): number {
  let paid = 0;
  for (const p of books.payments.values())
    if (p.invoiceId === invoiceId && p.status === 'AUTHORISED') paid += p.amount;
  return paid;
}

export const amountDue = (books: Books, invoice: Invoice): number =>
  invoice.status === 'VOIDED' || invoice.status === 'DELETED'
    ? 0
    : invoice.total - amountPaid(books, invoice.id);

/** Seeds the books from the shared business, keeping its vendor ids so other sandboxes agree. */
export function loadBooks(business: SeedBusiness): Books {
  const random = createRandom(`xero:${business.seed}:books`);
  const accounts = chartOfAccounts(random.fork('accounts'));
  const lineIds = random.fork('lines');
  const contacts = new Map<string, Contact>();
  const usedNames = new Map<string, number>();

  for (const customer of business.customers) {
    const copy = customerAt(customer, 'xero');
    if (!copy) continue;
    // Xero contact names are unique; a second "Oliver Smith" gets a suffix, as a bookkeeper would add.
    const base = `${copy.firstName} ${copy.lastName}`;
    const seen = usedNames.get(base.toLowerCase()) ?? 0;
    usedNames.set(base.toLowerCase(), seen + 1);
    const id = customer.ids.xeroContactId;
    contacts.set(id, {
      id,
      status: 'ACTIVE',
      name: seen === 0 ? base : `${base} (${seen + 1})`,
      firstName: copy.firstName,
      lastName: copy.lastName,
      email: copy.email,
      phones: phones(copy.phone),
      addresses: [
        {
          AddressType: 'POBOX',
          AddressLine1: customer.addressLine,
          City: customer.city,
          Region: '',
          PostalCode: customer.postcode,
          Country: 'United Kingdom',
        },
        { AddressType: 'STREET', City: '', Region: '', PostalCode: '', Country: '' },
      ],
      isSupplier: false,
      updatedAt: customer.createdAt.getTime(),
    });
  }

  const customersByKey = new Map(business.customers.map((c) => [c.key, c]));
  const ordersByKey = new Map(business.orders.map((o) => [o.key, o]));
  const invoices = new Map<string, Invoice>();
  const payments = new Map<string, Payment>();
  let highest = 0;
  for (const seed of business.invoices) {
    const customer = customersByKey.get(seed.customerKey);
    if (!customer || !contacts.has(customer.ids.xeroContactId)) continue; // no contact in Xero, no invoice
    const order = seed.orderKey ? ordersByKey.get(seed.orderKey) : undefined;
    const invoice: Invoice = {
      id: seed.ids.xeroInvoiceId,
      type: 'ACCREC',
      number: seed.number,
      reference: order?.ids.stripePaymentIntentId ?? '',
      contactId: customer.ids.xeroContactId,
      status: seed.status,
      date: startOfUtcDay(seed.date.getTime()),
      dueDate: startOfUtcDay(seed.dueDate.getTime()),
      lineAmountTypes: 'Exclusive',
      lines: seed.lines.map((l) => ({
        id: lineIds.uuid(),
        description: l.description,
        quantity: l.quantity,
        unitAmount: l.unitAmount,
        accountCode: l.accountCode,
        taxType: 'OUTPUT2',
        itemCode: l.serviceCode,
        lineAmount: 0,
        taxAmount: 0,
      })),
      currency: 'GBP',
      subTotal: 0,
      totalTax: 0,
      total: 0,
      sentToContact: seed.status !== 'DRAFT',
      createdByApp: false,
      updatedAt: seed.updatedAt.getTime(),
    };
    Object.assign(invoice, computeTotals(invoice));
    for (const p of seed.payments) {
      payments.set(p.ids.xeroPaymentId, {
        id: p.ids.xeroPaymentId,
        invoiceId: invoice.id,
        accountCode: '090',
        date: startOfUtcDay(p.date.getTime()),
        amount: p.amount,
        reference: order?.ids.stripeChargeId ?? '',
        status: 'AUTHORISED',
        isReconciled: true,
        updatedAt: p.date.getTime(),
      });
    }
    if (invoice.status === 'PAID')
      invoice.fullyPaidOn = startOfUtcDay((seed.payments.at(-1)?.date ?? seed.date).getTime());
    invoices.set(invoice.id, invoice);
    highest = Math.max(highest, Number(/(\d+)$/.exec(seed.number)?.[1] ?? 0));
  }
  return { contacts, invoices, payments, accounts, nextInvoiceNumber: highest + 1 };
}

/** A UK mobile as a bookkeeper types it: the whole number in PhoneNumber. */
export function phones(mobile?: string): Phone[] {
  const empty = (type: Phone['PhoneType']): Phone => ({
    PhoneType: type,
    PhoneNumber: '',
    PhoneAreaCode: '',
    PhoneCountryCode: '',
  });
  return [empty('DEFAULT'), empty('DDI'), empty('FAX'), { ...empty('MOBILE'), PhoneNumber: mobile ?? '' }];
}

/** Deep copy for all-or-nothing batches (summarizeErrors=true rolls the whole batch back). */
export const snapshot = (books: Books): Books => structuredClone(books);
