import type { Resolvers } from '../src/graph/resolvers-types.generated.ts';

export const reconciliationResolvers: Resolvers = {
  Query: {
    reconciliation: (_, __, ctx) => ctx.hub.reconciler.status(ctx.workspace.id),
  },
  Mutation: {
    reconcile: (_, __, ctx) => ctx.hub.reconciler.start(ctx.workspace.id, 'request'),
  },
};
