/** Rate limits and injected faults, observed through the official SDK with its retries off. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Client } from '@hubspot/api-client';
import type { VendorSandbox } from '../../../src/sandbox/types.ts';
import { startHubspotSandbox } from './server.ts';
import { admin, FIXED_NOW, sdkError, sdkFor } from './test-helpers.ts';

let sandbox: VendorSandbox;
let hubspot: Client;

beforeAll(async () => {
  sandbox = await startHubspotSandbox({ seed: { now: FIXED_NOW, customers: 40 } });
  hubspot = sdkFor(sandbox);
});

beforeEach(async () => {
  await fetch(`${sandbox.url}/__sandbox/reset`, { method: 'POST' });
});

afterAll(async () => {
  await sandbox.close();
});

describe('rate limits', () => {
  it('sends the rate-limit headers on every CRM response', async () => {
    const res = await fetch(`${sandbox.url}/crm/v3/objects/contacts?limit=1`, {
      headers: { authorization: `Bearer ${sandbox.credentials.accessToken}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-hubspot-ratelimit-max')).toBe('100');
    expect(res.headers.get('x-hubspot-ratelimit-remaining')).toBe('99');
    expect(res.headers.get('x-hubspot-ratelimit-interval-milliseconds')).toBe('10000');
    expect(res.headers.get('x-hubspot-ratelimit-daily')).toBe('250000');
    expect(res.headers.get('x-hubspot-ratelimit-daily-remaining')).toBe('249999');
  });

  it('the 11th call in 10 s with a limit of 10 gets the ten_secondly_rolling 429', async () => {
    const set = await admin(sandbox, 'limits', { tenSecondly: 10 });
    expect(set.body.limits).toMatchObject({ tenSecondly: 10 });
    for (let i = 0; i < 10; i++) {
      const page = await hubspot.crm.contacts.basicApi.getPageWithHttpInfo(1);
      expect(page.httpStatusCode).toBe(200);
      expect(page.headers['x-hubspot-ratelimit-remaining']).toBe(String(9 - i));
    }
    const error = await sdkError(hubspot.crm.contacts.basicApi.getPage(1));
    expect(error.code).toBe(429);
    expect(error.body).toEqual({
      status: 'error',
      message: 'You have reached your ten_secondly_rolling limit.',
      errorType: 'RATE_LIMIT',
      correlationId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      policyName: 'TEN_SECONDLY_ROLLING',
      groupName: expect.any(String),
    });
    expect(error.headers['x-hubspot-ratelimit-max']).toBe('10');
    expect(error.headers['x-hubspot-ratelimit-remaining']).toBe('0');
    expect(error.headers['x-hubspot-ratelimit-interval-milliseconds']).toBe('10000');
    // A reset restores the configured limits and clears the window.
    await fetch(`${sandbox.url}/__sandbox/reset`, { method: 'POST' });
    expect((await admin(sandbox, 'limits')).body.limits).toMatchObject({ tenSecondly: 100 });
    await hubspot.crm.contacts.basicApi.getPage(1);
  });

  it('search has its own per-second limit and no rate-limit headers', async () => {
    const search = () => hubspot.crm.contacts.searchApi.doSearchWithHttpInfo({ filterGroups: [], limit: 1 });
    // Sent at once, so all of them fall into the same second whatever the machine's load.
    const results = await Promise.allSettled(Array.from({ length: 7 }, () => search()));
    const ok = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expect(ok).toHaveLength(5);
    expect(ok[0]?.headers['x-hubspot-ratelimit-remaining']).toBeUndefined();
    const rejected = results.flatMap((r) =>
      r.status === 'rejected' ? [r.reason as { code: number; body: unknown }] : [],
    );
    expect(rejected).toHaveLength(2);
    expect(rejected[0]?.code).toBe(429);
    expect(rejected[0]?.body).toMatchObject({
      message: 'You have reached your secondly limit.',
      policyName: 'SECONDLY',
    });
  });

  it('validates the admin limits body', async () => {
    expect((await admin(sandbox, 'limits', { tenSecondly: 0 })).status).toBe(400);
    expect((await admin(sandbox, 'limits', { perMinute: 5 })).status).toBe(400);
  });
});

describe('injected faults', () => {
  it('503 surfaces as an ApiException with the HubSpot body', async () => {
    await admin(sandbox, 'faults', { status: 503, times: 1 });
    const error = await sdkError(hubspot.crm.contacts.basicApi.getPage(1));
    expect(error.code).toBe(503);
    expect(error.body).toMatchObject({ status: 'error', message: expect.any(String) });
    await hubspot.crm.contacts.basicApi.getPage(1);
  });

  it('429 carries Retry-After and the rate-limit body', async () => {
    await admin(sandbox, 'faults', { status: 429, retryAfterSeconds: 7, times: 1 });
    const error = await sdkError(hubspot.crm.contacts.basicApi.getPage(1));
    expect(error.code).toBe(429);
    expect(error.headers['retry-after']).toBe('7');
    expect(error.body).toMatchObject({ policyName: 'TEN_SECONDLY_ROLLING', errorType: 'RATE_LIMIT' });
  });

  it('latency delays the request by at least the injected time', async () => {
    await admin(sandbox, 'faults', { latencyMs: 300, times: 1 });
    const started = performance.now();
    await hubspot.crm.contacts.basicApi.getPage(1);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('a dropped connection rejects the SDK call with a network error', async () => {
    await admin(sandbox, 'faults', { drop: true, times: 1 });
    const failure = await hubspot.crm.contacts.basicApi.getPage(1).then(
      () => undefined,
      (error: unknown) => error as Error & { code?: unknown },
    );
    expect(failure).toBeInstanceOf(Error);
    expect(typeof failure?.code).not.toBe('number');
    expect(failure?.message).toMatch(/socket hang up|ECONNRESET|network/i);
    await hubspot.crm.contacts.basicApi.getPage(1);
  });
});
