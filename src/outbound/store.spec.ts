import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore, storeKinds, type TestStore } from '../../harness/stores.ts';
import { sealStoredSecrets } from '../store/secrets-at-rest.ts';
import { createOutboundStore, type NewDelivery, type OutboundStore } from './store.ts';

const event = (
  id: string,
  customerId: string | null,
  type: NewDelivery['eventType'] = 'BOOKING_CHANGED',
) => ({
  eventId: id,
  eventType: type,
  customerId,
  occurredAt: new Date('2026-12-04T10:00:00Z'),
  payload: JSON.stringify({ type, data: { id } }),
});

describe.each(storeKinds)('the outbound store on %s', (kind) => {
  let test: TestStore;
  let outbound: OutboundStore;
  let workspace = 0;
  const fresh = () => `w${++workspace}`;

  beforeAll(async () => {
    test = await openTestStore(kind);
    outbound = createOutboundStore(test.store);
  });
  afterAll(() => test?.drop());

  const endpoint = (ws: string, events: NewDelivery['eventType'][] = ['BOOKING_CHANGED']) =>
    outbound.endpoints.create(ws, {
      url: 'https://hooks.example.com/in',
      events,
      description: null,
      createdBy: 'test',
    });

  it('keeps the secret sealed at rest, shows it once, and reseals it with a new key', async () => {
    const ws = fresh();
    const { endpoint: made, secret } = await endpoint(ws);
    expect(secret).toMatch(/^whsec_/);
    const row = await test.store.db
      .selectFrom('outbound_endpoints')
      .selectAll()
      .where('id', '=', made.id)
      .executeTakeFirstOrThrow();
    expect(row.secret).toMatch(/^enc:/);
    expect(JSON.stringify(row)).not.toContain(secret.slice(6));
    expect((await outbound.endpoints.forSending(ws, made.id))!.secrets).toEqual({
      current: secret,
      previous: null,
    });

    const rotated = (await outbound.endpoints.rotate(ws, made.id, 60_000))!;
    expect(rotated.secret).not.toBe(secret);
    expect((await outbound.endpoints.forSending(ws, made.id))!.secrets).toEqual({
      current: rotated.secret,
      previous: secret,
    });
    // After the grace period only the new secret signs.
    const later = new Date(Date.now() + 120_000);
    expect((await outbound.endpoints.forSending(ws, made.id, later))!.secrets.previous).toBeNull();
    expect(await sealStoredSecrets(test.store)).toEqual({ sealed: 0, resealed: 0 });
  });

  it('makes one delivery per endpoint and event however often the event is stored', async () => {
    const ws = fresh();
    const a = (await endpoint(ws)).endpoint;
    await endpoint(ws, ['INVOICE_CHANGED']);
    const off = (await endpoint(ws)).endpoint;
    await outbound.endpoints.update(ws, off.id, { enabled: false });
    expect(await outbound.deliveries.enqueue(ws, [event('e1', 'c1')])).toBe(1);
    // Another replica, or the inbox's retry, publishing the same event again.
    expect(await outbound.deliveries.enqueue(ws, [event('e1', 'c1')])).toBe(0);
    const rows = await outbound.deliveries.list(ws, { first: 10 });
    expect(rows.map((r) => [r.endpointId, r.eventId, r.state])).toEqual([[a.id, 'e1', 'PENDING']]);
    expect(rows[0]!.id).toMatch(/^msg_/);
  });

  it("claims one customer's deliveries in order, other customers' and customerless ones alongside", async () => {
    const ws = fresh();
    const { endpoint: ep } = await endpoint(ws);
    await outbound.deliveries.enqueue(ws, [
      event('a1', 'c1'),
      event('b1', 'c2'),
      event('a2', 'c1'),
      event('n1', null),
      event('n2', null),
    ]);
    const mine = (claimed: { workspace: string; eventId: string }[]) =>
      claimed.filter((d) => d.workspace === ws).map((d) => d.eventId);
    const first = await outbound.deliveries.claimDue('w-1', 30_000, 100);
    expect(mine(first).sort()).toEqual(['a1', 'b1', 'n1', 'n2']);
    // a2 waits while a1 is pending, even once a1's lease is released by a failed attempt.
    const a1 = first.find((d) => d.eventId === 'a1')!;
    const retryAt = new Date(Date.now() - 1);
    expect(
      await outbound.deliveries.settle(a1, 'w-1', {
        state: 'PENDING',
        attempts: 1,
        status: 503,
        error: 'HTTP 503',
        attemptedAt: new Date(),
        nextAttemptAt: retryAt,
      }),
    ).toBe(true);
    const second = await outbound.deliveries.claimDue('w-1', 30_000, 100);
    expect(mine(second)).toEqual(['a1']);
    // Only the lease holder settles.
    expect(
      await outbound.deliveries.settle(a1, 'w-2', {
        state: 'DELIVERED',
        attempts: 2,
        status: 200,
        error: null,
        attemptedAt: new Date(),
      }),
    ).toBe(false);
    await outbound.deliveries.settle(a1, 'w-1', {
      state: 'DELIVERED',
      attempts: 2,
      status: 200,
      error: null,
      attemptedAt: new Date(),
    });
    expect(mine(await outbound.deliveries.claimDue('w-1', 30_000, 100))).toEqual(['a2']);
    const stored = await outbound.deliveries.list(ws, {
      endpointId: ep.id,
      states: ['DELIVERED'],
      first: 10,
    });
    expect(stored.map((d) => [d.eventId, d.attempts, d.lastStatus])).toEqual([['a1', 2, 200]]);
  });

  it('never gives one delivery to two workers claiming at once', async () => {
    const ws = fresh();
    await endpoint(ws);
    await outbound.deliveries.enqueue(
      ws,
      Array.from({ length: 40 }, (_, i) => event(`x${i}`, null)),
    );
    const claims = await Promise.all(
      Array.from({ length: 4 }, (_, i) => outbound.deliveries.claimDue(`worker-${i}`, 30_000, 15)),
    );
    const ids = claims
      .flat()
      .filter((d) => d.workspace === ws)
      .map((d) => d.eventId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(40);
  });

  it('holds the deliveries of a disabled endpoint until it is enabled, and replays a failed one', async () => {
    const ws = fresh();
    const { endpoint: ep } = await endpoint(ws);
    await outbound.deliveries.enqueue(ws, [event('d1', null)]);
    await outbound.endpoints.update(ws, ep.id, { enabled: false });
    expect((await outbound.deliveries.claimDue('w', 30_000, 100)).filter((d) => d.workspace === ws)).toEqual(
      [],
    );
    await outbound.endpoints.update(ws, ep.id, { enabled: true });
    const [claimed] = (await outbound.deliveries.claimDue('w', 30_000, 100)).filter(
      (d) => d.workspace === ws,
    );
    await outbound.deliveries.settle(claimed!, 'w', {
      state: 'FAILED',
      attempts: 8,
      status: 500,
      error: 'HTTP 500',
      attemptedAt: new Date(),
    });
    expect((await outbound.deliveries.list(ws, { states: ['FAILED'], first: 10 })).map((d) => d.id)).toEqual([
      claimed!.id,
    ]);
    const replayed = (await outbound.deliveries.replay(ws, claimed!.id))!;
    expect(replayed.replayed).toBe(true);
    expect(replayed.delivery).toMatchObject({ id: claimed!.id, state: 'PENDING', attempts: 0 });
    expect((await outbound.deliveries.replay(ws, claimed!.id))!.replayed).toBe(false);
    expect(await outbound.deliveries.replay(ws, 'msg_unknown')).toBeNull();
    expect(await outbound.deliveries.replay('another', claimed!.id)).toBeNull();
  });
});
