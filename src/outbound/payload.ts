import type { DomainEvent } from '../events/types.ts';
import { toGlobalId } from '../graph/ids.ts';

/**
 * The JSON body of an outbound webhook, in the Standard Webhooks shape (`type`, `timestamp`,
 * `data`): the same event a subscriber of `events` gets, with the same global ids as the GraphQL
 * API, so a tool can query the hub for more. Cache invalidations and other internals stay out.
 */
export interface WebhookPayload {
  /** The EventType, e.g. `BOOKING_CHANGED`. */
  type: string;
  /** When it happened (ISO 8601). */
  timestamp: string;
  data: Record<string, unknown>;
}

const system = (source: string) => source.toUpperCase();

export function webhookPayload(event: DomainEvent): WebhookPayload {
  const data: Record<string, unknown> = {
    eventId: event.id,
    source: event.source ? system(event.source) : null,
    customerId: event.customerId ? toGlobalId('Customer', event.customerId) : null,
  };
  if (event.booking) {
    const { etag: _etag, ...booking } = event.booking;
    data.booking = {
      id: toGlobalId('Booking', `${booking.source}:${booking.externalId}`),
      ...booking,
      source: system(booking.source),
    };
  }
  if (event.order) {
    data.order = {
      id: toGlobalId('Order', `${event.order.source}:${event.order.externalId}`),
      ...event.order,
      source: system(event.order.source),
    };
  }
  if (event.invoice) {
    data.invoice = {
      id: toGlobalId('Invoice', `${event.invoice.source}:${event.invoice.externalId}`),
      ...event.invoice,
      source: system(event.invoice.source),
    };
  }
  if (event.person) data.person = { ...event.person, source: system(event.person.source) };
  if (event.change) data.change = event.change;
  if (event.syncIssueId) data.syncIssueId = toGlobalId('SyncIssue', event.syncIssueId);
  if (event.operationId) data.operationId = toGlobalId('Operation', event.operationId);
  return { type: event.type, timestamp: event.occurredAt.toISOString(), data };
}
