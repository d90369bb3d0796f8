import type { GraphQLResolveInfo, GraphQLScalarType, GraphQLScalarTypeConfig } from 'graphql';
import type { CustomerModel, BookingModel, OrderModel, InvoiceModel, SyncIssueModel, SourceModel, CircuitBreakerModel, SourceTokenModel, OperationModel, OperationStepModel, FailedDeliveryModel, OperationPayloadModel, ApiKeyModel, CreatedApiKeyModel, AuditEntryModel, ReconciliationRunModel, ReconciliationModel, WorkspaceModel, CreatedWorkspaceModel, EnquiryPayloadModel } from './models.ts';
import type { Money as MoneyModel } from '../domain/model.ts';
import type { DomainEvent } from '../events/types.ts';
import type { EndpointRecord, CreatedEndpoint, DeliveryRecord } from '../outbound/store.ts';
import type { DepositLinkRecord } from '../deposits/store.ts';
import type { GraphContext } from './context.ts';
export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
export type Omit<T, K extends keyof T> = Pick<T, Exclude<keyof T, K>>;
export type RequireFields<T, K extends keyof T> = Omit<T, K> & { [P in K]-?: NonNullable<T[P]> };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /** An ISO-8601 date and time with offset, e.g. `2026-11-23T09:30:00.000Z`. */
  DateTime: { input: Date; output: Date; }
  /** Any JSON value. */
  JSON: { input: unknown; output: unknown; }
};

/** An API key as the hub keeps it: never the secret itself, which is shown once when the key is made. */
export type ApiKey = {
  __typename?: 'ApiKey';
  /** True while the key is neither revoked nor expired. */
  active: Scalars['Boolean']['output'];
  /** Publishable keys: the origins (`https://www.example.com`) whose pages may use it. Empty for secret keys. */
  allowedOrigins: Array<Scalars['String']['output']>;
  /** When the key was made. */
  createdAt: Scalars['DateTime']['output'];
  /** Who made it: a key id, a token's subject, or `cli`. */
  createdBy?: Maybe<Scalars['String']['output']>;
  /** When the key stops working; null for never. */
  expiresAt?: Maybe<Scalars['DateTime']['output']>;
  /** The key's public id, as `npm run keys -- list` shows it; the key's text contains it. */
  id: Scalars['ID']['output'];
  /** Secret or publishable. */
  kind: ApiKeyKind;
  /** When the key was last used (updated at most once a minute). */
  lastUsedAt?: Maybe<Scalars['DateTime']['output']>;
  /** Live or test. */
  mode: ApiKeyMode;
  /** What the key is for, e.g. `booking website`. */
  name: Scalars['String']['output'];
  /** The start of the key's text, enough to recognise it: `sb_live_k7Hd9x2QpL4m`. */
  prefix: Scalars['String']['output'];
  /** The key that replaced this one in a rotation, if any. */
  replacedBy?: Maybe<Scalars['ID']['output']>;
  /** When the key was revoked; null while it is not. */
  revokedAt?: Maybe<Scalars['DateTime']['output']>;
  /** What the key may do. */
  scopes: Array<Scope>;
  /** The workspace the key belongs to; it can use no other. */
  workspace: Scalars['String']['output'];
};

/** A page of API keys, newest first. */
export type ApiKeyConnection = {
  __typename?: 'ApiKeyConnection';
  /** The keys on this page. */
  edges: Array<ApiKeyEdge>;
  /** Pass `pageInfo.endCursor` as `after` for the next page. */
  pageInfo: PageInfo;
};

/** An entry in a page of API keys. */
export type ApiKeyEdge = {
  __typename?: 'ApiKeyEdge';
  /** Opaque cursor of this edge. */
  cursor: Scalars['String']['output'];
  /** The key. */
  node: ApiKey;
};

/** What kind of credential a key is. */
export type ApiKeyKind =
  /** `sbpk_live_…` / `sbpk_test_…`: for a website's browser code; publishable scopes only, from its allowed origins only. */
  | 'PUBLISHABLE'
  /** `sb_live_…` / `sb_test_…`: for scripts and servers; never put it in a web page. */
  | 'SECRET';

/** Whether a key works against vendors' real systems or the sandboxes. */
export type ApiKeyMode =
  /** `…_live_…`: accepted only by a hub connected to the real vendors. */
  | 'LIVE'
  /** `…_test_…`: accepted only by a hub in sandbox mode. */
  | 'TEST';

/**
 * Who did what, when, from where, and how it ended: every mutation, every admin action, and refused
 * attempts (sampled: at most a few per caller and reason each minute, with `suppressed` counting the rest).
 */
export type AuditEntry = {
  __typename?: 'AuditEntry';
  /** What: a mutation's name (`placeOrder`), an admin action (`apiKey.revoke`), or `request` for a refused request. */
  action: Scalars['String']['output'];
  /** Who: a key id, `jwt:<subject>`, `cli`, or `anonymous`. */
  actor: Scalars['String']['output'];
  /** The network address the request came from. */
  address?: Maybe<Scalars['String']['output']>;
  /** When it happened. */
  at: Scalars['DateTime']['output'];
  /** More about it: the reason for a refusal, the error code of a failure; never customer data. */
  detail?: Maybe<Scalars['JSON']['output']>;
  /** The entry's id. */
  id: Scalars['ID']['output'];
  /** The browser origin, when a browser sent it. */
  origin?: Maybe<Scalars['String']['output']>;
  /** How it ended. */
  outcome: AuditOutcome;
  /** Refused attempts like this one that were not recorded separately since the last entry. */
  suppressed: Scalars['Int']['output'];
  /** What it was done to, when there is one: a key id, an operation id. */
  target?: Maybe<Scalars['String']['output']>;
};

/** A page of the audit log, newest first. */
export type AuditEntryConnection = {
  __typename?: 'AuditEntryConnection';
  /** The entries on this page. */
  edges: Array<AuditEntryEdge>;
  /** Pass `pageInfo.endCursor` as `after` for the next page. */
  pageInfo: PageInfo;
};

/** An entry in a page of the audit log. */
export type AuditEntryEdge = {
  __typename?: 'AuditEntryEdge';
  /** Opaque cursor of this edge. */
  cursor: Scalars['String']['output'];
  /** The entry. */
  node: AuditEntry;
};

/** How an audited action ended. */
export type AuditOutcome =
  /** It was allowed and failed (see `detail`). */
  | 'FAILED'
  /** The credential may not do it (403). */
  | 'FORBIDDEN'
  /** The caller was over its rate limit (429). */
  | 'RATE_LIMITED'
  /** The request was refused as malformed or over a limit (400, 413, 415, 431). */
  | 'REJECTED'
  /** It was allowed and succeeded. */
  | 'SUCCEEDED'
  /** The credential was missing or not valid (401). */
  | 'UNAUTHENTICATED';

/** An appointment in the business's calendar with a customer as attendee. */
export type Booking = Node & {
  __typename?: 'Booking';
  /** Attendee emails as the calendar holds them. */
  attendeeEmails: Array<Scalars['String']['output']>;
  /** The customer attending, matched by email; null when no attendee is a known customer. */
  customer?: Maybe<Customer>;
  /** When the appointment ends (exclusive): an all-day event ends at local midnight after its last day. */
  end: Scalars['DateTime']['output'];
  /** Opaque global id, made from the calendar event's id; pass it to `booking`, `node` or `nodes`. */
  id: Scalars['ID']['output'];
  /** The event in the calendar: one link, with its address in the calendar's web app when known. */
  links: Array<SourceLink>;
  /** Where the appointment takes place, free text as typed into the calendar; null when none is given. */
  location?: Maybe<Scalars['String']['output']>;
  /** The service booked, when the event carries a service code. */
  serviceCode?: Maybe<Scalars['String']['output']>;
  /** When the appointment starts. An all-day event starts at local midnight of its first day. */
  start: Scalars['DateTime']['output'];
  /** Whether the appointment is on, pencilled in or cancelled. */
  status: BookingStatus;
  /** The calendar event's title, e.g. `Sports massage (60 min) — Amelia Hughes`. */
  title: Scalars['String']['output'];
  /** When the event last changed in the calendar. */
  updatedAt: Scalars['DateTime']['output'];
};

/**
 * A page of bookings (a Relay connection). Fetch the next page with `after: pageInfo.endCursor`
 * while `pageInfo.hasNextPage` is true.
 */
export type BookingConnection = {
  __typename?: 'BookingConnection';
  /** The bookings on this page, earliest start first. */
  edges: Array<BookingEdge>;
  /** Where this page is in the list, and the cursor for the next one. */
  pageInfo: PageInfo;
  /** Bookings in all pages: every booking in the window that matches `status`. */
  totalCount: Scalars['Int']['output'];
};

/** One booking in a page of bookings. */
export type BookingEdge = {
  __typename?: 'BookingEdge';
  /** Opaque cursor of this edge. To get the next page, pass `pageInfo.endCursor` as `after`. */
  cursor: Scalars['String']['output'];
  /** The booking. */
  node: Booking;
};

/** The result of a booking write. */
export type BookingPayload = {
  __typename?: 'BookingPayload';
  /** The booking as the calendar holds it once the steps are done. */
  booking?: Maybe<Booking>;
  /** The deposit's payment, when one was asked for. */
  deposit?: Maybe<Order>;
  /** The write and each system's step. */
  operation: Operation;
};

/** How a booking stands in the calendar. */
export type BookingStatus =
  /** The appointment was cancelled or the event deleted from the calendar; still listed unless `status` leaves it out. */
  | 'CANCELLED'
  /** The appointment is on. */
  | 'CONFIRMED'
  /** Pencilled in: the appointment is not yet certain. */
  | 'TENTATIVE';

/** The circuit breaker the hub keeps per workspace and system. */
export type CircuitBreaker = {
  __typename?: 'CircuitBreaker';
  /** When the next probe may go; null while closed. */
  nextProbeAt?: Maybe<Scalars['DateTime']['output']>;
  /** When the breaker last opened; null while closed. */
  openedAt?: Maybe<Scalars['DateTime']['output']>;
  /** Whether calls go through. */
  state: CircuitState;
};

/**
 * A circuit breaker's state. Closed: calls go through. Open: the system kept failing, so calls fail at
 * once (cached data is served, flagged stale) until a probe. Half-open: one probe call is deciding.
 */
export type CircuitState =
  /** Calls go through. */
  | 'CLOSED'
  /** One probe call is in flight; its outcome closes or reopens the breaker. */
  | 'HALF_OPEN'
  /** Calls fail fast without reaching the system; a probe goes at `nextProbeAt`. */
  | 'OPEN';

/** The first step of connecting a system: send the browser to `authorizeUrl`. */
export type ConnectionStart = {
  __typename?: 'ConnectionStart';
  /** The vendor's consent page (the sandbox's in sandbox mode), with a single-use state in it. */
  authorizeUrl: Scalars['String']['output'];
  /** When the state in the URL stops working (10 minutes). */
  expiresAt: Scalars['DateTime']['output'];
};

/** How the console connects a system. */
export type ConnectionWay =
  /** The vendor's OAuth consent page: `startConnection`. */
  | 'CONSENT'
  /** An API key pasted in the console: `connectWithKey`. */
  | 'KEY';

/** A key to make in the caller's workspace. */
export type CreateApiKeyInput = {
  /** Publishable keys: the origins allowed to use it, each `https://host[:port]` (or `http://localhost…` for development). */
  allowedOrigins?: InputMaybe<Array<Scalars['String']['input']>>;
  /** When it stops working, as a duration from now: `90d`, `12h`, `30m`. Omit for a key that does not expire. */
  expiresIn?: InputMaybe<Scalars['String']['input']>;
  /** Secret (default) or publishable. A publishable key takes only publishable scopes and needs `allowedOrigins`. */
  kind?: InputMaybe<ApiKeyKind>;
  /** What it is for, 1 to 100 characters. */
  name: Scalars['String']['input'];
  /** What it may do: at least one scope, each one the caller itself holds (a key cannot grant more than its maker has). */
  scopes: Array<Scope>;
};

/** A new booking. */
export type CreateBookingInput = {
  /** The customer's global id; they become the event's attendee. */
  customerId: Scalars['ID']['input'];
  /** A deposit to take: a payment intent linked to the booking, for the customer to pay. */
  deposit?: InputMaybe<MoneyInput>;
  /** End of the appointment, after `start` and at most 24 hours later. */
  end: Scalars['DateTime']['input'];
  /** What is booked, e.g. `Sports massage (60 min)`; the event title is this and the customer's name. */
  service: Scalars['String']['input'];
  /** Service code kept on the event, e.g. `SPORTS-60`. */
  serviceCode?: InputMaybe<Scalars['String']['input']>;
  /** Start of the appointment. */
  start: Scalars['DateTime']['input'];
};

/** A new customer. */
export type CreateCustomerInput = {
  /** Company, for business customers. */
  company?: InputMaybe<Scalars['String']['input']>;
  /** Email address; it identifies the customer across systems, so it must not belong to another customer. */
  email: Scalars['String']['input'];
  /** Given name. */
  firstName: Scalars['String']['input'];
  /** Family name. */
  lastName: Scalars['String']['input'];
  /** Phone number, ideally international (+44 …). */
  phone?: InputMaybe<Scalars['String']['input']>;
};

/** A new key. `secret` is the key's full text: this is the only time the hub shows it. */
export type CreatedApiKey = {
  __typename?: 'CreatedApiKey';
  /** The key as the hub keeps it. */
  apiKey: ApiKey;
  /** The key's full text, for the `Authorization: Bearer` header. Store it now: it cannot be shown again. */
  secret: Scalars['String']['output'];
};

/** An endpoint with its signing secret, shown once: store it where the receiver verifies signatures. */
export type CreatedWebhookEndpoint = {
  __typename?: 'CreatedWebhookEndpoint';
  /** The endpoint. */
  endpoint: WebhookEndpoint;
  /** The `whsec_…` secret that signs its deliveries. Shown once. */
  secret: Scalars['String']['output'];
};

/** A workspace just made, with the one operator key to sign in to its console. */
export type CreatedWorkspace = {
  __typename?: 'CreatedWorkspace';
  /** An operator key of the new workspace (every scope an operator key of yours holds). Shown once: store it now. */
  operatorKey: Scalars['String']['output'];
  /** The workspace. */
  workspace: Workspace;
};

/**
 * A customer of the business: one person, as the CRM, the payment provider and the accounting
 * package each know them, joined by Switchboard into one record. Contact details come from the CRM
 * when it has the customer, else from the payment provider, else from the accounting package.
 */
export type Customer = Node & {
  __typename?: 'Customer';
  /** Bookings with the customer as an attendee, earliest first. Defaults to 90 days either side of now. */
  bookings?: Maybe<BookingConnection>;
  /** Company name from the CRM; null when the contact details come from a system that holds none. */
  company?: Maybe<Scalars['String']['output']>;
  /** Full name, e.g. `Amelia Hughes`. */
  displayName?: Maybe<Scalars['String']['output']>;
  /** Email address as the source of the contact details holds it. */
  email?: Maybe<Scalars['String']['output']>;
  /** Given name from the source of the contact details; when that system holds one name (a payment provider's), everything before its last space. Null when unknown. */
  firstName?: Maybe<Scalars['String']['output']>;
  /** Global id, stable for the life of the customer. */
  id: Scalars['ID']['output'];
  /** Invoices, newest first. */
  invoices?: Maybe<InvoiceConnection>;
  /** Family name from the source of the contact details; when that system holds one name, the name's last word. Null for a one-word name or when unknown. */
  lastName?: Maybe<Scalars['String']['output']>;
  /** CRM lifecycle stage, e.g. `lead`, `customer`. */
  lifecycleStage?: Maybe<Scalars['String']['output']>;
  /** What the customer has paid by card, less refunds. */
  lifetimeValue?: Maybe<Money>;
  /** The customer's record in each system that has it. */
  links: Array<SourceLink>;
  /** Card payments, newest first. */
  orders?: Maybe<OrderConnection>;
  /** What the customer owes: the sum of `amountDue` over submitted and authorised invoices. */
  outstandingBalance?: Maybe<Money>;
  /** Phone number as the source of the contact details holds it. */
  phone?: Maybe<Scalars['String']['output']>;
  /** Open disagreements between systems about this customer. */
  syncIssues: Array<SyncIssue>;
  /** When the contact details last changed in their source. */
  updatedAt?: Maybe<Scalars['DateTime']['output']>;
};


/**
 * A customer of the business: one person, as the CRM, the payment provider and the accounting
 * package each know them, joined by Switchboard into one record. Contact details come from the CRM
 * when it has the customer, else from the payment provider, else from the accounting package.
 */
export type CustomerBookingsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  from?: InputMaybe<Scalars['DateTime']['input']>;
  status?: InputMaybe<Array<BookingStatus>>;
  to?: InputMaybe<Scalars['DateTime']['input']>;
};


/**
 * A customer of the business: one person, as the CRM, the payment provider and the accounting
 * package each know them, joined by Switchboard into one record. Contact details come from the CRM
 * when it has the customer, else from the payment provider, else from the accounting package.
 */
export type CustomerInvoicesArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  status?: InputMaybe<Array<InvoiceStatus>>;
};


/**
 * A customer of the business: one person, as the CRM, the payment provider and the accounting
 * package each know them, joined by Switchboard into one record. Contact details come from the CRM
 * when it has the customer, else from the payment provider, else from the accounting package.
 */
export type CustomerOrdersArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  status?: InputMaybe<Array<OrderStatus>>;
};

/**
 * A page of customers (a Relay connection). Fetch the next page with `after: pageInfo.endCursor`
 * while `pageInfo.hasNextPage` is true.
 */
export type CustomerConnection = {
  __typename?: 'CustomerConnection';
  /** The customers on this page, in the list's order. */
  edges: Array<CustomerEdge>;
  /** Where this page is in the list, and the cursor for the next one. */
  pageInfo: PageInfo;
  /** Customers in all pages (without `search`). */
  totalCount?: Maybe<Scalars['Int']['output']>;
};

/** One customer in a page of customers. */
export type CustomerEdge = {
  __typename?: 'CustomerEdge';
  /** Opaque cursor of this edge. To get the next page, pass `pageInfo.endCursor` as `after`. */
  cursor: Scalars['String']['output'];
  /** The customer. */
  node: Customer;
};

/** The result of a customer write. */
export type CustomerPayload = {
  __typename?: 'CustomerPayload';
  /** The customer (as the systems hold them once the steps are done). */
  customer?: Maybe<Customer>;
  /** The write and each system's step. */
  operation: Operation;
};

/**
 * A page where the customer pays a booking's deposit (a Stripe Checkout Session with the default
 * payments system).
 */
export type DepositLink = {
  __typename?: 'DepositLink';
  /** The amount asked for. */
  amount: Money;
  /** The booking the deposit is for. */
  booking?: Maybe<Booking>;
  /** When it was asked for. */
  createdAt: Scalars['DateTime']['output'];
  /** When the link stops working (30 minutes after it was made, `SWITCHBOARD_DEPOSIT_MINUTES`). */
  expiresAt: Scalars['DateTime']['output'];
  /** The link in the payments system: the checkout session, with its address in the vendor's UI when known. */
  links: Array<SourceLink>;
  /** The write that confirmed the booking, paid the invoice and moved the CRM contact on, once paid. */
  operation?: Maybe<Operation>;
  /** When it was paid; null until then. */
  paidAt?: Maybe<Scalars['DateTime']['output']>;
  /** The reference the customer was given: the enquiry's (`ENQ-…`), or for `requestDeposit` the booking's calendar id. */
  reference: Scalars['String']['output'];
  /** Where it stands; paid and expired links stay listed in `depositLinks`. */
  status: DepositLinkStatus;
  /** The page to send the customer to. */
  url: Scalars['String']['output'];
};

/** Where a deposit link stands. */
export type DepositLinkStatus =
  /** Ran out (or was replaced) unpaid; a held slot was let go. */
  | 'EXPIRED'
  /** Waiting for the customer to pay, until `expiresAt`. */
  | 'OPEN'
  /** Paid: the booking was confirmed, the invoice paid in the books and the CRM contact moved on. */
  | 'PAID';

/**
 * What a website visitor sends from the booking page's form. Every text is trimmed; names are 1–100
 * characters, the message at most 5,000.
 */
