import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from './authenticate.ts';
import {
  createCallerLimits,
  parseRateLimit,
  type CallerLimitOptions,
  type CallerLimits,
} from './rate-limit.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const principal = (kind: Principal['kind'], actor: string): Principal => ({
  kind,
  actor,
  keyId: kind === 'jwt' ? undefined : actor,
  workspaces: ['ws1'],
  scopes: new Set(),
  expiresAt: null,
});

/** How many of `n` requests were let through, and the first refusal. */
async function takeMany(limits: CallerLimits, who: Principal, address: string, n: number) {
  let allowed = 0;
  let refusal;
  for (let i = 0; i < n; i++) {
    const result = await limits.take(who, address);
    if (result) refusal ??= result;
    else allowed++;
  }
  return { allowed, refusal };
}

describe('parseRateLimit', () => {
  it.each([
    ['1200/min', { points: 1200, durationSec: 60 }],
    ['50/10s', { points: 50, durationSec: 10 }],
    ['5/h', { points: 5, durationSec: 3600 }],
    ['60/m', { points: 60, durationSec: 60 }],
    ['60/minute', { points: 60, durationSec: 60 }],
    ['10/sec', { points: 10, durationSec: 1 }],
    ['10/second', { points: 10, durationSec: 1 }],
    ['100/2h', { points: 100, durationSec: 7200 }],
    ['100/hour', { points: 100, durationSec: 3600 }],
    [' 30 / 5 min ', { points: 30, durationSec: 300 }],
    ['7/MIN', { points: 7, durationSec: 60 }],
  ])('%j is %j', (text, limit) => {
    expect(parseRateLimit(text)).toEqual(limit);
  });

  it.each(['off', 'OFF', ' Off '])('%j turns the limit off', (text) => {
    expect(parseRateLimit(text)).toBe(false);
  });

  it.each([
    '',
    '1200',
    '/min',
    '0/min',
    '10/0s',
    '-5/min',
    '1.5/min',
    '10/ms',
    '10/day',
    '10/mins',
    'ten/min',
    '10 per min',
    'none',
    '12000000/min',
  ])('%j is not a rate limit', (text) => {
    expect(parseRateLimit(text)).toBeUndefined();
  });
});

const minute = (points: number) => ({ points, durationSec: 60 });

