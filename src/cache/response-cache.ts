import { createHash } from 'node:crypto';
import { Kind, print, type DocumentNode, type ExecutionResult, type OperationDefinitionNode } from 'graphql';
import { LRUCache } from 'lru-cache';
import type { CacheTarget } from './keys.ts';
import { cacheKey } from './record-cache.ts';
import type { Metrics } from '../observability/metrics.ts';

/**
 * The response cache in front of execution: whole query results, keyed by workspace, the caller's
 * scopes, the document as printed and the variables with sorted keys.
 *
 * An entry is dropped by the same invalidations that keep the record cache true (webhooks, writes,
 * sync, on every replica through the event bus), through the records the response read: each
 * request records every record-cache key its loaders touched and every hub table it read, and an
 * invalidation of any of them drops the entry. envelop's response cache invalidates by GraphQL
 * entity (`Customer:42`), but what goes stale here is named by vendor record and listing (a calendar
 * window, a contact's invoices), which no one GraphQL entity stands for, and a contact the hub has
 * never met has no entity to invalidate at all; so the cache is written here, on the record cache's
 * own targets. A response that read anything no invalidation covers (a vendor search, a listing
 * straight from the vendor, operations) is never stored.
 *
 * A request that was executing while something it read was invalidated is not stored either: it may
 * hold the old value (`ResponseReads.epoch`).
 */
export interface ResponseCache {
  readonly enabled: boolean;
  /** Starts recording a query's reads; undefined when the cache is off. */
  begin(workspace: string): ResponseReads | undefined;
  /** The entry key of one query for one caller. */
  key(request: CachedRequest): string;
  /** `count: false` leaves a miss out of the metrics (a lookup another will repeat). */
  get(key: string, count?: boolean): CachedResponse | undefined;
  /** Stores a result unless something it read was invalidated meanwhile, or it read something untracked. */
  store(key: string, reads: ResponseReads, result: ExecutionResult): boolean;
  /** Drops every entry that read one of these targets (the bus calls this on every replica). */
  invalidate(workspace: string, targets: readonly CacheTarget[]): number;
  clear(): void;
  readonly size: number;
}

export interface CachedRequest {
  workspace: string;
  /** The caller's scopes: a response may differ by them (fields withheld, PII). */
  scopes: ReadonlySet<string> | readonly string[];
  document: DocumentNode;
  operationName?: string | null;
  variables?: Readonly<Record<string, unknown>> | null;
}

export interface CachedResponse {
  result: ExecutionResult;
  /** The result's JSON, written once when stored: its size bounds the cache, and hits send it as it is. */
  json: string;
  /**
   * The same JSON as UTF-8 without its closing brace, encoded once when stored: a hit answered at
   * the HTTP layer (`src/graph/early-answers.ts`) writes these bytes and then its own `extensions`.
   */
  bytes: Buffer;
  storedAt: number;
}

/**
 * The hub's own tables, as cache targets (`{ source: 'hub', resource: 'links' }`): `links` holds
 * customers and their links to vendor records, `issues` the sync issues.
 */
export type HubTable = 'links' | 'issues';
/** The source name the hub's own tables go by in cache keys and tags. */
export const HUB_SOURCE = 'hub';
export const hubTableChanged = (table: HubTable): CacheTarget => ({ source: HUB_SOURCE, resource: table });

/** What one query read, recorded by its loaders. */
export interface ResponseReads {
  readonly workspace: string;
  /** The cache's invalidation count when the request began. */
  readonly epoch: number;
  /** A record of the record cache, fresh there until `freshUntil` (ms since the epoch). */
  record(source: string, resource: string, key: string, freshUntil: number): void;
  /** One of the hub's own tables. */
  table(table: HubTable): void;
  /** Something no invalidation covers: the response is not stored. */
  untracked(what: string): void;
  readonly untrackedReason: string | undefined;
}

