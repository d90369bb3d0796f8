import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox } from '../sandbox/start.ts';
import type { VendorSandbox } from '../sandbox/types.ts';
import { createSourceStateRepository, type SourceStateRepository } from '../store/source-state.ts';
import { clearFaults, clearRequestLog, injectFault, requestLog } from '../../harness/sandbox-admin.ts';
import { openTestStore, storeKinds, type TestStore } from '../../harness/stores.ts';
import {
  createOAuthTokenProvider,
  type OAuthTokenProviderOptions,
  type RefreshTokenStore,
  type OAuthTokenProvider,
} from './oauth.ts';
import { failure } from '../../test/support/failure.ts';

/**
 * The OAuth token provider against the Xero sandbox's real token endpoint (`POST /connect/token`,
 * operation `identity.token` in its request log), with rotating refresh tokens and no grace period
 * for a spent one, so presenting a refresh token twice would fail with invalid_grant.
 * Expiry, back-off and leases run on a test clock (`now`), moved by hand: no test depends on speed.
 */
const WORKSPACE = 'ws_oauth';
const ACCESS_TOKEN_SECONDS = 1800; // the sandbox's default, as Xero's

let sandbox: VendorSandbox;
let clock: number;
const now = () => clock;

async function admin(path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${sandbox.url}/__sandbox/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`POST /__sandbox/${path} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}

/** A new connection, as after the consent screen: a refresh token nobody has used yet. */
async function connect(): Promise<string> {
  const { code } = (await admin('authorize', {})) as { code: string };
  const basic = Buffer.from(`${sandbox.credentials.clientId}:${sandbox.credentials.clientSecret}`).toString(
    'base64',
  );
  const res = await fetch(`${sandbox.url}/connect/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code }).toString(),
  });
  const body = (await res.json()) as { refresh_token: string };
  await clearRequestLog(sandbox.url);
  return body.refresh_token;
}

/** Token requests the sandbox received since the log was last cleared. */
const tokenRequests = async () => (await requestLog(sandbox.url)).byOperation['identity.token'] ?? 0;

function provider(refreshToken: string, extra: Partial<OAuthTokenProviderOptions> = {}): OAuthTokenProvider {
  return createOAuthTokenProvider({
    source: 'xero',
    tokenUrl: `${sandbox.url}/connect/token`,
    clientId: sandbox.credentials.clientId as string,
    clientSecret: sandbox.credentials.clientSecret as string,
    refreshToken,
    failureBackoffMs: 100,
    now,
    ...extra,
  });
}

const times = <T>(n: number, f: () => Promise<T>) => Promise.all(Array.from({ length: n }, f));

beforeAll(async () => {
  sandbox = await startSandbox('xero', { relaxed: true });
  // Xero keeps a spent refresh token working for a grace period; without one, any second use of a
  // refresh token fails, which is what these tests must never see.
  await admin('tokens', { refreshGraceSeconds: 0 });
});

afterAll(async () => {
  await sandbox?.close();
});

beforeEach(async () => {
  clock = Date.parse('2026-11-23T10:00:00.000Z');
  await clearFaults(sandbox.url);
  await clearRequestLog(sandbox.url);
});

