import { request } from 'undici';
import { SourceError, parseRetryAfter } from '../domain/errors.ts';
import type { SourceName } from '../domain/model.ts';

/** Where a rotating refresh token is kept, so a restart uses the newest one. */
export interface RefreshTokenStore {
  load(): Promise<string | undefined>;
  save(refreshToken: string): Promise<void>;
}

export interface OAuthTokenProviderOptions {
  source: SourceName;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** The refresh token from configuration; a stored newer one wins. */
  refreshToken: string;
  store?: RefreshTokenStore;
  /** Refresh this long before the access token expires. */
  refreshAheadMs?: number;
  timeoutMs?: number;
}

export interface TokenProvider {
  /** A valid access token, refreshing first when it is missing or about to expire. */
  getAccessToken(): Promise<string>;
  /** Forget the current access token (the vendor said it is no longer valid). */
  invalidate(): void;
  state(): { expiresAt: Date | null; lastRefreshAt: Date | null; lastError: string | null };
}

/**
 * OAuth 2 refresh-token grant with rotation (Xero, Google). One refresh at a time: concurrent
 * callers share the refresh in flight. The new refresh token is stored before the new access token
 * is handed out, so a crash right after a refresh cannot strand the connection on a spent token.
 * https://developer.xero.com/documentation/guides/oauth2/auth-flow#refreshing-access-and-refresh-tokens
 */
export function createOAuthTokenProvider(options: OAuthTokenProviderOptions): TokenProvider {
  const {
    source,
    refreshAheadMs = 60_000, // 1 minute
    timeoutMs = 10_000, // 10 seconds
  } = options;
  let accessToken: string | undefined;
  let expiresAt = 0;
  let refreshToken: string | undefined;
  let inFlight: Promise<string> | undefined;
  let lastRefreshAt: Date | null = null;
  let lastError: string | null = null;

  const refresh = async (): Promise<string> => {
    refreshToken ??= (await options.store?.load()) ?? options.refreshToken;
    const basic = Buffer.from(`${options.clientId}:${options.clientSecret}`).toString('base64');
    let status = 0;
    let body: Record<string, unknown> = {};
    try {
      const res = await request(options.tokenUrl, {
        method: 'POST',
        headers: {
          authorization: `Basic ${basic}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString(),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      status = res.statusCode;
      const text = await res.body.text();
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        body = { error: text.slice(0, 200) };
      }
      if (status >= 400) {
        const error = String(body.error ?? `HTTP ${status}`);
        const spent =
          error === 'invalid_grant' || error === 'invalid_client' || error === 'unauthorized_client';
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
            retryAfterMs: parseRetryAfter(res.headers['retry-after']),
          },
        );
      }
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
      if (error instanceof SourceError) throw error;
      throw new SourceError(source, 'CONNECTION_FAILED', `${source} token refresh failed: ${lastError}`, {
        operation: 'token.refresh',
        cause: error,
      });
    }
    const token = body.access_token;
    const expiresIn = Number(body.expires_in);
    if (typeof token !== 'string' || !Number.isFinite(expiresIn)) {
      lastError = 'token response without access_token or expires_in';
      throw new SourceError(source, 'UPSTREAM_ERROR', `${source} token refresh: ${lastError}`, {
        operation: 'token.refresh',
      });
    }
    if (typeof body.refresh_token === 'string' && body.refresh_token !== refreshToken) {
      await options.store?.save(body.refresh_token);
      refreshToken = body.refresh_token;
    }
    accessToken = token;
    expiresAt = Date.now() + expiresIn * 1000;
    lastRefreshAt = new Date();
    lastError = null;
    return token;
  };

  return {
    getAccessToken() {
      if (accessToken && Date.now() < expiresAt - refreshAheadMs) return Promise.resolve(accessToken);
      inFlight ??= refresh().finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    },
    invalidate() {
      accessToken = undefined;
      expiresAt = 0;
    },
    state: () => ({ expiresAt: expiresAt ? new Date(expiresAt) : null, lastRefreshAt, lastError }),
  };
}
