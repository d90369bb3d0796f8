/**
 * Xero identity (identity.xero.com) and connections (api.xero.com/connections), served by the
 * sandbox on the same host: the token endpoint with refresh_token (rotating, with a grace period
 * for the previous token), authorization_code and client_credentials grants, token revocation,
 * and the tenant list.
 * Docs: https://developer.xero.com/documentation/guides/oauth2/auth-flow
 *       https://developer.xero.com/documentation/guides/oauth2/custom-connections
 */
import { createHmac } from 'node:crypto';
import type { Route, SandboxRequest, SandboxResponse } from '../../../src/sandbox/kit/http.ts';
import { clientCredentials, consentRoutes } from '../../../src/sandbox/kit/oauth.ts';
import type { Random } from '../../../src/sandbox/kit/random.ts';
import type { Clock } from '../../../src/sandbox/kit/clock.ts';
import { oauthError, problem, usDateTime } from './wire.ts';

export interface Tenant {
  id: string;
  name: string;
  connectionId: string;
  authEventId: string;
  createdAt: number;
  updatedAt: number;
  connected: boolean;
}

export interface AccessToken {
  token: string;
  expiresAt: number;
  scopes: string[];
  clientId: string;
}

interface RefreshToken {
  scopes: string[];
  issuedAt: number;
  /** Set when the token was used: it keeps working until `rotatedAt + grace`. */
  rotatedAt?: number;
  revoked?: boolean;
}

interface AuthCode {
  scopes: string[];
  redirectUri?: string;
  expiresAt: number;
}

export interface TokenSettings {
  accessTokenSeconds: number;
  refreshGraceSeconds: number;
  /** Unused refresh tokens expire after 60 days. */
  refreshLifetimeSeconds: number;
}

export const DEFAULT_SCOPES = [
  'openid',
  'profile',
  'email',
  'offline_access',
  'accounting.transactions',
  'accounting.contacts',
  'accounting.settings',
];

const KNOWN_SCOPES: ReadonlySet<string> = new Set([
  ...DEFAULT_SCOPES,
  'accounting.contacts.read',
  'accounting.transactions.read',
  'accounting.settings.read',
]);

/** Which scope (either one) each Accounting API operation needs. */
export const OPERATION_SCOPES: Record<string, string[]> = {
  'contacts.list': ['accounting.contacts', 'accounting.contacts.read'],
  'contacts.get': ['accounting.contacts', 'accounting.contacts.read'],
  'contacts.create': ['accounting.contacts'],
  'contacts.upsert': ['accounting.contacts'],
  'contacts.update': ['accounting.contacts'],
  'invoices.list': ['accounting.transactions', 'accounting.transactions.read'],
  'invoices.get': ['accounting.transactions', 'accounting.transactions.read'],
  'invoices.create': ['accounting.transactions'],
  'invoices.upsert': ['accounting.transactions'],
  'invoices.update': ['accounting.transactions'],
  'payments.list': ['accounting.transactions', 'accounting.transactions.read'],
  'payments.get': ['accounting.transactions', 'accounting.transactions.read'],
  'payments.create': ['accounting.transactions'],
  'payments.createOne': ['accounting.transactions'],
  'payments.delete': ['accounting.transactions'],
};

export interface Identity {
  tenant: Tenant;
  settings: TokenSettings;
  /** Resolves the bearer token of an API request, or the 401 Xero answers with. */
  authenticate(req: SandboxRequest): AccessToken | SandboxResponse;
  /** Mints a one-time authorization code, as the consent screen would (`POST /__sandbox/authorize`). */
  authorize(scopes: string[], redirectUri?: string): string;
  routes(): Route[];
  describe(): Record<string, unknown>;
}

const b64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

