/**
 * Table types for Kysely. Dates are ISO-8601 text and JSON is text, so one schema serves SQLite
 * and PostgreSQL without dialect branches. Every row carries its workspace.
 */
export interface Database {
  workspaces: { id: string; name: string; created_at: string };
  customers: {
    workspace_id: string;
    id: string;
    /** Normalised (trimmed, lower-case) email: the key the backfill matches systems on. */
    email: string | null;
    display_name: string | null;
    created_at: string;
    updated_at: string;
  };
  links: {
    workspace_id: string;
    entity_type: EntityType;
    entity_id: string;
    system: string;
    external_id: string;
    /** How the link was made: backfill, lazy, write, webhook. */
    origin: string;
    created_at: string;
  };
  /** "We looked for this entity's record in that system and found none", so lazy linking does not ask again each request. */
  link_checks: {
    workspace_id: string;
    entity_type: EntityType;
    entity_id: string;
    system: string;
    checked_at: string;
  };
  sync_issues: {
    workspace_id: string;
    id: string;
    /** One open issue per (workspace, dedupe_key): the same mismatch is not raised twice. */
    dedupe_key: string;
    customer_id: string | null;
    kind: string;
    field: string | null;
    systems: string;
    details: string;
    message: string;
    detected_at: string;
    resolved_at: string | null;
  };
  source_state: {
    workspace_id: string;
    system: string;
    key: string;
    value: string;
    updated_at: string;
  };
}

export type EntityType = 'customer' | 'booking' | 'order' | 'invoice';
