import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';

/**
 * The OAuth `state` of a consent flow started from the console: 32 random bytes (base64url), single
 * use, bound to the workspace, the system and the caller that started it, valid ten minutes. Only its
 * SHA-256 is stored (a `source_state` row `consent_state:<hash>` of that workspace and system), so
 * the store never holds a usable state. The callback carries no key: the state is its credential.
 */

export const STATE_TTL_MS = 10 * 60_000; // 10 minutes
/** Used and expired states are kept this long so a replay is told "already used", then deleted. */
const KEEP_MS = 24 * 3_600_000; // 1 day
const PREFIX = 'consent_state:';

export type StateRefusal = 'unknown' | 'expired' | 'used' | 'other_system';

export type Redeemed =
  | { ok: true; workspace: string; actor: string }
  | { ok: false; reason: StateRefusal; workspace?: string; actor?: string; system?: string };

export interface ConsentStates {
  issue(input: {
    workspace: string;
    system: string;
    actor: string;
    now?: Date;
  }): Promise<{ state: string; expiresAt: Date }>;
  /**
   * Uses the state up for `system`'s callback: ok once, while unexpired and for that system. A state
   * shown at another system's callback is used up too (it has been seen where it should not be).
   */
  redeem(system: string, state: string, now?: Date): Promise<Redeemed>;
}

interface StoredState {
  actor: string;
  expiresAt: string;
  usedAt?: string;
}

const hash = (state: string) => createHash('sha256').update(state).digest('hex');
/** What `issue` makes: 43 base64url characters. Anything else is not looked up. */
const WELL_FORMED = /^[A-Za-z0-9_-]{43}$/;

export function createConsentStates(db: Kysely<Database>): ConsentStates {
  return {
    async issue({ workspace, system, actor, now = new Date() }) {
      const state = randomBytes(32).toString('base64url');
      const expiresAt = new Date(now.getTime() + STATE_TTL_MS);
      const value: StoredState = { actor, expiresAt: expiresAt.toISOString() };
      await db
        .deleteFrom('source_state')
        .where('key', 'like', `${PREFIX}%`)
        .where('updated_at', '<', new Date(now.getTime() - KEEP_MS).toISOString())
        .execute();
      await db
        .insertInto('source_state')
        .values({
          workspace_id: workspace,
          system,
          key: `${PREFIX}${hash(state)}`,
          value: JSON.stringify(value),
          updated_at: now.toISOString(),
        })
        .execute();
      return { state, expiresAt };
    },

    async redeem(system, state, now = new Date()) {
      if (!WELL_FORMED.test(state)) return { ok: false, reason: 'unknown' };
      const key = `${PREFIX}${hash(state)}`;
      const row = await db
        .selectFrom('source_state')
        .select(['workspace_id', 'system', 'value'])
        .where('key', '=', key)
        .executeTakeFirst();
      if (!row) return { ok: false, reason: 'unknown' };
      let stored: StoredState;
      try {
        stored = JSON.parse(row.value) as StoredState;
      } catch {
        return { ok: false, reason: 'unknown' };
      }
      const seen = { workspace: row.workspace_id, actor: stored.actor, system: row.system };
      if (stored.usedAt) return { ok: false, reason: 'used', ...seen };
      // Used up first, whatever follows: of two callbacks racing with one state, exactly one wins.
      const used = await db
        .updateTable('source_state')
        .set({
          value: JSON.stringify({ ...stored, usedAt: now.toISOString() }),
          updated_at: now.toISOString(),
        })
        .where('key', '=', key)
        .where('workspace_id', '=', row.workspace_id)
        .where('system', '=', row.system)
        .where('value', '=', row.value)
        .executeTakeFirst();
      if (Number(used.numUpdatedRows) !== 1) return { ok: false, reason: 'used', ...seen };
      if (row.system !== system) return { ok: false, reason: 'other_system', ...seen };
      if (!(now.getTime() < Date.parse(stored.expiresAt))) return { ok: false, reason: 'expired', ...seen };
      return { ok: true, workspace: row.workspace_id, actor: stored.actor };
    },
  };
}
