import { setMaxListeners } from 'node:events';
import { LRUCache } from 'lru-cache';
import type { SourceName } from '../domain/model.ts';
import { SourceError } from '../domain/errors.ts';
import type { Metrics } from '../observability/metrics.ts';
import { priorityOf, timeLeft, withDeadline } from '../upstream/work.ts';

/**
 * The record cache (vendor records) shared by all requests, behind the per-request loaders. Keys are
 * `workspace | source | resource | key`, so one workspace can never read another's entries.
 * Webhooks and writes invalidate entries; the TTL is the safety net, not the freshness mechanism.
 */
export interface CacheEntry<V> {
  value: V;
  storedAt: number;
  /** Past this (ms since the epoch) the entry is stale: served only when the vendor fails. */
  freshUntil: number;
}

export interface RecordCache {
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
  /**
   * Loads keys that missed, sharing vendor calls with concurrent loads of the same keys (in-flight
   * coalescing): a key already in flight waits for that call; the others go out in one batch that
   * later loads can join. Values are stored unless an invalidation came while they were in flight.
   * Each caller waits only as long as its own signal allows; a shared call is aborted only when
   * every caller waiting for it has gone, and a caller whose shared call ended on another's deadline
   * loads again with its own.
   */
  load<V>(
    scope: LoadScope,
    keys: readonly string[],
    signal: AbortSignal | undefined,
    fetch: (keys: readonly string[], signal: AbortSignal | undefined) => Promise<Array<V | Error>>,
  ): Promise<Array<V | Error>>;
  /** How long an entry is fresh unless its load says otherwise. */
  readonly ttlMs: number;
  /** Loads in flight now, by key (for tests and metrics). */
  readonly inFlight: number;
  /**
   * Drops one entry, or every entry of a resource (no key), or of a source (no resource); loads of
   * those in flight are no longer joined and what they bring back is not stored.
   */
  invalidate(workspace: string, source: SourceName, resource?: string, key?: string): number;
  clear(): void;
  readonly size: number;
}

export interface RecordCacheOptions {
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
  /** False makes every miss its own vendor call, as before coalescing (benchmarks compare). */
  coalesce?: boolean;
  metrics?: Metrics;
}

const SEP = '\u001f';

/**
 * A caller whose shared call was cut short loads again only with this much of its own time left: the
 * first caller's deadline is often its own too (the same page asked twice), and a call with less
 * cannot be answered.
 */
const RETRY_MIN_MS = 10;

/** What a load is of: one resource of one source in one workspace, and how long its values stay fresh. */
export interface LoadScope {
  workspace: string;
  source: SourceName;
  resource: string;
  ttlMs?: number;
}

/** One vendor call for a batch of keys, and who is waiting for it. */
interface Batch {
  controller: AbortController;
  /** Callers waiting; the call is aborted when the last of them gives up. */
  waiters: number;
  /** Cache keys invalidated while the call was out: their results are not stored. */
  invalidated: Set<string>;
  /** The call ended with its signal aborted (its first caller's deadline, or everyone gone). */
  cutShort: boolean;
  /** One result per key, in key order; never rejects. */
  results: Promise<Array<unknown>>;
}

interface Flight {
  batch: Batch;
  /** The key's place in the batch. */
  index: number;
}

export function cacheKey(workspace: string, source: SourceName, resource?: string, key?: string): string {
  return [workspace, source, resource, key].filter((part) => part !== undefined).join(SEP);
}

