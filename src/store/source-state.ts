import type { Kysely } from 'kysely';
import type { SourceName } from '../domain/model.ts';
import type { RefreshTokenStore } from '../upstream/oauth.ts';
import type { Database } from './schema.ts';
import { isSecretStateKey, sourceStateContext } from './secrets-at-rest.ts';
import { storeSecrets, type SealingStore } from './store.ts';

/**
 * Small per-workspace, per-source values the hub must keep across restarts and share between
 * replicas: rotated refresh tokens, the access token one replica fetched for the others, sync
 * tokens, and short leases ("only one replica does this at a time").
 *
 * Secrets (`isSecretStateKey`: `refresh_token:*`, `access_token:*`, `webhook_secret`) are sealed
 * with the store's key on `set` and opened on `get`, bound to their row; every other key is plain.
 */
export interface SourceStateRepository {
  /**
   * The value, opened when it is a secret (a secret stored in clear before encryption is returned
   * as is). Throws `SecretOpenError` when a secret does not open (key not configured, value
   * altered or moved from another row).
   */
  get(workspace: string, system: SourceName, key: string): Promise<string | undefined>;
  /** Stores the value, sealed when `key` is a secret. */
  set(workspace: string, system: SourceName, key: string, value: string): Promise<void>;
  /**
   * Takes the lease `key` for `holder` until `now + ttlMs`, unless another holder's lease is still
   * live. True when this call took it (or renewed the holder's own). A compare-and-set on the row,
   * so of several replicas racing for an absent or expired lease exactly one wins, on SQLite and
   * PostgreSQL alike. Times are the caller's clock: replicas' clocks must agree to well within the TTL.
   * Throws for a secret key: a lease is compared as stored, and a sealed value never compares equal.
   */
  acquireLease(
    workspace: string,
    system: SourceName,
    key: string,
    holder: string,
    ttlMs: number,
    now?: Date,
  ): Promise<boolean>;
  /** Gives the lease up if `holder` still holds it (a lease taken over after expiry is left alone). */
  releaseLease(workspace: string, system: SourceName, key: string, holder: string): Promise<void>;
  /**
   * One OAuth connection's token state, shared by every replica on this database, under keys named
   * after `lineage` (a hash of the configured refresh token): `refresh_token:<lineage>` (the newest
   * rotated refresh token, sealed), `access_token:<lineage>` (the OAuth provider's JSON: the access
   * token a replica last fetched, its expiry, the last failed refresh; sealed) and
   * `refresh_lock:<lineage>` (the refresh lease, plain). The first two are credentials: they live
   * here, sealed, and nowhere else.
   */
  tokenStore(workspace: string, system: SourceName, lineage: string): RefreshTokenStore;
}

/** The value of a lease row: who holds it and until when (ISO-8601). */
interface Lease {
  holder: string;
  expiresAt: string;
}

function parseLease(value: string): Lease | undefined {
  try {
    const lease = JSON.parse(value) as Partial<Lease>;
    return typeof lease.holder === 'string' && typeof lease.expiresAt === 'string'
      ? { holder: lease.holder, expiresAt: lease.expiresAt }
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The repository over `store` (or a database handle `openStore` made, whose store's key is used;
 * any other handle throws). Prefer the Store.
 */
export function createSourceStateRepository(store: SealingStore | Kysely<Database>): SourceStateRepository {
  const { db, secrets } = storeSecrets(store);

  /** The column as stored: sealed for secrets. */
  const getRaw = async (workspace: string, system: SourceName, key: string) => {
    const row = await db
      .selectFrom('source_state')
      .select('value')
      .where('workspace_id', '=', workspace)
      .where('system', '=', system)
      .where('key', '=', key)
      .executeTakeFirst();
    return row?.value;
  };

  const get = async (workspace: string, system: SourceName, key: string) => {
    const value = await getRaw(workspace, system, key);
    return value !== undefined && isSecretStateKey(key)
      ? secrets.open(value, sourceStateContext(workspace, system, key))
      : value;
  };

  const notSecret = (key: string) => {
    if (isSecretStateKey(key)) throw new Error(`"${key}" holds a secret, not a lease`);
  };

  /** Writes `value` only while the row still holds `expected` (absent when undefined); true when written. */
  const compareAndSet = async (
    workspace: string,
    system: SourceName,
    key: string,
    expected: string | undefined,
    value: string,
  ): Promise<boolean> => {
    const updated_at = new Date().toISOString();
    if (expected === undefined) {
      const result = await db
        .insertInto('source_state')
        .values({ workspace_id: workspace, system, key, value, updated_at })
        .onConflict((oc) => oc.columns(['workspace_id', 'system', 'key']).doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
    }
    const result = await db
      .updateTable('source_state')
      .set({ value, updated_at })
      .where('workspace_id', '=', workspace)
      .where('system', '=', system)
      .where('key', '=', key)
      .where('value', '=', expected)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  };

  const set = async (workspace: string, system: SourceName, key: string, plain: string) => {
    const value = isSecretStateKey(key)
      ? secrets.seal(plain, sourceStateContext(workspace, system, key))
      : plain;
    const updated_at = new Date().toISOString();
    await db
      .insertInto('source_state')
      .values({ workspace_id: workspace, system, key, value, updated_at })
      .onConflict((oc) => oc.columns(['workspace_id', 'system', 'key']).doUpdateSet({ value, updated_at }))
      .execute();
  };

  const repository: SourceStateRepository = {
    get,
    set,
    async acquireLease(workspace, system, key, holder, ttlMs, now = new Date()) {
      notSecret(key);
      const current = await getRaw(workspace, system, key);
      if (current !== undefined) {
        const lease = parseLease(current);
        // An unreadable row counts as expired, so it cannot block for ever.
        if (lease && lease.holder !== holder && Date.parse(lease.expiresAt) > now.getTime()) return false;
      }
      const next: Lease = { holder, expiresAt: new Date(now.getTime() + ttlMs).toISOString() };
      return compareAndSet(workspace, system, key, current, JSON.stringify(next));
    },
    async releaseLease(workspace, system, key, holder) {
      notSecret(key);
      const current = await getRaw(workspace, system, key);
      if (current === undefined || parseLease(current)?.holder !== holder) return;
      await db
        .deleteFrom('source_state')
        .where('workspace_id', '=', workspace)
        .where('system', '=', system)
        .where('key', '=', key)
        .where('value', '=', current)
        .execute();
    },
    tokenStore(workspace, system, lineage) {
      const refreshKey = `refresh_token:${lineage}`;
      const accessKey = `access_token:${lineage}`;
      const lockKey = `refresh_lock:${lineage}`;
      return {
        load: () => get(workspace, system, refreshKey),
        save: (token) => set(workspace, system, refreshKey, token),
        shared: {
          load: () => get(workspace, system, accessKey),
          save: (value) => set(workspace, system, accessKey, value),
          acquireLease: (holder, ttlMs, now) =>
            repository.acquireLease(workspace, system, lockKey, holder, ttlMs, now),
          releaseLease: (holder) => repository.releaseLease(workspace, system, lockKey, holder),
        },
      };
    },
  };
  return repository;
}
