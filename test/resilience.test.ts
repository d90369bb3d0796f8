/**
 * The upstream policy end to end, through the sandboxes' own fault injection: a vendor's 429 and
 * Retry-After, the retry budget, the circuit breaker, stale-if-error, and OAuth token trouble, each
 * seen the way a client and an operator see it (the GraphQL response, `sources`, `/readyz`,
 * `/metrics`) and counted at the vendor (the sandbox's request log).
 */
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxes, type Sandboxes } from '../src/sandbox/start.ts';
import { createRetryBudget } from '../src/upstream/retry.ts';
import { refreshSourceMetrics } from '../src/observability/source-status.ts';
import { clearFaults, clearRequestLog, injectFault, requestEntries } from '../harness/sandbox-admin.ts';
import { startTestHub, type TestHub, type TestHubOptions } from './support/hub.ts';
import { booksFault, matchesFault, withOwnBooksGrant } from './support/books.ts';

// The accounting system (Xero, or QuickBooks with SWITCHBOARD_ACCOUNTING=quickbooks) is the vendor
// under test: it is the one with OAuth tokens to refresh.

// By id, of customers linked to the books: the first page of customers may hold one the books do
// not know (the seed has a few), whose invoices need no call to them.
const INVOICES = /* GraphQL */ `
  query Invoices($ids: [ID!]!) {
    nodes(ids: $ids) {
      ... on Customer {
        email
        invoices(first: 5) {
          totalCount
        }
      }
    }
  }
`;

const LINKED = /* GraphQL */ `
  {
    customers(first: 100) {
      edges {
        node {
          id
          links {
            system
          }
        }
      }
    }
  }
`;

const SOURCES = /* GraphQL */ `
  {
    sources {
      system
      healthy
      state
      recentErrorRate
      recentCalls
      breaker {
        state
        nextProbeAt
      }
      budget {
        windows {
          name
          limit
          remaining
        }
        concurrency
        pausedUntil
        shared
      }
      token {
        state
        lastError
        expiresAt
      }
    }
  }
`;

