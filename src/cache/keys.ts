import type { SourceName } from '../domain/model.ts';

/**
 * What to drop from the shared response cache: everything of a source, one resource of it (a
 * listing), or one record. Writes, webhooks and sync name what they made stale this way, and every
 * replica drops it (the event bus carries it).
 */
export interface CacheTarget {
  source: SourceName;
  resource?: string;
  key?: string;
}