export function createIdentity(options: {
  clock: Clock;
  random: Random;
  clientId: string;
  clientSecret: string;
  tenant: Tenant;
  initialRefreshToken: string;
  settings?: Partial<TokenSettings>;
}): Identity {
  const { clock, random, clientId, clientSecret, tenant } = options;
  const settings: TokenSettings = {
    accessTokenSeconds: 1800,
    refreshGraceSeconds: 1800,
    refreshLifetimeSeconds: 60 * 86_400,
    ...options.settings,
  };
  const accessTokens = new Map<string, AccessToken>();
  const refreshTokens = new Map<string, RefreshToken>([
    [options.initialRefreshToken, { scopes: DEFAULT_SCOPES, issuedAt: clock.now() }],
  ]);
  const codes = new Map<string, AuthCode>();
  const userId = random.uuid();

  /** JWT-shaped like Xero's (header.payload.signature), but opaque to the sandbox: it looks tokens up. */
  const mintAccessToken = (scopes: string[]): AccessToken => {
    const now = clock.now();
    const exp = Math.floor(now / 1000) + settings.accessTokenSeconds;
    const header = b64url(JSON.stringify({ alg: 'RS256', kid: 'sandbox', typ: 'JWT' }));
    const payload = b64url(
      JSON.stringify({
        nbf: Math.floor(now / 1000),
        exp,
        iss: 'https://identity.xero.com',
        aud: 'https://identity.xero.com/resources',
        client_id: clientId,
        sub: userId,
        xero_userid: userId,
        authentication_event_id: tenant.authEventId,
        jti: random.uuid(),
        scope: scopes,
      }),
    );
    const token = `${header}.${payload}.${random.string(43, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_')}`;
    const record = { token, expiresAt: exp * 1000, scopes, clientId };
    accessTokens.set(token, record);
    return record;
  };

  const mintRefreshToken = (scopes: string[]): string => {
    const token = random.string(64, '0123456789abcdef');
    refreshTokens.set(token, { scopes, issuedAt: clock.now() });
    return token;
  };

  /** OIDC id_token for the openid scope, HS256-signed with the client secret (OIDC allows it). */
  const idToken = (): string => {
    const now = Math.floor(clock.now() / 1000);
    const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
    const payload = b64url(
      JSON.stringify({
        iss: 'https://identity.xero.com',
        aud: clientId,
        sub: userId,
        xero_userid: userId,
        iat: now,
        exp: now + 300,
        auth_time: now,
        email: 'owner@harbourlane.example',
        given_name: 'Sandbox',
        family_name: 'Owner',
      }),
    );
    const signature = createHmac('sha256', clientSecret).update(`${header}.${payload}`).digest('base64url');
    return `${header}.${payload}.${signature}`;
  };

  const tokenResponse = (scopes: string[], withRefresh: boolean): SandboxResponse => {
    const access = mintAccessToken(scopes);
    return {
      status: 200,
      headers: { 'Cache-Control': 'no-store', Pragma: 'no-cache' },
      body: {
        ...(scopes.includes('openid') ? { id_token: idToken() } : {}),
        access_token: access.token,
        expires_in: settings.accessTokenSeconds,
        token_type: 'Bearer',
        ...(withRefresh ? { refresh_token: mintRefreshToken(scopes) } : {}),
        scope: scopes.join(' '),
      },
    };
  };

  /** Client authentication: HTTP Basic, or client_id + client_secret in the form. */
  const clientOk = (req: SandboxRequest, form: URLSearchParams): boolean => {
    const { id, secret } = clientCredentials(req, form);
    return id === clientId && secret === clientSecret;
  };

  const token = (req: SandboxRequest): SandboxResponse => {
    const type = String(req.headers['content-type'] ?? '');
    if (!type.toLowerCase().startsWith('application/x-www-form-urlencoded'))
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
        if (!record || record.revoked) return oauthError(400, 'invalid_grant');
        if (now > record.issuedAt + settings.refreshLifetimeSeconds * 1000)
          return oauthError(400, 'invalid_grant');
        if (record.rotatedAt !== undefined && now > record.rotatedAt + settings.refreshGraceSeconds * 1000)
          return oauthError(400, 'invalid_grant');
        record.rotatedAt ??= now;
        return tokenResponse(record.scopes, true);
      }
      case 'authorization_code': {
        const code = form.get('code') ?? '';
        const record = codes.get(code);
        codes.delete(code); // single use, even when the exchange fails
        if (!record || now > record.expiresAt) return oauthError(400, 'invalid_grant');
        const redirect = form.get('redirect_uri') ?? undefined;
        if (record.redirectUri && redirect !== record.redirectUri) return oauthError(400, 'invalid_grant');
        tenant.connected = true;
        tenant.updatedAt = now;
        return tokenResponse(record.scopes, record.scopes.includes('offline_access'));
      }
      case 'client_credentials': {
        // Custom connections: one organisation, no refresh token, no OpenID scopes.
        const asked = (form.get('scope') ?? form.get('scopes') ?? '').split(/[\s,]+/).filter(Boolean);
        const scopes = asked.length > 0 ? asked : DEFAULT_SCOPES.filter((s) => s.startsWith('accounting.'));
        if (scopes.some((s) => !s.startsWith('accounting.'))) return oauthError(400, 'invalid_scope');
        return tokenResponse(scopes, false);
      }
      case null:
        return oauthError(400, 'invalid_request', 'grant_type is required');
      default:
        return oauthError(400, 'unsupported_grant_type');
    }
  };

  const authenticate = (req: SandboxRequest): AccessToken | SandboxResponse => {
    const header = String(req.headers.authorization ?? '');
    const bearer = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
    const record = bearer ? accessTokens.get(bearer) : undefined;
    if (!record) return problem(401, 'AuthenticationUnsuccessful', req, { 'WWW-Authenticate': 'Bearer' });
    if (clock.now() >= record.expiresAt) {
      return problem(401, `TokenExpired: token expired at ${usDateTime(record.expiresAt)}`, req, {
        'WWW-Authenticate': 'Bearer error="invalid_token"',
      });
    }
    return record;
  };

  const connectionWire = () => ({
    id: tenant.connectionId,
    authEventId: tenant.authEventId,
    tenantId: tenant.id,
    tenantType: 'ORGANISATION',
    tenantName: tenant.name,
    createdDateUtc: new Date(tenant.createdAt).toISOString().replace(/Z$/, ''),
    updatedDateUtc: new Date(tenant.updatedAt).toISOString().replace(/Z$/, ''),
  });

  const authorize = (scopes: string[], redirectUri?: string) => {
    const code = random.string(43, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789');
    codes.set(code, { scopes, redirectUri, expiresAt: clock.now() + 5 * 60_000 });
    return code;
  };

  return {
    tenant,
    settings,
    authenticate,
    authorize,
    describe: () => ({
      accessTokens: accessTokens.size,
      refreshTokens: refreshTokens.size,
      tokenSettings: settings,
      connected: tenant.connected,
    }),
    routes: () => [
      // login.xero.com's consent page: https://developer.xero.com/documentation/guides/oauth2/auth-flow#2-redirect-a-user
      ...consentRoutes({
        path: '/identity/connect/authorize',
        vendor: 'Xero',
        clientId,
        account: () => tenant.name,
        knownScopes: KNOWN_SCOPES,
        authorize,
      }),
      { method: 'POST', path: '/connect/token', operation: 'identity.token', handler: token },
      {
        method: 'POST',
        path: '/connect/revocation',
        operation: 'identity.revoke',
        handler: (req) => {
          const form = new URLSearchParams(req.rawBody.toString('utf8'));
          if (!clientOk(req, form)) return oauthError(401, 'invalid_client');
          const record = refreshTokens.get(form.get('token') ?? '');
          if (record) record.revoked = true;
          return { status: 200 };
        },
      },
      {
        method: 'GET',
        path: '/connections',
        operation: 'connections.list',
        handler: (req) => {
          const auth = authenticate(req);
          if ('status' in auth) return auth;
          return { status: 200, body: tenant.connected ? [connectionWire()] : [] };
        },
      },
      {
        method: 'DELETE',
        path: '/connections/:id',
        operation: 'connections.delete',
        handler: (req) => {
          const auth = authenticate(req);
          if ('status' in auth) return auth;
          if (req.params.id !== tenant.connectionId || !tenant.connected)
            return { status: 404, headers: { 'Content-Type': 'text/plain' }, body: 'Connection not found' };
          tenant.connected = false;
          return { status: 204 };
        },
      },
    ],
  };
}
