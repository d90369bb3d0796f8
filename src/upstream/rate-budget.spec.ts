import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { SourceError } from '../domain/errors.ts';
import { createRateBudget, type BudgetTicket, type RateBudget } from './rate-budget.ts';
import { createRedisBudgetBackend } from './rate-budget-redis.ts';
import { withDeadline } from './work.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Acquires until one is refused (the deadline is shorter than the wait); returns how many got in. */
async function drain(
  budget: RateBudget,
  priority: 'interactive' | 'background',
  tries: number,
  deadlineMs = 50,
) {
  let granted = 0;
  let refused: SourceError | undefined;
  for (let i = 0; i < tries; i++) {
    try {
      const ticket = await budget.acquire({ priority, signal: withDeadline(undefined, deadlineMs) });
      ticket.release();
      granted++;
    } catch (error) {
      refused = error as SourceError;
    }
  }
  return { granted, refused };
}

/**
 * Two slots per 600 ms, both spent; four callers with 1 s to live queue up. The first two get the
 * slots that open at about 600 ms; the next two could only go at about 1.2 s, after their deadline,
 * so they are refused at once instead of waiting to be refused.
 */
async function queuePlaces(budget: RateBudget, operations: string[] = ['']) {
  for (let i = 0; i < 2; i++) (await budget.acquire({ priority: 'interactive' })).release();
  const events: string[] = [];
  await Promise.all(
    [1, 2, 3, 4].map((n) =>
      budget
        .acquire({
          priority: 'interactive',
          operation: operations[n % operations.length],
          signal: withDeadline(undefined, 1_000),
        })
        .then(
          (ticket) => {
            events.push(`granted ${n}`);
            ticket.release();
          },
          (error: SourceError) => events.push(`refused ${n} ${error.code}`),
        ),
    ),
  );
  return events;
}

