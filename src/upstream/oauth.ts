import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { errors as undiciErrors, request } from 'undici';
import { SourceError, parseRetryAfter, type SourceErrorCode } from '../domain/errors.ts';
import type { SourceName } from '../domain/model.ts';

/** Where a rotating refresh token is kept, so a restart uses the newest one. */
export interface RefreshTokenStore {
  load(): Promise<string | undefined>;
  save(refreshToken: string): Promise<void>;
  /**
   * Present when the store is shared by several hub processes (replicas, one database): then one
   * replica refreshes at a time under a lease and the others use the access token it stored.
   * Without it the provider refreshes on its own, one refresh at a time within the process.
   */
  shared?: SharedTokenStore;
}

/**
 * What replicas share about one connection besides its refresh token. The value is the provider's
 * own JSON, opaque to the store; it holds the access token, a credential like the refresh token:
 * keep it in the store only, never in logs.
 */
export interface SharedTokenStore {
  load(): Promise<string | undefined>;
  save(value: string): Promise<void>;
  /** Takes the refresh lease until `now + ttlMs` unless another holder's lease is live; true when taken. */
  acquireLease(holder: string, ttlMs: number, now: Date): Promise<boolean>;
  /** Gives the lease up if `holder` still holds it. */
  releaseLease(holder: string): Promise<void>;
}

/**
 * Where a token request carries the client id and secret: `basic`, HTTP Basic (RFC 6749 §2.3.1: Xero,
 * Intuit, Google); `body`, `client_id` and `client_secret` in the form (HubSpot takes them only so).
 */
export type ClientAuthentication = 'basic' | 'body';

/**
 * The error code of a token endpoint's JSON answer: OAuth's `error` (RFC 6749 §5.2), or HubSpot's
 * `status` (`BAD_REFRESH_TOKEN`, `BAD_AUTH_CODE`, …; its `status` is never `error` on this endpoint).
 */
function tokenErrorCode(body: Record<string, unknown>, status: number): string {
  if (typeof body.error === 'string') return body.error;
  if (typeof body.status === 'string' && body.status !== 'error') return body.status;
  return `HTTP ${status}`;
}

/** Codes that mean the refresh token or the client is no longer good: only a reconnect helps. */
const SPENT = new Set([
  'invalid_grant',
  'invalid_client',
  'unauthorized_client',
  // HubSpot: https://developers.hubspot.com/docs/api/oauth/tokens
  'BAD_REFRESH_TOKEN',
  'BAD_CLIENT_ID',
  'BAD_CLIENT_SECRET',
]);

export interface OAuthTokenProviderOptions {
  source: SourceName;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** How the token endpoint takes the client's credentials (`ClientAuthentication`). Default `basic`. */
  clientAuthentication?: ClientAuthentication;
  /** The refresh token from configuration; a stored newer one wins. */
  refreshToken: string;
  store?: RefreshTokenStore;
  /** Refresh this long before the access token expires (at most half its lifetime). Default 60 s. */
  refreshAheadMs?: number;
  /** The token request's time limit, and how long a replica waits for another's refresh. Default 10 s. */
  timeoutMs?: number;
  /** After a failed refresh, calls fail fast for this long, doubling per failure in a row. Default 1 s. */
  failureBackoffMs?: number;
  /** The longest back-off (a longer Retry-After from the token endpoint still wins). Default 30 s. */
  maxFailureBackoffMs?: number;
  /** How long a replica's refresh lease lasts if it never gives it back (crash). Default 15 s, at least timeoutMs + 1 s. */
  leaseMs?: number;
  /** How often a replica waiting on another's refresh looks at the store. Default 100 ms. */
  pollMs?: number;
  /** Epoch milliseconds, for access-token expiry, back-off and leases. Default `Date.now` (tests move it). */
  now?: () => number;
}

