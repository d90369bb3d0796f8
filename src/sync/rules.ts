import type { PaymentOrder, PersonRecord } from '../domain/model.ts';
import { normaliseEmail } from '../domain/model.ts';
import type { Workspace } from '../domain/workspace.ts';
import type { EventBus } from '../events/bus.ts';
import type { EventType } from '../events/types.ts';
import type { Engine } from '../operations/engine.ts';
import type { Identity } from '../links/identity.ts';
import type { LinkRepository } from '../store/links.ts';
import type { RecordPaymentInput } from '../operations/kinds/invoice.ts';
import type { SetNextBookingInput } from '../operations/kinds/booking.ts';
import type { UpdateCustomerInput } from '../operations/kinds/customer.ts';

/** The integrations the seed businesses ask for; each can be switched off (SWITCHBOARD_SYNC_RULES_OFF). */
export type SyncRule =
  /** A payment that succeeds records the payment against the invoice it names, in the books. */
  | 'payment-to-invoice'
  /** A booking moved in the calendar updates the CRM's next-booking date. */
  | 'calendar-to-crm'
  /** A contact's email, phone or name changed in the CRM is carried to the payments and accounting systems. */
  | 'crm-contact-to-others';

export const SYNC_RULES: readonly SyncRule[] = [
  'payment-to-invoice',
  'calendar-to-crm',
  'crm-contact-to-others',
];

/** The CRM fields a rule carries (the CRM's own names, as its webhooks report them, lower-cased). */
const SYNCED_FIELDS = new Set(['email', 'phone', 'firstname', 'lastname']);

/**
 * What starts each rule and the write it submits (an operation kind), for the connection map
 * (docs/CONNECTIONS.md); the rules below submit these very kinds.
 */
export const SYNC_RULE_EFFECTS: Readonly<
  Record<
    SyncRule,
    { trigger: EventType; when: string; operation: 'recordPayment' | 'setNextBooking' | 'updateCustomer' }
  >
> = {
  'payment-to-invoice': {
    trigger: 'PAYMENT_RECEIVED',
    when: 'the payment names an invoice of the bound accounting system that is AUTHORISED with money due, in the same currency',
    operation: 'recordPayment',
  },
  'calendar-to-crm': {
    trigger: 'BOOKING_CHANGED',
    when: "the customer has a CRM contact: its next-booking date becomes the customer's next booking not cancelled",
    operation: 'setNextBooking',
  },
  'crm-contact-to-others': {
    trigger: 'CUSTOMER_CHANGED',
    when: `from the CRM, not a creation, one of ${[...SYNCED_FIELDS].join(', ')} changed, and the customer has a payments or accounting record`,
    operation: 'updateCustomer',
  },
};

/**
 * The sync rules, as listeners on the event bus: they follow the domain events this replica
 * publishes (a webhook's, once, whichever replica's subscribers receive it), before they go out. Each
 * runs as an ordinary write operation with an idempotency key derived from the vendor event that
 * triggered it, so a replayed event never writes twice; the operation has its own retries and failed
 * deliveries. A rule that fails fails the publish, and the inbox runs the event again.
 */
export function startSyncRules(
  bus: Pick<EventBus, 'beforePublish'>,
  workspaces: ReadonlyMap<string, Workspace>,
  deps: Parameters<typeof createSyncRules>[0],
): () => void {
  const rules = createSyncRules(deps);
  return bus.beforePublish(async (events) => {
    /** Customers whose bookings changed, per workspace and vendor event (one CRM update each). */
    const bookings = new Map<string, { workspace: Workspace; eventId: string; customers: Set<string> }>();
    for (const event of events) {
      const workspace = workspaces.get(event.workspace);
      if (!workspace || !event.cause) continue;
      if (event.type === 'CUSTOMER_CHANGED' && event.person && event.customerId) {
        if (event.source !== workspace.sources.crm.name) continue;
        await rules.crmContactChanged(
          workspace,
          event.customerId,
          event.person,
          event.change ?? {},
          `${event.cause.source}:${event.cause.eventId}`,
        );
      } else if (event.type === 'PAYMENT_RECEIVED' && event.order) {
        await rules.paymentReceived(workspace, event.order);
      } else if (event.type === 'BOOKING_CHANGED' && event.customerId) {
        const key = `${event.workspace}|${event.cause.eventId}`;
        const entry = bookings.get(key) ?? { workspace, eventId: event.cause.eventId, customers: new Set() };
        entry.customers.add(event.customerId);
        bookings.set(key, entry);
      }
    }
    for (const { workspace, eventId, customers } of bookings.values()) {
      await rules.bookingsChanged(workspace, [...customers], eventId);
    }
  });
}

