import type { Logger } from 'pino';
import { GraphQLError } from 'graphql';
import type { Workspace, WorkspaceSources } from '../domain/workspace.ts';
import { ROLES, type Role } from '../domain/source-module.ts';
import type { Connections } from '../connections/connections.ts';
import type { Store } from '../store/store.ts';
import { PEOPLE_ROLES } from '../cache/keys.ts';
import { connectSource, type ConnectOptions, type SourceBindings } from '../sources.ts';

/**
 * Workspaces made at run time (`createWorkspace`): one per business a studio's hub serves besides the
 * one its environment configures. A row in `workspaces` is the business (id, name, currency); its
 * systems are the hub's configured adapters, each connected from that workspace's console, and
 * nothing else:
 *
 * - every vendor call is refused with "not connected" until that system has a console connection in
 *   the workspace (`admit`), so the environment's credentials, which belong to the first business,
 *   are never used for another;
 * - an adapter tied to one account (Xero's organisation, QuickBooks' company) is rebuilt for the
 *   account chosen on the consent page whenever a connection changes (`SourceConsent.account`);
 * - every replica serves it: the one that made it tells the others through the event bus
 *   (resource `workspace`), and each loads the rows at start.
 */

/** The cache-invalidation resource that tells every replica a workspace was made. */
export const WORKSPACE_RESOURCE = 'workspace';

export interface WorkspaceRow {
  id: string;
  name: string;
  currency: string;
  createdAt: Date;
  createdBy: string;
}

export interface WorkspaceDirectory {
  /** Serves the workspaces stored by earlier runs or other replicas (at start). */
  load(): Promise<number>;
  /** Stores and serves a new workspace; every replica is told. Refuses an id in use. */
  create(
    input: { id: string; name: string; currency: string },
    by: string,
  ): Promise<{ served: Workspace; row: WorkspaceRow }>;
  /** The stored rows (not the environment's workspace), oldest first. */
  list(): Promise<WorkspaceRow[]>;
  get(id: string): Promise<WorkspaceRow | undefined>;
  /** Another replica made `id`: serve it here too (no-op when already served). */
  learn(id: string): Promise<void>;
}

/** Lower-case letters, digits and hyphens: it goes in a header and in URLs. */
export const WORKSPACE_ID = /^[a-z0-9](?:[a-z0-9-]{1,38}[a-z0-9])$/;