export type EnquiryInput = {
  /** Where the business answers; the CRM contact is found or made by it. */
  email: Scalars['String']['input'];
  /** The visitor's first name. */
  firstName: Scalars['String']['input'];
  /** The visitor's last name. */
  lastName: Scalars['String']['input'];
  /** What they ask, kept as a note on the CRM contact (at most 5,000 characters). */
  message?: InputMaybe<Scalars['String']['input']>;
  /** A phone number, when the visitor gives one. */
  phone?: InputMaybe<Scalars['String']['input']>;
  /**
   * A slot they would like, from `availability(service:)`: with `service`, the slot is held for them
   * (pencilled into the calendar) while they pay the service's deposit through `EnquiryPayload.deposit`.
   * A slot no longer free is refused with `SLOT_TAKEN` before anything is stored: offer another.
   */
  preferredStart?: InputMaybe<Scalars['DateTime']['input']>;
  /** The service they ask about: a code from `services`, e.g. `SPORTS-60`. */
  service?: InputMaybe<Scalars['String']['input']>;
  /** Leave empty: a field hidden from people. An enquiry that fills it is answered as usual and stored nowhere. */
  website?: InputMaybe<Scalars['String']['input']>;
};

/** The answer to an enquiry: a reference to quote, never the customer's data. */
export type EnquiryPayload = {
  __typename?: 'EnquiryPayload';
  /** Where to pay the deposit that confirms the held slot, when the service takes one. */
  deposit?: Maybe<DepositLink>;
  /** Until when the asked-for slot is held, when one was; the hold ends unless the deposit is paid by then. */
  heldUntil?: Maybe<Scalars['DateTime']['output']>;
  /** Quote it when talking to the business, e.g. `ENQ-7K3F9QXA`; it is in the CRM note too. */
  reference: Scalars['String']['output'];
};

/** Something that happened, with the object as it stands now. Fields that do not apply to the type are null. */
export type Event = {
  __typename?: 'Event';
  /** The booking, for BOOKING_CHANGED. */
  booking?: Maybe<Booking>;
  /** The customer it concerns, when known. */
  customer?: Maybe<Customer>;
  /** Unique per event: a subscriber that reconnects and sees the same id twice has seen the same event. */
  id: Scalars['ID']['output'];
  /** The invoice, for INVOICE_CHANGED. */
  invoice?: Maybe<Invoice>;
  /** When it happened in the vendor's system (or in the hub, for operations and sync issues). */
  occurredAt: Scalars['DateTime']['output'];
  /** The operation, for OPERATION_UPDATED. */
  operation?: Maybe<Operation>;
  /** The payment, for ORDER_CHANGED and PAYMENT_RECEIVED. */
  order?: Maybe<Order>;
  /** The system it happened in; null for the hub's own events. */
  source?: Maybe<SourceSystem>;
  /** The disagreement, for SYNC_ISSUE_RAISED. */
  syncIssue?: Maybe<SyncIssue>;
  /** What happened. */
  type: EventType;
};

/** The kinds of thing that happen, whichever system they happened in. */
export type EventType =
  /** A booking was made, moved or cancelled in the calendar. */
  | 'BOOKING_CHANGED'
  /** A customer's details changed in the CRM, the payment provider or the accounting package (or a new one appeared). */
  | 'CUSTOMER_CHANGED'
  /** An invoice changed: raised, paid, voided. */
  | 'INVOICE_CHANGED'
  /** A write operation moved on (a step ran, it completed, failed or gave up). */
  | 'OPERATION_UPDATED'
  /** A payment changed: created, paid, cancelled, refunded. */
  | 'ORDER_CHANGED'
  /** A payment went through. */
  | 'PAYMENT_RECEIVED'
  /** Switchboard found a new disagreement between systems. */
  | 'SYNC_ISSUE_RAISED';

/** A step that gave up: the operation is stuck until someone replays it with `retryDelivery`. */
export type FailedDelivery = {
  __typename?: 'FailedDelivery';
  /** The operation that is stuck. */
  operation: Operation;
  /** The step that gave up. */
  step: OperationStep;
};

/** Failed deliveries, oldest first. */
export type FailedDeliveryConnection = {
  __typename?: 'FailedDeliveryConnection';
  /** The failed deliveries on this page. */
  edges: Array<FailedDeliveryEdge>;
  /** Whether there are more; pass `pageInfo.endCursor` as `after` for the next page. */
  pageInfo: PageInfo;
};

/** An edge in a list of failed deliveries. */
export type FailedDeliveryEdge = {
  __typename?: 'FailedDeliveryEdge';
  /** Opaque cursor of this edge. */
  cursor: Scalars['String']['output'];
  /** The failed delivery. */
  node: FailedDelivery;
};

/** A sales invoice in the accounting package, with the payments recorded against it. */
export type Invoice = Node & {
  __typename?: 'Invoice';
  /** What is still owed on the invoice; zero once it is paid (or credited) in full. */
  amountDue: Money;
  /** What has been paid against the invoice so far. */
  amountPaid: Money;
  /** The customer billed; null when the contact is not linked to a known customer. */
  customer?: Maybe<Customer>;
  /** The date payment is due: a calendar date, given as midnight UTC of that day; null when none is set. */
  dueOn?: Maybe<Scalars['DateTime']['output']>;
  /** Opaque global id, made from the accounting package's invoice id; pass it to `invoice`, `node` or `nodes`. */
  id: Scalars['ID']['output'];
  /** The invoice date: a calendar date, given as midnight UTC of that day. */
  issuedOn?: Maybe<Scalars['DateTime']['output']>;
  /** The invoice's lines, in the invoice's order. */
  lines: Array<InvoiceLine>;
  /** The invoice in the accounting package: one link, to the invoice in its web app. */
  links: Array<SourceLink>;
  /** Invoice number, e.g. `INV-0042`. */
  number?: Maybe<Scalars['String']['output']>;
  /** True when money is still due and the due date has passed. */
  overdue: Scalars['Boolean']['output'];
  /** Payments recorded against the invoice in the accounting package, as it lists them. */
  payments: Array<InvoicePayment>;
  /** Free-text reference written on the invoice, e.g. a booking or order number; null when none. */
  reference?: Maybe<Scalars['String']['output']>;
  /** Where the invoice stands in the accounting package. */
  status: InvoiceStatus;
  /** Total of the lines, excluding tax. */
  subTotal: Money;
  /** What the invoice is for in all, tax included. */
  total: Money;
  /** Tax on the whole invoice. */
  totalTax: Money;
  /** When the invoice last changed in the accounting package; null when it does not say. */
  updatedAt?: Maybe<Scalars['DateTime']['output']>;
};

/**
 * A page of invoices (a Relay connection), newest first. Fetch the next page with
 * `after: pageInfo.endCursor` while `pageInfo.hasNextPage` is true.
 */
export type InvoiceConnection = {
  __typename?: 'InvoiceConnection';
  /** The invoices on this page, newest invoice date first. */
  edges: Array<InvoiceEdge>;
  /** Where this page is in the list, and the cursor for the next one. */
  pageInfo: PageInfo;
  /** Invoices in all pages, when the source can tell. */
  totalCount?: Maybe<Scalars['Int']['output']>;
};

/** One invoice in a page of invoices. */
export type InvoiceEdge = {
  __typename?: 'InvoiceEdge';
  /** Opaque cursor of this edge. To get the next page, pass `pageInfo.endCursor` as `after`: in the top-level `invoices` list an edge's cursor is not accepted as `after`. */
  cursor: Scalars['String']['output'];
  /** The invoice. */
  node: Invoice;
};

/** One line of an invoice. */
export type InvoiceLine = {
  __typename?: 'InvoiceLine';
  /** What the line is for, as written on the invoice; empty when the line has no text. */
  description: Scalars['String']['output'];
  /** Quantity times unit price, excluding tax. */
  lineAmount: Money;
  /** How many units, possibly fractional (e.g. 1.5 hours); 1 when the accounting package gives none. */
  quantity: Scalars['Float']['output'];
  /** Price of one unit, excluding tax. */
  unitAmount: Money;
};

/** The result of an invoice write. */
export type InvoicePayload = {
  __typename?: 'InvoicePayload';
  /** The invoice once the steps are done. */
  invoice?: Maybe<Invoice>;
  /** The write and each system's step. */
  operation: Operation;
};

/** A payment recorded against an invoice in the accounting package. */
export type InvoicePayment = {
  __typename?: 'InvoicePayment';
  /** The amount paid, in the invoice's currency. */
  amount: Money;
  /** The day the payment was made: a calendar date, given as midnight UTC of that day. */
  date: Scalars['DateTime']['output'];
};

/** Where an invoice stands in the accounting package. */
export type InvoiceStatus =
  /** Approved and awaiting payment (in full or in part); the only status that can be overdue. */
  | 'AUTHORISED'
  /** Deleted before approval. Listed by `invoices` only when `status` names it, and never by `Customer.invoices`. */
  | 'DELETED'
  /** Being written: not yet sent, and not owed. */
  | 'DRAFT'
  /** Paid in full. */
  | 'PAID'
  /** Submitted for approval in the accounting package; not yet approved (packages without approval never use it). */
  | 'SUBMITTED'
  /** Cancelled after approval: nothing is owed. */
  | 'VOIDED';

/** A new invoice. */
export type IssueInvoiceInput = {
  /** ISO 4217 currency of the unit amounts, e.g. GBP. */
  currency: Scalars['String']['input'];
  /** The customer's global id; they need a contact in the accounting package. */
  customerId: Scalars['ID']['input'];
  /** When payment is due; 14 days from now when omitted. */
  dueOn?: InputMaybe<Scalars['DateTime']['input']>;
  /** What is billed, at least one line. */
  lines: Array<LineInput>;
  /** Reference printed on the invoice. */
  reference?: InputMaybe<Scalars['String']['input']>;
};

/** One line of an order or invoice. */
export type LineInput = {
  /** What is sold, e.g. `Sports massage (60 min)`. */
  description: Scalars['String']['input'];
  /** How many, at least 1. */
  quantity?: Scalars['Int']['input'];
  /** Price of one, tax included, in minor units of the order's currency; at least 1. */
  unitAmount: Scalars['Int']['input'];
};

/** An amount of money in minor units (pence for GBP) with its ISO 4217 currency. Never a float. */
export type Money = {
  __typename?: 'Money';
  /** Integer amount in the currency's minor unit: 6500 is £65.00. */
  amount: Scalars['Int']['output'];
  /** ISO 4217 currency code in upper case, e.g. GBP. */
  currency: Scalars['String']['output'];
  /** The amount for people, e.g. `£65.00`. */
  formatted: Scalars['String']['output'];
};

/** An amount of money as input: integer minor units (pence for GBP) and an ISO 4217 currency code. */
export type MoneyInput = {
  /** Integer amount in minor units, at least 1: 2500 is £25.00. */
  amount: Scalars['Int']['input'];
  /** ISO 4217 currency code, e.g. GBP. */
  currency: Scalars['String']['input'];
};

/**
 * Writes. Each one is an operation with one step per system it changes, stored before any system is
 * called and safe to repeat with an `idempotencyKey` argument or an `Idempotency-Key` header: the same
 * key with the same input returns the first result, with other input it is an IDEMPOTENCY_KEY_REUSED
 * error. The payload's `operation` says how the write and each of its steps stand.
 */
export type Mutation = {
  __typename?: 'Mutation';
  /** Cancels a booking; its deposit is cancelled if unpaid, refunded if paid and `refundDeposit` is true. */
  cancelBooking: BookingPayload;
  /**
   * Connects a system that takes an API key (Stripe: a restricted key `rk_…` or a secret key `sk_…`).
   * The key is checked with one call to the vendor before it is stored (sealed).
   */
  connectWithKey: Source;
  /** Makes an API key in the caller's workspace. The key's text is in the payload and never shown again. */
  createApiKey: CreatedApiKey;
  /**
   * Books an appointment: the calendar event, a deposit when asked for, and the CRM's next-booking date.
   * A time the calendar is no longer free at (read from the calendar itself, with the buffers of
   * `serviceCode` when it is one of `services`) is refused with `extensions.code: "SLOT_TAKEN"` before
   * anything is written; of two bookings racing for one slot, one wins.
   */
  createBooking: BookingPayload;
  /**
   * Creates the customer in the CRM (upsert by email), the payment provider and the accounting
   * package, all linked. Safe to repeat with the same `idempotencyKey` (or `Idempotency-Key` header).
   */
  createCustomer: CustomerPayload;
  /**
   * Sends the given event types to `url` from now on. The answer carries the signing secret, shown
   * once. A URL that is not https, carries credentials or resolves to a private, loopback or
   * link-local address is refused.
   */
  createWebhookEndpoint: CreatedWebhookEndpoint;
  /**
   * Serves one more business from now on, on every replica. It gets the hub's configured adapter for each
   * role, none of them connected: connect each from the new workspace's console (Connections), signed in
   * with the returned operator key. Its customers are linked once its CRM, payments and accounting are
   * connected. Only operators of the environment's workspace may make workspaces.
   */
  createWorkspace: CreatedWorkspace;
  /** Stops deliveries to an endpoint; those waiting are held until it is enabled again. */
  disableWebhookEndpoint: WebhookEndpoint;
  /**
   * Forgets the tokens or key connected from the console; calls to the system then fail with "not
   * connected" until it is connected again (the environment's credentials are not used either).
   */
  disconnect: Source;
  /** Closes an open sync issue without writing anything, saying why. */
  dismissSyncIssue: SyncIssue;
  /** Resumes deliveries to a disabled endpoint, the held ones first. */
  enableWebhookEndpoint: WebhookEndpoint;
  /** Issues an authorised invoice in the accounting package. */
  issueInvoice: InvoicePayload;
  /** Places an order: a payment intent for the total and an authorised invoice for the same lines, referencing each other. */
  placeOrder: OrderPayload;
  /**
   * Starts a reconciliation run now and returns it at once (RUNNING); poll `reconciliation` for its
   * progress. A run already in progress (started here, by the schedule, or on another replica) is
   * returned instead: there is never more than one at a time. Its vendor calls are background work,
   * so they wait behind interactive requests and stay within each vendor's rate limits.
   */
  reconcile: ReconciliationRun;
  /** Records a payment against an invoice; the accounting package marks it paid when nothing is left due. */
  recordPayment: InvoicePayload;
  /** Refunds a paid order, in full or in part. */
  refundOrder: OrderPayload;
  /** Sends a FAILED (or DELIVERED) delivery again now, with the same `webhook-id`; the retry schedule starts afresh. */
  replayWebhookDelivery: WebhookDelivery;
  /**
   * A link for the customer to pay a booking's deposit. When it is paid the booking is confirmed, the
   * deposit invoiced and recorded as paid in the accounting system, and the CRM contact moved on to
   * customer: once each, however often the payment's webhook arrives. `amount` defaults to the service's
   * deposit; above the booking's price, or for a booking already paid, is `BAD_USER_INPUT`. Asking again
   * while a link for the same amount is open returns that link.
   */
  requestDeposit: DepositLink;
  /** Moves a booking; the CRM's next-booking date follows. */
  rescheduleBooking: BookingPayload;
  /**
   * Resolves a FIELD_MISMATCH or EMAIL_FORMAT_MISMATCH by choosing the system whose value wins: the
   * value is read from it now and written to the issue's other systems by one operation (kind
   * `resolveSyncIssue`). Other kinds are refused: dismiss them or fix them in the vendor. An issue
   * already closed is a SYNC_ISSUE_ALREADY_RESOLVED error and nothing is written again.
   */
  resolveSyncIssue: SyncIssueResolution;
  /**
   * Puts a failed delivery back in line: the steps that gave up start their attempts again, now and
   * then in the background. Returns the operation as it stands after the first new attempt.
   */
  retryDelivery?: Maybe<Operation>;
  /**
   * Revokes a key at once. Requests with it are refused within seconds on every replica, and its
   * WebSocket connections are closed.
   */
  revokeApiKey: ApiKey;
  /**
   * Makes a new key with the same name, scopes and origins, and lets the old one keep working for
   * `overlap` so clients can switch without downtime; then the old one expires.
   */
  rotateApiKey: CreatedApiKey;
  /**
   * A new signing secret, shown once. The old one keeps signing alongside it (a second signature in
   * `webhook-signature`) for the grace period (24 hours by default), so receivers can switch without a gap.
   */
  rotateWebhookEndpointSecret: CreatedWebhookEndpoint;
  /**
   * Starts connecting (or reconnecting) a system of this workspace through its OAuth consent: returns
   * the vendor's consent page. Allowing there brings the browser back to `/oauth/callback/<system>`,
   * which stores the tokens (sealed) and returns to the console's Connections page.
   */
  startConnection: ConnectionStart;
  /**
   * A website's enquiry, allowed to a publishable key: the CRM contact is made or found by email, the
   * message added as a note and the contact set to the lead stage. Details that disagree with the CRM's
   * are not written over: they become a sync issue. With `service` and `preferredStart` the slot is held
   * and a deposit link returned. Limited per visitor address (`SWITCHBOARD_ENQUIRY_RATE_LIMIT`, default
   * 5 in 10 minutes): over it, `RATE_LIMITED` with `extensions.retryAfterSeconds`.
   */
  submitEnquiry: EnquiryPayload;
  /** Carries a change of name, email, phone or company to every system that holds the customer. */
  updateCustomer: CustomerPayload;
  /** Changes an endpoint's URL, event types and description (all three replaced). */
  updateWebhookEndpoint: WebhookEndpoint;
};


/**
 * Writes. Each one is an operation with one step per system it changes, stored before any system is
 * called and safe to repeat with an `idempotencyKey` argument or an `Idempotency-Key` header: the same
 * key with the same input returns the first result, with other input it is an IDEMPOTENCY_KEY_REUSED
 * error. The payload's `operation` says how the write and each of its steps stand.
 */
export type MutationCancelBookingArgs = {
  id: Scalars['ID']['input'];
  idempotencyKey?: InputMaybe<Scalars['String']['input']>;
  refundDeposit?: InputMaybe<Scalars['Boolean']['input']>;
};


/**
 * Writes. Each one is an operation with one step per system it changes, stored before any system is
 * called and safe to repeat with an `idempotencyKey` argument or an `Idempotency-Key` header: the same
 * key with the same input returns the first result, with other input it is an IDEMPOTENCY_KEY_REUSED
 * error. The payload's `operation` says how the write and each of its steps stand.
 */
export type MutationConnectWithKeyArgs = {
  key: Scalars['String']['input'];
  system: SourceSystem;
};


/**
 * Writes. Each one is an operation with one step per system it changes, stored before any system is
 * called and safe to repeat with an `idempotencyKey` argument or an `Idempotency-Key` header: the same
 * key with the same input returns the first result, with other input it is an IDEMPOTENCY_KEY_REUSED
 * error. The payload's `operation` says how the write and each of its steps stand.
 */
export type MutationCreateApiKeyArgs = {
  input: CreateApiKeyInput;
};


/**
 * Writes. Each one is an operation with one step per system it changes, stored before any system is
 * called and safe to repeat with an `idempotencyKey` argument or an `Idempotency-Key` header: the same
 * key with the same input returns the first result, with other input it is an IDEMPOTENCY_KEY_REUSED
 * error. The payload's `operation` says how the write and each of its steps stand.
 */
export type MutationCreateBookingArgs = {
  idempotencyKey?: InputMaybe<Scalars['String']['input']>;
  input: CreateBookingInput;
};


/**
 * Writes. Each one is an operation with one step per system it changes, stored before any system is
 * called and safe to repeat with an `idempotencyKey` argument or an `Idempotency-Key` header: the same
 * key with the same input returns the first result, with other input it is an IDEMPOTENCY_KEY_REUSED
 * error. The payload's `operation` says how the write and each of its steps stand.
 */
export type MutationCreateCustomerArgs = {
  idempotencyKey?: InputMaybe<Scalars['String']['input']>;
  input: CreateCustomerInput;
};


/**
 * Writes. Each one is an operation with one step per system it changes, stored before any system is
 * called and safe to repeat with an `idempotencyKey` argument or an `Idempotency-Key` header: the same
 * key with the same input returns the first result, with other input it is an IDEMPOTENCY_KEY_REUSED
 * error. The payload's `operation` says how the write and each of its steps stand.
 */