/** What the hub can show about a connection's access token (dashboard, readiness, metrics). */
export interface TokenStatus {
  /** none: no access token fetched yet; valid: one is held and not expired; refreshing: a refresh
   *  is in flight; failed: the last refresh failed and no valid access token is held. */
  state: 'none' | 'valid' | 'refreshing' | 'failed';
  expiresAt: Date | null;
  /** When the access token held was fetched (with a shared store, perhaps by another replica). */
  lastRefreshAt: Date | null;
  lastError: string | null;
  lastErrorAt: Date | null;
  /** Refreshes this process made (successful or not). */
  refreshes: number;
}

export interface TokenProvider {
  /** A valid access token, refreshing first when it is missing or about to expire. */
  getAccessToken(): Promise<string>;
  /** Forget the current access token (the vendor said it is no longer valid). */
  invalidate(): void;
  /**
   * The connection's credentials were replaced or removed (connected, reconnected or disconnected
   * from the console): forget the access token held, the back-off of failed refreshes and any
   * rotated refresh token not stored, so the next call reads the store afresh.
   */
  reset(): void;
  /** Null while the connection uses a fixed credential (`createConnectableTokenProvider`). */
  state(): TokenStatus | null;
}

/** A provider that always refreshes with OAuth: its state is always known. */
export interface OAuthTokenProvider extends TokenProvider {
  state(): TokenStatus;
}

interface HeldToken {
  token: string;
  expiresAt: number;
  /** When it was fetched (by this replica or another). */
  obtainedAt: number;
}

/** The last failed refresh, shared so other replicas take the same back-off instead of trying too. */
interface StoredFailure {
  message: string;
  code: SourceErrorCode;
  status?: number;
  vendorCode?: string;
  retryAfterMs?: number;
  at: string;
  retryAt: string;
  /** Failures in a row, for the doubling back-off. */
  count: number;
}

/** The shared value (JSON): the last access token a replica fetched, and the last failure since. */
interface SharedState {
  accessToken?: string;
  expiresAt?: string;
  obtainedAt?: string;
  failure?: StoredFailure;
}

function decodeShared(value: string | undefined): SharedState | undefined {
  if (value === undefined) return undefined;
  try {
    const parsed = JSON.parse(value) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as SharedState) : undefined;
  } catch {
    return undefined; // unreadable: as if nothing were stored; the next refresh overwrites it
  }
}

