/**
 * The unified domain model: what every connector maps its vendor's shapes to, and what the
 * GraphQL resolvers read. Vendor shapes never leave `sources/<vendor>/`.
 */

/**
 * A system: the id of the source module that holds a record (`sources/registry.ts`), as in link
 * rows, metrics labels and `SourceLink.system` (upper-cased). The core never compares it with a
 * vendor's name; which system plays a role is the workspace's binding.
 */
export type SourceName = string;

/** Integer minor units plus an ISO 4217 code in upper case; never a float. */
export interface Money {
  amount: number;
  currency: string;
}

/** The record in one vendor's system, with a link to it in the vendor's own UI when known. */
export interface SourceLink {
  system: SourceName;
  externalId: string;
  url: string | null;
}

/** A person as one system holds them (CRM contact, payment customer, accounting contact). */
export interface PersonRecord {
  source: SourceName;
  externalId: string;
  /** As stored by the vendor, not normalised. */
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  /** Full display name as the vendor holds it. */
  name: string | null;
  phone: string | null;
  company: string | null;
  createdAt: Date | null;
  updatedAt: Date | null;
  url: string | null;
}

/**
 * How far along the CRM's pipeline a person is, in the hub's words; each CRM adapter maps them to
 * its own stages (HubSpot lifecycle stages `lead`, `opportunity`, `customer`). Stages only move on:
 * setting an earlier stage than the contact's own leaves it where it is.
 */
export type CrmStage = 'LEAD' | 'OPPORTUNITY' | 'CUSTOMER';

export interface CrmContact extends PersonRecord {
  /** The CRM's own stage word (HubSpot `lead`, `customer`), shown as it is. */
  lifecycleStage: string | null;
  /**
   * Not a buyer yet (a lead or prospect, by the CRM's own stages): such a contact is expected to be
   * in the CRM only, so its absence elsewhere is no disagreement.
   */
  preSale: boolean;
}

export type BookingStatus = 'CONFIRMED' | 'TENTATIVE' | 'CANCELLED';

export interface CalendarEvent {
  source: SourceName;
  externalId: string;
  status: BookingStatus;
  title: string;
  start: Date;
  end: Date;
  location: string | null;
  /** Attendee emails as the calendar holds them. */
  attendeeEmails: string[];
  /** Service code when the event carries one (extended property). */
  serviceCode: string | null;
  createdAt: Date | null;
  updatedAt: Date;
  etag: string | null;
  url: string | null;
}

export type OrderStatus =
  | 'REQUIRES_PAYMENT_METHOD'
  | 'REQUIRES_CONFIRMATION'
  | 'REQUIRES_ACTION'
  | 'PROCESSING'
  | 'REQUIRES_CAPTURE'
  | 'SUCCEEDED'
  | 'CANCELED';

export interface Refund {
  externalId: string;
  amount: Money;
  status: string;
  createdAt: Date;
}

export interface PaymentOrder {
  source: SourceName;
  externalId: string;
  customerExternalId: string | null;
  description: string | null;
  amount: Money;
  /** Amount received (captured), minor units. */
  amountReceived: Money;
  amountRefunded: Money;
  status: OrderStatus;
  refunds: Refund[];
  /** The invoice this payment settles, as the payment provider stores the hub's reference. */
  invoiceRef: InvoiceRef | null;
  /** The invoice number the payment names, for people (also on payments the hub did not make). */
  invoiceNumber: string | null;
  metadata: Record<string, string>;
  createdAt: Date;
  url: string | null;
}

/**
 * Where a payment link stands: `OPEN` until paid or expired; `PAID` once the payment went through;
 * `EXPIRED` when it ran out (or was ended early) unpaid: a customer who left the page without paying
 * is an open link until it expires.
 */
export type PaymentLinkStatus = 'OPEN' | 'PAID' | 'EXPIRED';

/**
 * A hosted page where a customer pays one amount (Stripe: a Checkout Session in `payment` mode).
 * Payments adapters map their own states to `status`.
 */
export interface PaymentLink {
  source: SourceName;
  /** The vendor's id of the link (Stripe `cs_…`). */
  externalId: string;
  /** The page the customer pays on. */
  url: string;
  status: PaymentLinkStatus;
  amount: Money;
  /** The payment made through it (Stripe: the payment intent), once there is one. */
  orderExternalId: string | null;
  /** The payment customer it was made for, when one was given. */
  customerExternalId: string | null;
  /** The hub's own keys, stored on the link as given. */
  metadata: Record<string, string>;
  expiresAt: Date;
  createdAt: Date;
}

/**
 * A reference from a record of one system to an invoice in the accounting system: which system
 * (module id) and which invoice, with its number for people. Each payments adapter stores it its
 * own way (Stripe: payment intent metadata).
 */
export interface InvoiceRef {
  system: SourceName;
  id: string;
  number: string | null;
}

export type InvoiceStatus = 'DRAFT' | 'SUBMITTED' | 'AUTHORISED' | 'PAID' | 'VOIDED' | 'DELETED';

export interface InvoiceLine {
  description: string;
  quantity: number;
  unitAmount: Money;
  lineAmount: Money;
}

export interface InvoicePayment {
  externalId: string;
  amount: Money;
  date: Date;
}

export interface AccountingInvoice {
  source: SourceName;
  externalId: string;
  number: string | null;
  contactExternalId: string | null;
  status: InvoiceStatus;
  reference: string | null;
  issuedOn: Date | null;
  dueOn: Date | null;
  lines: InvoiceLine[];
  subTotal: Money;
  totalTax: Money;
  total: Money;
  amountDue: Money;
  amountPaid: Money;
  payments: InvoicePayment[];
  updatedAt: Date | null;
  url: string | null;
}

/** Lower-cased and trimmed: how the hub matches people across systems. */
export function normaliseEmail(email: string | null | undefined): string | null {
  const trimmed = email?.trim().toLowerCase();
  return trimmed ? trimmed : null;
}

/** Digits only, with a UK leading 0 turned into +44, so '+44 7700 900123' equals '07700900123'. */
export function normalisePhone(phone: string | null | undefined): string | null {
  if (!phone) return null;
  let digits = phone.replace(/[^\d+]/g, '');
  if (digits.startsWith('00')) digits = `+${digits.slice(2)}`;
  if (digits.startsWith('0')) digits = `+44${digits.slice(1)}`;
  if (!digits.startsWith('+')) digits = `+${digits}`;
  return digits.length > 4 ? digits : null;
}
