import DataLoader from 'dataloader';
import type {
  AccountingInvoice,
  CalendarEvent,
  CrmContact,
  PaymentOrder,
  PersonRecord,
  SourceName,
} from '../domain/model.ts';
import { normaliseEmail } from '../domain/model.ts';
import type { CalendarWindow } from '../domain/ports.ts';
import type { Hub, Workspace } from '../hub.ts';
import type { CustomerRow, LinkRow } from '../store/links.ts';
import type { SyncIssue } from '../store/sync-issues.ts';
import { createLazyLinker } from '../links/lazy.ts';
import { failureReason, servesStale, type Freshness } from './freshness.ts';
import { RESOURCES } from '../cache/keys.ts';
import { HUB_SOURCE, type HubTable, type ResponseReads } from '../cache/response-cache.ts';

/**
 * Per-request loaders, one per (source, operation), created with the GraphQL context and never
 * shared between requests or workspaces. Vendor-backed loaders look in the shared record cache
 * first and fetch only the misses, in one batch on the vendor's best batch primitive; a miss another
 * request is already fetching waits for that call instead (`RecordCache.load`).
 */
export type Loaders = ReturnType<typeof createLoaders>;

interface CachedSpec<V> {
  source: SourceName;
  resource: string;
  /** Before each key in the cache, when several loaders keep entries under one resource. */
  prefix?: string;
  ttlMs?: number;
  load(keys: readonly string[], signal?: AbortSignal): Promise<Array<V | Error>>;
}

/**
 * `memoize: false` for long-lived contexts (subscriptions): each event is read fresh, through the
 * shared cache that webhooks keep true, instead of from what the connection loaded an hour ago.
 */
