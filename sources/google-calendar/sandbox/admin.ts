import {
  ResponseError,
  type Route,
  type SandboxRequest,
  type SandboxResponse,
} from '../../../src/sandbox/kit/http.ts';
import type { CalendarStore, StoredEvent } from './state.ts';
import type { PushChannels } from './push.ts';
import { channelToWire } from './push.ts';
import { eventToWire } from './events.ts';
import { cancelEvent, insertEvent, moveEvent } from './mutations.ts';
import { parseInstant } from './time.ts';

/**
 * Sandbox-only actions: changes "made in Google Calendar by someone else" (the customer rebooks or
 * cancels, staff add a booking), each notifying the push channels like any API write.
 * Plain JSON in and out; errors are `{ "error": "..." }`.
 */

type Json = Record<string, unknown>;

const plainError = (status: number, error: string): SandboxResponse => ({ status, body: { error } });

/** Runs an action, turning the Google envelopes the shared mutations throw into plain admin errors. */
function plain(run: () => SandboxResponse): SandboxResponse {
  try {
    return run();
  } catch (error) {
    if (!(error instanceof ResponseError)) throw error;
    const body = error.response.body as { error?: { message?: string; errors?: Array<{ reason?: string }> } };
    const reason = body.error?.errors?.[0]?.reason;
    return plainError(
      error.response.status,
      `${body.error?.message ?? 'request failed'}${reason ? ` (${reason})` : ''}`,
    );
  }
}

function objectBody(req: SandboxRequest): Json {
  const body = req.json();
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new ResponseError(plainError(400, 'body must be a JSON object'));
  return body as Json;
}

export function adminRoutes(store: CalendarStore, push: PushChannels): Route[] {
  const eventFrom = (body: Json): StoredEvent => {
    if (typeof body.eventId !== 'string' || body.eventId === '')
      throw new ResponseError(plainError(400, '"eventId" is required (a Google event id)'));
    const event = store.events.get(body.eventId);
    if (!event) throw new ResponseError(plainError(404, `no event "${body.eventId}"`));
    return event;
  };
  const instant = (body: Json, key: string): number => {
    const value = body[key];
    const ms = typeof value === 'string' ? parseInstant(value) : undefined;
    if (ms === undefined)
      throw new ResponseError(
        plainError(400, `"${key}" must be an RFC 3339 timestamp with an offset, e.g. 2026-11-24T10:00:00Z`),
      );
    return ms;
  };
  const ok = (event: StoredEvent): SandboxResponse => ({
    status: 200,
    body: { event: eventToWire(store, event) },
  });

  return [
    {
      method: 'POST',
      path: '/__sandbox/actions/move-booking',
      operation: 'admin.actions.moveBooking',
      handler: (req) => {
        const body = objectBody(req);
        const event = eventFrom(body);
        const start = instant(body, 'start');
        const end = instant(body, 'end');
        return plain(() => ok(moveEvent(store, event, start, end)));
      },
    },
    {
      method: 'POST',
      path: '/__sandbox/actions/cancel-booking',
      operation: 'admin.actions.cancelBooking',
      handler: (req) => {
        const event = eventFrom(objectBody(req));
        return plain(() => ok(cancelEvent(store, event)));
      },
    },
    {
      method: 'POST',
      path: '/__sandbox/actions/create-booking',
      operation: 'admin.actions.createBooking',
      handler: (req) => {
        const body = objectBody(req);
        return plain(() => ok(insertEvent(store, body)));
      },
    },
    {
      method: 'POST',
      path: '/__sandbox/expire-sync-tokens',
      operation: 'admin.expireSyncTokens',
      handler: () => {
        store.expireSyncTokens();
        return { status: 200, body: { expired: true, syncEpoch: store.syncEpoch } };
      },
    },
    {
      method: 'GET',
      path: '/__sandbox/channels',
      operation: 'admin.channels.list',
      handler: () => ({
        status: 200,
        body: {
          channels: push.list().map((c) => ({
            ...channelToWire(c),
            address: c.address,
            messageNumber: c.messageNumber,
          })),
        },
      }),
    },
  ];
}
