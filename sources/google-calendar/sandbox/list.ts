import type { CalendarStore, StoredEvent } from './state.ts';
import { errors, fail } from './wire.ts';
import { isTimeZone, parseInstant } from './time.ts';

/**
 * events.list: filters, ordering, page tokens and sync tokens.
 * https://developers.google.com/calendar/api/v3/reference/events/list
 * https://developers.google.com/calendar/api/guides/sync
 */

export interface ListQuery {
  maxResults: number;
  pageToken?: string;
  syncToken?: string;
  timeMin?: number;
  timeMax?: number;
  updatedMin?: number;
  singleEvents: boolean;
  orderBy?: 'startTime' | 'updated';
  showDeleted?: boolean;
  q?: string;
  iCalUID?: string;
  privateProps: Array<[string, string]>;
  sharedProps: Array<[string, string]>;
  eventTypes: string[];
  timeZone?: string;
}

/** Parameters that do not change which events a listing holds, so they may differ between pages. */
const NOT_PART_OF_QUERY = new Set([
  'pageToken',
  'syncToken',
  'maxResults',
  'alt',
  'prettyPrint',
  'fields',
  'key',
  'quotaUser',
  'access_token',
  'oauth_token',
  'userIp',
  '$.xgafv',
  'maxAttendees',
  'alwaysIncludeEmail',
  'timeZone',
]);

/** Filters that make a listing a partial view, so Google refuses them with a sync token. */
const NOT_WITH_SYNC_TOKEN = [
  'iCalUID',
  'orderBy',
  'privateExtendedProperty',
  'q',
  'sharedExtendedProperty',
  'timeMin',
  'timeMax',
  'updatedMin',
];

function booleanParam(query: URLSearchParams, name: string): boolean | undefined {
  const v = query.get(name);
  if (v === null) return undefined;
  if (v === 'true') return true;
  if (v === 'false') return false;
  return fail(
    errors.invalidParameter(
      name,
      `Invalid value '${v}'. Values must match the following regular expression: '(?i)(true|false)'`,
    ),
  );
}

/** `timeMin=2026-11-23T10:00:00` (no offset) is the classic mistake; Google answers a bare "Bad Request". */
function instantParam(query: URLSearchParams, name: string): number | undefined {
  const v = query.get(name);
  if (v === null) return undefined;
  const ms = parseInstant(v);
  if (ms === undefined) fail(errors.badRequest());
  return Math.floor(ms / 1000) * 1000; // "milliseconds may be provided but are ignored"
}

function properties(query: URLSearchParams, name: string): Array<[string, string]> {
  return query.getAll(name).map((raw) => {
    const at = raw.indexOf('=');
    if (at <= 0) fail(errors.invalidParameter(name, `Invalid extended property constraint: '${raw}'.`));
    return [raw.slice(0, at), raw.slice(at + 1)];
  });
}

export function parseListQuery(query: URLSearchParams): ListQuery {
  const maxRaw = query.get('maxResults');
  let maxResults = 250;
  if (maxRaw !== null) {
    const n = Number(maxRaw);
    if (!/^-?\d+$/.test(maxRaw) || n < 1)
      fail(
        errors.invalidParameter(
          'maxResults',
          `Invalid value '${maxRaw}'. Values must be within the range: [1, 2500]`,
        ),
      );
    maxResults = Math.min(n, 2500); // "the page size can never be larger than 2500 events"
  }
  const orderByRaw = query.get('orderBy');
  if (orderByRaw !== null && orderByRaw !== 'startTime' && orderByRaw !== 'updated') {
    fail(errors.invalidParameter('orderBy', `Invalid value '${orderByRaw}'.`));
  }
  const timeZone = query.get('timeZone') ?? undefined;
  if (timeZone !== undefined && !isTimeZone(timeZone))
    fail(errors.invalidParameter('timeZone', `Invalid time zone: '${timeZone}'.`));

  const parsed: ListQuery = {
    maxResults,
    pageToken: query.get('pageToken') ?? undefined,
    syncToken: query.get('syncToken') ?? undefined,
    timeMin: instantParam(query, 'timeMin'),
    timeMax: instantParam(query, 'timeMax'),
    updatedMin: instantParam(query, 'updatedMin'),
    singleEvents: booleanParam(query, 'singleEvents') ?? false,
    orderBy: (orderByRaw ?? undefined) as ListQuery['orderBy'],
    showDeleted: booleanParam(query, 'showDeleted'),
    q: query.get('q') ?? undefined,
    iCalUID: query.get('iCalUID') ?? undefined,
    privateProps: properties(query, 'privateExtendedProperty'),
    sharedProps: properties(query, 'sharedExtendedProperty'),
    eventTypes: query.getAll('eventTypes'),
    timeZone,
  };
  if (parsed.timeMin !== undefined && parsed.timeMax !== undefined && parsed.timeMax <= parsed.timeMin) {
    fail(errors.timeRangeEmpty('timeMax'));
  }
  if (parsed.orderBy === 'startTime' && !parsed.singleEvents) {
    fail(errors.badRequest('The requested ordering is not available for the particular query.'));
  }
  if (parsed.syncToken !== undefined) {
    const clash = NOT_WITH_SYNC_TOKEN.find((name) => query.has(name));
    if (clash) fail(errors.invalidParameter(clash, `The parameter ${clash} cannot be used with syncToken.`));
    if (parsed.showDeleted === false)
      fail(errors.invalidParameter('showDeleted', 'showDeleted cannot be false with syncToken.'));
  }
  return parsed;
}

/** FNV-1a over the parameters that shape the listing, so a page token only works for its own query. */
export function queryFingerprint(query: URLSearchParams): string {
  const pairs = [...query.entries()]
    .filter(([k]) => !NOT_PART_OF_QUERY.has(k))
    .map(([k, v]) => `${k}=${v}`)
    .sort();
  let h = 2166136261;
  for (const ch of pairs.join('&')) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 16777619);
  }
  return (h >>> 0).toString(36);
}

