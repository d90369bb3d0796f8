import { GraphQLError } from 'graphql';
import type { Resolvers, SourceSystem } from '../src/graph/resolvers-types.generated.ts';
import type { GraphContext } from '../src/graph/context.ts';
import type { WorkspaceModel } from '../src/graph/models.ts';
import { badInput } from '../src/graph/errors.ts';
import { ROLES } from '../src/domain/source-module.ts';
import { noteAuditTarget } from '../src/security/plugins.ts';
import { WORKSPACE_ID, type WorkspaceDirectory, type WorkspaceRow } from '../src/workspaces/directory.ts';
import { connectionView } from '../src/connections/connections.ts';
import type { Workspace } from '../src/domain/workspace.ts';

/** Workspaces made at run time (src/workspaces/directory.ts): `workspaces` and `createWorkspace`. */

function directoryOf(ctx: GraphContext): WorkspaceDirectory {
  const directory = ctx.hub.directory;
  if (!directory)
    throw new GraphQLError('This hub was built without run-time workspaces.', {
      extensions: { code: 'NOT_SUPPORTED' },
    });
  return directory;
}

/** The studio running the hub: operators of the environment's workspace. */
const isHome = (ctx: GraphContext) => ctx.workspace.id === ctx.hub.defaultWorkspace.id;

/** A served workspace as `Workspace`: its row (when made at run time) gives when it was made. */
function modelOf(served: Workspace, row: WorkspaceRow | undefined): WorkspaceModel {
  return served.madeAtRunTime
    ? { served, origin: 'CONSOLE', createdAt: row?.createdAt ?? null }
    : { served, origin: 'ENVIRONMENT', createdAt: null };
}

export const workspaceResolvers: Resolvers = {
  Workspace: {
    id: (w) => w.served.id,
    name: (w) => w.served.name,
    currency: (w) => w.served.currency,
    current: (w, _, ctx) => w.served.id === ctx.workspace.id,
    systems: async (w, _, ctx) =>
      Promise.all(
        ROLES.map(async (role) => {
          const system = w.served.sources[role].client.source;
          const view = connectionView(
            await ctx.hub.connections?.current(w.served.id, system),
            w.served.madeAtRunTime === true,
          );
          return {
            system: system.toUpperCase() as SourceSystem,
            role: role.toUpperCase(),
            // Without a console connection, only the environment's own workspace has credentials.
            connected: view.method !== 'none',
            account: view.account,
          };
        }),
      ),
  },
  Query: {
    workspaces: async (_, __, ctx) => {
      const rows = new Map((ctx.hub.directory ? await ctx.hub.directory.list() : []).map((r) => [r.id, r]));
      if (!isHome(ctx)) return [modelOf(ctx.workspace, rows.get(ctx.workspace.id))];
      // The environment's first, then those made at run time oldest first, then any other configured one.
      const ids = [ctx.hub.defaultWorkspace.id, ...rows.keys()];
      for (const id of ctx.hub.workspaces.keys()) if (!ids.includes(id)) ids.push(id);
      return ids.flatMap((id) => {
        const served = ctx.hub.workspaces.get(id);
        return served ? [modelOf(served, rows.get(id))] : [];
      });
    },
  },
  Mutation: {
    createWorkspace: async (_, { input }, ctx) => {
      const directory = directoryOf(ctx);
      if (!isHome(ctx))
        throw new GraphQLError(
          `Only operators of the hub's own workspace ("${ctx.hub.defaultWorkspace.id}") make workspaces; this credential is of "${ctx.workspace.id}".`,
          { extensions: { code: 'FORBIDDEN' } },
        );
      const id = input.id.trim();
      if (!WORKSPACE_ID.test(id))
        throw badInput(
          `"${id.slice(0, 60)}" is not a workspace id: use 3 to 40 lower-case letters, digits and hyphens, starting and ending with a letter or digit, e.g. "harbour-lane"`,
          'input.id',
        );
      const name = input.name.trim();
      if (name.length < 1 || name.length > 100) throw badInput('"name" is 1 to 100 characters', 'input.name');
      const currency = (input.currency ?? 'GBP').trim().toUpperCase();
      if (!/^[A-Z]{3}$/.test(currency))
        throw badInput(
          `"${currency.slice(0, 20)}" is not an ISO 4217 currency code: give three letters, e.g. GBP or EUR`,
          'input.currency',
        );
      const actor = ctx.caller.principal.actor;
      const { served, row } = await directory.create({ id, name, currency }, actor);
      noteAuditTarget(ctx, 'createWorkspace', id);
      const created = await ctx.security.keys.create({
        workspace: id,
        kind: 'secret',
        mode: ctx.security.mode,
        name: 'operator (made with the workspace)',
        scopes: [...ctx.caller.principal.scopes],
        allowedOrigins: [],
        expiresAt: null,
        createdBy: actor,
      });
      ctx.security.created();
      return {
        workspace: modelOf(served, row),
        operatorKey: created.text,
      };
    },
  },
};
