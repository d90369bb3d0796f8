import type { SourceName } from '../domain/model.ts';
import type { Role } from '../domain/source-module.ts';

/**
 * What to drop from the shared record cache: everything of a source, one resource of it (a
 * listing), or one record. Writes, webhooks and sync name what they made stale this way, and every
 * replica drops it (the event bus carries it).
 */
export interface CacheTarget {
  source: SourceName;
  resource?: string;
  key?: string;
}

/** The roles that hold people: the CRM's contacts, the payment provider's customers, the books' contacts. */
export type PeopleRole = Exclude<Role, 'calendar'>;
export const PEOPLE_ROLES: readonly PeopleRole[] = ['crm', 'payments', 'accounting'];

/**
 * The resources the loaders cache, per role. Loaders cache under these and everything that makes a
 * read stale names it through `cacheKeys`, so a reader and an invalidator cannot disagree on a name.
 */
export const RESOURCES = {
  person: { crm: 'contact', payments: 'customer', accounting: 'contact' },
  /** Email → the role's people with it (lazy linking looks here). */
  peopleByEmail: { payments: 'customers-by-email', accounting: 'contacts-by-email' },
  order: 'order',
  ordersByCustomer: 'orders-by-customer',
  invoice: 'invoice',
  invoicesByContact: 'invoices-by-contact',
  event: 'event',
  /** A calendar window's events (key `fromISO|toISO`). */
  window: 'window',
  /** A calendar window's busy periods (free/busy; key `fromISO|toISO`, whole days in the business's zone). */
  busy: 'busy',
} as const;

/** Each role's system as a workspace binds it (`workspace.sources`). */
export type BoundSystems = { readonly [R in Role]: { readonly name: SourceName } };

/** The cache targets of a workspace's records, keyed by the system each role is bound to. */
export function cacheKeys(sources: BoundSystems) {
  const system = (role: Role) => sources[role].name;
  return {
    /** A person changed (or was created): the record and, for roles looked up by email, those listings. */
    personChanged(role: PeopleRole, id: string | undefined): CacheTarget[] {
      const byEmail = role === 'crm' ? undefined : RESOURCES.peopleByEmail[role];
      return [
        { source: system(role), resource: RESOURCES.person[role], key: id },
        ...(byEmail ? [{ source: system(role), resource: byEmail }] : []),
      ];
    },
    /** A payment changed: the order and its customer's list of orders. */
    orderChanged(customerId: string | null | undefined, orderId: unknown): CacheTarget[] {
      return [
        { source: system('payments'), resource: RESOURCES.ordersByCustomer, key: customerId ?? undefined },
        ...(typeof orderId === 'string' && orderId
          ? [{ source: system('payments'), resource: RESOURCES.order, key: orderId }]
          : []),
      ];
    },
    /** An invoice changed: the invoice and its contact's list of invoices. */
    invoiceChanged(contactId: string | null | undefined, invoiceId: unknown): CacheTarget[] {
      return [
        { source: system('accounting'), resource: RESOURCES.invoicesByContact, key: contactId ?? undefined },
        ...(typeof invoiceId === 'string' && invoiceId
          ? [{ source: system('accounting'), resource: RESOURCES.invoice, key: invoiceId }]
          : []),
      ];
    },
    /**
     * A booking changed: the event, every cached window and every cached free/busy window (it may
     * have moved into or out of one).
     */
    bookingChanged(eventId: string | undefined): CacheTarget[] {
      return [
        { source: system('calendar'), resource: RESOURCES.window },
        { source: system('calendar'), resource: RESOURCES.busy },
        ...(eventId ? [{ source: system('calendar'), resource: RESOURCES.event, key: eventId }] : []),
      ];
    },
    /** Everything cached of the calendar (after a full resync, which says nothing about what changed). */
    wholeCalendar(): CacheTarget[] {
      return [{ source: system('calendar') }];
    },
  };
}

export type CacheKeys = ReturnType<typeof cacheKeys>;
