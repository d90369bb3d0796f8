import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { createSingleUseValues, type SingleUseRefusal } from '../security/single-use.ts';

/**
 * The OAuth `state` of a consent flow started from the console: single use, bound to the workspace,
 * the system and the caller that started it, valid ten minutes, stored only as its SHA-256 (a
 * `source_state` row `consent_state:<hash>` of that workspace and system: src/security/single-use.ts).
 * The callback carries no key: the state is its credential.
 */

export const STATE_TTL_MS = 10 * 60_000; // 10 minutes

export type StateRefusal = SingleUseRefusal;

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

export function createConsentStates(db: Kysely<Database>): ConsentStates {
  const values = createSingleUseValues<{ actor: string }>(db, {
    prefix: 'consent_state:',
    ttlMs: STATE_TTL_MS,
  });
  return {
    async issue({ workspace, system, actor, now }) {
      const { value, expiresAt } = await values.issue({ workspace, system, data: { actor }, now });
      return { state: value, expiresAt };
    },
    async redeem(system, state, now) {
      const r = await values.redeem(system, state, now);
      if (r.ok) return { ok: true, workspace: r.workspace, actor: r.data.actor };
      const { data, ...rest } = r;
      return data ? { ...rest, actor: data.actor } : rest;
    },
  };
}
