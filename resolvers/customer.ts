import type { PersonRecord } from '../src/domain/model.ts';
import { ROLES } from '../src/domain/source-module.ts';
import { RESOURCES, type PeopleRole } from '../src/cache/keys.ts';
import { normaliseEmail } from '../src/domain/model.ts';
import type { GraphContext } from '../src/graph/context.ts';
import type { CustomerModel } from '../src/graph/models.ts';
import type { Resolvers } from '../src/graph/resolvers-types.generated.ts';
import { checkFirst, cursorPage, decodeCursor, selects, sliceConnection } from '../src/graph/connection.ts';
import { expectGlobalId, toGlobalId } from '../src/graph/ids.ts';
import { eventsByAttendee } from '../src/graph/loaders.ts';
import { checkWindow, defaultWindow, link, sumMoney, windowKey } from './shared.ts';

/** Each request's profiles, by customer: a page asks for five or more fields of each. */
const profiles = new WeakMap<GraphContext, Map<string, Promise<PersonRecord | null>>>();

/** The record contact details come from: the CRM's, else the payment provider's, else the accounting package's. */
export function profile(customer: CustomerModel, ctx: GraphContext): Promise<PersonRecord | null> {
  if (ctx.longLived) return findProfile(customer, ctx);
  let known = profiles.get(ctx);
  if (!known) profiles.set(ctx, (known = new Map()));
  let found = known.get(customer.id);
  if (!found) known.set(customer.id, (found = findProfile(customer, ctx)));
  return found;
}

async function findProfile(customer: CustomerModel, ctx: GraphContext): Promise<PersonRecord | null> {
  const crm = await linkedIn(customer, 'crm', ctx);
  if (crm) return ctx.loaders.crmContact.load(crm);
  const payments = await linkedIn(customer, 'payments', ctx);
  if (payments) return ctx.loaders.paymentCustomer.load(payments);
  const accounting = await linkedIn(customer, 'accounting', ctx);
  if (accounting) return ctx.loaders.accountingContact.load(accounting);
  return null;
}

/** The customer's record in the system bound to `role`, if linked. */
export async function linkedIn(customer: CustomerModel, role: PeopleRole, ctx: GraphContext) {
  const system = ctx.workspace.sources[role].name;
  return (
    (await ctx.loaders.customerLinks.load(customer.id)).find((l) => l.system === system)?.externalId ?? null
  );
}

/**
 * The customer's record in the payments or accounting system: its link, or a lazy lookup by email
 * that stores the link it finds.
 */
export async function linkedId(customer: CustomerModel, role: 'payments' | 'accounting', ctx: GraphContext) {
  return (await linkedIn(customer, role, ctx)) ?? ctx.loaders.lazy[role].load(customer.id);
}

async function orders(customer: CustomerModel, ctx: GraphContext) {
  const id = await linkedId(customer, 'payments', ctx);
  return id ? ctx.loaders.ordersByPaymentCustomer.load(id) : [];
}

async function invoices(customer: CustomerModel, ctx: GraphContext) {
  const id = await linkedId(customer, 'accounting', ctx);
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
      // Links to a system the workspace no longer binds (an accounting package left behind) stay, without a URL.
      const bound = (system: string) => ROLES.map((role) => sources[role]).find((s) => s.name === system);
      return (await ctx.loaders.customerLinks.load(c.id)).map((l) =>
        link(l.system, l.externalId, bound(l.system)?.recordUrl('customer', l.externalId) ?? null),
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
    customers: async (_, { search, first: firstArg, after }, ctx, info) => {
      const first = checkFirst(firstArg, 1000, 20);
      const ws = ctx.workspace.id;
      if (search == null || search.trim() === '') {
        const afterId = after ? decodeCursor(after, 'c') : undefined;
        const counted = selects(info, 'totalCount');
        if (counted) ctx.reads?.table('links');
        const [rows, total] = await Promise.all([
          ctx.loaders.customersPage.load(`${first + 1}:${afterId ?? ''}`),
          counted ? ctx.hub.links.countCustomers(ws) : null,
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
      // No webhook says a search's answer changed, so it is never kept as a whole response.
      ctx.reads?.untracked('a CRM search');
      const crmAfter = after ? decodeCursor(after, 's') : undefined;
      const crm = ctx.workspace.sources.crm;
      const page = await crm.searchContacts(search.trim(), first, crmAfter);
      const nodes: CustomerModel[] = [];
      for (const contact of page.items) {
        ctx.hub.cache.set(ws, crm.name, RESOURCES.person.crm, contact.externalId, contact);
        const id = await ctx.hub.identity.customerFor(ws, { ...contact, role: 'crm' }, { origin: 'lazy' });
        const row = await ctx.loaders.customer.load(id);
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
