import { createRandom, type Random } from '../../../src/sandbox/kit/random.ts';
import { customerAt, type SeedBusiness } from '../../../src/sandbox/seed/business.ts';
import { formatInZone } from './time.ts';

/** The in-memory calendar: one calendar, its events, the change counter behind sync tokens. */

export type EventStatus = 'confirmed' | 'tentative' | 'cancelled';

export interface EventTime {
  dateTime?: string;
  date?: string;
  timeZone?: string;
}

export interface Attendee {
  email: string;
  displayName?: string;
  optional?: boolean;
  responseStatus: string;
  comment?: string;
  additionalGuests?: number;
}

export interface Reminders {
  useDefault: boolean;
  overrides?: Array<{ method: string; minutes: number }>;
}

/** The fields a client may write (insert, update, patch); validated and normalised. */
export interface EventData {
  status: EventStatus;
  summary?: string;
  description?: string;
  location?: string;
  colorId?: string;
  start: EventTime;
  end: EventTime;
  transparency?: string;
  visibility?: string;
  attendees?: Attendee[];
  guestsCanInviteOthers?: boolean;
  guestsCanModify?: boolean;
  guestsCanSeeOtherGuests?: boolean;
  anyoneCanAddSelf?: boolean;
  extendedProperties?: { private?: Record<string, string>; shared?: Record<string, string> };
  reminders: Reminders;
  source?: { url: string; title?: string };
}

export interface StoredEvent {
  id: string;
  iCalUID: string;
  created: number;
  updated: number;
  etag: string;
  sequence: number;
  /** Position in the change log: a sync token holds the last version its client has seen. */
  version: number;
  data: EventData;
  startMs: number;
  endMs: number;
}

export interface CalendarStore {
  readonly business: SeedBusiness;
  readonly calendarId: string;
  readonly timeZone: string;
  readonly summary: string;
  readonly events: Map<string, StoredEvent>;
  /** Last change number handed out. */
  readonly version: number;
  /** Bumped to invalidate every outstanding sync token; survives resets. */
  readonly syncEpoch: number;
  /** Google's opaque id of the watched resource (the calendar's event collection). */
  readonly resourceId: string;
  now(): number;
  /** `primary` and the calendar's own id resolve; anything else is unknown. */
  hasCalendar(calendarId: string): boolean;
  newEventId(): string;
  /** Records a write: next version, `updated`, a fresh etag; then tells the listeners. */
  commit(event: Omit<StoredEvent, 'version' | 'updated' | 'etag'>): StoredEvent;
  onChange(listener: (event: StoredEvent) => void): void;
  expireSyncTokens(): void;
  reset(): void;
  /** The events, change counter, sync epoch and id stream (sandbox mode saves them across restarts). */
  snapshot(): CalendarSnapshot;
  restore(saved: CalendarSnapshot): void;
}

export interface CalendarSnapshot {
  events: Map<string, StoredEvent>;
  version: number;
  syncEpoch: number;
  random: number;
  resourceId: string;
  last: number;
}

const BASE32HEX = '0123456789abcdefghijklmnopqrstuv';

export const etagFor = (updated: number, version: number) =>
  `"${updated}${String(version % 1000).padStart(3, '0')}"`;

export function createCalendarStore(business: SeedBusiness): CalendarStore {
  const events = new Map<string, StoredEvent>();
  const listeners: Array<(event: StoredEvent) => void> = [];
  let version = 0;
  let syncEpoch = 1;
  let random: Random = createRandom(0);
  let resourceId = '';
  // The sandbox clock never runs behind the seed's reference date, so writes are always newer
  // than seeded records, even when tests pin `now` in the future.
  const startedAt = performance.now();
  let last = 0;
  const now = () => {
    last = Math.max(last, Date.now(), business.now.getTime() + Math.round(performance.now() - startedAt));
    return last;
  };

  const store: CalendarStore = {
    business,
    calendarId: business.calendarId,
    timeZone: business.timeZone,
    summary: `${business.name} bookings`,
    events,
    get version() {
      return version;
    },
    get syncEpoch() {
      return syncEpoch;
    },
    get resourceId() {
      return resourceId;
    },
    now,
    hasCalendar: (id) => id === 'primary' || id.toLowerCase() === business.calendarId.toLowerCase(),
    newEventId: () => random.string(26, BASE32HEX),
    commit(event) {
      version++;
      const updated = now();
      const stored: StoredEvent = { ...event, version, updated, etag: etagFor(updated, version) };
      events.set(stored.id, stored);
      for (const listener of listeners) listener(stored);
      return stored;
    },
    onChange: (listener) => void listeners.push(listener),
    expireSyncTokens: () => void syncEpoch++,
    snapshot: () => ({ events, version, syncEpoch, random: random.position(), resourceId, last }),
    restore(saved) {
      if (!(saved.events instanceof Map) || typeof saved.version !== 'number')
        throw new Error('no calendar events in the saved state');
      events.clear();
      for (const [id, event] of saved.events) events.set(id, event);
      version = saved.version;
      syncEpoch = saved.syncEpoch;
      random.seek(saved.random);
      resourceId = saved.resourceId;
      last = saved.last;
    },
    reset() {
      events.clear();
      version = 0;
      syncEpoch++;
      const root = createRandom(`google-calendar:${business.seed}`);
      random = root.fork('event-ids');
      resourceId = root.fork('resource-id').string(27, `${BASE32HEX}wxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_`);
      for (const event of seedEvents(business)) {
        version++;
        events.set(event.id, { ...event, version, etag: etagFor(event.updated, version) });
      }
    },
  };
  store.reset();
  return store;
}

/** One event per seed booking, in the order they were last changed (so versions follow `updated`). */
function seedEvents(business: SeedBusiness): Array<Omit<StoredEvent, 'version' | 'etag'>> {
  const customers = new Map(business.customers.map((c) => [c.key, c]));
  const services = new Map(business.services.map((s) => [s.code, s]));
  const tz = business.timeZone;
  const bookings = [...business.bookings].sort(
    (a, b) => a.updatedAt.getTime() - b.updatedAt.getTime() || a.key.localeCompare(b.key),
  );
  return bookings.map((booking) => {
    const canonical = customers.get(booking.customerKey);
    const person = canonical ? (customerAt(canonical, 'calendar') ?? canonical) : undefined;
    const service = services.get(booking.serviceCode);
    const name = person ? `${person.firstName} ${person.lastName}` : booking.customerKey;
    const id = booking.ids.googleEventId;
    return {
      id,
      iCalUID: `${id}@google.com`,
      created: booking.createdAt.getTime(),
      updated: booking.updatedAt.getTime(),
      sequence: 0,
      startMs: booking.start.getTime(),
      endMs: booking.end.getTime(),
      data: {
        status: booking.status,
        summary: `${service?.name ?? booking.serviceCode} — ${name}`,
        location: business.name,
        start: { dateTime: formatInZone(booking.start.getTime(), tz), timeZone: tz },
        end: { dateTime: formatInZone(booking.end.getTime(), tz), timeZone: tz },
        attendees: person
          ? [
              {
                email: person.email,
                displayName: name,
                responseStatus: booking.status === 'tentative' ? 'needsAction' : 'accepted',
              },
            ]
          : [],
        extendedProperties: { private: { bookingRef: booking.key, serviceCode: booking.serviceCode } },
        reminders: { useDefault: true },
      },
    };
  });
}