describe('one process', () => {
  it('concurrent calls without a token make one refresh; ahead of expiry and after it, one more each', async () => {
    const tokens = provider(await connect());
    expect(tokens.state()).toMatchObject({
      state: 'none',
      expiresAt: null,
      lastRefreshAt: null,
      refreshes: 0,
    });

    const first = await times(20, () => tokens.getAccessToken());
    expect(new Set(first).size).toBe(1);
    expect(await tokenRequests()).toBe(1);
    expect(tokens.state()).toEqual({
      state: 'valid',
      expiresAt: new Date(clock + ACCESS_TOKEN_SECONDS * 1000),
      lastRefreshAt: new Date(clock),
      lastError: null,
      lastErrorAt: null,
      refreshes: 1,
    });

    // 30 s before expiry: inside the 60 s refresh-ahead margin.
    clock += (ACCESS_TOKEN_SECONDS - 30) * 1000;
    const second = await times(20, () => tokens.getAccessToken());
    expect(new Set(second).size).toBe(1);
    expect(second[0]).not.toBe(first[0]);
    expect(await tokenRequests()).toBe(2);

    // Past expiry: the rotated refresh token (the first is spent) refreshes once more.
    clock += (ACCESS_TOKEN_SECONDS + 1) * 1000;
    expect(tokens.state().state).toBe('none');
    const third = await times(20, () => tokens.getAccessToken());
    expect(new Set(third).size).toBe(1);
    expect(third[0]).not.toBe(second[0]);
    expect(await tokenRequests()).toBe(3);
    expect(tokens.state()).toMatchObject({ state: 'valid', lastError: null, refreshes: 3 });
  });

  it('a failed refresh: state failed, the same error fast within the back-off, then recovery', async () => {
    const tokens = provider(await connect());
    await injectFault(sandbox.url, { operations: ['identity.token'], status: 503 });
    const error = await failure(tokens.getAccessToken());
    expect(error).toMatchObject({ source: 'xero', code: 'UPSTREAM_ERROR', status: 503, retryable: true });
    expect(tokens.state()).toEqual({
      state: 'failed',
      expiresAt: null,
      lastRefreshAt: null,
      lastError: error.message,
      lastErrorAt: new Date(clock),
      refreshes: 1,
    });
    expect(tokens.state().lastError).toContain('temporarily_unavailable');

    // Within the back-off (100 ms here): the same error, and the token endpoint is left alone.
    for (let i = 0; i < 5; i++) await expect(tokens.getAccessToken()).rejects.toBe(error);
    await clearFaults(sandbox.url);
    clock += 99;
    await expect(tokens.getAccessToken()).rejects.toBe(error);
    expect(await tokenRequests()).toBe(1);

    clock += 1;
    const token = await tokens.getAccessToken();
    expect(token).toMatch(/\S{20,}/);
    expect(await tokenRequests()).toBe(2);
    expect(tokens.state()).toMatchObject({
      state: 'valid',
      lastError: null,
      lastErrorAt: null,
      refreshes: 2,
    });
  });

  it('the back-off doubles per failure in a row, and a longer Retry-After wins', async () => {
    const tokens = provider(await connect());
    await injectFault(sandbox.url, { operations: ['identity.token'], status: 503 });
    await failure(tokens.getAccessToken()); // back-off 100 ms
    clock += 100;
    await failure(tokens.getAccessToken()); // 200 ms
    clock += 199;
    await failure(tokens.getAccessToken());
    expect(await tokenRequests()).toBe(2);
    clock += 1;
    await failure(tokens.getAccessToken()); // 400 ms
    expect(await tokenRequests()).toBe(3);

    await clearFaults(sandbox.url);
    await injectFault(sandbox.url, { operations: ['identity.token'], status: 429, retryAfterSeconds: 2 });
    clock += 400;
    const limited = await failure(tokens.getAccessToken());
    expect(limited).toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: 2000 });
    expect(await tokenRequests()).toBe(4);
    await clearFaults(sandbox.url);
    clock += 1999; // past the 800 ms doubling, not past Retry-After
    await expect(tokens.getAccessToken()).rejects.toBe(limited);
    expect(await tokenRequests()).toBe(4);
    clock += 1;
    await tokens.getAccessToken();
    expect(await tokenRequests()).toBe(5);
    expect(tokens.state()).toMatchObject({ state: 'valid', refreshes: 5 });
  });

  it('invalid_grant stays failed, trying once per back-off, until an operator stores a good token', async () => {
    const saved: string[] = [];
    const store: RefreshTokenStore = {
      load: async () => saved.at(-1),
      save: async (token) => {
        saved.push(token);
      },
    };
    const tokens = provider('0'.repeat(64), { store }); // revoked, or never issued
    const error = await failure(tokens.getAccessToken());
    expect(error).toMatchObject({ code: 'UNAUTHENTICATED', status: 400, vendorCode: 'invalid_grant' });
    expect(error.message).toContain('reconnect');
    await expect(tokens.getAccessToken()).rejects.toBe(error);
    expect(await tokenRequests()).toBe(1);

    clock += 100;
    const again = await failure(tokens.getAccessToken());
    expect(again.vendorCode).toBe('invalid_grant');
    expect(await tokenRequests()).toBe(2);
    expect(tokens.state()).toMatchObject({ state: 'failed', lastError: again.message, refreshes: 2 });

    saved.push(await connect()); // the operator reconnects and stores the new refresh token
    clock += 199; // the back-off is 200 ms now
    await expect(tokens.getAccessToken()).rejects.toBe(again);
    expect(await tokenRequests()).toBe(0); // (connect() cleared the log)
    clock += 1;
    await tokens.getAccessToken();
    expect(await tokenRequests()).toBe(1);
    expect(tokens.state()).toMatchObject({ state: 'valid', lastError: null, refreshes: 3 });
    expect(saved).toHaveLength(2); // the rotated token was stored
  });

  it('a refresh ahead of expiry that fails keeps handing out the unexpired token', async () => {
    const tokens = provider(await connect());
    const token = await tokens.getAccessToken();
    await injectFault(sandbox.url, { operations: ['identity.token'], status: 503 });
    clock += (ACCESS_TOKEN_SECONDS - 30) * 1000;
    expect(await times(5, () => tokens.getAccessToken())).toEqual(Array(5).fill(token));
    expect(await tokens.getAccessToken()).toBe(token);
    expect(await tokenRequests()).toBe(2);
    expect(tokens.state()).toMatchObject({ state: 'valid', refreshes: 2 });
    expect(tokens.state().lastError).toContain('temporarily_unavailable');
    // Once it expires, the failure shows.
    clock += 30_000;
    await failure(tokens.getAccessToken());
    expect(tokens.state().state).toBe('failed');
  });
});

