import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, sql, type SqliteDatabase } from 'kysely';
import type BetterSqlite3 from 'better-sqlite3';
import { LRUCache } from 'lru-cache';
import type { Database } from './schema.ts';
import { migrationProvider } from './migrations.ts';
import { createSecretBox, type SecretBox } from '../security/secrets.ts';

export interface Store {
  db: Kysely<Database>;
  dialect: 'sqlite' | 'postgres';
  /**
   * Seals the secrets repositories keep in this store (refresh and access tokens, webhook secrets,
   * push channel tokens): see `src/store/secrets-at-rest.ts`. Repositories take it from here, so
   * none can be created without it.
   */
  secrets: SecretBox;
  /** Where it lives, with any password removed: for logs and the banner. */
  description: string;
  /** Applies pending migrations; throws with the failing migration's name. */
  /** Runs the migrations not run yet: all, or up to and including `upTo` (tests of a migration). */
  migrate(upTo?: string): Promise<void>;
  /** A round trip to the database (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** `postgres://…` for PostgreSQL; `sqlite:<path>` or a plain path for SQLite; `:memory:` for tests. */
  url: string;
  /** PostgreSQL only: the schema to use (created when missing); tests isolate themselves with it. */
  schema?: string;
  /**
   * The key that seals secrets at rest (`createSecretBox` over `encryptionFromEnv`). Left out, the
   * store gets a random key of its own, gone when the process ends: right for in-memory test
   * stores, wrong for a store that outlives the process (what it sealed cannot be opened again).
   */
  secrets?: SecretBox;
}

/**
 * The secrets of each store's database handle, so a repository given only `store.db` still seals
 * with its store's key. Only the handle `openStore` made is known: a transaction or `withSchema`
 * handle is another object, and `storeSecrets` refuses it rather than write secrets in clear.
 */
const secretsByDb = new WeakMap<Kysely<Database>, SecretBox>();

/** What a repository that keeps secrets needs: the database and the box that seals for it. */
export type SealingStore = Pick<Store, 'db' | 'secrets'>;

/**
 * The database and SecretBox of `store`, or of a database handle a `Store` opened (the form
 * `src/app.ts` still passes). Throws for any other handle, e.g. a transaction: pass the Store.
 */
export function storeSecrets(store: SealingStore | Kysely<Database>): SealingStore {
  if (!(store instanceof Kysely)) return store;
  const secrets = secretsByDb.get(store);
  if (!secrets)
    throw new Error(
      'this database handle did not come from openStore (a transaction?), so there is no key to seal ' +
        'secrets with: pass the Store (or { db, secrets })',
    );
  return { db: store, secrets };
}

export async function openStore(options: StoreOptions): Promise<Store> {
  const { url } = options;
  const secrets = options.secrets ?? createSecretBox({ key: randomBytes(32) });
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgres(url, secrets, options.schema);
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
  return wrap(
    new Kysely<Database>({ dialect: new SqliteDialect({ database: keepingStatements(database) }) }),
    'sqlite',
    secrets,
    `sqlite:${path}`,
  );
}

/**
 * The database as Kysely's SQLite driver sees it, with each statement prepared once per SQL text:
 * the driver prepares every statement it runs (about 5% of an uncached query's CPU in a profile; the
 * listing and links of a 20-customer page took about 400 µs kept against 500 µs prepared each time).
 * SQLite re-prepares a kept statement itself after a schema change; one still being iterated
 * (`busy`) is not shared, a new one is prepared instead.
 */
function keepingStatements(database: BetterSqlite3.Database): SqliteDatabase {
  const statements = new LRUCache<string, BetterSqlite3.Statement>({ max: 1_000 });
  return {
    close: () => database.close(),
    prepare(sql: string) {
      let statement = statements.get(sql);
      if (!statement || statement.busy) {
        statement = database.prepare(sql);
        statements.set(sql, statement);
      }
      return statement;
    },
  } as SqliteDatabase;
}

async function openPostgres(url: string, secrets: SecretBox, schema?: string): Promise<Store> {
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
  return wrap(db, 'postgres', secrets, schema ? `${safe} (schema ${schema})` : safe, current);
}

/**
 * A failure naming a relation, or a whole schema, other than `schema`'s: one dropped while Kysely
 * listed tables ('relation "<theirs>.x" does not exist', or 'schema "<theirs>" does not exist' when
 * the drop lands between listing the schemas and their tables).
 */
export function droppedElsewhere(error: unknown, schema: string | undefined): boolean {
  const message = error instanceof Error ? error.message : String(error);
  const other =
    /relation "([^".]+)\.[^"]+" does not exist/.exec(message)?.[1] ??
    /schema "([^"]+)" does not exist/.exec(message)?.[1];
  return other !== undefined && other !== (schema ?? 'public');
}

function wrap(
  db: Kysely<Database>,
  dialect: Store['dialect'],
  secrets: SecretBox,
  description: string,
  schema?: string,
): Store {
  secretsByDb.set(db, secrets);
  return {
    db,
    dialect,
    secrets,
    description,
    async migrate(upTo?: string) {
      // Named explicitly: Kysely looks for its bookkeeping tables in every schema, and would take
      // another schema's (another test's, another install's) for this one's.
      const migrator = new Migrator({ db, provider: migrationProvider, migrationTableSchema: schema });
      const run = () => (upTo ? migrator.migrateTo(upTo) : migrator.migrateToLatest());
      let { error, results } = await run();
      // Kysely finds its bookkeeping tables by listing every table of every schema; a table another
      // install drops meanwhile fails that listing ('relation "<their schema>.x" does not exist', seen
      // when tests drop their schemas in parallel). Nothing was applied then: list again.
      for (let attempt = 1; attempt <= 5 && error && !results && droppedElsewhere(error, schema); attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
        ({ error, results } = await run());
      }
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
