import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import type { ChannelRegistry } from './types.ts';

/** Google push channels the hub opened, kept in the store so every replica can check notifications. */
export function createChannelStore(db: Kysely<Database>, workspace: string) {
  const registry: ChannelRegistry = {
    async find(channelId) {
      const row = await db
        .selectFrom('push_channels')
        .selectAll()
        .where('workspace_id', '=', workspace)
        .where('source', '=', 'google_calendar')
        .where('channel_id', '=', channelId)
        .executeTakeFirst();
      return row
        ? { token: row.token, resourceId: row.resource_id, expiresAt: new Date(row.expires_at) }
        : null;
    },
  };
  return {
    registry,
    async save(channel: { channelId: string; token: string; resourceId: string | null; expiresAt: Date }) {
      await db
        .insertInto('push_channels')
        .values({
          workspace_id: workspace,
          source: 'google_calendar',
          channel_id: channel.channelId,
          token: channel.token,
          resource_id: channel.resourceId,
          expires_at: channel.expiresAt.toISOString(),
          created_at: new Date().toISOString(),
        })
        .execute();
    },
    /** The newest channel that is still open, if any. */
    async current(): Promise<{ channelId: string; resourceId: string | null; expiresAt: Date } | null> {
      const row = await db
        .selectFrom('push_channels')
        .select(['channel_id', 'resource_id', 'expires_at'])
        .where('workspace_id', '=', workspace)
        .where('source', '=', 'google_calendar')
        .where('expires_at', '>', new Date().toISOString())
        .orderBy('expires_at', 'desc')
        .executeTakeFirst();
      return row
        ? { channelId: row.channel_id, resourceId: row.resource_id, expiresAt: new Date(row.expires_at) }
        : null;
    },
    async remove(channelId: string) {
      await db
        .deleteFrom('push_channels')
        .where('workspace_id', '=', workspace)
        .where('source', '=', 'google_calendar')
        .where('channel_id', '=', channelId)
        .execute();
    },
  };
}
