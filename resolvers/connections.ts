import { GraphQLError } from 'graphql';
import type { Resolvers, SourceSystem } from '../src/graph/resolvers-types.generated.ts';
import type { GraphContext } from '../src/graph/context.ts';
import { badInput } from '../src/graph/errors.ts';
import { sourceStatuses } from '../src/observability/source-status.ts';
import { noteAuditTarget } from '../src/security/plugins.ts';
import { redirectUriFor } from '../src/connections/callback.ts';
import { CodeExchangeError } from '../src/upstream/oauth.ts';
import { connectionView, type Connections } from '../src/connections/connections.ts';

/** Connecting vendors from the console (src/connections/): the mutations and `Source.connection`. */

function connectionsOf(ctx: GraphContext): Connections {
  const connections = ctx.hub.connections;
  if (!connections)
    throw new GraphQLError('This hub was built without console connections.', {
      extensions: { code: 'NOT_SUPPORTED' },
    });
  return connections;
}

/** The system's module and settings in the caller's workspace, or a clear refusal. */
function boundSystem(ctx: GraphContext, system: SourceSystem) {
  const connections = connectionsOf(ctx);
  const id = system.toLowerCase();
  const bound = connections.bound(ctx.workspace.id, id);
  if (!bound) {
    throw badInput(
      `${system} plays no role in workspace "${ctx.workspace.id}": its systems are ${Object.values(
        ctx.workspace.sources,
      )
        .map((s) => s.client.source.toUpperCase())
        .join(', ')}.`,
      'system',
    );
  }
  return { connections, id, ...bound };
}

async function statusOf(ctx: GraphContext, id: string) {
  const status = (await sourceStatuses(ctx.hub, ctx.workspace.id)).find((s) => s.source === id);
  if (!status) throw new Error(`no status for ${id}`);
  return status;
}

export const connectionResolvers: Resolvers = {
  Source: {
    connection: async (s, _, ctx) => {
      const connections = ctx.hub.connections;
      if (!connections) return null;
      const module = connections.bound(s.workspace, s.source)?.module;
      const connectWith = module?.consent ? 'CONSENT' : module?.keyConnect ? 'KEY' : null;
      const ways = { canConnect: connectWith !== null, connectWith } as const;
      const stored = await connections.current(s.workspace, s.source);
      const madeAtRunTime = ctx.hub.workspaces.get(s.workspace)?.madeAtRunTime === true;
      return { ...connectionView(stored, madeAtRunTime), ...ways };
    },
  },
  Mutation: {
    startConnection: async (_, { system }, ctx) => {
      const { connections, id, module } = boundSystem(ctx, system);
      if (!module.consent) {
        throw badInput(
          module.keyConnect
            ? `${module.label} is connected with a key: use connectWithKey.`
            : `${module.label} cannot be connected from the console yet: set its credentials in the environment.`,
          'system',
        );
      }
      noteAuditTarget(ctx, 'startConnection', id);
      const { state, expiresAt } = await connections.states.issue({
        workspace: ctx.workspace.id,
        system: id,
        actor: ctx.caller.principal.actor,
      });
      const publicUrl = connections.publicUrl ?? new URL(ctx.request.url).origin;
      const bound = connections.bound(ctx.workspace.id, id)!;
      try {
        return {
          authorizeUrl: module.consent.authorizeUrl(bound.settings, {
            redirectUri: redirectUriFor(publicUrl, id),
            state,
          }),
          expiresAt,
        };
      } catch (error) {
        // The module cannot send anyone to the vendor yet (no OAuth client configured): say what to set.
        if (error instanceof CodeExchangeError) throw badInput(error.message, 'system');
        throw error;
      }
    },
    connectWithKey: async (_, { system, key }, ctx) => {
      const { connections, id, module, settings } = boundSystem(ctx, system);
      if (!module.keyConnect) {
        throw badInput(
          module.consent
            ? `${module.label} is connected through its consent page: use startConnection.`
            : `${module.label} cannot be connected with a key.`,
          'system',
        );
      }
      const trimmed = key.trim();
      const malformed = module.keyConnect.check(trimmed);
      if (malformed) throw badInput(malformed, 'key');
      noteAuditTarget(ctx, 'connectWithKey', id);
      try {
        await module.keyConnect.verify(settings, trimmed);
      } catch (error) {
        if (!(error instanceof CodeExchangeError)) throw error;
        throw new GraphQLError(`${module.label} refused the key: ${error.message}. Nothing was changed.`, {
          extensions: { code: 'KEY_REFUSED', argument: 'key', vendorCode: error.vendorCode ?? null },
        });
      }
      await connections.saveKey(ctx.workspace.id, id, trimmed, ctx.caller.principal.actor);
      return statusOf(ctx, id);
    },
    disconnect: async (_, { system }, ctx) => {
      const { connections, id } = boundSystem(ctx, system);
      noteAuditTarget(ctx, 'disconnect', id);
      await connections.disconnect(ctx.workspace.id, id, ctx.caller.principal.actor);
      return statusOf(ctx, id);
    },
  },
};
