import type { SourceName } from '../domain/model.ts';
import { SecretOpenError } from '../security/secrets.ts';
import type { SealingStore } from './store.ts';

/**
 * The one list of what the store keeps sealed (`src/security/secrets.ts`), and the contexts each
 * is sealed for. A new secret column or key is added here, so `sealStoredSecrets` reseals it too:
 *
 * - `source_state.value` under `refresh_token:<lineage>` (rotated OAuth refresh tokens),
 *   `access_token:<lineage>` (the shared access-token JSON), `api_key:<lineage>` (a key pasted in the
 *   console) and `webhook_secret` (Stripe's signing secret). Other keys (leases, sync tokens,
 *   timestamps) stay plain: leases are compare-and-set on the raw column value, which a fresh IV
 *   per seal would defeat, and they are not secret.
 * - `push_channels.token` (the token Google echoes on every push notification).
 * - `outbound_endpoints.secret` and `.previous_secret` (outbound webhook signing secrets, src/outbound/).
 */

/** True for the `source_state` keys whose values are sealed. */
export function isSecretStateKey(key: string): boolean {
  return (
    key.startsWith('refresh_token:') ||
    key.startsWith('access_token:') ||
    key.startsWith('api_key:') ||
    key === 'webhook_secret'
  );
}

// Each part is URI-encoded so a ':' inside one (a workspace id, say) cannot make two rows' contexts equal.
const context = (...parts: string[]) => parts.map(encodeURIComponent).join(':');

/** What a `source_state` value is sealed for: its table, workspace, system and key. */
export const sourceStateContext = (workspace: string, system: string, key: string): string =>
  context('source_state', workspace, system, key);

/** What a `push_channels.token` is sealed for: its table, workspace, source and channel id. */
export const pushChannelContext = (
  workspace: string,
  source: SourceName | string,
  channelId: string,
): string => context('push_channels', workspace, source, channelId);

/** What an outbound endpoint's `secret` or `previous_secret` is sealed for. */
export const outboundSecretContext = (workspace: string, endpointId: string, column: string): string =>
  context('outbound_endpoints', workspace, endpointId, column);

export interface SealReport {
  /** Plaintext secrets (stored before encryption) now sealed. */
  sealed: number;
  /** Secrets sealed with a previous key now sealed with the current one. */
  resealed: number;
}

/**
 * One pass over every secret in the store: seals plaintext ones and reseals those sealed with a
 * previous key (key rotation), so afterwards only the current key is needed. Idempotent, and safe
 * while hubs run on the store: each row is rewritten only if it still holds the value read (a
 * compare-and-set), and a row changed meanwhile was written sealed by its writer.
 *
 * Throws `SecretOpenError` after the pass when values sealed with a key that is not configured
 * remain (naming the key ids and the variable to set), or a value does not open; everything else
 * is sealed by then. Database errors are thrown as they come.
 */
export async function sealStoredSecrets(store: SealingStore): Promise<SealReport> {
  const { db, secrets } = store;
  const report: SealReport = { sealed: 0, resealed: 0 };
  const failures: SecretOpenError[] = [];

  /** The value to store instead of `stored`, or undefined when it needs nothing (or cannot be opened). */
  const replacement = (stored: string, where: string): string | undefined => {
    if (!secrets.needsSealing(stored)) {
      // Sealed with the current key, or with one nothing here can open: find out which.
      try {
        secrets.open(stored, where);
      } catch (error) {
        if (!(error instanceof SecretOpenError)) throw error;
        failures.push(error);
      }
      return undefined;
    }
    try {
      return secrets.seal(secrets.open(stored, where), where);
    } catch (error) {
      if (!(error instanceof SecretOpenError)) throw error;
      failures.push(error);
      return undefined;
    }
  };
  const count = (before: string) => {
    if (before.startsWith('enc:')) report.resealed++;
    else report.sealed++;
  };

  // Leases and sync tokens are few and plain; filtering in SQL too would need LIKE escapes for '_'.
  const states = await db
    .selectFrom('source_state')
    .select(['workspace_id', 'system', 'key', 'value'])
    .execute();
  for (const row of states) {
    if (!isSecretStateKey(row.key)) continue;
    const next = replacement(row.value, sourceStateContext(row.workspace_id, row.system, row.key));
    if (next === undefined) continue;
    const result = await db
      .updateTable('source_state')
      .set({ value: next })
      .where('workspace_id', '=', row.workspace_id)
      .where('system', '=', row.system)
      .where('key', '=', row.key)
      .where('value', '=', row.value)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 1) count(row.value);
  }

  const channels = await db
    .selectFrom('push_channels')
    .select(['workspace_id', 'source', 'channel_id', 'token'])
    .execute();
  for (const row of channels) {
    const next = replacement(row.token, pushChannelContext(row.workspace_id, row.source, row.channel_id));
    if (next === undefined) continue;
    const result = await db
      .updateTable('push_channels')
      .set({ token: next })
      .where('workspace_id', '=', row.workspace_id)
      .where('source', '=', row.source)
      .where('channel_id', '=', row.channel_id)
      .where('token', '=', row.token)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) === 1) count(row.token);
  }

  const endpoints = await db
    .selectFrom('outbound_endpoints')
    .select(['workspace_id', 'id', 'secret', 'previous_secret'])
    .execute();
  for (const row of endpoints) {
    for (const column of ['secret', 'previous_secret'] as const) {
      const stored = row[column];
      if (stored === null) continue;
      const next = replacement(stored, outboundSecretContext(row.workspace_id, row.id, column));
      if (next === undefined) continue;
      const result = await db
        .updateTable('outbound_endpoints')
        .set({ [column]: next })
        .where('workspace_id', '=', row.workspace_id)
        .where('id', '=', row.id)
        .where(column, '=', stored)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 1) count(stored);
    }
  }

  if (failures.length > 0) {
    const first = failures[0] as SecretOpenError;
    const missing = [
      ...new Set(failures.flatMap((f) => (f.reason === 'unknown-key' && f.keyId ? [f.keyId] : []))),
    ];
    throw new SecretOpenError(
      `${failures.length} secret(s) in the store could not be opened` +
        (missing.length > 0 ? ` (sealed with key ${missing.join(', ')}, not configured)` : '') +
        `; the others are sealed with key ${secrets.keyId}. The first: ${first.message}`,
      first.reason,
      missing[0] ?? first.keyId,
    );
  }
  return report;
}
