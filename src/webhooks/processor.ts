import { randomUUID } from 'node:crypto';
import type {
  AccountingInvoice,
  CalendarEvent,
  PaymentOrder,
  PersonRecord,
  SourceName,
} from '../domain/model.ts';
import { normaliseEmail } from '../domain/model.ts';
import { SourceError } from '../domain/errors.ts';
import type { CalendarChanges } from '../domain/ports.ts';
import type { Hub, Workspace } from '../hub.ts';
import type { DomainEvent, EventType } from '../events/types.ts';
import type { CacheTarget } from '../cache/keys.ts';
import { createSourceStateRepository } from '../store/source-state.ts';
import type { Inbox, InboxEvent } from './inbox.ts';
import type { Change } from './types.ts';

/** The integrations the seed businesses ask for; each can be switched off. */
export type SyncRule =
  /** A payment that succeeds at Stripe records the payment against its Xero invoice. */
  | 'payment-to-invoice'
  /** A booking moved in the calendar updates the CRM's next-booking date. */
  | 'calendar-to-crm'
  /** A contact's email, phone or name changed in the CRM is carried to Stripe and Xero. */
  | 'crm-contact-to-others';

export const SYNC_RULES: readonly SyncRule[] = [
  'payment-to-invoice',
  'calendar-to-crm',
  'crm-contact-to-others',
];

export interface ProcessorOptions {
  rules?: ReadonlySet<SyncRule>;
  leaseMs?: number;
  batchSize?: number;
  maxAttempts?: number;
  retryMs?: number;
  workerId?: string;
}

const PERSON_RESOURCE: Record<string, string> = { hubspot: 'contact', stripe: 'customer', xero: 'contact' };
const SYNCED_FIELDS = new Set(['email', 'phone', 'firstname', 'lastname']);

interface Pending {
  event: InboxEvent;
  change: Change;
}

/**
 * Turns stored webhook events into domain events: fetches what the webhooks did not carry (batched,
 * one call per kind of record for the whole batch), links new records to customers, drops the cache
 * entries that went stale, publishes, and runs the sync rules as ordinary write operations (with
 * idempotency keys derived from the event, so a replayed event never writes twice).
 */