function sharedToken(state: SharedState | undefined): HeldToken | undefined {
  if (typeof state?.accessToken !== 'string') return undefined;
  const expiresAt = Date.parse(state.expiresAt ?? '');
  const obtainedAt = Date.parse(state.obtainedAt ?? '');
  if (!Number.isFinite(expiresAt) || !Number.isFinite(obtainedAt)) return undefined;
  return { token: state.accessToken, expiresAt, obtainedAt };
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * OAuth 2 refresh-token grant with rotation (Xero, Google).
 *
 * One refresh at a time per connection: concurrent callers in a process share the refresh in
 * flight, and with a shared store (`store.shared`) replicas take a lease first, so a rotating
 * refresh token is never presented twice. The replica holding the lease re-reads the stored state
 * (another may have refreshed meanwhile), refreshes, stores the new refresh token and then the
 * access token, and gives the lease back; the others poll the store and use that access token. A
 * crashed holder's lease expires after `leaseMs`.
 *
 * The new refresh token is stored before the new access token is handed out, so a crash right after
 * a refresh cannot strand the connection on a spent token.
 *
 * A failed refresh is not retried on every call: for a back-off (1 s doubling to 30 s, or the token
 * endpoint's Retry-After when longer) calls fail fast with the same error, and replicas sharing a
 * store share the back-off. `invalid_grant` (refresh token spent or revoked) stays failed until a
 * refresh succeeds, still trying once per back-off since an operator may store a new token. While
 * the access token held is unexpired (a refresh ahead of expiry failed), it is handed out instead.
 */
export function createOAuthTokenProvider(options: OAuthTokenProviderOptions): OAuthTokenProvider {
  const {
    source,
    store,
    refreshAheadMs = 60_000, // 1 minute
    timeoutMs = 10_000, // 10 seconds
    failureBackoffMs = 1_000, // 1 second
    maxFailureBackoffMs = 30_000, // 30 seconds
    pollMs = 100,
    now = Date.now,
  } = options;
  // The holder's token request ends (answer or abort) within timeoutMs, so a live holder never
  // outlasts its lease and a second replica never presents the same refresh token.
  const leaseMs = Math.max(options.leaseMs ?? 15_000, timeoutMs + 1_000);
  const shared = store?.shared;
  /** This provider's name on the lease. */
  const holder = randomUUID();

  let held: HeldToken | undefined;
  /** The access token the vendor last refused: never taken back from the shared store. */
  let invalidated: string | undefined;
  let inFlight: Promise<string> | undefined;
  /** A rotated refresh token not (yet) in the store: without a store, or when saving it failed. */
  let unsavedRefreshToken: string | undefined;
  let failure: { error: unknown; until: number } | undefined;
  let failuresInARow = 0;
  let lastRefreshAt: Date | null = null;
  let lastError: string | null = null;
  let lastErrorAt: Date | null = null;
  let refreshes = 0;

  const usable = (t: HeldToken | undefined): t is HeldToken => !!t && t.token !== invalidated;
  /** Not yet due for a refresh; the margin is at most half the token's life, so short-lived tokens are not refreshed on every call. */
  const fresh = (t: HeldToken | undefined): boolean =>
    usable(t) && now() < t.expiresAt - Math.min(refreshAheadMs, (t.expiresAt - t.obtainedAt) / 2);
  const unexpired = (t: HeldToken | undefined): t is HeldToken => usable(t) && now() < t.expiresAt;

  const keep = (token: HeldToken) => {
    held = token;
    lastRefreshAt = new Date(token.obtainedAt);
    lastError = null;
    lastErrorAt = null;
    failure = undefined;
    failuresInARow = 0;
  };

  /** The token endpoint: the new access token, its lifetime, and the rotated refresh token if any. */
  const requestToken = async (
    refreshToken: string,
  ): Promise<{ accessToken: string; expiresInMs: number; refreshToken?: string }> => {
    const signal = AbortSignal.timeout(timeoutMs);
    let status = 0;
    let body: Record<string, unknown> = {};
    try {
      // Xero: https://developer.xero.com/documentation/guides/oauth2/auth-flow#refreshing-access-and-refresh-tokens
      //   Every refresh rotates the refresh token; the previous one keeps working only for a short
      //   grace period (30 minutes; the sandbox's refreshGraceSeconds), and an unused one expires
      //   after 60 days. Access tokens live 30 minutes. Client credentials go in Basic auth.
      // Google: https://developers.google.com/identity/protocols/oauth2/web-server#offline
      //   The answer usually carries no refresh_token (the one held stays valid); access tokens live
      //   an hour; invalid_grant means expired or revoked (7 days for apps in "Testing" status).
      // HubSpot: https://developers.hubspot.com/docs/api/oauth/tokens
      //   Client credentials in the form; the same refresh token comes back; access tokens live 30
      //   minutes; a dead refresh token answers `{"status":"BAD_REFRESH_TOKEN",…}`.
      const res = await postToTokenEndpoint(
        options,
        { grant_type: 'refresh_token', refresh_token: refreshToken },
        timeoutMs,
        signal,
      );
      status = res.status;
      const text = res.text;
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        body = { error: text.slice(0, 200) };
      }
      if (status >= 400) {
        const error = tokenErrorCode(body, status);
        const spent = SPENT.has(error);
        throw new SourceError(
          source,
          spent
            ? 'UNAUTHENTICATED'
            : status === 429
              ? 'RATE_LIMITED'
              : status >= 500
                ? 'UPSTREAM_ERROR'
                : 'INVALID_REQUEST',
          `${source} token refresh failed: ${error}${spent ? ' (the refresh token or client credentials are no longer valid: reconnect)' : ''}`,
          {
            status,
            vendorCode: error,
            operation: 'token.refresh',
            retryAfterMs: parseRetryAfter(res.retryAfter),
          },
        );
      }
    } catch (error) {
      if (error instanceof SourceError) throw error;
      const timedOut =
        signal.aborted ||
        error instanceof undiciErrors.HeadersTimeoutError ||
        error instanceof undiciErrors.BodyTimeoutError;
      const reason = timedOut
        ? `no answer within ${timeoutMs} ms`
        : error instanceof Error
          ? error.message
          : String(error);
      throw new SourceError(
        source,
        timedOut ? 'TIMEOUT' : 'CONNECTION_FAILED',
        `${source} token refresh failed: ${reason}`,
        { operation: 'token.refresh', cause: error },
      );
    }
    const token = body.access_token;
    const expiresIn = Number(body.expires_in);
    if (typeof token !== 'string' || !Number.isFinite(expiresIn)) {
      throw new SourceError(
        source,
        'UPSTREAM_ERROR',
        `${source} token refresh: token response without access_token or expires_in`,
        { operation: 'token.refresh' },
      );
    }
    return {
      accessToken: token,
      expiresInMs: expiresIn * 1000,
      refreshToken: typeof body.refresh_token === 'string' ? body.refresh_token : undefined,
    };
  };

  /**
   * One call to the token endpoint, with what follows: the rotated refresh token stored, then the
   * access token shared; or the failure recorded with its back-off. With a shared store the caller
   * holds the lease, and `before` is the shared state read under it.
   */
  const refresh = async (before?: SharedState): Promise<string> => {
    refreshes++;
    try {
      // Read each time: another replica may have rotated it, or an operator replaced a revoked one.
      const current = unsavedRefreshToken ?? (await store?.load()) ?? options.refreshToken;
      const result = await requestToken(current);
      if (result.refreshToken && result.refreshToken !== current) {
        unsavedRefreshToken = result.refreshToken;
        if (store) {
          await store.save(result.refreshToken);
          unsavedRefreshToken = undefined;
        }
      }
      const at = now();
      const token: HeldToken = {
        token: result.accessToken,
        expiresAt: at + result.expiresInMs,
        obtainedAt: at,
      };
      if (shared) {
        const value: SharedState = {
          accessToken: token.token,
          expiresAt: iso(token.expiresAt),
          obtainedAt: iso(token.obtainedAt),
        };
        // Not fatal: without it another replica makes one refresh of its own, with the stored refresh token.
        await shared.save(JSON.stringify(value)).catch(() => undefined);
      }
      keep(token);
      return token.token;
    } catch (error) {
      // A rotated token the vendor now refuses is dead: from now on the stored one counts again.
      if (store && error instanceof SourceError && error.code === 'UNAUTHENTICATED')
        unsavedRefreshToken = undefined;
      failuresInARow = Math.max(failuresInARow, before?.failure?.count ?? 0) + 1;
      const retryAfterMs = error instanceof SourceError ? (error.retryAfterMs ?? 0) : 0;
      const backoff = Math.max(
        Math.min(failureBackoffMs * 2 ** (failuresInARow - 1), maxFailureBackoffMs),
        retryAfterMs,
      );
      const at = now();
      failure = { error, until: at + backoff };
      lastError = error instanceof Error ? error.message : String(error);
      lastErrorAt = new Date(at);
      if (shared) {
        const stored: StoredFailure = {
          message: lastError,
          code: error instanceof SourceError ? error.code : 'UPSTREAM_ERROR',
          status: error instanceof SourceError ? error.status : undefined,
          vendorCode: error instanceof SourceError ? error.vendorCode : undefined,
          retryAfterMs: error instanceof SourceError ? error.retryAfterMs : undefined,
          at: iso(at),
          retryAt: iso(at + backoff),
          count: failuresInARow,
        };
        await shared.save(JSON.stringify({ ...before, failure: stored })).catch(() => undefined);
      }
      throw error;
    }
  };

  /**
   * What the shared state settles without a refresh: a fresh access token another replica stored
   * (returned), or its failed refresh still in back-off (thrown, unless the stored access token
   * has not expired yet). Undefined when this replica should refresh.
   */
  const settleFromShared = (state: SharedState | undefined): string | undefined => {
    const token = sharedToken(state);
    if (token && fresh(token)) {
      keep(token);
      return token.token;
    }
    const stored = state?.failure;
    const retryAt = Date.parse(stored?.retryAt ?? '');
    if (!stored || !(now() < retryAt)) return undefined;
    const error = new SourceError(source, stored.code, stored.message, {
      status: stored.status,
      vendorCode: stored.vendorCode,
      retryAfterMs: stored.retryAfterMs,
      operation: 'token.refresh',
    });
    failure = { error, until: retryAt };
    failuresInARow = Math.max(failuresInARow, stored.count);
    lastError = stored.message;
    lastErrorAt = new Date(Date.parse(stored.at) || now());
    if (unexpired(token)) {
      held = token;
      return token.token;
    }
    throw error;
  };

  /** With a shared store: use what another replica stored, or take the lease and refresh, or wait. */
  const obtainShared = async (shared: SharedTokenStore): Promise<string> => {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const settled = settleFromShared(decodeShared(await shared.load()));
      if (settled !== undefined) return settled;
      if (await shared.acquireLease(holder, leaseMs, new Date(now()))) {
        try {
          // Another replica may have refreshed between the read above and the lease.
          const state = decodeShared(await shared.load());
          return settleFromShared(state) ?? (await refresh(state));
        } finally {
          // Best effort: a lease not given back expires after leaseMs.
          await shared.releaseLease(holder).catch(() => undefined);
        }
      }
      if (performance.now() >= deadline) {
        throw new SourceError(
          source,
          'TIMEOUT',
          `${source} token refresh: another replica held the refresh lease for over ${timeoutMs} ms`,
          { operation: 'token.refresh' },
        );
      }
      await sleep(pollMs);
    }
  };

  const obtain = async (): Promise<string> => {
    try {
      return shared ? await obtainShared(shared) : await refresh();
    } catch (error) {
      // Failed refreshes are recorded where they happen (with their back-off); this records the
      // rest (waiting on another replica's lease too long, the store failing) without a back-off.
      if (failure?.error !== error) {
        lastError = error instanceof Error ? error.message : String(error);
        lastErrorAt = new Date(now());
      }
      // A refresh ahead of expiry failed, but the token held still works: use it until it expires.
      if (unexpired(held)) return held.token;
      throw error;
    }
  };

  return {
    getAccessToken() {
      if (held && fresh(held)) return Promise.resolve(held.token);
      if (inFlight) return inFlight;
      if (failure && now() < failure.until) {
        return unexpired(held) ? Promise.resolve(held.token) : Promise.reject(failure.error);
      }
      inFlight = obtain().finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    },
    invalidate() {
      if (held) invalidated = held.token;
      held = undefined;
    },
    reset() {
      held = undefined;
      failure = undefined;
      failuresInARow = 0;
      unsavedRefreshToken = undefined;
      lastError = null;
      lastErrorAt = null;
    },
    state: () => ({
      state: inFlight ? 'refreshing' : unexpired(held) ? 'valid' : lastError !== null ? 'failed' : 'none',
      expiresAt: held ? new Date(held.expiresAt) : null,
      lastRefreshAt,
      lastError,
      lastErrorAt,
      refreshes,
    }),
  };
}

