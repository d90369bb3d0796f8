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
  /** Past this (ms since the epoch) the entry is stale: served only when the vendor fails. */
  freshUntil: number;
}

export interface ResponseCache {
  /** A fresh entry, or undefined. */
  get<V>(workspace: string, source: SourceName, resource: string, key: string): CacheEntry<V> | undefined;
  /** An entry fresh or stale (stale-if-error: the vendor failed and this is the last known value). */
  getStale<V>(
    workspace: string,
    source: SourceName,
    resource: string,
    key: string,
  ): CacheEntry<V> | undefined;
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
  /** How long an entry is fresh. */
  ttlMs?: number;
  /**
   * How long past its freshness an entry is kept for stale-if-error. Invalidated entries are dropped
   * at once: data known to be out of date is not served even during an outage.
   */
  staleMs?: number;
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
    staleMs = 6 * 3_600_000, // 6 hours
    enabled = true,
    metrics,
  } = options;
  const lru = new LRUCache<string, CacheEntry<unknown>>({ max, ttl: ttlMs + staleMs, ttlAutopurge: false });
  return {
    get<V>(workspace: string, source: SourceName, resource: string, key: string) {
      if (!enabled) return undefined;
      const entry = lru.get(cacheKey(workspace, source, resource, key)) as CacheEntry<V> | undefined;
      const fresh = entry && entry.freshUntil > Date.now() ? entry : undefined;
      metrics?.cacheLookups.inc({ source, resource, outcome: fresh ? 'hit' : entry ? 'stale' : 'miss' });
      return fresh;
    },
    getStale<V>(workspace: string, source: SourceName, resource: string, key: string) {
      if (!enabled) return undefined;
      return lru.get(cacheKey(workspace, source, resource, key)) as CacheEntry<V> | undefined;
    },
    set(workspace, source, resource, key, value, entryTtl) {
      if (!enabled) return;
      const now = Date.now();
      const ttl = entryTtl ?? ttlMs;
      lru.set(
        cacheKey(workspace, source, resource, key),
        { value, storedAt: now, freshUntil: now + ttl },
        { ttl: ttl + staleMs },
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
