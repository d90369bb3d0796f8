/**
 * The QuickBooks Online company, in memory: customers, service items, invoices and payments
 * loaded from the shared seed business (money in pence, instants in epoch ms, transaction dates
 * as the company's calendar dates), deletion tombstones for change data capture, and the sandbox
 * clock that token expiry, rate windows and MetaData all read.
 *
 * The company keeps its books the way the business's accountant set up Xero, so it holds the
 * same people (`customerAt(customer, 'xero')`, with the accounting side's deliberate mismatches)
 * and the same invoices, in QBO's shapes: sequential numeric Ids, one id sequence for names
 * (customers) and one for transactions (invoices and payments), DocNumber = the seed's number.
 * Docs: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/customer
 *       https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/invoice
 *       https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/payment
 */
import { customerAt, type SeedBusiness } from '../../../src/sandbox/seed/business.ts';
import { addDays, localDate } from './wire.ts';

export interface Address {
  Id: string;
  Line1?: string;
  Line2?: string;
  City?: string;
  CountrySubDivisionCode?: string;
  PostalCode?: string;
  Country?: string;
}

export interface Customer {
  id: string;
  syncToken: number;
  displayName: string;
  title?: string;
  givenName?: string;
  middleName?: string;
  familyName?: string;
  suffix?: string;
  companyName?: string;
  printOnCheckName?: string;
  email?: string;
  phone?: string;
  billAddr?: Address;
  active: boolean;
  /** Other writable QBO fields a client sent (Mobile, Notes, WebAddr, ...), echoed back as given. */
  extra: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
}

export interface Item {
  id: string;
  name: string;
  sku?: string;
  description?: string;
  /** Pence, VAT exclusive. */
  unitPrice: number;
  createdAt: number;
  updatedAt: number;
}

export interface InvoiceLine {
  id: string;
  description?: string;
  /** Pence. */
  amount: number;
  itemId: string;
  qty: number;
  /** Pence (may be fractional when Amount / Qty is). */
  unitPrice: number;
  taxCode: string;
  serviceDate?: string;
}