/**
 * A fixed access token (a HubSpot private-app token, a static Google token) that a connection made
 * from the console replaces. While the store holds no refresh token the fixed one is used and
 * `state()` is null; once one is stored (the console's consent), calls go through an OAuth provider
 * refreshing with it; when the store refuses (disconnected from the console), calls fail with its
 * error. The store is read on the first call and after `reset()` (a connection changed) or
 * `invalidate()` (the vendor refused the token), not on every call.
 */
export function createConnectableTokenProvider(
  options: Omit<OAuthTokenProviderOptions, 'refreshToken' | 'store'> & {
    fixedAccessToken: string;
    store: RefreshTokenStore;
  },
): TokenProvider {
  const { fixedAccessToken, store, ...client } = options;
  // The stored refresh token is read by the provider itself on each refresh; none configured.
  const oauth = createOAuthTokenProvider({ ...client, refreshToken: '', store });
  let mode: 'fixed' | 'oauth' | undefined;
  return {
    async getAccessToken() {
      if (mode === undefined) mode = (await store.load()) === undefined ? 'fixed' : 'oauth';
      return mode === 'fixed' ? fixedAccessToken : oauth.getAccessToken();
    },
    invalidate() {
      if (mode === 'oauth') oauth.invalidate();
      mode = undefined;
    },
    reset() {
      oauth.reset();
      mode = undefined;
    },
    state: () => (mode === 'oauth' ? oauth.state() : null),
  };
}

