import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReplicas, type Replicas } from './support/replicas.ts';
import type { HubProcess } from '../harness/hub-process.ts';
import { wsSubscriber } from './support/subscribers.ts';
import { waitFor } from '../harness/wait.ts';

// Keys and callers' limits across two replicas (separate processes, live mode) sharing PostgreSQL
// and Redis: a key made on one works on the other, a revoke on one closes the other's sockets, and a
// key's rate limit is one count for both.
const LIMIT = 10;
let replicas: Replicas;
let a: HubProcess;
let b: HubProcess;

beforeAll(async () => {
  replicas = await startReplicas(['security-a', 'security-b'], { SWITCHBOARD_RATE_LIMIT: `${LIMIT}/min` });
  [a, b] = replicas.hubs as [HubProcess, HubProcess];
}, 120_000);
afterAll(() => replicas?.close());

const post = async (hub: HubProcess, key: string, query: string, variables: Record<string, unknown> = {}) => {
  const res = await fetch(`${hub.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
};
const createKey = async (hub: HubProcess, name: string, scopes: string[]) => {
  const made = await post(
    hub,
    hub.key,
    `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id mode } } }`,
    { input: { name, scopes } },
  );
  expect(made.body.errors, JSON.stringify(made.body.errors)).toBeUndefined();
  return made.body.data.createApiKey as { secret: string; apiKey: { id: string; mode: string } };
};

describe('security across replicas', () => {
  it('a key made through A works on B; revoked through A, B closes its socket with 4403 within 5 s and refuses it', async () => {
    const made = await createKey(a, 'made on A', ['CUSTOMERS_READ', 'BOOKINGS_READ', 'EVENTS_SUBSCRIBE']);
    expect(made.secret).toMatch(/^sb_live_/);
    expect(made.apiKey.mode).toBe('LIVE');
    const onB = await post(b, made.secret, '{ customers(first: 1) { totalCount } }');
    expect(onB.status, JSON.stringify(onB.body)).toBe(200);
    expect(onB.body.data.customers.totalCount).toBeGreaterThan(0);

    const subscriber = wsSubscriber(
      { url: b.url!, key: made.secret },
      'subscription { bookingChanged { id } }',
    );
    await subscriber.started;
    await new Promise((r) => setTimeout(r, 300));
    expect(subscriber.errors).toEqual([]);
    expect(subscriber.closes).toEqual([]);

    const revoked = await post(a, a.key, 'mutation($id: ID!) { revokeApiKey(id: $id) { id active } }', {
      id: made.apiKey.id,
    });
    expect(revoked.body.data.revokeApiKey.active).toBe(false);
    const started = Date.now();
    const closed = await waitFor(
      () => subscriber.closes[0],
      () => `B closing the revoked key's socket\nB: ${b.output()}`,
      5_000,
      20,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(closed.code).toBe(4403);
    expect(closed.reason).toMatch(/revoked/);
    await subscriber.close();

    // A refuses at once; B within its key cache's 2 s.
    const onA = await post(a, made.secret, '{ customers(first: 1) { totalCount } }');
    expect(onA.status).toBe(401);
    expect(onA.body.errors[0].extensions.reason).toBe('KEY_REVOKED');
    const refusedOnB = await waitFor(
      async () => {
        const answer = await post(b, made.secret, '{ customers(first: 1) { totalCount } }');
        return answer.status === 200 ? undefined : answer;
      },
      () => 'B refusing the revoked key',
      3_000,
      100,
    );
    expect(refusedOnB.status).toBe(401);
    expect(refusedOnB.body.errors[0].extensions.reason).toBe('KEY_REVOKED');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it(`a key's rate limit (${LIMIT}/min) is shared through Redis: ${LIMIT} requests split across A and B, the next refused on either`, async () => {
    const made = await createKey(a, 'rate limited', ['CUSTOMERS_READ']);
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT; i++) {
      statuses.push((await post(i % 2 === 0 ? a : b, made.secret, '{ __typename }')).status);
    }
    expect(statuses).toEqual(Array.from({ length: LIMIT }, () => 200));
    for (const hub of [b, a]) {
      const over = await post(hub, made.secret, '{ __typename }');
      expect(over.status, hub.name).toBe(429);
      expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(over.body.errors[0].extensions.code).toBe('RATE_LIMITED');
      expect(over.body.errors[0].message).toMatch(new RegExp(`this credential may make ${LIMIT} a minute`));
    }
    // Another key has its own count.
    const other = await createKey(b, 'another', ['CUSTOMERS_READ']);
    expect((await post(a, other.secret, '{ __typename }')).status).toBe(200);
  });
});
