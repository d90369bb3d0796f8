import type { AccountingInvoice, CalendarEvent, PaymentOrder, SourceName } from '../domain/model.ts';
import type { CacheTarget } from '../operations/engine.ts';

export type EventType =
  | 'CUSTOMER_CHANGED'
  | 'BOOKING_CHANGED'
  | 'ORDER_CHANGED'
  | 'INVOICE_CHANGED'
  | 'PAYMENT_RECEIVED'
  | 'SYNC_ISSUE_RAISED'
  | 'OPERATION_UPDATED';

/**
 * A domain event as it travels between replicas: what happened, the current state of the object
 * (fetched after the webhook, so never older than what the vendor holds), and the cache entries every
 * replica must drop before its subscribers read.
 */
export interface DomainEvent {
  /** Unique per event: `<source>:<vendor event id>:<n>` for webhook events. */
  id: string;
  type: EventType;
  workspace: string;
  occurredAt: Date;
  source: SourceName | null;
  customerId: string | null;
  booking?: CalendarEvent;
  order?: PaymentOrder;
  invoice?: AccountingInvoice;
  syncIssueId?: string;
  operationId?: string;
  invalidate: CacheTarget[];
}

/** Keys whose ISO strings are dates again after a trip through JSON (Redis). */
const DATE_KEYS = new Set([
  'occurredAt',
  'start',
  'end',
  'createdAt',
  'updatedAt',
  'issuedOn',
  'dueOn',
  'date',
]);

export const encodeEvent = (event: DomainEvent): string => JSON.stringify(event);

export function decodeEvent(text: string): DomainEvent {
  return JSON.parse(text, (key, value: unknown) =>
    DATE_KEYS.has(key) && typeof value === 'string' ? new Date(value) : value,
  ) as DomainEvent;
}
