import { sql, type Kysely } from 'kysely';
import type { SourceName } from '../domain/model.ts';
import type { Database } from '../store/schema.ts';
import type { Change, InboxEventInput } from './types.ts';

export interface InboxEvent {
  workspace: string;
  source: SourceName;
  eventId: string;
  type: string;
  occurredAt: Date;
  receivedAt: string;
  changes: Change[];
  attempts: number;
}

let sequence = 0;
/** Arrival order: the time, then a per-process counter, so events stored in one request keep their order. */
const arrival = () => `${new Date().toISOString()}#${String(++sequence % 1_000_000).padStart(6, '0')}`;

/**
 * The webhook inbox: every vendor event is stored (deduplicated on workspace, source and vendor event
 * id) before the vendor gets its 2xx; a worker claims stored events in order of arrival, processes
 * them and marks them done. A crash between the 2xx and the publish leaves the row pending, so the
 * event is processed after the restart.
 */
export function createInbox(db: Kysely<Database>, dialect: 'sqlite' | 'postgres') {
  return {
    /** Stores the events of one delivery in one transaction; returns how many were new and how many seen before. */
    async store(
      workspace: string,
      source: SourceName,
      events: InboxEventInput[],
    ): Promise<{ accepted: number; duplicate: number }> {
      if (events.length === 0) return { accepted: 0, duplicate: 0 };
      return db.transaction().execute(async (trx) => {
        let accepted = 0;
        for (const event of events) {
          const result = await trx
            .insertInto('webhook_inbox')
            .values({
              workspace_id: workspace,
              source,
              event_id: event.eventId,
              type: event.type,
              occurred_at: event.occurredAt.toISOString(),
              received_at: arrival(),
              changes: JSON.stringify(event.changes),
              state: 'PENDING',
              attempts: 0,
              error: null,
              locked_by: null,
              locked_until: null,
              processed_at: null,
            })
            .onConflict((oc) => oc.columns(['workspace_id', 'source', 'event_id']).doNothing())
            .executeTakeFirst();
          accepted += Number(result.numInsertedOrUpdatedRows ?? 0);
        }
        return { accepted, duplicate: events.length - accepted };
      });
    },

    /** Leases up to `limit` pending events, oldest arrival first; SKIP LOCKED keeps replicas off each other's rows. */
    async claim(workerId: string, leaseMs: number, limit: number): Promise<InboxEvent[]> {
      const now = new Date().toISOString();
      const until = new Date(Date.now() + leaseMs).toISOString();
      const lock = dialect === 'postgres' ? sql`for update skip locked` : sql``;
      const result = await sql<Database['webhook_inbox']>`
        update webhook_inbox set locked_by = ${workerId}, locked_until = ${until}, attempts = attempts + 1
        where (workspace_id, source, event_id) in (
          select workspace_id, source, event_id from webhook_inbox
          where state = 'PENDING' and (locked_until is null or locked_until < ${now})
          order by received_at
          limit ${limit}
          ${lock}
        )
        returning *`.execute(db);
      return result.rows
        .map((row) => ({
          workspace: row.workspace_id,
          source: row.source as SourceName,
          eventId: row.event_id,
          type: row.type,
          occurredAt: new Date(row.occurred_at),
          receivedAt: row.received_at,
          changes: JSON.parse(row.changes) as Change[],
          attempts: row.attempts,
        }))
        .sort((a, b) => (a.receivedAt < b.receivedAt ? -1 : 1));
    },

    async done(events: InboxEvent[], workerId: string): Promise<void> {
      const now = new Date().toISOString();
      for (const e of events) {
        await db
          .updateTable('webhook_inbox')
          .set({ state: 'PROCESSED', processed_at: now, locked_by: null, locked_until: null, error: null })
          .where('workspace_id', '=', e.workspace)
          .where('source', '=', e.source)
          .where('event_id', '=', e.eventId)
          .where('locked_by', '=', workerId)
          .execute();
      }
    },

    /** Leaves the events for a later attempt (after `retryAfterMs`), or gives up on them after `maxAttempts`. */
    async failed(
      events: InboxEvent[],
      error: string,
      retryAfterMs: number,
      maxAttempts: number,
    ): Promise<void> {
      for (const e of events) {
        const giveUp = e.attempts >= maxAttempts;
        await db
          .updateTable('webhook_inbox')
          .set({
            state: giveUp ? 'FAILED' : 'PENDING',
            error,
            locked_by: null,
            locked_until: giveUp ? null : new Date(Date.now() + retryAfterMs).toISOString(),
          })
          .where('workspace_id', '=', e.workspace)
          .where('source', '=', e.source)
          .where('event_id', '=', e.eventId)
          .execute();
      }
    },

    async counts(): Promise<{ pending: number; failed: number; processed: number }> {
      const rows = await db
        .selectFrom('webhook_inbox')
        .select(['state', (eb) => eb.fn.countAll<string | number>().as('n')])
        .groupBy('state')
        .execute();
      const of = (state: string) => Number(rows.find((r) => r.state === state)?.n ?? 0);
      return { pending: of('PENDING'), failed: of('FAILED'), processed: of('PROCESSED') };
    },
  };
}

export type Inbox = ReturnType<typeof createInbox>;
