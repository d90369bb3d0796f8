import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { EventType } from '../events/types.ts';
import type { Store } from '../store/store.ts';
import type { Database } from '../store/schema.ts';
import { outboundSecretContext } from '../store/secrets-at-rest.ts';

/**
 * Outbound webhook endpoints and their deliveries, on SQLite and PostgreSQL. A delivery row is
 * written before anything is sent; it stays PENDING (leased by one worker at a time) until the
 * endpoint answers 2xx (DELIVERED) or the attempts run out (FAILED, replayable).
 */
export type DeliveryState = 'PENDING' | 'DELIVERED' | 'FAILED';

export interface EndpointRecord {
  workspace: string;
  id: string;
  url: string;
  events: EventType[];
  description: string | null;
  enabled: boolean;
  /** Until then the secret before the last rotation signs too. */
  previousSecretUntil: Date | null;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
}

/** An endpoint just made or rotated, with its secret in clear: shown once, never stored so. */
export interface CreatedEndpoint {
  endpoint: EndpointRecord;
  secret: string;
}

/** The secrets that sign a delivery now: the current one, and the previous one during its grace period. */
export interface EndpointSecrets {
  current: string;
  previous: string | null;
}

export interface DeliveryRecord {
  workspace: string;
  /** `msg_…`, the `webhook-id` header. */
  id: string;
  endpointId: string;
  eventId: string;
  eventType: EventType;
  customerId: string | null;
  payload: string;
  state: DeliveryState;
  attempts: number;
  nextAttemptAt: Date | null;
  lastStatus: number | null;
  lastError: string | null;
  lastAttemptAt: Date | null;
  deliveredAt: Date | null;
  occurredAt: Date;
  createdAt: Date;
  seq: string;
}

export interface NewDelivery {
  eventId: string;
  eventType: EventType;
  customerId: string | null;
  occurredAt: Date;
  payload: string;
}

type EndpointRow = Database['outbound_endpoints'];
type DeliveryRow = Database['outbound_deliveries'];

const iso = (date: Date) => date.toISOString();
const newId = (prefix: string) => `${prefix}_${randomBytes(16).toString('base64url')}`;

/** A Standard Webhooks secret: `whsec_` and 32 random bytes, base64. */
export const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

let counter = 0;
/** Publication order within this process, and across replicas by their clocks. */
const nextSeq = () => `${new Date().toISOString()}#${String(counter++ % 1e10).padStart(10, '0')}`;

const toEndpoint = (row: EndpointRow): EndpointRecord => ({
  workspace: row.workspace_id,
  id: row.id,
  url: row.url,
  events: JSON.parse(row.events) as EventType[],
  description: row.description,
  enabled: row.disabled_at === null,
  previousSecretUntil: row.previous_secret_until ? new Date(row.previous_secret_until) : null,
  createdBy: row.created_by,
  createdAt: new Date(row.created_at),
  updatedAt: new Date(row.updated_at),
});

const toDelivery = (row: DeliveryRow): DeliveryRecord => ({
  workspace: row.workspace_id,
  id: row.id,
  endpointId: row.endpoint_id,
  eventId: row.event_id,
  eventType: row.event_type as EventType,
  customerId: row.customer_id,
  payload: row.payload,
  state: row.state as DeliveryState,
  attempts: row.attempts,
  nextAttemptAt: row.state === 'PENDING' ? new Date(row.next_attempt_at) : null,
  lastStatus: row.last_status,
  lastError: row.last_error,
  lastAttemptAt: row.last_attempt_at ? new Date(row.last_attempt_at) : null,
  deliveredAt: row.delivered_at ? new Date(row.delivered_at) : null,
  occurredAt: new Date(row.occurred_at),
  createdAt: new Date(row.created_at),
  seq: row.seq,
});

