import { randomUUID } from 'node:crypto';
import type {
  AccountingInvoice,
  CalendarEvent,
  PaymentLink,
  PaymentOrder,
  PersonRecord,
  SourceName,
} from '../domain/model.ts';
import { normaliseEmail } from '../domain/model.ts';
import { SourceError } from '../domain/errors.ts';
import { CURSOR_EXPIRED, type CalendarChanges } from '../domain/ports.ts';
import type { Hub, Workspace } from '../hub.ts';
import type { DomainEvent, EventType } from '../events/types.ts';
import { cacheKeys, PEOPLE_ROLES, RESOURCES, type CacheTarget, type PeopleRole } from '../cache/keys.ts';
import { createSourceStateRepository } from '../store/source-state.ts';
import { CHANGES_CURSOR, CHANGES_SYNCED_AT } from './cursor.ts';
import type { Inbox, InboxEvent } from './inbox.ts';
import type { Tracer } from '@opentelemetry/api';
import { inRootSpan } from '../observability/spans.ts';
import type { Change } from './types.ts';

export interface ProcessorOptions {
  leaseMs?: number;
  batchSize?: number;
  maxAttempts?: number;
  retryMs?: number;
  workerId?: string;
  /** Each batch as a root span of its own (src/observability/spans.ts); absent when tracing is off. */
  tracer?: Tracer;
}

interface Pending {
  event: InboxEvent;
  change: Change;
}

/**
 * Turns stored webhook events into domain events: fetches what the webhooks did not carry (batched,
 * one call per kind of record for the whole batch), links new records to customers, drops the cache
 * entries that went stale, and publishes (the sync rules, src/sync/rules.ts, follow what is published).
 * Which role an event's system plays is the workspace's binding; nothing here knows a vendor.
 */
