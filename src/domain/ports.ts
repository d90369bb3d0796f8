import type { AccountingInvoice, CalendarEvent, CrmContact, PaymentOrder, PersonRecord } from './model.ts';

/**
 * The ports the core owns; each vendor folder implements one. Batch methods take many keys and
 * return one entry per key, in key order: the value, or an Error for that key alone (DataLoader's
 * contract), so one bad id fails only itself. A whole-batch failure rejects with a SourceError.
 */

export interface Page<T> {
  items: T[];
  /** Opaque cursor for the next page; undefined on the last page. */
  next?: string;
}

export interface CallOptions {
  /** Aborts the upstream calls, e.g. when the GraphQL request's deadline passes. */
  signal?: AbortSignal;
}

export interface CrmSource extends RecordUrls {
  readonly name: 'hubspot';
  /** Contacts by CRM id (HubSpot `batch/read`, 100 ids a request). */
  getContacts(ids: readonly string[], options?: CallOptions): Promise<Array<CrmContact | Error>>;
  /** Contacts per email, matched case-insensitively (HubSpot search `IN`). */
  findContactsByEmail(emails: readonly string[], options?: CallOptions): Promise<Array<CrmContact[] | Error>>;
  /** Free-text search over name, email, phone and company. */
  searchContacts(
    query: string,
    limit: number,
    after?: string,
    options?: CallOptions,
  ): Promise<Page<CrmContact>>;
  /** Every contact, a page at a time (backfill). */
  listContacts(after?: string, options?: CallOptions): Promise<Page<CrmContact>>;
}

export interface PaymentsSource extends RecordUrls {
  readonly name: 'stripe';
  getCustomers(ids: readonly string[], options?: CallOptions): Promise<Array<PersonRecord | Error>>;
  findCustomersByEmail(
    emails: readonly string[],
    options?: CallOptions,
  ): Promise<Array<PersonRecord[] | Error>>;
  listCustomers(after?: string, options?: CallOptions): Promise<Page<PersonRecord>>;
  /** Payment intents per payment customer id, newest first. */
  listOrdersByCustomer(
    customerIds: readonly string[],
    options?: CallOptions,
  ): Promise<Array<PaymentOrder[] | Error>>;
  getOrders(ids: readonly string[], options?: CallOptions): Promise<Array<PaymentOrder | Error>>;
}

export interface CalendarWindow {
  from: Date;
  to: Date;
}

export interface CalendarSource extends RecordUrls {
  readonly name: 'google_calendar';
  /** Every event overlapping the window, cancelled ones included, all pages. */
  listEvents(window: CalendarWindow, options?: CallOptions): Promise<CalendarEvent[]>;
  getEvents(ids: readonly string[], options?: CallOptions): Promise<Array<CalendarEvent | Error>>;
}

export interface InvoiceFilter {
  statuses?: AccountingInvoice['status'][];
  /** Only invoices with an amount due whose due date has passed. */
  overdue?: boolean;
}

export interface AccountingSource extends RecordUrls {
  readonly name: 'xero';
  getContacts(ids: readonly string[], options?: CallOptions): Promise<Array<PersonRecord | Error>>;
  findContactsByEmail(
    emails: readonly string[],
    options?: CallOptions,
  ): Promise<Array<PersonRecord[] | Error>>;
  listContacts(after?: string, options?: CallOptions): Promise<Page<PersonRecord>>;
  listInvoicesByContact(
    contactIds: readonly string[],
    options?: CallOptions,
  ): Promise<Array<AccountingInvoice[] | Error>>;
  getInvoices(ids: readonly string[], options?: CallOptions): Promise<Array<AccountingInvoice | Error>>;
  /** Newest first, `first` a page (at most 100). */
  listInvoices(
    filter: InvoiceFilter,
    first: number,
    after?: string,
    options?: CallOptions,
  ): Promise<Page<AccountingInvoice> & { total?: number }>;
}

/** Every port can say where a record lives in the vendor's own web app. */
export interface RecordUrls {
  /** Null when the vendor has no stable address for that kind of record. */
  recordUrl(kind: 'customer' | 'booking' | 'order' | 'invoice', externalId: string): string | null;
}

export interface Sources {
  crm: CrmSource;
  calendar: CalendarSource;
  payments: PaymentsSource;
  accounting: AccountingSource;
}
