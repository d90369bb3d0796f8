import { GraphQLError } from 'graphql';
import type { SourceName } from '../src/domain/model.ts';
import type {
  CircuitState,
  Resolvers,
  SourceState,
  TokenState,
} from '../src/graph/resolvers-types.generated.ts';
import type { GraphContext } from '../src/graph/context.ts';
import { createLoaders } from '../src/graph/loaders.ts';
import { createSyncIssueResolutions, SyncIssueRefused } from '../src/sync/resolutions.ts';
import { sourceStatuses } from '../src/observability/source-status.ts';
import { checkFirst, cursorPage, decodeCursor } from '../src/graph/connection.ts';
import { expectGlobalId, toGlobalId } from '../src/graph/ids.ts';
import { badInput } from '../src/graph/errors.ts';
import { toSystem } from './shared.ts';
import { isSystem } from '../src/systems.ts';
import { connectionMapMarkdown } from '../src/graph/connection-map.ts';

/** The map depends only on the code, so it is made once per process, when first asked for. */
let connectionMapText: string | undefined;

const resolutions = (ctx: GraphContext) => createSyncIssueResolutions(ctx.hub);

/** A refusal as the error the console shows; anything else goes on to the usual masking. */
async function refusalsAsErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof SyncIssueRefused)) throw error;
    throw new GraphQLError(error.message, {
      extensions: {
        code: error.code,
        ...(error.argument ? { argument: error.argument } : {}),
        ...error.details,
      },
    });
  }
}

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
    resolution: ({ resolution: r }) =>
      r && {
        kind: r.kind,
        winner: r.winner ? toSystem(r.winner) : null,
        reason: r.reason,
        by: r.by,
        at: r.at,
        operationId: r.operationId ? toGlobalId('Operation', r.operationId) : null,
      },
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
    sourceHistory: (_, args, ctx) => {
      const minutes = args.minutes ?? 60;
      if (!Number.isInteger(minutes) || minutes < 1 || minutes > 60)
        throw badInput(`minutes must be between 1 and 60, got ${minutes}.`, 'minutes');
      return Object.values(ctx.workspace.sources).map((s) => ({
        system: toSystem(s.client.source),
        minutes: s.client.activity.minutes(minutes),
      }));
    },
  },
  Mutation: {
    resolveSyncIssue: (_, args, ctx) =>
      refusalsAsErrors(async () => {
        const id = expectGlobalId(args.id, 'SyncIssue');
        const winner = args.winner.toLowerCase() as SourceName;
        const { issue, operation } = await resolutions(ctx).resolve(
          ctx.workspace,
          id,
          winner,
          ctx.caller.principal.actor,
          ctx.signal,
        );
        // The payload's customer must be read as written, not from what this request loaded before.
        ctx.loaders = createLoaders(ctx.hub, ctx.workspace, ctx.signal, { freshness: ctx.freshness });
        return { syncIssue: issue, operation };
      }),
    dismissSyncIssue: (_, args, ctx) =>
      refusalsAsErrors(() =>
        resolutions(ctx).dismiss(
          ctx.workspace.id,
          expectGlobalId(args.id, 'SyncIssue'),
          args.reason,
          ctx.caller.principal.actor,
        ),
      ),
  },
};