describe.each(storeKinds)('replicas sharing a %s store', (kind) => {
  let t: TestStore;
  let state: SourceStateRepository;

  beforeAll(async () => {
    t = await openTestStore(kind);
    state = createSourceStateRepository(t.store);
  });
  afterAll(() => t.drop());

  /** One connection, and `n` providers for it as separate hub processes would make them. */
  async function replicas(n: number, extra: Partial<OAuthTokenProviderOptions> = {}) {
    const refreshToken = await connect();
    const lineage = randomBytes(8).toString('hex');
    const providers = Array.from({ length: n }, () =>
      provider(refreshToken, { store: state.tokenStore(WORKSPACE, 'xero', lineage), ...extra }),
    );
    const row = (key: string) => state.get(WORKSPACE, 'xero', `${key}:${lineage}`);
    return { refreshToken, lineage, providers, row };
  }

  it('20 concurrent calls on each of two replicas: one refresh, one token; after expiry, one more', async () => {
    const { refreshToken, lineage, providers, row } = await replicas(2);
    const [a, b] = providers as [OAuthTokenProvider, OAuthTokenProvider];
    // A slow token endpoint, so one replica surely waits on the other's lease.
    await injectFault(sandbox.url, { operations: ['identity.token'], latencyMs: 300 });

    const first = await Promise.all([
      ...Array.from({ length: 20 }, () => a.getAccessToken()),
      ...Array.from({ length: 20 }, () => b.getAccessToken()),
    ]);
    expect(new Set(first).size).toBe(1);
    expect(await tokenRequests()).toBe(1);
    expect(a.state().refreshes + b.state().refreshes).toBe(1);
    for (const p of [a, b]) expect(p.state()).toMatchObject({ state: 'valid', lastError: null });
    expect(a.state().expiresAt).toEqual(b.state().expiresAt);
    const rotated = await row('refresh_token');
    expect(rotated).toMatch(/^[0-9a-f]{64}$/);
    expect(rotated).not.toBe(refreshToken);
    expect(JSON.parse((await row('access_token')) as string)).toMatchObject({ accessToken: first[0] });
    expect(await row('refresh_lock')).toBeUndefined();

    // A third replica started later takes the stored token.
    const late = provider(refreshToken, { store: state.tokenStore(WORKSPACE, 'xero', lineage) });
    expect(await late.getAccessToken()).toBe(first[0]);
    expect(late.state()).toMatchObject({ state: 'valid', refreshes: 0 });
    expect(await tokenRequests()).toBe(1);

    // Past the stored expiry: one more refresh, with the rotated refresh token (no invalid_grant).
    clock += (ACCESS_TOKEN_SECONDS + 1) * 1000;
    const second = await Promise.all([
      ...Array.from({ length: 20 }, () => a.getAccessToken()),
      ...Array.from({ length: 20 }, () => b.getAccessToken()),
    ]);
    expect(new Set(second).size).toBe(1);
    expect(second[0]).not.toBe(first[0]);
    expect(await tokenRequests()).toBe(2);
    expect(a.state().refreshes + b.state().refreshes).toBe(2);
    expect(await row('refresh_token')).not.toBe(rotated);
    expect(await row('refresh_lock')).toBeUndefined();
  });

  it('invalidate(): the refused token is not taken back from the store; the other replica gets the new one', async () => {
    const { providers } = await replicas(2);
    const [a, b] = providers as [OAuthTokenProvider, OAuthTokenProvider];
    const old = await a.getAccessToken();
    expect(await b.getAccessToken()).toBe(old);
    a.invalidate(); // the vendor answered 401 to it
    const renewed = await a.getAccessToken();
    expect(renewed).not.toBe(old);
    expect(await tokenRequests()).toBe(2);
    b.invalidate(); // and to the other replica
    expect(await b.getAccessToken()).toBe(renewed);
    expect(await tokenRequests()).toBe(2);
  });

  it('a failed refresh is shared: the waiting replica fails with it, and nobody tries again within the back-off', async () => {
    const { refreshToken, lineage, providers } = await replicas(2);
    const [a, b] = providers as [OAuthTokenProvider, OAuthTokenProvider];
    await injectFault(sandbox.url, { operations: ['identity.token'], status: 503, latencyMs: 300 });
    const errors = await Promise.all([failure(a.getAccessToken()), failure(b.getAccessToken())]);
    for (const error of errors) expect(error).toMatchObject({ code: 'UPSTREAM_ERROR', status: 503 });
    expect(await tokenRequests()).toBe(1);
    expect(a.state().refreshes + b.state().refreshes).toBe(1);
    for (const p of [a, b]) {
      expect(p.state()).toMatchObject({ state: 'failed', lastError: errors[0]!.message });
      await failure(p.getAccessToken());
    }
    // A replica started after the failure shares the back-off too.
    const late = provider(refreshToken, { store: state.tokenStore(WORKSPACE, 'xero', lineage) });
    expect(await failure(late.getAccessToken())).toMatchObject({ code: 'UPSTREAM_ERROR', status: 503 });
    expect(late.state()).toMatchObject({ state: 'failed', refreshes: 0 });
    expect(await tokenRequests()).toBe(1);

    await clearFaults(sandbox.url);
    clock += 100;
    const token = await a.getAccessToken();
    expect(await b.getAccessToken()).toBe(token);
    expect(await tokenRequests()).toBe(2);
    for (const p of [a, b]) expect(p.state()).toMatchObject({ state: 'valid', lastError: null });
  });

  it("a crashed holder's lease blocks only until it expires; a replica waits at most its timeout", async () => {
    const { providers, lineage, row } = await replicas(1);
    const [a] = providers as [OAuthTokenProvider];
    const updated_at = new Date(clock).toISOString();
    await t.store.db
      .insertInto('source_state')
      .values({
        workspace_id: WORKSPACE,
        system: 'xero',
        key: `refresh_lock:${lineage}`,
        value: JSON.stringify({ holder: 'crashed', expiresAt: new Date(clock + 15_000).toISOString() }),
        updated_at,
      })
      .execute();

    // A replica with a short timeout gives up waiting, with a clear error, and calls nobody.
    const impatient = provider('unused', {
      store: state.tokenStore(WORKSPACE, 'xero', lineage),
      timeoutMs: 300,
    });
    const timedOut = await failure(impatient.getAccessToken());
    expect(timedOut).toMatchObject({ code: 'TIMEOUT' });
    expect(timedOut.message).toContain('another replica held the refresh lease');
    expect(impatient.state()).toMatchObject({ state: 'failed', refreshes: 0 });

    const pending = a.getAccessToken();
    await sleep(300); // a few polls: the lease is live, so no refresh
    expect(a.state().state).toBe('refreshing');
    expect(await tokenRequests()).toBe(0);
    clock += 15_001;
    const token = await pending;
    expect(token).toMatch(/\S{20,}/);
    expect(await tokenRequests()).toBe(1);
    expect(a.state()).toMatchObject({ state: 'valid', refreshes: 1 });
    expect(await row('refresh_lock')).toBeUndefined();
  });
});
