/**
 * Table types for Kysely. Dates are ISO-8601 text and JSON is text, so one schema serves SQLite
 * and PostgreSQL without dialect branches. Every row carries its workspace.
 */
export interface Database {
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
    /** The role the system plays (crm, calendar, payments, accounting); null only for rows of a system no module knows. */
    role: string | null;
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
    /** RESOLVED (a winner's value written) or DISMISSED; null while open, and for issues resolved before 0007. */
    resolution_kind: string | null;
    resolution_winner: string | null;
    resolution_reason: string | null;
    /** The principal as the audit log names it (a key id, `jwt:<subject>`, `cli`), or `reconciliation` when a run found it no longer holds. */
    resolved_by: string | null;
    resolution_operation_id: string | null;
  };
  /** Write operations (transactional outbox): stored before any vendor is called. */
  operations: {
    workspace_id: string;
    id: string;
    kind: string;
    state: string;
    input: string;
    input_hash: string;
    /** The client's idempotency key; one operation per key and workspace. */
    client_key: string | null;
    /** What the steps produced so far (vendor ids), JSON. */
    context: string;
    error: string | null;
    next_run_at: string;
    locked_by: string | null;
    locked_until: string | null;
    created_at: string;
    updated_at: string;
  };
  operation_steps: {
    workspace_id: string;
    operation_id: string;
    position: number;
    name: string;
    system: string;
    state: string;
    idempotency_key: string;
    attempts: number;
    result: string | null;
    last_error: string | null;
    last_error_code: string | null;
    next_attempt_at: string | null;
    updated_at: string;
  };
  /** Vendor webhook events, stored before the 2xx; one row per workspace, source and vendor event id. */
  webhook_inbox: {
    workspace_id: string;
    source: string;
    event_id: string;
    type: string;
    occurred_at: string;
    /** Order of arrival (ISO time with a per-process sequence for ties). */
    received_at: string;
    /** JSON list of Change. */
    changes: string;
    state: string;
    attempts: number;
    error: string | null;
    locked_by: string | null;
    locked_until: string | null;
    processed_at: string | null;
  };
  /** Google push channels the hub opened, to check notifications against. */
  push_channels: {
    workspace_id: string;
    source: string;
    channel_id: string;
    token: string;
    resource_id: string | null;
    expires_at: string;
    created_at: string;
  };
  /** API keys: only a hash of each key's text is kept (src/security/keys.ts). */
  api_keys: {
    id: string;
    workspace_id: string;
    kind: 'secret' | 'publishable';
    mode: 'live' | 'test';
    name: string;
    /** JSON list of scope names. */
    scopes: string;
    /** JSON list of origins (publishable keys). */
    allowed_origins: string;
    /** SHA-256 of the key's text, hex. */
    token_hash: string;
    created_at: string;
    created_by: string | null;
    last_used_at: string | null;
    expires_at: string | null;
    revoked_at: string | null;
    replaced_by: string | null;
  };
  /** Who did what (src/security/audit.ts); refused requests are sampled. */
  audit_log: {
    id: string;
    /** Null for refused requests that named no workspace the caller may use. */
    workspace_id: string | null;
    at: string;
    actor: string;
    action: string;
    target: string | null;
    outcome: string;
    address: string | null;
    origin: string | null;
    /** JSON object, never customer data. */
    detail: string | null;
    suppressed: number;
  };
  source_state: {
    workspace_id: string;
    system: string;
    key: string;
    value: string;
    updated_at: string;
  };
  /** Reconciliation runs (src/sync/reconcile.ts); at most one RUNNING per workspace (a partial unique index). */
  reconciliation_runs: {
    workspace_id: string;
    id: string;
    /** RUNNING, COMPLETED or FAILED. */
    state: string;
    /** `schedule` or `request`. */
    trigger: string;
    started_at: string;
    finished_at: string | null;
    /** Written every few seconds while running; a RUNNING row whose heartbeat stopped is a dead replica's. */
    heartbeat_at: string;
    customers_checked: number;
    issues_raised: number;
    issues_closed: number;
    errors: number;
    last_error: string | null;
  };
  /** Workspaces made at run time (src/workspaces/); the environment's own is not a row. */
  workspaces: {
    id: string;
    name: string;
    /** ISO 4217, upper case. */
    currency: string;
    created_at: string;
    /** The actor that made it (`key:<id>` or `jwt:<sub>`). */
    created_by: string;
  };
  /** Where the business's own tools receive domain events (src/outbound/). */
  outbound_endpoints: {
    workspace_id: string;
    /** `ep_…` */
    id: string;
    url: string;
    /** JSON list of EventType. */
    events: string;
    description: string | null;
    /** The `whsec_…` signing secret, sealed (src/store/secrets-at-rest.ts). */
    secret: string;
    /** The secret before the last rotation, sealed; it signs alongside until `previous_secret_until`. */
    previous_secret: string | null;
    previous_secret_until: string | null;
    /** Set while disabled: no deliveries are made or sent. */
    disabled_at: string | null;
    created_by: string;
    created_at: string;
    updated_at: string;
  };
  /** One delivery per (endpoint, event), stored before it is sent (src/outbound/store.ts). */
  outbound_deliveries: {
    workspace_id: string;
    endpoint_id: string;
    event_id: string;
    /** `msg_…`: the Standard Webhooks `webhook-id`, the same on every attempt and replay. */
    id: string;
    event_type: string;
    /** Deliveries of one customer to one endpoint are sent in `seq` order; null: unordered. */
    customer_id: string | null;
    /** When it was stored (ISO) and a per-process counter: the order events were published in. */
    seq: string;
    /** The JSON body, exactly as signed and sent. */
    payload: string;
    /** PENDING, DELIVERED or FAILED. */
    state: string;
    attempts: number;
    next_attempt_at: string;
    locked_by: string | null;
    locked_until: string | null;
    last_status: number | null;
    last_error: string | null;
    last_attempt_at: string | null;
    delivered_at: string | null;
    occurred_at: string;
    created_at: string;
    updated_at: string;
  };
  /** Links for customers to pay a booking's deposit (src/deposits/). */
  deposit_links: {
    workspace_id: string;
    /** `dep_…`, made when the deposit was asked for, before the payments system was called. */
    id: string;
    /** The calendar event of the booking it is for. */
    booking_event_id: string;
    customer_id: string | null;
    amount: number;
    currency: string;
    /** PENDING (the link is being made), OPEN, PAID or EXPIRED. */
    status: string;
    /** The payments system and its id of the link (a checkout session), once made. */
    system: string | null;
    external_id: string | null;
    url: string | null;
    expires_at: string | null;
    /** 1 when the booking is a tentative hold that ends with the link (an enquiry's). */
    holds_slot: number;
    /** The enquiry's reference, when one asked for it. */
    reference: string | null;
    /** JSON: who pays ({email, firstName, lastName, phone}), for the accounting contact made once paid. */
    payer: string;
    /** The payment made through the link (payments system's id), once paid. */
    order_id: string | null;
    /** The operation that made the link. */
    operation_id: string;
    /** The operation that confirmed the booking, invoiced and moved the CRM contact on (paid), or let the hold go (expired). */
    settled_by: string | null;
    paid_at: string | null;
    created_at: string;
    updated_at: string;
  };
}

export type EntityType = 'customer' | 'booking' | 'order' | 'invoice';