export function createWorkspaceDirectory(deps: {
  store: Store;
  hub: {
    workspaces: ReadonlyMap<string, Workspace>;
    addWorkspace(workspace: Workspace): void;
  };
  connections: Connections;
  /** The environment's adapters and settings: a new workspace gets the same adapters. */
  bindings: SourceBindings;
  /** Upstream policy as every workspace has it (timeouts, budgets, breaker, metrics, tracer). */
  upstream: Omit<ConnectOptions, 'workspace' | 'connections' | 'admit'>;
  /**
   * Run on the replica where a system was connected, once every people role (CRM, payments,
   * accounting) of a run-time workspace is connected: the link backfill, so its customers appear.
   */
  onReady?: (workspace: Workspace) => Promise<unknown>;
  /** Tells every replica (the event bus); without it only this process serves a new workspace. */
  announce?: (id: string) => Promise<void>;
  logger: Logger;
}): WorkspaceDirectory {
  const { store, hub, connections, bindings } = deps;
  const toRow = (r: {
    id: string;
    name: string;
    currency: string;
    created_at: string;
    created_by: string;
  }): WorkspaceRow => ({
    id: r.id,
    name: r.name,
    currency: r.currency,
    createdAt: new Date(r.created_at),
    createdBy: r.created_by,
  });

  /** One role's adapter, for the account the workspace's connection chose (if the vendor has accounts). */
  const connectRole = async (workspace: string, role: Role) => {
    const { module, settings } = bindings[role];
    const connection = await connections.current(workspace, module.id);
    const account = connection && !('disconnected' in connection) ? connection.account : undefined;
    const chooser = module.consent?.account;
    const connected = connectSource(
      role,
      { module, settings: account && chooser ? chooser.apply(settings, account.id) : settings },
      {
        ...deps.upstream,
        workspace,
        connections,
        admit: (system) => connections.requireConnected(workspace, system),
      },
    );
    return { source: connected.source, account: account?.id };
  };

  /** Each role's adapter rebuild after a connection change, in order (`<workspace>\0<role>`). */
  const rebuilds = new Map<string, Promise<void>>();

  /** The backfill of a workspace, one at a time; asked again while running, it runs once more after. */
  const readying = new Map<string, { again: boolean }>();
  const ready = (workspace: Workspace) => {
    const onReady = deps.onReady;
    if (!onReady) return;
    const current = readying.get(workspace.id);
    if (current) return void (current.again = true);
    const entry = { again: false };
    readying.set(workspace.id, entry);
    void (async () => {
      do {
        entry.again = false;
        await Promise.all(ROLES.map((role) => rebuilds.get(`${workspace.id}\u0000${role}`)));
        const connected = await Promise.all(
          PEOPLE_ROLES.map((role) =>
            connections.requireConnected(workspace.id, bindings[role].module.id).then(
              () => true,
              () => false,
            ),
          ),
        );
        if (!connected.every(Boolean)) continue;
        await onReady(workspace).catch((error: unknown) =>
          deps.logger.error(
            { err: error, workspace: workspace.id },
            "linking a new workspace's customers failed",
          ),
        );
      } while (entry.again);
    })().finally(() => readying.delete(workspace.id));
  };
  connections.onConnected = (id) => {
    const workspace = hub.workspaces.get(id);
    if (workspace?.madeAtRunTime) ready(workspace);
  };

  /** One serve per id, whichever of load, learn or create asks first. */
  const serving = new Map<string, Promise<Workspace>>();
  const serve = (row: WorkspaceRow): Promise<Workspace> => {
    let pending = serving.get(row.id);
    if (!pending) {
      pending = build(row);
      serving.set(row.id, pending);
      pending.catch(() => serving.delete(row.id));
    }
    return pending;
  };

  const build = async (row: WorkspaceRow): Promise<Workspace> => {
    const built = await Promise.all(ROLES.map((role) => connectRole(row.id, role)));
    const sources = Object.fromEntries(ROLES.map((role, i) => [role, built[i]!.source])) as WorkspaceSources;
    const accounts = new Map(ROLES.map((role, i) => [role, built[i]!.account]));
    const workspace: Workspace = {
      id: row.id,
      name: row.name,
      currency: row.currency,
      sources,
      madeAtRunTime: true,
    };
    for (const role of ROLES) {
      const system = bindings[role].module.id;
      // A (re)connection may be to another organisation or company: rebuild that role's adapter for
      // it. Requests that already hold the old adapter finish with it.
      connections.onChange(row.id, system, () => {
        const key = `${row.id}\u0000${role}`;
        const rebuilding = (rebuilds.get(key) ?? Promise.resolve()).then(async () => {
          const next = await connectRole(row.id, role);
          if (next.account === accounts.get(role)) return void (await next.source.close());
          const old = sources[role];
          (sources as Record<Role, unknown>)[role] = next.source;
          accounts.set(role, next.account);
          deps.logger.info(
            { workspace: row.id, source: system },
            `workspace "${row.id}": ${bindings[role].module.label} now reads account ${next.account ?? '(none)'}`,
          );
          await old.close();
        });
        rebuilds.set(
          key,
          rebuilding.catch((error: unknown) =>
            deps.logger.error(
              { err: error, workspace: row.id, source: system },
              'rebuilding an adapter failed',
            ),
          ),
        );
      });
    }
    hub.addWorkspace(workspace);
    return workspace;
  };

  const get = async (id: string) => {
    const row = await store.db.selectFrom('workspaces').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toRow(row);
  };

  return {
    async load() {
      const rows = await store.db.selectFrom('workspaces').selectAll().orderBy('created_at').execute();
      let served = 0;
      for (const row of rows) {
        if (hub.workspaces.has(row.id)) continue;
        await serve(toRow(row));
        served++;
      }
      return served;
    },
    async create(input, by) {
      if (hub.workspaces.has(input.id) || (await get(input.id)))
        throw new GraphQLError(`A workspace "${input.id}" already exists: pick another id.`, {
          extensions: { code: 'CONFLICT', argument: 'input.id' },
        });
      const row: WorkspaceRow = { ...input, createdAt: new Date(), createdBy: by };
      try {
        await store.db
          .insertInto('workspaces')
          .values({
            id: row.id,
            name: row.name,
            currency: row.currency,
            created_at: row.createdAt.toISOString(),
            created_by: by,
          })
          .execute();
      } catch (error) {
        // Two operators racing for one id: the primary key lets one in.
        if (await get(input.id))
          throw new GraphQLError(`A workspace "${input.id}" already exists: pick another id.`, {
            extensions: { code: 'CONFLICT', argument: 'input.id' },
          });
        throw error;
      }
      const served = await serve(row);
      await deps
        .announce?.(row.id)
        .catch((error: unknown) =>
          deps.logger.warn(
            { err: error, workspace: row.id },
            'other replicas were not told of a new workspace',
          ),
        );
      return { served, row };
    },
    list: async () =>
      (await store.db.selectFrom('workspaces').selectAll().orderBy('created_at').execute()).map(toRow),
    get,
    async learn(id) {
      if (hub.workspaces.has(id)) return;
      const row = await get(id);
      if (row && !hub.workspaces.has(id)) await serve(row);
    },
  };
}
