import { LRUCache } from 'lru-cache';
import type { SourceName } from '../domain/model.ts';
import type { Metrics } from '../observability/metrics.ts';

/**
 * The response cache shared by all requests, behind the per-request loaders. Keys are
 * `workspace | source | resource | key`, so one workspace can never read another's entries.
 * Webhooks and writes invalidate entries; the TTL is the safety net, not the freshness mechanism.
 */
export interface CacheEntry<V> {
  value: V;
  storedAt: number;
}

export interface ResponseCache {
  get<V>(workspace: string, source: SourceName, resource: string, key: string): CacheEntry<V> | undefined;
  set<V>(
    workspace: string,
    source: SourceName,
    resource: string,
    key: string,
    value: V,
    ttlMs?: number,
  ): void;
  /** Drops one entry, or every entry of a resource (no key), or of a source (no resource). */
  invalidate(workspace: string, source: SourceName, resource?: string, key?: string): number;
  clear(): void;
  readonly size: number;
}

export interface ResponseCacheOptions {
  /** Entries kept at most; least recently used go first. */
  max?: number;
  /** Default time to live. */
  ttlMs?: number;
  /** False turns the cache off (benchmarks compare with and without). */
  enabled?: boolean;
  metrics?: Metrics;
}

const SEP = '\u001f';

export function cacheKey(workspace: string, source: SourceName, resource?: string, key?: string): string {
  return [workspace, source, resource, key].filter((part) => part !== undefined).join(SEP);
}

export function createResponseCache(options: ResponseCacheOptions = {}): ResponseCache {
  const {
    max = 50_000,
    ttlMs = 5 * 60_000, // 5 minutes
    enabled = true,
    metrics,
  } = options;
  const lru = new LRUCache<string, CacheEntry<unknown>>({ max, ttl: ttlMs, ttlAutopurge: false });
  return {
    get<V>(workspace: string, source: SourceName, resource: string, key: string) {
      if (!enabled) return undefined;
      const entry = lru.get(cacheKey(workspace, source, resource, key)) as CacheEntry<V> | undefined;
      metrics?.cacheLookups.inc({ source, resource, outcome: entry ? 'hit' : 'miss' });
      return entry;
    },
    set(workspace, source, resource, key, value, entryTtl) {
      if (!enabled) return;
      lru.set(
        cacheKey(workspace, source, resource, key),
        { value, storedAt: Date.now() },
        { ttl: entryTtl ?? ttlMs },
      );
    },
    invalidate(workspace, source, resource, key) {
      if (key !== undefined && resource !== undefined) {
        return lru.delete(cacheKey(workspace, source, resource, key)) ? 1 : 0;
      }
      const prefix = cacheKey(workspace, source, resource) + SEP;
      let dropped = 0;
      for (const k of [...lru.keys()]) {
        if (k.startsWith(prefix)) {
          lru.delete(k);
          dropped++;
        }
      }
      return dropped;
    },
    clear: () => lru.clear(),
    get size() {
      return lru.size;
    },
  };
}