describe('rate budget (this process)', () => {
  it('refuses at once the callers whose place in the queue comes after their deadline', async () => {
    const budget = createRateBudget('ws:xero', {
      source: 'xero',
      windows: [{ name: 'minute', limit: 2, windowMs: 600 }],
      marginMs: 0,
    });
    expect(await queuePlaces(budget)).toEqual([
      'refused 3 RATE_LIMITED',
      'refused 4 RATE_LIMITED',
      'granted 1',
      'granted 2',
    ]);
  });

  it('counts places across operations that count against the same windows', async () => {
    const budget = createRateBudget('ws:hubspot', {
      source: 'hubspot',
      windows: [
        { name: '10s', limit: 2, windowMs: 600 },
        { name: 'search', limit: 5, windowMs: 1_000, operations: ['contacts.search'] },
      ],
      marginMs: 0,
    });
    expect(await queuePlaces(budget, ['contacts.list', 'contacts.batchRead'])).toEqual([
      'refused 3 RATE_LIMITED',
      'refused 4 RATE_LIMITED',
      'granted 1',
      'granted 2',
    ]);
  });

  it('lets `limit` calls through per rolling window and makes the next one wait for the oldest to leave', async () => {
    const budget = createRateBudget('ws:stripe', {
      source: 'stripe',
      windows: [{ name: 'second', limit: 5, windowMs: 300 }],
      marginMs: 0,
    });
    const started = Date.now();
    for (let i = 0; i < 5; i++) (await budget.acquire({ priority: 'interactive' })).release();
    expect((await budget.snapshot()).windows[0]?.remaining).toBe(0);
    (await budget.acquire({ priority: 'interactive' })).release();
    // The sixth could only go once the first had left the window.
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('refuses at once, with when to come back, a call whose deadline ends before a slot frees', async () => {
    const budget = createRateBudget('ws:xero', {
      source: 'xero',
      windows: [{ name: 'minute', limit: 3, windowMs: 60_000 }],
    });
    const { granted, refused } = await drain(budget, 'interactive', 5);
    expect(granted).toBe(3);
    expect(refused).toBeInstanceOf(SourceError);
    expect(refused?.code).toBe('RATE_LIMITED');
    expect(refused?.vendorCode).toBe('RATE_BUDGET');
    expect(refused?.retryAfterMs).toBeGreaterThan(50_000);
    expect(refused?.message).toMatch(/held this call back/);
  });

  it('keeps a reserve of every window for interactive calls: background work gets 80%', async () => {
    const budget = createRateBudget('ws:hubspot', {
      source: 'hubspot',
      windows: [{ name: '10s', limit: 10, windowMs: 10_000 }],
    });
    expect((await drain(budget, 'background', 12)).granted).toBe(8);
    expect((await drain(budget, 'interactive', 4)).granted).toBe(2);
  });

  it('serves waiting interactive calls before background ones that queued earlier', async () => {
    const budget = createRateBudget('ws:xero', {
      source: 'xero',
      windows: [{ name: 'minute', limit: 100, windowMs: 60_000 }],
      concurrency: 1,
    });
    const held = await budget.acquire({ priority: 'interactive' });
    const order: string[] = [];
    const take = (name: string, priority: 'interactive' | 'background') =>
      budget.acquire({ priority }).then((ticket: BudgetTicket) => {
        order.push(name);
        ticket.release();
      });
    const all = [take('background-1', 'background'), take('background-2', 'background')];
    all.push(take('interactive-1', 'interactive'));
    expect((await budget.snapshot()).queued).toBe(3);
    held.release();
    await Promise.all(all);
    expect(order).toEqual(['interactive-1', 'background-1', 'background-2']);
  });

  it('sends nothing during a pause the vendor asked for (429 Retry-After)', async () => {
    const budget = createRateBudget('ws:stripe', {
      source: 'stripe',
      windows: [{ name: 'second', limit: 100, windowMs: 1_000 }],
    });
    budget.pause(300);
    expect((await budget.snapshot()).pausedUntil).toBeInstanceOf(Date);
    const started = Date.now();
    (await budget.acquire({ priority: 'interactive' })).release();
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    // A caller that cannot wait that long is told when to come back.
    budget.pause(5_000);
    await expect(
      budget.acquire({ priority: 'interactive', signal: withDeadline(undefined, 100) }),
    ).rejects.toMatchObject({ code: 'RATE_LIMITED' });
  });

  it("follows the vendor's own count of what is left, and its limit when it names one", async () => {
    const budget = createRateBudget('ws:hubspot', {
      source: 'hubspot',
      windows: [{ name: '10s', limit: 100, windowMs: 10_000 }],
    });
    budget.observeRemaining('10s', 40);
    expect((await budget.snapshot()).windows[0]).toMatchObject({ limit: 100, remaining: 40 });
    budget.observeRemaining('10s', 150, 190); // a Professional portal allows 190 per 10 s
    // The limit follows the vendor; of two counts of what is used, the larger (ours, 60) is kept.
    expect((await budget.snapshot()).windows[0]).toMatchObject({ limit: 190, remaining: 130 });
  });

  it('applies a window only to the operations it names (HubSpot search has 5/s of its own)', async () => {
    const budget = createRateBudget('ws:hubspot', {
      source: 'hubspot',
      maxWaitMs: 300_000,
      windows: [
        { name: '10s', limit: 100, windowMs: 10_000 },
        { name: 'search', limit: 2, windowMs: 60_000, operations: ['contacts.search'] },
      ],
    });
    const search = () =>
      budget.acquire({
        priority: 'interactive',
        operation: 'contacts.search',
        signal: withDeadline(undefined, 50),
      });
    (await search()).release();
    (await search()).release();
    await expect(search()).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    (await budget.acquire({ priority: 'interactive', operation: 'contacts.batchRead' })).release();

    // A search waiting for its window does not hold up the calls queued behind it.
    const waitingSearch = budget.acquire({
      priority: 'interactive',
      operation: 'contacts.search',
      signal: withDeadline(undefined, 200_000),
    });
    waitingSearch.catch(() => {}); // left waiting for the minute to pass
    const read = await budget.acquire({ priority: 'interactive', operation: 'contacts.batchRead' });
    read.release();
    expect((await budget.snapshot()).queued).toBe(1);
  });
});

describe('rate budget shared through Redis', () => {
  const clients: Redis[] = [];
  const redis = () => {
    const client = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    clients.push(client);
    return client;
  };
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.quit()));
  });

  it('lets two replicas together send no more than the limit', async () => {
    const key = `test-${randomUUID()}:xero`;
    const options = { source: 'xero' as const, windows: [{ name: 'minute', limit: 10, windowMs: 60_000 }] };
    const a = createRateBudget(key, { ...options, backend: createRedisBudgetBackend(redis()) });
    const b = createRateBudget(key, { ...options, backend: createRedisBudgetBackend(redis()) });
    const [fromA, fromB] = await Promise.all([
      drain(a, 'interactive', 8, 2_000),
      drain(b, 'interactive', 8, 2_000),
    ]);
    expect(fromA.granted + fromB.granted).toBe(10);
    expect(fromA.refused?.code ?? fromB.refused?.code).toBe('RATE_LIMITED');
    expect((await a.snapshot()).windows[0]?.remaining).toBe(0);
    expect((await b.snapshot()).shared).toBe(true);
  });

  it('refuses at once the callers whose place in the queue comes after their deadline', async () => {
    const budget = createRateBudget(`test-${randomUUID()}:xero`, {
      source: 'xero',
      windows: [{ name: 'minute', limit: 2, windowMs: 600 }],
      marginMs: 0,
      backend: createRedisBudgetBackend(redis()),
    });
    expect(await queuePlaces(budget)).toEqual([
      'refused 3 RATE_LIMITED',
      'refused 4 RATE_LIMITED',
      'granted 1',
      'granted 2',
    ]);
  });

  it('counts in this process while Redis cannot be reached, and says so', async () => {
    const warnings: string[] = [];
    const down = new Redis('redis://127.0.0.1:1', {
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      lazyConnect: true,
      retryStrategy: () => null,
    });
    down.on('error', () => {}); // the refused connection; the budget reports it through `warn`
    const budget = createRateBudget('test:down', {
      source: 'xero',
      windows: [{ name: 'minute', limit: 2, windowMs: 60_000 }],
      backend: createRedisBudgetBackend(down, (m) => warnings.push(m)),
    });
    const { granted, refused } = await drain(budget, 'interactive', 3, 2_000);
    expect(granted).toBe(2);
    expect(refused?.code).toBe('RATE_LIMITED');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/counting in this process/);
    down.disconnect();
  });

  it('shares the concurrency limit and the vendor-asked pause', async () => {
    const key = `test-${randomUUID()}:xero`;
    const options = {
      source: 'xero' as const,
      windows: [{ name: 'minute', limit: 60, windowMs: 60_000 }],
      concurrency: 2,
    };
    const a = createRateBudget(key, { ...options, backend: createRedisBudgetBackend(redis()) });
    const b = createRateBudget(key, { ...options, backend: createRedisBudgetBackend(redis()) });
    const held = [await a.acquire({ priority: 'interactive' }), await a.acquire({ priority: 'interactive' })];
    expect((await b.snapshot()).inFlight).toBe(2);
    let got = false;
    const waiting = b.acquire({ priority: 'interactive' }).then((t) => {
      got = true;
      t.release();
    });
    await new Promise((r) => setTimeout(r, 150));
    expect(got).toBe(false);
    held[0]?.release();
    await waiting;
    expect(got).toBe(true);
    held[1]?.release();

    a.pause(5_000);
    await new Promise((r) => setTimeout(r, 50)); // the pause is written asynchronously
    await expect(
      b.acquire({ priority: 'interactive', signal: withDeadline(undefined, 100) }),
    ).rejects.toMatchObject({
      code: 'RATE_LIMITED',
    });
    expect((await b.snapshot()).pausedUntil).toBeInstanceOf(Date);
  });
});
