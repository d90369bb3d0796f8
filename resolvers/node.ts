import type { GraphContext } from '../src/graph/context.ts';
import type { Resolvers, ResolversInterfaceTypes } from '../src/graph/resolvers-types.generated.ts';
import { fromGlobalId, splitSourceId } from '../src/graph/ids.ts';
import { badInput } from '../src/graph/errors.ts';
import { orNull } from './write-helpers.ts';
import type { GraphQLSchema } from 'graphql';
import { directiveScopes, missingScopes } from '../src/security/scopes.ts';

type NodeModel = ResolversInterfaceTypes<Record<string, never>>['Node'];

/**
 * Any node by global id; null for ids that are malformed, of another workspace, or gone, and for
 * types the caller may not read (checked before loading, so it costs no vendor call).
 */
async function loadNode(id: string, ctx: GraphContext, schema: GraphQLSchema): Promise<NodeModel | null> {
  const parsed = fromGlobalId(id);
  if (!parsed) return null;
  const required = directiveScopes(schema.getType(parsed.type)?.astNode?.directives);
  if (missingScopes(required, ctx.caller.principal.scopes)) return null;
  const { sources } = ctx.workspace;
  const external = splitSourceId(parsed.localId);
  switch (parsed.type) {
    case 'Customer':
      return ctx.loaders.customer.load(parsed.localId);
    case 'Operation':
      return ctx.hub.engine.get(ctx.workspace.id, parsed.localId);
    case 'SyncIssue':
      return ctx.hub.issues.get(ctx.workspace.id, parsed.localId);
    case 'Booking':
      return external?.system === sources.calendar.name
        ? orNull(ctx.loaders.booking.load(external.externalId))
        : null;
    case 'Order':
      return external?.system === sources.payments.name
        ? orNull(ctx.loaders.order.load(external.externalId))
        : null;
    case 'Invoice':
      return external?.system === sources.accounting.name
        ? orNull(ctx.loaders.invoice.load(external.externalId))
        : null;
  }
}

export const nodeResolvers: Resolvers = {
  Node: {
    __resolveType: (node) => {
      if ('steps' in node) return 'Operation';
      if ('kind' in node) return 'SyncIssue';
      // By shape, not by system: an invoice is an invoice whichever books it is in.
      if ('attendeeEmails' in node) return 'Booking';
      if ('amountReceived' in node) return 'Order';
      if ('amountDue' in node) return 'Invoice';
      return 'Customer';
    },
  },
  Query: {
    node: (_, { id }, ctx, info) => loadNode(id, ctx, info.schema),
    nodes: (_, { ids }, ctx, info) => {
      if (ids.length > 100) throw badInput(`"ids" takes at most 100 ids, got ${ids.length}`, 'ids');
      return Promise.all(ids.map((id) => loadNode(id, ctx, info.schema)));
    },
  },
};
