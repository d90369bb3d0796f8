/**
 * Throttling (500 requests a minute, 10 at once and 40 batch requests a minute per company, 429
 * with the gateway's body) and injected faults (429 with Retry-After, 503, latency, dropped
 * connections, answers lost after the write), over plain HTTP.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateBusiness } from '../../../src/sandbox/seed/business.ts';
import type { VendorSandbox } from '../../../src/sandbox/types.ts';
import { DEFAULT_LIMITS } from './limits.ts';
import { QUICKBOOKS_RELAXED_LIMITS, startQuickbooksSandbox } from './server.ts';
import { admin, connect, expectGateway, FIXED_NOW, qbo, query } from './testing.ts';

const business = generateBusiness({ now: FIXED_NOW, customers: 60 });
let sandbox: VendorSandbox;
let token: string;

beforeAll(async () => {
  sandbox = await startQuickbooksSandbox({ business });
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(async () => {
  await admin(sandbox, 'POST', '/__sandbox/reset');
  token = (await connect(sandbox)).access_token;
});

const customerCount = async () =>
  (await query(sandbox, token, 'select count(*) from Customer')).body.QueryResponse.totalCount;

describe('throttling', () => {
  it('the 501st request in a minute is a 429 with the gateway body and no Retry-After', async () => {
    for (let round = 0; round < 50; round++)
      await Promise.all(Array.from({ length: 10 }, () => qbo(sandbox, token, 'GET', '/item/1')));
    const limited = await qbo(sandbox, token, 'GET', '/item/1');
    expect(expectGateway(limited, 429, '3001')).toEqual({
      message: 'message=ThrottleExceeded; errorCode=003001; statusCode=429',
      detail: 'The request limit was reached.  Try again later',
      code: '3001',
      element: null,
    });
    expect(limited.headers.get('retry-after')).toBeNull();
    await admin(sandbox, 'POST', '/__sandbox/clock', { advanceSeconds: 60 });
    const fresh = (await connect(sandbox)).access_token;
    expect((await qbo(sandbox, fresh, 'GET', '/item/1')).status).toBe(200);
  });

  it('an 11th concurrent request is a 429; a 41st batch in a minute too', async () => {
    await admin(sandbox, 'POST', '/__sandbox/faults', {
      latencyMs: 250,
      times: 11,
      operations: ['customers.read'],
    });
    const burst = await Promise.all(
      Array.from({ length: 11 }, () => qbo(sandbox, token, 'GET', '/customer/1')),
    );
    expect(burst.filter((a) => a.status === 200)).toHaveLength(10);
    expect(burst.filter((a) => a.status === 429)).toHaveLength(1);
    await admin(sandbox, 'DELETE', '/__sandbox/faults');
    const batch = () =>
      qbo(sandbox, token, 'POST', '/batch', {
        BatchItemRequest: [{ bId: '1', Query: "select * from Item where Id = '1'" }],
      });
    for (let i = 0; i < 40; i++) expect((await batch()).status).toBe(200);
    expectGateway(await batch(), 429, '3001');
    expect((await qbo(sandbox, token, 'GET', '/item/1')).status).toBe(200);
  });

  it('relaxed limits: the counted window no longer refuses; QUICKBOOKS_RELAXED_LIMITS as a start option', async () => {
    await admin(sandbox, 'POST', '/__sandbox/limits', { perMinute: 3 });
    try {
      for (let i = 0; i < 3; i++) expect((await qbo(sandbox, token, 'GET', '/item/1')).status).toBe(200);
      expectGateway(await qbo(sandbox, token, 'GET', '/item/1'), 429, '3001');
      await admin(sandbox, 'POST', '/__sandbox/limits', QUICKBOOKS_RELAXED_LIMITS);
      expect((await qbo(sandbox, token, 'GET', '/item/1')).status).toBe(200);
    } finally {
      await admin(sandbox, 'POST', '/__sandbox/limits', DEFAULT_LIMITS);
    }
    const relaxed = await startQuickbooksSandbox({ business, limits: QUICKBOOKS_RELAXED_LIMITS });
    try {
      expect((await admin(relaxed, 'GET', '/__sandbox/limits')).body.limits).toEqual(
        QUICKBOOKS_RELAXED_LIMITS,
      );
      const fast = (await connect(relaxed)).access_token;
      await admin(relaxed, 'POST', '/__sandbox/faults', {
        latencyMs: 100,
        times: 30,
        operations: ['items.read'],
      });
      const burst = await Promise.all(Array.from({ length: 30 }, () => qbo(relaxed, fast, 'GET', '/item/1')));
      expect(burst.every((a) => a.status === 200)).toBe(true);
    } finally {
      await relaxed.close();
    }
  });
});

describe('injected faults', () => {
  it('429 with Retry-After, 503, latency and a dropped connection', async () => {
    await admin(sandbox, 'POST', '/__sandbox/faults', { status: 429, retryAfterSeconds: 7, times: 1 });
    const limited = await qbo(sandbox, token, 'GET', '/customer/1');
    expectGateway(limited, 429, '3001');
    expect(limited.headers.get('retry-after')).toBe('7');

    await admin(sandbox, 'POST', '/__sandbox/faults', { status: 503, times: 1 });
    const down = await qbo(sandbox, token, 'GET', '/customer/1');
    expect(down.status).toBe(503);
    expect(down.body.Fault).toMatchObject({
      type: 'SystemFault',
      Error: [{ Message: 'Service Unavailable' }],
    });
    expect((await qbo(sandbox, token, 'GET', '/customer/1')).status).toBe(200);

    await admin(sandbox, 'POST', '/__sandbox/faults', { latencyMs: 200, times: 1 });
    const started = performance.now();
    await qbo(sandbox, token, 'GET', '/customer/1');
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);

    await admin(sandbox, 'POST', '/__sandbox/faults', { drop: true, times: 1 });
    await expect(qbo(sandbox, token, 'GET', '/customer/1')).rejects.toThrow(/fetch failed/);
  });

  it("phase 'after': the write happens and the answer is lost; the retry with the same requestid gets the first answer", async () => {
    const before = await customerCount();
    await admin(sandbox, 'POST', '/__sandbox/faults', {
      status: 503,
      phase: 'after',
      times: 1,
      operations: ['customers.write'],
    });
    const write = () =>
      qbo(sandbox, token, 'POST', '/customer?requestid=after-1', { DisplayName: 'Lost Answer' });
    expect((await write()).status).toBe(503);
    expect(await customerCount()).toBe(before + 1);
    const retry = await write();
    expect(retry.status).toBe(200);
    expect(retry.body.Customer.DisplayName).toBe('Lost Answer');
    expect(await customerCount()).toBe(before + 1);

    await admin(sandbox, 'POST', '/__sandbox/faults', {
      drop: true,
      phase: 'after',
      times: 1,
      operations: ['customers.write'],
    });
    await expect(
      qbo(sandbox, token, 'POST', '/customer', { DisplayName: 'Dropped After' }),
    ).rejects.toThrow();
    const landed = await query(sandbox, token, "select * from Customer where DisplayName = 'Dropped After'");
    expect(landed.body.QueryResponse.Customer).toHaveLength(1);
  });
});
