import type { CalendarEvent } from '../../src/domain/model.ts';
import { SourceError, type SourceErrorCode } from '../../src/domain/errors.ts';
import {
  CURSOR_EXPIRED,
  type CalendarChanges,
  type CalendarSource,
  type CallOptions,
} from '../../src/domain/ports.ts';
import { createUpstreamClient, type Connected, type QueryValue } from '../../src/upstream/client.ts';
import { createReader } from '../../src/upstream/validate.ts';
import type { Metrics } from '../../src/observability/metrics.ts';
import type { UpstreamPolicy } from '../../src/upstream/policy.ts';
import { toGoogleCalendarError } from './errors.ts';
import { createGoogleCalendarWrites } from './writes.ts';
import {
  EVENT_FIELDS,
  LIST_FIELDS,
  isDeletedStub,
  toBusyPeriods,
  toCalendarEvent,
  type GoogleCalendarEventList,
} from './mappers.ts';

interface CommonConfig {
  /** `https://www.googleapis.com` for the real Google; the sandbox's URL otherwise. */
  baseUrl: string;
  /** The bookings calendar, e.g. `bookings@harbourlane.example` or `primary`. */
  calendarId: string;
  /**
   * The calendar's time zone, for all-day events read one at a time (listings carry the zone
   * themselves). UTC when unknown.
   */
  timeZone?: string;
  /** Events per `events.list` page; Google's maximum (2500) unless a test wants to see paging. */
  pageSize?: number;
  timeoutMs?: number;
  metrics?: Metrics;
  /** Rate budget, circuit breaker and retries (src/upstream/policy.ts); none when absent. */
  policy?: UpstreamPolicy;
}

/**
 * A fixed OAuth access token, or a function asked before every request, which is where a refreshing
 * OAuth client plugs in.
 */
export type GoogleCalendarConfig = CommonConfig &
  (
    | { accessToken: string; getAccessToken?: undefined; onUnauthorized?: undefined }
    | {
        getAccessToken: () => string | Promise<string>;
        accessToken?: undefined;
        /** Google refused the token (401): the provider forgets it and fetches another. */
        onUnauthorized?: () => void;
      }
  );

export type { CalendarChanges };

/** What `watch` asks Google for: a push channel on the bookings calendar's events. */
export interface GoogleWatchRequest {
  /**
   * The channel id: unique per project, at most 64 characters of `[A-Za-z0-9-_+/=]`. Use a fresh
   * UUID per watch: inbox ids are `${channelId}:${messageNumber}`, and numbers restart on a new
   * channel, so a reused id would make the new channel's notifications look like duplicates.
   */
  channelId: string;
  /** The https URL Google POSTs notifications to (the hub's `/webhooks/google_calendar`). */
  address: string;
  /** Echoed in `X-Goog-Channel-Token` on every notification; the verifier checks it (≤ 256 chars). */
  token: string;
  /** Requested lifetime (`params.ttl`); Google's default is 604800 (a week), and it may cut it short. */
  ttlSeconds?: number;
}

/** The channel Google created: keep `resourceId` (needed to stop it) and renew before `expiration`. */
export interface GoogleWatchChannel {
  id: string;
  resourceId: string;
  expiration: Date;
}

export interface GoogleCalendarSource extends CalendarSource, Connected {
  /**
   * Incremental sync (the cursor is Google's sync token): everything changed since it, or a full
   * listing without one. A stale token (Google's 410 `fullSyncRequired`) rejects with a SourceError
   * `CONFLICT`, vendorCode `CURSOR_EXPIRED`, not retryable: the caller starts again without one.
   */
  changesSince(cursor?: string, options?: CallOptions): Promise<CalendarChanges>;
  /**
   * Opens a push channel on the calendar's events (events.watch). Google then POSTs a `sync`
   * notification, and an `exists` one after every change, until the channel expires: channels
   * cannot be renewed, so open a new one (new id) before `expiration` and stop the old one.
   */
  watch(request: GoogleWatchRequest, options?: CallOptions): Promise<GoogleWatchChannel>;
  /** Stops a channel (channels.stop); an unknown or already stopped channel is a `NOT_FOUND` SourceError. */
  stopChannel(channelId: string, resourceId: string, options?: CallOptions): Promise<void>;
}

