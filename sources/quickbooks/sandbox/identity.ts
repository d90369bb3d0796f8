/**
 * Intuit OAuth 2.0 (oauth.platform.intuit.com, appcenter.intuit.com, developer.api.intuit.com),
 * served on the sandbox's own host:
 * - `GET /connect/oauth2` (authorization endpoint): a consent page ("Allow" / "Deny") that
 *   redirects to `redirect_uri?code=...&state=...&realmId=...` (or `?error=access_denied&state=`).
 * - `POST /oauth2/v1/tokens/bearer` (token endpoint): HTTP Basic client authentication, a form
 *   body, `grant_type=authorization_code|refresh_token`. Answers
 *   `{"token_type":"bearer","access_token":"...","refresh_token":"AB11...","expires_in":3600,
 *   "x_refresh_token_expires_in":8726400}` (+ `id_token` with the openid scope, +
 *   `x_refresh_token_hard_expires_in` when asked with `x-include-refresh-token-hard-expires-in:
 *   true`). Access tokens live 3600 s. Refresh tokens rotate: every refresh returns a new one,
 *   valid 8,726,400 s (about 101 days) from then, and never past the grant's five-year hard
 *   expiry. Intuit publishes no grace period for the token a refresh replaced, so here the old
 *   one stops working at once (`invalid_grant`); `tokens.refreshGraceSeconds` allows a grace.
 *   Codes live 5 minutes and are single use; exchanging one twice revokes what the first
 *   exchange issued ("Only send one request to exchange the authorization code").
 * - `POST /v2/oauth2/tokens/revoke`: revokes the grant behind an access or refresh token
 *   (JSON `{"token":...}` as intuit-oauth sends it, or a form as node-quickbooks does).
 * - `GET /v1/openid_connect/userinfo` and the discovery documents
 *   (`/.well-known/openid_configuration`, `/.well-known/openid_sandbox_configuration`).
 * Tokens belong to one company (realmId): the API refuses them on any other company's URL.
 * Docs: https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0
 *       https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/faq
 *       https://blogs.intuit.com/2025/11/12/important-changes-to-refresh-token-policy
 */
import { createHmac } from 'node:crypto';
import type { Route, SandboxRequest, SandboxResponse } from '../../../src/sandbox/kit/http.ts';
import { clientCredentials, consentRoutes } from '../../../src/sandbox/kit/oauth.ts';
import type { Random } from '../../../src/sandbox/kit/random.ts';
import type { Clock } from '../../../src/sandbox/kit/clock.ts';
import { authenticationFailed, JSON_TYPE, oauthError } from './wire.ts';

export const SCOPES = {
  accounting: 'com.intuit.quickbooks.accounting',
  payment: 'com.intuit.quickbooks.payment',
  openid: 'openid',
  profile: 'profile',
  email: 'email',
  phone: 'phone',
  address: 'address',
} as const;

const KNOWN_SCOPES = new Set<string>(Object.values(SCOPES));

export const DEFAULT_SCOPES = [SCOPES.accounting, SCOPES.openid, SCOPES.profile, SCOPES.email];

export interface TokenSettings {
  accessTokenSeconds: number;
  /** How long a refresh token keeps working after a refresh replaced it. 0: not at all. */
  refreshGraceSeconds: number;
  /** Rolling lifetime of a refresh token (`x_refresh_token_expires_in`). */
  refreshLifetimeSeconds: number;
  /** Maximum life of a grant's refresh tokens, counted from the authorization (five years). */
  refreshHardLifetimeSeconds: number;
}

export const DEFAULT_TOKEN_SETTINGS: TokenSettings = {
  accessTokenSeconds: 3600,
  refreshGraceSeconds: 0,
  refreshLifetimeSeconds: 8_726_400,
  refreshHardLifetimeSeconds: 5 * 365 * 86_400,
};

interface Grant {
  id: string;
  realmId: string;
  scopes: string[];
  createdAt: number;
  revoked: boolean;
}

interface RefreshRecord {
  grantId: string;
  expiresAt: number;
  /** Set when a refresh replaced it: it keeps working until `rotatedAt + grace`. */
  rotatedAt?: number;
}

export interface AccessRecord {
  token: string;
  grantId: string;
  realmId: string;
  scopes: string[];
  expiresAt: number;
}