export function createWebhookProcessor(hub: Hub, inbox: Inbox, options: ProcessorOptions = {}) {
  const {
    rules = new Set(SYNC_RULES),
    leaseMs = 30_000, // 30 seconds
    batchSize = 200,
    maxAttempts = 10,
    retryMs = 1_000, // 1 second
    workerId = `inbox-${randomUUID().slice(0, 8)}`,
  } = options;
  const state = createSourceStateRepository(hub.store);

  async function customerFor(
    workspace: Workspace,
    system: SourceName,
    record: PersonRecord,
  ): Promise<string> {
    const ws = workspace.id;
    const linked = (await hub.links.entitiesFor(ws, 'customer', system, [record.externalId])).get(
      record.externalId,
    );
    if (linked) return linked;
    const email = normaliseEmail(record.email);
    const byEmail = email ? (await hub.links.findCustomersByEmail(ws, [email])).get(email) : undefined;
    const customerId =
      byEmail?.length === 1
        ? (byEmail[0]?.id as string)
        : (await hub.links.createCustomer(ws, { email, displayName: record.name })).id;
    const outcome = await hub.links.link(ws, 'customer', customerId, system, record.externalId, 'webhook');
    if (outcome === 'conflict') {
      await hub.issues.raise(ws, {
        customerId,
        kind: 'LINK_CONFLICT',
        field: null,
        systems: [system],
        details: { [system]: record.externalId },
        message: `${system} record ${record.externalId} (${email ?? 'no email'}) arrived by webhook but conflicts with an existing link.`,
      });
    }
    return customerId;
  }

  /**
   * Google sends no data: what changed comes from an incremental sync with the stored token. After
   * a 410 (token expired) a full listing replaces it, and the events updated since the last sync
   * stand in for the changes, so none is lost to subscribers.
   */
  async function syncCalendar(workspace: Workspace): Promise<{ changes: CalendarChanges; full: boolean }> {
    const calendar = workspace.sources.calendar;
    const token = await state.get(workspace.id, 'google_calendar', 'sync_token');
    const lastSync = await state.get(workspace.id, 'google_calendar', 'synced_at');
    // A minute early: the vendor's clock is not ours, and an event seen twice is deduplicated by id.
    const startedAt = new Date(Date.now() - 60_000).toISOString();
    let result: { changes: CalendarChanges; full: boolean };
    try {
      result = { changes: await calendar.listChanges(token), full: token === undefined };
    } catch (error) {
      if (!(error instanceof SourceError && error.vendorCode === 'fullSyncRequired')) throw error;
      hub.logger.info({ workspace: workspace.id }, 'calendar sync token expired: full resync');
      const all = await calendar.listChanges(undefined);
      const since = lastSync ? new Date(lastSync) : null;
      result = {
        changes: { ...all, events: since ? all.events.filter((e) => e.updatedAt > since) : [] },
        full: since === null,
      };
    }
    await state.set(workspace.id, 'google_calendar', 'synced_at', startedAt);
    return result;
  }

  async function processWorkspace(workspace: Workspace, events: InboxEvent[]): Promise<DomainEvent[]> {
    const ws = workspace.id;
    const { crm, payments, accounting } = workspace.sources;
    const persons = new Map<SourceName, Map<string, Pending>>();
    const orders = new Map<string, Pending & { succeeded: boolean }>();
    const invoices = new Map<string, Pending>();
    let calendarEvent: InboxEvent | null = null;
    for (const event of events) {
      for (const change of event.changes) {
        if (change.kind === 'person') {
          const bySource = persons.get(event.source) ?? new Map<string, Pending>();
          persons.set(event.source, bySource);
          const prior = bySource.get(change.externalId);
          const fields = [
            ...new Set([
              ...(prior?.change.kind === 'person' ? (prior.change.fields ?? []) : []),
              ...(change.fields ?? []),
            ]),
          ];
          bySource.set(change.externalId, { event, change: { ...change, fields } });
        } else if (change.kind === 'order') {
          const prior = orders.get(change.externalId);
          orders.set(change.externalId, {
            event,
            change,
            succeeded: Boolean(prior?.succeeded || change.succeeded),
          });
        } else if (change.kind === 'invoice') invoices.set(change.externalId, { event, change });
        else calendarEvent = event;
      }
    }

    const fetchPeople = async (source: SourceName, ids: string[]) =>
      source === 'hubspot'
        ? crm.getContacts(ids)
        : source === 'stripe'
          ? payments.getCustomers(ids)
          : accounting.getContacts(ids);
    const [people, orderRows, invoiceRows, calendar] = await Promise.all([
      Promise.all(
        [...persons].map(async ([source, byId]) => ({
          source,
          ids: [...byId.keys()],
          rows: await fetchPeople(source, [...byId.keys()]),
        })),
      ),
      orders.size
        ? payments.getOrders([...orders.keys()])
        : Promise.resolve([] as Array<PaymentOrder | Error>),
      invoices.size
        ? accounting.getInvoices([...invoices.keys()])
        : Promise.resolve([] as Array<AccountingInvoice | Error>),
      calendarEvent ? syncCalendar(workspace) : Promise.resolve(null),
    ]);
    const failed = [...people.flatMap((p) => p.rows), ...orderRows, ...invoiceRows].find(
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
        ...fields,
      });

    for (const { source, ids, rows } of people) {
      for (const [i, id] of ids.entries()) {
        const pending = persons.get(source)?.get(id) as Pending;
        const row = rows[i];
        const invalidate: CacheTarget[] = [
          { source, resource: PERSON_RESOURCE[source], key: id },
          ...(source === 'stripe' ? [{ source, resource: 'customers-by-email' } as CacheTarget] : []),
          ...(source === 'xero' ? [{ source, resource: 'contacts-by-email' } as CacheTarget] : []),
        ];
        if (!row || row instanceof Error) {
          const known = (await hub.links.entitiesFor(ws, 'customer', source, [id])).get(id) ?? null;
          emit(pending.event, 'CUSTOMER_CHANGED', { customerId: known, invalidate }, id);
          continue;
        }
        const customerId = await customerFor(workspace, source, row);
        emit(pending.event, 'CUSTOMER_CHANGED', { customerId, invalidate }, id);
        const change = pending.change as Extract<Change, { kind: 'person' }>;
        if (source === 'hubspot' && rules.has('crm-contact-to-others') && !change.created) {
          const changed = (change.fields ?? []).filter((f) => SYNCED_FIELDS.has(f));
          if (changed.length > 0) await carryContact(workspace, customerId, row, pending.event);
        }
      }
    }

    for (const [i, id] of [...orders.keys()].entries()) {
      const pending = orders.get(id) as Pending & { succeeded: boolean };
      const order = orderRows[i];
      if (!order || order instanceof Error) continue;
      const customerId = order.customerExternalId
        ? ((await hub.links.entitiesFor(ws, 'customer', 'stripe', [order.customerExternalId])).get(
            order.customerExternalId,
          ) ?? null)
        : null;
      const invalidate: CacheTarget[] = [
        { source: 'stripe', resource: 'order', key: id },
        { source: 'stripe', resource: 'orders-by-customer', key: order.customerExternalId ?? undefined },
      ];
      emit(pending.event, 'ORDER_CHANGED', { customerId, order, invalidate }, id);
      if (pending.succeeded && order.status === 'SUCCEEDED') {
        emit(pending.event, 'PAYMENT_RECEIVED', { customerId, order, invalidate: [] }, id);
        if (rules.has('payment-to-invoice')) await payInvoice(workspace, order);
      }
    }

    for (const [i, id] of [...invoices.keys()].entries()) {
      const pending = invoices.get(id) as Pending;
      const invoice = invoiceRows[i];
      if (!invoice || invoice instanceof Error) continue;
      const contact = invoice.contactExternalId;
      const customerId = contact
        ? ((await hub.links.entitiesFor(ws, 'customer', 'xero', [contact])).get(contact) ?? null)
        : null;
      emit(
        pending.event,
        'INVOICE_CHANGED',
        {
          customerId,
          invoice,
          invalidate: [
            { source: 'xero', resource: 'invoice', key: id },
            { source: 'xero', resource: 'invoices-by-contact', key: contact ?? undefined },
          ],
        },
        id,
      );
    }

    if (calendar && calendarEvent) {
      const window: CacheTarget = { source: 'google_calendar', resource: 'window' };
      if (calendar.full) {
        // A first or forced full sync says nothing about what changed: drop the cached calendar, publish nothing.
        hub.cache.invalidate(ws, 'google_calendar');
      } else {
        const touched = new Map<string, string>();
        for (const booking of calendar.changes.events) {
          const customerId = await attendee(ws, booking);
          if (customerId) touched.set(customerId, booking.externalId);
          emit(
            calendarEvent,
            'BOOKING_CHANGED',
            {
              customerId,
              booking,
              invalidate: [window, { source: 'google_calendar', resource: 'event', key: booking.externalId }],
            },
            `${booking.externalId}:${booking.etag ?? booking.updatedAt.toISOString()}`,
          );
        }
        if (rules.has('calendar-to-crm') && touched.size > 0) {
          hub.cache.invalidate(ws, 'google_calendar', 'window');
          await nextBookings(workspace, [...touched.keys()], calendarEvent);
        }
      }
      await state.set(ws, 'google_calendar', 'sync_token', calendar.changes.nextSyncToken);
    }
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

  /** Runs a rule's write in the background: its operation has its own retries and failed deliveries. */
  async function submitRule(workspace: Workspace, kind: string, input: Record<string, unknown>, key: string) {
    const { operation, created } = await hub.engine.submit(workspace.id, kind, input, { clientKey: key });
    if (created) void hub.engine.run(workspace.id, operation.id).catch(() => {});
  }

  async function carryContact(
    workspace: Workspace,
    customerId: string,
    contact: PersonRecord,
    event: InboxEvent,
  ) {
    const links = await hub.links.linksFor(workspace.id, 'customer', [customerId]);
    const of = (system: SourceName) => links.get(customerId)?.find((l) => l.system === system)?.externalId;
    const targets = { stripe: of('stripe'), xero: of('xero') };
    if (!targets.stripe && !targets.xero) return;
    await submitRule(
      workspace,
      'updateCustomer',
      {
        customerId,
        changes: {
          ...(contact.email ? { email: contact.email } : {}),
          ...(contact.firstName && contact.lastName
            ? { firstName: contact.firstName, lastName: contact.lastName }
            : {}),
          phone: contact.phone,
        },
        links: Object.fromEntries(Object.entries(targets).filter(([, v]) => v)),
      },
      `rule:crm-contact-to-others:${event.source}:${event.eventId}`,
    );
  }

  async function payInvoice(workspace: Workspace, order: PaymentOrder) {
    const invoiceId = order.metadata.xero_invoice_id;
    if (!invoiceId) return;
    const [invoice] = await workspace.sources.accounting.getInvoices([invoiceId]);
    if (!invoice || invoice instanceof Error) return;
    if (invoice.status !== 'AUTHORISED' || invoice.amountDue.amount <= 0) return;
    if (invoice.amountDue.currency !== order.amountReceived.currency) return;
    await submitRule(
      workspace,
      'recordPayment',
      {
        invoiceId,
        xeroContactId: invoice.contactExternalId,
        amount: {
          amount: Math.min(invoice.amountDue.amount, order.amountReceived.amount),
          currency: invoice.amountDue.currency,
        },
        paidOn: new Date().toISOString(),
        reference: order.externalId,
      },
      `rule:payment-to-invoice:${order.externalId}`,
    );
  }

  async function nextBookings(workspace: Workspace, customerIds: string[], event: InboxEvent) {
    const now = new Date();
    const horizon = { from: now, to: new Date(now.getTime() + 366 * 86_400_000) };
    const upcoming = await workspace.sources.calendar.listEvents(horizon);
    const customers = await hub.links.getCustomers(workspace.id, customerIds);
    const links = await hub.links.linksFor(workspace.id, 'customer', customerIds);
    for (const customerId of customerIds) {
      const hubspot = links.get(customerId)?.find((l) => l.system === 'hubspot')?.externalId;
      const email = customers.get(customerId)?.email;
      if (!hubspot || !email) continue;
      const next = upcoming
        .filter(
          (b) =>
            b.status !== 'CANCELLED' &&
            b.start > now &&
            b.attendeeEmails.some((e) => normaliseEmail(e) === email),
        )
        .sort((a, b) => a.start.getTime() - b.start.getTime())[0];
      await submitRule(
        workspace,
        'setNextBooking',
        { hubspotContactId: hubspot, nextBookingAt: next ? next.start.toISOString() : null },
        `rule:calendar-to-crm:${event.eventId}:${customerId}`,
      );
    }
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
        for (const event of published) await hub.bus.publish(event);
        await inbox.done(group, workerId);
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
      if (events.length > 0) await processBatch(events);
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
