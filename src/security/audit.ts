import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { LRUCache } from 'lru-cache';
import type { Database } from '../store/schema.ts';
import { newId } from './keys.ts';

export type AuditOutcome =
  'SUCCEEDED' | 'FAILED' | 'UNAUTHENTICATED' | 'FORBIDDEN' | 'RATE_LIMITED' | 'REJECTED';

export interface AuditEntryInput {
  /** Null when the request named no workspace the caller may use. */
  workspace: string | null;
  /** A key id, `jwt:<subject>`, `cli`, or `anonymous`. */
  actor: string;
  /** A mutation's name, an admin action (`apiKey.revoke`), or `request` for a refused request. */
  action: string;
  target?: string | null;
  outcome: AuditOutcome;
  address?: string | null;
  origin?: string | null;
  /** Codes and reasons only: never customer data, variables or secrets. */
  detail?: Record<string, unknown>;
}

export interface AuditEntry extends Required<Omit<AuditEntryInput, 'detail'>> {
  id: string;
  at: Date;
  detail: Record<string, unknown> | null;
  suppressed: number;
}

export interface AuditFilter {
  actor?: string;
  action?: string;
  outcomes?: readonly AuditOutcome[];
  since?: Date;
  first: number;
  /** The last entry of the previous page. */
  after?: { at: Date; id: string };
}

export interface AuditLog {
  /** Writes an entry (mutations, admin actions). Rejects when the store fails: callers decide. */
  record(entry: AuditEntryInput): Promise<void>;
  /**
   * A refused attempt, sampled: at most `refusalsPerMinute` entries per caller (actor or address)
   * and reason each minute, and `globalPerMinute` in all; the rest are counted and written as one
   * entry's `suppressed` when the minute ends, so a flood cannot fill the disk and nothing is
   * silently dropped. Never throws and never waits.
   */
  refused(entry: AuditEntryInput & { reason: string }): void;
  /** Newest first: the workspace's entries and the refusals that named no workspace. */
  list(workspace: string, filter: AuditFilter): Promise<AuditEntry[]>;
  /** Writes what is pending (suppressed counts); the hub calls it on stop. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export interface AuditOptions {
  logger?: Logger;
  refusalsPerMinute?: number;
  globalPerMinute?: number;
  /** Entries older than this are deleted (hourly). Default 90 days. */
  retentionDays?: number;
}

interface Bucket {
  windowStart: number;
  written: number;
  suppressed: number;
  last: AuditEntryInput & { reason: string };
}

export function createAuditLog(db: Kysely<Database>, options: AuditOptions = {}): AuditLog {
  const { logger, refusalsPerMinute = 5, globalPerMinute = 300, retentionDays = 90 } = options;
  const buckets = new LRUCache<string, Bucket>({
    max: 10_000,
    // A bucket pushed out by a flood of distinct callers still owes its count.
    disposeAfter: (bucket, _key, reason) => {
      if (reason === 'evict' && bucket.suppressed > 0) background(insert(bucket.last, bucket.suppressed));
    },
  });
  let globalWindow = 0;
  let globalWritten = 0;
  const pending = new Set<Promise<void>>();

  const insert = async (entry: AuditEntryInput, suppressed = 0, at = new Date()) => {
    await db
      .insertInto('audit_log')
      .values({
        id: newId(),
        workspace_id: entry.workspace,
        at: at.toISOString(),
        actor: entry.actor,
        action: entry.action,
        target: entry.target ?? null,
        outcome: entry.outcome,
        address: entry.address ?? null,
        origin: entry.origin ?? null,
        detail: entry.detail ? JSON.stringify(entry.detail) : null,
        suppressed,
      })
      .execute();
  };

  const background = (work: Promise<void>) => {
    const tracked = work
      .catch((error: unknown) => logger?.error({ err: error }, 'writing the audit log failed'))
      .finally(() => pending.delete(tracked));
    pending.add(tracked);
  };

  /** Writes the suppressed count of every bucket whose minute is over. */
  const sweep = (now: number, all = false) => {
    for (const [key, bucket] of buckets.entries()) {
      if (!all && now - bucket.windowStart < 60_000) continue;
      if (bucket.suppressed > 0) background(insert(bucket.last, bucket.suppressed));
      buckets.delete(key);
    }
  };

  const prune = () => {
    const cutoff = new Date(Date.now() - retentionDays * 86_400_000).toISOString();
    background(
      db
        .deleteFrom('audit_log')
        .where('at', '<', cutoff)
        .execute()
        .then(() => undefined),
    );
  };
  let minutes = 0;
  const timer = setInterval(() => {
    sweep(Date.now());
    if (minutes++ % 60 === 0) prune();
  }, 60_000);
  timer.unref();

  return {
    record: (entry) => insert(entry),
    refused(entry) {
      const now = Date.now();
      if (now - globalWindow >= 60_000) {
        globalWindow = now;
        globalWritten = 0;
      }
      const key = `${entry.actor}|${entry.address ?? ''}|${entry.reason}`;
      let bucket = buckets.get(key);
      if (bucket && now - bucket.windowStart >= 60_000) {
        if (bucket.suppressed > 0) background(insert(bucket.last, bucket.suppressed));
        bucket = undefined;
      }
      bucket ??= { windowStart: now, written: 0, suppressed: 0, last: entry };
      bucket.last = { ...entry, detail: { ...entry.detail, reason: entry.reason } };
      buckets.set(key, bucket);
      if (bucket.written < refusalsPerMinute && globalWritten < globalPerMinute) {
        bucket.written++;
        globalWritten++;
        background(insert({ ...entry, detail: { ...entry.detail, reason: entry.reason } }));
      } else {
        bucket.suppressed++;
      }
    },
    async list(workspace, filter) {
      // Refusals that named no workspace (a bad key, a flood) are the hub's, so every operator sees them.
      let query = db
        .selectFrom('audit_log')
        .selectAll()
        .where((eb) => eb.or([eb('workspace_id', '=', workspace), eb('workspace_id', 'is', null)]));
      if (filter.actor) query = query.where('actor', '=', filter.actor);
      if (filter.action) query = query.where('action', '=', filter.action);
      if (filter.outcomes?.length) query = query.where('outcome', 'in', [...filter.outcomes]);
      if (filter.since) query = query.where('at', '>=', filter.since.toISOString());
      if (filter.after) {
        const at = filter.after.at.toISOString();
        const id = filter.after.id;
        query = query.where((eb) =>
          eb.or([eb('at', '<', at), eb.and([eb('at', '=', at), eb('id', '<', id)])]),
        );
      }
      const rows = await query.orderBy('at', 'desc').orderBy('id', 'desc').limit(filter.first).execute();
      return rows.map((row) => ({
        id: row.id,
        workspace: row.workspace_id,
        at: new Date(row.at),
        actor: row.actor,
        action: row.action,
        target: row.target,
        outcome: row.outcome as AuditOutcome,
        address: row.address,
        origin: row.origin,
        detail: row.detail ? (JSON.parse(row.detail) as Record<string, unknown>) : null,
        suppressed: row.suppressed,
      }));
    },
    async flush() {
      sweep(Date.now(), true);
      await Promise.all([...pending]);
    },
    async close() {
      clearInterval(timer);
      sweep(Date.now(), true);
      await Promise.all([...pending]);
    },
  };
}