export type MutationCreateWebhookEndpointArgs = {
  input: WebhookEndpointInput;
};


/**
 * Writes. Each one is an operation with one step per system it changes, stored before any system is
 * called and safe to repeat with an `idempotencyKey` argument or an `Idempotency-Key` header: the same
 * key with the same input returns the first result, with other input it is an IDEMPOTENCY_KEY_REUSED
 * error. The payload's `operation` says how the write and each of its steps stand.
 */
export type MutationCreateWorkspaceArgs = {
  input: WorkspaceInput;
};


/**
 * Writes. Each one is an operation with one step per system it changes, stored before any system is
 * called and safe to repeat with an `idempotencyKey` argument or an `Idempotency-Key` header: the same
 * key with the same input returns the first result, with other input it is an IDEMPOTENCY_KEY_REUSED
 * error. The payload's `operation` says how the write and each of its steps stand.
 */
export type MutationDisableWebhookEndpointArgs = {
  id: Scalars['ID']['input'];
};


/**
 * Writes. Each one is an operation with one step per system it changes, stored before any system is
 * called and safe to repeat with an `idempotencyKey` argument or an `Idempotency-Key` header: the same
 * key with the same input returns the first result, with other input it is an IDEMPOTENCY_KEY_REUSED
 * error. The payload's `operation` says how the write and each of its steps stand.
 */
export type MutationDisconnectArgs = {
  system: SourceSystem;
};


/**
 * Writes. Each one is an operation with one step per system it changes, stored before any system is
 * called and safe to repeat with an `idempotencyKey` argument or an `Idempotency-Key` header: the same
 * key with the same input returns the first result, with other input it is an IDEMPOTENCY_KEY_REUSED
 * error. The payload's `operation` says how the write and each of its steps stand.
 */
export type MutationDismissSyncIssueArgs = {
  id: Scalars['ID']['input'];
  reason: Scalars['String']['input'];
};


/**
 * Writes. Each one is an operation with one step per system it changes, stored before any system is
 * called and safe to repeat with an `idempotencyKey` argument or an `Idempotency-Key` header: the same
 * key with the same input returns the first result, with other input it is an IDEMPOTENCY_KEY_REUSED
 * error. The payload's `operation` says how the write and each of its steps stand.
 */
export type MutationEnableWebhookEndpointArgs = {
  id: Scalars['ID']['input'];
};


/**
 * Writes. Each one is an operation with one step per system it changes, stored before any system is
 * called and safe to repeat with an `idempotencyKey` argument or an `Idempotency-Key` header: the same
 * key with the same input returns the first result, with other input it is an IDEMPOTENCY_KEY_REUSED
 * error. The payload's `operation` says how the write and each of its steps stand.
 */
export type MutationIssueInvoiceArgs = {
  idempotencyKey?: InputMaybe<Scalars['String']['input']>;
  input: IssueInvoiceInput;
};


/**
 * Writes. Each one is an operation with one step per system it changes, stored before any system is
 * called and safe to repeat with an `idempotencyKey` argument or an `Idempotency-Key` header: the same
 * key with the same input returns the first result, with other input it is an IDEMPOTENCY_KEY_REUSED
 * error. The payload's `operation` says how the write and each of its steps stand.
 */
export type MutationPlaceOrderArgs = {
  idempotencyKey?: InputMaybe<Scalars['String']['input']>;
  input: PlaceOrderInput;
};


/**
 * Writes. Each one is an operation with one step per system it changes, stored before any system is
 * called and safe to repeat with an `idempotencyKey` argument or an `Idempotency-Key` header: the same
 * key with the same input returns the first result, with other input it is an IDEMPOTENCY_KEY_REUSED
 * error. The payload's `operation` says how the write and each of its steps stand.
 */
export type MutationRecordPaymentArgs = {
  amount?: InputMaybe<MoneyInput>;
  idempotencyKey?: InputMaybe<Scalars['String']['input']>;
  invoiceId: Scalars['ID']['input'];
  paidOn?: InputMaybe<Scalars['DateTime']['input']>;
};


/**
 * Writes. Each one is an operation with one step per system it changes, stored before any system is
 * called and safe to repeat with an `idempotencyKey` argument or an `Idempotency-Key` header: the same
 * key with the same input returns the first result, with other input it is an IDEMPOTENCY_KEY_REUSED
 * error. The payload's `operation` says how the write and each of its steps stand.
 */
export type MutationRefundOrderArgs = {
  amount?: InputMaybe<MoneyInput>;
  idempotencyKey?: InputMaybe<Scalars['String']['input']>;
  orderId: Scalars['ID']['input'];
};


/**
 * Writes. Each one is an operation with one step per system it changes, stored before any system is
 * called and safe to repeat with an `idempotencyKey` argument or an `Idempotency-Key` header: the same
 * key with the same input returns the first result, with other input it is an IDEMPOTENCY_KEY_REUSED
 * error. The payload's `operation` says how the write and each of its steps stand.
 */
export type MutationReplayWebhookDeliveryArgs = {
  id: Scalars['ID']['input'];
};


/**
 * Writes. Each one is an operation with one step per system it changes, stored before any system is
 * called and safe to repeat with an `idempotencyKey` argument or an `Idempotency-Key` header: the same
 * key with the same input returns the first result, with other input it is an IDEMPOTENCY_KEY_REUSED
 * error. The payload's `operation` says how the write and each of its steps stand.
 */
export type MutationRequestDepositArgs = {
  amount?: InputMaybe<MoneyInput>;
  bookingId: Scalars['ID']['input'];
};


/**
 * Writes. Each one is an operation with one step per system it changes, stored before any system is
 * called and safe to repeat with an `idempotencyKey` argument or an `Idempotency-Key` header: the same
 * key with the same input returns the first result, with other input it is an IDEMPOTENCY_KEY_REUSED
 * error. The payload's `operation` says how the write and each of its steps stand.
 */
export type MutationRescheduleBookingArgs = {
  end: Scalars['DateTime']['input'];
  id: Scalars['ID']['input'];
  idempotencyKey?: InputMaybe<Scalars['String']['input']>;
  start: Scalars['DateTime']['input'];
};


/**
 * Writes. Each one is an operation with one step per system it changes, stored before any system is
 * called and safe to repeat with an `idempotencyKey` argument or an `Idempotency-Key` header: the same
 * key with the same input returns the first result, with other input it is an IDEMPOTENCY_KEY_REUSED
 * error. The payload's `operation` says how the write and each of its steps stand.
 */
export type MutationResolveSyncIssueArgs = {
  id: Scalars['ID']['input'];
  winner: SourceSystem;
};


/**
 * Writes. Each one is an operation with one step per system it changes, stored before any system is
 * called and safe to repeat with an `idempotencyKey` argument or an `Idempotency-Key` header: the same
 * key with the same input returns the first result, with other input it is an IDEMPOTENCY_KEY_REUSED
 * error. The payload's `operation` says how the write and each of its steps stand.
 */
export type MutationRetryDeliveryArgs = {
  operationId: Scalars['ID']['input'];
};


/**
 * Writes. Each one is an operation with one step per system it changes, stored before any system is
 * called and safe to repeat with an `idempotencyKey` argument or an `Idempotency-Key` header: the same
 * key with the same input returns the first result, with other input it is an IDEMPOTENCY_KEY_REUSED
 * error. The payload's `operation` says how the write and each of its steps stand.
 */
export type MutationRevokeApiKeyArgs = {
  id: Scalars['ID']['input'];
};


/**
 * Writes. Each one is an operation with one step per system it changes, stored before any system is
 * called and safe to repeat with an `idempotencyKey` argument or an `Idempotency-Key` header: the same
 * key with the same input returns the first result, with other input it is an IDEMPOTENCY_KEY_REUSED
 * error. The payload's `operation` says how the write and each of its steps stand.
 */
export type MutationRotateApiKeyArgs = {
  id: Scalars['ID']['input'];
  overlap?: InputMaybe<Scalars['String']['input']>;
};


/**
 * Writes. Each one is an operation with one step per system it changes, stored before any system is
 * called and safe to repeat with an `idempotencyKey` argument or an `Idempotency-Key` header: the same
 * key with the same input returns the first result, with other input it is an IDEMPOTENCY_KEY_REUSED
 * error. The payload's `operation` says how the write and each of its steps stand.
 */
export type MutationRotateWebhookEndpointSecretArgs = {
  id: Scalars['ID']['input'];
};


/**
 * Writes. Each one is an operation with one step per system it changes, stored before any system is
 * called and safe to repeat with an `idempotencyKey` argument or an `Idempotency-Key` header: the same
 * key with the same input returns the first result, with other input it is an IDEMPOTENCY_KEY_REUSED
 * error. The payload's `operation` says how the write and each of its steps stand.
 */
export type MutationStartConnectionArgs = {
  system: SourceSystem;
};


/**
 * Writes. Each one is an operation with one step per system it changes, stored before any system is
 * called and safe to repeat with an `idempotencyKey` argument or an `Idempotency-Key` header: the same
 * key with the same input returns the first result, with other input it is an IDEMPOTENCY_KEY_REUSED
 * error. The payload's `operation` says how the write and each of its steps stand.
 */
export type MutationSubmitEnquiryArgs = {
  input: EnquiryInput;
};


/**
 * Writes. Each one is an operation with one step per system it changes, stored before any system is
 * called and safe to repeat with an `idempotencyKey` argument or an `Idempotency-Key` header: the same
 * key with the same input returns the first result, with other input it is an IDEMPOTENCY_KEY_REUSED
 * error. The payload's `operation` says how the write and each of its steps stand.
 */
export type MutationUpdateCustomerArgs = {
  id: Scalars['ID']['input'];
  idempotencyKey?: InputMaybe<Scalars['String']['input']>;
  input: UpdateCustomerInput;
};


/**
 * Writes. Each one is an operation with one step per system it changes, stored before any system is
 * called and safe to repeat with an `idempotencyKey` argument or an `Idempotency-Key` header: the same
 * key with the same input returns the first result, with other input it is an IDEMPOTENCY_KEY_REUSED
 * error. The payload's `operation` says how the write and each of its steps stand.
 */
export type MutationUpdateWebhookEndpointArgs = {
  id: Scalars['ID']['input'];
  input: WebhookEndpointInput;
};

/**
 * An object with a global id. Ids are opaque: pass them back as they came, to `node`, `nodes` or a
 * type's own query.
 */
export type Node = {
  /** The object's global id. */
  id: Scalars['ID']['output'];
};

/** A write across systems, as stored by the hub before any system was called. */
export type Operation = Node & {
  __typename?: 'Operation';
  /** When the operation was stored. */
  createdAt: Scalars['DateTime']['output'];
  /** Why it failed or gave up, when it did. */
  error?: Maybe<Scalars['String']['output']>;
  /** Global id of the operation. */
  id: Scalars['ID']['output'];
  /** The mutation that started it, e.g. `createBooking`. */
  kind: Scalars['String']['output'];
  /** Where the whole operation stands. */
  state: OperationState;
  /** One step per system call, in the order they run. */
  steps: Array<OperationStep>;
  /** When anything about it last changed. */
  updatedAt: Scalars['DateTime']['output'];
};

/** Operations, newest first. */
export type OperationConnection = {
  __typename?: 'OperationConnection';
  /** The operations on this page. */
  edges: Array<OperationEdge>;
  /** Whether there are more; pass `pageInfo.endCursor` as `after` for the next page. */
  pageInfo: PageInfo;
};

/** An edge in a list of operations. */
export type OperationEdge = {
  __typename?: 'OperationEdge';
  /** Opaque cursor of this edge. */
  cursor: Scalars['String']['output'];
  /** The operation. */
  node: Operation;
};

/**
 * How a write operation stands. Every mutation is an operation with one step per system it changes;
 * it always ends in one of these states, never in an unknown one.
 */
export type OperationState =
  /** A step failed for good; the steps already done are being undone. */
  | 'COMPENSATING'
  /** Every step succeeded. */
  | 'COMPLETED'
  /** A step kept failing until its attempts ran out: a failed delivery, waiting for `retryDelivery`. */
  | 'DELIVERY_FAILED'
  /** A step failed for good (see `error`) and every step done before it was undone. */
  | 'FAILED'
  /** Steps are still running, or waiting to retry after a failure that retrying can fix (`nextAttemptAt`). */
  | 'PENDING';

/**
 * One call to one system within an operation, with its own idempotency key so that retrying it can
 * never create a second record.
 */
export type OperationStep = {
  __typename?: 'OperationStep';
  /** Times it has been sent so far. */
  attempts: Scalars['Int']['output'];
  /** The idempotency key sent to the system with every attempt. */
  idempotencyKey: Scalars['String']['output'];
  /** The last failure's message, when there was one. */
  lastError?: Maybe<Scalars['String']['output']>;
  /** The step, by role, e.g. `payments.createDeposit`; `system` says which vendor played it. */
  name: Scalars['String']['output'];
  /** When the next retry is due, for a step waiting to retry. */
  nextAttemptAt?: Maybe<Scalars['DateTime']['output']>;
  /** Where the step stands. */
  state: OperationStepState;
  /** The system it writes to. */
  system: SourceSystem;
};

/** How one step of an operation stands. */
export type OperationStepState =
  /** Done, then undone because a later step failed for good. */
  | 'COMPENSATED'
  /** Undoing it kept failing: a failed delivery, replayable with `retryDelivery`. */
  | 'COMPENSATION_FAILED'
  /** The system refused it and retrying cannot help (`lastError` says why). */
  | 'FAILED'
  /** Retryable failures until the attempts ran out: a failed delivery, replayable with `retryDelivery`. */
  | 'GAVE_UP'
  /** Not run yet, or waiting to retry (`nextAttemptAt`). */
  | 'PENDING'
  /** Being sent to the system now. */
  | 'RUNNING'
  /** Not run, because an earlier step failed for good. */
  | 'SKIPPED'
  /** Done. */
  | 'SUCCEEDED';

/** A card payment taken (or attempted) from a customer, with its refunds. */
export type Order = Node & {
  __typename?: 'Order';
  /** The amount asked for. */
  amount: Money;
  /** The amount actually received. */
  amountReceived: Money;
  /** The amount given back so far. */
  amountRefunded: Money;
  /** When the payment was created in the payment provider. */
  createdAt: Scalars['DateTime']['output'];
  /** The customer who paid; null when the payment has no customer Switchboard knows. */
  customer?: Maybe<Customer>;
  /** What the payment was for, free text as written in the payment provider, e.g. `Sports massage (60 min)`; null when none. */
  description?: Maybe<Scalars['String']['output']>;
  /** Opaque global id, made from the payment provider's payment id; pass it to `order`, `node` or `nodes`. */
  id: Scalars['ID']['output'];
  /** The invoice number the payment settles, when the payment names one. */
  invoiceNumber?: Maybe<Scalars['String']['output']>;
  /** The payment in the payment provider: one link, to the payment in its dashboard. */
  links: Array<SourceLink>;
  /** The individual refunds, when the payment provider sends them; often empty even when money was refunded, so use `amountRefunded` for the total. */
  refunds: Array<Refund>;
  /** Where the payment stands; only `SUCCEEDED` means the money was taken. */
  status: OrderStatus;
};

/**
 * A page of a customer's orders (a Relay connection). Fetch the next page with
 * `after: pageInfo.endCursor` while `pageInfo.hasNextPage` is true.
 */
export type OrderConnection = {
  __typename?: 'OrderConnection';
  /** The orders on this page, newest first. */
  edges: Array<OrderEdge>;
  /** Where this page is in the list, and the cursor for the next one. */
  pageInfo: PageInfo;
  /** Orders in all pages: every order of the customer that matches `status`. */
  totalCount: Scalars['Int']['output'];
};

/** One order in a page of orders. */
export type OrderEdge = {
  __typename?: 'OrderEdge';
  /** Opaque cursor of this edge. To get the next page, pass `pageInfo.endCursor` as `after`. */
  cursor: Scalars['String']['output'];
  /** The order. */
  node: Order;
};

/** The result of an order write. */
export type OrderPayload = {
  __typename?: 'OrderPayload';
  /** The invoice for the order, when one was raised. */
  invoice?: Maybe<Invoice>;
  /** The write and each system's step. */
  operation: Operation;
  /** The payment for the order. */
  order?: Maybe<Order>;
};

/** Where a card payment stands (the payment provider's statuses, in these words). */
export type OrderStatus =
  /** Cancelled before it succeeded: no money was taken, and any hold was released. */
  | 'CANCELED'
  /** With the card network; the outcome is not known yet. */
  | 'PROCESSING'
  /** Waiting for the customer to complete a step, e.g. 3-D Secure authentication. */
  | 'REQUIRES_ACTION'
  /** Authorised and held on the card, but not taken until captured. */
  | 'REQUIRES_CAPTURE'
  /** A card is attached; the payment has not been confirmed yet. */
  | 'REQUIRES_CONFIRMATION'
  /** Waiting for a card: none given yet, or the last attempt failed (e.g. declined). */
  | 'REQUIRES_PAYMENT_METHOD'
  /** Paid: the money was taken. Only these count towards `Customer.lifetimeValue`. */
  | 'SUCCEEDED';

/** Relay pagination state of a connection. */
export type PageInfo = {
  __typename?: 'PageInfo';
  /** Cursor of the last edge on this page: pass it as `after` for the next page. */
  endCursor?: Maybe<Scalars['String']['output']>;
  /** True when `after: endCursor` returns more. */
  hasNextPage: Scalars['Boolean']['output'];
  /** True when this page is not the first. */
  hasPreviousPage: Scalars['Boolean']['output'];
  /** Cursor of the first edge on this page. */
  startCursor?: Maybe<Scalars['String']['output']>;
};

/** A new order. */
export type PlaceOrderInput = {
  /** ISO 4217 currency of the unit amounts, e.g. GBP. */
  currency: Scalars['String']['input'];
  /** The customer's global id; they need a contact in the accounting package for the invoice. */
  customerId: Scalars['ID']['input'];
  /** Shown on the payment; defaults to the first line's description. */
  description?: InputMaybe<Scalars['String']['input']>;
  /** What is sold, at least one line. */
  lines: Array<LineInput>;
};

/**
 * Everything the frontend can read. Single objects are fetched by global id (`customer`, `booking`,
 * `order`, `invoice`, or `node` for any type); lists are Relay connections paged with `first` and
 * `after`: pass `pageInfo.endCursor` as `after` for the next page. When a vendor fails, the fields it
 * serves are null with a `SOURCE_ERROR` error (`extensions.source` names the vendor,
 * `extensions.retryable` says whether to try again); bad arguments are `BAD_USER_INPUT` errors.
 */
