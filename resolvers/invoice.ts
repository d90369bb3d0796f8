import type { Resolvers } from '../src/graph/resolvers-types.generated.ts';
import { checkFirst, cursorPage, decodeCursor } from '../src/graph/connection.ts';
import { expectGlobalId, splitSourceId, toGlobalId } from '../src/graph/ids.ts';
import { link, startOfUtcDay } from './shared.ts';

export const invoiceResolvers: Resolvers = {
  Invoice: {
    id: (i) => toGlobalId('Invoice', `${i.source}:${i.externalId}`),
    links: (i) => [link(i.source, i.externalId, i.url)],
    // Due before today (UTC), as the invoices(overdue) filter and Xero's own reports count it.
    overdue: (i, _, ctx) =>
      i.amountDue.amount > 0 &&
      i.status === 'AUTHORISED' &&
      i.dueOn !== null &&
      i.dueOn < startOfUtcDay(ctx.now),
    customer: async (i, _, ctx) => {
      if (!i.contactExternalId) return null;
      const id = await ctx.loaders.customerIdByExternal.load(`${i.source}:${i.contactExternalId}`);
      return id ? ctx.loaders.customer.load(id) : null;
    },
  },
  Query: {
    invoice: async (_, { id }, ctx) => {
      const parsed = splitSourceId(expectGlobalId(id, 'Invoice'));
      if (!parsed || parsed.system !== ctx.workspace.sources.accounting.name) return null;
      return ctx.loaders.invoice.load(parsed.externalId);
    },
    invoices: async (_, args, ctx) => {
      const first = checkFirst(args.first, 100, 50);
      const after = args.after ? decodeCursor(args.after, 'x') : undefined;
      const page = await ctx.workspace.sources.accounting.listInvoices(
        { statuses: args.status ?? undefined, overdue: args.overdue ?? undefined },
        first,
        after,
      );
      for (const invoice of page.items) ctx.loaders.invoice.prime(invoice.externalId, invoice);
      return cursorPage(page.items, {
        cursor: (node) => `xi:${node.externalId}`,
        hasNextPage: Boolean(page.next),
        hasPreviousPage: Boolean(after),
        endCursor: page.next ? `x:${page.next}` : undefined,
        totalCount: page.total,
      });
    },
  },
};
