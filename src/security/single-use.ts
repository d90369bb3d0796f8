import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';

/**
 * Random single-use values that stand in for a credential while a browser is sent somewhere and
 * back: the OAuth `state` of a consent flow (src/connections/states.ts), and the `state` and the
 * sign-in handle of the console's redirect login (src/console/sign-in.ts). Each is 32 random bytes
 * (base64url), valid for `ttlMs`, and only its SHA-256 is stored, as a `source_state` row
 * `<prefix><hash>` of the workspace and system it was issued for, so the store never holds a usable
 * value and every replica on the database sees the same rows.
 *
 * `redeem` uses a value up with a compare-and-set on the row: of two requests racing with one
 * value, exactly one wins. Used and expired rows are kept a day so a replay is told "already used",
 * then deleted by a later `issue`. `data` is kept with the row; its `secret` part (sealed by the
 * caller) is dropped from the row when the value is used, so it is at rest only while it is waiting.
 */

/** Used and expired values are kept this long so a replay is told "already used", then deleted. */
const KEEP_MS = 24 * 3_600_000; // 1 day

export type SingleUseRefusal = 'unknown' | 'expired' | 'used' | 'other_system';

export type SingleUseRedeemed<T> =
  | { ok: true; workspace: string; data: T; secret?: string }
  | { ok: false; reason: SingleUseRefusal; workspace?: string; data?: T; system?: string };

export interface SingleUseValues<T> {
  issue(input: {
    workspace: string;
    system: string;
    data: T;
    /** Kept only until the value is used: the caller seals it (it is a credential). */
    secret?: string;
    now?: Date;
  }): Promise<{ value: string; expiresAt: Date }>;
  /**
   * Uses the value up for `system`: ok once, while unexpired and for that system. A value shown for
   * another system is used up too (it has been seen where it should not be).
   */
  redeem(system: string, value: string, now?: Date): Promise<SingleUseRedeemed<T>>;
}

interface Stored<T> {
  data: T;
  secret?: string;
  expiresAt: string;
  usedAt?: string;
}

const hash = (value: string) => createHash('sha256').update(value).digest('hex');
/** What `issue` makes: 43 base64url characters. Anything else is not looked up. */
export const WELL_FORMED = /^[A-Za-z0-9_-]{43}$/;

export function createSingleUseValues<T>(
  db: Kysely<Database>,
  options: { prefix: string; ttlMs: number },
): SingleUseValues<T> {
  const { prefix, ttlMs } = options;
  return {
    async issue({ workspace, system, data, secret, now = new Date() }) {
      const value = randomBytes(32).toString('base64url');
      const expiresAt = new Date(now.getTime() + ttlMs);
      const stored: Stored<T> = { data, expiresAt: expiresAt.toISOString(), ...(secret ? { secret } : {}) };
      await db
        .deleteFrom('source_state')
        .where('key', 'like', `${prefix}%`)
        .where('updated_at', '<', new Date(now.getTime() - KEEP_MS).toISOString())
        .execute();
      await db
        .insertInto('source_state')
        .values({
          workspace_id: workspace,
          system,
          key: `${prefix}${hash(value)}`,
          value: JSON.stringify(stored),
          updated_at: now.toISOString(),
        })
        .execute();
      return { value, expiresAt };
    },

    async redeem(system, value, now = new Date()) {
      if (!WELL_FORMED.test(value)) return { ok: false, reason: 'unknown' };
      const key = `${prefix}${hash(value)}`;
      const row = await db
        .selectFrom('source_state')
        .select(['workspace_id', 'system', 'value'])
        .where('key', '=', key)
        .executeTakeFirst();
      if (!row) return { ok: false, reason: 'unknown' };
      let stored: Stored<T>;
      try {
        // Consent states written before this module kept their data beside expiresAt, not under `data`.
        const { data, secret, expiresAt, usedAt, ...legacy } = JSON.parse(row.value) as Stored<T>;
        stored = { data: data ?? (legacy as T), secret, expiresAt, usedAt };
      } catch {
        return { ok: false, reason: 'unknown' };
      }
      const seen = { workspace: row.workspace_id, data: stored.data, system: row.system };
      if (stored.usedAt) return { ok: false, reason: 'used', ...seen };
      // Used up first, whatever follows: of two requests racing with one value, exactly one wins.
      const used: Stored<T> = { data: stored.data, expiresAt: stored.expiresAt, usedAt: now.toISOString() };
      const updated = await db
        .updateTable('source_state')
        .set({ value: JSON.stringify(used), updated_at: now.toISOString() })
        .where('key', '=', key)
        .where('workspace_id', '=', row.workspace_id)
        .where('system', '=', row.system)
        .where('value', '=', row.value)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) !== 1) return { ok: false, reason: 'used', ...seen };
      if (row.system !== system) return { ok: false, reason: 'other_system', ...seen };
      if (!(now.getTime() < Date.parse(stored.expiresAt))) return { ok: false, reason: 'expired', ...seen };
      return {
        ok: true,
        workspace: row.workspace_id,
        data: stored.data,
        ...(stored.secret ? { secret: stored.secret } : {}),
      };
    },
  };
}