export interface Invoice {
  id: string;
  syncToken: number;
  docNumber: string;
  txnDate: string;
  dueDate: string;
  customerId: string;
  lines: InvoiceLine[];
  /** Pence. Zero once voided. */
  totalTax: number;
  total: number;
  privateNote?: string;
  customerMemo?: string;
  billEmail?: string;
  emailStatus: 'NotSet' | 'NeedToSend' | 'EmailSent';
  printStatus: 'NotSet' | 'NeedToPrint' | 'PrintComplete';
  voided: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface PaymentLine {
  /** Pence. */
  amount: number;
  invoiceId: string;
}

export interface Payment {
  id: string;
  syncToken: number;
  customerId: string;
  txnDate: string;
  /** Pence. */
  total: number;
  lines: PaymentLine[];
  depositToAccountId: string;
  paymentRefNum?: string;
  privateNote?: string;
  createdAt: number;
  updatedAt: number;
}

export type EntityName = 'Customer' | 'Invoice' | 'Payment' | 'Item';

export interface Tombstone {
  entity: EntityName;
  id: string;
  deletedAt: number;
}

export interface Account {
  id: string;
  name: string;
  type: 'Bank' | 'Other Current Asset' | 'Income';
}

export interface TaxCode {
  id: string;
  name: string;
  /** Percent. */
  rate: number;
  taxRateId: string;
}

/** The UK VAT codes of a QBO UK company (ids as QBO numbers them in a new UK company). */
export const TAX_CODES: Record<string, TaxCode> = {
  '2': { id: '2', name: '20.0% S', rate: 20, taxRateId: '4' },
  '3': { id: '3', name: '5.0% R', rate: 5, taxRateId: '6' },
  '5': { id: '5', name: '0.0% Z', rate: 0, taxRateId: '8' },
  '8': { id: '8', name: 'Exempt', rate: 0, taxRateId: '12' },
};
export const STANDARD_RATE = '2';

export const ACCOUNTS: Record<string, Account> = {
  '1': { id: '1', name: 'Sales', type: 'Income' },
  '4': { id: '4', name: 'Undeposited Funds', type: 'Other Current Asset' },
  '35': { id: '35', name: 'Business Current Account', type: 'Bank' },
};
export const UNDEPOSITED_FUNDS = '4';

export interface Company {
  realmId: string;
  name: string;
  email: string;
  timeZone: string;
  customers: Map<string, Customer>;
  items: Map<string, Item>;
  invoices: Map<string, Invoice>;
  payments: Map<string, Payment>;
  deleted: Tombstone[];
  /** Next Id for name-list entities (customers). */
  nextNameId: number;
  /** Next Id for transactions (invoices and payments share one sequence). */
  nextTxnId: number;
  nextDocNumber: number;
  createdAt: number;
  /** Bumped on every change to invoices or payments (see `changed`). */
  version: number;
}

/** Invoice totals, VAT exclusive lines: tax per VAT code on the sum of its lines, rounded once. */
export function computeTotals(lines: InvoiceLine[]): { subTotal: number; totalTax: number; total: number } {
  const byCode = new Map<string, number>();
  let subTotal = 0;
  for (const line of lines) {
    subTotal += line.amount;
    byCode.set(line.taxCode, (byCode.get(line.taxCode) ?? 0) + line.amount);
  }
  let totalTax = 0;
  for (const [code, net] of byCode) totalTax += Math.round((net * (TAX_CODES[code]?.rate ?? 0)) / 100);
  return { subTotal, totalTax, total: subTotal + totalTax };
}

/**
 * Balances are derived from invoices and payments. They are indexed once per version of the
 * books; every change to an invoice or a payment calls `changed(company)`.
 */
interface BalanceIndex {
  version: number;
  applied: Map<string, number>;
  /** Payment ids per invoice, in id order. */
  payments: Map<string, string[]>;
  byCustomer: Map<string, number>;
}
const indexes = new WeakMap<Company, BalanceIndex>();

export function changed(company: Company): void {
  company.version++;
}

function balanceIndex(company: Company): BalanceIndex {
  const cached = indexes.get(company);
  if (cached && cached.version === company.version) return cached;
  const applied = new Map<string, number>();
  const payments = new Map<string, string[]>();
  for (const payment of company.payments.values())
    for (const line of payment.lines) {
      applied.set(line.invoiceId, (applied.get(line.invoiceId) ?? 0) + line.amount);
      const list = payments.get(line.invoiceId) ?? [];
      if (!list.includes(payment.id)) list.push(payment.id);
      payments.set(line.invoiceId, list);
    }
  const byCustomer = new Map<string, number>();
  for (const invoice of company.invoices.values()) {
    const balance = invoice.voided ? 0 : Math.max(0, invoice.total - (applied.get(invoice.id) ?? 0));
    byCustomer.set(invoice.customerId, (byCustomer.get(invoice.customerId) ?? 0) + balance);
  }
  const index = { version: company.version, applied, payments, byCustomer };
  indexes.set(company, index);
  return index;
}

export const amountApplied = (company: Company, invoiceId: string): number =>
  balanceIndex(company).applied.get(invoiceId) ?? 0;

export const invoiceBalance = (company: Company, invoice: Invoice): number =>
  invoice.voided ? 0 : Math.max(0, invoice.total - amountApplied(company, invoice.id));

export const customerBalance = (company: Company, customerId: string): number =>
  balanceIndex(company).byCustomer.get(customerId) ?? 0;

/** Ids of the payments applied to an invoice. */
export const paymentsApplied = (company: Company, invoiceId: string): string[] =>
  balanceIndex(company).payments.get(invoiceId) ?? [];

const DAY = 86_400_000;

/** Seeds the company from the shared business (see the module comment). */
export function loadCompany(business: SeedBusiness, realmId: string): Company {
  const timeZone = business.timeZone;
  const createdAt = business.now.getTime() - 1000 * DAY;
  const items = new Map<string, Item>();
  items.set('1', { id: '1', name: 'Services', unitPrice: 0, createdAt, updatedAt: createdAt });
  business.services.forEach((service, i) => {
    const id = String(i + 2);
    items.set(id, {
      id,
      name: service.name,
      sku: service.code,
      description: service.name,
      unitPrice: Math.round(service.price / 1.2),
      createdAt,
      updatedAt: createdAt,
    });
  });
  const itemByCode = new Map([...items.values()].map((item) => [item.sku, item.id]));

  const customers = new Map<string, Customer>();
  const idByKey = new Map<string, string>();
  const usedNames = new Map<string, number>();
  let nextNameId = 1;
  for (const seed of business.customers) {
    const copy = customerAt(seed, 'xero');
    if (!copy) continue;
    // DisplayName is unique in QBO; a second "Oliver Smith" gets the suffix the Xero books use.
    const base = `${copy.firstName} ${copy.lastName}`;
    const seen = usedNames.get(base.toLowerCase()) ?? 0;
    usedNames.set(base.toLowerCase(), seen + 1);
    const id = String(nextNameId++);
    idByKey.set(seed.key, id);
    const displayName = seen === 0 ? base : `${base} (${seen + 1})`;
    customers.set(id, {
      id,
      syncToken: 0,
      displayName,
      givenName: copy.firstName,
      familyName: copy.lastName,
      ...(copy.company ? { companyName: copy.company } : {}),
      printOnCheckName: displayName,
      email: copy.email,
      phone: copy.phone,
      billAddr: {
        Id: String(1000 + Number(id)),
        Line1: seed.addressLine,
        City: seed.city,
        PostalCode: seed.postcode,
        Country: 'United Kingdom',
      },
      active: true,
      extra: {},
      createdAt: seed.createdAt.getTime(),
      updatedAt: seed.createdAt.getTime(),
    });
  }

  const ordersByKey = new Map(business.orders.map((o) => [o.key, o]));
  const invoices = new Map<string, Invoice>();
  const payments = new Map<string, Payment>();
  let nextTxnId = 1;
  let highest = 0;
  for (const seed of business.invoices) {
    const customerId = idByKey.get(seed.customerKey);
    if (!customerId) continue; // not a customer in the books, so no invoices either
    // QBO has no draft invoices: the books hold what the business has actually billed.
    if (seed.status === 'DRAFT') continue;
    const order = seed.orderKey ? ordersByKey.get(seed.orderKey) : undefined;
    const customer = customers.get(customerId)!;
    const txnDate = localDate(seed.date.getTime(), timeZone);
    const lines: InvoiceLine[] = seed.lines.map((line, i) => ({
      id: String(i + 1),
      description: line.description,
      amount: line.quantity * line.unitAmount,
      itemId: itemByCode.get(line.serviceCode) ?? '1',
      qty: line.quantity,
      unitPrice: line.unitAmount,
      taxCode: STANDARD_RATE,
    }));
    const voided = seed.status === 'VOIDED';
    const totals = computeTotals(lines);
    const invoice: Invoice = {
      id: String(nextTxnId++),
      syncToken: 0,
      docNumber: seed.number,
      txnDate,
      dueDate: localDate(seed.dueDate.getTime(), timeZone),
      customerId,
      lines: voided ? lines.map((l) => ({ ...l, amount: 0, qty: 0 })) : lines,
      totalTax: voided ? 0 : totals.totalTax,
      total: voided ? 0 : totals.total,
      // The card payment behind the invoice, where the bookkeeper notes it (Xero: Reference);
      // voiding replaces the note with "Voided", as QBO does.
      ...(voided ? { privateNote: 'Voided' } : order ? { privateNote: order.ids.stripePaymentIntentId } : {}),
      ...(customer.email ? { billEmail: customer.email.trim() } : {}),
      emailStatus: 'EmailSent',
      printStatus: 'NotSet',
      voided,
      createdAt: seed.date.getTime(),
      updatedAt: seed.updatedAt.getTime(),
    };
    invoices.set(invoice.id, invoice);
    for (const p of seed.payments) {
      const payment: Payment = {
        id: String(nextTxnId++),
        syncToken: 0,
        customerId,
        txnDate: localDate(p.date.getTime(), timeZone),
        total: p.amount,
        lines: [{ amount: p.amount, invoiceId: invoice.id }],
        depositToAccountId: UNDEPOSITED_FUNDS,
        ...(order?.ids.stripeChargeId ? { privateNote: order.ids.stripeChargeId } : {}),
        createdAt: p.date.getTime(),
        updatedAt: p.date.getTime(),
      };
      payments.set(payment.id, payment);
    }
    highest = Math.max(highest, Number(/(\d+)$/.exec(seed.number)?.[1] ?? 0));
  }
  return {
    realmId,
    name: business.name,
    email: 'accounts@harbourlane.example',
    timeZone,
    customers,
    items,
    invoices,
    payments,
    deleted: [],
    nextNameId,
    nextTxnId,
    nextDocNumber: highest + 1,
    createdAt,
    version: 0,
  };
}

/** The next free `INV-0042` style number (the company numbers invoices itself). */
export function nextDocNumber(company: Company): string {
  const taken = new Set([...company.invoices.values()].map((i) => i.docNumber));
  let number = `INV-${String(company.nextDocNumber).padStart(4, '0')}`;
  while (taken.has(number)) number = `INV-${String(++company.nextDocNumber).padStart(4, '0')}`;
  company.nextDocNumber++;
  return number;
}

/** Default payment terms of the company: 14 days, as the seed business invoices. */
export const defaultDueDate = (txnDate: string): string => addDays(txnDate, 14);