export function createOutboundStore(store: Pick<Store, 'db' | 'dialect' | 'secrets'>) {
  const { db, dialect, secrets } = store;
  const seal = (workspace: string, id: string, column: string, value: string) =>
    secrets.seal(value, outboundSecretContext(workspace, id, column));
  const open = (workspace: string, id: string, column: string, value: string) =>
    secrets.open(value, outboundSecretContext(workspace, id, column));

  const getRow = (workspace: string, id: string) =>
    db
      .selectFrom('outbound_endpoints')
      .selectAll()
      .where('workspace_id', '=', workspace)
      .where('id', '=', id)
      .executeTakeFirst();

  const endpoints = {
    async create(
      workspace: string,
      input: { url: string; events: EventType[]; description: string | null; createdBy: string },
    ): Promise<CreatedEndpoint> {
      const id = newId('ep');
      const secret = newSecret();
      const now = iso(new Date());
      await db
        .insertInto('outbound_endpoints')
        .values({
          workspace_id: workspace,
          id,
          url: input.url,
          events: JSON.stringify(input.events),
          description: input.description,
          secret: seal(workspace, id, 'secret', secret),
          previous_secret: null,
          previous_secret_until: null,
          disabled_at: null,
          created_by: input.createdBy,
          created_at: now,
          updated_at: now,
        })
        .execute();
      return { endpoint: toEndpoint((await getRow(workspace, id))!), secret };
    },

    async get(workspace: string, id: string): Promise<EndpointRecord | null> {
      const row = await getRow(workspace, id);
      return row ? toEndpoint(row) : null;
    },

    /** Oldest first. */
    async list(workspace: string): Promise<EndpointRecord[]> {
      const rows = await db
        .selectFrom('outbound_endpoints')
        .selectAll()
        .where('workspace_id', '=', workspace)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map(toEndpoint);
    },

    async update(
      workspace: string,
      id: string,
      patch: Partial<{ url: string; events: EventType[]; description: string | null; enabled: boolean }>,
    ): Promise<EndpointRecord | null> {
      const now = new Date();
      await db
        .updateTable('outbound_endpoints')
        .set({
          ...(patch.url !== undefined ? { url: patch.url } : {}),
          ...(patch.events !== undefined ? { events: JSON.stringify(patch.events) } : {}),
          ...(patch.description !== undefined ? { description: patch.description } : {}),
          ...(patch.enabled !== undefined ? { disabled_at: patch.enabled ? null : iso(now) } : {}),
          updated_at: iso(now),
        })
        .where('workspace_id', '=', workspace)
        .where('id', '=', id)
        .execute();
      return endpoints.get(workspace, id);
    },

    /**
     * A new secret; the current one keeps signing alongside it until `graceMs` from now (Standard
     * Webhooks allows several signatures in one header), so receivers can switch without a gap.
     */
    async rotate(workspace: string, id: string, graceMs: number): Promise<CreatedEndpoint | null> {
      const row = await getRow(workspace, id);
      if (!row) return null;
      const secret = newSecret();
      const previous = open(workspace, id, 'secret', row.secret);
      const now = Date.now();
      await db
        .updateTable('outbound_endpoints')
        .set({
          secret: seal(workspace, id, 'secret', secret),
          previous_secret: graceMs > 0 ? seal(workspace, id, 'previous_secret', previous) : null,
          previous_secret_until: graceMs > 0 ? iso(new Date(now + graceMs)) : null,
          updated_at: iso(new Date(now)),
        })
        .where('workspace_id', '=', workspace)
        .where('id', '=', id)
        .where('secret', '=', row.secret)
        .execute();
      return { endpoint: (await endpoints.get(workspace, id))!, secret };
    },

    /** The endpoint with the secrets that sign for it now; null when gone. */
    async forSending(
      workspace: string,
      id: string,
      now = new Date(),
    ): Promise<{ endpoint: EndpointRecord; secrets: EndpointSecrets } | null> {
      const row = await getRow(workspace, id);
      if (!row) return null;
      const graceLeft =
        row.previous_secret && row.previous_secret_until && new Date(row.previous_secret_until) > now;
      return {
        endpoint: toEndpoint(row),
        secrets: {
          current: open(workspace, id, 'secret', row.secret),
          previous: graceLeft ? open(workspace, id, 'previous_secret', row.previous_secret!) : null,
        },
      };
    },
  };

  const deliveries = {
    /**
     * One PENDING delivery per enabled endpoint of the workspace that takes the event's type, unless
     * there is one already (another replica, or the same event published again). Returns how many
     * were new.
     */
    async enqueue(workspace: string, events: readonly NewDelivery[]): Promise<number> {
      if (events.length === 0) return 0;
      const targets = await db
        .selectFrom('outbound_endpoints')
        .select(['id', 'events'])
        .where('workspace_id', '=', workspace)
        .where('disabled_at', 'is', null)
        .execute();
      if (targets.length === 0) return 0;
      const now = iso(new Date());
      const rows: DeliveryRow[] = [];
      for (const event of events) {
        for (const target of targets) {
          if (!(JSON.parse(target.events) as string[]).includes(event.eventType)) continue;
          rows.push({
            workspace_id: workspace,
            endpoint_id: target.id,
            event_id: event.eventId,
            id: newId('msg'),
            event_type: event.eventType,
            customer_id: event.customerId,
            seq: nextSeq(),
            payload: event.payload,
            state: 'PENDING',
            attempts: 0,
            next_attempt_at: now,
            locked_by: null,
            locked_until: null,
            last_status: null,
            last_error: null,
            last_attempt_at: null,
            delivered_at: null,
            occurred_at: iso(event.occurredAt),
            created_at: now,
            updated_at: now,
          });
        }
      }
      if (rows.length === 0) return 0;
      const result = await db
        .insertInto('outbound_deliveries')
        .values(rows)
        .onConflict((oc) => oc.columns(['workspace_id', 'endpoint_id', 'event_id']).doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0);
    },

    /**
     * Leases up to `limit` due deliveries of enabled endpoints. A delivery that concerns a customer
     * waits while an earlier one of the same customer to the same endpoint is still PENDING, so each
     * customer's events arrive in order; PostgreSQL's `FOR UPDATE SKIP LOCKED` lets replicas claim
     * at once without taking the same row (SQLite has one writer: the UPDATE alone is atomic).
     */
    async claimDue(workerId: string, leaseMs: number, limit: number): Promise<DeliveryRecord[]> {
      const now = new Date();
      const until = iso(new Date(now.getTime() + leaseMs));
      const lock = dialect === 'postgres' ? sql`for update of d skip locked` : sql``;
      const result = await sql<DeliveryRow>`
        update outbound_deliveries set locked_by = ${workerId}, locked_until = ${until}
        where (workspace_id, endpoint_id, event_id) in (
          select d.workspace_id, d.endpoint_id, d.event_id from outbound_deliveries d
          where d.state = 'PENDING'
            and d.next_attempt_at <= ${iso(now)}
            and (d.locked_until is null or d.locked_until < ${iso(now)})
            and exists (
              select 1 from outbound_endpoints ep
              where ep.workspace_id = d.workspace_id and ep.id = d.endpoint_id and ep.disabled_at is null
            )
            and (d.customer_id is null or not exists (
              select 1 from outbound_deliveries e
              where e.workspace_id = d.workspace_id and e.endpoint_id = d.endpoint_id
                and e.customer_id = d.customer_id and e.state = 'PENDING' and e.seq < d.seq
            ))
          order by d.next_attempt_at, d.seq
          limit ${limit}
          ${lock}
        )
        returning *`.execute(db);
      return result.rows.map(toDelivery).sort((a, b) => (a.seq < b.seq ? -1 : 1));
    },

    /** The outcome of an attempt by the worker holding the lease; false when it no longer held it. */
    async settle(
      delivery: Pick<DeliveryRecord, 'workspace' | 'endpointId' | 'eventId'>,
      workerId: string,
      outcome: {
        state: DeliveryState;
        attempts: number;
        status: number | null;
        error: string | null;
        /** Null when it was never sent (released unsent). */
        attemptedAt: Date | null;
        nextAttemptAt?: Date;
      },
    ): Promise<boolean> {
      const result = await db
        .updateTable('outbound_deliveries')
        .set({
          state: outcome.state,
          attempts: outcome.attempts,
          last_status: outcome.status,
          last_error: outcome.error,
          last_attempt_at: outcome.attemptedAt ? iso(outcome.attemptedAt) : null,
          ...(outcome.state === 'DELIVERED' ? { delivered_at: iso(new Date()) } : {}),
          ...(outcome.nextAttemptAt ? { next_attempt_at: iso(outcome.nextAttemptAt) } : {}),
          locked_by: null,
          locked_until: null,
          updated_at: iso(new Date()),
        })
        .where('workspace_id', '=', delivery.workspace)
        .where('endpoint_id', '=', delivery.endpointId)
        .where('event_id', '=', delivery.eventId)
        .where('locked_by', '=', workerId)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    async get(workspace: string, id: string): Promise<DeliveryRecord | null> {
      const row = await db
        .selectFrom('outbound_deliveries')
        .selectAll()
        .where('workspace_id', '=', workspace)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? toDelivery(row) : null;
    },

    /** Newest first; `after` is the `seq` of the last delivery of the previous page. */
    async list(
      workspace: string,
      options: { endpointId?: string; states?: readonly DeliveryState[]; first: number; after?: string },
    ): Promise<DeliveryRecord[]> {
      let query = db.selectFrom('outbound_deliveries').selectAll().where('workspace_id', '=', workspace);
      if (options.endpointId) query = query.where('endpoint_id', '=', options.endpointId);
      if (options.states?.length) query = query.where('state', 'in', [...options.states]);
      if (options.after) query = query.where('seq', '<', options.after);
      const rows = await query.orderBy('seq', 'desc').limit(options.first).execute();
      return rows.map(toDelivery);
    },

    /**
     * Sends a FAILED or DELIVERED delivery again from now, with the schedule from its start and the
     * same `webhook-id` (a receiver that has it already can drop it). Null when there is no such
     * delivery; the record as it was when it is PENDING already.
     */
    async replay(
      workspace: string,
      id: string,
    ): Promise<{ delivery: DeliveryRecord; replayed: boolean } | null> {
      const now = iso(new Date());
      const result = await db
        .updateTable('outbound_deliveries')
        .set({
          state: 'PENDING',
          attempts: 0,
          next_attempt_at: now,
          locked_by: null,
          locked_until: null,
          updated_at: now,
        })
        .where('workspace_id', '=', workspace)
        .where('id', '=', id)
        .where('state', 'in', ['FAILED', 'DELIVERED'])
        .executeTakeFirst();
      const delivery = await deliveries.get(workspace, id);
      return delivery ? { delivery, replayed: Number(result.numUpdatedRows) > 0 } : null;
    },

    /** For metrics: deliveries waiting, and given up, over all workspaces. */
    async counts(): Promise<{ pending: number; failed: number }> {
      const rows = await db
        .selectFrom('outbound_deliveries')
        .select(['state', (eb) => eb.fn.countAll<string | number>().as('n')])
        .where('state', 'in', ['PENDING', 'FAILED'])
        .groupBy('state')
        .execute();
      const of = (state: string) => Number(rows.find((r) => r.state === state)?.n ?? 0);
      return { pending: of('PENDING'), failed: of('FAILED') };
    },
  };

  return { endpoints, deliveries };
}

export type OutboundStore = ReturnType<typeof createOutboundStore>;
