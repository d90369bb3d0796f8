import type {
  AccountingInvoice,
  CalendarEvent,
  PaymentOrder,
  PersonRecord,
  SourceName,
} from '../domain/model.ts';
import type { CacheTarget } from '../cache/keys.ts';

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
  /** CUSTOMER_CHANGED: the person as the system that changed holds them now. */
  person?: PersonRecord;
  /** CUSTOMER_CHANGED: what the vendor said changed (`fields` in its own names), when it says. */
  change?: { created?: boolean; deleted?: boolean; fields?: string[] };
  /** The vendor event behind it (webhook or catch-up), for work keyed on it (the sync rules' idempotency keys). */
  cause?: { source: SourceName; eventId: string };
  syncIssueId?: string;
  operationId?: string;
  invalidate: CacheTarget[];
}

const EVENT_TYPES: ReadonlySet<string> = new Set<EventType>([
  'CUSTOMER_CHANGED',
  'BOOKING_CHANGED',
  'ORDER_CHANGED',
  'INVOICE_CHANGED',
  'PAYMENT_RECEIVED',
  'SYNC_ISSUE_RAISED',
  'OPERATION_UPDATED',
]);

/**
 * JSON with its dates kept as dates: each `Date` is written as `{"$date": "<ISO>"}` and read back as
 * a `Date`, wherever it sits, so a new date field needs no list of names to survive a trip through
 * Redis. (In a replacer `this[key]` is the value before `Date#toJSON` turned it into a string.)
 */
export function encodeWithDates(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key, replaced: unknown) {
    const raw = this[key];
    return raw instanceof Date ? { $date: raw.toISOString() } : replaced;
  });
}

export function decodeWithDates(text: string): unknown {
  return JSON.parse(text, (_key, value: unknown) => {
    if (value && typeof value === 'object' && !Array.isArray(value)) {
      const tagged = value as { $date?: unknown };
      if (typeof tagged.$date === 'string' && Object.keys(value).length === 1) return new Date(tagged.$date);
    }
    return value;
  });
}

export const encodeEvent = (event: DomainEvent): string => encodeWithDates(event);

/** A domain event from the bus; throws, saying what is wrong, for a message that is not one. */
export function decodeEvent(text: string): DomainEvent {
  const event = decodeWithDates(text) as Partial<DomainEvent> | null;
  const problems: string[] = [];
  if (!event || typeof event !== 'object') throw new Error('an event is a JSON object');
  if (typeof event.id !== 'string' || !event.id) problems.push('"id" must be a non-empty string');
  if (typeof event.type !== 'string' || !EVENT_TYPES.has(event.type)) {
    problems.push(`"type" must be one of ${[...EVENT_TYPES].join(', ')}, got ${JSON.stringify(event.type)}`);
  }
  if (typeof event.workspace !== 'string') problems.push('"workspace" must be a string');
  if (!(event.occurredAt instanceof Date) || Number.isNaN(event.occurredAt.getTime())) {
    problems.push('"occurredAt" must be a date ({"$date": "<ISO>"})');
  }
  if (!Array.isArray(event.invalidate)) problems.push('"invalidate" must be a list');
  if (problems.length > 0) throw new Error(`not a domain event: ${problems.join('; ')}`);
  return event as DomainEvent;
}