export type Query = {
  __typename?: 'Query';
  /** The workspace's API keys, newest first. */
  apiKeys: ApiKeyConnection;
  /** The workspace's audit log, newest first. */
  auditLog: AuditEntryConnection;
  /**
   * Free slots for a service in [from, to), earliest first: inside opening hours (in the business's
   * time zone, across daylight-saving changes), every 15 minutes (`SWITCHBOARD_SLOT_STEP_MINUTES`)
   * from each opening time, clear of the calendar's busy time by the service's buffers. A slot taken
   * after it was offered is refused by `createBooking` with `SLOT_TAKEN`.
   */
  availability: Array<Slot>;
  /** One booking by global id. */
  booking?: Maybe<Booking>;
  /** Bookings starting in [from, to), earliest first; the window is at most 366 days. */
  bookings: BookingConnection;
  /** The connection map as Markdown: for every field of Customer, Booking, Order and Invoice where each adapter's record holds it, the webhooks and what they set off, the sync rules, each write's steps with the vendor requests and what makes them safe to retry, and each vendor's limits. Generated from the code; the same text as `docs/CONNECTIONS.md`. */
  connectionMapMarkdown: Scalars['String']['output'];
  /** One customer by global id. */
  customer?: Maybe<Customer>;
  /**
   * Customers, oldest first. With `search`, those whose name, email, phone or company match the
   * text in the CRM, by last name. `first` is at most 1000.
   */
  customers: CustomerConnection;
  /** Deposit links, newest first: open ones waiting, paid ones, and expired or abandoned ones. */
  depositLinks: Array<DepositLink>;
  /** Steps that gave up and wait for `retryDelivery`, oldest first. `first` is at most 500. */
  failedDeliveries: FailedDeliveryConnection;
  /** One invoice by global id. */
  invoice?: Maybe<Invoice>;
  /** Invoices, newest first; `overdue: true` keeps those with money due past their due date. `first` is at most 100. */
  invoices: InvoiceConnection;
  /** Any object by its global id; null when it does not exist. */
  node?: Maybe<Node>;
  /** Several objects by global id, in the order asked; null for each one that does not exist. */
  nodes: Array<Maybe<Node>>;
  /** One operation by global id, to follow a write that is still pending. */
  operation?: Maybe<Operation>;
  /** Every write of the workspace with its steps, newest first (the console's Writes page). */
  operations: OperationConnection;
  /** One order by global id. */
  order?: Maybe<Order>;
  /** When customers were last reconciled across the systems, the run in progress and the next one. */
  reconciliation: Reconciliation;
  /** The services the business offers, in its own order. */
  services: Array<Service>;
  /** Each connected system's last minutes, minute by minute, as this replica saw them: the console's charts. */
  sourceHistory: Array<SourceHistory>;
  /** Each connected system's health, breaker, rate budget and token. */
  sources: Array<Source>;
  /** Open sync issues (all, with `includeResolved`), oldest first. */
  syncIssues: SyncIssueConnection;
  /** Deliveries newest first: all, one endpoint's, or those in the given states. `first` is at most 500. */
  webhookDeliveries: WebhookDeliveryConnection;
  /** The workspace's webhook endpoints, oldest first. */
  webhookEndpoints: Array<WebhookEndpoint>;
  /**
   * The workspaces this hub serves: every one for an operator of the environment's workspace (the
   * studio running the hub), otherwise only the caller's own.
   */
  workspaces: Array<Workspace>;
};


/**
 * Everything the frontend can read. Single objects are fetched by global id (`customer`, `booking`,
 * `order`, `invoice`, or `node` for any type); lists are Relay connections paged with `first` and
 * `after`: pass `pageInfo.endCursor` as `after` for the next page. When a vendor fails, the fields it
 * serves are null with a `SOURCE_ERROR` error (`extensions.source` names the vendor,
 * `extensions.retryable` says whether to try again); bad arguments are `BAD_USER_INPUT` errors.
 */
export type QueryApiKeysArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  includeRevoked?: InputMaybe<Scalars['Boolean']['input']>;
};


/**
 * Everything the frontend can read. Single objects are fetched by global id (`customer`, `booking`,
 * `order`, `invoice`, or `node` for any type); lists are Relay connections paged with `first` and
 * `after`: pass `pageInfo.endCursor` as `after` for the next page. When a vendor fails, the fields it
 * serves are null with a `SOURCE_ERROR` error (`extensions.source` names the vendor,
 * `extensions.retryable` says whether to try again); bad arguments are `BAD_USER_INPUT` errors.
 */
export type QueryAuditLogArgs = {
  action?: InputMaybe<Scalars['String']['input']>;
  actor?: InputMaybe<Scalars['String']['input']>;
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  outcomes?: InputMaybe<Array<AuditOutcome>>;
  since?: InputMaybe<Scalars['DateTime']['input']>;
};


/**
 * Everything the frontend can read. Single objects are fetched by global id (`customer`, `booking`,
 * `order`, `invoice`, or `node` for any type); lists are Relay connections paged with `first` and
 * `after`: pass `pageInfo.endCursor` as `after` for the next page. When a vendor fails, the fields it
 * serves are null with a `SOURCE_ERROR` error (`extensions.source` names the vendor,
 * `extensions.retryable` says whether to try again); bad arguments are `BAD_USER_INPUT` errors.
 */
export type QueryAvailabilityArgs = {
  from: Scalars['DateTime']['input'];
  service: Scalars['String']['input'];
  to: Scalars['DateTime']['input'];
};


/**
 * Everything the frontend can read. Single objects are fetched by global id (`customer`, `booking`,
 * `order`, `invoice`, or `node` for any type); lists are Relay connections paged with `first` and
 * `after`: pass `pageInfo.endCursor` as `after` for the next page. When a vendor fails, the fields it
 * serves are null with a `SOURCE_ERROR` error (`extensions.source` names the vendor,
 * `extensions.retryable` says whether to try again); bad arguments are `BAD_USER_INPUT` errors.
 */
export type QueryBookingArgs = {
  id: Scalars['ID']['input'];
};


/**
 * Everything the frontend can read. Single objects are fetched by global id (`customer`, `booking`,
 * `order`, `invoice`, or `node` for any type); lists are Relay connections paged with `first` and
 * `after`: pass `pageInfo.endCursor` as `after` for the next page. When a vendor fails, the fields it
 * serves are null with a `SOURCE_ERROR` error (`extensions.source` names the vendor,
 * `extensions.retryable` says whether to try again); bad arguments are `BAD_USER_INPUT` errors.
 */
export type QueryBookingsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  from: Scalars['DateTime']['input'];
  status?: InputMaybe<Array<BookingStatus>>;
  to: Scalars['DateTime']['input'];
};


/**
 * Everything the frontend can read. Single objects are fetched by global id (`customer`, `booking`,
 * `order`, `invoice`, or `node` for any type); lists are Relay connections paged with `first` and
 * `after`: pass `pageInfo.endCursor` as `after` for the next page. When a vendor fails, the fields it
 * serves are null with a `SOURCE_ERROR` error (`extensions.source` names the vendor,
 * `extensions.retryable` says whether to try again); bad arguments are `BAD_USER_INPUT` errors.
 */
export type QueryCustomerArgs = {
  id: Scalars['ID']['input'];
};


/**
 * Everything the frontend can read. Single objects are fetched by global id (`customer`, `booking`,
 * `order`, `invoice`, or `node` for any type); lists are Relay connections paged with `first` and
 * `after`: pass `pageInfo.endCursor` as `after` for the next page. When a vendor fails, the fields it
 * serves are null with a `SOURCE_ERROR` error (`extensions.source` names the vendor,
 * `extensions.retryable` says whether to try again); bad arguments are `BAD_USER_INPUT` errors.
 */
export type QueryCustomersArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  search?: InputMaybe<Scalars['String']['input']>;
};


/**
 * Everything the frontend can read. Single objects are fetched by global id (`customer`, `booking`,
 * `order`, `invoice`, or `node` for any type); lists are Relay connections paged with `first` and
 * `after`: pass `pageInfo.endCursor` as `after` for the next page. When a vendor fails, the fields it
 * serves are null with a `SOURCE_ERROR` error (`extensions.source` names the vendor,
 * `extensions.retryable` says whether to try again); bad arguments are `BAD_USER_INPUT` errors.
 */
export type QueryDepositLinksArgs = {
  first?: InputMaybe<Scalars['Int']['input']>;
  status?: InputMaybe<Array<DepositLinkStatus>>;
};


/**
 * Everything the frontend can read. Single objects are fetched by global id (`customer`, `booking`,
 * `order`, `invoice`, or `node` for any type); lists are Relay connections paged with `first` and
 * `after`: pass `pageInfo.endCursor` as `after` for the next page. When a vendor fails, the fields it
 * serves are null with a `SOURCE_ERROR` error (`extensions.source` names the vendor,
 * `extensions.retryable` says whether to try again); bad arguments are `BAD_USER_INPUT` errors.
 */
export type QueryFailedDeliveriesArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};


/**
 * Everything the frontend can read. Single objects are fetched by global id (`customer`, `booking`,
 * `order`, `invoice`, or `node` for any type); lists are Relay connections paged with `first` and
 * `after`: pass `pageInfo.endCursor` as `after` for the next page. When a vendor fails, the fields it
 * serves are null with a `SOURCE_ERROR` error (`extensions.source` names the vendor,
 * `extensions.retryable` says whether to try again); bad arguments are `BAD_USER_INPUT` errors.
 */
export type QueryInvoiceArgs = {
  id: Scalars['ID']['input'];
};


/**
 * Everything the frontend can read. Single objects are fetched by global id (`customer`, `booking`,
 * `order`, `invoice`, or `node` for any type); lists are Relay connections paged with `first` and
 * `after`: pass `pageInfo.endCursor` as `after` for the next page. When a vendor fails, the fields it
 * serves are null with a `SOURCE_ERROR` error (`extensions.source` names the vendor,
 * `extensions.retryable` says whether to try again); bad arguments are `BAD_USER_INPUT` errors.
 */
export type QueryInvoicesArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  overdue?: InputMaybe<Scalars['Boolean']['input']>;
  status?: InputMaybe<Array<InvoiceStatus>>;
};


/**
 * Everything the frontend can read. Single objects are fetched by global id (`customer`, `booking`,
 * `order`, `invoice`, or `node` for any type); lists are Relay connections paged with `first` and
 * `after`: pass `pageInfo.endCursor` as `after` for the next page. When a vendor fails, the fields it
 * serves are null with a `SOURCE_ERROR` error (`extensions.source` names the vendor,
 * `extensions.retryable` says whether to try again); bad arguments are `BAD_USER_INPUT` errors.
 */
export type QueryNodeArgs = {
  id: Scalars['ID']['input'];
};


/**
 * Everything the frontend can read. Single objects are fetched by global id (`customer`, `booking`,
 * `order`, `invoice`, or `node` for any type); lists are Relay connections paged with `first` and
 * `after`: pass `pageInfo.endCursor` as `after` for the next page. When a vendor fails, the fields it
 * serves are null with a `SOURCE_ERROR` error (`extensions.source` names the vendor,
 * `extensions.retryable` says whether to try again); bad arguments are `BAD_USER_INPUT` errors.
 */
export type QueryNodesArgs = {
  ids: Array<Scalars['ID']['input']>;
};


/**
 * Everything the frontend can read. Single objects are fetched by global id (`customer`, `booking`,
 * `order`, `invoice`, or `node` for any type); lists are Relay connections paged with `first` and
 * `after`: pass `pageInfo.endCursor` as `after` for the next page. When a vendor fails, the fields it
 * serves are null with a `SOURCE_ERROR` error (`extensions.source` names the vendor,
 * `extensions.retryable` says whether to try again); bad arguments are `BAD_USER_INPUT` errors.
 */
export type QueryOperationArgs = {
  id: Scalars['ID']['input'];
};


/**
 * Everything the frontend can read. Single objects are fetched by global id (`customer`, `booking`,
 * `order`, `invoice`, or `node` for any type); lists are Relay connections paged with `first` and
 * `after`: pass `pageInfo.endCursor` as `after` for the next page. When a vendor fails, the fields it
 * serves are null with a `SOURCE_ERROR` error (`extensions.source` names the vendor,
 * `extensions.retryable` says whether to try again); bad arguments are `BAD_USER_INPUT` errors.
 */
export type QueryOperationsArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  states?: InputMaybe<Array<OperationState>>;
};


/**
 * Everything the frontend can read. Single objects are fetched by global id (`customer`, `booking`,
 * `order`, `invoice`, or `node` for any type); lists are Relay connections paged with `first` and
 * `after`: pass `pageInfo.endCursor` as `after` for the next page. When a vendor fails, the fields it
 * serves are null with a `SOURCE_ERROR` error (`extensions.source` names the vendor,
 * `extensions.retryable` says whether to try again); bad arguments are `BAD_USER_INPUT` errors.
 */
export type QueryOrderArgs = {
  id: Scalars['ID']['input'];
};


/**
 * Everything the frontend can read. Single objects are fetched by global id (`customer`, `booking`,
 * `order`, `invoice`, or `node` for any type); lists are Relay connections paged with `first` and
 * `after`: pass `pageInfo.endCursor` as `after` for the next page. When a vendor fails, the fields it
 * serves are null with a `SOURCE_ERROR` error (`extensions.source` names the vendor,
 * `extensions.retryable` says whether to try again); bad arguments are `BAD_USER_INPUT` errors.
 */
export type QuerySourceHistoryArgs = {
  minutes?: InputMaybe<Scalars['Int']['input']>;
};


/**
 * Everything the frontend can read. Single objects are fetched by global id (`customer`, `booking`,
 * `order`, `invoice`, or `node` for any type); lists are Relay connections paged with `first` and
 * `after`: pass `pageInfo.endCursor` as `after` for the next page. When a vendor fails, the fields it
 * serves are null with a `SOURCE_ERROR` error (`extensions.source` names the vendor,
 * `extensions.retryable` says whether to try again); bad arguments are `BAD_USER_INPUT` errors.
 */
export type QuerySyncIssuesArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  includeResolved?: InputMaybe<Scalars['Boolean']['input']>;
  kinds?: InputMaybe<Array<SyncIssueKind>>;
};


/**
 * Everything the frontend can read. Single objects are fetched by global id (`customer`, `booking`,
 * `order`, `invoice`, or `node` for any type); lists are Relay connections paged with `first` and
 * `after`: pass `pageInfo.endCursor` as `after` for the next page. When a vendor fails, the fields it
 * serves are null with a `SOURCE_ERROR` error (`extensions.source` names the vendor,
 * `extensions.retryable` says whether to try again); bad arguments are `BAD_USER_INPUT` errors.
 */
export type QueryWebhookDeliveriesArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  endpointId?: InputMaybe<Scalars['ID']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  states?: InputMaybe<Array<WebhookDeliveryState>>;
};

/** How many calls the hub may still send a system, kept under the vendor's published limits. */
export type RateBudget = {
  __typename?: 'RateBudget';
  /** Calls allowed at once; null when the vendor sets no such limit. */
  concurrency?: Maybe<Scalars['Int']['output']>;
  /** Calls in flight now. */
  inFlight: Scalars['Int']['output'];
  /** While set, nothing is sent: the vendor asked for a pause (429 with Retry-After) until then. */
  pausedUntil?: Maybe<Scalars['DateTime']['output']>;
  /** Calls waiting for room in this process (interactive ones go first). */
  queued: Scalars['Int']['output'];
  /** True when the budget is counted in Redis and shared by every replica. */
  shared: Scalars['Boolean']['output'];
  /** The budget's windows; a call needs room in every one. */
  windows: Array<RateWindow>;
};

/** One window of a rate budget, e.g. an accounting package's 60 calls per minute. */
export type RateWindow = {
  __typename?: 'RateWindow';
  /** Calls allowed in the window. */
  limit: Scalars['Int']['output'];
  /** Short name: `second`, `10s`, `minute`, `day`, or `search` (a CRM's search limit). */
  name: Scalars['String']['output'];
  /** Calls left in the window now, counting what the vendor's own rate-limit headers report. */
  remaining: Scalars['Int']['output'];
  /** The window's length in seconds (rolling). */
  windowSeconds: Scalars['Float']['output'];
};

/** Reconciliation: nightly (`SWITCHBOARD_RECONCILE_AT`, UTC) and on demand with `reconcile`. */
export type Reconciliation = {
  __typename?: 'Reconciliation';
  /** The latest run that ended (completed or failed): the time it started is when customers were last reconciled. */
  lastRun?: Maybe<ReconciliationRun>;
  /** When the next scheduled run starts; null when the schedule is off. */
  nextRunAt?: Maybe<Scalars['DateTime']['output']>;
  /** The run in progress, on this or any other replica, with its counts so far; null when none runs. */
  running?: Maybe<ReconciliationRun>;
};

/**
 * One pass over every linked customer, comparing email, name and phone across the CRM, the payment
 * provider and the accounting package: it raises the sync issues it finds and closes the
 * FIELD_MISMATCH, EMAIL_FORMAT_MISMATCH and MISSING_IN_SYSTEM issues that no longer hold.
 */
export type ReconciliationRun = {
  __typename?: 'ReconciliationRun';
  /** Customers compared so far (every system that holds them answered). */
  customersChecked: Scalars['Int']['output'];
  /** Customers left unchecked because a system failed to answer for them; nothing was raised or closed for them. */
  errors: Scalars['Int']['output'];
  /** When the run ended; null while it runs. */
  finishedAt?: Maybe<Scalars['DateTime']['output']>;
  /** The run's id. */
  id: Scalars['ID']['output'];
  /** Open sync issues closed because they no longer hold. */
  issuesClosed: Scalars['Int']['output'];
  /** New sync issues raised (an issue already open is not counted again). */
  issuesRaised: Scalars['Int']['output'];
  /** The last failure's message, e.g. the vendor that did not answer; null when there was none. */
  lastError?: Maybe<Scalars['String']['output']>;
  /** When the run started. */
  startedAt: Scalars['DateTime']['output'];
  /** Where the run stands. */
  state: ReconciliationState;
};

/** Where a reconciliation run stands. */
export type ReconciliationState =
  /** Every customer was visited; customers a system failed to answer for are counted in `errors`. */
  | 'COMPLETED'
  /** The run stopped early (the hub stopped, or the store failed); `lastError` says why. */
  | 'FAILED'
  /** Comparing customers now. */
  | 'RUNNING';

/** Money returned to the customer against an order. */
export type Refund = {
  __typename?: 'Refund';
  /** The amount returned. */
  amount: Money;
  /** When the refund was made in the payment provider. */
  createdAt: Scalars['DateTime']['output'];
  /** Vendor status, e.g. `succeeded`, `pending`. */
  status: Scalars['String']['output'];
};

/**
 * What a credential may do. Each value is written in keys, tokens and the CLI in lower case with its
 * last underscore as a colon: `CUSTOMERS_READ` is `customers:read`.
 */
export type Scope =
  /** A website's free-slot lookups (the booking journey). */
  | 'AVAILABILITY_READ'
  /** Read bookings. */
  | 'BOOKINGS_READ'
  /** Make, move and cancel bookings. */
  | 'BOOKINGS_WRITE'
  /** Personal data on top of `customers:read`: email, phone, the values in sync issues, attendee emails, searching customers by text. */
  | 'CUSTOMERS_PII'
  /** Read customers: names, company, lifecycle stage, links, sync issues' kinds. Not their contact details. */
  | 'CUSTOMERS_READ'
  /** Create and update customers. */
  | 'CUSTOMERS_WRITE'
  /** A website's enquiries (the booking journey). */
  | 'ENQUIRIES_WRITE'
  /** Subscribe to live events (graphql-ws or SSE); each event's object also needs its own read scope. */
  | 'EVENTS_SUBSCRIBE'
  /** Read invoices. */
  | 'INVOICES_READ'
  /** Issue invoices and record payments against them. */
  | 'INVOICES_WRITE'
  /** Run the hub: failed deliveries and replays, sources, API keys, the audit log, metrics and readiness details. */
  | 'OPERATOR'
  /** Read orders (card payments) and their refunds. */
  | 'ORDERS_READ'
  /** Take payments: place orders and deposits. */
  | 'ORDERS_WRITE'
  /** Refund payments. */
  | 'REFUNDS_WRITE';

/**
 * Something the business sells that a customer books: a massage, an assessment. Configured per
 * workspace (`SWITCHBOARD_SERVICES`); the sandbox business's six by default.
 */
export type Service = {
  __typename?: 'Service';
  /** Minutes kept free after a booking of it (clearing up); free slots leave this gap after them. */
  bufferAfterMinutes: Scalars['Int']['output'];
  /** Minutes kept free before a booking of it (setting up); free slots leave this gap before them. */
  bufferBeforeMinutes: Scalars['Int']['output'];
  /** Stable code, e.g. `SPORTS-60`: pass it to `availability(service:)` and as `CreateBookingInput.serviceCode`. */
  code: Scalars['String']['output'];
  /** What a website asks to hold a slot of it (`submitEnquiry`) and `requestDeposit` takes by default; null when it takes none. */
  deposit?: Maybe<Money>;
  /** How long a booking of it lasts, in minutes. */
  durationMinutes: Scalars['Int']['output'];
  /** The name for people, e.g. `Sports massage (60 min)`. */
  name: Scalars['String']['output'];
  /** Its price. */
  price: Money;
};

/**
 * A free time for one service: bookable as it is (`createBooking` with `start`, `end` and the
 * service's code). Times are UTC instants; show them in the business's time zone.
 */
export type Slot = {
  __typename?: 'Slot';
  /** When it would end: `start` plus the service's duration. */
  end: Scalars['DateTime']['output'];
  /** When the appointment would start. */
  start: Scalars['DateTime']['output'];
};

