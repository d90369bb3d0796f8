import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { openTestStore, type TestStore } from '../../harness/stores.ts';
import { buildSchema } from '../graph/schema.ts';
import {
  createAuthenticator,
  normaliseOrigin,
  type AuthResult,
  type Authenticator,
  type AuthenticatorOptions,
  type Refusal,
} from './authenticate.ts';
import { createApiKeyRepository, type ApiKeyRepository, type NewApiKey } from './keys.ts';
import { readScopeCatalog, type ScopeCatalog } from './scopes.ts';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const base62 = (n: number) => Array.from(randomBytes(n), (b) => BASE62[b % 62]).join('');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Waits (up to 5 s: the machine is shared) for a background write to show. */
const eventually = (check: () => unknown) => vi.waitFor(check, { timeout: 5_000, interval: 10 });
const bearer = (text: string) => `Bearer ${text}`;

/** The refusal of a result that must be one. */
function refusalOf(result: AuthResult): Refusal {
  if (result.ok) throw new Error(`expected a refusal, got a principal for ${result.principal.actor}`);
  return result.refusal;
}

const SHOP = 'https://shop.example.com';

describe('authenticate', () => {
  let t: TestStore;
  let keys: ApiKeyRepository;
  let catalog: ScopeCatalog;
  let auth: Authenticator;

  const make = (input: Partial<NewApiKey> = {}) =>
    keys.create({
      workspace: 'ws1',
      kind: 'secret',
      mode: 'test',
      name: 'test key',
      scopes: ['customers:read', 'bookings:read'],
      ...input,
    });
  const authenticator = (options: Partial<AuthenticatorOptions> = {}) =>
    createAuthenticator({ keys, mode: 'test', catalog, defaultWorkspace: 'default', ...options });
  const check = (authorization: string | null, origin: string | null = null, using = auth) =>
    using.authenticate({ authorization, origin });

  beforeAll(async () => {
    t = await openTestStore('sqlite');
    keys = createApiKeyRepository(t.store.db);
    catalog = readScopeCatalog(buildSchema());
    auth = authenticator();
  });
  afterAll(() => t.drop());
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('accepts a secret key: its id is the actor, its workspace and scopes are the principal', async () => {
    const expiresAt = new Date(Date.now() + 3_600_000);
    const { key, text } = await make({ expiresAt });
    const result = await check(bearer(text));
    expect(result).toEqual({
      ok: true,
      principal: {
        kind: 'secret_key',
        actor: key.id,
        keyId: key.id,
        workspaces: ['ws1'],
        scopes: new Set(['customers:read', 'bookings:read']),
        allowedOrigins: undefined,
        expiresAt,
      },
    });
    // The scheme is case-insensitive and surrounding spaces do not matter; an Origin changes nothing.
    expect((await check(`bearer   ${text}  `, 'https://anything.example')).ok).toBe(true);
  });

  describe('refusals', () => {
    it('no Authorization header: 401 MISSING_CREDENTIAL', async () => {
      for (const header of [null, '']) {
        expect(refusalOf(await check(header))).toMatchObject({
          status: 401,
          code: 'UNAUTHENTICATED',
          reason: 'MISSING_CREDENTIAL',
        });
      }
    });

    it('not `Bearer <credential>`: 401 MALFORMED_CREDENTIAL', async () => {
      const { text } = await make();
      for (const header of [
        text,
        `Basic ${Buffer.from(`user:${text}`).toString('base64')}`,
        'Bearer',
        'Bearer ',
        `Bearer ${text} extra`,
        `Token ${text}`,
        `Bearer\t${text}`,
      ]) {
        const refusal = refusalOf(await check(header));
        expect(refusal, header).toMatchObject({
          status: 401,
          code: 'UNAUTHENTICATED',
          reason: 'MALFORMED_CREDENTIAL',
        });
        expect(refusal.message).toContain('Bearer');
      }
    });

    it('a header over 4096 characters: 401 MALFORMED_CREDENTIAL, before anything is looked up', async () => {
      const verify = vi.spyOn(keys, 'verify');
      const long = bearer(`sb_test_${'a'.repeat(4_089)}`);
      expect(long).toHaveLength(4_104);
      const refusal = refusalOf(await check(long));
      expect(refusal).toMatchObject({ status: 401, code: 'UNAUTHENTICATED', reason: 'MALFORMED_CREDENTIAL' });
      expect(refusal.message).toContain('4096');
      // Exactly 4096 characters is read (and is then neither a key nor a JWT).
      const limit = bearer('x'.repeat(4_096 - 7));
      expect(limit).toHaveLength(4_096);
      expect(refusalOf(await check(limit)).message).toContain('neither');
      expect(refusalOf(await check(`${limit}y`)).message).toContain('4096');
      expect(verify).not.toHaveBeenCalled();
    });

    it('neither a key nor a JWT: 401 MALFORMED_CREDENTIAL', async () => {
      for (const credential of ['hello', 'sb_test_short', 'sk_test_abc', 'eyJ.x.y.z', 'eyJ!.x.y', 'a.b.c']) {
        const refusal = refusalOf(await check(bearer(credential)));
        expect(refusal, credential).toMatchObject({
          status: 401,
          code: 'UNAUTHENTICATED',
          reason: 'MALFORMED_CREDENTIAL',
        });
        expect(refusal.message).toContain('neither a Switchboard key');
      }
    });

    it('an unknown key and a wrong secret for a real id get the same answer', async () => {
      const { key } = await make();
      const unknown = refusalOf(await check(bearer(`sb_test_${base62(12)}_${base62(43)}`)));
      const wrongSecret = refusalOf(await check(bearer(`sb_test_${key.id}_${base62(43)}`)));
      expect(unknown).toMatchObject({ status: 401, code: 'UNAUTHENTICATED', reason: 'KEY_UNKNOWN' });
      // Nothing tells the caller that the id exists.
      expect(wrongSecret).toEqual(unknown);
      expect(wrongSecret.message).not.toContain(key.id);
    });

    it('a revoked key: 401 KEY_REVOKED', async () => {
      const { key, text } = await make();
      await keys.revoke(key.id);
      expect(refusalOf(await check(bearer(text)))).toMatchObject({
        status: 401,
        code: 'UNAUTHENTICATED',
        reason: 'KEY_REVOKED',
      });
    });

    it('an expired key: 401 KEY_EXPIRED, naming when', async () => {
      const expiresAt = new Date(Date.now() - 60_000);
      const { text } = await make({ expiresAt });
      const refusal = refusalOf(await check(bearer(text)));
      expect(refusal).toMatchObject({ status: 401, code: 'UNAUTHENTICATED', reason: 'KEY_EXPIRED' });
      expect(refusal.message).toContain(expiresAt.toISOString());
    });

    it('a revoked key that has also expired is called revoked', async () => {
      const { key, text } = await make({ expiresAt: new Date(Date.now() - 60_000) });
      await keys.revoke(key.id);
      expect(refusalOf(await check(bearer(text))).reason).toBe('KEY_REVOKED');
    });

    it('a live key on a test hub, and a test key on a live hub: 401 KEY_WRONG_MODE, without a lookup', async () => {
      const live = await make({ mode: 'live' });
      const test = await make({ mode: 'test' });
      const liveHub = authenticator({ mode: 'live' });
      const verify = vi.spyOn(keys, 'verify');
      const onTestHub = refusalOf(await check(bearer(live.text)));
      expect(onTestHub).toMatchObject({ status: 401, code: 'UNAUTHENTICATED', reason: 'KEY_WRONG_MODE' });
      expect(onTestHub.message).toMatch(/sandbox mode and takes test keys .*this is a live key/);
      const onLiveHub = refusalOf(await check(bearer(test.text), null, liveHub));
      expect(onLiveHub).toMatchObject({ status: 401, code: 'UNAUTHENTICATED', reason: 'KEY_WRONG_MODE' });
      expect(onLiveHub.message).toMatch(/live mode and takes live keys .*this is a test key/);
      expect(verify).not.toHaveBeenCalled();
      // Each works where it belongs.
      expect((await check(bearer(live.text), null, liveHub)).ok).toBe(true);
      expect((await check(bearer(test.text))).ok).toBe(true);
    });

    it('a JWT when no identity provider is configured: 401 JWT_NOT_CONFIGURED', async () => {
      const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';
      expect(refusalOf(await check(bearer(jwt)))).toMatchObject({
        status: 401,
        code: 'UNAUTHENTICATED',
        reason: 'JWT_NOT_CONFIGURED',
      });
    });

    it('a store failure is 401 STORE_UNAVAILABLE, never a success, and is not remembered', async () => {
      const { key, text } = await make();
      const error = vi.fn();
      const flaky = authenticator({ logger: { error, warn: vi.fn() } as never });
      const verify = vi.spyOn(keys, 'verify').mockRejectedValueOnce(new Error('database is down'));
      expect(refusalOf(await check(bearer(text), null, flaky))).toMatchObject({
        status: 401,
        code: 'UNAUTHENTICATED',
        reason: 'STORE_UNAVAILABLE',
      });
      expect(error).toHaveBeenCalledOnce();
      const result = await check(bearer(text), null, flaky);
      expect(result.ok && result.principal.actor).toBe(key.id);
      expect(verify).toHaveBeenCalledTimes(2);
    });
  });

  describe('publishable keys', () => {
    const publishable = () =>
      make({
        kind: 'publishable',
        name: 'shop',
        // More than a publishable key may carry: the row is not trusted for that.
        scopes: ['availability:read', 'enquiries:write', 'customers:read', 'operator'],
        allowedOrigins: [SHOP, 'http://localhost:5173'],
      });

    it('without an Origin: 403 ORIGIN_MISSING', async () => {
      const { text } = await publishable();
      expect(refusalOf(await check(bearer(text)))).toMatchObject({
        status: 403,
        code: 'FORBIDDEN',
        reason: 'ORIGIN_MISSING',
      });
    });

    it('from an origin not on its list: 403 ORIGIN_NOT_ALLOWED', async () => {
      const { text } = await publishable();
      for (const origin of [
        'https://evil.example.com',
        'http://shop.example.com',
        'https://shop.example.com.evil.com',
        'https://shop.example.com:8443',
        'https://sub.shop.example.com',
        'http://localhost:5174',
        'null',
        'not a url',
        'https://shop.example.com/path',
        'file:///etc/passwd',
      ]) {
        expect(refusalOf(await check(bearer(text), origin)), origin).toMatchObject({
          status: 403,
          code: 'FORBIDDEN',
          reason: 'ORIGIN_NOT_ALLOWED',
        });
      }
    });

    it('from an allowed origin (normalised): accepted, with only the publishable scopes', async () => {
      const { key, text } = await publishable();
      for (const origin of [
        SHOP,
        'HTTPS://SHOP.EXAMPLE.COM',
        'https://Shop.Example.com:443',
        `${SHOP}/`,
        'http://localhost:5173',
      ]) {
        const result = await check(bearer(text), origin);
        expect(result, origin).toEqual({
          ok: true,
          principal: {
            kind: 'publishable_key',
            actor: key.id,
            keyId: key.id,
            workspaces: ['ws1'],
            scopes: new Set(['availability:read', 'enquiries:write']),
            allowedOrigins: [SHOP, 'http://localhost:5173'],
            expiresAt: null,
          },
        });
      }
    });

    it('normaliseOrigin', () => {
      expect(normaliseOrigin('HTTPS://Example.com:443/')).toBe('https://example.com');
      expect(normaliseOrigin('http://example.com:80')).toBe('http://example.com');
      expect(normaliseOrigin('http://localhost:5173')).toBe('http://localhost:5173');
      for (const bad of [
        'null',
        '',
        'example.com',
        'ftp://example.com',
        'https://example.com/x',
        'https://u@example.com',
        'https://example.com?x',
        'https://example.com#x',
      ]) {
        expect(normaliseOrigin(bad), bad).toBeUndefined();
      }
    });
  });

  describe('the cache of key checks', () => {
    it('a key revoked in the store is still accepted within cacheTtlMs, refused after it', async () => {
      const cached = authenticator({ cacheTtlMs: 250 });
      const { key, text } = await make();
      expect((await check(bearer(text), null, cached)).ok).toBe(true);
      await keys.revoke(key.id);
      expect((await check(bearer(text), null, cached)).ok).toBe(true);
      await sleep(400);
      expect(refusalOf(await check(bearer(text), null, cached)).reason).toBe('KEY_REVOKED');
    });

    it('with cacheTtlMs 50, a revocation is seen 50 ms later', async () => {
      const cached = authenticator({ cacheTtlMs: 50 });
      const { key, text } = await make();
      expect((await check(bearer(text), null, cached)).ok).toBe(true);
      await keys.revoke(key.id);
      await sleep(100);
      expect(refusalOf(await check(bearer(text), null, cached)).reason).toBe('KEY_REVOKED');
    });

    it('forget() makes a revocation count at once', async () => {
      const cached = authenticator({ cacheTtlMs: 60_000 });
      const { key, text } = await make();
      expect((await check(bearer(text), null, cached)).ok).toBe(true);
      await keys.revoke(key.id);
      expect((await check(bearer(text), null, cached)).ok).toBe(true);
      cached.forget();
      expect(refusalOf(await check(bearer(text), null, cached)).reason).toBe('KEY_REVOKED');
    });

    it('unknown keys are remembered too: repeating one is not another query', async () => {
      const cached = authenticator({ cacheTtlMs: 60_000 });
      const verify = vi.spyOn(keys, 'verify');
      const unknown = bearer(`sb_test_${base62(12)}_${base62(43)}`);
      for (let i = 0; i < 5; i++)
        expect(refusalOf(await check(unknown, null, cached)).reason).toBe('KEY_UNKNOWN');
      expect(verify).toHaveBeenCalledOnce();
    });

    it('expiry is checked on every use, cached or not', async () => {
      const cached = authenticator({ cacheTtlMs: 60_000 });
      const { text } = await make({ expiresAt: new Date(Date.now() + 300) });
      expect((await check(bearer(text), null, cached)).ok).toBe(true);
      await sleep(400);
      expect(refusalOf(await check(bearer(text), null, cached)).reason).toBe('KEY_EXPIRED');
    });
  });

  describe('lastUsedAt', () => {
    it('is written on first use and then at most once a minute', async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      const start = new Date('2030-06-01T12:00:00.000Z');
      vi.setSystemTime(start);
      const { key, text } = await make();
      const touch = vi.spyOn(keys, 'touch');
      const used = authenticator({ cacheTtlMs: 60_000 });

      for (let i = 0; i < 5; i++) expect((await check(bearer(text), null, used)).ok).toBe(true);
      expect(touch).toHaveBeenCalledOnce();
      expect(touch).toHaveBeenLastCalledWith(key.id, start);
      await eventually(async () => expect((await keys.get(key.id))?.lastUsedAt).toEqual(start));

      vi.setSystemTime(new Date(start.getTime() + 59_999));
      await check(bearer(text), null, used);
      expect(touch).toHaveBeenCalledOnce();

      const minuteLater = new Date(start.getTime() + 60_000);
      vi.setSystemTime(minuteLater);
      await check(bearer(text), null, used);
      await check(bearer(text), null, used);
      expect(touch).toHaveBeenCalledTimes(2);
      expect(touch).toHaveBeenLastCalledWith(key.id, minuteLater);
      await eventually(async () => expect((await keys.get(key.id))?.lastUsedAt).toEqual(minuteLater));

      // Another replica (a fresh authenticator) sees the stored time and does not write it again.
      const other = authenticator();
      vi.setSystemTime(new Date(minuteLater.getTime() + 30_000));
      expect((await check(bearer(text), null, other)).ok).toBe(true);
      expect(touch).toHaveBeenCalledTimes(2);
    });

    it('is not written for refused keys', async () => {
      const { key, text } = await make({
        kind: 'publishable',
        allowedOrigins: [SHOP],
        scopes: ['availability:read'],
      });
      const touch = vi.spyOn(keys, 'touch');
      await check(bearer(text), 'https://evil.example.com');
      await check(bearer(text));
      const revoked = await make();
      await keys.revoke(revoked.key.id);
      await check(bearer(revoked.text));
      expect(touch).not.toHaveBeenCalled();
      expect((await keys.get(key.id))?.lastUsedAt).toBeNull();
    });

    it('a failed write is logged, not thrown', async () => {
      const warn = vi.fn();
      const { text } = await make();
      vi.spyOn(keys, 'touch').mockRejectedValueOnce(new Error('read-only'));
      const used = authenticator({ logger: { warn, error: vi.fn() } as never });
      expect((await check(bearer(text), null, used)).ok).toBe(true);
      await eventually(() => expect(warn).toHaveBeenCalledOnce());
    });
  });
});