interface CodeRecord {
  scopes: string[];
  redirectUri?: string;
  realmId: string;
  expiresAt: number;
  /** The grant the first exchange created (a second exchange revokes it). */
  grantId?: string;
}

export interface Identity {
  settings: TokenSettings;
  /** Resolves the bearer token of an API request, or the gateway's 401. */
  authenticate(req: SandboxRequest): AccessRecord | SandboxResponse;
  /** Mints a one-time authorization code, as the consent page does (`POST /__sandbox/authorize`). */
  authorize(scopes: string[], redirectUri?: string): string;
  /** A company is connected while a grant to it is alive (webhooks go only to connected ones). */
  connected(realmId: string): boolean;
  routes(): Route[];
  describe(): Record<string, unknown>;
}

const b64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function createIdentity(options: {
  clock: Clock;
  random: Random;
  clientId: string;
  clientSecret: string;
  realmId: string;
  companyName: () => string;
  initialRefreshToken: string;
  baseUrl: () => string;
  settings?: Partial<TokenSettings>;
}): Identity {
  const { clock, random, clientId, clientSecret, realmId } = options;
  const settings: TokenSettings = { ...DEFAULT_TOKEN_SETTINGS, ...options.settings };
  const grants = new Map<string, Grant>();
  const refreshTokens = new Map<string, RefreshRecord>();
  const accessTokens = new Map<string, AccessRecord>();
  const codes = new Map<string, CodeRecord>();
  const userId = random.uuid();
  let grantCounter = 0;

  const newGrant = (scopes: string[]): Grant => {
    const grant: Grant = {
      id: `grant_${++grantCounter}`,
      realmId,
      scopes,
      createdAt: clock.now(),
      revoked: false,
    };
    grants.set(grant.id, grant);
    return grant;
  };
  const hardExpiry = (grant: Grant) => grant.createdAt + settings.refreshHardLifetimeSeconds * 1000;

  /** Intuit's refresh tokens and codes: `AB11` + expiry (epoch seconds) + 36 characters. */
  const abToken = (expiresAt: number) => `AB11${Math.floor(expiresAt / 1000)}${random.string(36, ALNUM)}`;

  const mintRefresh = (grant: Grant): { token: string; record: RefreshRecord } => {
    const expiresAt = Math.min(clock.now() + settings.refreshLifetimeSeconds * 1000, hardExpiry(grant));
    const token = abToken(expiresAt);
    const record = { grantId: grant.id, expiresAt };
    refreshTokens.set(token, record);
    return { token, record };
  };

  /** Shaped like Intuit's (a direct-encryption JWE: `eyJlbmMiOiJBMTI4Q0JDLUhTMjU2IiwiYWxnIjoiZGlyIn0..iv.ciphertext.tag`), opaque here. */
  const mintAccess = (grant: Grant): AccessRecord => {
    const header = b64url(JSON.stringify({ enc: 'A128CBC-HS256', alg: 'dir' }));
    const token = `${header}..${random.string(22, B64URL)}.${random.string(640, B64URL)}.${random.string(22, B64URL)}`;
    const record: AccessRecord = {
      token,
      grantId: grant.id,
      realmId: grant.realmId,
      scopes: grant.scopes,
      expiresAt: clock.now() + settings.accessTokenSeconds * 1000,
    };
    accessTokens.set(token, record);
    return record;
  };

  /** OpenID id_token, HS256-signed with the client secret (Intuit signs RS256; see README). */
  const idToken = (grant: Grant): string => {
    const now = Math.floor(clock.now() / 1000);
    const header = b64url(JSON.stringify({ alg: 'HS256', kid: 'sandbox', typ: 'JWT' }));
    const payload = b64url(
      JSON.stringify({
        sub: userId,
        aud: [clientId],
        realmid: grant.realmId,
        auth_time: Math.floor(grant.createdAt / 1000),
        iss: 'https://oauth.platform.intuit.com/op/v1',
        exp: now + 3600,
        iat: now,
      }),
    );
    const signature = createHmac('sha256', clientSecret).update(`${header}.${payload}`).digest('base64url');
    return `${header}.${payload}.${signature}`;
  };

  const tokenResponse = (req: SandboxRequest, grant: Grant): SandboxResponse => {
    const access = mintAccess(grant);
    const refresh = mintRefresh(grant);
    const now = clock.now();
    const withHard = String(req.headers['x-include-refresh-token-hard-expires-in'] ?? '') === 'true';
    return {
      status: 200,
      headers: { 'Content-Type': JSON_TYPE, 'Cache-Control': 'no-store', Pragma: 'no-cache' },
      body: {
        ...(grant.scopes.includes(SCOPES.openid) ? { id_token: idToken(grant) } : {}),
        x_refresh_token_expires_in: Math.round((refresh.record.expiresAt - now) / 1000),
        ...(withHard
          ? { x_refresh_token_hard_expires_in: Math.round((hardExpiry(grant) - now) / 1000) }
          : {}),
        refresh_token: refresh.token,
        access_token: access.token,
        token_type: 'bearer',
        expires_in: settings.accessTokenSeconds,
      },
    };
  };

  /** Client authentication: HTTP Basic (Intuit's way), or client_id + client_secret in the form. */
  const clientOk = (req: SandboxRequest, form: URLSearchParams): boolean => {
    const { id, secret } = clientCredentials(req, form);
    return id === clientId && secret === clientSecret;
  };

  const revokeGrant = (grantId: string | undefined) => {
    const grant = grantId ? grants.get(grantId) : undefined;
    if (grant) grant.revoked = true;
  };

  const liveGrant = (grantId: string): Grant | undefined => {
    const grant = grants.get(grantId);
    return grant && !grant.revoked ? grant : undefined;
  };

  const token = (req: SandboxRequest): SandboxResponse => {
    const type = String(req.headers['content-type'] ?? '').toLowerCase();
    if (!type.startsWith('application/x-www-form-urlencoded'))
      return oauthError(
        400,
        'invalid_request',
        'The token request must be form encoded (application/x-www-form-urlencoded).',
      );
    const form = new URLSearchParams(req.rawBody.toString('utf8'));
    if (!clientOk(req, form)) return oauthError(401, 'invalid_client');
    const now = clock.now();
    switch (form.get('grant_type')) {
      case 'refresh_token': {
        const presented = form.get('refresh_token') ?? '';
        const record = refreshTokens.get(presented);
        const grant = record ? liveGrant(record.grantId) : undefined;
        if (!record || !grant) return oauthError(400, 'invalid_grant');
        if (now >= record.expiresAt) return oauthError(400, 'invalid_grant');
        if (record.rotatedAt !== undefined && now >= record.rotatedAt + settings.refreshGraceSeconds * 1000)
          return oauthError(400, 'invalid_grant');
        record.rotatedAt ??= now;
        return tokenResponse(req, grant);
      }
      case 'authorization_code': {
        const code = form.get('code') ?? '';
        const record = codes.get(code);
        if (!record || now > record.expiresAt) return oauthError(400, 'invalid_grant');
        if (record.grantId) {
          // A second exchange of the same code: refuse it and revoke what the first one issued.
          revokeGrant(record.grantId);
          return oauthError(400, 'invalid_grant');
        }
        const redirect = form.get('redirect_uri') ?? undefined;
        if (record.redirectUri !== undefined && redirect !== record.redirectUri)
          return oauthError(
            400,
            'invalid_grant',
            'redirect_uri does not match the one of the authorization request',
          );
        const grant = newGrant(record.scopes);
        record.grantId = grant.id;
        return tokenResponse(req, grant);
      }
      case null:
        return oauthError(400, 'invalid_request', 'grant_type is required');
      default:
        return oauthError(400, 'unsupported_grant_type');
    }
  };

  const authenticate = (req: SandboxRequest): AccessRecord | SandboxResponse => {
    const now = clock.now();
    const header = String(req.headers.authorization ?? '');
    const bearer = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
    if (!bearer) return authenticationFailed('Authorization header is missing or is not a Bearer token', now);
    const record = accessTokens.get(bearer);
    if (!record) return authenticationFailed('Token invalid', now);
    if (!liveGrant(record.grantId)) return authenticationFailed('Token revoked', now);
    if (now >= record.expiresAt) return authenticationFailed(`Token expired: ${bearer.slice(-16)}`, now);
    return record;
  };

  const authorize = (scopes: string[], redirectUri?: string): string => {
    const expiresAt = clock.now() + 5 * 60_000;
    const code = abToken(expiresAt);
    codes.set(code, { scopes, redirectUri, realmId, expiresAt });
    return code;
  };

  const discovery = (): SandboxResponse => {
    const base = options.baseUrl();
    return {
      status: 200,
      headers: { 'Content-Type': JSON_TYPE },
      body: {
        issuer: 'https://oauth.platform.intuit.com/op/v1',
        authorization_endpoint: `${base}/connect/oauth2`,
        token_endpoint: `${base}/oauth2/v1/tokens/bearer`,
        userinfo_endpoint: `${base}/v1/openid_connect/userinfo`,
        revocation_endpoint: `${base}/v2/oauth2/tokens/revoke`,
        jwks_uri: `${base}/op/v1/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['HS256'],
        scopes_supported: [...KNOWN_SCOPES],
        token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
        claims_supported: ['aud', 'exp', 'iat', 'iss', 'realmid', 'sub'],
      },
    };
  };

  // The pre-issued refresh token: a grant made before the sandbox started.
  {
    const grant = newGrant(DEFAULT_SCOPES);
    refreshTokens.set(options.initialRefreshToken, {
      grantId: grant.id,
      expiresAt: clock.now() + settings.refreshLifetimeSeconds * 1000,
    });
  }

  return {
    settings,
    authenticate,
    authorize,
    connected: (realm) =>
      [...grants.values()].some((g) => g.realmId === realm && !g.revoked && clock.now() < hardExpiry(g)),
    describe: () => ({
      grants: [...grants.values()].map((g) => ({ id: g.id, scopes: g.scopes, revoked: g.revoked })),
      accessTokens: accessTokens.size,
      refreshTokens: refreshTokens.size,
      tokenSettings: settings,
    }),
    routes: () => [
      // appcenter.intuit.com's consent page: https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0#step-3-get-authorization-code
      ...consentRoutes({
        path: '/connect/oauth2',
        vendor: 'QuickBooks',
        clientId,
        account: () => `${options.companyName()} (realm ${realmId})`,
        knownScopes: KNOWN_SCOPES,
        authorize,
        extra: () => ({ realmId }),
        requireState: true,
      }),
      { method: 'POST', path: '/oauth2/v1/tokens/bearer', operation: 'oauth.token', handler: token },
      {
        method: 'POST',
        path: '/v2/oauth2/tokens/revoke',
        operation: 'oauth.revoke',
        handler: (req) => {
          const type = String(req.headers['content-type'] ?? '').toLowerCase();
          const text = req.rawBody.toString('utf8');
          let presented: string | undefined;
          const form = new URLSearchParams(type.includes('json') ? '' : text);
          if (type.includes('json')) {
            try {
              const parsed = JSON.parse(text) as { token?: unknown };
              presented = typeof parsed.token === 'string' ? parsed.token : undefined;
            } catch {
              return oauthError(400, 'invalid_request', 'The body is not valid JSON.');
            }
          } else presented = form.get('token') ?? undefined;
          if (!clientOk(req, form)) return oauthError(401, 'invalid_client');
          if (!presented) return oauthError(400, 'invalid_request', 'token is required');
          revokeGrant(refreshTokens.get(presented)?.grantId ?? accessTokens.get(presented)?.grantId);
          return { status: 200, headers: { 'Content-Type': JSON_TYPE } };
        },
      },
      {
        method: 'GET',
        path: '/v1/openid_connect/userinfo',
        operation: 'oauth.userinfo',
        handler: (req) => {
          const auth = authenticate(req);
          if ('status' in auth) return auth;
          if (!auth.scopes.includes(SCOPES.openid)) return oauthError(403, 'insufficient_scope');
          return {
            status: 200,
            headers: { 'Content-Type': JSON_TYPE },
            body: {
              sub: userId,
              ...(auth.scopes.includes(SCOPES.email)
                ? { email: 'owner@harbourlane.example', emailVerified: true }
                : {}),
              ...(auth.scopes.includes(SCOPES.profile) ? { givenName: 'Sandbox', familyName: 'Owner' } : {}),
            },
          };
        },
      },
      {
        method: 'GET',
        path: '/.well-known/openid_configuration',
        operation: 'oauth.discovery',
        handler: discovery,
      },
      {
        method: 'GET',
        path: '/.well-known/openid_sandbox_configuration',
        operation: 'oauth.discovery',
        handler: discovery,
      },
    ],
  };
}
