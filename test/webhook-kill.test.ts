import { randomBytes } from 'node:crypto';
import pg from 'pg';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxProcess, type SandboxProcess } from '../src/sandbox/process.ts';
import { createRandom } from '../src/sandbox/kit/random.ts';
import { customerAt, generateBusiness } from '../src/sandbox/seed/business.ts';
import { POSTGRES_URL } from './support/stores.ts';
import { hubProcess, liveVendorEnv, type HubProcess } from './support/hub-process.ts';
import { wsSubscriber } from './support/subscribers.ts';
import { waitFor } from './support/wait.ts';

// SIGKILL of the replica taking a burst of webhooks; every event it acknowledged before dying, and
// every one delivered after its restart, reaches a subscriber (on the other replica) once per id.
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECRET = `whsec_kill_${randomBytes(8).toString('hex')}`;
const schema = `sb_whkill_${randomBytes(6).toString('hex')}`;
let sandboxes: SandboxProcess;
let intake: HubProcess;
let stable: HubProcess;

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
    OUTBOX_LEASE_MS: '1500',
  };
  intake = hubProcess('intake', env);
  await intake.start();
  stable = hubProcess('stable', env);
  await stable.start();
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([intake?.stop(), stable?.stop()]);
  await sandboxes?.close();
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  await client.query(`drop schema if exists "${schema}" cascade`);
  await client.end();
});

describe('a hub killed during a burst of webhooks', () => {
  it('loses no acknowledged event and delivers each event id once', async () => {
    const subscriber = wsSubscriber(stable.url!, `subscription { events(types: [CUSTOMER_CHANGED]) { id } }`);
    await subscriber.started;
    await new Promise((r) => setTimeout(r, 300));

    const people = generateBusiness().customers.filter((c) => customerAt(c, 'stripe'));
    const stripe = new Stripe('sk_test_unused');
    const random = createRandom('webhook-kill');
    const events = Array.from({ length: 240 }, (_, i) => ({
      id: `evt_kill_${i}_${randomBytes(3).toString('hex')}`,
      customer: people[i % people.length]!.ids.stripeCustomerId,
    }));
    const acknowledged = new Set<string>();
    const killAt = new Set([random.int(30, 80), random.int(110, 160)]);
    let kills = 0;

    // As a vendor does: deliver, and deliver again later what got no 2xx.
    const deliver = async (event: { id: string; customer: string }) => {
      for (let attempt = 0; attempt < 100; attempt++) {
        const url = intake.url;
        if (url) {
          const payload = JSON.stringify({
            id: event.id,
            object: 'event',
            type: 'customer.updated',
            created: Math.floor(Date.now() / 1000),
            data: { object: { id: event.customer, object: 'customer' } },
          });
          try {
            const res = await fetch(`${url}/webhooks/stripe`, {
              method: 'POST',
              headers: {
                'content-type': 'application/json',
                'stripe-signature': stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET }),
              },
              body: payload,
            });
            if (res.status === 200) {
              acknowledged.add(event.id);
              return;
            }
          } catch {
            // the hub died mid-request: the vendor will try again
          }
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`${event.id} was never acknowledged`);
    };

    const queue = [...events.entries()];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) {
          const [i, event] = next;
          if (killAt.has(i)) {
            killAt.delete(i);
            kills++;
            await intake.kill();
            void intake.start();
          }
          await deliver(event);
        }
      }),
    );
    expect(kills).toBe(2);
    expect(acknowledged.size).toBe(events.length);

    const idsSeen = () => subscriber.received.map((d) => String(d.events.id).split(':')[1] ?? '');
    await waitFor(
      () => (events.every((e) => idsSeen().includes(e.id)) ? true : undefined),
      () => {
        const missing = events.filter((e) => !idsSeen().includes(e.id)).map((e) => e.id);
        return `every acknowledged event on the subscriber; ${missing.length} missing: ${missing.slice(0, 5).join(', ')}\n${intake.output()}`;
      },
      45_000,
    );
    await new Promise((r) => setTimeout(r, 1_000));
    const counts = new Map<string, number>();
    for (const id of idsSeen()) counts.set(id, (counts.get(id) ?? 0) + 1);
    expect([...counts].filter(([, n]) => n > 1)).toEqual([]);
    expect(subscriber.errors).toEqual([]);
    await subscriber.close();
  }, 150_000);
});