export interface ResponseCacheOptions {
  enabled?: boolean;
  /**
   * What the kept answers may take, counted as each answer's JSON in characters plus its UTF-8
   * bytes (default 512 Mi: about 256 MiB of mostly ASCII text, kept as text and as bytes); least
   * recently used go first. An answer taking more than a tenth of it is not kept.
   */
  maxSize?: number;
  /** Responses kept at most; least recently used go first. */
  max?: number;
  /**
   * The longest a response is kept. It is also never kept past the freshness of the records it read,
   * nor past midnight UTC (answers such as the default bookings window and `overdue` depend on the day).
   */
  ttlMs?: number;
  metrics?: Metrics;
}

/** Query fields whose every read goes through the loaders (so through tracked records). */
const CACHEABLE_ROOTS = new Set([
  'customer',
  'customers',
  'booking',
  'bookings',
  'order',
  'invoice',
  '__typename',
]);

const SEP = '\u001f';
/** Invalidations remembered for the stored-while-invalidated check before the list is forgotten. */
const REMEMBERED = 10_000;

class Reads implements ResponseReads {
  readonly tags = new Set<string>();
  expires = Infinity;
  untrackedReason: string | undefined;
  constructor(
    readonly workspace: string,
    readonly epoch: number,
  ) {}
  record(source: string, resource: string, key: string, freshUntil: number) {
    this.tags.add(source + SEP + resource + SEP + key);
    if (freshUntil < this.expires) this.expires = freshUntil;
  }
  table(table: HubTable) {
    this.tags.add(HUB_SOURCE + SEP + table);
  }
  untracked(what: string) {
    this.untrackedReason ??= what;
  }
}

interface Entry extends CachedResponse {
  workspace: string;
  /** Tags (with workspace) this entry is indexed under. */
  index: string[];
}

/** Whether the operation is a query whose root fields all read through tracked loaders. */
export function cacheableOperation(operation: OperationDefinitionNode | null | undefined): boolean {
  if (!operation || operation.operation !== 'query') return false;
  return operation.selectionSet.selections.every(
    (s) => s.kind === Kind.FIELD && CACHEABLE_ROOTS.has(s.name.value),
  );
}

/**
 * What an invalidation may name for one read (`source␟resource␟key`, as `Reads` records it): the
 * whole source, its resource, or the record itself; record-cache keys, so both caches name alike.
 */
function levels(workspace: string, tag: string): string[] {
  const [source, resource, key] = tag.split(SEP) as [string, string?, string?];
  const out = [cacheKey(workspace, source)];
  if (resource !== undefined) out.push(cacheKey(workspace, source, resource));
  if (key !== undefined) out.push(cacheKey(workspace, source, resource, key));
  return out;
}

/** The caller's scopes as one text, sorted and worked out once per set. */
const scopeLists = new WeakMap<object, string>();
export function scopeList(scopes: ReadonlySet<string> | readonly string[]): string {
  let list = scopeLists.get(scopes);
  if (list === undefined) scopeLists.set(scopes, (list = [...scopes].sort().join(' ')));
  return list;
}

