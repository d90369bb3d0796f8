import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createWebhookDispatcher, parseWebhookSettings } from './webhooks.ts';

interface Received {
  body: string;
  attempt: string | undefined;
}

async function receiver(
  answer: (n: number) => number,
): Promise<{ url: string; got: Received[]; server: Server }> {
  const got: Received[] = [];
  let n = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({
        body: Buffer.concat(chunks).toString(),
        attempt: req.headers['x-attempt'] as string | undefined,
      });
      res.writeHead(answer(++n));
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got, server };
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

const delivery = (url: string, eventId: string) => ({
  eventId,
  type: 'test.event',
  url,
  build: (attempt: number) => ({ headers: { 'x-attempt': String(attempt) }, body: eventId }),
});

describe('webhook dispatcher', () => {
  it('retries until the endpoint answers 2xx, rebuilding the request each attempt', async () => {
    const r = await receiver((n) => (n < 3 ? 500 : 200));
    servers.push(r.server);
    const d = createWebhookDispatcher({ initial: { retryBaseMs: 5 } });
    d.enqueue(delivery(r.url, 'evt_1'));
    await d.idle();
    expect(r.got.map((g) => g.attempt)).toEqual(['1', '2', '3']);
    expect(d.log()[0]).toMatchObject({ eventId: 'evt_1', attempts: 3, state: 'delivered', lastStatus: 200 });
  });

  it('gives up after maxAttempts and records the failure', async () => {
    const r = await receiver(() => 503);
    servers.push(r.server);
    const d = createWebhookDispatcher({ initial: { retryBaseMs: 1, maxAttempts: 2 } });
    d.enqueue(delivery(r.url, 'evt_1'));
    await d.idle();
    expect(d.log()[0]).toMatchObject({ attempts: 2, state: 'failed', lastStatus: 503 });
  });

  it('records connection errors when nothing listens', async () => {
    const d = createWebhookDispatcher({ initial: { retryBaseMs: 1, maxAttempts: 1 } });
    d.enqueue(delivery('http://127.0.0.1:1/hook', 'evt_1'));
    await d.idle();
    expect(d.log()[0]?.state).toBe('failed');
    expect(d.log()[0]?.lastError).toBeTruthy();
  });

  it('duplicates deliveries on request', async () => {
    const r = await receiver(() => 200);
    servers.push(r.server);
    const d = createWebhookDispatcher({ initial: { duplicate: 1 } });
    d.enqueue(delivery(r.url, 'evt_1'));
    await d.idle();
    expect(r.got.map((g) => g.body)).toEqual(['evt_1', 'evt_1']);
    expect(d.log()[1]?.duplicateOf).toBe(d.log()[0]?.deliveryId);
  });

  it('holds deliveries in out-of-order mode and releases them newest first', async () => {
    const r = await receiver(() => 200);
    servers.push(r.server);
    const d = createWebhookDispatcher({ initial: { outOfOrder: true } });
    for (const id of ['evt_1', 'evt_2', 'evt_3']) d.enqueue(delivery(r.url, id));
    await d.idle();
    expect(r.got).toHaveLength(0);
    expect(d.log().map((l) => l.state)).toEqual(['held', 'held', 'held']);
    expect(d.flush()).toBe(3);
    await d.idle();
    await new Promise((res) => setTimeout(res, 50));
    expect(r.got.map((g) => g.body)).toEqual(['evt_3', 'evt_2', 'evt_1']);
  });

  it('validates settings with messages that name the field', () => {
    expect(parseWebhookSettings({ duplicate: 3 })).toMatch(/"duplicate"/);
    expect(parseWebhookSettings({ maxAttempts: 0 })).toMatch(/"maxAttempts".*at least 1/);
    expect(parseWebhookSettings({ nope: 1 })).toMatch(/unknown webhook setting "nope"/);
    expect(parseWebhookSettings({ outOfOrder: true, retryBaseMs: 10 })).toEqual({
      outOfOrder: true,
      retryBaseMs: 10,
    });
  });
});
