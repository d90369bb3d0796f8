import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { roleKeyed, roleStepName } from '../operations/legacy.ts';
import { SOURCE_MODULES } from '../../sources/registry.ts';

/**
 * One set of migrations for SQLite and PostgreSQL: only types both understand (text, integer), and
 * constraints declared inline. Add a migration; never edit one that has shipped.
 */
const migrations: Record<string, Migration> = {
  '0001_links_and_sync_issues': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('workspaces')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('customers')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('email', 'text')
        .addColumn('display_name', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('customers_pk', ['workspace_id', 'id'])
        .execute();
      await db.schema
        .createIndex('customers_email')
        .on('customers')
        .columns(['workspace_id', 'email'])
        .execute();
      await db.schema
        .createTable('links')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('entity_type', 'text', (c) => c.notNull())
        .addColumn('entity_id', 'text', (c) => c.notNull())
        .addColumn('system', 'text', (c) => c.notNull())
        .addColumn('external_id', 'text', (c) => c.notNull())
        .addColumn('origin', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('links_pk', ['workspace_id', 'entity_type', 'system', 'external_id'])
        .addUniqueConstraint('links_one_per_system', ['workspace_id', 'entity_type', 'entity_id', 'system'])
        .execute();
      await db.schema
        .createTable('link_checks')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('entity_type', 'text', (c) => c.notNull())
        .addColumn('entity_id', 'text', (c) => c.notNull())
        .addColumn('system', 'text', (c) => c.notNull())
        .addColumn('checked_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('link_checks_pk', ['workspace_id', 'entity_type', 'entity_id', 'system'])
        .execute();
      await db.schema
        .createTable('sync_issues')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('dedupe_key', 'text', (c) => c.notNull())
        .addColumn('customer_id', 'text')
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('field', 'text')
        .addColumn('systems', 'text', (c) => c.notNull())
        .addColumn('details', 'text', (c) => c.notNull())
        .addColumn('message', 'text', (c) => c.notNull())
        .addColumn('detected_at', 'text', (c) => c.notNull())
        .addColumn('resolved_at', 'text')
        .addPrimaryKeyConstraint('sync_issues_pk', ['workspace_id', 'id'])
        .addUniqueConstraint('sync_issues_dedupe', ['workspace_id', 'dedupe_key'])
        .execute();
      await db.schema
        .createIndex('sync_issues_customer')
        .on('sync_issues')
        .columns(['workspace_id', 'customer_id'])
        .execute();
      await db.schema
        .createTable('source_state')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('system', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('source_state_pk', ['workspace_id', 'system', 'key'])
        .execute();
    },
  },
  '0002_operations_outbox': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('operations')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('input', 'text', (c) => c.notNull())
        .addColumn('input_hash', 'text', (c) => c.notNull())
        .addColumn('client_key', 'text')
        .addColumn('context', 'text', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('next_run_at', 'text', (c) => c.notNull())
        .addColumn('locked_by', 'text')
        .addColumn('locked_until', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('operations_pk', ['workspace_id', 'id'])
        .addUniqueConstraint('operations_client_key', ['workspace_id', 'client_key'])
        .execute();
      await db.schema
        .createIndex('operations_due')
        .on('operations')
        .columns(['state', 'next_run_at'])
        .execute();
      await db.schema
        .createTable('operation_steps')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('operation_id', 'text', (c) => c.notNull())
        .addColumn('position', 'integer', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('system', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('idempotency_key', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('result', 'text')
        .addColumn('last_error', 'text')
        .addColumn('last_error_code', 'text')
        .addColumn('next_attempt_at', 'text')
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('operation_steps_pk', ['workspace_id', 'operation_id', 'position'])
        .execute();
      await db.schema
        .createIndex('operation_steps_state')
        .on('operation_steps')
        .columns(['workspace_id', 'state'])
        .execute();
    },
  },
  '0003_webhook_inbox': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('webhook_inbox')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('occurred_at', 'text', (c) => c.notNull())
        .addColumn('received_at', 'text', (c) => c.notNull())
        .addColumn('changes', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('locked_by', 'text')
        .addColumn('locked_until', 'text')
        .addColumn('processed_at', 'text')
        .addPrimaryKeyConstraint('webhook_inbox_pk', ['workspace_id', 'source', 'event_id'])
        .execute();
      await db.schema
        .createIndex('webhook_inbox_due')
        .on('webhook_inbox')
        .columns(['state', 'received_at'])
        .execute();
      await db.schema
        .createTable('push_channels')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('channel_id', 'text', (c) => c.notNull())
        .addColumn('token', 'text', (c) => c.notNull())
        .addColumn('resource_id', 'text')
        .addColumn('expires_at', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('push_channels_pk', ['workspace_id', 'source', 'channel_id'])
        .execute();
    },
  },
  '0004_security': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('mode', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('allowed_origins', 'text', (c) => c.notNull())
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text')
        .addColumn('last_used_at', 'text')
        .addColumn('expires_at', 'text')
        .addColumn('revoked_at', 'text')
        .addColumn('replaced_by', 'text')
        .execute();
      await db.schema
        .createIndex('api_keys_workspace')
        .on('api_keys')
        .columns(['workspace_id', 'created_at'])
        .execute();
      await db.schema
        .createTable('audit_log')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('workspace_id', 'text')
        .addColumn('at', 'text', (c) => c.notNull())
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('target', 'text')
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('address', 'text')
        .addColumn('origin', 'text')
        .addColumn('detail', 'text')
        .addColumn('suppressed', 'integer', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_log_at').on('audit_log').columns(['workspace_id', 'at']).execute();
    },
  },
  /**
   * The core speaks roles: links say which role their system plays, and operations still in flight
   * (or kept as history) are rewritten from vendor-named steps and input keys to role-named ones
   * (see src/operations/legacy.ts), in the migration's transaction. The calendar's sync cursor
   * keeps its value under the vendor-neutral key.
   */
  '0005_roles': {
    async up(db: Kysely<unknown>) {
      const store = db as Kysely<RolesMigration>;
      await db.schema.alterTable('links').addColumn('role', 'text').execute();
      for (const module of SOURCE_MODULES) {
        await store.updateTable('links').set({ role: module.role }).where('system', '=', module.id).execute();
      }
      const steps = await store
        .selectFrom('operation_steps')
        .select(['workspace_id', 'operation_id', 'position', 'name', 'result'])
        .execute();
      for (const step of steps) {
        const name = roleStepName(step.name);
        const result = step.result === null ? null : JSON.stringify(roleKeyed(JSON.parse(step.result)));
        if (name === step.name && result === step.result) continue;
        await store
          .updateTable('operation_steps')
          .set({ name, result })
          .where('workspace_id', '=', step.workspace_id)
          .where('operation_id', '=', step.operation_id)
          .where('position', '=', step.position)
          .execute();
      }
      const operations = await store
        .selectFrom('operations')
        .select(['workspace_id', 'id', 'input', 'context'])
        .execute();
      for (const op of operations) {
        const input = JSON.stringify(roleKeyed(JSON.parse(op.input)));
        const context = JSON.stringify(roleKeyed(JSON.parse(op.context)));
        if (input === op.input && context === op.context) continue;
        await store
          .updateTable('operations')
          .set({ input, context })
          .where('workspace_id', '=', op.workspace_id)
          .where('id', '=', op.id)
          .execute();
      }
      for (const [from, to] of [
        ['sync_token', 'changes_cursor'],
        ['synced_at', 'changes_synced_at'],
      ] as const) {
        await sql`update source_state set key = ${to} where key = ${from}`.execute(db);
      }
    },
  },
  '0006_customers_listing': {
    // `customers` pages in creation order: without this every page sorted the workspace's customers.
    async up(db: Kysely<unknown>) {
      await db.schema
        .createIndex('customers_listing')
        .on('customers')
        .columns(['workspace_id', 'created_at', 'id'])
        .execute();
    },
  },
  /**
   * An operator settles a sync issue (issue 12): who, how (a winner's value written, or dismissed
   * with a reason) and the operation that wrote it. The console's Writes page lists operations newest
   * first, which this index serves without sorting the workspace's outbox.
   */
  '0007_sync_issue_resolutions': {
    async up(db: Kysely<unknown>) {
      for (const column of [
        'resolution_kind',
        'resolution_winner',
        'resolution_reason',
        'resolved_by',
        'resolution_operation_id',
      ]) {
        await db.schema.alterTable('sync_issues').addColumn(column, 'text').execute();
      }
      await db.schema
        .createIndex('operations_listing')
        .on('operations')
        .columns(['workspace_id', 'created_at', 'id'])
        .execute();
    },
  },
  /**
   * Reconciliation runs (src/sync/reconcile.ts); who closed a sync issue is 0007's `resolved_by`
   * (`reconciliation` when a run closed it). At most one RUNNING
   * run per workspace, on every replica: the partial unique index refuses a second, and a run whose
   * heartbeat stopped (its replica died) is failed before a new one starts.
   */
  '0008_reconciliation': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('reconciliation_runs')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('trigger', 'text', (c) => c.notNull())
        .addColumn('started_at', 'text', (c) => c.notNull())
        .addColumn('finished_at', 'text')
        .addColumn('heartbeat_at', 'text', (c) => c.notNull())
        .addColumn('customers_checked', 'integer', (c) => c.notNull())
        .addColumn('issues_raised', 'integer', (c) => c.notNull())
        .addColumn('issues_closed', 'integer', (c) => c.notNull())
        .addColumn('errors', 'integer', (c) => c.notNull())
        .addColumn('last_error', 'text')
        .addPrimaryKeyConstraint('reconciliation_runs_pk', ['workspace_id', 'id'])
        .execute();
      await db.schema
        .createIndex('reconciliation_runs_started')
        .on('reconciliation_runs')
        .columns(['workspace_id', 'started_at'])
        .execute();
      await db.schema
        .createIndex('reconciliation_runs_one_running')
        .on('reconciliation_runs')
        .columns(['workspace_id'])
        .unique()
        .where(sql.ref('state'), '=', sql.lit('RUNNING'))
        .execute();
    },
  },
  /**
   * Workspaces made at run time (`createWorkspace`, src/workspaces/): the businesses a studio's hub
   * serves besides the one its environment configures. Their connections live in `source_state`.
   */
  '0009_workspaces': {
    async up(db: Kysely<unknown>) {
      // The table has been here since 0001, empty: the environment's own workspace is not a row.
      await db.schema
        .alterTable('workspaces')
        .addColumn('currency', 'text', (c) => c.notNull().defaultTo('GBP'))
        .execute();
      await db.schema
        .alterTable('workspaces')
        .addColumn('created_by', 'text', (c) => c.notNull().defaultTo(''))
        .execute();
    },
  },
  /**
   * Outbound webhooks to the business's own tools (src/outbound/): endpoints, their secrets sealed
   * (src/store/secrets-at-rest.ts), and one delivery per (endpoint, event), stored before it is sent.
   * The primary key makes a delivery once however many replicas hear the event; `seq` orders one
   * customer's deliveries to an endpoint; `id` is the Standard Webhooks `webhook-id`.
   */
  '0010_outbound_webhooks': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('outbound_endpoints')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('events', 'text', (c) => c.notNull())
        .addColumn('description', 'text')
        .addColumn('secret', 'text', (c) => c.notNull())
        .addColumn('previous_secret', 'text')
        .addColumn('previous_secret_until', 'text')
        .addColumn('disabled_at', 'text')
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('outbound_endpoints_pk', ['workspace_id', 'id'])
        .execute();
      await db.schema
        .createTable('outbound_deliveries')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('endpoint_id', 'text', (c) => c.notNull())
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull().unique())
        .addColumn('event_type', 'text', (c) => c.notNull())
        .addColumn('customer_id', 'text')
        .addColumn('seq', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('next_attempt_at', 'text', (c) => c.notNull())
        .addColumn('locked_by', 'text')
        .addColumn('locked_until', 'text')
        .addColumn('last_status', 'integer')
        .addColumn('last_error', 'text')
        .addColumn('last_attempt_at', 'text')
        .addColumn('delivered_at', 'text')
        .addColumn('occurred_at', 'text', (c) => c.notNull())
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('outbound_deliveries_pk', ['workspace_id', 'endpoint_id', 'event_id'])
        .execute();
      await db.schema
        .createIndex('outbound_deliveries_due')
        .on('outbound_deliveries')
        .columns(['state', 'next_attempt_at'])
        .execute();
      await db.schema
        .createIndex('outbound_deliveries_order')
        .on('outbound_deliveries')
        .columns(['workspace_id', 'endpoint_id', 'customer_id', 'state', 'seq'])
        .execute();
      await db.schema
        .createIndex('outbound_deliveries_listing')
        .on('outbound_deliveries')
        .columns(['workspace_id', 'seq'])
        .execute();
    },
  },
  '0011_deposit_links': {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('deposit_links')
        .addColumn('workspace_id', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('booking_event_id', 'text', (c) => c.notNull())
        .addColumn('customer_id', 'text')
        .addColumn('amount', 'integer', (c) => c.notNull())
        .addColumn('currency', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('system', 'text')
        .addColumn('external_id', 'text')
        .addColumn('url', 'text')
        .addColumn('expires_at', 'text')
        .addColumn('holds_slot', 'integer', (c) => c.notNull())
        .addColumn('reference', 'text')
        .addColumn('payer', 'text', (c) => c.notNull())
        .addColumn('order_id', 'text')
        .addColumn('operation_id', 'text', (c) => c.notNull())
        .addColumn('settled_by', 'text')
        .addColumn('paid_at', 'text')
        .addColumn('created_at', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('deposit_links_pk', ['workspace_id', 'id'])
        .execute();
      await db.schema
        .createIndex('deposit_links_external')
        .on('deposit_links')
        .columns(['workspace_id', 'system', 'external_id'])
        .execute();
      await db.schema
        .createIndex('deposit_links_booking')
        .on('deposit_links')
        .columns(['workspace_id', 'booking_event_id'])
        .execute();
      await db.schema
        .createIndex('deposit_links_listing')
        .on('deposit_links')
        .columns(['workspace_id', 'created_at'])
        .execute();
    },
  },
};

/** The columns migration 0005 reads and writes, as they were when it shipped. */
interface RolesMigration {
  links: { system: string; role: string | null };
  operation_steps: {
    workspace_id: string;
    operation_id: string;
    position: number;
    name: string;
    result: string | null;
  };
  operations: { workspace_id: string; id: string; input: string; context: string };
}

export const migrationProvider: MigrationProvider = {
  getMigrations: () => Promise.resolve(migrations),
};