/** The OAuth client a module's settings hold for connecting from the console and refreshing. */
export interface ConsentClient {
  /** The vendor's consent page. */
  authorizeUrl: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  clientAuthentication?: ClientAuthentication;
}

/**
 * The token provider of a module whose credential is a refresh token from the environment, or a
 * fixed access token that a console connection replaces (`createConnectableTokenProvider`). Both
 * read the hub's token store (`ConnectContext.tokenStore`), so a console connection is the one
 * used. Undefined without an OAuth client (nothing to refresh with, nothing to connect), or for a
 * fixed token when there is no store.
 */
export function createModuleTokenProvider(options: {
  source: SourceName;
  client: ConsentClient | undefined;
  refreshToken?: string;
  fixedAccessToken: string;
  tokenStore(configured: string): RefreshTokenStore | undefined;
}): TokenProvider | undefined {
  const { source, refreshToken, fixedAccessToken, tokenStore } = options;
  if (!options.client) return undefined;
  const client = { ...options.client, source };
  if (refreshToken)
    return createOAuthTokenProvider({ ...client, refreshToken, store: tokenStore(refreshToken) });
  const store = tokenStore(fixedAccessToken);
  return store ? createConnectableTokenProvider({ ...client, fixedAccessToken, store }) : undefined;
}