interface SourceJson {
  system: string;
  healthy: boolean;
  breaker: { state: string } | null;
  budget: {
    windows: Array<{ name: string; limit: number; remaining: number }>;
    pausedUntil: string | null;
  } | null;
  token: { state: string; lastError: string | null } | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let sandboxes: Sandboxes;
/** The books' system id (`xero`, `quickbooks`): metrics labels, extensions, limits. */
let books: string;
let hub: TestHub | undefined;
/** Ids of customers linked to the books, from the running hub's store. */
let booksCustomers: string[] = [];
const invoices = (h: TestHub, n: number) => h.graphql(INVOICES, { ids: booksCustomers.slice(0, n) });
/** A fault rule for the books: every API call, or only their token endpoint. */
const booksFaultRule = (call: 'api' | 'token', rule: Record<string, unknown>) => ({
  ...rule,
  ...booksFault(books, call),
});

beforeAll(async () => {
  sandboxes = await startSandboxes({
    seed: { now: new Date('2026-03-02T09:00:00Z') },
    relaxed: true,
  });
  books = sandboxes.accounting.system;
});
afterAll(() => sandboxes.close());
afterEach(async () => {
  await hub?.close();
  hub = undefined;
  await clearFaults(sandboxes.accounting.url, sandboxes.crm.url);
});

const start = async (options: Partial<TestHubOptions> = {}) => {
  // Each hub connects to the books with a grant of its own: the one before it rotated the refresh
  // token the sandbox was started with (QuickBooks refuses a rotated one at once).
  hub = await startTestHub({
    store: 'sqlite',
    workspaces: [{ id: 'default', sandboxes: await withOwnBooksGrant(sandboxes) }],
    ...options,
  });
  const linked = await hub.graphql<{
    customers: { edges: Array<{ node: { id: string; links: Array<{ system: string }> } }> };
  }>(LINKED);
  booksCustomers = (linked.body.data?.customers.edges ?? [])
    .filter((e) => e.node.links.some((l) => l.system === books.toUpperCase()))
    .map((e) => e.node.id);
  expect(booksCustomers.length).toBeGreaterThan(10);
  await clearRequestLog(sandboxes.accounting.url);
  return hub;
};

/** Calls of one kind the books got since the log was cleared: API calls (not the admin surface, not the token endpoint), or token requests. */
const booksCalls = async (call: 'api' | 'token') => {
  const target = booksFault(books, call);
  return (await requestEntries(sandboxes.accounting.url)).filter((e) => matchesFault(target, e)).length;
};
const booksApiCalls = () => booksCalls('api');
const tokenCalls = () => booksCalls('token');

const booksStatus = async (h: TestHub) => {
  const res = await h.graphql<{ sources: SourceJson[] }>(SOURCES);
  expect(res.body.errors).toBeUndefined();
  return res.body.data?.sources.find((s) => s.system === books.toUpperCase()) as SourceJson;
};

const readyz = async (h: TestHub) => {
  const server = h.app.server;
  if (!server.listening) await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const res = await fetch(`http://127.0.0.1:${port}/readyz`, {
    headers: { authorization: `Bearer ${h.keys.values().next().value}` },
  });
  const body = (await res.json()) as {
    status: string;
    sources: Array<{ source: string; healthy: boolean; breaker: string; token: { state: string } | null }>;
  };
  server.close();
  return { status: res.status, body, books: body.sources.find((s) => s.source === books) };
};

describe('rate limits: a 429 with Retry-After', () => {
  it('is not retried before the vendor said, and the next call waits out the pause', async () => {
    const h = await start();
    await injectFault(
      sandboxes.accounting.url,
      booksFaultRule('api', { status: 429, retryAfterSeconds: 7, times: 1 }),
    );
    const first = await invoices(h, 3);
    const failedAt = Date.now();
    // Seven seconds is longer than a retry may wait in the caller's time: the error goes back at once.
    const error = first.body.errors?.find((e) => e.extensions?.source === books);
    expect(error?.extensions).toMatchObject({
      code: 'SOURCE_ERROR',
      sourceCode: 'RATE_LIMITED',
      retryAfterMs: 7_000,
    });
    expect(await booksApiCalls()).toBe(1);
    const status = await booksStatus(h);
    expect(status.budget?.pausedUntil).not.toBeNull();

    // The next query's call to the books is held until the pause ends, then answered (within the 10 s deadline).
    const second = await invoices(h, 3);
    expect(Date.now() - failedAt).toBeGreaterThanOrEqual(6_900);
    expect(second.body.errors).toBeUndefined();
    expect(await booksApiCalls()).toBeGreaterThanOrEqual(2);
  }, 20_000);

  it('keeps within the budget: background work is held back, and interactive calls see what is left', async () => {
    const h = await start({
      upstream: { limits: { [books]: { windows: [{ name: 'minute', limit: 4, windowMs: 60_000 }] } } },
    });
    const res = await invoices(h, 3);
    expect(res.body.errors).toBeUndefined();
    const status = await booksStatus(h);
    expect(status.budget?.windows[0]?.limit).toBe(4);
    expect(status.budget?.windows[0]?.remaining).toBeLessThan(4);
  });
});

describe('retry budget', () => {
  it('stops retrying when the budget is spent, so a failing vendor gets little more than the calls themselves', async () => {
    const h = await start({
      upstream: {
        breaker: false,
        retry: { budget: createRetryBudget({ ratio: 0.1, minPerSecond: 0, max: 3 }), baseMs: 1, maxMs: 5 },
      },
      cache: false,
    });
    await injectFault(sandboxes.accounting.url, booksFaultRule('api', { status: 503 }));
    const queries = 10;
    for (let i = 0; i < queries; i++) await invoices(h, 1);
    const calls = await booksApiCalls();
    // Each query makes one call to the books; retries beyond the first three come only from 10% of calls.
    expect(calls).toBeGreaterThan(queries);
    expect(calls).toBeLessThanOrEqual(queries + 3 + 1);
    const metrics = await h.hub.metrics.registry.getSingleMetricAsString(
      'switchboard_upstream_retries_total',
    );
    expect(metrics).toContain(`source="${books}"`);
  });
});

describe('circuit breaker', () => {
  it('opens on sustained failures, fails fast without calling the vendor, probes, and closes', async () => {
    const h = await start({
      upstream: { retry: false, breaker: { consecutiveFailures: 3, openMs: 400 } },
      cache: false,
    });
    await injectFault(sandboxes.accounting.url, booksFaultRule('api', { status: 503 }));
    for (let i = 0; i < 3; i++) await invoices(h, 1);
    expect(await booksApiCalls()).toBe(3);

    // Open: queries still answer, the books' fields null with a clear reason, and the books hear nothing.
    const open = await invoices(h, 1);
    expect(open.status).toBe(200);
    expect(open.body.errors?.[0]?.message).toMatch(/circuit open/);
    expect(open.body.extensions).toMatchObject({
      sources: { [books]: { stale: false, reason: 'CIRCUIT_OPEN' } },
    });
    for (let i = 0; i < 5; i++) await invoices(h, 1);
    expect(await booksApiCalls()).toBe(3);
    const status = await booksStatus(h);
    expect(status).toMatchObject({ healthy: false, breaker: { state: 'OPEN' } });
    const ready = await readyz(h);
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('degraded');
    expect(ready.books).toMatchObject({ healthy: false, breaker: 'open' });
    await refreshSourceMetrics(h.hub);
    expect(
      await h.hub.metrics.registry.getSingleMetricAsString('switchboard_upstream_circuit_state'),
    ).toContain(`switchboard_upstream_circuit_state{workspace="default",source="${books}"} 2`);

    // After the cool-down one probe goes; it fails, so the breaker opens again for longer.
    await sleep(450);
    await Promise.all([invoices(h, 1), invoices(h, 1)]);
    expect(await booksApiCalls()).toBe(4);

    // The vendor recovers: the next probe succeeds and calls flow again.
    await clearFaults(sandboxes.accounting.url);
    await sleep(850);
    const probe = await invoices(h, 1);
    expect(probe.body.errors).toBeUndefined();
    expect((await booksStatus(h)).breaker?.state).toBe('CLOSED');
    const after = await invoices(h, 2);
    expect(after.body.errors).toBeUndefined();
    expect(after.body.extensions).toBeUndefined();
  });
});

describe('stale-if-error', () => {
  it('serves the last known data when the vendor fails, flagged per source with its age and the reason', async () => {
    const h = await start({ cacheTtlMs: 200, upstream: { retry: false } });
    const fresh = await invoices(h, 5);
    expect(fresh.body.errors).toBeUndefined();
    expect(fresh.body.extensions).toBeUndefined();
    await sleep(1_100);
    await injectFault(sandboxes.accounting.url, booksFaultRule('api', { status: 503 }));

    const stale = await invoices(h, 5);
    expect(stale.body.errors).toBeUndefined();
    expect(stale.body.data).toEqual(fresh.body.data);
    const notice = (
      stale.body.extensions as { sources: Record<string, { stale: boolean; ageSeconds: number }> }
    ).sources[books];
    expect(notice).toMatchObject({ stale: true, reason: 'UPSTREAM_ERROR' });
    expect(notice?.ageSeconds).toBeGreaterThanOrEqual(1);
    // Only the failing source is flagged.
    expect(Object.keys((stale.body.extensions as { sources: object }).sources)).toEqual([books]);
    expect(await h.hub.metrics.registry.getSingleMetricAsString('switchboard_stale_served_total')).toContain(
      `source="${books}",reason="UPSTREAM_ERROR"`,
    );
  });
});

describe('OAuth tokens', () => {
  it('concurrent requests with no valid token make exactly one refresh', async () => {
    const h = await start({ cache: false });
    h.tokens.get('default')?.accounting?.invalidate(); // as after the books refused the token as expired
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => invoices(h, 1 + i)));
    for (const r of results) expect(r.body.errors).toBeUndefined();
    expect(await tokenCalls()).toBe(1);
    expect((await booksStatus(h)).token?.state).toBe('VALID');
  });

  it('a refresh that fails marks the connection unhealthy in sources, /readyz and /metrics', async () => {
    const h = await start({ cache: false });
    h.tokens.get('default')?.accounting?.invalidate();
    await injectFault(sandboxes.accounting.url, booksFaultRule('token', { status: 503 }));
    const res = await invoices(h, 1);
    expect(res.status).toBe(200);
    expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: 'SOURCE_ERROR', source: books });
    // The vendor's own words are in extensions.vendor, which only operators (the test key is one) see.
    expect((res.body.errors?.[0]?.extensions?.vendor as { message: string }).message).toMatch(
      /token refresh failed/,
    );

    const status = await booksStatus(h);
    expect(status.healthy).toBe(false);
    expect(status.token?.state).toBe('FAILED');
    expect(status.token?.lastError).toMatch(/token refresh failed/);
    const ready = await readyz(h);
    expect(ready.body.status).toBe('degraded');
    expect(ready.books).toMatchObject({ healthy: false, token: { state: 'failed' } });
    await refreshSourceMetrics(h.hub);
    expect(
      await h.hub.metrics.registry.getSingleMetricAsString('switchboard_upstream_token_healthy'),
    ).toContain(`source="${books}"} 0`);
  });
});
