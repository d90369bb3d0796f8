import { randomBytes } from 'node:crypto';
import { SourceError } from '../domain/errors.ts';
import type { AnySourceModule } from '../domain/source-module.ts';
import type { RefreshTokenStore } from '../upstream/oauth.ts';
import type { ExchangedTokens } from '../upstream/oauth.ts';
import { createSourceStateRepository, type SourceStateRepository } from '../store/source-state.ts';
import type { Store } from '../store/store.ts';
import { createConsentStates, type ConsentStates } from './states.ts';

/**
 * Connections made from the console: per workspace and system, a `source_state` row `connection`
 * (plain JSON: which connection, how, when, by whom; or that it was disconnected) and the
 * credentials under that connection's own lineage `c-<id>`, sealed like every token in the store:
 * `refresh_token:c-<id>` and `access_token:c-<id>` (OAuth), `api_key:c-<id>` (a pasted key).
 *
 * A connection overrides the environment's credentials for its system. A new connection is a new
 * lineage, so nothing of the previous one (rotated refresh token, shared access token, failed
 * refresh, lease) is ever mixed into it; the previous one's rows are deleted. Token providers are
 * told at once (`onChange` → `reset`): in this process directly, on other replicas through the
 * event bus (`announce`, a cache invalidation of resource `connection`, wired in src/compose.ts).
 */

/** The cache-invalidation resource that tells every replica a connection changed. */
export const CONNECTION_RESOURCE = 'connection';

export interface ConnectionRecord {
  id: string;
  method: 'oauth' | 'key';
  connectedAt: string;
  by: string;
  /**
   * The vendor account the consent chose (Xero's organisation, QuickBooks' company), kept for a
   * workspace made at run time: its adapter is built for that account (src/workspaces/).
   */
  account?: ConnectedAccount;
}

export interface ConnectedAccount {
  id: string;
  name?: string;
}

export type StoredConnection = ConnectionRecord | { disconnected: true; at: string; by: string };

export interface Connections {
  states: ConsentStates;
  /** PUBLIC_URL, for redirect URIs; without it, the origin the request came to (same as the console's). */
  publicUrl?: string;
  /** What connectSources bound: each workspace's module and settings per system. */
  bind(workspace: string, module: AnySourceModule, settings: unknown): void;
  bound(workspace: string, system: string): { module: AnySourceModule; settings: unknown } | undefined;
  current(workspace: string, system: string): Promise<StoredConnection | undefined>;
  saveTokens(
    workspace: string,
    system: string,
    tokens: ExchangedTokens,
    by: string,
    account?: ConnectedAccount,
  ): Promise<ConnectionRecord>;
  saveKey(workspace: string, system: string, key: string, by: string): Promise<ConnectionRecord>;
  disconnect(workspace: string, system: string, by: string): Promise<void>;
  /** The connection-aware token store a module's token provider is given (wrapping the configured lineage's). */
  tokenStore(workspace: string, system: string, configured: RefreshTokenStore | undefined): RefreshTokenStore;
  /** The key to use now: the connected one, the configured one, or a "not connected" error. */
  apiKey(workspace: string, system: string, configured: string): Promise<string>;
  /**
   * Throws "not connected" unless the system has a live console connection in the workspace (a
   * workspace made at run time asks this before every vendor call). Remembered until a change.
   */
  requireConnected(workspace: string, system: string): Promise<void>;
  onChange(workspace: string, system: string, listener: () => void): void;
  /** Tells this process's listeners (called for this replica's changes and other replicas'). */
  changedHere(workspace: string, system: string): void;
  /** Called on the replica where a system was (re)connected, after every replica was told. */
  onConnected?: (workspace: string, system: string) => void;
  /** Tells every replica; without it, only this process's listeners hear of a change. */
  announce?: (workspace: string, system: string) => Promise<void>;
  /** Forgets every connection made from the console (sandbox mode: its sandboxes start afresh). */
  forgetAll(): Promise<number>;
}