/**
 * How an adapter authenticates its calls: through the provider (asked per call; a token the vendor
 * refused is dropped), or with the fixed token when there is no provider.
 */
export function bearerOf(
  token: TokenProvider | undefined,
  fixedAccessToken: string,
):
  | { getAccessToken: () => Promise<string>; onUnauthorized: () => void; accessToken?: undefined }
  | { accessToken: string; getAccessToken?: undefined; onUnauthorized?: undefined } {
  return token
    ? { getAccessToken: () => token.getAccessToken(), onUnauthorized: () => token.invalidate() }
    : { accessToken: fixedAccessToken };
}

/** What a code exchange returns: the tokens and whatever else the vendor's answer carried. */
export interface ExchangedTokens {
  accessToken: string;
  refreshToken: string;
  expiresInMs: number;
  scope?: string;
}

/** The token endpoint refused the code, or did not answer: the callback page says which. */
export class CodeExchangeError extends Error {
  constructor(
    message: string,
    readonly vendorCode?: string,
  ) {
    super(message);
  }
}

/** Who asks a token endpoint: a confidential client (with a secret) or a public one (PKCE). */
export interface TokenClient {
  tokenUrl: string;
  clientId: string;
  clientSecret?: string;
  clientAuthentication?: ClientAuthentication;
}

/**
 * One form POST to an OAuth token endpoint, client credentials in HTTP Basic (RFC 6749 §2.3.1) or in
 * the form (`clientAuthentication: 'body'`, HubSpot), as the refresh, the code exchange and the
 * console's sign-in (src/security/oidc.ts) send it; a public client (no secret) names itself with
 * `client_id` in the form (RFC 6749 §4.1.3). Transport errors are thrown as they come: each caller
 * says them its own way.
 */
