import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxServer, ResponseError, type RunningSandbox, type SandboxRequest } from './http.ts';

// A minimal vendor, only to exercise the kit: its own error envelope, auth middleware and two routes.
let sandbox: RunningSandbox;
let resets = 0;
const items = new Map<string, { id: string; name: string }>();

beforeAll(async () => {
  sandbox = await startSandboxServer({
    name: 'kit_test',
    routes: [
      {
        method: 'GET',
        path: '/v1/items/:id',
        operation: 'items.get',
        handler: (req) => {
          const item = items.get(req.params.id ?? '');
          if (!item) throw new ResponseError({ status: 404, body: { err: `no item ${req.params.id}` } });
          return { status: 200, body: item };
        },
      },
      {
        method: 'POST',
        path: '/v1/items',
        operation: 'items.create',
        handler: (req) => {
          const input = req.json() as { id: string; name: string };
          items.set(input.id, input);
          return { status: 201, body: input };
        },
      },
      {
        method: 'GET',
        path: '/v1/boom',
        operation: 'boom',
        handler: () => {
          throw new Error('bug');
        },
      },
    ],
    errorResponse: (status: number, message: string, req: SandboxRequest, extra) => ({
      status,
      headers: (extra?.retryAfterSeconds !== undefined
        ? { 'Retry-After': String(extra.retryAfterSeconds) }
        : {}) as Record<string, string>,
      body: { err: message, op: req.operation },
    }),
    middleware: async (req, next) => {
      if (req.headers.authorization !== 'Bearer ok') return { status: 401, body: { err: 'unauthorised' } };
      const res = await next();
      return { ...res, headers: { ...res.headers, 'X-Vendor': 'yes' } };
    },
    reset: () => {
      resets++;
      items.clear();
    },
    describe: () => ({ items: items.size }),
    maxBodyBytes: 1_000,
  });
});
afterAll(() => sandbox.close());

const call = (path: string, init: RequestInit = {}) =>
  fetch(`${sandbox.url}${path}`, { ...init, headers: { authorization: 'Bearer ok', ...init.headers } });

describe('sandbox server kit', () => {
  it('routes, runs middleware and answers in the vendor envelope', async () => {
    const created = await call('/v1/items', { method: 'POST', body: JSON.stringify({ id: 'a', name: 'A' }) });
    expect(created.status).toBe(201);
    expect(created.headers.get('x-vendor')).toBe('yes');
    expect(await (await call('/v1/items/a')).json()).toEqual({ id: 'a', name: 'A' });
    expect(await (await call('/v1/items/zz')).json()).toEqual({ err: 'no item zz' });
    const unauthorised = await fetch(`${sandbox.url}/v1/items/a`);
    expect(unauthorised.status).toBe(401);
  });

  it('answers unknown paths 404, wrong methods 405, bad JSON 400, big bodies 413 and bugs 500, all in the envelope', async () => {
    expect((await call('/v2/nothing')).status).toBe(404);
    const wrongMethod = await call('/v1/items/a', { method: 'DELETE' });
    expect(wrongMethod.status).toBe(405);
    const badJson = await call('/v1/items', { method: 'POST', body: '{"id":' });
    expect(badJson.status).toBe(400);
    expect(((await badJson.json()) as { err: string }).err).toMatch(/Invalid JSON/);
    const big = await call('/v1/items', { method: 'POST', body: 'x'.repeat(5_000) });
    expect(big.status).toBe(413);
    const boom = await call('/v1/boom');
    expect(boom.status).toBe(500);
    expect(await boom.json()).toMatchObject({ op: 'boom' });
  });

  it('injects faults set through the admin surface and logs requests by operation', async () => {
    await fetch(`${sandbox.url}/__sandbox/requests`, { method: 'DELETE' });
    const add = await fetch(`${sandbox.url}/__sandbox/faults`, {
      method: 'POST',
      body: JSON.stringify([
        { status: 429, retryAfterSeconds: 7, times: 1, operations: ['items.get'] },
        { status: 503, times: 1, operations: ['items.get'] },
      ]),
    });
    expect(add.status).toBe(201);
    const limited = await call('/v1/items/a');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect((await call('/v1/items/a')).status).toBe(503);
    expect((await call('/v1/items/a')).status).toBe(200);

    await fetch(`${sandbox.url}/__sandbox/faults`, {
      method: 'POST',
      body: JSON.stringify({ latencyMs: 150, times: 1 }),
    });
    const started = performance.now();
    expect((await call('/v1/items/a')).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);

    await fetch(`${sandbox.url}/__sandbox/faults`, {
      method: 'POST',
      body: JSON.stringify({ drop: true, times: 1 }),
    });
    await expect(call('/v1/items/a')).rejects.toThrow();

    const log = (await (await fetch(`${sandbox.url}/__sandbox/requests`)).json()) as {
      total: number;
      byOperation: Record<string, number>;
      entries: Array<{ status: number; dropped?: boolean }>;
    };
    expect(log.total).toBe(5);
    expect(log.byOperation['items.get']).toBe(5);
    expect(log.entries.map((e) => e.status)).toEqual([429, 503, 200, 200, 0]);
    expect(log.entries[4]?.dropped).toBe(true);
  });

  it('rejects a malformed fault rule with a message that says what to fix', async () => {
    const res = await fetch(`${sandbox.url}/__sandbox/faults`, {
      method: 'POST',
      body: JSON.stringify({ share: 1 }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/at least one effect/);
  });

  it('resets data, faults and logs', async () => {
    await fetch(`${sandbox.url}/__sandbox/faults`, { method: 'POST', body: JSON.stringify({ status: 500 }) });
    const res = await fetch(`${sandbox.url}/__sandbox/reset`, { method: 'POST' });
    expect(await res.json()).toEqual({ reset: true, items: 0 });
    expect(resets).toBe(1);
    expect(
      ((await (await fetch(`${sandbox.url}/__sandbox/faults`)).json()) as { faults: unknown[] }).faults,
    ).toEqual([]);
    expect(
      ((await (await fetch(`${sandbox.url}/__sandbox/requests`)).json()) as { total: number }).total,
    ).toBe(0);
  });
});

describe('after-phase faults', () => {
  it('let the vendor do the work and lose the answer', async () => {
    await fetch(`${sandbox.url}/__sandbox/faults`, {
      method: 'POST',
      body: JSON.stringify({ status: 503, phase: 'after', times: 1, operations: ['items.create'] }),
    });
    const lost = await call('/v1/items', {
      method: 'POST',
      body: JSON.stringify({ id: 'after', name: 'kept' }),
    });
    expect(lost.status).toBe(503);
    expect(await (await call('/v1/items/after')).json()).toEqual({ id: 'after', name: 'kept' });

    await fetch(`${sandbox.url}/__sandbox/faults`, {
      method: 'POST',
      body: JSON.stringify({ drop: true, phase: 'after', times: 1, operations: ['items.create'] }),
    });
    await expect(
      call('/v1/items', { method: 'POST', body: JSON.stringify({ id: 'dropped', name: 'kept too' }) }),
    ).rejects.toThrow();
    expect((await call('/v1/items/dropped')).status).toBe(200);
  });
});
