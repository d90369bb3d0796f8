import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';

export type KeyKind = 'secret' | 'publishable';
export type KeyMode = 'live' | 'test';

/**
 * An API key as the store keeps it: everything but the key's text, of which only a SHA-256 hash is
 * stored (the text has 256 random bits, so a fast hash is as good as a slow one and costs
 * microseconds per request).
 */
export interface ApiKeyRecord {
  /** Public id, 12 base62 characters; part of the key's text. */
  id: string;
  workspace: string;
  kind: KeyKind;
  mode: KeyMode;
  name: string;
  scopes: string[];
  /** Publishable keys: the browser origins allowed to use it. */
  allowedOrigins: string[];
  createdAt: Date;
  createdBy: string | null;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
  replacedBy: string | null;
}

export interface NewApiKey {
  workspace: string;
  kind: KeyKind;
  mode: KeyMode;
  name: string;
  scopes: readonly string[];
  allowedOrigins?: readonly string[];
  expiresAt?: Date | null;
  createdBy?: string | null;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `length` characters of base62, each uniformly random (rejection sampling, no modulo bias). */
function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248) out += BASE62[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

const ID_LENGTH = 12;
/** 43 base62 characters carry 256 bits. */
const SECRET_LENGTH = 43;
const TOKEN = /^(sb|sbpk)_(live|test)_([0-9A-Za-z]{12})_([0-9A-Za-z]{43})$/;

const prefixOf = (kind: KeyKind) => (kind === 'secret' ? 'sb' : 'sbpk');

/** What a key's text says about itself; undefined when it is not shaped like a Switchboard key. */
export function parseKeyText(text: string): { kind: KeyKind; mode: KeyMode; id: string } | undefined {
  const match = TOKEN.exec(text);
  if (!match) return undefined;
  return { kind: match[1] === 'sb' ? 'secret' : 'publishable', mode: match[2] as KeyMode, id: match[3]! };
}

/** True for text that starts like a Switchboard key (used to spot keys where they must not be, e.g. URLs). */
export const looksLikeKey = (text: string) => /^(sb|sbpk)_(live|test)_/.test(text);

/** The start of a key's text that identifies it without being usable: `sb_test_Ab12Cd34Ef56`. */
export const keyPrefix = (key: Pick<ApiKeyRecord, 'kind' | 'mode' | 'id'>) =>
  `${prefixOf(key.kind)}_${key.mode}_${key.id}`;

const hashOf = (text: string) => createHash('sha256').update(text).digest('hex');

export const isActive = (key: Pick<ApiKeyRecord, 'revokedAt' | 'expiresAt'>, now = new Date()) =>
  key.revokedAt === null && (key.expiresAt === null || key.expiresAt.getTime() > now.getTime());

type Row = Database['api_keys'];

const date = (value: string | null) => (value === null ? null : new Date(value));

function toRecord(row: Row): ApiKeyRecord {
  return {
    id: row.id,
    workspace: row.workspace_id,
    kind: row.kind,
    mode: row.mode,
    name: row.name,
    scopes: JSON.parse(row.scopes) as string[],
    allowedOrigins: JSON.parse(row.allowed_origins) as string[],
    createdAt: new Date(row.created_at),
    createdBy: row.created_by,
    lastUsedAt: date(row.last_used_at),
    expiresAt: date(row.expires_at),
    revokedAt: date(row.revoked_at),
    replacedBy: row.replaced_by,
  };
}

export interface ApiKeyRepository {
  /** Makes a key; `text` is its full text, which is not kept anywhere and cannot be shown again. */
  create(input: NewApiKey): Promise<{ key: ApiKeyRecord; text: string }>;
  /**
   * The key whose text this is, revoked and expired ones included (the caller decides what to say);
   * undefined for text that is not a key, an unknown id, or a wrong secret, which look the same.
   * Never throws for bad input.
   */
  verify(text: string): Promise<ApiKeyRecord | undefined>;
  get(id: string): Promise<ApiKeyRecord | undefined>;
  /** Newest first; `after` is the last key of the previous page. */
  list(options?: {
    workspace?: string;
    kind?: KeyKind;
    includeInactive?: boolean;
    first?: number;
    after?: { createdAt: Date; id: string };
  }): Promise<ApiKeyRecord[]>;
  /** Revokes at once; revoking a revoked key keeps the first time. Undefined for an unknown id. */
  revoke(id: string, now?: Date): Promise<ApiKeyRecord | undefined>;
  /**
   * A new key like `id` (name, scopes, origins, the same lifetime from now); the old one keeps
   * working for `overlapMs`, then expires. Undefined for an unknown id, and for a key that is
   * revoked, expired or already replaced (checked in the same transaction, so two rotations or a
   * rotation racing a revocation cannot both win).
   */
  rotate(
    id: string,
    overlapMs: number,
    createdBy: string | null,
    now?: Date,
  ): Promise<{ key: ApiKeyRecord; text: string; previous: ApiKeyRecord } | undefined>;
  /** Records a use (callers throttle it: it is a write). */
  touch(id: string, at: Date): Promise<void>;
  /** Revocation and expiry of the given keys, for re-checking long-lived connections in one query. */
  states(ids: readonly string[]): Promise<Map<string, Pick<ApiKeyRecord, 'revokedAt' | 'expiresAt'>>>;
}

class RotationLost extends Error {}

export function createApiKeyRepository(db: Kysely<Database>): ApiKeyRepository {
  const get = async (id: string) => {
    const row = await db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRecord(row) : undefined;
  };

  const insert = async (input: NewApiKey, executor: Kysely<Database> = db) => {
    const id = randomBase62(ID_LENGTH);
    const text = `${prefixOf(input.kind)}_${input.mode}_${id}_${randomBase62(SECRET_LENGTH)}`;
    const row: Row = {
      id,
      workspace_id: input.workspace,
      kind: input.kind,
      mode: input.mode,
      name: input.name,
      scopes: JSON.stringify([...new Set(input.scopes)]),
      allowed_origins: JSON.stringify([...new Set(input.allowedOrigins ?? [])]),
      token_hash: hashOf(text),
      created_at: new Date().toISOString(),
      created_by: input.createdBy ?? null,
      last_used_at: null,
      expires_at: input.expiresAt ? input.expiresAt.toISOString() : null,
      revoked_at: null,
      replaced_by: null,
    };
    await executor.insertInto('api_keys').values(row).execute();
    return { key: toRecord(row), text };
  };

  return {
    create: (input) => insert(input),
    async verify(text) {
      const parsed = parseKeyText(text);
      if (!parsed) return undefined;
      const row = await db.selectFrom('api_keys').selectAll().where('id', '=', parsed.id).executeTakeFirst();
      if (!row) return undefined;
      const expected = Buffer.from(row.token_hash, 'hex');
      const actual = Buffer.from(hashOf(text), 'hex');
      if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return undefined;
      return toRecord(row);
    },
    get,
    async list({ workspace, kind, includeInactive = false, first = 1000, after } = {}) {
      let query = db.selectFrom('api_keys').selectAll();
      if (workspace) query = query.where('workspace_id', '=', workspace);
      if (kind) query = query.where('kind', '=', kind);
      if (!includeInactive) {
        const now = new Date().toISOString();
        query = query
          .where('revoked_at', 'is', null)
          .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]));
      }
      if (after) {
        const at = after.createdAt.toISOString();
        query = query.where((eb) =>
          eb.or([eb('created_at', '<', at), eb.and([eb('created_at', '=', at), eb('id', '<', after.id)])]),
        );
      }
      const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(first).execute();
      return rows.map(toRecord);
    },
    async revoke(id, now = new Date()) {
      await db
        .updateTable('api_keys')
        .set({ revoked_at: now.toISOString() })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .execute();
      return get(id);
    },
    async rotate(id, overlapMs, createdBy, now = new Date()) {
      const rotation = db.transaction().execute(async (tx) => {
        const row = await tx.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
        if (!row) return undefined;
        const old = toRecord(row);
        if (!isActive(old, now) || old.replacedBy !== null) return undefined;
        const lifetime = old.expiresAt ? old.expiresAt.getTime() - old.createdAt.getTime() : null;
        const created = await insert(
          {
            workspace: old.workspace,
            kind: old.kind,
            mode: old.mode,
            name: old.name,
            scopes: old.scopes,
            allowedOrigins: old.allowedOrigins,
            expiresAt: lifetime === null ? null : new Date(now.getTime() + lifetime),
            createdBy,
          },
          tx,
        );
        const overlapEnds = now.getTime() + overlapMs;
        const expiresAt =
          old.expiresAt && old.expiresAt.getTime() < overlapEnds ? old.expiresAt : new Date(overlapEnds);
        const updated = await tx
          .updateTable('api_keys')
          .set({ expires_at: expiresAt.toISOString(), replaced_by: created.key.id })
          .where('id', '=', id)
          .where('replaced_by', 'is', null)
          .where('revoked_at', 'is', null)
          .executeTakeFirst();
        // Another rotation or a revocation got in first: undo this one.
        if (Number(updated.numUpdatedRows) !== 1) throw new RotationLost();
        return { ...created, previous: { ...old, expiresAt, replacedBy: created.key.id } };
      });
      return rotation.catch((error: unknown) => {
        if (error instanceof RotationLost) return undefined;
        throw error;
      });
    },
    async touch(id, at) {
      await db.updateTable('api_keys').set({ last_used_at: at.toISOString() }).where('id', '=', id).execute();
    },
    async states(ids) {
      const out = new Map<string, Pick<ApiKeyRecord, 'revokedAt' | 'expiresAt'>>();
      for (let i = 0; i < ids.length; i += 500) {
        const rows = await db
          .selectFrom('api_keys')
          .select(['id', 'revoked_at', 'expires_at'])
          .where('id', 'in', ids.slice(i, i + 500))
          .execute();
        for (const r of rows) out.set(r.id, { revokedAt: date(r.revoked_at), expiresAt: date(r.expires_at) });
      }
      return out;
    },
  };
}

/** `90d`, `12h`, `30m`, `45s` → milliseconds; undefined when it is not such a duration. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d{1,6})\s*(s|m|h|d)$/.exec(text.trim());
  if (!match) return undefined;
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

/** An id for audit entries and other rows the hub makes. */
export const newId = () => randomUUID();