export function createWebhookProcessor(hub: Hub, inbox: Inbox, options: ProcessorOptions = {}) {
  const {
    leaseMs = 30_000, // 30 seconds
    batchSize = 200,
    maxAttempts = 10,
    retryMs = 1_000, // 1 second
    workerId = `inbox-${randomUUID().slice(0, 8)}`,
  } = options;
  const state = createSourceStateRepository(hub.store);

  /** The people role a system plays in this workspace (undefined: not a people system of it). */
  const peopleRole = (workspace: Workspace, system: SourceName): PeopleRole | undefined =>
    PEOPLE_ROLES.find((role) => workspace.sources[role].name === system);

  /**
   * Calendars send no data: what changed comes from "changes since the cursor". After the cursor
   * expired, a full listing gives a new one, and the events updated since the last sync stand in for
   * the changes, so none is lost to subscribers.
   */
  async function syncCalendar(workspace: Workspace): Promise<{ changes: CalendarChanges; full: boolean }> {
    const calendar = workspace.sources.calendar;
    const cursor = await state.get(workspace.id, calendar.name, CHANGES_CURSOR);
    const lastSync = await state.get(workspace.id, calendar.name, CHANGES_SYNCED_AT);
    // A minute early: the vendor's clock is not ours, and an event seen twice is deduplicated by id.
    const startedAt = new Date(Date.now() - 60_000).toISOString();
    let result: { changes: CalendarChanges; full: boolean };
    try {
      result = { changes: await calendar.changesSince(cursor), full: cursor === undefined };
    } catch (error) {
      if (!(error instanceof SourceError && error.vendorCode === CURSOR_EXPIRED)) throw error;
      hub.logger.info({ workspace: workspace.id }, 'calendar cursor expired: full resync');
      const all = await calendar.changesSince(undefined);
      const since = lastSync ? new Date(lastSync) : null;
      result = {
        changes: { ...all, events: since ? all.events.filter((e) => e.updatedAt > since) : [] },
        full: since === null,
      };
    }
    await state.set(workspace.id, calendar.name, CHANGES_SYNCED_AT, startedAt);
    return result;
  }

  async function processWorkspace(workspace: Workspace, events: InboxEvent[]): Promise<DomainEvent[]> {
    const ws = workspace.id;
    const { crm, payments, accounting, calendar: calendarSource } = workspace.sources;
    const keys = cacheKeys(workspace.sources);
    const persons = new Map<PeopleRole, Map<string, Pending>>();
    const orders = new Map<string, Pending & { succeeded: boolean }>();
    const invoices = new Map<string, Pending>();
    /** Payment links (deposit checkouts) reported paid or expired: settled from their state now. */
    const paymentLinks = new Set<string>();
    let calendarEvent: InboxEvent | null = null;
    for (const event of events) {
      for (const change of event.changes) {
        if (change.kind === 'person') {
          const role = peopleRole(workspace, event.source);
          if (!role) continue; // a system this workspace no longer binds
          const byId = persons.get(role) ?? new Map<string, Pending>();
          persons.set(role, byId);
          const prior = byId.get(change.externalId);
          const fields = [
            ...new Set([
              ...(prior?.change.kind === 'person' ? (prior.change.fields ?? []) : []),
              ...(change.fields ?? []),
            ]),
          ];
          byId.set(change.externalId, { event, change: { ...change, fields } });
        } else if (change.kind === 'order') {
          if (event.source !== payments.name) continue;
          const prior = orders.get(change.externalId);
          orders.set(change.externalId, {
            event,
            change,
            succeeded: Boolean(prior?.succeeded || change.succeeded),
          });
        } else if (change.kind === 'paymentLink') {
          if (event.source === payments.name) paymentLinks.add(change.externalId);
        } else if (change.kind === 'invoice') {
          if (event.source === accounting.name) invoices.set(change.externalId, { event, change });
        } else if (event.source === calendarSource.name) calendarEvent = event;
      }
    }

    const fetchPeople = (role: PeopleRole, ids: string[]): Promise<Array<PersonRecord | Error>> =>
      role === 'crm'
        ? crm.getContacts(ids)
        : role === 'payments'
          ? payments.getCustomers(ids)
          : accounting.getContacts(ids);
    const [people, orderRows, invoiceRows, calendar, linkRows] = await Promise.all([
      Promise.all(
        [...persons].map(async ([role, byId]) => ({
          role,
          ids: [...byId.keys()],
          rows: await fetchPeople(role, [...byId.keys()]),
        })),
      ),
      orders.size
        ? payments.getOrders([...orders.keys()])
        : Promise.resolve([] as Array<PaymentOrder | Error>),
      invoices.size
        ? accounting.getInvoices([...invoices.keys()])
        : Promise.resolve([] as Array<AccountingInvoice | Error>),
      calendarEvent ? syncCalendar(workspace) : Promise.resolve(null),
      paymentLinks.size
        ? payments.getPaymentLinks([...paymentLinks])
        : Promise.resolve([] as Array<PaymentLink | Error>),
    ]);
    const failed = [...people.flatMap((p) => p.rows), ...orderRows, ...invoiceRows, ...linkRows].find(
      (r) => r instanceof Error && !(r instanceof SourceError && r.code === 'NOT_FOUND'),
    );
    if (failed) throw failed;

    const out: DomainEvent[] = [];
    const emit = (
      inboxEvent: InboxEvent,
      type: EventType,
      fields: Partial<DomainEvent> & { invalidate: CacheTarget[] },
      objectId: string,
    ) =>
      out.push({
        id: `${inboxEvent.source}:${inboxEvent.eventId}:${type}:${objectId}`,
        type,
        workspace: ws,
        occurredAt: inboxEvent.occurredAt,
        source: inboxEvent.source,
        customerId: null,
        cause: { source: inboxEvent.source, eventId: inboxEvent.eventId },
        ...fields,
      });
    const customerOf = async (system: SourceName, externalId: string | null) =>
      externalId
        ? ((await hub.identity.customersOf(ws, system, [externalId])).get(externalId) ?? null)
        : null;

    for (const { role, ids, rows } of people) {
      const system = workspace.sources[role].name;
      for (const [i, id] of ids.entries()) {
        const pending = persons.get(role)?.get(id) as Pending;
        const row = rows[i];
        const invalidate = keys.personChanged(role, id);
        if (!row || row instanceof Error) {
          emit(
            pending.event,
            'CUSTOMER_CHANGED',
            { customerId: await customerOf(system, id), invalidate },
            id,
          );
          continue;
        }
        const customerId = await hub.identity.customerFor(
          ws,
          { ...row, role },
          { origin: 'webhook', because: `arrived by webhook, ${normaliseEmail(row.email) ?? 'no email'}` },
        );
        const { created, deleted, fields } = pending.change as Extract<Change, { kind: 'person' }>;
        emit(
          pending.event,
          'CUSTOMER_CHANGED',
          { customerId, invalidate, person: row, change: { created, deleted, fields } },
          id,
        );
      }
    }

    for (const [i, id] of [...orders.keys()].entries()) {
      const pending = orders.get(id) as Pending & { succeeded: boolean };
      const order = orderRows[i];
      if (!order || order instanceof Error) continue;
      const customerId = await customerOf(payments.name, order.customerExternalId);
      const invalidate = keys.orderChanged(order.customerExternalId, id);
      emit(pending.event, 'ORDER_CHANGED', { customerId, order, invalidate }, id);
      if (pending.succeeded && order.status === 'SUCCEEDED') {
        emit(pending.event, 'PAYMENT_RECEIVED', { customerId, order, invalidate: [] }, id);
      }
    }

    for (const [i, id] of [...invoices.keys()].entries()) {
      const pending = invoices.get(id) as Pending;
      const invoice = invoiceRows[i];
      if (!invoice || invoice instanceof Error) continue;
      const contact = invoice.contactExternalId;
      emit(
        pending.event,
        'INVOICE_CHANGED',
        {
          customerId: await customerOf(accounting.name, contact),
          invoice,
          invalidate: keys.invoiceChanged(contact, id),
        },
        id,
      );
    }

    if (calendar && calendarEvent) {
      if (calendar.full) {
        // A first or forced full sync says nothing about what changed: drop the cached calendar, publish nothing.
        for (const target of keys.wholeCalendar())
          hub.cache.invalidate(ws, target.source, target.resource, target.key);
      } else {
        // Events purged so long ago that only their ids are left can still have been busy time.
        if (calendar.changes.deletedIds.length > 0)
          await hub.bus.invalidate(ws, [{ source: calendarSource.name, resource: RESOURCES.busy }]);
        for (const booking of calendar.changes.events) {
          const customerId = await attendee(ws, booking);
          emit(
            calendarEvent,
            'BOOKING_CHANGED',
            { customerId, booking, invalidate: keys.bookingChanged(booking.externalId) },
            `${booking.externalId}:${booking.etag ?? booking.updatedAt.toISOString()}`,
          );
        }
      }
      await state.set(ws, calendarSource.name, CHANGES_CURSOR, calendar.changes.cursor);
    }
    // Stored before the batch is marked done: a crash here runs the batch again, and each settlement's
    // work is keyed on its link, so it still happens once.
    await hub.depositSettlement.settle(
      workspace,
      linkRows.filter((l): l is PaymentLink => !(l instanceof Error)),
    );
    return out;
  }

  async function attendee(ws: string, booking: CalendarEvent): Promise<string | null> {
    for (const email of booking.attendeeEmails) {
      const normalised = normaliseEmail(email);
      const found = normalised
        ? (await hub.links.findCustomersByEmail(ws, [normalised])).get(normalised)
        : undefined;
      if (found?.length === 1) return (found[0] as { id: string }).id;
    }
    return null;
  }

  async function processBatch(events: InboxEvent[]): Promise<void> {
    const byWorkspace = new Map<string, InboxEvent[]>();
    for (const e of events) byWorkspace.set(e.workspace, [...(byWorkspace.get(e.workspace) ?? []), e]);
    for (const [id, group] of byWorkspace) {
      const workspace = hub.workspaces.get(id);
      if (!workspace) {
        await inbox.failed(group, `workspace "${id}" is not served by this hub`, retryMs, 1);
        continue;
      }
      try {
        const published = await processWorkspace(workspace, group);
        await hub.bus.publish(...published);
        await inbox.done(group, workerId);
        // Arrival to published, per vendor: the console's webhook-lag chart.
        const now = Date.now();
        for (const e of group) {
          const source = Object.values(workspace.sources).find((s) => s.client.source === e.source);
          // `receivedAt` is the arrival order: the time, then `#` and a counter.
          source?.client.activity.webhook(now - Date.parse(e.receivedAt.split('#')[0]!));
        }
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        hub.logger.warn(
          { err: error, workspace: id, events: group.length },
          'webhook events failed; retrying later',
        );
        const wait = error instanceof SourceError && error.retryAfterMs ? error.retryAfterMs : retryMs;
        await inbox.failed(group, message, wait, maxAttempts);
      }
    }
  }

  return {
    workerId,
    /** Claims and processes one batch; returns how many events it took. */
    async drainOnce(): Promise<number> {
      const events = await inbox.claim(workerId, leaseMs, batchSize);
      if (events.length > 0) {
        await inRootSpan(options.tracer, 'webhook events', { 'switchboard.events': events.length }, () =>
          processBatch(events),
        );
      }
      return events.length;
    },
    start({ intervalMs = 100 }: { intervalMs?: number } = {}) {
      let stopped = false;
      let wake: (() => void) | undefined;
      const loop = async () => {
        while (!stopped) {
          let took = 0;
          try {
            took = await this.drainOnce();
          } catch (error) {
            if (!stopped) hub.logger.error({ err: error }, 'webhook processor tick failed');
          }
          if (took === 0 && !stopped) {
            await new Promise<void>((resolve) => {
              wake = resolve;
              setTimeout(resolve, intervalMs);
            });
          }
        }
      };
      const running = loop();
      return {
        /** New events were stored: look now instead of at the next tick. */
        nudge: () => wake?.(),
        async stop() {
          stopped = true;
          wake?.();
          await running;
        },
      };
    },
  };
}

export type WebhookProcessor = ReturnType<typeof createWebhookProcessor>;
