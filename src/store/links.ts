import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { SourceName } from '../domain/model.ts';
import type { Role } from '../domain/source-module.ts';
import type { Database, EntityType } from './schema.ts';

export interface CustomerRow {
  id: string;
  email: string | null;
  displayName: string | null;
  createdAt: Date;
}

export interface LinkRow {
  entityId: string;
  system: SourceName;
  role: Role | null;
  externalId: string;
  origin: string;
}

export type LinkOrigin = 'backfill' | 'lazy' | 'write' | 'webhook' | 'reconciliation';

/**
 * The identity links: one Switchboard id per customer (and per booking, order and invoice created
 * through the hub) mapped to each vendor's id. At most one link per entity and system, and one
 * entity per vendor record: a second claim on either is refused, never overwritten.
 */
export interface LinkRepository {
  /** Customers in a stable order (creation, then id); `after` is the last id of the previous page. */
  listCustomers(workspace: string, first: number, after?: string): Promise<CustomerRow[]>;
  countCustomers(workspace: string): Promise<number>;
  getCustomers(workspace: string, ids: readonly string[]): Promise<Map<string, CustomerRow>>;
  findCustomersByEmail(workspace: string, emails: readonly string[]): Promise<Map<string, CustomerRow[]>>;
  /** A new customer; `id` when the caller chose it (a write that names it in its operation). */
  createCustomer(
    workspace: string,
    input: { email: string | null; displayName: string | null; id?: string },
  ): Promise<CustomerRow>;
  /** Changes the email (normalised) or display name the hub keeps for a customer. */
  updateCustomer(
    workspace: string,
    id: string,
    changes: { email?: string; displayName?: string },
  ): Promise<void>;
  linksFor(workspace: string, type: EntityType, ids: readonly string[]): Promise<Map<string, LinkRow[]>>;
  /** Entity ids for vendor records of one system; records without a link are absent from the map. */
  entitiesFor(
    workspace: string,
    type: EntityType,
    system: SourceName,
    externalIds: readonly string[],
  ): Promise<Map<string, string>>;
  /** When each entity was last looked for in `system` without a match (see `recordMiss`). */
  lastMisses(
    workspace: string,
    type: EntityType,
    system: SourceName,
    ids: readonly string[],
  ): Promise<Map<string, Date>>;
  recordMisses(
    workspace: string,
    type: EntityType,
    system: SourceName,
    ids: readonly string[],
  ): Promise<void>;
  /**
   * Adds a link; returns 'created', 'exists' (the same link was there), or 'conflict' (the entity
   * already links another record of that system, or the record is linked to another entity).
   */
  link(
    workspace: string,
    type: EntityType,
    entityId: string,
    at: { role: Role; system: SourceName },
    externalId: string,
    origin: LinkOrigin,
  ): Promise<'created' | 'exists' | 'conflict'>;
}

const toCustomer = (row: {
  id: string;
  email: string | null;
  display_name: string | null;
  created_at: string;
}): CustomerRow => ({
  id: row.id,
  email: row.email,
  displayName: row.display_name,
  createdAt: new Date(row.created_at),
});

