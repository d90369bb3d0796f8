import type { Kysely } from 'kysely';
import type { SourceName } from '../domain/model.ts';
import type { Database } from './schema.ts';

/** Small per-workspace, per-source values the hub must keep across restarts: rotated refresh tokens, sync tokens. */
export interface SourceStateRepository {
  get(workspace: string, system: SourceName, key: string): Promise<string | undefined>;
  set(workspace: string, system: SourceName, key: string, value: string): Promise<void>;
}

export function createSourceStateRepository(db: Kysely<Database>): SourceStateRepository {
  return {
    async get(workspace, system, key) {
      const row = await db
        .selectFrom('source_state')
        .select('value')
        .where('workspace_id', '=', workspace)
        .where('system', '=', system)
        .where('key', '=', key)
        .executeTakeFirst();
      return row?.value;
    },
    async set(workspace, system, key, value) {
      const updated_at = new Date().toISOString();
      await db
        .insertInto('source_state')
        .values({ workspace_id: workspace, system, key, value, updated_at })
        .onConflict((oc) => oc.columns(['workspace_id', 'system', 'key']).doUpdateSet({ value, updated_at }))
        .execute();
    },
  };
}
