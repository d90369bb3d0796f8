import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { openStore, type Store } from '../src/store/store.ts';

/**
 * The stores every store-touching test runs against: SQLite in memory, and PostgreSQL in a schema
 * of its own (dropped afterwards). `TEST_DATABASE_URL` overrides the PostgreSQL address; CI runs
 * PostgreSQL on 127.0.0.1:5432 with trust auth and a `test` database.
 */
export const POSTGRES_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Drops a PostgreSQL schema a test's hubs made (through their own connections) on POSTGRES_URL. */
export async function dropTestSchema(schema: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema.replace(/"/g, '""')}" cascade`);
  } finally {
    await client.end();
  }
}

export interface TestStore {
  store: Store;
  drop(): Promise<void>;
}

export const storeKinds = ['sqlite', 'postgres'] as const;
export type StoreKind = (typeof storeKinds)[number];

export async function openTestStore(kind: StoreKind): Promise<TestStore> {
  if (kind === 'sqlite') {
    const store = await openStore({ url: ':memory:' });
    await store.migrate();
    return { store, drop: () => store.close() };
  }
  const schema = `sb_test_${randomBytes(6).toString('hex')}`;
  const store = await openStore({ url: POSTGRES_URL, schema });
  await store.migrate();
  return {
    store,
    drop: async () => {
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(store.db);
      await store.close();
    },
  };
}
