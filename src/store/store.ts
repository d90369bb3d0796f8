import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import type { Database } from './schema.ts';
import { migrationProvider } from './migrations.ts';

export interface Store {
  db: Kysely<Database>;
  dialect: 'sqlite' | 'postgres';
  /** Where it lives, with any password removed: for logs and the banner. */
  description: string;
  /** Applies pending migrations; throws with the failing migration's name. */
  migrate(): Promise<void>;
  /** A round trip to the database (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** `postgres://…` for PostgreSQL; `sqlite:<path>` or a plain path for SQLite; `:memory:` for tests. */
  url: string;
  /** PostgreSQL only: the schema to use (created when missing); tests isolate themselves with it. */
  schema?: string;
}

export async function openStore(options: StoreOptions): Promise<Store> {
  const { url } = options;
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgres(url, options.schema);
  const path = url.replace(/^sqlite:(\/\/)?/, '');
  if (path === '')
    throw new Error('DATABASE_URL "sqlite:" needs a file path, e.g. sqlite:data/switchboard.db');
  const { default: SQLite } = await import('better-sqlite3');
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const database = new SQLite(path);
  // WAL lets readers go on while the single writer commits; busy_timeout waits for a lock instead of failing.
  database.pragma('journal_mode = WAL');
  database.pragma('busy_timeout = 5000');
  database.pragma('foreign_keys = ON');
  return wrap(new Kysely<Database>({ dialect: new SqliteDialect({ database }) }), 'sqlite', `sqlite:${path}`);
}

async function openPostgres(url: string, schema?: string): Promise<Store> {
  const { default: pg } = await import('pg');
  if (schema && !/^[a-z_][a-z0-9_]*$/.test(schema))
    throw new Error(`invalid PostgreSQL schema name "${schema}"`);
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    options: schema ? `-c search_path=${schema}` : undefined,
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  if (schema) await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
  const current =
    schema ??
    (await sql<{ name: string }>`select current_schema() as name`.execute(db)).rows[0]?.name ??
    'public';
  const safe = url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
  return wrap(db, 'postgres', schema ? `${safe} (schema ${schema})` : safe, current);
}

function wrap(db: Kysely<Database>, dialect: Store['dialect'], description: string, schema?: string): Store {
  return {
    db,
    dialect,
    description,
    async migrate() {
      // Named explicitly: Kysely looks for its bookkeeping tables in every schema, and would take
      // another schema's (another test's, another install's) for this one's.
      const migrator = new Migrator({ db, provider: migrationProvider, migrationTableSchema: schema });
      const { error, results } = await migrator.migrateToLatest();
      const failed = results?.find((r) => r.status === 'Error');
      if (error || failed) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new Error(
          `migration ${failed?.migrationName ?? '(unknown)'} failed on ${description}: ${reason}`,
        );
      }
    },
    async ping() {
      await sql`select 1`.execute(db);
    },
    close: () => db.destroy(),
  };
}