/** The rules themselves, one function each. */
export function createSyncRules(deps: {
  engine: Pick<Engine, 'submit' | 'run'>;
  identity: Identity;
  links: Pick<LinkRepository, 'getCustomers'>;
  rules: ReadonlySet<SyncRule>;
}) {
  const { engine, identity, links, rules } = deps;

  /** Runs a rule's write in the background: stored first, so a crash after this loses nothing. */
  async function submit(workspace: Workspace, kind: string, input: Record<string, unknown>, key: string) {
    const { operation, created } = await engine.submit(workspace.id, kind, input, { clientKey: key });
    if (created) void engine.run(workspace.id, operation.id).catch(() => {});
  }

  return {
    /** A CRM contact changed: carry its contact details to the customer's other records. */
    async crmContactChanged(
      workspace: Workspace,
      customerId: string,
      contact: PersonRecord,
      change: { created?: boolean; fields?: string[] },
      eventKey: string,
    ) {
      if (!rules.has('crm-contact-to-others') || change.created) return;
      if (!(change.fields ?? []).some((f) => SYNCED_FIELDS.has(f.toLowerCase()))) return;
      const [payments, accounting] = await Promise.all(
        (['payments', 'accounting'] as const).map(async (role) =>
          (await identity.recordsIn(workspace.id, workspace.sources[role].name, [customerId])).get(
            customerId,
          ),
        ),
      );
      if (!payments && !accounting) return;
      const input: UpdateCustomerInput = {
        customerId,
        changes: {
          ...(contact.email ? { email: contact.email } : {}),
          ...(contact.firstName && contact.lastName
            ? { firstName: contact.firstName, lastName: contact.lastName }
            : {}),
          phone: contact.phone,
        },
        links: { ...(payments ? { payments } : {}), ...(accounting ? { accounting } : {}) },
      };
      await submit(
        workspace,
        SYNC_RULE_EFFECTS['crm-contact-to-others'].operation,
        input,
        `rule:crm-contact-to-others:${eventKey}`,
      );
    },

    /** A payment succeeded: record it against the invoice it names, when that invoice is in these books and due. */
    async paymentReceived(workspace: Workspace, order: PaymentOrder) {
      if (!rules.has('payment-to-invoice')) return;
      const ref = order.invoiceRef;
      const accounting = workspace.sources.accounting;
      if (!ref || ref.system !== accounting.name) return;
      const [invoice] = await accounting.getInvoices([ref.id]);
      if (!invoice || invoice instanceof Error) return;
      if (invoice.status !== 'AUTHORISED' || invoice.amountDue.amount <= 0) return;
      if (invoice.amountDue.currency !== order.amountReceived.currency) return;
      const input: RecordPaymentInput = {
        invoiceId: ref.id,
        accountingContactId: invoice.contactExternalId,
        amount: {
          amount: Math.min(invoice.amountDue.amount, order.amountReceived.amount),
          currency: invoice.amountDue.currency,
        },
        paidOn: new Date().toISOString(),
        reference: order.externalId,
      };
      await submit(
        workspace,
        SYNC_RULE_EFFECTS['payment-to-invoice'].operation,
        input,
        `rule:payment-to-invoice:${order.externalId}`,
      );
    },

    /** Bookings of these customers changed: set each one's next booking in the CRM. */
    async bookingsChanged(workspace: Workspace, customerIds: string[], eventKey: string) {
      if (!rules.has('calendar-to-crm') || customerIds.length === 0) return;
      const now = new Date();
      const horizon = { from: now, to: new Date(now.getTime() + 366 * 86_400_000) };
      const upcoming = await workspace.sources.calendar.listEvents(horizon);
      const customers = await links.getCustomers(workspace.id, customerIds);
      const contacts = await identity.recordsIn(workspace.id, workspace.sources.crm.name, customerIds);
      for (const customerId of customerIds) {
        const contact = contacts.get(customerId);
        const email = customers.get(customerId)?.email;
        if (!contact || !email) continue;
        const next = upcoming
          .filter(
            (b) =>
              b.status !== 'CANCELLED' &&
              b.start > now &&
              b.attendeeEmails.some((e) => normaliseEmail(e) === email),
          )
          .sort((a, b) => a.start.getTime() - b.start.getTime())[0];
        const input: SetNextBookingInput = {
          crmContactId: contact,
          nextBookingAt: next ? next.start.toISOString() : null,
        };
        await submit(
          workspace,
          SYNC_RULE_EFFECTS['calendar-to-crm'].operation,
          input,
          `rule:calendar-to-crm:${eventKey}:${customerId}`,
        );
      }
    },
  };
}

export type SyncRules = ReturnType<typeof createSyncRules>;