/**
 * How a system's credentials stand in a workspace, as the API shows them: `environment` (no console
 * connection; a workspace made at run time has no environment of its own, so that is `none`), `none`
 * after a disconnect, or the connection's method, time and account.
 */
export function connectionView(
  stored: StoredConnection | undefined,
  madeAtRunTime: boolean,
): { method: 'environment' | 'none' | 'oauth' | 'key'; connectedAt: Date | null; account: string | null } {
  if (!stored) return { method: madeAtRunTime ? 'none' : 'environment', connectedAt: null, account: null };
  if ('disconnected' in stored) return { method: 'none', connectedAt: null, account: null };
  return {
    method: stored.method,
    connectedAt: new Date(stored.connectedAt),
    account: stored.account ? (stored.account.name ?? stored.account.id) : null,
  };
}

const CONNECTION = 'connection';
const lineageOf = (id: string) => `c-${id}`;

export function notConnected(system: string, label = system): SourceError {
  return new SourceError(
    system,
    'UNAUTHENTICATED',
    `${label} is not connected: connect it from the console (Connections)`,
    { operation: 'connection' },
  );
}

/** No store behind it (in-process sandboxes): what the token provider does without one. */
function memoryTokenStore(): RefreshTokenStore {
  let refresh: string | undefined;
  let shared: string | undefined;
  return {
    load: () => Promise.resolve(refresh),
    save: (token) => {
      refresh = token;
      return Promise.resolve();
    },
    shared: {
      load: () => Promise.resolve(shared),
      save: (value) => {
        shared = value;
        return Promise.resolve();
      },
      acquireLease: () => Promise.resolve(true),
      releaseLease: () => Promise.resolve(),
    },
  };
}

