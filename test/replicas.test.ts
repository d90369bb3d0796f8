import { randomBytes } from 'node:crypto';
import pg from 'pg';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxProcess, type SandboxProcess } from '../src/sandbox/process.ts';
import { customerAt, generateBusiness } from '../src/sandbox/seed/business.ts';
import { POSTGRES_URL } from './support/stores.ts';
import { hubProcess, liveVendorEnv, type HubProcess } from './support/hub-process.ts';
import { wsSubscriber } from './support/subscribers.ts';
import { waitFor } from './support/wait.ts';

// Two replicas of the hub as separate processes sharing PostgreSQL and Redis: webhooks received by
// replica A reach a subscriber connected to replica B, and each inbox event is processed once.
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECRET = `whsec_replicas_${randomBytes(8).toString('hex')}`;
const schema = `sb_replicas_${randomBytes(6).toString('hex')}`;
let sandboxes: SandboxProcess;
let a: HubProcess;
let b: HubProcess;

beforeAll(async () => {
  sandboxes = await startSandboxProcess({ relaxed: true });
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  await client.query(`create schema "${schema}"`);
  await client.end();
  const separator = POSTGRES_URL.includes('?') ? '&' : '?';
  const env = {
    ...liveVendorEnv(sandboxes.endpoints),
    DATABASE_URL: `${POSTGRES_URL}${separator}options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    REDIS_URL,
    STRIPE_WEBHOOK_SECRET: SECRET,
    PORT: '0',
    LOG_LEVEL: 'warn',
  };
  a = hubProcess('replica-a', env);
  await a.start(); // first: it migrates and backfills
  b = hubProcess('replica-b', env);
  await b.start();
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([a?.stop(), b?.stop()]);
  await sandboxes?.close();
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  await client.query(`drop schema if exists "${schema}" cascade`);
  await client.end();
});

describe('two replicas on PostgreSQL and Redis', () => {
  it('deliver a webhook received by one replica to a subscriber on the other, each event once', async () => {
    const subscriber = wsSubscriber(
      b.url!,
      `subscription { events(types: [CUSTOMER_CHANGED]) { id source customer { email } } }`,
    );
    await subscriber.started;
    await new Promise((r) => setTimeout(r, 300));

    const people = generateBusiness()
      .customers.filter((c) => c.mess.length === 0 && customerAt(c, 'stripe'))
      .slice(0, 20);
    const stripe = new Stripe('sk_test_unused');
    const sent: string[] = [];
    for (const [i, person] of people.entries()) {
      const id = `evt_replicas_${i}_${randomBytes(4).toString('hex')}`;
      const payload = JSON.stringify({
        id,
        object: 'event',
        type: 'customer.updated',
        created: Math.floor(Date.now() / 1000),
        data: { object: { id: person.ids.stripeCustomerId, object: 'customer' } },
      });
      const res = await fetch(`${a.url}/webhooks/stripe`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET }),
        },
        body: payload,
      });
      expect(res.status, await res.text()).toBe(200);
      sent.push(id);
    }

    const idsSeen = () => subscriber.received.map((d) => String(d.events.id).split(':')[1] ?? '');
    await waitFor(
      () => (sent.every((id) => idsSeen().includes(id)) ? true : undefined),
      () =>
        `all ${sent.length} events on replica B; saw ${JSON.stringify(idsSeen())}\nA: ${a.output()}\nB: ${b.output()}`,
      30_000,
    );
    await new Promise((r) => setTimeout(r, 500)); // a second copy, if any, would arrive now
    for (const id of sent)
      expect(
        idsSeen().filter((seen) => seen === id),
        id,
      ).toHaveLength(1);
    const emails = new Set(subscriber.received.map((d) => d.events.customer?.email));
    for (const person of people) expect(emails.has(person.email)).toBe(true);
    expect(subscriber.errors).toEqual([]);
    await subscriber.close();

    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    const rows = await client.query(
      `select state, count(*)::int as n from "${schema}".webhook_inbox where source = 'stripe' and event_id like 'evt_replicas_%' group by state`,
    );
    await client.end();
    expect(rows.rows).toEqual([{ state: 'PROCESSED', n: sent.length }]);
  }, 90_000);
});