async function postToTokenEndpoint(
  client: TokenClient,
  form: Record<string, string>,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<{ status: number; text: string; retryAfter: string | string[] | undefined }> {
  const inBody = client.clientAuthentication === 'body' || client.clientSecret === undefined;
  const basic = inBody
    ? undefined
    : Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64');
  const res = await request(client.tokenUrl, {
    method: 'POST',
    headers: {
      ...(basic ? { authorization: `Basic ${basic}` } : {}),
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: new URLSearchParams(
      inBody
        ? {
            ...form,
            client_id: client.clientId,
            ...(client.clientSecret === undefined ? {} : { client_secret: client.clientSecret }),
          }
        : form,
    ).toString(),
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    signal,
  });
  return { status: res.statusCode, text: await res.body.text(), retryAfter: res.headers['retry-after'] };
}

/** Why a code grant failed: the token endpoint did not answer, or answered an error. */
export type CodeGrantFailure =
  { kind: 'unreachable'; message: string } | { kind: 'refused'; code: string; description?: string };

/**
 * The authorization-code grant's POST (RFC 6749 §4.1.3) and its JSON answer, for the consent
 * exchange here and the console's sign-in (src/security/oidc.ts). `form` adds the code,
 * redirect_uri and (with PKCE) code_verifier; failures are thrown as `fail` makes them.
 */
export async function postCodeGrant(
  client: TokenClient,
  form: Record<string, string>,
  timeoutMs = 10_000, // 10 seconds
  fail: (failure: CodeGrantFailure) => Error,
): Promise<Record<string, unknown>> {
  let status: number;
  let text: string;
  try {
    ({ status, text } = await postToTokenEndpoint(
      client,
      { grant_type: 'authorization_code', ...form },
      timeoutMs,
      AbortSignal.timeout(timeoutMs),
    ));
  } catch (error) {
    throw fail({ kind: 'unreachable', message: error instanceof Error ? error.message : String(error) });
  }
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = {};
  }
  if (status >= 400)
    throw fail({
      kind: 'refused',
      code: tokenErrorCode(body, status),
      description: typeof body.error_description === 'string' ? body.error_description : undefined,
    });
  return body;
}

/**
 * The authorization-code grant (RFC 6749 §4.1.3): the code from the consent redirect for an access
 * token and a refresh token, client credentials in HTTP Basic.
 * Xero: https://developer.xero.com/documentation/guides/oauth2/auth-flow#3-exchange-the-code
 * QuickBooks: https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0#step-5-exchange-the-authorization-code-for-access-tokens
 * Google: https://developers.google.com/identity/protocols/oauth2/web-server#exchange-authorization-code
 * HubSpot: https://developers.hubspot.com/docs/api/oauth/tokens (`clientAuthentication: 'body'`)
 */
export async function exchangeAuthorizationCode(options: {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  clientAuthentication?: ClientAuthentication;
  code: string;
  redirectUri: string;
  timeoutMs?: number;
}): Promise<ExchangedTokens> {
  const body = await postCodeGrant(
    options,
    { code: options.code, redirect_uri: options.redirectUri },
    options.timeoutMs,
    (failure) =>
      failure.kind === 'unreachable'
        ? new CodeExchangeError(`the token endpoint did not answer (${failure.message})`)
        : new CodeExchangeError(`the token endpoint refused the code: ${failure.code}`, failure.code),
  );
  const accessToken = body.access_token;
  const refreshToken = body.refresh_token;
  const expiresIn = Number(body.expires_in);
  if (typeof accessToken !== 'string' || !Number.isFinite(expiresIn))
    throw new CodeExchangeError('the token endpoint answered without access_token or expires_in');
  if (typeof refreshToken !== 'string')
    throw new CodeExchangeError(
      'the token endpoint gave no refresh token (was offline access asked for and granted?)',
    );
  return {
    accessToken,
    refreshToken,
    expiresInMs: expiresIn * 1000,
    scope: typeof body.scope === 'string' ? body.scope : undefined,
  };
}
