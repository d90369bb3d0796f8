import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startSandboxProcess, type SandboxProcess } from '../../src/sandbox/process.ts';
import { POSTGRES_URL } from '../../harness/stores.ts';
import { hubProcess, liveVendorEnv, type HubProcess } from '../../harness/hub-process.ts';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface Replicas {
  sandboxes: SandboxProcess;
  hubs: HubProcess[];
  /** The Stripe endpoint secret the hubs verify with (sign test deliveries with it). */
  stripeSecret: string;
  /** The PostgreSQL schema the hubs share. */
  schema: string;
  close(): Promise<void>;
}

/**
 * Hub replicas as separate processes (live mode) sharing one PostgreSQL schema and Redis, on
 * sandboxes in processes of their own. Started one after the other: the first migrates and backfills.
 */
export async function startReplicas(names: string[], env: Record<string, string> = {}): Promise<Replicas> {
  const sandboxes = await startSandboxProcess({ relaxed: true });
  const schema = `sb_replicas_${randomBytes(6).toString('hex')}`;
  const stripeSecret = `whsec_replicas_${randomBytes(8).toString('hex')}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    try {
      return await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`create schema "${schema}"`);
  const separator = POSTGRES_URL.includes('?') ? '&' : '?';
  const hubs = names.map((name) =>
    hubProcess(name, {
      ...liveVendorEnv(sandboxes.endpoints),
      DATABASE_URL: `${POSTGRES_URL}${separator}options=${encodeURIComponent(`-c search_path=${schema}`)}`,
      REDIS_URL,
      // Budget counts of this run only (the day windows would otherwise add up across runs).
      SWITCHBOARD_REDIS_PREFIX: schema,
      STRIPE_WEBHOOK_SECRET: stripeSecret,
      PORT: '0',
      LOG_LEVEL: 'warn',
      ...env,
    }),
  );
  for (const hub of hubs) await hub.start();
  return {
    sandboxes,
    hubs,
    stripeSecret,
    schema,
    async close() {
      await Promise.allSettled(hubs.map((h) => h.stop()));
      await sandboxes.close();
      await admin(`drop schema if exists "${schema}" cascade`);
    },
  };
}

/** A signed Stripe `customer.updated` delivery, as Stripe would POST it. */
export function stripeCustomerUpdated(eventId: string, customerId: string) {
  return JSON.stringify({
    id: eventId,
    object: 'event',
    type: 'customer.updated',
    created: Math.floor(Date.now() / 1000),
    data: { object: { id: customerId, object: 'customer' } },
  });
}