/** The health of one connected system, from the hub's own calls to it. */
export type Source = {
  __typename?: 'Source';
  /** The vendor address the hub talks to (a sandbox in sandbox mode). */
  baseUrl: Scalars['String']['output'];
  /** The circuit breaker; null when it is switched off. */
  breaker?: Maybe<CircuitBreaker>;
  /** The rate budget; null when budgets are switched off. */
  budget?: Maybe<RateBudget>;
  /** How the hub holds this system's credentials, and whether the console can (re)connect it. */
  connection?: Maybe<SourceConnection>;
  /** Calls that failed in a row since the last success; 0 when the last call succeeded. */
  consecutiveFailures: Scalars['Int']['output'];
  /** False while the breaker is open or the token cannot be refreshed. */
  healthy: Scalars['Boolean']['output'];
  /** When the hub last called the system; null when it has not since it started. */
  lastCallAt?: Maybe<Scalars['DateTime']['output']>;
  /** The last failure's message. */
  lastError?: Maybe<Scalars['String']['output']>;
  /** When the last failure happened; null when none has since the hub started. */
  lastErrorAt?: Maybe<Scalars['DateTime']['output']>;
  /** When a call last succeeded; null when none has since the hub started. */
  lastSuccessAt?: Maybe<Scalars['DateTime']['output']>;
  /** Calls sent in the last minute. */
  recentCalls: Scalars['Int']['output'];
  /** Share of calls in the last minute that failed with a 5xx, a timeout or a dropped connection (0 to 1). */
  recentErrorRate: Scalars['Float']['output'];
  /** Whether the last call to the system succeeded. */
  state: SourceState;
  /** The system this is the health of. */
  system: SourceSystem;
  /** The OAuth token; null for a fixed credential (an API key or a private-app token). */
  token?: Maybe<SourceToken>;
};

/** How a system's credentials were given to the hub. */
export type SourceConnection = {
  __typename?: 'SourceConnection';
  /** The vendor account connected from the console, where the vendor has several (Xero's organisation, QuickBooks' company) and the workspace was made at run time; null otherwise. */
  account?: Maybe<Scalars['String']['output']>;
  /** Whether the console can connect this system (consent flow or key). */
  canConnect: Scalars['Boolean']['output'];
  /** How the console connects it: `CONSENT` (`startConnection`) or `KEY` (`connectWithKey`); null when it cannot. */
  connectWith?: Maybe<ConnectionWay>;
  /** When it was connected from the console; null for credentials from the environment, or after a disconnect. */
  connectedAt?: Maybe<Scalars['DateTime']['output']>;
  /**
   * `oauth` (the vendor's consent page, from the console), `key` (a key pasted in the console),
   * `environment` (the hub's environment variables, or the sandbox's in sandbox mode), or `none`
   * (disconnected from the console: calls fail until it is connected again). A console connection
   * overrides the environment's credentials for its system.
   */
  method: Scalars['String']['output'];
};

/** A connection's recent history, kept in memory by the replica that answers (it restarts empty). */
export type SourceHistory = {
  __typename?: 'SourceHistory';
  /** Oldest first, one per minute, minutes without activity included as zeros. */
  minutes: Array<SourceMinute>;
  /** The system. */
  system: SourceSystem;
};

/** Where an object lives in one vendor's system. */
export type SourceLink = {
  __typename?: 'SourceLink';
  /** The record's id in that system. */
  externalId: Scalars['String']['output'];
  /** The system that holds the record. */
  system: SourceSystem;
  /** The record in the vendor's own web app, when the vendor has a stable address for it. */
  url?: Maybe<Scalars['String']['output']>;
};

/** One minute of a connection: the hub's calls to the system and the webhooks it sent. */
export type SourceMinute = {
  __typename?: 'SourceMinute';
  /** The minute's start. */
  at: Scalars['DateTime']['output'];
  /** Calls sent to the system. */
  calls: Scalars['Int']['output'];
  /** Calls that got no answer, timed out, or were answered 429 or 5xx. */
  errors: Scalars['Int']['output'];
  /** Median call latency in milliseconds; null without calls. */
  latencyP50Ms?: Maybe<Scalars['Float']['output']>;
  /** 95th percentile call latency in milliseconds; null without calls. */
  latencyP95Ms?: Maybe<Scalars['Float']['output']>;
  /** 95th percentile time from a webhook's arrival to its events being published, in milliseconds. */
  webhookLagP95Ms?: Maybe<Scalars['Float']['output']>;
  /** Webhooks from the system that became events. */
  webhooks: Scalars['Int']['output'];
};

/** How Switchboard's connection to one system is doing. */
export type SourceState =
  /** The last call failed. */
  | 'FAILING'
  /** The last call succeeded. */
  | 'OK'
  /** No call made yet. */
  | 'UNKNOWN';

/**
 * The systems Switchboard joins up: one per vendor module in the registry. Which one plays each role
 * (CRM, calendar, payments, accounting) is the workspace's binding (`SWITCHBOARD_<ROLE>`).
 */
export type SourceSystem =
  /** Google Calendar: bookings. */
  | 'GOOGLE_CALENDAR'
  /** HubSpot CRM: customers' identity and contact details. */
  | 'HUBSPOT'
  /** QuickBooks Online: invoices and payments against them. */
  | 'QUICKBOOKS'
  /** Stripe: card payments and refunds. */
  | 'STRIPE'
  /** Xero: invoices and payments against them. */
  | 'XERO';

/** An OAuth connection's token (the systems connected with a refresh token). */
export type SourceToken = {
  __typename?: 'SourceToken';
  /** When the current access token expires; it is refreshed a minute before. */
  expiresAt?: Maybe<Scalars['DateTime']['output']>;
  /** Why the last refresh failed; null after a success. */
  lastError?: Maybe<Scalars['String']['output']>;
  /** When the last refresh failed. */
  lastErrorAt?: Maybe<Scalars['DateTime']['output']>;
  /** When this hub last refreshed the token. */
  lastRefreshAt?: Maybe<Scalars['DateTime']['output']>;
  /** Whether a usable access token is held. */
  state: TokenState;
};

/**
 * Live changes, over graphql-ws (WebSocket) or Server-Sent Events on /graphql. Each event carries the
 * object as it stands after the change, and nested fields are read fresh.
 */
export type Subscription = {
  __typename?: 'Subscription';
  /** Bookings made, moved or cancelled; all of them, or one customer's, or those starting in a window. */
  bookingChanged: Booking;
  /** A customer's changes. */
  customerChanged: Customer;
  /** Everything, or the given types: for dashboards. */
  events: Event;
  /** Invoices that changed; all, one customer's, or those now in one of the given states. */
  invoiceChanged: Invoice;
  /** A write operation's progress until it ends. */
  operationUpdated: Operation;
  /** Payments that changed; all, or one customer's. */
  orderChanged: Order;
  /** Payments that went through. */
  paymentReceived: Order;
  /** New disagreements between systems. */
  syncIssueRaised: SyncIssue;
};


/**
 * Live changes, over graphql-ws (WebSocket) or Server-Sent Events on /graphql. Each event carries the
 * object as it stands after the change, and nested fields are read fresh.
 */
export type SubscriptionBookingChangedArgs = {
  customerId?: InputMaybe<Scalars['ID']['input']>;
  from?: InputMaybe<Scalars['DateTime']['input']>;
  to?: InputMaybe<Scalars['DateTime']['input']>;
};


/**
 * Live changes, over graphql-ws (WebSocket) or Server-Sent Events on /graphql. Each event carries the
 * object as it stands after the change, and nested fields are read fresh.
 */
export type SubscriptionCustomerChangedArgs = {
  id: Scalars['ID']['input'];
};


/**
 * Live changes, over graphql-ws (WebSocket) or Server-Sent Events on /graphql. Each event carries the
 * object as it stands after the change, and nested fields are read fresh.
 */
export type SubscriptionEventsArgs = {
  types?: InputMaybe<Array<EventType>>;
};


/**
 * Live changes, over graphql-ws (WebSocket) or Server-Sent Events on /graphql. Each event carries the
 * object as it stands after the change, and nested fields are read fresh.
 */
export type SubscriptionInvoiceChangedArgs = {
  customerId?: InputMaybe<Scalars['ID']['input']>;
  status?: InputMaybe<Array<InvoiceStatus>>;
};


/**
 * Live changes, over graphql-ws (WebSocket) or Server-Sent Events on /graphql. Each event carries the
 * object as it stands after the change, and nested fields are read fresh.
 */
export type SubscriptionOperationUpdatedArgs = {
  id: Scalars['ID']['input'];
};


/**
 * Live changes, over graphql-ws (WebSocket) or Server-Sent Events on /graphql. Each event carries the
 * object as it stands after the change, and nested fields are read fresh.
 */
export type SubscriptionOrderChangedArgs = {
  customerId?: InputMaybe<Scalars['ID']['input']>;
};


/**
 * Live changes, over graphql-ws (WebSocket) or Server-Sent Events on /graphql. Each event carries the
 * object as it stands after the change, and nested fields are read fresh.
 */
export type SubscriptionPaymentReceivedArgs = {
  customerId?: InputMaybe<Scalars['ID']['input']>;
};

/** A disagreement between systems that Switchboard found and did not guess away. */
export type SyncIssue = Node & {
  __typename?: 'SyncIssue';
  /** The customer the issue is about; null when it concerns no single known customer. */
  customer?: Maybe<Customer>;
  /** When Switchboard first found the issue; seeing the same issue again does not change it. */
  detectedAt: Scalars['DateTime']['output'];
  /** The field that differs, for FIELD_MISMATCH and EMAIL_FORMAT_MISMATCH (`email`, `phone`, `name`). */
  field?: Maybe<Scalars['String']['output']>;
  /** Opaque global id; pass it to `node` or `nodes`. */
  id: Scalars['ID']['output'];
  /** What sort of disagreement this is. */
  kind: SyncIssueKind;
  /** What is wrong, for people. */
  message: Scalars['String']['output'];
  /** How an operator closed it (`resolveSyncIssue`, `dismissSyncIssue`); null while open, or when the hub closed it. */
  resolution?: Maybe<SyncIssueResolutionInfo>;
  /** When the issue was resolved; null while it is open. */
  resolvedAt?: Maybe<Scalars['DateTime']['output']>;
  /** The systems involved. */
  systems: Array<SourceSystem>;
  /** The value each system holds. */
  values: Array<SyncIssueValue>;
};

/**
 * A page of sync issues (a Relay connection). Fetch the next page with `after: pageInfo.endCursor`
 * while `pageInfo.hasNextPage` is true. There is no total count.
 */
export type SyncIssueConnection = {
  __typename?: 'SyncIssueConnection';
  /** The sync issues on this page, in the list's order. */
  edges: Array<SyncIssueEdge>;
  /** Where this page is in the list, and the cursor for the next one. */
  pageInfo: PageInfo;
};

/** One sync issue in a page of sync issues. */
export type SyncIssueEdge = {
  __typename?: 'SyncIssueEdge';
  /** Opaque cursor of this edge. To get the next page, pass `pageInfo.endCursor` as `after`. */
  cursor: Scalars['String']['output'];
  /** The sync issue. */
  node: SyncIssue;
};

/** The kinds of disagreement between systems. */
export type SyncIssueKind =
  /** More than one record in one system matches the customer, so none was linked. */
  | 'AMBIGUOUS_MATCH'
  /** The same email written differently (case or spaces) in two systems. */
  | 'EMAIL_FORMAT_MISMATCH'
  /** A website enquiry gave details that differ from the CRM contact's; the CRM was not written over. */
  | 'ENQUIRY_MISMATCH'
  /** Two systems hold different values for the same field. */
  | 'FIELD_MISMATCH'
  /** A record is already linked to another customer. */
  | 'LINK_CONFLICT'
  /** The customer is in some systems and missing from another. */
  | 'MISSING_IN_SYSTEM';

/** The payload of `resolveSyncIssue`: the issue as closed, and the write that carries the winner's value. */
export type SyncIssueResolution = {
  __typename?: 'SyncIssueResolution';
  /** The write to the other systems (follow it with `operation(id)`); null when no write was needed. */
  operation?: Maybe<Operation>;
  /** The issue, now resolved. */
  syncIssue: SyncIssue;
};

/** Who closed a sync issue, when, and how. */
export type SyncIssueResolutionInfo = {
  __typename?: 'SyncIssueResolutionInfo';
  /** When it was closed. */
  at: Scalars['DateTime']['output'];
  /** Who closed it, as the audit log names the caller (a key id, `jwt:<subject>`, `cli`). */
  by: Scalars['String']['output'];
  /** Resolved with a winner, or dismissed. */
  kind: SyncIssueResolutionKind;
  /** Global id of the operation that wrote the winner's value; null when every system already held it. */
  operationId?: Maybe<Scalars['ID']['output']>;
  /** Why it was dismissed, for DISMISSED. */
  reason?: Maybe<Scalars['String']['output']>;
  /** The system whose value won, for RESOLVED. */
  winner?: Maybe<SourceSystem>;
};

/** How an operator closed a sync issue. */
export type SyncIssueResolutionKind =
  /** Closed without a write, for `reason`. */
  | 'DISMISSED'
  /** One system's value was chosen (`winner`) and written to the issue's other systems. */
  | 'RESOLVED';

/** One system's value in a sync issue. */
export type SyncIssueValue = {
  __typename?: 'SyncIssueValue';
  /** The system holding the value. */
  system: SourceSystem;
  /** The value as that system holds it, not normalised; a value that is not text comes as JSON. Null when the system holds none. */
  value?: Maybe<Scalars['String']['output']>;
};

/** The state of an OAuth access token. */
export type TokenState =
  /** The last refresh failed and no valid token is held: calls fail until the connection is fixed or a refresh succeeds. */
  | 'FAILED'
  /** No access token fetched yet (the first call fetches one). */
  | 'NONE'
  /** A refresh is in flight. */
  | 'REFRESHING'
  /** An access token is held and not expired. */
  | 'VALID';

/** Changes to a customer; fields left out stay as they are. */
export type UpdateCustomerInput = {
  /** New company. */
  company?: InputMaybe<Scalars['String']['input']>;
  /** New email address. */
  email?: InputMaybe<Scalars['String']['input']>;
  /** New given name. */
  firstName?: InputMaybe<Scalars['String']['input']>;
  /** New family name. */
  lastName?: InputMaybe<Scalars['String']['input']>;
  /** New phone number. */
  phone?: InputMaybe<Scalars['String']['input']>;
};

/** One event sent (or to be sent) to one endpoint. */
export type WebhookDelivery = {
  __typename?: 'WebhookDelivery';
  /** Attempts made (since the last replay). */
  attempts: Scalars['Int']['output'];
  /** When the delivery was stored. */
  createdAt: Scalars['DateTime']['output'];
  /** When the endpoint answered 2xx. */
  deliveredAt?: Maybe<Scalars['DateTime']['output']>;
  /** The endpoint. */
  endpoint?: Maybe<WebhookEndpoint>;
  /** The event's id (as subscriptions see it). */
  eventId: Scalars['ID']['output'];
  /** The event's type. */
  eventType: EventType;
  /** `msg_…`: the `webhook-id` header, the same on every attempt and replay, for receivers to drop duplicates. */
  id: Scalars['ID']['output'];
  /** When it was last sent. */
  lastAttemptAt?: Maybe<Scalars['DateTime']['output']>;
  /** Why the last attempt failed. */
  lastError?: Maybe<Scalars['String']['output']>;
  /** The HTTP status of the last attempt; null when no answer came. */
  lastStatus?: Maybe<Scalars['Int']['output']>;
  /** When it is sent next, while PENDING. */
  nextAttemptAt?: Maybe<Scalars['DateTime']['output']>;
  /** When the event happened. */
  occurredAt: Scalars['DateTime']['output'];
  /** The JSON body, exactly as signed. */
  payload: Scalars['String']['output'];
  /** Where it stands. */
  state: WebhookDeliveryState;
};

/** A page of deliveries, newest first. */
export type WebhookDeliveryConnection = {
  __typename?: 'WebhookDeliveryConnection';
  /** The deliveries on this page. */
  edges: Array<WebhookDeliveryEdge>;
  /** Whether there are more; pass `pageInfo.endCursor` as `after` for the next page. */
  pageInfo: PageInfo;
};

/** An edge in a list of deliveries. */
export type WebhookDeliveryEdge = {
  __typename?: 'WebhookDeliveryEdge';
  /** Opaque cursor of this edge. */
  cursor: Scalars['String']['output'];
  /** The delivery. */
  node: WebhookDelivery;
};

/** Where a delivery stands. */
export type WebhookDeliveryState =
  /** The endpoint answered 2xx. */
  | 'DELIVERED'
  /** Every attempt failed; `replayWebhookDelivery` sends it again. */
  | 'FAILED'
  /** Waiting to be sent, or retried at `nextAttemptAt`. */
  | 'PENDING';

/**
 * Where the business's own tools (an email platform, Slack, Zapier, its own systems) receive the hub's
 * events as webhooks signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`,
 * `webhook-signature`). Each delivery is stored before it is sent, retried for more than a day, and
 * sent in order per customer.
 */
export type WebhookEndpoint = {
  __typename?: 'WebhookEndpoint';
  /** When it was made. */
  createdAt: Scalars['DateTime']['output'];
  /** What it is for, for people. */
  description?: Maybe<Scalars['String']['output']>;
  /** False while disabled: no deliveries are made for it, and those waiting are held until it is enabled. */
  enabled: Scalars['Boolean']['output'];
  /** The event types it receives. */
  events: Array<EventType>;
  /** `ep_…` */
  id: Scalars['ID']['output'];
  /** Until then, deliveries are signed with the secret before the last rotation too. */
  previousSecretExpiresAt?: Maybe<Scalars['DateTime']['output']>;
  /** When it last changed (settings, state or secret). */
  updatedAt: Scalars['DateTime']['output'];
  /** Where deliveries are POSTed. */
  url: Scalars['String']['output'];
};

/** An endpoint's settings. */
export type WebhookEndpointInput = {
  /** What it is for, at most 200 characters. */
  description?: InputMaybe<Scalars['String']['input']>;
  /** The event types to send: at least one. */
  events: Array<EventType>;
  /**
   * An https:// URL without credentials whose host resolves to public addresses only (plain http and
   * loopback are allowed in sandbox mode). Redirects are not followed.
   */
  url: Scalars['String']['input'];
};

/**
 * A business this hub serves, with its own connections, customers, keys, events and audit log. A
 * one-business hub has one, `default`, and never has to think about it.
 */
export type Workspace = {
  __typename?: 'Workspace';
  /** When it was made; null for the environment's. */
  createdAt?: Maybe<Scalars['DateTime']['output']>;
  /** ISO 4217 code totals are reported in when a customer has no records yet. */
  currency: Scalars['String']['output'];
  /** Whether this request is using it. */
  current: Scalars['Boolean']['output'];
  /** The id: API keys belong to one workspace; a JWT may name several, picked with the `x-switchboard-workspace` header. */
  id: Scalars['ID']['output'];
  /** The business's name. */
  name: Scalars['String']['output'];
  /** Where it comes from. */
  origin: WorkspaceOrigin;
  /** Each role's system and whether it is connected. */
  systems: Array<WorkspaceSystem>;
};

/** A business to serve from now on. */
export type WorkspaceInput = {
  /** ISO 4217 code, e.g. GBP (the default) or EUR. */
  currency?: InputMaybe<Scalars['String']['input']>;
  /** 3 to 40 lower-case letters, digits and hyphens, starting and ending with a letter or digit, e.g. `harbour-lane`. */
  id: Scalars['String']['input'];
  /** The business's name, 1 to 100 characters. */
  name: Scalars['String']['input'];
};

/** Where a workspace comes from. */
export type WorkspaceOrigin =
  /** Made at run time with `createWorkspace`; its systems are connected from its own console. */
  | 'CONSOLE'
  /** The hub's environment configures it (the first business, `default`). */
  | 'ENVIRONMENT';

