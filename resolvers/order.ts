import type { Resolvers } from '../src/graph/resolvers-types.generated.ts';
import { expectGlobalId, splitSourceId, toGlobalId } from '../src/graph/ids.ts';
import { link } from './shared.ts';

export const orderResolvers: Resolvers = {
  Order: {
    id: (o) => toGlobalId('Order', `${o.source}:${o.externalId}`),
    links: (o) => [link(o.source, o.externalId, o.url)],
    invoiceNumber: (o) => o.invoiceNumber,
    customer: async (o, _, ctx) => {
      if (!o.customerExternalId) return null;
      const id = await ctx.loaders.customerIdByExternal.load(`${o.source}:${o.customerExternalId}`);
      return id ? ctx.loaders.customer.load(id) : null;
    },
  },
  Query: {
    order: async (_, { id }, ctx) => {
      const parsed = splitSourceId(expectGlobalId(id, 'Order'));
      if (!parsed || parsed.system !== ctx.workspace.sources.payments.name) return null;
      return ctx.loaders.order.load(parsed.externalId);
    },
  },
};