export function createLinkRepository(db: Kysely<Database>): LinkRepository {
  return {
    async listCustomers(workspace, first, after) {
      let query = db
        .selectFrom('customers')
        .select(['id', 'email', 'display_name', 'created_at'])
        .where('workspace_id', '=', workspace);
      if (after) {
        const anchor = await db
          .selectFrom('customers')
          .select(['created_at'])
          .where('workspace_id', '=', workspace)
          .where('id', '=', after)
          .executeTakeFirst();
        if (anchor) {
          query = query.where((eb) =>
            eb.or([
              eb('created_at', '>', anchor.created_at),
              eb.and([eb('created_at', '=', anchor.created_at), eb('id', '>', after)]),
            ]),
          );
        }
      }
      const rows = await query.orderBy('created_at').orderBy('id').limit(first).execute();
      return rows.map(toCustomer);
    },
    async countCustomers(workspace) {
      const row = await db
        .selectFrom('customers')
        .select((eb) => eb.fn.countAll<string | number>().as('n'))
        .where('workspace_id', '=', workspace)
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
    async getCustomers(workspace, ids) {
      if (ids.length === 0) return new Map();
      const rows = await db
        .selectFrom('customers')
        .select(['id', 'email', 'display_name', 'created_at'])
        .where('workspace_id', '=', workspace)
        .where('id', 'in', [...ids])
        .execute();
      return new Map(rows.map((r) => [r.id, toCustomer(r)]));
    },
    async findCustomersByEmail(workspace, emails) {
      if (emails.length === 0) return new Map();
      const rows = await db
        .selectFrom('customers')
        .select(['id', 'email', 'display_name', 'created_at'])
        .where('workspace_id', '=', workspace)
        .where('email', 'in', [...emails])
        .execute();
      const out = new Map<string, CustomerRow[]>();
      for (const row of rows) {
        const key = row.email as string;
        out.set(key, [...(out.get(key) ?? []), toCustomer(row)]);
      }
      return out;
    },
    async createCustomer(workspace, input) {
      const now = new Date().toISOString();
      const row = {
        workspace_id: workspace,
        id: input.id ?? randomUUID(),
        email: input.email,
        display_name: input.displayName,
        created_at: now,
        updated_at: now,
      };
      await db.insertInto('customers').values(row).execute();
      return toCustomer(row);
    },
    async updateCustomer(workspace, id, changes) {
      await db
        .updateTable('customers')
        .set({
          ...(changes.email ? { email: changes.email } : {}),
          ...(changes.displayName ? { display_name: changes.displayName } : {}),
          updated_at: new Date().toISOString(),
        })
        .where('workspace_id', '=', workspace)
        .where('id', '=', id)
        .execute();
    },
    async linksFor(workspace, type, ids) {
      const out = new Map<string, LinkRow[]>();
      if (ids.length === 0) return out;
      const rows = await db
        .selectFrom('links')
        .select(['entity_id', 'system', 'role', 'external_id', 'origin'])
        .where('workspace_id', '=', workspace)
        .where('entity_type', '=', type)
        .where('entity_id', 'in', [...ids])
        .execute();
      for (const row of rows) {
        const link: LinkRow = {
          entityId: row.entity_id,
          system: row.system,
          role: row.role as Role | null,
          externalId: row.external_id,
          origin: row.origin,
        };
        out.set(row.entity_id, [...(out.get(row.entity_id) ?? []), link]);
      }
      return out;
    },
    async entitiesFor(workspace, type, system, externalIds) {
      if (externalIds.length === 0) return new Map();
      const rows = await db
        .selectFrom('links')
        .select(['entity_id', 'external_id'])
        .where('workspace_id', '=', workspace)
        .where('entity_type', '=', type)
        .where('system', '=', system)
        .where('external_id', 'in', [...externalIds])
        .execute();
      return new Map(rows.map((r) => [r.external_id, r.entity_id]));
    },
    async lastMisses(workspace, type, system, ids) {
      if (ids.length === 0) return new Map();
      const rows = await db
        .selectFrom('link_checks')
        .select(['entity_id', 'checked_at'])
        .where('workspace_id', '=', workspace)
        .where('entity_type', '=', type)
        .where('system', '=', system)
        .where('entity_id', 'in', [...ids])
        .execute();
      return new Map(rows.map((r) => [r.entity_id, new Date(r.checked_at)]));
    },
    async recordMisses(workspace, type, system, ids) {
      if (ids.length === 0) return;
      const checked_at = new Date().toISOString();
      await db
        .insertInto('link_checks')
        .values(
          ids.map((entity_id) => ({
            workspace_id: workspace,
            entity_type: type,
            entity_id,
            system,
            checked_at,
          })),
        )
        .onConflict((oc) =>
          oc.columns(['workspace_id', 'entity_type', 'entity_id', 'system']).doUpdateSet({ checked_at }),
        )
        .execute();
    },
    async link(workspace, type, entityId, { role, system }, externalId, origin) {
      const result = await db
        .insertInto('links')
        .values({
          workspace_id: workspace,
          entity_type: type,
          entity_id: entityId,
          system,
          role,
          external_id: externalId,
          origin,
          created_at: new Date().toISOString(),
        })
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      if (Number(result.numInsertedOrUpdatedRows ?? 0) > 0) return 'created';
      const existing = await db
        .selectFrom('links')
        .select(['entity_id'])
        .where('workspace_id', '=', workspace)
        .where('entity_type', '=', type)
        .where('system', '=', system)
        .where('external_id', '=', externalId)
        .executeTakeFirst();
      return existing?.entity_id === entityId ? 'exists' : 'conflict';
    },
  };
}