export function createRecordCache(options: RecordCacheOptions = {}): RecordCache {
  const {
    max = 50_000,
    ttlMs = 5 * 60_000, // 5 minutes
    staleMs = 6 * 3_600_000, // 6 hours
    enabled = true,
    coalesce = true,
    metrics,
  } = options;
  // With the cache off every load goes to the vendor: the benchmarks' pass-through baseline.
  const sharing = enabled && coalesce;
  /**
   * `workspace␟source␟resource` → the keys stored under it, and `workspace␟source` → its resources:
   * invalidating a listing or a whole source reads these instead of scanning every key.
   */
  const byResource = new Map<string, Set<string>>();
  const bySource = new Map<string, Set<string>>();
  const lru = new LRUCache<string, CacheEntry<unknown>>({
    max,
    ttl: ttlMs + staleMs,
    ttlAutopurge: false,
    dispose: (_value, full) => {
      const resource = full.slice(0, full.lastIndexOf(SEP));
      const keys = byResource.get(resource);
      if (!keys?.delete(full) || keys.size > 0) return;
      byResource.delete(resource);
      const source = resource.slice(0, resource.lastIndexOf(SEP));
      const resources = bySource.get(source);
      resources?.delete(resource);
      if (resources?.size === 0) bySource.delete(source);
    },
  });
  const indexed = (full: string) => {
    const resource = full.slice(0, full.lastIndexOf(SEP));
    let keys = byResource.get(resource);
    if (!keys) {
      byResource.set(resource, (keys = new Set()));
      const source = resource.slice(0, resource.lastIndexOf(SEP));
      let resources = bySource.get(source);
      if (!resources) bySource.set(source, (resources = new Set()));
      resources.add(resource);
    }
    keys.add(full);
  };
  /** By cache key: the vendor call bringing that key back now. */
  const flights = new Map<string, Flight>();

  function store<V>(scope: LoadScope, key: string, value: V) {
    if (!enabled) return;
    const now = Date.now();
    const ttl = scope.ttlMs ?? ttlMs;
    const full = cacheKey(scope.workspace, scope.source, scope.resource, key);
    lru.set(full, { value, storedAt: now, freshUntil: now + ttl }, { ttl: ttl + staleMs });
    indexed(full);
  }

  /** Starts one vendor call for `keys`, joinable by key until it settles or they are invalidated. */
  function launch<V>(
    scope: LoadScope,
    keys: readonly string[],
    signal: AbortSignal | undefined,
    fetch: (keys: readonly string[], signal: AbortSignal | undefined) => Promise<Array<V | Error>>,
  ): Batch {
    const controller = new AbortController();
    // The call keeps the first caller's priority and deadline (the budget queues by them), but its
    // abort is its own: it ends when every caller waiting for it has gone.
    const callSignal =
      priorityOf(signal) === 'interactive'
        ? withDeadline(controller.signal, Math.max(1, timeLeft(signal)))
        : controller.signal;
    // An adapter splits a big batch into many requests (HubSpot reads 100 a request), each listening.
    setMaxListeners(0, callSignal);
    const batch: Batch = {
      controller,
      waiters: 0,
      invalidated: new Set(),
      cutShort: false,
      results: Promise.resolve([]),
    };
    const fullKeys = keys.map((key) => cacheKey(scope.workspace, scope.source, scope.resource, key));
    batch.results = fetch(keys, callSignal).then(
      (results) => {
        batch.cutShort = callSignal.aborted;
        results.forEach((result, i) => {
          if (!(result instanceof Error) && !batch.invalidated.has(fullKeys[i]!))
            store(scope, keys[i]!, result);
        });
        return results;
      },
      (error: unknown) => {
        batch.cutShort = callSignal.aborted;
        return keys.map(() => (error instanceof Error ? error : new Error(String(error))));
      },
    );
    if (sharing) {
      fullKeys.forEach((full, index) => flights.set(full, { batch, index }));
      void batch.results.finally(() => {
        for (const full of fullKeys) if (flights.get(full)?.batch === batch) flights.delete(full);
      });
    }
    return batch;
  }

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
      store({ workspace, source, resource, ttlMs: entryTtl }, key, value);
    },
    async load(scope, keys, signal, fetch) {
      const out = new Array(keys.length);
      const waits: Array<{ batch: Batch; at: number[]; index: number[] }> = [];
      const fresh: number[] = [];
      keys.forEach((key, i) => {
        const flight = sharing
          ? flights.get(cacheKey(scope.workspace, scope.source, scope.resource, key))
          : undefined;
        if (!flight) return fresh.push(i);
        const wait = waits.find((w) => w.batch === flight.batch);
        if (wait) {
          wait.at.push(i);
          wait.index.push(flight.index);
        } else waits.push({ batch: flight.batch, at: [i], index: [flight.index] });
      });
      if (fresh.length > 0) {
        const batch = launch(
          scope,
          fresh.map((i) => keys[i]!),
          signal,
          fetch,
        );
        waits.push({ batch, at: fresh, index: fresh.map((_, j) => j) });
      }
      if (fresh.length < keys.length)
        metrics?.cacheLookups.inc(
          { source: scope.source, resource: scope.resource, outcome: 'joined' },
          keys.length - fresh.length,
        );

      for (const { batch } of waits) batch.waiters++;
      // What a vendor call cut off by the caller's deadline says (stale-if-error serves on it).
      const gaveUp = () =>
        new SourceError(
          scope.source,
          'TIMEOUT',
          `${scope.source} ${scope.resource}: the request's deadline passed`,
          {
            operation: scope.resource,
            cause: signal?.reason,
          },
        );
      let onAbort: (() => void) | undefined;
      const aborted = new Promise<never>((_, reject) => {
        if (!signal) return;
        if (signal.aborted) return reject(gaveUp());
        onAbort = () => reject(gaveUp());
        signal.addEventListener('abort', onAbort, { once: true });
      });
      try {
        await Promise.race([
          Promise.all(
            waits.map(async ({ batch, at, index }) => {
              const results = await batch.results;
              // The shared call ended on its first caller's deadline or abort while this one still
              // has time: this caller's keys go again, on its own signal.
              const again = batch.cutShort ? at.filter((_, j) => results[index[j]!] instanceof Error) : [];
              at.forEach((i, j) => (out[i] = results[index[j]!]));
              if (again.length > 0 && !signal?.aborted && timeLeft(signal) > RETRY_MIN_MS) {
                const retry = launch(
                  scope,
                  again.map((i) => keys[i]!),
                  signal,
                  fetch,
                );
                retry.waiters++;
                const results2 = await retry.results;
                retry.waiters--;
                again.forEach((i, j) => (out[i] = results2[j]));
              }
            }),
          ),
          aborted,
        ]);
      } catch (error) {
        // This caller gave up: calls nobody else waits for are aborted with it.
        for (const { batch } of waits) if (--batch.waiters === 0) batch.controller.abort(signal?.reason);
        throw error;
      } finally {
        if (onAbort) signal?.removeEventListener('abort', onAbort);
      }
      for (const { batch } of waits) batch.waiters--;
      return out;
    },
    ttlMs,
    get inFlight() {
      return flights.size;
    },
    invalidate(workspace, source, resource, key) {
      if (key !== undefined && resource !== undefined) {
        const full = cacheKey(workspace, source, resource, key);
        const flight = flights.get(full);
        if (flight) {
          flight.batch.invalidated.add(full);
          flights.delete(full);
        }
        return lru.delete(full) ? 1 : 0;
      }
      const prefix = cacheKey(workspace, source, resource) + SEP;
      for (const [full, flight] of flights) {
        if (full.startsWith(prefix)) {
          flight.batch.invalidated.add(full);
          flights.delete(full);
        }
      }
      const resources =
        resource !== undefined
          ? [cacheKey(workspace, source, resource)]
          : [...(bySource.get(cacheKey(workspace, source)) ?? [])];
      let dropped = 0;
      for (const r of resources) for (const k of [...(byResource.get(r) ?? [])]) if (lru.delete(k)) dropped++;
      return dropped;
    },
    clear: () => lru.clear(),
    get size() {
      return lru.size;
    },
  };
}