// Sync tokens name the change-log position the client has seen and the epoch they were issued in;
// expiring tokens bumps the epoch.
export const encodeSyncToken = (epoch: number, version: number) =>
  Buffer.from(`sbx-sync:${epoch}:${version}`).toString('base64url');

export function decodeSyncToken(store: CalendarStore, token: string): number {
  const text = /^[A-Za-z0-9_-]+$/.test(token) ? Buffer.from(token, 'base64url').toString('utf8') : '';
  const m = /^sbx-sync:(\d+):(\d+)$/.exec(text);
  if (!m || Number(m[1]) !== store.syncEpoch || Number(m[2]) > store.version) fail(errors.fullSyncRequired());
  return Number(m[2]);
}

/**
 * Pages continue after the sort key of the last item sent (keyset paging), so an event that changes
 * while a client pages can move but never makes another event fall through a gap; whatever changed
 * after the listing started is in the next incremental sync anyway.
 */
type SortKey = [number, string];

interface PageState {
  /** Sort key of the last item sent. */
  a: SortKey;
  /** Fingerprint of the query. */
  h: string;
  /** Change-log position when the listing started: the `nextSyncToken` of its last page. */
  s: number;
  /** Incremental listings: the position the sync token named. */
  since?: number;
  e: number;
}

const encodePageToken = (state: PageState) => Buffer.from(JSON.stringify(state)).toString('base64url');

function decodePageToken(token: string, fingerprint: string): PageState {
  try {
    const state = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as PageState;
    const [n, id] = Array.isArray(state.a) ? state.a : [];
    if (
      typeof n === 'number' &&
      typeof id === 'string' &&
      state.h === fingerprint &&
      Number.isInteger(state.s) &&
      Number.isInteger(state.e)
    ) {
      return state;
    }
  } catch {
    // fall through
  }
  return fail(errors.invalidParameter('pageToken', 'Invalid page token value.'));
}

const compareKeys = (a: SortKey, b: SortKey) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0);

function matchesText(event: StoredEvent, store: CalendarStore, q: string): boolean {
  const d = event.data;
  const haystack = [
    d.summary,
    d.description,
    d.location,
    store.calendarId,
    store.summary,
    ...(d.attendees ?? []).flatMap((a) => [a.email, a.displayName]),
  ]
    .filter(Boolean)
    .join('\n')
    .toLowerCase();
  return q
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((term) => haystack.includes(term));
}

function matches(event: StoredEvent, store: CalendarStore, q: ListQuery): boolean {
  const deletedVisible = q.showDeleted === true || q.updatedMin !== undefined;
  if (event.data.status === 'cancelled' && !deletedVisible) return false;
  if (q.timeMin !== undefined && !(event.endMs > q.timeMin)) return false;
  if (q.timeMax !== undefined && !(event.startMs < q.timeMax)) return false;
  if (q.updatedMin !== undefined && event.updated < q.updatedMin) return false;
  if (q.iCalUID !== undefined && event.iCalUID !== q.iCalUID) return false;
  if (q.eventTypes.length > 0 && !q.eventTypes.includes('default')) return false;
  const ext = event.data.extendedProperties;
  if (q.privateProps.some(([k, v]) => ext?.private?.[k] !== v)) return false;
  if (q.sharedProps.some(([k, v]) => ext?.shared?.[k] !== v)) return false;
  if (q.q !== undefined && !matchesText(event, store, q.q)) return false;
  return true;
}

export interface ListPage {
  items: StoredEvent[];
  nextPageToken?: string;
  nextSyncToken?: string;
}

export function listEvents(store: CalendarStore, q: ListQuery, query: URLSearchParams): ListPage {
  const fingerprint = queryFingerprint(query);
  const page: PageState | undefined = q.pageToken ? decodePageToken(q.pageToken, fingerprint) : undefined;
  const since = page
    ? page.since
    : q.syncToken !== undefined
      ? decodeSyncToken(store, q.syncToken)
      : undefined;
  const snapshot = page ? page.s : store.version;
  // A page token of an incremental listing dies with the sync token it continues.
  if (page && page.since !== undefined && page.e !== store.syncEpoch) fail(errors.fullSyncRequired());

  let keyOf: (e: StoredEvent) => SortKey;
  let selected: StoredEvent[];
  if (since !== undefined) {
    // Everything changed since the token, deletions included, in the order it changed; later
    // changes belong to the next sync.
    keyOf = (e) => [e.version, ''];
    selected = [...store.events.values()].filter((e) => e.version > since && e.version <= snapshot);
  } else {
    // Without orderBy Google promises only "an unspecified, stable order": here, by id.
    keyOf =
      q.orderBy === 'startTime'
        ? (e) => [e.startMs, e.id]
        : q.orderBy === 'updated'
          ? (e) => [e.updated, e.id]
          : (e) => [0, e.id];
    selected = [...store.events.values()].filter((e) => matches(e, store, q));
  }
  selected.sort((a, b) => compareKeys(keyOf(a), keyOf(b)));
  if (page) selected = selected.filter((e) => compareKeys(keyOf(e), page.a) > 0);
  const items = selected.slice(0, q.maxResults);
  const last = items[items.length - 1];
  if (last && selected.length > items.length) {
    const next: PageState = { a: keyOf(last), h: fingerprint, s: snapshot, e: store.syncEpoch };
    if (since !== undefined) next.since = since;
    return { items, nextPageToken: encodePageToken(next) };
  }
  return { items, nextSyncToken: encodeSyncToken(store.syncEpoch, snapshot) };
}
