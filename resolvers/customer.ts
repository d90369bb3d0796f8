import type { PersonRecord, SourceName } from '../src/domain/model.ts';
import { normaliseEmail } from '../src/domain/model.ts';
import type { GraphContext } from '../src/graph/context.ts';
import type { CustomerModel } from '../src/graph/models.ts';
import type { Resolvers } from '../src/graph/resolvers-types.generated.ts';
import { checkFirst, cursorPage, decodeCursor, sliceConnection } from '../src/graph/connection.ts';
import { expectGlobalId, toGlobalId } from '../src/graph/ids.ts';
import { eventsByAttendee } from '../src/graph/loaders.ts';
import { checkWindow, defaultWindow, link, sumMoney, windowKey } from './shared.ts';

/** The record contact details come from: the CRM's, else the payment provider's, else the accounting package's. */
export async function profile(customer: CustomerModel, ctx: GraphContext): Promise<PersonRecord | null> {
  const links = await ctx.loaders.customerLinks.load(customer.id);
  const of = (system: SourceName) => links.find((l) => l.system === system)?.externalId;
  const hubspot = of('hubspot');
  if (hubspot) return ctx.loaders.crmContact.load(hubspot);
  const stripe = of('stripe');
  if (stripe) return ctx.loaders.paymentCustomer.load(stripe);
  const xero = of('xero');
  if (xero) return ctx.loaders.accountingContact.load(xero);
  return null;
}

/** The customer's id in `system`: its link, or a lazy lookup by email that stores the link it finds. */
export async function linkedId(customer: CustomerModel, system: 'stripe' | 'xero', ctx: GraphContext) {
  const links = await ctx.loaders.customerLinks.load(customer.id);
  const found = links.find((l) => l.system === system)?.externalId;
  if (found) return found;
  return ctx.loaders.lazy[system].load(customer.id);
}

async function orders(customer: CustomerModel, ctx: GraphContext) {
  const id = await linkedId(customer, 'stripe', ctx);
  return id ? ctx.loaders.ordersByPaymentCustomer.load(id) : [];
}

async function invoices(customer: CustomerModel, ctx: GraphContext) {
  const id = await linkedId(customer, 'xero', ctx);
  return id ? ctx.loaders.invoicesByAccountingContact.load(id) : [];
}

const OUTSTANDING = new Set(['SUBMITTED', 'AUTHORISED']);