const read = createReader('google_calendar');
/** "The page size can never be larger than 2500 events." */
const MAX_PAGE = 2500;
/** events.get has no batch form in REST v3 (besides multipart batch), so parallel gets, bounded. */
const GET_CONCURRENCY = 8;
/** Errors that will hit every other id too: stop sending and fail the whole call. */
const STOPS_BATCH: ReadonlySet<SourceErrorCode> = new Set(['UNAUTHENTICATED', 'FORBIDDEN', 'RATE_LIMITED']);

export function createGoogleCalendarSource(config: GoogleCalendarConfig): GoogleCalendarSource {
  const token = config.getAccessToken ?? (() => config.accessToken);
  const client = createUpstreamClient({
    source: 'google_calendar',
    baseUrl: config.baseUrl,
    headers: async () => ({ authorization: `Bearer ${await token()}` }),
    toError: (response, operation) => {
      const error = toGoogleCalendarError(response, operation);
      if (error.code === 'UNAUTHENTICATED') config.onUnauthorized?.();
      return error;
    },
    timeoutMs: config.timeoutMs,
    metrics: config.metrics,
    policy: config.policy,
  });
  const eventsPath = `/calendar/v3/calendars/${encodeURIComponent(config.calendarId)}/events`;
  const pageSize = Math.min(Math.max(1, config.pageSize ?? MAX_PAGE), MAX_PAGE);

  /** Every page of one listing; pages follow each other because each needs the previous token. */
  const listAll = async (
    query: Record<string, QueryValue>,
    signal: AbortSignal | undefined,
  ): Promise<{ events: CalendarEvent[]; deletedIds: string[]; nextSyncToken?: string }> => {
    const events: CalendarEvent[] = [];
    const deletedIds: string[] = [];
    let pageToken: string | undefined;
    for (;;) {
      // https://developers.google.com/calendar/api/v3/reference/events/list
      const res = await client.request<GoogleCalendarEventList>({
        operation: 'events.list',
        method: 'GET',
        path: eventsPath,
        query: {
          ...query,
          singleEvents: true,
          showDeleted: true,
          maxResults: pageSize,
          fields: LIST_FIELDS,
          pageToken,
        },
        signal,
      });
      const page = read.object(res.body, 'event list');
      const zone = read.optionalString(page, 'timeZone') ?? config.timeZone;
      for (const raw of read.array(page.items ?? [], 'event list items')) {
        if (isDeletedStub(raw)) deletedIds.push(read.string(read.object(raw, 'event'), 'id', 'event'));
        else events.push(toCalendarEvent(raw, zone));
      }
      pageToken = read.optionalString(page, 'nextPageToken') ?? undefined;
      if (!pageToken) {
        return { events, deletedIds, nextSyncToken: read.optionalString(page, 'nextSyncToken') ?? undefined };
      }
    }
  };

  const getOne = async (
    id: string,
    signal: AbortSignal | undefined,
  ): Promise<CalendarEvent | SourceError> => {
    try {
      // https://developers.google.com/calendar/api/v3/reference/events/get
      const res = await client.request({
        operation: 'events.get',
        method: 'GET',
        path: `${eventsPath}/${encodeURIComponent(id)}`,
        query: { fields: EVENT_FIELDS },
        signal,
      });
      if (isDeletedStub(res.body)) return notFound(id, 410);
      return toCalendarEvent(res.body, config.timeZone);
    } catch (error) {
      if (!(error instanceof SourceError)) throw error;
      // 404: never existed; 410: deleted and purged.
      if (error.code === 'NOT_FOUND') return notFound(id, error.status, error);
      return error;
    }
  };

  return {
    name: 'google_calendar',
    client,
    // Google's event links carry the calendar id as well (`htmlLink`), so the mappers take them from
    // the event rather than building them from an id.
    recordUrl: () => null,
    async listEvents(window, options: CallOptions = {}) {
      const { events } = await listAll(
        { timeMin: window.from.toISOString(), timeMax: window.to.toISOString() },
        options.signal,
      );
      return events;
    },
    async getEvents(ids, options: CallOptions = {}) {
      const unique = [...new Set(ids)];
      const found = new Map<string, CalendarEvent | SourceError>();
      let fatal: SourceError | undefined;
      let next = 0;
      const worker = async () => {
        while (next < unique.length && !fatal) {
          const id = unique[next++] as string;
          const result = await getOne(id, options.signal);
          if (result instanceof SourceError && (STOPS_BATCH.has(result.code) || options.signal?.aborted)) {
            fatal ??= result;
          }
          found.set(id, result);
        }
      };
      await Promise.all(Array.from({ length: Math.min(GET_CONCURRENCY, unique.length) }, worker));
      if (fatal) throw fatal;
      // A failure of every single request is a failure of the call, not of each id.
      const failures = unique
        .map((id) => found.get(id))
        .filter((r): r is SourceError => r instanceof SourceError && r.code !== 'NOT_FOUND');
      if (unique.length > 0 && failures.length === unique.length) throw failures[0];
      return ids.map((id) => found.get(id) ?? notFound(id, undefined));
    },
    async freeBusy(window, options: CallOptions = {}) {
      // https://developers.google.com/calendar/api/v3/reference/freebusy/query
      const res = await client.request({
        operation: 'freebusy.query',
        method: 'POST',
        path: '/calendar/v3/freeBusy',
        // A POST that only reads: safe to send twice.
        idempotent: true,
        body: {
          timeMin: window.from.toISOString(),
          timeMax: window.to.toISOString(),
          items: [{ id: config.calendarId }],
        },
        signal: options.signal,
      });
      return toBusyPeriods(res.body, config.calendarId);
    },
    async changesSince(syncToken, options: CallOptions = {}) {
      // https://developers.google.com/calendar/api/guides/sync
      const result = await listAll({ syncToken }, options.signal).catch((error: unknown) => {
        if (error instanceof SourceError && error.vendorCode === 'fullSyncRequired') {
          throw new SourceError(error.source, error.code, error.message, {
            status: error.status,
            vendorCode: CURSOR_EXPIRED,
            operation: error.operation,
            retryable: false,
            cause: error,
          });
        }
        throw error;
      });
      if (!result.nextSyncToken) {
        throw new SourceError(
          'google_calendar',
          'UPSTREAM_ERROR',
          'google_calendar sent an unexpected response: the last page of a listing has no nextSyncToken',
          { operation: 'events.list' },
        );
      }
      return { events: result.events, deletedIds: result.deletedIds, cursor: result.nextSyncToken };
    },
    async watch(request, options: CallOptions = {}) {
      // https://developers.google.com/calendar/api/v3/reference/events/watch
      const res = await client.request({
        operation: 'events.watch',
        method: 'POST',
        path: `${eventsPath}/watch`,
        body: {
          id: request.channelId,
          type: 'web_hook',
          address: request.address,
          token: request.token,
          // A lifetime rather than an `expiration` instant, so our clock's skew does not matter.
          ...(request.ttlSeconds !== undefined
            ? { params: { ttl: String(Math.max(1, Math.floor(request.ttlSeconds))) } }
            : {}),
        },
        signal: options.signal,
      });
      const channel = read.object(res.body, 'channel');
      return {
        id: read.string(channel, 'id', 'channel'),
        resourceId: read.string(channel, 'resourceId', 'channel'),
        // int64 as a string of epoch milliseconds.
        expiration: read.date(channel.expiration, 'channel.expiration'),
      };
    },
    async stopChannel(channelId, resourceId, options: CallOptions = {}) {
      // https://developers.google.com/calendar/api/v3/reference/channels/stop
      await client.request({
        operation: 'channels.stop',
        method: 'POST',
        path: '/calendar/v3/channels/stop',
        body: { id: channelId, resourceId },
        signal: options.signal,
      });
    },
    // Writes: the insert's idempotency key is the client-chosen event id (see writes.ts).
    ...createGoogleCalendarWrites({ client, eventsPath, timeZone: config.timeZone }),
    close: () => client.close(),
  };
}

function notFound(id: string, status: number | undefined, cause?: SourceError): SourceError {
  return new SourceError(
    'google_calendar',
    'NOT_FOUND',
    `google_calendar has no event ${id} (deleted or never existed)`,
    {
      status,
      vendorCode: cause?.vendorCode,
      operation: 'events.get',
      cause,
    },
  );
}
