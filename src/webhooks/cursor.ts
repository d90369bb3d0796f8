/**
 * Where the calendar's "changes since" cursor lives in `source_state` (per workspace and calendar
 * system): push notifications carry no data, so the webhook processor asks the calendar what changed
 * since the cursor, and keeps the next one.
 */
export const CHANGES_CURSOR = 'changes_cursor';
/** When the cursor was last advanced: after an expired cursor, what changed since is re-read. */
export const CHANGES_SYNCED_AT = 'changes_synced_at';