export function createConnections(store: Store): Connections {
  const state: SourceStateRepository = createSourceStateRepository(store);
  const bindings = new Map<string, { module: AnySourceModule; settings: unknown }>();
  const listeners = new Map<string, Array<() => void>>();
  const at = (workspace: string, system: string) => `${workspace}\u0000${system}`;

  const current = async (workspace: string, system: string): Promise<StoredConnection | undefined> => {
    const raw = await state.get(workspace, system, CONNECTION);
    if (raw === undefined) return undefined;
    try {
      return JSON.parse(raw) as StoredConnection;
    } catch {
      return undefined;
    }
  };

  const dropLineage = async (workspace: string, system: string, previous: StoredConnection | undefined) => {
    if (!previous || 'disconnected' in previous) return;
    const lineage = lineageOf(previous.id);
    await store.db
      .deleteFrom('source_state')
      .where('workspace_id', '=', workspace)
      .where('system', '=', system)
      .where('key', 'in', [
        `refresh_token:${lineage}`,
        `access_token:${lineage}`,
        `refresh_lock:${lineage}`,
        `api_key:${lineage}`,
      ])
      .execute();
  };

  const live = new Map<string, Promise<boolean>>();
  const changedHere = (workspace: string, system: string) => {
    live.delete(at(workspace, system));
    for (const listener of listeners.get(at(workspace, system)) ?? []) listener();
  };
  const changed = async (workspace: string, system: string) => {
    if (!connections.announce) return changedHere(workspace, system);
    await connections.announce(workspace, system).catch(() => changedHere(workspace, system));
  };

  const label = (workspace: string, system: string) =>
    bindings.get(at(workspace, system))?.module.label ?? system;

  /** Stores the credentials first, then points the connection at them, then drops the old ones. */
  const replace = async (
    workspace: string,
    system: string,
    method: 'oauth' | 'key',
    by: string,
    write: (lineage: string) => Promise<void>,
    account?: ConnectedAccount,
  ): Promise<ConnectionRecord> => {
    const previous = await current(workspace, system);
    const record: ConnectionRecord = {
      id: randomBytes(8).toString('hex'),
      method,
      connectedAt: new Date().toISOString(),
      by,
      ...(account ? { account } : {}),
    };
    await write(lineageOf(record.id));
    await state.set(workspace, system, CONNECTION, JSON.stringify(record));
    await dropLineage(workspace, system, previous);
    await changed(workspace, system);
    connections.onConnected?.(workspace, system);
    return record;
  };

  const connections: Connections = {
    states: createConsentStates(store.db),
    bind(workspace, module, settings) {
      bindings.set(at(workspace, module.id), { module, settings });
    },
    bound: (workspace, system) => bindings.get(at(workspace, system)),
    current,
    saveTokens: (workspace, system, tokens, by, account) =>
      replace(
        workspace,
        system,
        'oauth',
        by,
        async (lineage) => {
          const obtainedAt = Date.now();
          await state.set(workspace, system, `refresh_token:${lineage}`, tokens.refreshToken);
          // The provider's shared-state shape (src/upstream/oauth.ts): the first calls use this token.
          await state.set(
            workspace,
            system,
            `access_token:${lineage}`,
            JSON.stringify({
              accessToken: tokens.accessToken,
              expiresAt: new Date(obtainedAt + tokens.expiresInMs).toISOString(),
              obtainedAt: new Date(obtainedAt).toISOString(),
            }),
          );
        },
        account,
      ),
    saveKey: (workspace, system, key, by) =>
      replace(workspace, system, 'key', by, (lineage) =>
        state.set(workspace, system, `api_key:${lineage}`, key),
      ),
    async disconnect(workspace, system, by) {
      const previous = await current(workspace, system);
      await state.set(
        workspace,
        system,
        CONNECTION,
        JSON.stringify({ disconnected: true, at: new Date().toISOString(), by }),
      );
      await dropLineage(workspace, system, previous);
      await changed(workspace, system);
    },
    tokenStore(workspace, system, configured) {
      const fallback = configured ?? memoryTokenStore();
      /**
       * The store a refresh reads from is the one it writes to, even if a reconnect lands in between:
       * a rotation of the old lineage must never overwrite the new one's refresh token.
       */
      let pinned: RefreshTokenStore | undefined;
      const resolve = async (): Promise<RefreshTokenStore> => {
        const connection = await current(workspace, system);
        if (!connection) return fallback;
        if ('disconnected' in connection) throw notConnected(system, label(workspace, system));
        return state.tokenStore(workspace, system, lineageOf(connection.id));
      };
      const pin = async () => (pinned = await resolve());
      const target = async () => pinned ?? (await resolve());
      return {
        load: async () => (await pin()).load(),
        save: async (token) => (await target()).save(token),
        shared: {
          load: async () => (await pin()).shared?.load(),
          save: async (value) => (await target()).shared?.save(value),
          acquireLease: async (holder, ttlMs, now) =>
            (await target()).shared?.acquireLease(holder, ttlMs, now) ?? true,
          releaseLease: async (holder) => (await target()).shared?.releaseLease(holder),
        },
      };
    },
    async apiKey(workspace, system, configured) {
      const connection = await current(workspace, system);
      if (!connection) return configured;
      if ('disconnected' in connection) throw notConnected(system, label(workspace, system));
      const key = await state.get(workspace, system, `api_key:${lineageOf(connection.id)}`);
      if (key === undefined) throw notConnected(system, label(workspace, system));
      return key;
    },
    async requireConnected(workspace, system) {
      const key = at(workspace, system);
      let known = live.get(key);
      if (!known) {
        known = current(workspace, system).then((c) => c !== undefined && !('disconnected' in c));
        live.set(key, known);
        known.catch(() => live.delete(key));
      }
      if (!(await known)) throw notConnected(system, label(workspace, system));
    },
    onChange(workspace, system, listener) {
      const key = at(workspace, system);
      listeners.set(key, [...(listeners.get(key) ?? []), listener]);
    },
    changedHere,
    async forgetAll() {
      const result = await store.db
        .deleteFrom('source_state')
        .where((eb) =>
          eb.or([
            eb('key', '=', CONNECTION),
            eb('key', 'like', 'refresh_token:c-%'),
            eb('key', 'like', 'access_token:c-%'),
            eb('key', 'like', 'refresh_lock:c-%'),
            eb('key', 'like', 'api_key:c-%'),
          ]),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
  return connections;
}
