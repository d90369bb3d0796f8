import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import { pushChannelContext } from '../store/secrets-at-rest.ts';
import { storeSecrets, type SealingStore } from '../store/store.ts';
import type { ChannelRegistry } from './types.ts';

/**
 * Push channels the hub opened (Google Calendar's: notifications that carry no signature), kept in the store so every replica can check notifications.
 * A channel's token (what Google echoes to prove a notification is ours) is sealed with the store's
 * key; `find` throws `SecretOpenError` when it does not open, which the verifier answers with a 503.
 * Takes the Store, or a database handle `openStore` made (any other throws).
 */
export function createChannelStore(
  store: SealingStore | Kysely<Database>,
  workspace: string,
  /** The system (module id) the channels are with. */
  source: string,
) {
  const { db, secrets } = storeSecrets(store);
  const context = (channelId: string) => pushChannelContext(workspace, source, channelId);
  const registry: ChannelRegistry = {
    async find(channelId) {
      const row = await db
        .selectFrom('push_channels')
        .selectAll()
        .where('workspace_id', '=', workspace)
        .where('source', '=', source)
        .where('channel_id', '=', channelId)
        .executeTakeFirst();
      return row
        ? {
            token: secrets.open(row.token, context(row.channel_id)),
            resourceId: row.resource_id,
            expiresAt: new Date(row.expires_at),
          }
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
          source,
          channel_id: channel.channelId,
          token: secrets.seal(channel.token, context(channel.channelId)),
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
        .where('source', '=', source)
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
        .where('source', '=', source)
        .where('channel_id', '=', channelId)
        .execute();
    },
  };
}
