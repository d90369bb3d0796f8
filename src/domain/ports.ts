import type {
  AccountingInvoice,
  CalendarEvent,
  CrmContact,
  InvoicePayment,
  Money,
  InvoiceRef,
  PaymentLink,
  PaymentOrder,
  PersonRecord,
  CrmStage,
  Refund,
} from './model.ts';

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

export interface CrmSource extends RecordUrls, CrmWrites {
  /** The system (module id) this adapter is. */
  readonly name: string;
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

export interface PaymentsSource extends RecordUrls, PaymentsWrites {
  /** The system (module id) this adapter is. */
  readonly name: string;
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
  /** Payment links by id (Stripe: checkout sessions), as they stand now. */
  getPaymentLinks(ids: readonly string[], options?: CallOptions): Promise<Array<PaymentLink | Error>>;
}

export interface CalendarWindow {
  from: Date;
  to: Date;
}

export interface CalendarChanges {
  /** Events changed since the cursor (cancelled ones included). */
  events: CalendarEvent[];
  /** Ids of events deleted so far back that only the id is left. */
  deletedIds: string[];
  /** Opaque: where the next `changesSince` starts. */
  cursor: string;
}

/** `SourceError.vendorCode` of a cursor the calendar no longer accepts: start again without one. */
export const CURSOR_EXPIRED = 'CURSOR_EXPIRED';

export interface CalendarSource extends RecordUrls, CalendarWrites {
  /** The system (module id) this adapter is. */
  readonly name: string;
  /**
   * What changed since `cursor`, or everything (and a first cursor) without one. A cursor the
   * calendar no longer accepts fails with a SourceError whose vendorCode is `CURSOR_EXPIRED`.
   */
  changesSince(cursor?: string, options?: CallOptions): Promise<CalendarChanges>;
  /** Every event overlapping the window, cancelled ones included, all pages. */
  listEvents(window: CalendarWindow, options?: CallOptions): Promise<CalendarEvent[]>;
  getEvents(ids: readonly string[], options?: CallOptions): Promise<Array<CalendarEvent | Error>>;
  /**
   * The calendar's busy periods overlapping the window (Google's freebusy.query): sorted, merged,
   * clipped to the window; cancelled events and events shown as free are not busy. One request for
   * a window of up to 90 days (Google's limit; `availability` asks for at most 65); a failure rejects
   * with a SourceError.
   */
  freeBusy(window: CalendarWindow, options?: CallOptions): Promise<CalendarWindow[]>;
}

export interface InvoiceFilter {
  statuses?: AccountingInvoice['status'][];
  /** Only invoices with an amount due whose due date has passed. */
  overdue?: boolean;
}

export interface AccountingSource extends RecordUrls, AccountingWrites {
  /** The system (module id) this adapter is. */
  readonly name: string;
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

/**
 * Writes. Every write carries an idempotency key that is stable across retries of the same step
 * (the hub's transactional outbox makes it), so a retry after a timeout or a crash can never create a
 * second record: each adapter passes it the vendor's way (Stripe and Xero `Idempotency-Key`, Google
 * client-chosen event ids, HubSpot upsert by a unique property).
 */
export interface WriteOptions {
  idempotencyKey: string;
  signal?: AbortSignal;
}

/** A person as the hub writes them to every system. */
export interface PersonInput {
  email: string;
  firstName: string;
  lastName: string;
  phone?: string | null;
  company?: string | null;
}

export type PersonChanges = Partial<PersonInput>;

export interface CrmWrites {
  /**
   * Creates the contact, or updates the one with this email (HubSpot upsert by email); stamps
   * `switchboard_id`. `stage` moves the contact on to that stage, never back (see `CrmStage`).
   */
  upsertContact(
    input: PersonInput & { switchboardId: string; stage?: CrmStage },
    options: WriteOptions,
  ): Promise<CrmContact>;
  /** `nextBookingAt: null` clears the CRM's next-booking date; `stage` moves on, never back. */
  updateContact(
    id: string,
    changes: PersonChanges & { nextBookingAt?: Date | null; stage?: CrmStage },
    options: WriteOptions,
  ): Promise<CrmContact>;
  /**
   * A note on the contact's timeline (HubSpot: a note object associated with the contact), e.g. a
   * website enquiry's message. The idempotency key makes a retry return the first note, not a second.
   */
  addNote(contactId: string, body: string, options: WriteOptions): Promise<{ externalId: string }>;
}

export interface OrderInput {
  /** The payment customer; null for a payment from someone the payment provider does not know yet. */
  customerId: string | null;
  amount: Money;
  description: string;
  metadata: Record<string, string>;
}

export interface PaymentLinkInput {
  /** The payment customer; null to let the page ask (then `customerEmail` fills it in). */
  customerId: string | null;
  customerEmail: string | null;
  amount: Money;
  /** What the customer sees they are paying for, e.g. `Deposit: Sports massage (60 min)`. */
  description: string;
  /** Stored on the link and on the payment made through it. */
  metadata: Record<string, string>;
  /** When the link stops working (Stripe: 30 minutes to 24 hours ahead). */
  expiresAt: Date;
  /** Where the page sends the customer after paying, and after giving up. */
  successUrl: string;
  cancelUrl: string;
}

export interface PaymentsWrites {
  /** A hosted page for one payment (Stripe: a Checkout Session, mode `payment`). */
  createPaymentLink(input: PaymentLinkInput, options: WriteOptions): Promise<PaymentLink>;
  /** Ends an open link now (Stripe: expire); one already paid or expired is returned as it is. */
  expirePaymentLink(id: string, options: WriteOptions): Promise<PaymentLink>;
  createCustomer(
    input: PersonInput & { switchboardId: string },
    options: WriteOptions,
  ): Promise<PersonRecord>;
  updateCustomer(id: string, changes: PersonChanges, options: WriteOptions): Promise<PersonRecord>;
  /** A payment intent awaiting the customer's payment (not confirmed by the hub). */
  createOrder(input: OrderInput, options: WriteOptions): Promise<PaymentOrder>;
  /** Stores which invoice the order is paid against (read back as `PaymentOrder.invoiceRef`). */
  linkInvoice(id: string, invoice: InvoiceRef, options: WriteOptions): Promise<PaymentOrder>;
  /** Cancels an unpaid order; one already cancelled is returned as it is. */
  cancelOrder(id: string, options: WriteOptions): Promise<PaymentOrder>;
  /** Refunds all (amount null) or part of a paid order. */
  refundOrder(id: string, amount: Money | null, options: WriteOptions): Promise<Refund>;
}

export interface EventInput {
  /** Client-chosen event id (Google: base32hex, 5–1024 characters): the idempotency key of the insert. */
  id: string;
  title: string;
  start: Date;
  end: Date;
  attendee: { email: string; name: string | null };
  serviceCode: string | null;
  description?: string | null;
  /** `TENTATIVE` pencils the time in (a slot held while a deposit is paid); default `CONFIRMED`. */
  status?: 'CONFIRMED' | 'TENTATIVE';
  /** Private extended properties, e.g. { bookingRef, depositOrderId, switchboardCustomerId }. */
  properties: Record<string, string>;
}

export interface CalendarWrites {
  /** Inserts the event; if an event with that id exists already (a retry), returns it instead. */
  createEvent(input: EventInput, options?: Omit<WriteOptions, 'idempotencyKey'>): Promise<CalendarEvent>;
  moveEvent(
    id: string,
    window: CalendarWindow,
    options?: Omit<WriteOptions, 'idempotencyKey'>,
  ): Promise<CalendarEvent>;
  /** Confirms a tentative event (Google: `status: confirmed`); one already confirmed counts as done. */
  confirmEvent(id: string, options?: Omit<WriteOptions, 'idempotencyKey'>): Promise<CalendarEvent>;
  /** Cancels the event; one already cancelled or deleted counts as done. */
  cancelEvent(id: string, options?: Omit<WriteOptions, 'idempotencyKey'>): Promise<void>;
  /** The private extended properties the hub stamped on an event. */
  eventProperties(id: string, options?: CallOptions): Promise<Record<string, string>>;
}

export interface InvoiceLineInput {
  description: string;
  quantity: number;
  /** Price of one unit including tax, minor units. */
  unitAmount: Money;
}

export interface InvoiceInput {
  contactId: string;
  lines: InvoiceLineInput[];
  currency: string;
  reference?: string | null;
  issuedOn: Date;
  dueOn: Date;
  status: 'DRAFT' | 'AUTHORISED';
}

export interface AccountingWrites {
  /**
   * Creates the contact. Xero contact names are unique: when the name is taken by a contact with
   * the same email, that contact is returned; by someone else, the new contact's name is made
   * unique (e.g. "Amelia Hughes (amelia@example.com)").
   */
  createContact(input: PersonInput & { switchboardId: string }, options: WriteOptions): Promise<PersonRecord>;
  updateContact(id: string, changes: PersonChanges, options: WriteOptions): Promise<PersonRecord>;
  createInvoice(input: InvoiceInput, options: WriteOptions): Promise<AccountingInvoice>;
  /** Voids an invoice with no payments; one already voided is returned as it is. */
  voidInvoice(id: string, options: WriteOptions): Promise<AccountingInvoice>;
  /** Records a payment against an invoice (Xero marks it PAID when nothing is left due). */
  recordPayment(
    input: { invoiceId: string; amount: Money; paidOn: Date; reference?: string | null },
    options: WriteOptions,
  ): Promise<InvoicePayment>;
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