/** The behaviour of CallerLimits; `make` gives instances sharing one count (one Redis prefix, or none). */
function behaviour(make: (options: Omit<CallerLimitOptions, 'redis' | 'redisPrefix'>) => CallerLimits) {
  const options = {
    perCredential: minute(3),
    perPublicAddress: minute(2),
    authFailuresPerAddress: minute(3),
  };

  it('refuses a credential its 4th request of 3 a minute: 429 RATE_LIMITED with a wait', async () => {
    const limits = make(options);
    const key = principal('secret_key', 'KeyA00000001');
    const { allowed, refusal } = await takeMany(limits, key, '10.0.0.1', 5);
    expect(allowed).toBe(3);
    expect(refusal).toMatchObject({ status: 429, code: 'RATE_LIMITED', reason: 'RATE_LIMITED' });
    expect(refusal!.retryAfterMs).toBeGreaterThan(0);
    expect(refusal!.retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(refusal!.message).toContain('this credential may make 3 a minute');
    // Another credential, and a token subject, count on their own; the address does not matter.
    expect((await takeMany(limits, principal('secret_key', 'KeyB00000001'), '10.0.0.1', 3)).allowed).toBe(3);
    expect((await takeMany(limits, principal('jwt', 'jwt:alice'), '10.0.0.9', 4)).allowed).toBe(3);
    expect((await takeMany(limits, key, '10.0.0.2', 1)).allowed).toBe(0);
  });

  it('counts sign-in requests per address with the publishable-key limit, apart from its counts', async () => {
    const limits = make(options);
    expect(await limits.anonymous('198.51.100.7')).toBeUndefined();
    expect(await limits.anonymous('198.51.100.7')).toBeUndefined();
    const refusal = await limits.anonymous('198.51.100.7');
    expect(refusal).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    expect(refusal!.message).toContain('each address signing in may make 2 a minute');
    expect(await limits.anonymous('198.51.100.8')).toBeUndefined();
    const shop = principal('publishable_key', 'PubKey000009');
    expect((await takeMany(limits, shop, '198.51.100.7', 2)).allowed).toBe(2);
  });

  it('counts enquiries per address, apart from every other count', async () => {
    const limits = make({ ...options, perEnquiryAddress: { points: 2, durationSec: 600 } });
    expect(await limits.enquiry('198.51.100.20')).toBeUndefined();
    expect(await limits.enquiry('198.51.100.20')).toBeUndefined();
    const refusal = await limits.enquiry('198.51.100.20');
    expect(refusal).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    expect(refusal!.message).toContain('each address sending enquiries may make 2 per 10 minutes');
    // Another visitor is not held back, nor is the same visitor's browsing.
    expect(await limits.enquiry('198.51.100.21')).toBeUndefined();
    const shop = principal('publishable_key', 'PubKey000010');
    expect((await takeMany(limits, shop, '198.51.100.20', 2)).allowed).toBe(2);
  });

  it('counts publishable keys per address, not per key', async () => {
    const limits = make(options);
    const shop = principal('publishable_key', 'PubKey000001');
    expect((await takeMany(limits, shop, '203.0.113.1', 4)).allowed).toBe(2);
    const refusal = (await takeMany(limits, shop, '203.0.113.1', 1)).refusal;
    expect(refusal).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    expect(refusal!.message).toContain('each address using a publishable key may make 2 a minute');
    // Every other visitor of the shop still gets through, and so does another publishable key from the same address.
    expect((await takeMany(limits, shop, '203.0.113.2', 2)).allowed).toBe(2);
    expect(
      (await takeMany(limits, principal('publishable_key', 'PubKey000002'), '203.0.113.1', 2)).allowed,
    ).toBe(2);
    // Publishable requests do not use up a credential's budget (of 3) and vice versa.
    expect((await takeMany(limits, principal('secret_key', 'PubKey000001'), '203.0.113.1', 3)).allowed).toBe(
      3,
    );
  });

  it('a limit set to false lets everything through', async () => {
    const limits = make({ ...options, perCredential: false, perPublicAddress: false });
    expect((await takeMany(limits, principal('secret_key', 'KeyC00000001'), '10.0.0.1', 50)).allowed).toBe(
      50,
    );
    expect(
      (await takeMany(limits, principal('publishable_key', 'PubKey000003'), '10.0.0.1', 50)).allowed,
    ).toBe(50);
  });

  it('failed(): the 4th failed authentication of 3 a minute from one address is a 429, and only there', async () => {
    const limits = make(options);
    const address = '198.51.100.7';
    expect(await limits.failed(address)).toBeUndefined();
    expect(await limits.failed(address)).toBeUndefined();
    expect(await limits.failed(address)).toBeUndefined();
    const refusal = await limits.failed(address);
    expect(refusal).toMatchObject({ status: 429, code: 'RATE_LIMITED', reason: 'RATE_LIMITED' });
    expect(refusal!.retryAfterMs).toBeGreaterThan(0);
    expect(refusal!.retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(refusal!.message).toContain('an address whose credentials keep failing may make 3 a minute');
    expect(await limits.failed(address)).toMatchObject({ status: 429 });
    expect(await limits.failed('198.51.100.8')).toBeUndefined();
    // Failures do not use up the budget of a valid credential from the same address.
    expect((await takeMany(limits, principal('secret_key', 'KeyD00000001'), address, 3)).allowed).toBe(3);
  });

  it('the count starts again after the window', async () => {
    const limits = make({
      ...options,
      perCredential: { points: 2, durationSec: 1 },
      authFailuresPerAddress: { points: 1, durationSec: 1 },
    });
    const key = principal('secret_key', 'KeyE00000001');
    expect((await takeMany(limits, key, 'a', 3)).allowed).toBe(2);
    expect(await limits.failed('b')).toBeUndefined();
    expect(await limits.failed('b')).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect((await takeMany(limits, key, 'a', 3)).allowed).toBe(2);
    expect(await limits.failed('b')).toBeUndefined();
  });
}

describe('caller limits in this process', () => {
  behaviour((options) => createCallerLimits(options));

  it('two instances without Redis count on their own', async () => {
    const options = {
      perCredential: minute(2),
      perPublicAddress: minute(2),
      authFailuresPerAddress: minute(2),
    };
    const a = createCallerLimits(options);
    const b = createCallerLimits(options);
    const key = principal('secret_key', 'KeyF00000001');
    expect((await takeMany(a, key, 'x', 3)).allowed).toBe(2);
    expect((await takeMany(b, key, 'x', 3)).allowed).toBe(2);
  });
});

describe('caller limits on Redis', () => {
  const clients: Redis[] = [];
  const prefixes: string[] = [];
  beforeAll(async () => {
    // One client per replica; wait until both are ready (before that, each replica counts alone).
    clients.push(new Redis(REDIS_URL), new Redis(REDIS_URL));
    await Promise.all(clients.map((c) => c.ping()));
  });
  afterAll(async () => {
    for (const prefix of prefixes) {
      const keys = await clients[0]!.keys(`${prefix}:*`);
      if (keys.length) await clients[0]!.del(...keys);
    }
    await Promise.all(clients.map((c) => c.quit()));
  });

  /** Two replicas' limits on the same Redis and prefix; `make` alternates between them. */
  let turn = 0;
  behaviour((options) => {
    const prefix = `sb-test-${randomBytes(6).toString('hex')}`;
    prefixes.push(prefix);
    const replicas = clients.map((redis) => createCallerLimits({ ...options, redis, redisPrefix: prefix }));
    const pick = () => replicas[turn++ % replicas.length]!;
    // Every call goes to the next replica: the counts must add up as one.
    return {
      take: (who, address) => pick().take(who, address),
      failed: (address) => pick().failed(address),
      anonymous: (address) => pick().anonymous(address),
      enquiry: (address) => pick().enquiry(address),
    };
  });

  it('keeps its counts in Redis under the prefix', async () => {
    const prefix = `sb-test-${randomBytes(6).toString('hex')}`;
    prefixes.push(prefix);
    const limits = createCallerLimits({
      perCredential: minute(5),
      perPublicAddress: minute(5),
      authFailuresPerAddress: minute(5),
      redis: clients[0],
      redisPrefix: prefix,
    });
    await limits.take(principal('secret_key', 'KeyG00000001'), 'x');
    await limits.take(principal('publishable_key', 'PubKey000004'), '192.0.2.1');
    await limits.failed('192.0.2.2');
    const keys = (await clients[1]!.keys(`${prefix}:*`)).sort();
    expect(keys).toEqual([
      `${prefix}:callers:auth-failures:192.0.2.2`,
      `${prefix}:callers:credential:KeyG00000001`,
      `${prefix}:callers:public:PubKey000004|192.0.2.1`,
    ]);
    expect(await clients[1]!.get(`${prefix}:callers:credential:KeyG00000001`)).toBe('1');
  });

  it('two replicas share one count', async () => {
    const prefix = `sb-test-${randomBytes(6).toString('hex')}`;
    prefixes.push(prefix);
    const options = {
      perCredential: minute(4),
      perPublicAddress: minute(4),
      authFailuresPerAddress: minute(2),
    };
    const [a, b] = clients.map((redis) => createCallerLimits({ ...options, redis, redisPrefix: prefix })) as [
      CallerLimits,
      CallerLimits,
    ];
    const key = principal('secret_key', 'KeyH00000001');
    expect((await takeMany(a, key, 'x', 2)).allowed).toBe(2);
    expect((await takeMany(b, key, 'y', 2)).allowed).toBe(2);
    expect((await takeMany(a, key, 'x', 1)).refusal).toMatchObject({ status: 429 });
    expect((await takeMany(b, key, 'y', 1)).refusal).toMatchObject({ status: 429 });
    expect(await a.failed('192.0.2.9')).toBeUndefined();
    expect(await b.failed('192.0.2.9')).toBeUndefined();
    expect(await a.failed('192.0.2.9')).toMatchObject({ status: 429 });
    expect(await b.failed('192.0.2.9')).toMatchObject({ status: 429 });
    // A different prefix is a different hub: nothing shared.
    const other = createCallerLimits({ ...options, redis: clients[0], redisPrefix: `${prefix}-other` });
    prefixes.push(`${prefix}-other`);
    expect((await takeMany(other, key, 'x', 4)).allowed).toBe(4);
  });
});