/** One system of a workspace, and whether calls to it can be made. */
export type WorkspaceSystem = {
  __typename?: 'WorkspaceSystem';
  /** The vendor account connected from the console, where the vendor has several (Xero's organisation id, QuickBooks' realm id). */
  account?: Maybe<Scalars['String']['output']>;
  /**
   * Whether the hub holds credentials for it in this workspace: connected from the console, or (the
   * environment's workspace) from the environment. A workspace made with `createWorkspace` starts with
   * none connected.
   */
  connected: Scalars['Boolean']['output'];
  /** Its role: CRM, CALENDAR, PAYMENTS or ACCOUNTING. */
  role: Scalars['String']['output'];
  /** The system. */
  system: SourceSystem;
};

export type WithIndex<TObject> = TObject & Record<string, any>;
export type ResolversObject<TObject> = WithIndex<TObject>;

export type ResolverTypeWrapper<T> = Promise<T> | T;


export type ResolverWithResolve<TResult, TParent, TContext, TArgs> = {
  resolve: ResolverFn<TResult, TParent, TContext, TArgs>;
};
export type Resolver<TResult, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = ResolverFn<TResult, TParent, TContext, TArgs> | ResolverWithResolve<TResult, TParent, TContext, TArgs>;

export type ResolverFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => Promise<TResult> | TResult;

export type SubscriptionSubscribeFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => AsyncIterable<TResult> | Promise<AsyncIterable<TResult>>;

export type SubscriptionResolveFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;

export interface SubscriptionSubscriberObject<TResult, TKey extends string, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<{ [key in TKey]: TResult }, TParent, TContext, TArgs>;
  resolve?: SubscriptionResolveFn<TResult, { [key in TKey]: TResult }, TContext, TArgs>;
}

export interface SubscriptionResolverObject<TResult, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<any, TParent, TContext, TArgs>;
  resolve: SubscriptionResolveFn<TResult, any, TContext, TArgs>;
}

export type SubscriptionObject<TResult, TKey extends string, TParent, TContext, TArgs> =
  | SubscriptionSubscriberObject<TResult, TKey, TParent, TContext, TArgs>
  | SubscriptionResolverObject<TResult, TParent, TContext, TArgs>;

export type SubscriptionResolver<TResult, TKey extends string, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> =
  | ((...args: any[]) => SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>)
  | SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>;

export type TypeResolveFn<TTypes, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (
  parent: TParent,
  context: TContext,
  info: GraphQLResolveInfo
) => Maybe<TTypes> | Promise<Maybe<TTypes>>;

export type IsTypeOfResolverFn<T = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (obj: T, context: TContext, info: GraphQLResolveInfo) => boolean | Promise<boolean>;

export type NextResolverFn<T> = () => Promise<T>;