/** JSON with object keys sorted, so `{a, b}` and `{b, a}` are one key. */
function stable(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stable).join(',')}]`;
  if (value instanceof Date) return JSON.stringify(value);
  const keys = Object.keys(value).sort();
  return `{${keys
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${stable((value as Record<string, unknown>)[k])}`)
    .join(',')}}`;
}

/**
 * One key per (workspace, scopes, document, operation, variables): documents that differ only in
 * layout or comments, variables only in key order, and scopes only in order are the same request.
 */
export function requestKeys(): (request: CachedRequest) => string {
  /** Each document's hash as printed. */
  const documentIds = new WeakMap<DocumentNode, string>();
  return ({ workspace, scopes, document, operationName, variables }) => {
    let id = documentIds.get(document);
    if (id === undefined) {
      id = createHash('sha256').update(print(document)).digest('base64url');
      documentIds.set(document, id);
    }
    return [workspace, scopeList(scopes), operationName ?? '', id, stable(variables ?? {})].join(SEP);
  };
}

const nextUtcMidnight = (now: number) => {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
};

export function createResponseCache(options: ResponseCacheOptions = {}): ResponseCache {
  const { enabled = true, max = 5_000, maxSize = 512 * 1024 * 1024, ttlMs = 5 * 60_000, metrics } = options;
  /** Tag (`workspace␟source`, `…␟resource`, `…␟key`) → keys of entries that read under it. */
  const index = new Map<string, Set<string>>();
  const unindex = (key: string, entry: Entry) => {
    for (const tag of entry.index) {
      const keys = index.get(tag);
      keys?.delete(key);
      if (keys?.size === 0) index.delete(tag);
    }
  };
  const lru = new LRUCache<string, Entry>({
    max,
    maxSize,
    ttlAutopurge: false,
    dispose: (entry, key) => unindex(key, entry),
  });
  let epoch = 0;
  /** Tag → the epoch it was last invalidated at; requests begun before `forgotten` are never stored. */
  let invalidatedAt = new Map<string, number>();
  let forgotten = 0;

  const invalidatedSince = (reads: Reads): string | undefined => {
    if (reads.epoch < forgotten) return 'began before the invalidations remembered';
    for (const tag of reads.tags) {
      for (const level of levels(reads.workspace, tag)) {
        const at = invalidatedAt.get(level);
        if (at !== undefined && at > reads.epoch) return tag;
      }
    }
    return undefined;
  };

  return {
    enabled,
    begin: (workspace) => (enabled ? new Reads(workspace, epoch) : undefined),
    key: requestKeys(),
    get(key, count = true) {
      const entry = lru.get(key);
      if (entry || count) metrics?.responseCacheLookups.inc({ outcome: entry ? 'hit' : 'miss' });
      return entry;
    },
    store(key, reads, result) {
      if (!enabled || !(reads instanceof Reads)) return false;
      const now = Date.now();
      const refused = reads.untrackedReason ?? invalidatedSince(reads);
      const ttl = Math.min(reads.expires, nextUtcMidnight(now), now + ttlMs) - now;
      if (refused !== undefined || ttl <= 0) {
        metrics?.responseCacheLookups.inc({ outcome: 'not_stored' });
        return false;
      }
      const json = JSON.stringify(result);
      const bytes = Buffer.from(json).subarray(0, -1);
      const size = json.length + bytes.length;
      if (size > maxSize / 10) {
        metrics?.responseCacheLookups.inc({ outcome: 'not_stored' });
        return false;
      }
      const tags = new Set([...reads.tags].flatMap((tag) => levels(reads.workspace, tag)));
      const entry: Entry = {
        result,
        json,
        bytes,
        storedAt: now,
        workspace: reads.workspace,
        index: [...tags],
      };
      if (lru.has(key)) lru.delete(key);
      lru.set(key, entry, { ttl, size });
      for (const tag of tags) {
        let keys = index.get(tag);
        if (!keys) index.set(tag, (keys = new Set()));
        keys.add(key);
      }
      return true;
    },
    invalidate(workspace, targets) {
      epoch++;
      let dropped = 0;
      for (const target of targets) {
        const tag = cacheKey(workspace, target.source, target.resource, target.key);
        invalidatedAt.set(tag, epoch);
        for (const key of [...(index.get(tag) ?? [])]) if (lru.delete(key)) dropped++;
      }
      if (invalidatedAt.size > REMEMBERED) {
        // Requests still executing from before now cannot be checked any more: they are not stored.
        invalidatedAt = new Map();
        forgotten = epoch;
      }
      return dropped;
    },
    clear() {
      lru.clear();
      epoch++;
      invalidatedAt = new Map();
      forgotten = epoch;
    },
    get size() {
      return lru.size;
    },
  };
}
