import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SourceError, codeForStatus, parseRetryAfter } from '../domain/errors.ts';
import { createUpstreamClient, type UpstreamResponse } from './client.ts';
import { createRetryBudget, createRetryPolicy } from './retry.ts';

// A vendor that answers from a script: each request takes the next status (then 200 for ever).
let server: Server;
let base = '';
let script: Array<{ status: number; headers?: Record<string, string> }> = [];
let received: Array<{ method: string; path: string }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    received.push({ method: req.method ?? '', path: req.url ?? '' });
    const next = script.shift() ?? { status: 200 };
    res.writeHead(next.status, { 'content-type': 'application/json', ...next.headers });
    res.end(JSON.stringify({ ok: next.status < 400 }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));

const toError = (res: UpstreamResponse, operation: string) =>
  new SourceError('stripe', codeForStatus(res.status), `HTTP ${res.status}`, {
    status: res.status,
    operation,
    retryAfterMs: parseRetryAfter(res.headers['retry-after']),
    retryable: res.headers['stripe-should-retry'] === 'false' ? false : undefined,
  });

const client = (retry = createRetryPolicy({ baseMs: 5, maxMs: 20 })) =>
  createUpstreamClient({ source: 'stripe', baseUrl: base, toError, policy: { retry } });

const fresh = (statuses: Array<{ status: number; headers?: Record<string, string> }>) => {
  script = statuses;
  received = [];
};

describe('retries of upstream calls', () => {
  it('retries a safe read after a 503, and stops at maxRetries', async () => {
    fresh([{ status: 503 }]);
    const c = client();
    expect((await c.request({ operation: 'x.get', method: 'GET', path: '/x' })).status).toBe(200);
    expect(received).toHaveLength(2);
    fresh([{ status: 503 }, { status: 503 }, { status: 503 }, { status: 503 }]);
    await expect(c.request({ operation: 'x.get', method: 'GET', path: '/x' })).rejects.toMatchObject({
      status: 503,
    });
    expect(received).toHaveLength(3); // the try and two retries
    await c.close();
  });

  it('never retries a POST without an idempotency key, and retries one with it', async () => {
    const c = client();
    fresh([{ status: 503 }]);
    await expect(
      c.request({ operation: 'x.create', method: 'POST', path: '/x', body: {} }),
    ).rejects.toMatchObject({ status: 503 });
    expect(received).toHaveLength(1);
    fresh([{ status: 503 }]);
    const res = await c.request({
      operation: 'x.create',
      method: 'POST',
      path: '/x',
      body: {},
      headers: { 'Idempotency-Key': 'k1' },
    });
    expect(res.status).toBe(200);
    expect(received).toHaveLength(2);
    await c.close();
  });

  it("does not retry a 429 with Retry-After: 7 in the caller's time, and says when to try again", async () => {
    const c = client();
    fresh([{ status: 429, headers: { 'retry-after': '7' } }]);
    const started = Date.now();
    await expect(c.request({ operation: 'x.get', method: 'GET', path: '/x' })).rejects.toMatchObject({
      code: 'RATE_LIMITED',
      retryAfterMs: 7_000,
    });
    expect(received).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(7_000);
    await c.close();
  });

  it('honours a short Retry-After before the retry', async () => {
    const c = client();
    fresh([{ status: 429, headers: { 'retry-after': '1' } }]);
    const started = Date.now();
    expect((await c.request({ operation: 'x.get', method: 'GET', path: '/x' })).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    await c.close();
  });

  it('does not retry when the vendor says not to (Stripe-Should-Retry: false)', async () => {
    const c = client();
    fresh([{ status: 503, headers: { 'stripe-should-retry': 'false' } }]);
    await expect(c.request({ operation: 'x.get', method: 'GET', path: '/x' })).rejects.toMatchObject({
      retryable: false,
    });
    expect(received).toHaveLength(1);
    await c.close();
  });

  it('stops retrying when the budget is spent, so an outage is not multiplied', async () => {
    const budget = createRetryBudget({ ratio: 0.1, minPerSecond: 0, max: 5 });
    const c = client(createRetryPolicy({ baseMs: 1, maxMs: 2, budget }));
    fresh(Array.from({ length: 1_000 }, () => ({ status: 503 })));
    for (let i = 0; i < 100; i++)
      await c.request({ operation: 'x.get', method: 'GET', path: '/x' }).catch(() => {});
    // 100 calls: 5 saved tokens plus 0.1 per call, whatever the failures ask for.
    expect(received.length).toBeLessThanOrEqual(100 + 5 + 10 + 1);
    expect(received.length).toBeGreaterThanOrEqual(100 + 5);
    await c.close();
  });
});