export type DirectiveResolverFn<TResult = Record<PropertyKey, never>, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = (
  next: NextResolverFn<TResult>,
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;




/** Mapping of interface types */
export type ResolversInterfaceTypes<_RefType extends Record<string, unknown>> = ResolversObject<{
  Node:
    | ( BookingModel )
    | ( CustomerModel )
    | ( InvoiceModel )
    | ( OperationModel )
    | ( OrderModel )
    | ( SyncIssueModel )
  ;
}>;

/** Mapping between all available schema types and the resolvers types */
export type ResolversTypes = ResolversObject<{
  ApiKey: ResolverTypeWrapper<ApiKeyModel>;
  ApiKeyConnection: ResolverTypeWrapper<Omit<ApiKeyConnection, 'edges'> & { edges: Array<ResolversTypes['ApiKeyEdge']> }>;
  ApiKeyEdge: ResolverTypeWrapper<Omit<ApiKeyEdge, 'node'> & { node: ResolversTypes['ApiKey'] }>;
  ApiKeyKind: ApiKeyKind;
  ApiKeyMode: ApiKeyMode;
  AuditEntry: ResolverTypeWrapper<AuditEntryModel>;
  AuditEntryConnection: ResolverTypeWrapper<Omit<AuditEntryConnection, 'edges'> & { edges: Array<ResolversTypes['AuditEntryEdge']> }>;
  AuditEntryEdge: ResolverTypeWrapper<Omit<AuditEntryEdge, 'node'> & { node: ResolversTypes['AuditEntry'] }>;
  AuditOutcome: AuditOutcome;
  Booking: ResolverTypeWrapper<BookingModel>;
  BookingConnection: ResolverTypeWrapper<Omit<BookingConnection, 'edges'> & { edges: Array<ResolversTypes['BookingEdge']> }>;
  BookingEdge: ResolverTypeWrapper<Omit<BookingEdge, 'node'> & { node: ResolversTypes['Booking'] }>;
  BookingPayload: ResolverTypeWrapper<OperationPayloadModel>;
  BookingStatus: BookingStatus;
  Boolean: ResolverTypeWrapper<Scalars['Boolean']['output']>;
  CircuitBreaker: ResolverTypeWrapper<CircuitBreakerModel>;
  CircuitState: CircuitState;
  ConnectionStart: ResolverTypeWrapper<ConnectionStart>;
  ConnectionWay: ConnectionWay;
  CreateApiKeyInput: CreateApiKeyInput;
  CreateBookingInput: CreateBookingInput;
  CreateCustomerInput: CreateCustomerInput;
  CreatedApiKey: ResolverTypeWrapper<CreatedApiKeyModel>;
  CreatedWebhookEndpoint: ResolverTypeWrapper<CreatedEndpoint>;
  CreatedWorkspace: ResolverTypeWrapper<CreatedWorkspaceModel>;
  Customer: ResolverTypeWrapper<CustomerModel>;
  CustomerConnection: ResolverTypeWrapper<Omit<CustomerConnection, 'edges'> & { edges: Array<ResolversTypes['CustomerEdge']> }>;
  CustomerEdge: ResolverTypeWrapper<Omit<CustomerEdge, 'node'> & { node: ResolversTypes['Customer'] }>;
  CustomerPayload: ResolverTypeWrapper<OperationPayloadModel>;
  DateTime: ResolverTypeWrapper<Scalars['DateTime']['output']>;
  DepositLink: ResolverTypeWrapper<DepositLinkRecord>;
  DepositLinkStatus: DepositLinkStatus;
  EnquiryInput: EnquiryInput;
  EnquiryPayload: ResolverTypeWrapper<EnquiryPayloadModel>;
  Event: ResolverTypeWrapper<DomainEvent>;
  EventType: EventType;
  FailedDelivery: ResolverTypeWrapper<FailedDeliveryModel>;
  FailedDeliveryConnection: ResolverTypeWrapper<Omit<FailedDeliveryConnection, 'edges'> & { edges: Array<ResolversTypes['FailedDeliveryEdge']> }>;
  FailedDeliveryEdge: ResolverTypeWrapper<Omit<FailedDeliveryEdge, 'node'> & { node: ResolversTypes['FailedDelivery'] }>;
  Float: ResolverTypeWrapper<Scalars['Float']['output']>;
  ID: ResolverTypeWrapper<Scalars['ID']['output']>;
  Int: ResolverTypeWrapper<Scalars['Int']['output']>;
  Invoice: ResolverTypeWrapper<InvoiceModel>;
  InvoiceConnection: ResolverTypeWrapper<Omit<InvoiceConnection, 'edges'> & { edges: Array<ResolversTypes['InvoiceEdge']> }>;
  InvoiceEdge: ResolverTypeWrapper<Omit<InvoiceEdge, 'node'> & { node: ResolversTypes['Invoice'] }>;
  InvoiceLine: ResolverTypeWrapper<Omit<InvoiceLine, 'lineAmount' | 'unitAmount'> & { lineAmount: ResolversTypes['Money'], unitAmount: ResolversTypes['Money'] }>;
  InvoicePayload: ResolverTypeWrapper<OperationPayloadModel>;
  InvoicePayment: ResolverTypeWrapper<Omit<InvoicePayment, 'amount'> & { amount: ResolversTypes['Money'] }>;
  InvoiceStatus: InvoiceStatus;
  IssueInvoiceInput: IssueInvoiceInput;
  JSON: ResolverTypeWrapper<Scalars['JSON']['output']>;
  LineInput: LineInput;
  Money: ResolverTypeWrapper<MoneyModel>;
  MoneyInput: MoneyInput;
  Mutation: ResolverTypeWrapper<Record<PropertyKey, never>>;
  Node: ResolverTypeWrapper<ResolversInterfaceTypes<ResolversTypes>['Node']>;
  Operation: ResolverTypeWrapper<OperationModel>;
  OperationConnection: ResolverTypeWrapper<Omit<OperationConnection, 'edges'> & { edges: Array<ResolversTypes['OperationEdge']> }>;
  OperationEdge: ResolverTypeWrapper<Omit<OperationEdge, 'node'> & { node: ResolversTypes['Operation'] }>;
  OperationState: OperationState;
  OperationStep: ResolverTypeWrapper<OperationStepModel>;
  OperationStepState: OperationStepState;
  Order: ResolverTypeWrapper<OrderModel>;
  OrderConnection: ResolverTypeWrapper<Omit<OrderConnection, 'edges'> & { edges: Array<ResolversTypes['OrderEdge']> }>;
  OrderEdge: ResolverTypeWrapper<Omit<OrderEdge, 'node'> & { node: ResolversTypes['Order'] }>;
  OrderPayload: ResolverTypeWrapper<OperationPayloadModel>;
  OrderStatus: OrderStatus;
  PageInfo: ResolverTypeWrapper<PageInfo>;
  PlaceOrderInput: PlaceOrderInput;
  Query: ResolverTypeWrapper<Record<PropertyKey, never>>;
  RateBudget: ResolverTypeWrapper<RateBudget>;
  RateWindow: ResolverTypeWrapper<RateWindow>;
  Reconciliation: ResolverTypeWrapper<ReconciliationModel>;
  ReconciliationRun: ResolverTypeWrapper<ReconciliationRunModel>;
  ReconciliationState: ReconciliationState;
  Refund: ResolverTypeWrapper<Omit<Refund, 'amount'> & { amount: ResolversTypes['Money'] }>;
  Scope: Scope;
  Service: ResolverTypeWrapper<Omit<Service, 'deposit' | 'price'> & { deposit?: Maybe<ResolversTypes['Money']>, price: ResolversTypes['Money'] }>;
  Slot: ResolverTypeWrapper<Slot>;
  Source: ResolverTypeWrapper<SourceModel>;
  SourceConnection: ResolverTypeWrapper<SourceConnection>;
  SourceHistory: ResolverTypeWrapper<SourceHistory>;
  SourceLink: ResolverTypeWrapper<SourceLink>;
  SourceMinute: ResolverTypeWrapper<SourceMinute>;
  SourceState: SourceState;
  SourceSystem: SourceSystem;
  SourceToken: ResolverTypeWrapper<SourceTokenModel>;
  String: ResolverTypeWrapper<Scalars['String']['output']>;
  Subscription: ResolverTypeWrapper<Record<PropertyKey, never>>;
  SyncIssue: ResolverTypeWrapper<SyncIssueModel>;
  SyncIssueConnection: ResolverTypeWrapper<Omit<SyncIssueConnection, 'edges'> & { edges: Array<ResolversTypes['SyncIssueEdge']> }>;
  SyncIssueEdge: ResolverTypeWrapper<Omit<SyncIssueEdge, 'node'> & { node: ResolversTypes['SyncIssue'] }>;
  SyncIssueKind: SyncIssueKind;
  SyncIssueResolution: ResolverTypeWrapper<Omit<SyncIssueResolution, 'operation' | 'syncIssue'> & { operation?: Maybe<ResolversTypes['Operation']>, syncIssue: ResolversTypes['SyncIssue'] }>;
  SyncIssueResolutionInfo: ResolverTypeWrapper<SyncIssueResolutionInfo>;
  SyncIssueResolutionKind: SyncIssueResolutionKind;
  SyncIssueValue: ResolverTypeWrapper<SyncIssueValue>;
  TokenState: TokenState;
  UpdateCustomerInput: UpdateCustomerInput;
  WebhookDelivery: ResolverTypeWrapper<DeliveryRecord>;
  WebhookDeliveryConnection: ResolverTypeWrapper<Omit<WebhookDeliveryConnection, 'edges'> & { edges: Array<ResolversTypes['WebhookDeliveryEdge']> }>;
  WebhookDeliveryEdge: ResolverTypeWrapper<Omit<WebhookDeliveryEdge, 'node'> & { node: ResolversTypes['WebhookDelivery'] }>;
  WebhookDeliveryState: WebhookDeliveryState;
  WebhookEndpoint: ResolverTypeWrapper<EndpointRecord>;
  WebhookEndpointInput: WebhookEndpointInput;
  Workspace: ResolverTypeWrapper<WorkspaceModel>;
  WorkspaceInput: WorkspaceInput;
  WorkspaceOrigin: WorkspaceOrigin;
  WorkspaceSystem: ResolverTypeWrapper<WorkspaceSystem>;
}>;

/** Mapping between all available schema types and the resolvers parents */
export type ResolversParentTypes = ResolversObject<{
  ApiKey: ApiKeyModel;
  ApiKeyConnection: Omit<ApiKeyConnection, 'edges'> & { edges: Array<ResolversParentTypes['ApiKeyEdge']> };
  ApiKeyEdge: Omit<ApiKeyEdge, 'node'> & { node: ResolversParentTypes['ApiKey'] };
  AuditEntry: AuditEntryModel;
  AuditEntryConnection: Omit<AuditEntryConnection, 'edges'> & { edges: Array<ResolversParentTypes['AuditEntryEdge']> };
  AuditEntryEdge: Omit<AuditEntryEdge, 'node'> & { node: ResolversParentTypes['AuditEntry'] };
  Booking: BookingModel;
  BookingConnection: Omit<BookingConnection, 'edges'> & { edges: Array<ResolversParentTypes['BookingEdge']> };
  BookingEdge: Omit<BookingEdge, 'node'> & { node: ResolversParentTypes['Booking'] };
  BookingPayload: OperationPayloadModel;
  Boolean: Scalars['Boolean']['output'];
  CircuitBreaker: CircuitBreakerModel;
  ConnectionStart: ConnectionStart;
  CreateApiKeyInput: CreateApiKeyInput;
  CreateBookingInput: CreateBookingInput;
  CreateCustomerInput: CreateCustomerInput;
  CreatedApiKey: CreatedApiKeyModel;
  CreatedWebhookEndpoint: CreatedEndpoint;
  CreatedWorkspace: CreatedWorkspaceModel;
  Customer: CustomerModel;
  CustomerConnection: Omit<CustomerConnection, 'edges'> & { edges: Array<ResolversParentTypes['CustomerEdge']> };
  CustomerEdge: Omit<CustomerEdge, 'node'> & { node: ResolversParentTypes['Customer'] };
  CustomerPayload: OperationPayloadModel;
  DateTime: Scalars['DateTime']['output'];
  DepositLink: DepositLinkRecord;
  EnquiryInput: EnquiryInput;
  EnquiryPayload: EnquiryPayloadModel;
  Event: DomainEvent;
  FailedDelivery: FailedDeliveryModel;
  FailedDeliveryConnection: Omit<FailedDeliveryConnection, 'edges'> & { edges: Array<ResolversParentTypes['FailedDeliveryEdge']> };
  FailedDeliveryEdge: Omit<FailedDeliveryEdge, 'node'> & { node: ResolversParentTypes['FailedDelivery'] };
  Float: Scalars['Float']['output'];
  ID: Scalars['ID']['output'];
  Int: Scalars['Int']['output'];
  Invoice: InvoiceModel;
  InvoiceConnection: Omit<InvoiceConnection, 'edges'> & { edges: Array<ResolversParentTypes['InvoiceEdge']> };
  InvoiceEdge: Omit<InvoiceEdge, 'node'> & { node: ResolversParentTypes['Invoice'] };
  InvoiceLine: Omit<InvoiceLine, 'lineAmount' | 'unitAmount'> & { lineAmount: ResolversParentTypes['Money'], unitAmount: ResolversParentTypes['Money'] };
  InvoicePayload: OperationPayloadModel;
  InvoicePayment: Omit<InvoicePayment, 'amount'> & { amount: ResolversParentTypes['Money'] };
  IssueInvoiceInput: IssueInvoiceInput;
  JSON: Scalars['JSON']['output'];
  LineInput: LineInput;
  Money: MoneyModel;
  MoneyInput: MoneyInput;
  Mutation: Record<PropertyKey, never>;
  Node: ResolversInterfaceTypes<ResolversParentTypes>['Node'];
  Operation: OperationModel;
  OperationConnection: Omit<OperationConnection, 'edges'> & { edges: Array<ResolversParentTypes['OperationEdge']> };
  OperationEdge: Omit<OperationEdge, 'node'> & { node: ResolversParentTypes['Operation'] };
  OperationStep: OperationStepModel;
  Order: OrderModel;
  OrderConnection: Omit<OrderConnection, 'edges'> & { edges: Array<ResolversParentTypes['OrderEdge']> };
  OrderEdge: Omit<OrderEdge, 'node'> & { node: ResolversParentTypes['Order'] };
  OrderPayload: OperationPayloadModel;
  PageInfo: PageInfo;
  PlaceOrderInput: PlaceOrderInput;
  Query: Record<PropertyKey, never>;
  RateBudget: RateBudget;
  RateWindow: RateWindow;
  Reconciliation: ReconciliationModel;
  ReconciliationRun: ReconciliationRunModel;
  Refund: Omit<Refund, 'amount'> & { amount: ResolversParentTypes['Money'] };
  Service: Omit<Service, 'deposit' | 'price'> & { deposit?: Maybe<ResolversParentTypes['Money']>, price: ResolversParentTypes['Money'] };
  Slot: Slot;
  Source: SourceModel;
  SourceConnection: SourceConnection;
  SourceHistory: SourceHistory;
  SourceLink: SourceLink;
  SourceMinute: SourceMinute;
  SourceToken: SourceTokenModel;
  String: Scalars['String']['output'];
  Subscription: Record<PropertyKey, never>;
  SyncIssue: SyncIssueModel;
  SyncIssueConnection: Omit<SyncIssueConnection, 'edges'> & { edges: Array<ResolversParentTypes['SyncIssueEdge']> };
  SyncIssueEdge: Omit<SyncIssueEdge, 'node'> & { node: ResolversParentTypes['SyncIssue'] };
  SyncIssueResolution: Omit<SyncIssueResolution, 'operation' | 'syncIssue'> & { operation?: Maybe<ResolversParentTypes['Operation']>, syncIssue: ResolversParentTypes['SyncIssue'] };
  SyncIssueResolutionInfo: SyncIssueResolutionInfo;
  SyncIssueValue: SyncIssueValue;
  UpdateCustomerInput: UpdateCustomerInput;
  WebhookDelivery: DeliveryRecord;
  WebhookDeliveryConnection: Omit<WebhookDeliveryConnection, 'edges'> & { edges: Array<ResolversParentTypes['WebhookDeliveryEdge']> };
  WebhookDeliveryEdge: Omit<WebhookDeliveryEdge, 'node'> & { node: ResolversParentTypes['WebhookDelivery'] };
  WebhookEndpoint: EndpointRecord;
  WebhookEndpointInput: WebhookEndpointInput;
  Workspace: WorkspaceModel;
  WorkspaceInput: WorkspaceInput;
  WorkspaceSystem: WorkspaceSystem;
}>;

export type PublishableDirectiveArgs = { };

export type PublishableDirectiveResolver<Result, Parent, ContextType = GraphContext, Args = PublishableDirectiveArgs> = DirectiveResolverFn<Result, Parent, ContextType, Args>;

export type RequiresScopesDirectiveArgs = {
  scopes: Array<Array<Scalars['String']['input']>>;
};

export type RequiresScopesDirectiveResolver<Result, Parent, ContextType = GraphContext, Args = RequiresScopesDirectiveArgs> = DirectiveResolverFn<Result, Parent, ContextType, Args>;

export type ApiKeyResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['ApiKey'] = ResolversParentTypes['ApiKey']> = ResolversObject<{
  active?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  allowedOrigins?: Resolver<Array<ResolversTypes['String']>, ParentType, ContextType>;
  createdAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  createdBy?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  expiresAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  kind?: Resolver<ResolversTypes['ApiKeyKind'], ParentType, ContextType>;
  lastUsedAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  mode?: Resolver<ResolversTypes['ApiKeyMode'], ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  prefix?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  replacedBy?: Resolver<Maybe<ResolversTypes['ID']>, ParentType, ContextType>;
  revokedAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  scopes?: Resolver<Array<ResolversTypes['Scope']>, ParentType, ContextType>;
  workspace?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
}>;

export type ApiKeyConnectionResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['ApiKeyConnection'] = ResolversParentTypes['ApiKeyConnection']> = ResolversObject<{
  edges?: Resolver<Array<ResolversTypes['ApiKeyEdge']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
}>;

export type ApiKeyEdgeResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['ApiKeyEdge'] = ResolversParentTypes['ApiKeyEdge']> = ResolversObject<{
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['ApiKey'], ParentType, ContextType>;
}>;

export type AuditEntryResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['AuditEntry'] = ResolversParentTypes['AuditEntry']> = ResolversObject<{
  action?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  actor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  address?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  at?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  detail?: Resolver<Maybe<ResolversTypes['JSON']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  origin?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  outcome?: Resolver<ResolversTypes['AuditOutcome'], ParentType, ContextType>;
  suppressed?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  target?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
}>;

export type AuditEntryConnectionResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['AuditEntryConnection'] = ResolversParentTypes['AuditEntryConnection']> = ResolversObject<{
  edges?: Resolver<Array<ResolversTypes['AuditEntryEdge']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
}>;

export type AuditEntryEdgeResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['AuditEntryEdge'] = ResolversParentTypes['AuditEntryEdge']> = ResolversObject<{
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['AuditEntry'], ParentType, ContextType>;
}>;

export type BookingResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['Booking'] = ResolversParentTypes['Booking']> = ResolversObject<{
  attendeeEmails?: Resolver<Array<ResolversTypes['String']>, ParentType, ContextType>;
  customer?: Resolver<Maybe<ResolversTypes['Customer']>, ParentType, ContextType>;
  end?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  links?: Resolver<Array<ResolversTypes['SourceLink']>, ParentType, ContextType>;
  location?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  serviceCode?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  start?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  status?: Resolver<ResolversTypes['BookingStatus'], ParentType, ContextType>;
  title?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  updatedAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  __isTypeOf?: IsTypeOfResolverFn<ParentType, ContextType>;
}>;

export type BookingConnectionResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['BookingConnection'] = ResolversParentTypes['BookingConnection']> = ResolversObject<{
  edges?: Resolver<Array<ResolversTypes['BookingEdge']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
  totalCount?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
}>;

export type BookingEdgeResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['BookingEdge'] = ResolversParentTypes['BookingEdge']> = ResolversObject<{
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['Booking'], ParentType, ContextType>;
}>;

export type BookingPayloadResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['BookingPayload'] = ResolversParentTypes['BookingPayload']> = ResolversObject<{
  booking?: Resolver<Maybe<ResolversTypes['Booking']>, ParentType, ContextType>;
  deposit?: Resolver<Maybe<ResolversTypes['Order']>, ParentType, ContextType>;
  operation?: Resolver<ResolversTypes['Operation'], ParentType, ContextType>;
}>;

export type CircuitBreakerResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['CircuitBreaker'] = ResolversParentTypes['CircuitBreaker']> = ResolversObject<{
  nextProbeAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  openedAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  state?: Resolver<ResolversTypes['CircuitState'], ParentType, ContextType>;
}>;

export type ConnectionStartResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['ConnectionStart'] = ResolversParentTypes['ConnectionStart']> = ResolversObject<{
  authorizeUrl?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  expiresAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
}>;

export type CreatedApiKeyResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['CreatedApiKey'] = ResolversParentTypes['CreatedApiKey']> = ResolversObject<{
  apiKey?: Resolver<ResolversTypes['ApiKey'], ParentType, ContextType>;
  secret?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
}>;

export type CreatedWebhookEndpointResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['CreatedWebhookEndpoint'] = ResolversParentTypes['CreatedWebhookEndpoint']> = ResolversObject<{
  endpoint?: Resolver<ResolversTypes['WebhookEndpoint'], ParentType, ContextType>;
  secret?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
}>;

export type CreatedWorkspaceResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['CreatedWorkspace'] = ResolversParentTypes['CreatedWorkspace']> = ResolversObject<{
  operatorKey?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  workspace?: Resolver<ResolversTypes['Workspace'], ParentType, ContextType>;
}>;

export type CustomerResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['Customer'] = ResolversParentTypes['Customer']> = ResolversObject<{
  bookings?: Resolver<Maybe<ResolversTypes['BookingConnection']>, ParentType, ContextType, RequireFields<CustomerBookingsArgs, 'first'>>;
  company?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  displayName?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  email?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  firstName?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  invoices?: Resolver<Maybe<ResolversTypes['InvoiceConnection']>, ParentType, ContextType, RequireFields<CustomerInvoicesArgs, 'first'>>;
  lastName?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  lifecycleStage?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  lifetimeValue?: Resolver<Maybe<ResolversTypes['Money']>, ParentType, ContextType>;
  links?: Resolver<Array<ResolversTypes['SourceLink']>, ParentType, ContextType>;
  orders?: Resolver<Maybe<ResolversTypes['OrderConnection']>, ParentType, ContextType, RequireFields<CustomerOrdersArgs, 'first'>>;
  outstandingBalance?: Resolver<Maybe<ResolversTypes['Money']>, ParentType, ContextType>;
  phone?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  syncIssues?: Resolver<Array<ResolversTypes['SyncIssue']>, ParentType, ContextType>;
  updatedAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  __isTypeOf?: IsTypeOfResolverFn<ParentType, ContextType>;
}>;

export type CustomerConnectionResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['CustomerConnection'] = ResolversParentTypes['CustomerConnection']> = ResolversObject<{
  edges?: Resolver<Array<ResolversTypes['CustomerEdge']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
  totalCount?: Resolver<Maybe<ResolversTypes['Int']>, ParentType, ContextType>;
}>;

export type CustomerEdgeResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['CustomerEdge'] = ResolversParentTypes['CustomerEdge']> = ResolversObject<{
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['Customer'], ParentType, ContextType>;
}>;

export type CustomerPayloadResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['CustomerPayload'] = ResolversParentTypes['CustomerPayload']> = ResolversObject<{
  customer?: Resolver<Maybe<ResolversTypes['Customer']>, ParentType, ContextType>;
  operation?: Resolver<ResolversTypes['Operation'], ParentType, ContextType>;
}>;

export interface DateTimeScalarConfig extends GraphQLScalarTypeConfig<ResolversTypes['DateTime'], any> {
  name: 'DateTime';
}

export type DepositLinkResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['DepositLink'] = ResolversParentTypes['DepositLink']> = ResolversObject<{
  amount?: Resolver<ResolversTypes['Money'], ParentType, ContextType>;
  booking?: Resolver<Maybe<ResolversTypes['Booking']>, ParentType, ContextType>;
  createdAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  expiresAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  links?: Resolver<Array<ResolversTypes['SourceLink']>, ParentType, ContextType>;
  operation?: Resolver<Maybe<ResolversTypes['Operation']>, ParentType, ContextType>;
  paidAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  reference?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  status?: Resolver<ResolversTypes['DepositLinkStatus'], ParentType, ContextType>;
  url?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
}>;

export type EnquiryPayloadResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['EnquiryPayload'] = ResolversParentTypes['EnquiryPayload']> = ResolversObject<{
  deposit?: Resolver<Maybe<ResolversTypes['DepositLink']>, ParentType, ContextType>;
  heldUntil?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  reference?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
}>;

export type EventResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['Event'] = ResolversParentTypes['Event']> = ResolversObject<{
  booking?: Resolver<Maybe<ResolversTypes['Booking']>, ParentType, ContextType>;
  customer?: Resolver<Maybe<ResolversTypes['Customer']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  invoice?: Resolver<Maybe<ResolversTypes['Invoice']>, ParentType, ContextType>;
  occurredAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  operation?: Resolver<Maybe<ResolversTypes['Operation']>, ParentType, ContextType>;
  order?: Resolver<Maybe<ResolversTypes['Order']>, ParentType, ContextType>;
  source?: Resolver<Maybe<ResolversTypes['SourceSystem']>, ParentType, ContextType>;
  syncIssue?: Resolver<Maybe<ResolversTypes['SyncIssue']>, ParentType, ContextType>;
  type?: Resolver<ResolversTypes['EventType'], ParentType, ContextType>;
}>;

export type FailedDeliveryResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['FailedDelivery'] = ResolversParentTypes['FailedDelivery']> = ResolversObject<{
  operation?: Resolver<ResolversTypes['Operation'], ParentType, ContextType>;
  step?: Resolver<ResolversTypes['OperationStep'], ParentType, ContextType>;
}>;

export type FailedDeliveryConnectionResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['FailedDeliveryConnection'] = ResolversParentTypes['FailedDeliveryConnection']> = ResolversObject<{
  edges?: Resolver<Array<ResolversTypes['FailedDeliveryEdge']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
}>;

export type FailedDeliveryEdgeResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['FailedDeliveryEdge'] = ResolversParentTypes['FailedDeliveryEdge']> = ResolversObject<{
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['FailedDelivery'], ParentType, ContextType>;
}>;

export type InvoiceResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['Invoice'] = ResolversParentTypes['Invoice']> = ResolversObject<{
  amountDue?: Resolver<ResolversTypes['Money'], ParentType, ContextType>;
  amountPaid?: Resolver<ResolversTypes['Money'], ParentType, ContextType>;
  customer?: Resolver<Maybe<ResolversTypes['Customer']>, ParentType, ContextType>;
  dueOn?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  issuedOn?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  lines?: Resolver<Array<ResolversTypes['InvoiceLine']>, ParentType, ContextType>;
  links?: Resolver<Array<ResolversTypes['SourceLink']>, ParentType, ContextType>;
  number?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  overdue?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  payments?: Resolver<Array<ResolversTypes['InvoicePayment']>, ParentType, ContextType>;
  reference?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  status?: Resolver<ResolversTypes['InvoiceStatus'], ParentType, ContextType>;
  subTotal?: Resolver<ResolversTypes['Money'], ParentType, ContextType>;
  total?: Resolver<ResolversTypes['Money'], ParentType, ContextType>;
  totalTax?: Resolver<ResolversTypes['Money'], ParentType, ContextType>;
  updatedAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  __isTypeOf?: IsTypeOfResolverFn<ParentType, ContextType>;
}>;

export type InvoiceConnectionResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['InvoiceConnection'] = ResolversParentTypes['InvoiceConnection']> = ResolversObject<{
  edges?: Resolver<Array<ResolversTypes['InvoiceEdge']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
  totalCount?: Resolver<Maybe<ResolversTypes['Int']>, ParentType, ContextType>;
}>;

export type InvoiceEdgeResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['InvoiceEdge'] = ResolversParentTypes['InvoiceEdge']> = ResolversObject<{
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['Invoice'], ParentType, ContextType>;
}>;

export type InvoiceLineResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['InvoiceLine'] = ResolversParentTypes['InvoiceLine']> = ResolversObject<{
  description?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  lineAmount?: Resolver<ResolversTypes['Money'], ParentType, ContextType>;
  quantity?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  unitAmount?: Resolver<ResolversTypes['Money'], ParentType, ContextType>;
}>;

export type InvoicePayloadResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['InvoicePayload'] = ResolversParentTypes['InvoicePayload']> = ResolversObject<{
  invoice?: Resolver<Maybe<ResolversTypes['Invoice']>, ParentType, ContextType>;
  operation?: Resolver<ResolversTypes['Operation'], ParentType, ContextType>;
}>;

export type InvoicePaymentResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['InvoicePayment'] = ResolversParentTypes['InvoicePayment']> = ResolversObject<{
  amount?: Resolver<ResolversTypes['Money'], ParentType, ContextType>;
  date?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
}>;

export interface JsonScalarConfig extends GraphQLScalarTypeConfig<ResolversTypes['JSON'], any> {
  name: 'JSON';
}

export type MoneyResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['Money'] = ResolversParentTypes['Money']> = ResolversObject<{
  amount?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  currency?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  formatted?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
}>;

export type MutationResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['Mutation'] = ResolversParentTypes['Mutation']> = ResolversObject<{
  cancelBooking?: Resolver<ResolversTypes['BookingPayload'], ParentType, ContextType, RequireFields<MutationCancelBookingArgs, 'id' | 'refundDeposit'>>;
  connectWithKey?: Resolver<ResolversTypes['Source'], ParentType, ContextType, RequireFields<MutationConnectWithKeyArgs, 'key' | 'system'>>;
  createApiKey?: Resolver<ResolversTypes['CreatedApiKey'], ParentType, ContextType, RequireFields<MutationCreateApiKeyArgs, 'input'>>;
  createBooking?: Resolver<ResolversTypes['BookingPayload'], ParentType, ContextType, RequireFields<MutationCreateBookingArgs, 'input'>>;
  createCustomer?: Resolver<ResolversTypes['CustomerPayload'], ParentType, ContextType, RequireFields<MutationCreateCustomerArgs, 'input'>>;
  createWebhookEndpoint?: Resolver<ResolversTypes['CreatedWebhookEndpoint'], ParentType, ContextType, RequireFields<MutationCreateWebhookEndpointArgs, 'input'>>;
  createWorkspace?: Resolver<ResolversTypes['CreatedWorkspace'], ParentType, ContextType, RequireFields<MutationCreateWorkspaceArgs, 'input'>>;
  disableWebhookEndpoint?: Resolver<ResolversTypes['WebhookEndpoint'], ParentType, ContextType, RequireFields<MutationDisableWebhookEndpointArgs, 'id'>>;
  disconnect?: Resolver<ResolversTypes['Source'], ParentType, ContextType, RequireFields<MutationDisconnectArgs, 'system'>>;
  dismissSyncIssue?: Resolver<ResolversTypes['SyncIssue'], ParentType, ContextType, RequireFields<MutationDismissSyncIssueArgs, 'id' | 'reason'>>;
  enableWebhookEndpoint?: Resolver<ResolversTypes['WebhookEndpoint'], ParentType, ContextType, RequireFields<MutationEnableWebhookEndpointArgs, 'id'>>;
  issueInvoice?: Resolver<ResolversTypes['InvoicePayload'], ParentType, ContextType, RequireFields<MutationIssueInvoiceArgs, 'input'>>;
  placeOrder?: Resolver<ResolversTypes['OrderPayload'], ParentType, ContextType, RequireFields<MutationPlaceOrderArgs, 'input'>>;
  reconcile?: Resolver<ResolversTypes['ReconciliationRun'], ParentType, ContextType>;
  recordPayment?: Resolver<ResolversTypes['InvoicePayload'], ParentType, ContextType, RequireFields<MutationRecordPaymentArgs, 'invoiceId'>>;
  refundOrder?: Resolver<ResolversTypes['OrderPayload'], ParentType, ContextType, RequireFields<MutationRefundOrderArgs, 'orderId'>>;
  replayWebhookDelivery?: Resolver<ResolversTypes['WebhookDelivery'], ParentType, ContextType, RequireFields<MutationReplayWebhookDeliveryArgs, 'id'>>;
  requestDeposit?: Resolver<ResolversTypes['DepositLink'], ParentType, ContextType, RequireFields<MutationRequestDepositArgs, 'bookingId'>>;
  rescheduleBooking?: Resolver<ResolversTypes['BookingPayload'], ParentType, ContextType, RequireFields<MutationRescheduleBookingArgs, 'end' | 'id' | 'start'>>;
  resolveSyncIssue?: Resolver<ResolversTypes['SyncIssueResolution'], ParentType, ContextType, RequireFields<MutationResolveSyncIssueArgs, 'id' | 'winner'>>;
  retryDelivery?: Resolver<Maybe<ResolversTypes['Operation']>, ParentType, ContextType, RequireFields<MutationRetryDeliveryArgs, 'operationId'>>;
  revokeApiKey?: Resolver<ResolversTypes['ApiKey'], ParentType, ContextType, RequireFields<MutationRevokeApiKeyArgs, 'id'>>;
  rotateApiKey?: Resolver<ResolversTypes['CreatedApiKey'], ParentType, ContextType, RequireFields<MutationRotateApiKeyArgs, 'id' | 'overlap'>>;
  rotateWebhookEndpointSecret?: Resolver<ResolversTypes['CreatedWebhookEndpoint'], ParentType, ContextType, RequireFields<MutationRotateWebhookEndpointSecretArgs, 'id'>>;
  startConnection?: Resolver<ResolversTypes['ConnectionStart'], ParentType, ContextType, RequireFields<MutationStartConnectionArgs, 'system'>>;
  submitEnquiry?: Resolver<ResolversTypes['EnquiryPayload'], ParentType, ContextType, RequireFields<MutationSubmitEnquiryArgs, 'input'>>;
  updateCustomer?: Resolver<ResolversTypes['CustomerPayload'], ParentType, ContextType, RequireFields<MutationUpdateCustomerArgs, 'id' | 'input'>>;
  updateWebhookEndpoint?: Resolver<ResolversTypes['WebhookEndpoint'], ParentType, ContextType, RequireFields<MutationUpdateWebhookEndpointArgs, 'id' | 'input'>>;
}>;

export type NodeResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['Node'] = ResolversParentTypes['Node']> = ResolversObject<{
  __resolveType: TypeResolveFn<'Booking' | 'Customer' | 'Invoice' | 'Operation' | 'Order' | 'SyncIssue', ParentType, ContextType>;
}>;

export type OperationResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['Operation'] = ResolversParentTypes['Operation']> = ResolversObject<{
  createdAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  error?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  kind?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  state?: Resolver<ResolversTypes['OperationState'], ParentType, ContextType>;
  steps?: Resolver<Array<ResolversTypes['OperationStep']>, ParentType, ContextType>;
  updatedAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  __isTypeOf?: IsTypeOfResolverFn<ParentType, ContextType>;
}>;

export type OperationConnectionResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['OperationConnection'] = ResolversParentTypes['OperationConnection']> = ResolversObject<{
  edges?: Resolver<Array<ResolversTypes['OperationEdge']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
}>;

export type OperationEdgeResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['OperationEdge'] = ResolversParentTypes['OperationEdge']> = ResolversObject<{
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['Operation'], ParentType, ContextType>;
}>;

export type OperationStepResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['OperationStep'] = ResolversParentTypes['OperationStep']> = ResolversObject<{
  attempts?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  idempotencyKey?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  lastError?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  nextAttemptAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  state?: Resolver<ResolversTypes['OperationStepState'], ParentType, ContextType>;
  system?: Resolver<ResolversTypes['SourceSystem'], ParentType, ContextType>;
}>;

export type OrderResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['Order'] = ResolversParentTypes['Order']> = ResolversObject<{
  amount?: Resolver<ResolversTypes['Money'], ParentType, ContextType>;
  amountReceived?: Resolver<ResolversTypes['Money'], ParentType, ContextType>;
  amountRefunded?: Resolver<ResolversTypes['Money'], ParentType, ContextType>;
  createdAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  customer?: Resolver<Maybe<ResolversTypes['Customer']>, ParentType, ContextType>;
  description?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  invoiceNumber?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  links?: Resolver<Array<ResolversTypes['SourceLink']>, ParentType, ContextType>;
  refunds?: Resolver<Array<ResolversTypes['Refund']>, ParentType, ContextType>;
  status?: Resolver<ResolversTypes['OrderStatus'], ParentType, ContextType>;
  __isTypeOf?: IsTypeOfResolverFn<ParentType, ContextType>;
}>;

export type OrderConnectionResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['OrderConnection'] = ResolversParentTypes['OrderConnection']> = ResolversObject<{
  edges?: Resolver<Array<ResolversTypes['OrderEdge']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
  totalCount?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
}>;

export type OrderEdgeResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['OrderEdge'] = ResolversParentTypes['OrderEdge']> = ResolversObject<{
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['Order'], ParentType, ContextType>;
}>;

export type OrderPayloadResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['OrderPayload'] = ResolversParentTypes['OrderPayload']> = ResolversObject<{
  invoice?: Resolver<Maybe<ResolversTypes['Invoice']>, ParentType, ContextType>;
  operation?: Resolver<ResolversTypes['Operation'], ParentType, ContextType>;
  order?: Resolver<Maybe<ResolversTypes['Order']>, ParentType, ContextType>;
}>;

export type PageInfoResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['PageInfo'] = ResolversParentTypes['PageInfo']> = ResolversObject<{
  endCursor?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  hasNextPage?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  hasPreviousPage?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  startCursor?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
}>;

export type QueryResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['Query'] = ResolversParentTypes['Query']> = ResolversObject<{
  apiKeys?: Resolver<ResolversTypes['ApiKeyConnection'], ParentType, ContextType, RequireFields<QueryApiKeysArgs, 'first' | 'includeRevoked'>>;
  auditLog?: Resolver<ResolversTypes['AuditEntryConnection'], ParentType, ContextType, RequireFields<QueryAuditLogArgs, 'first'>>;
  availability?: Resolver<Array<ResolversTypes['Slot']>, ParentType, ContextType, RequireFields<QueryAvailabilityArgs, 'from' | 'service' | 'to'>>;
  booking?: Resolver<Maybe<ResolversTypes['Booking']>, ParentType, ContextType, RequireFields<QueryBookingArgs, 'id'>>;
  bookings?: Resolver<ResolversTypes['BookingConnection'], ParentType, ContextType, RequireFields<QueryBookingsArgs, 'first' | 'from' | 'to'>>;
  connectionMapMarkdown?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  customer?: Resolver<Maybe<ResolversTypes['Customer']>, ParentType, ContextType, RequireFields<QueryCustomerArgs, 'id'>>;
  customers?: Resolver<ResolversTypes['CustomerConnection'], ParentType, ContextType, RequireFields<QueryCustomersArgs, 'first'>>;
  depositLinks?: Resolver<Array<ResolversTypes['DepositLink']>, ParentType, ContextType, RequireFields<QueryDepositLinksArgs, 'first'>>;
  failedDeliveries?: Resolver<ResolversTypes['FailedDeliveryConnection'], ParentType, ContextType, RequireFields<QueryFailedDeliveriesArgs, 'first'>>;
  invoice?: Resolver<Maybe<ResolversTypes['Invoice']>, ParentType, ContextType, RequireFields<QueryInvoiceArgs, 'id'>>;
  invoices?: Resolver<ResolversTypes['InvoiceConnection'], ParentType, ContextType, RequireFields<QueryInvoicesArgs, 'first'>>;
  node?: Resolver<Maybe<ResolversTypes['Node']>, ParentType, ContextType, RequireFields<QueryNodeArgs, 'id'>>;
  nodes?: Resolver<Array<Maybe<ResolversTypes['Node']>>, ParentType, ContextType, RequireFields<QueryNodesArgs, 'ids'>>;
  operation?: Resolver<Maybe<ResolversTypes['Operation']>, ParentType, ContextType, RequireFields<QueryOperationArgs, 'id'>>;
  operations?: Resolver<ResolversTypes['OperationConnection'], ParentType, ContextType, RequireFields<QueryOperationsArgs, 'first'>>;
  order?: Resolver<Maybe<ResolversTypes['Order']>, ParentType, ContextType, RequireFields<QueryOrderArgs, 'id'>>;
  reconciliation?: Resolver<ResolversTypes['Reconciliation'], ParentType, ContextType>;
  services?: Resolver<Array<ResolversTypes['Service']>, ParentType, ContextType>;
  sourceHistory?: Resolver<Array<ResolversTypes['SourceHistory']>, ParentType, ContextType, RequireFields<QuerySourceHistoryArgs, 'minutes'>>;
  sources?: Resolver<Array<ResolversTypes['Source']>, ParentType, ContextType>;
  syncIssues?: Resolver<ResolversTypes['SyncIssueConnection'], ParentType, ContextType, RequireFields<QuerySyncIssuesArgs, 'first' | 'includeResolved'>>;
  webhookDeliveries?: Resolver<ResolversTypes['WebhookDeliveryConnection'], ParentType, ContextType, RequireFields<QueryWebhookDeliveriesArgs, 'first'>>;
  webhookEndpoints?: Resolver<Array<ResolversTypes['WebhookEndpoint']>, ParentType, ContextType>;
  workspaces?: Resolver<Array<ResolversTypes['Workspace']>, ParentType, ContextType>;
}>;

export type RateBudgetResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['RateBudget'] = ResolversParentTypes['RateBudget']> = ResolversObject<{
  concurrency?: Resolver<Maybe<ResolversTypes['Int']>, ParentType, ContextType>;
  inFlight?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  pausedUntil?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  queued?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  shared?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  windows?: Resolver<Array<ResolversTypes['RateWindow']>, ParentType, ContextType>;
}>;

export type RateWindowResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['RateWindow'] = ResolversParentTypes['RateWindow']> = ResolversObject<{
  limit?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  remaining?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  windowSeconds?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
}>;

export type ReconciliationResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['Reconciliation'] = ResolversParentTypes['Reconciliation']> = ResolversObject<{
  lastRun?: Resolver<Maybe<ResolversTypes['ReconciliationRun']>, ParentType, ContextType>;
  nextRunAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  running?: Resolver<Maybe<ResolversTypes['ReconciliationRun']>, ParentType, ContextType>;
}>;

export type ReconciliationRunResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['ReconciliationRun'] = ResolversParentTypes['ReconciliationRun']> = ResolversObject<{
  customersChecked?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  errors?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  finishedAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  issuesClosed?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  issuesRaised?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  lastError?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  startedAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  state?: Resolver<ResolversTypes['ReconciliationState'], ParentType, ContextType>;
}>;

export type RefundResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['Refund'] = ResolversParentTypes['Refund']> = ResolversObject<{
  amount?: Resolver<ResolversTypes['Money'], ParentType, ContextType>;
  createdAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  status?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
}>;

export type ServiceResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['Service'] = ResolversParentTypes['Service']> = ResolversObject<{
  bufferAfterMinutes?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  bufferBeforeMinutes?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  code?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  deposit?: Resolver<Maybe<ResolversTypes['Money']>, ParentType, ContextType>;
  durationMinutes?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  price?: Resolver<ResolversTypes['Money'], ParentType, ContextType>;
}>;

export type SlotResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['Slot'] = ResolversParentTypes['Slot']> = ResolversObject<{
  end?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  start?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
}>;

export type SourceResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['Source'] = ResolversParentTypes['Source']> = ResolversObject<{
  baseUrl?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  breaker?: Resolver<Maybe<ResolversTypes['CircuitBreaker']>, ParentType, ContextType>;
  budget?: Resolver<Maybe<ResolversTypes['RateBudget']>, ParentType, ContextType>;
  connection?: Resolver<Maybe<ResolversTypes['SourceConnection']>, ParentType, ContextType>;
  consecutiveFailures?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  healthy?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  lastCallAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  lastError?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  lastErrorAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  lastSuccessAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  recentCalls?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  recentErrorRate?: Resolver<ResolversTypes['Float'], ParentType, ContextType>;
  state?: Resolver<ResolversTypes['SourceState'], ParentType, ContextType>;
  system?: Resolver<ResolversTypes['SourceSystem'], ParentType, ContextType>;
  token?: Resolver<Maybe<ResolversTypes['SourceToken']>, ParentType, ContextType>;
}>;

export type SourceConnectionResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['SourceConnection'] = ResolversParentTypes['SourceConnection']> = ResolversObject<{
  account?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  canConnect?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  connectWith?: Resolver<Maybe<ResolversTypes['ConnectionWay']>, ParentType, ContextType>;
  connectedAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  method?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
}>;

export type SourceHistoryResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['SourceHistory'] = ResolversParentTypes['SourceHistory']> = ResolversObject<{
  minutes?: Resolver<Array<ResolversTypes['SourceMinute']>, ParentType, ContextType>;
  system?: Resolver<ResolversTypes['SourceSystem'], ParentType, ContextType>;
}>;

export type SourceLinkResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['SourceLink'] = ResolversParentTypes['SourceLink']> = ResolversObject<{
  externalId?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  system?: Resolver<ResolversTypes['SourceSystem'], ParentType, ContextType>;
  url?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
}>;

export type SourceMinuteResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['SourceMinute'] = ResolversParentTypes['SourceMinute']> = ResolversObject<{
  at?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  calls?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  errors?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  latencyP50Ms?: Resolver<Maybe<ResolversTypes['Float']>, ParentType, ContextType>;
  latencyP95Ms?: Resolver<Maybe<ResolversTypes['Float']>, ParentType, ContextType>;
  webhookLagP95Ms?: Resolver<Maybe<ResolversTypes['Float']>, ParentType, ContextType>;
  webhooks?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
}>;

export type SourceTokenResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['SourceToken'] = ResolversParentTypes['SourceToken']> = ResolversObject<{
  expiresAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  lastError?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  lastErrorAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  lastRefreshAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  state?: Resolver<ResolversTypes['TokenState'], ParentType, ContextType>;
}>;

export type SubscriptionResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['Subscription'] = ResolversParentTypes['Subscription']> = ResolversObject<{
  bookingChanged?: SubscriptionResolver<ResolversTypes['Booking'], "bookingChanged", ParentType, ContextType, Partial<SubscriptionBookingChangedArgs>>;
  customerChanged?: SubscriptionResolver<ResolversTypes['Customer'], "customerChanged", ParentType, ContextType, RequireFields<SubscriptionCustomerChangedArgs, 'id'>>;
  events?: SubscriptionResolver<ResolversTypes['Event'], "events", ParentType, ContextType, Partial<SubscriptionEventsArgs>>;
  invoiceChanged?: SubscriptionResolver<ResolversTypes['Invoice'], "invoiceChanged", ParentType, ContextType, Partial<SubscriptionInvoiceChangedArgs>>;
  operationUpdated?: SubscriptionResolver<ResolversTypes['Operation'], "operationUpdated", ParentType, ContextType, RequireFields<SubscriptionOperationUpdatedArgs, 'id'>>;
  orderChanged?: SubscriptionResolver<ResolversTypes['Order'], "orderChanged", ParentType, ContextType, Partial<SubscriptionOrderChangedArgs>>;
  paymentReceived?: SubscriptionResolver<ResolversTypes['Order'], "paymentReceived", ParentType, ContextType, Partial<SubscriptionPaymentReceivedArgs>>;
  syncIssueRaised?: SubscriptionResolver<ResolversTypes['SyncIssue'], "syncIssueRaised", ParentType, ContextType>;
}>;

export type SyncIssueResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['SyncIssue'] = ResolversParentTypes['SyncIssue']> = ResolversObject<{
  customer?: Resolver<Maybe<ResolversTypes['Customer']>, ParentType, ContextType>;
  detectedAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  field?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  kind?: Resolver<ResolversTypes['SyncIssueKind'], ParentType, ContextType>;
  message?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  resolution?: Resolver<Maybe<ResolversTypes['SyncIssueResolutionInfo']>, ParentType, ContextType>;
  resolvedAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  systems?: Resolver<Array<ResolversTypes['SourceSystem']>, ParentType, ContextType>;
  values?: Resolver<Array<ResolversTypes['SyncIssueValue']>, ParentType, ContextType>;
  __isTypeOf?: IsTypeOfResolverFn<ParentType, ContextType>;
}>;

export type SyncIssueConnectionResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['SyncIssueConnection'] = ResolversParentTypes['SyncIssueConnection']> = ResolversObject<{
  edges?: Resolver<Array<ResolversTypes['SyncIssueEdge']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
}>;

export type SyncIssueEdgeResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['SyncIssueEdge'] = ResolversParentTypes['SyncIssueEdge']> = ResolversObject<{
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['SyncIssue'], ParentType, ContextType>;
}>;

export type SyncIssueResolutionResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['SyncIssueResolution'] = ResolversParentTypes['SyncIssueResolution']> = ResolversObject<{
  operation?: Resolver<Maybe<ResolversTypes['Operation']>, ParentType, ContextType>;
  syncIssue?: Resolver<ResolversTypes['SyncIssue'], ParentType, ContextType>;
}>;

export type SyncIssueResolutionInfoResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['SyncIssueResolutionInfo'] = ResolversParentTypes['SyncIssueResolutionInfo']> = ResolversObject<{
  at?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  by?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  kind?: Resolver<ResolversTypes['SyncIssueResolutionKind'], ParentType, ContextType>;
  operationId?: Resolver<Maybe<ResolversTypes['ID']>, ParentType, ContextType>;
  reason?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  winner?: Resolver<Maybe<ResolversTypes['SourceSystem']>, ParentType, ContextType>;
}>;

export type SyncIssueValueResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['SyncIssueValue'] = ResolversParentTypes['SyncIssueValue']> = ResolversObject<{
  system?: Resolver<ResolversTypes['SourceSystem'], ParentType, ContextType>;
  value?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
}>;

export type WebhookDeliveryResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['WebhookDelivery'] = ResolversParentTypes['WebhookDelivery']> = ResolversObject<{
  attempts?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  createdAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  deliveredAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  endpoint?: Resolver<Maybe<ResolversTypes['WebhookEndpoint']>, ParentType, ContextType>;
  eventId?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  eventType?: Resolver<ResolversTypes['EventType'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  lastAttemptAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  lastError?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  lastStatus?: Resolver<Maybe<ResolversTypes['Int']>, ParentType, ContextType>;
  nextAttemptAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  occurredAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  payload?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  state?: Resolver<ResolversTypes['WebhookDeliveryState'], ParentType, ContextType>;
}>;

export type WebhookDeliveryConnectionResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['WebhookDeliveryConnection'] = ResolversParentTypes['WebhookDeliveryConnection']> = ResolversObject<{
  edges?: Resolver<Array<ResolversTypes['WebhookDeliveryEdge']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
}>;

export type WebhookDeliveryEdgeResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['WebhookDeliveryEdge'] = ResolversParentTypes['WebhookDeliveryEdge']> = ResolversObject<{
  cursor?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  node?: Resolver<ResolversTypes['WebhookDelivery'], ParentType, ContextType>;
}>;

export type WebhookEndpointResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['WebhookEndpoint'] = ResolversParentTypes['WebhookEndpoint']> = ResolversObject<{
  createdAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  description?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  enabled?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  events?: Resolver<Array<ResolversTypes['EventType']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  previousSecretExpiresAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  updatedAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  url?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
}>;

export type WorkspaceResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['Workspace'] = ResolversParentTypes['Workspace']> = ResolversObject<{
  createdAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  currency?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  current?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  origin?: Resolver<ResolversTypes['WorkspaceOrigin'], ParentType, ContextType>;
  systems?: Resolver<Array<ResolversTypes['WorkspaceSystem']>, ParentType, ContextType>;
}>;

export type WorkspaceSystemResolvers<ContextType = GraphContext, ParentType extends ResolversParentTypes['WorkspaceSystem'] = ResolversParentTypes['WorkspaceSystem']> = ResolversObject<{
  account?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  connected?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  role?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  system?: Resolver<ResolversTypes['SourceSystem'], ParentType, ContextType>;
}>;

export type Resolvers<ContextType = GraphContext> = ResolversObject<{
  ApiKey?: ApiKeyResolvers<ContextType>;
  ApiKeyConnection?: ApiKeyConnectionResolvers<ContextType>;
  ApiKeyEdge?: ApiKeyEdgeResolvers<ContextType>;
  AuditEntry?: AuditEntryResolvers<ContextType>;
  AuditEntryConnection?: AuditEntryConnectionResolvers<ContextType>;
  AuditEntryEdge?: AuditEntryEdgeResolvers<ContextType>;
  Booking?: BookingResolvers<ContextType>;
  BookingConnection?: BookingConnectionResolvers<ContextType>;
  BookingEdge?: BookingEdgeResolvers<ContextType>;
  BookingPayload?: BookingPayloadResolvers<ContextType>;
  CircuitBreaker?: CircuitBreakerResolvers<ContextType>;
  ConnectionStart?: ConnectionStartResolvers<ContextType>;
  CreatedApiKey?: CreatedApiKeyResolvers<ContextType>;
  CreatedWebhookEndpoint?: CreatedWebhookEndpointResolvers<ContextType>;
  CreatedWorkspace?: CreatedWorkspaceResolvers<ContextType>;
  Customer?: CustomerResolvers<ContextType>;
  CustomerConnection?: CustomerConnectionResolvers<ContextType>;
  CustomerEdge?: CustomerEdgeResolvers<ContextType>;
  CustomerPayload?: CustomerPayloadResolvers<ContextType>;
  DateTime?: GraphQLScalarType;
  DepositLink?: DepositLinkResolvers<ContextType>;
  EnquiryPayload?: EnquiryPayloadResolvers<ContextType>;
  Event?: EventResolvers<ContextType>;
  FailedDelivery?: FailedDeliveryResolvers<ContextType>;
  FailedDeliveryConnection?: FailedDeliveryConnectionResolvers<ContextType>;
  FailedDeliveryEdge?: FailedDeliveryEdgeResolvers<ContextType>;
  Invoice?: InvoiceResolvers<ContextType>;
  InvoiceConnection?: InvoiceConnectionResolvers<ContextType>;
  InvoiceEdge?: InvoiceEdgeResolvers<ContextType>;
  InvoiceLine?: InvoiceLineResolvers<ContextType>;
  InvoicePayload?: InvoicePayloadResolvers<ContextType>;
  InvoicePayment?: InvoicePaymentResolvers<ContextType>;
  JSON?: GraphQLScalarType;
  Money?: MoneyResolvers<ContextType>;
  Mutation?: MutationResolvers<ContextType>;
  Node?: NodeResolvers<ContextType>;
  Operation?: OperationResolvers<ContextType>;
  OperationConnection?: OperationConnectionResolvers<ContextType>;
  OperationEdge?: OperationEdgeResolvers<ContextType>;
  OperationStep?: OperationStepResolvers<ContextType>;
  Order?: OrderResolvers<ContextType>;
  OrderConnection?: OrderConnectionResolvers<ContextType>;
  OrderEdge?: OrderEdgeResolvers<ContextType>;
  OrderPayload?: OrderPayloadResolvers<ContextType>;
  PageInfo?: PageInfoResolvers<ContextType>;
  Query?: QueryResolvers<ContextType>;
  RateBudget?: RateBudgetResolvers<ContextType>;
  RateWindow?: RateWindowResolvers<ContextType>;
  Reconciliation?: ReconciliationResolvers<ContextType>;
  ReconciliationRun?: ReconciliationRunResolvers<ContextType>;
  Refund?: RefundResolvers<ContextType>;
  Service?: ServiceResolvers<ContextType>;
  Slot?: SlotResolvers<ContextType>;
  Source?: SourceResolvers<ContextType>;
  SourceConnection?: SourceConnectionResolvers<ContextType>;
  SourceHistory?: SourceHistoryResolvers<ContextType>;
  SourceLink?: SourceLinkResolvers<ContextType>;
  SourceMinute?: SourceMinuteResolvers<ContextType>;
  SourceToken?: SourceTokenResolvers<ContextType>;
  Subscription?: SubscriptionResolvers<ContextType>;
  SyncIssue?: SyncIssueResolvers<ContextType>;
  SyncIssueConnection?: SyncIssueConnectionResolvers<ContextType>;
  SyncIssueEdge?: SyncIssueEdgeResolvers<ContextType>;
  SyncIssueResolution?: SyncIssueResolutionResolvers<ContextType>;
  SyncIssueResolutionInfo?: SyncIssueResolutionInfoResolvers<ContextType>;
  SyncIssueValue?: SyncIssueValueResolvers<ContextType>;
  WebhookDelivery?: WebhookDeliveryResolvers<ContextType>;
  WebhookDeliveryConnection?: WebhookDeliveryConnectionResolvers<ContextType>;
  WebhookDeliveryEdge?: WebhookDeliveryEdgeResolvers<ContextType>;
  WebhookEndpoint?: WebhookEndpointResolvers<ContextType>;
  Workspace?: WorkspaceResolvers<ContextType>;
  WorkspaceSystem?: WorkspaceSystemResolvers<ContextType>;
}>;

export type DirectiveResolvers<ContextType = GraphContext> = ResolversObject<{
  publishable?: PublishableDirectiveResolver<any, any, ContextType>;
  requiresScopes?: RequiresScopesDirectiveResolver<any, any, ContextType>;
}>;
