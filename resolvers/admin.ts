import type { SourceName } from '../src/domain/model.ts';
import type {
  CircuitState,
  Resolvers,
  SourceState,
  TokenState,
} from '../src/graph/resolvers-types.generated.ts';
import { sourceStatuses } from '../src/observability/source-status.ts';
import { checkFirst, cursorPage, decodeCursor } from '../src/graph/connection.ts';
import { toGlobalId } from '../src/graph/ids.ts';
import { toSystem } from './shared.ts';
import { isSystem } from '../src/systems.ts';
import { connectionMapMarkdown } from '../src/graph/connection-map.ts';

/** The map depends only on the code, so it is made once per process, when first asked for. */
let connectionMapText: string | undefined;

export const adminResolvers: Resolvers = {
  SyncIssue: {
    id: (i) => toGlobalId('SyncIssue', i.id),
    systems: (i) => i.systems.map(toSystem),
    values: (i) =>
      Object.entries(i.details)
        .filter(([key]) => isSystem(key))
        .map(([system, value]) => ({
          system: toSystem(system as SourceName),
          value: value == null ? null : typeof value === 'string' ? value : JSON.stringify(value),
        })),
    customer: (i, _, ctx) => (i.customerId ? ctx.loaders.customer.load(i.customerId) : null),
  },
  Source: {
    system: (s) => toSystem(s.source),
    state: (s) => s.state.toUpperCase() as SourceState,
    lastError: (s) => s.lastError?.message ?? null,
    lastErrorAt: (s) => s.lastError?.at ?? null,
    recentErrorRate: (s) => s.breaker?.recentErrorRate ?? 0,
    recentCalls: (s) => s.breaker?.recentCalls ?? 0,
  },
  CircuitBreaker: {
    state: (b) => b.state.toUpperCase() as CircuitState,
  },
  SourceToken: {
    state: (t) => t.state.toUpperCase() as TokenState,
  },
  Query: {
    syncIssues: async (_, args, ctx) => {
      const first = checkFirst(args.first, 500, 50);
      const after = args.after ? decodeCursor(args.after, 'i') : undefined;
      const rows = await ctx.hub.issues.list(ctx.workspace.id, {
        kinds: args.kinds ?? undefined,
        includeResolved: args.includeResolved ?? false,
        first: first + 1,
        after,
      });
      return cursorPage(rows.slice(0, first), {
        cursor: (node) => `i:${node.id}`,
        hasNextPage: rows.length > first,
        hasPreviousPage: Boolean(after),
      });
    },
    sources: (_, __, ctx) => sourceStatuses(ctx.hub, ctx.workspace.id),
    connectionMapMarkdown: () => (connectionMapText ??= connectionMapMarkdown()),
  },
};
