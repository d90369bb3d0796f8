import type { Resolvers } from '../src/graph/resolvers-types.generated.ts';

export const reconciliationResolvers: Resolvers = {
  Query: {
    reconciliation: (_, __, ctx) => ctx.hub.reconciler.status(ctx.workspace.id),
  },
  Mutation: {
    reconcile: async (_, __, ctx) => {
      const run = await ctx.hub.reconciler.start(ctx.workspace.id, 'request');
      // The audit log names the run the operator started (or was given).
      ctx.auditTargets?.set('reconcile', [...(ctx.auditTargets.get('reconcile') ?? []), run.id]);
      return run;
    },
  },
};
