import { randomBytes } from 'node:crypto';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRandom } from '../src/sandbox/kit/random.ts';
import { customerAt, generateBusiness } from '../src/sandbox/seed/business.ts';
import { startReplicas, stripeCustomerUpdated, type Replicas } from './support/replicas.ts';
import type { HubProcess } from '../harness/hub-process.ts';
import { wsSubscriber } from './support/subscribers.ts';
import { waitFor } from '../harness/wait.ts';

// SIGKILL of the replica taking a burst of webhooks; every event it acknowledged before dying, and
// every one delivered after its restart, reaches a subscriber (on the other replica) once per id.
let replicas: Replicas;
let intake: HubProcess;
let stable: HubProcess;
let SECRET: string;

beforeAll(async () => {
  replicas = await startReplicas(['intake', 'stable'], { OUTBOX_LEASE_MS: '1500' });
  [intake, stable] = replicas.hubs as [HubProcess, HubProcess];
  SECRET = replicas.stripeSecret;
}, 120_000);

afterAll(() => replicas?.close());

describe('a hub killed during a burst of webhooks', () => {
  it('loses no acknowledged event and delivers each event id once', async () => {
    const subscriber = wsSubscriber(
      { url: stable.url!, key: stable.key },
      `subscription { events(types: [CUSTOMER_CHANGED]) { id } }`,
    );
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
          const payload = stripeCustomerUpdated(event.id, event.customer);
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