export function createLoaders(
  hub: Hub,
  workspace: Workspace,
  signal?: AbortSignal,
  {
    memoize = true,
    freshness,
    reads,
  }: {
    memoize?: boolean;
    freshness?: Freshness;
    /** The request's reads, for the response cache: every record and table these loaders touch. */
    reads?: ResponseReads;
  } = {},
) {
  const ws = workspace.id;
  const { crm, calendar, payments, accounting } = workspace.sources;

  const cached = <V>(spec: CachedSpec<V>): DataLoader<string, V> =>
    new DataLoader<string, V>(
      async (loaded) => {
        const prefix = spec.prefix ?? '';
        const keys = prefix ? loaded.map((key) => prefix + key) : loaded;
        const out = new Array<V | Error>(keys.length);
        const missing: string[] = [];
        const positions: number[] = [];
        keys.forEach((key, i) => {
          const hit = hub.cache.get<V>(ws, spec.source, spec.resource, key);
          reads?.record(
            spec.source,
            spec.resource,
            key,
            hit?.freshUntil ?? Date.now() + (spec.ttlMs ?? hub.cache.ttlMs),
          );
          if (hit) out[i] = hit.value;
          else {
            missing.push(key);
            positions.push(i);
          }
        });
        if (missing.length > 0) {
          let results: Array<V | Error>;
          try {
            results = await hub.cache.load<V>(
              { workspace: ws, source: spec.source, resource: spec.resource, ttlMs: spec.ttlMs },
              missing,
              signal,
              async (keys, callSignal) => {
                const answer = await spec.load(
                  prefix ? keys.map((key) => key.slice(prefix.length)) : keys,
                  callSignal,
                );
                if (!Array.isArray(answer) || answer.length !== keys.length) {
                  // DataLoader's own contract, checked here where the adapter's answer is placed by position.
                  throw new Error(
                    `${spec.source} ${spec.resource}: a batch of ${keys.length} keys must give ${keys.length} results, one per key in key order; it gave ${Array.isArray(answer) ? answer.length : typeof answer}`,
                  );
                }
                return answer;
              },
            );
          } catch (error) {
            const failure = error instanceof Error ? error : new Error(String(error));
            results = missing.map(() => failure);
          }
          results.forEach((result, j) => {
            const key = missing[j] as string;
            out[positions[j] as number] = result instanceof Error ? staleOr<V>(spec, key, result) : result;
          });
        }
        return out;
      },
      { batch: hub.batching, cache: memoize },
    );

  // Stale-if-error: when the vendor fails (or the hub would not call it), the last known value is
  // served and the response says so, instead of a null with an error.
  const staleOr = <V>(spec: CachedSpec<V>, key: string, error: Error): V | Error => {
    if (!servesStale(error)) return error;
    const entry = hub.cache.getStale<V>(ws, spec.source, spec.resource, key);
    if (!entry) {
      freshness?.failed(spec.source, error);
      return error;
    }
    freshness?.stale(spec.source, Date.now() - entry.storedAt, error);
    hub.metrics.staleServed.inc({ source: spec.source, reason: failureReason(error) });
    return entry.value;
  };

  const store = <V>(table: HubTable, load: (keys: readonly string[]) => Promise<V[]>) =>
    new DataLoader<string, V>(
      (keys) => {
        reads?.table(table);
        return load(keys);
      },
      { batch: hub.batching, cache: memoize },
    );

  /**
   * Rows of the hub's own tables read on every page, kept in the record cache beside the vendors'
   * records (source `hub`, the table as resource): every change to those tables is announced
   * (`hubTableChanged`, on every replica) and drops them, as it drops the answers built on them.
   * Values are shared between requests: read them, never change them.
   */
  const hubCached = <V>(table: HubTable, kind: string, load: (keys: readonly string[]) => Promise<V[]>) =>
    cached<V>({ source: HUB_SOURCE, resource: table, prefix: `${kind}:`, load });

  const loaders = {
    customer: hubCached<CustomerRow | null>('links', 'customer', async (ids) => {
      const rows = await hub.links.getCustomers(ws, ids);
      return ids.map((id) => rows.get(id) ?? null);
    }),
    customerLinks: hubCached<LinkRow[]>('links', 'links', async (ids) => {
      const rows = await hub.links.linksFor(ws, 'customer', ids);
      return ids.map((id) => rows.get(id) ?? []);
    }),
    /** A page of the customers listing, by `<first>:<after id>` (`20:` for the first page). */
    customersPage: hubCached<CustomerRow[]>('links', 'page', (pages) =>
      Promise.all(
        pages.map((page) => {
          const at = page.indexOf(':');
          const after = page.slice(at + 1);
          return hub.links.listCustomers(ws, Number(page.slice(0, at)), after === '' ? undefined : after);
        }),
      ),
    ),
    /** Normalised email → the one customer with it (null when none or several). */
    customerByEmail: store<CustomerRow | null>('links', async (emails) => {
      const rows = await hub.links.findCustomersByEmail(ws, emails);
      return emails.map((email) => {
        const found = rows.get(email) ?? [];
        return found.length === 1 ? (found[0] as CustomerRow) : null;
      });
    }),
    /** `system:externalId` → customer id. */
    customerIdByExternal: store<string | null>('links', async (keys) => {
      const bySystem = new Map<SourceName, string[]>();
      for (const key of keys) {
        const [system, ...rest] = key.split(':');
        bySystem.set(system as SourceName, [...(bySystem.get(system as SourceName) ?? []), rest.join(':')]);
      }
      const found = new Map<string, string>();
      await Promise.all(
        [...bySystem].map(async ([system, ids]) => {
          for (const [externalId, entityId] of await hub.links.entitiesFor(ws, 'customer', system, ids)) {
            found.set(`${system}:${externalId}`, entityId);
          }
        }),
      );
      return keys.map((key) => found.get(key) ?? null);
    }),
    syncIssues: store<SyncIssue[]>('issues', async (customerIds) => {
      const issues = await hub.issues.list(ws, { customerIds });
      return customerIds.map((id) => issues.filter((issue) => issue.customerId === id));
    }),

    crmContact: cached<CrmContact>({
      source: crm.name,
      resource: RESOURCES.person.crm,
      load: (ids, s) => crm.getContacts(ids, { signal: s }),
    }),
    paymentCustomer: cached<PersonRecord>({
      source: payments.name,
      resource: RESOURCES.person.payments,
      load: (ids, s) => payments.getCustomers(ids, { signal: s }),
    }),
    accountingContact: cached<PersonRecord>({
      source: accounting.name,
      resource: RESOURCES.person.accounting,
      load: (ids, s) => accounting.getContacts(ids, { signal: s }),
    }),
    paymentCustomersByEmail: cached<PersonRecord[]>({
      source: payments.name,
      resource: RESOURCES.peopleByEmail.payments,
      load: (emails, s) => payments.findCustomersByEmail(emails, { signal: s }),
    }),
    accountingContactsByEmail: cached<PersonRecord[]>({
      source: accounting.name,
      resource: RESOURCES.peopleByEmail.accounting,
      load: (emails, s) => accounting.findContactsByEmail(emails, { signal: s }),
    }),
    ordersByPaymentCustomer: cached<PaymentOrder[]>({
      source: payments.name,
      resource: RESOURCES.ordersByCustomer,
      load: (ids, s) => payments.listOrdersByCustomer(ids, { signal: s }),
    }),
    invoicesByAccountingContact: cached<AccountingInvoice[]>({
      source: accounting.name,
      resource: RESOURCES.invoicesByContact,
      load: (ids, s) => accounting.listInvoicesByContact(ids, { signal: s }),
    }),
    order: cached<PaymentOrder>({
      source: payments.name,
      resource: RESOURCES.order,
      load: (ids, s) => payments.getOrders(ids, { signal: s }),
    }),
    invoice: cached<AccountingInvoice>({
      source: accounting.name,
      resource: RESOURCES.invoice,
      load: (ids, s) => accounting.getInvoices(ids, { signal: s }),
    }),
    booking: cached<CalendarEvent>({
      source: calendar.name,
      resource: RESOURCES.event,
      load: (ids, s) => calendar.getEvents(ids, { signal: s }),
    }),
    /** `fromISO|toISO` → every event overlapping the window. Windows are not batchable; the loader dedupes them. */
    calendarWindow: cached<CalendarEvent[]>({
      source: calendar.name,
      resource: RESOURCES.window,
      load: perWindow((window, s) => calendar.listEvents(window, { signal: s })),
    }),
    /**
     * `fromISO|toISO` → the calendar's busy periods in the window (free/busy; `busyWindow` makes
     * the keys whole local days, so repeated asks share an entry). One request per window.
     */
    calendarBusy: cached<CalendarWindow[]>({
      source: calendar.name,
      resource: RESOURCES.busy,
      load: perWindow((window, s) => calendar.freeBusy(window, { signal: s })),
    }),
  };
  return { ...loaders, lazy: createLazyLinker(hub, workspace, loaders) };
}

/** A batch of `fromISO|toISO` window keys, one call each: a failed window fails only itself. */
function perWindow<V>(
  read: (window: CalendarWindow, signal: AbortSignal | undefined) => Promise<V>,
): (keys: readonly string[], signal?: AbortSignal) => Promise<Array<V | Error>> {
  return (keys, signal) =>
    Promise.all(
      keys.map(async (key) => {
        const [from, to] = key.split('|');
        try {
          return await read({ from: new Date(from as string), to: new Date(to as string) }, signal);
        } catch (error) {
          return error as Error;
        }
      }),
    );
}

/** Events of a window grouped by normalised attendee email, computed once per loaded window. */
const byAttendee = new WeakMap<CalendarEvent[], Map<string, CalendarEvent[]>>();
export function eventsByAttendee(events: CalendarEvent[]): Map<string, CalendarEvent[]> {
  let index = byAttendee.get(events);
  if (!index) {
    index = new Map();
    for (const event of events) {
      for (const email of new Set(event.attendeeEmails.map(normaliseEmail))) {
        if (email) index.set(email, [...(index.get(email) ?? []), event]);
      }
    }
    byAttendee.set(events, index);
  }
  return index;
}
