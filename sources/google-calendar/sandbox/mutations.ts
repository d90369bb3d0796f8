import type { CalendarStore, EventTime, StoredEvent } from './state.ts';
import {
  currentFields,
  EVENT_ID,
  mergePatch,
  nextSequence,
  validateEvent,
  writableFields,
} from './events.ts';
import { errors, fail } from './wire.ts';
import { formatInZone } from './time.ts';

/**
 * Every write to the calendar, shared by the API routes and the admin actions, so both bump etag,
 * `updated`, `sequence` and the change log the same way (and so both notify push channels).
 */

type Json = Record<string, unknown>;

export function insertEvent(store: CalendarStore, body: Json): StoredEvent {
  const clientId = body.id;
  if (clientId !== undefined && clientId !== null) {
    if (typeof clientId !== 'string' || !EVENT_ID.test(clientId))
      fail(errors.invalid('Invalid resource id value.'));
    // Ids of deleted events stay taken: that is what makes client-chosen ids safe to retry.
    if (store.events.has(clientId)) fail(errors.duplicate());
  }
  const iCalUID = body.iCalUID;
  if (iCalUID !== undefined && iCalUID !== null) {
    if (typeof iCalUID !== 'string' || iCalUID === '') fail(errors.invalid('Invalid iCalUID value.'));
    for (const e of store.events.values()) if (e.iCalUID === iCalUID) fail(errors.duplicate());
  }
  const valid = validateEvent(writableFields(body), store.timeZone);
  let id = typeof clientId === 'string' ? clientId : store.newEventId();
  while (typeof clientId !== 'string' && store.events.has(id)) id = store.newEventId();
  return store.commit({
    id,
    iCalUID: typeof iCalUID === 'string' ? iCalUID : `${id}@google.com`,
    created: store.now(),
    sequence: valid.sequence ?? 0,
    data: valid.data,
    startMs: valid.startMs,
    endMs: valid.endMs,
  });
}

/** PUT replaces every writable field; PATCH merges the body onto the current ones. */
export function changeEvent(store: CalendarStore, event: StoredEvent, body: Json, mode: 'update' | 'patch') {
  const fields =
    mode === 'patch' ? mergePatch(currentFields(event), writableFields(body)) : writableFields(body);
  const valid = validateEvent(fields, store.timeZone);
  return store.commit({
    id: event.id,
    iCalUID: event.iCalUID,
    created: event.created,
    sequence: nextSequence(event, valid),
    data: valid.data,
    startMs: valid.startMs,
    endMs: valid.endMs,
  });
}

/** Deleting keeps the event as `cancelled`, so incremental sync can report it and its id stays taken. */
export function cancelEvent(store: CalendarStore, event: StoredEvent): StoredEvent {
  if (event.data.status === 'cancelled') fail(errors.deleted());
  return store.commit({
    ...event,
    sequence: event.sequence + 1,
    data: { ...event.data, status: 'cancelled' },
  });
}

/** Moves a timed event, keeping its own time zone; the sandbox's "the customer rebooked" action. */
export function moveEvent(store: CalendarStore, event: StoredEvent, startMs: number, endMs: number) {
  if (endMs < startMs) fail(errors.timeRangeEmpty());
  const timed = (t: EventTime, ms: number): EventTime => ({
    dateTime: formatInZone(ms, t.timeZone ?? store.timeZone),
    ...(t.timeZone ? { timeZone: t.timeZone } : {}),
  });
  const data = { ...event.data, start: timed(event.data.start, startMs), end: timed(event.data.end, endMs) };
  return store.commit({ ...event, sequence: event.sequence + 1, data, startMs, endMs });
}