export const customerResolvers: Resolvers = {
  Customer: {
    id: (c) => toGlobalId('Customer', c.id),
    displayName: async (c, _, ctx) => (await profile(c, ctx))?.name ?? c.displayName,
    firstName: async (c, _, ctx) => (await profile(c, ctx))?.firstName ?? null,
    lastName: async (c, _, ctx) => (await profile(c, ctx))?.lastName ?? null,
    email: async (c, _, ctx) => (await profile(c, ctx))?.email ?? c.email,
    phone: async (c, _, ctx) => (await profile(c, ctx))?.phone ?? null,
    company: async (c, _, ctx) => (await profile(c, ctx))?.company ?? null,
    lifecycleStage: async (c, _, ctx) => {
      const record = await profile(c, ctx);
      return record && 'lifecycleStage' in record ? (record.lifecycleStage as string | null) : null;
    },
    updatedAt: async (c, _, ctx) => (await profile(c, ctx))?.updatedAt ?? null,
    links: async (c, _, ctx) => {
      const sources = ctx.workspace.sources;
      const bySystem = { hubspot: sources.crm, stripe: sources.payments, xero: sources.accounting };
      return (await ctx.loaders.customerLinks.load(c.id)).map((l) =>
        link(
          l.system,
          l.externalId,
          bySystem[l.system as keyof typeof bySystem]?.recordUrl('customer', l.externalId) ?? null,
        ),
      );
    },
    bookings: async (c, args, ctx) => {
      const fallback = defaultWindow(ctx.now);
      const from = args.from ?? fallback.from;
      const to = args.to ?? fallback.to;
      checkWindow(from, to);
      const first = checkFirst(args.first, 500, 50);
      const email = normaliseEmail(c.email);
      if (!email) return sliceConnection([], first, args.after);
      const events = await ctx.loaders.calendarWindow.load(windowKey(from, to));
      const statuses = args.status ? new Set<string>(args.status) : null;
      const mine = (eventsByAttendee(events).get(email) ?? [])
        .filter((e) => e.start >= from && e.start < to && (!statuses || statuses.has(e.status)))
        .sort((a, b) => a.start.getTime() - b.start.getTime());
      return sliceConnection(mine, first, args.after);
    },
    orders: async (c, args, ctx) => {
      const first = checkFirst(args.first, 500, 50);
      const statuses = args.status ? new Set<string>(args.status) : null;
      const list = (await orders(c, ctx))
        .filter((o) => !statuses || statuses.has(o.status))
        .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
      return sliceConnection(list, first, args.after);
    },
    invoices: async (c, args, ctx) => {
      const first = checkFirst(args.first, 500, 50);
      const statuses = args.status ? new Set<string>(args.status) : null;
      const list = (await invoices(c, ctx))
        .filter((i) => !statuses || statuses.has(i.status))
        .sort((a, b) => (b.issuedOn?.getTime() ?? 0) - (a.issuedOn?.getTime() ?? 0));
      return sliceConnection(list, first, args.after);
    },
    outstandingBalance: async (c, _, ctx) =>
      sumMoney(
        (await invoices(c, ctx)).filter((i) => OUTSTANDING.has(i.status)).map((i) => i.amountDue),
        ctx.workspace.currency,
      ),
    lifetimeValue: async (c, _, ctx) => {
      const paid = (await orders(c, ctx)).filter((o) => o.status === 'SUCCEEDED');
      const received = sumMoney(
        paid.map((o) => o.amountReceived),
        ctx.workspace.currency,
      );
      const refunded = sumMoney(
        paid.map((o) => o.amountRefunded),
        ctx.workspace.currency,
      );
      return { amount: received.amount - refunded.amount, currency: received.currency };
    },
    syncIssues: (c, _, ctx) => ctx.loaders.syncIssues.load(c.id),
  },
  Query: {
    customer: async (_, { id }, ctx) => ctx.loaders.customer.load(expectGlobalId(id, 'Customer')),
    customers: async (_, { search, first: firstArg, after }, ctx) => {
      const first = checkFirst(firstArg, 1000, 20);
      const ws = ctx.workspace.id;
      if (search == null || search.trim() === '') {
        const afterId = after ? decodeCursor(after, 'c') : undefined;
        const [rows, total] = await Promise.all([
          ctx.hub.links.listCustomers(ws, first + 1, afterId),
          ctx.hub.links.countCustomers(ws),
        ]);
        const page = rows.slice(0, first);
        for (const row of page) ctx.loaders.customer.prime(row.id, row);
        return cursorPage(page, {
          cursor: (node) => `c:${node.id}`,
          hasNextPage: rows.length > first,
          hasPreviousPage: Boolean(after),
          totalCount: total,
        });
      }
      // Search is the CRM's: it owns identity. Contacts the hub has not met yet become customers here.
      const crmAfter = after ? decodeCursor(after, 's') : undefined;
      const page = await ctx.workspace.sources.crm.searchContacts(search.trim(), first, crmAfter);
      const known = await ctx.hub.links.entitiesFor(
        ws,
        'customer',
        'hubspot',
        page.items.map((c) => c.externalId),
      );
      const nodes: CustomerModel[] = [];
      for (const contact of page.items) {
        ctx.hub.cache.set(ws, 'hubspot', 'contact', contact.externalId, contact);
        let id = known.get(contact.externalId);
        if (!id) {
          const created = await ctx.hub.links.createCustomer(ws, {
            email: normaliseEmail(contact.email),
            displayName: contact.name,
          });
          const outcome = await ctx.hub.links.link(
            ws,
            'customer',
            created.id,
            'hubspot',
            contact.externalId,
            'lazy',
          );
          id = outcome === 'conflict' ? undefined : created.id;
        }
        const row = id ? await ctx.loaders.customer.load(id) : null;
        if (row) nodes.push(row);
      }
      return cursorPage(nodes, {
        cursor: (node) => `c:${node.id}`,
        hasNextPage: Boolean(page.next),
        hasPreviousPage: Boolean(after),
        endCursor: page.next ? `s:${page.next}` : undefined,
      });
    },
  },
};
