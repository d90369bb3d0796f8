/**
 * Google's OAuth 2.0 for web server apps, served on the sandbox's own host:
 * - `GET /o/oauth2/v2/auth` (accounts.google.com's consent page): `response_type=code`, `client_id`,
 *   `redirect_uri`, `scope`, `state`, `access_type` (`online`, the default, or `offline`), `prompt`.
 *   Allow redirects to `redirect_uri?state=…&code=4/0A…`, Deny to `?error=access_denied&state=…`.
 * - `POST /token` (oauth2.googleapis.com/token): a form with client credentials in it or in HTTP
 *   Basic; `grant_type=authorization_code` (the code once, with the same `redirect_uri`; a
 *   `refresh_token` only when the consent asked `access_type=offline`) and `refresh_token` (a new
 *   access token; Google does not rotate refresh tokens, so the answer carries none). Access tokens
 *   live 3599 s. Errors are `{"error": "invalid_grant", "error_description": "…"}`.
 * - `POST /revoke?token=…` (oauth2.googleapis.com/revoke, or `token` in a form): revokes the grant
 *   behind an access or refresh token; an unknown one gets 400 `invalid_token`.
 * The Calendar API takes the access tokens minted here (until they expire or are revoked) besides
 * the sandbox's fixed one.
 * Docs: https://developers.google.com/identity/protocols/oauth2/web-server
 *       https://developers.google.com/identity/protocols/oauth2/web-server#tokenrevoke
 */
import type { Route, SandboxRequest, SandboxResponse } from '../../../src/sandbox/kit/http.ts';
import { clientCredentials, consentRoutes } from '../../../src/sandbox/kit/oauth.ts';
import type { Clock } from '../../../src/sandbox/kit/clock.ts';
import type { Random } from '../../../src/sandbox/kit/random.ts';

export const CALENDAR_SCOPES = {
  calendar: 'https://www.googleapis.com/auth/calendar',
  events: 'https://www.googleapis.com/auth/calendar.events',
  readonly: 'https://www.googleapis.com/auth/calendar.readonly',
  eventsReadonly: 'https://www.googleapis.com/auth/calendar.events.readonly',
} as const;

const KNOWN_SCOPES: ReadonlySet<string> = new Set([
  ...Object.values(CALENDAR_SCOPES),
  'openid',
  'email',
  'profile',
  'https://www.googleapis.com/auth/userinfo.email',
  'https://www.googleapis.com/auth/userinfo.profile',
]);

export const ACCESS_TOKEN_SECONDS = 3599;
/** Google does not publish a code lifetime; ten minutes is what its codes are observed to last. */
const CODE_SECONDS = 600;
const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

interface Grant {
  id: number;
  scopes: string[];
  revoked: boolean;
}

interface Code {
  scopes: string[];
  redirectUri: string;
  offline: boolean;
  expiresAt: number;
  used: boolean;
}

export interface GoogleOAuth {
  /** Whether a bearer token is one this sandbox minted and still good. */
  accepts(token: string): boolean;
  routes(): Route[];
  /** Whether a path is one of the OAuth endpoints (no Calendar API authentication on them). */
  owns(path: string): boolean;
  describe(): Record<string, unknown>;
  reset(): void;
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): SandboxResponse => ({
  status,
  headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers },
  body,
});
const oauthError = (status: number, error: string, description: string) =>
  json(status, { error, error_description: description });

export function createGoogleOAuth(options: {
  clock: Clock;
  random: Random;
  clientId: string;
  clientSecret: string;
  /** For the consent page: whose calendar is connected. */
  account: () => string;
}): GoogleOAuth {
  const { clock, random, clientId, clientSecret } = options;
  let grants = new Map<number, Grant>();
  let codes = new Map<string, Code>();
  let refreshTokens = new Map<string, number>();
  let accessTokens = new Map<string, { grant: number; expiresAt: number }>();
  let nextGrant = 1;
  let accessTokenUses = 0;

  const live = (grantId: number | undefined): Grant | undefined => {
    const grant = grantId === undefined ? undefined : grants.get(grantId);
    return grant && !grant.revoked ? grant : undefined;
  };

  const mintAccess = (grant: Grant): SandboxResponse['body'] => {
    const token = `ya29.a0${random.string(150, TOKEN_ALPHABET)}`;
    accessTokens.set(token, { grant: grant.id, expiresAt: clock.now() + ACCESS_TOKEN_SECONDS * 1000 });
    return {
      access_token: token,
      expires_in: ACCESS_TOKEN_SECONDS,
      scope: grant.scopes.join(' '),
      token_type: 'Bearer',
    };
  };

  const authorize = (scopes: string[], redirectUri: string, params: URLSearchParams): string => {
    const code = `4/0A${random.string(70, TOKEN_ALPHABET)}`;
    codes.set(code, {
      scopes,
      redirectUri,
      offline: params.get('access_type') === 'offline',
      expiresAt: clock.now() + CODE_SECONDS * 1000,
      used: false,
    });
    return code;
  };

  const token = (req: SandboxRequest): SandboxResponse => {
    const type = String(req.headers['content-type'] ?? '').toLowerCase();
    if (!type.startsWith('application/x-www-form-urlencoded'))
      return oauthError(
        400,
        'invalid_request',
        'Invalid content type: use application/x-www-form-urlencoded',
      );
    const form = new URLSearchParams(req.rawBody.toString('utf8'));
    const client = clientCredentials(req, form);
    if (!client.id) return oauthError(400, 'invalid_request', 'Could not determine client ID from request.');
    if (client.id !== clientId || client.secret !== clientSecret)
      return oauthError(401, 'invalid_client', 'Unauthorized');
    const grantType = form.get('grant_type');
    switch (grantType) {
      case 'authorization_code': {
        const presented = form.get('code') ?? '';
        const code = codes.get(presented);
        if (!code) return oauthError(400, 'invalid_grant', 'Malformed auth code.');
        if (code.used || clock.now() >= code.expiresAt)
          return oauthError(400, 'invalid_grant', 'Bad Request');
        if (form.get('redirect_uri') !== code.redirectUri)
          return oauthError(400, 'redirect_uri_mismatch', 'Bad Request');
        code.used = true;
        const grant: Grant = { id: nextGrant++, scopes: code.scopes, revoked: false };
        grants.set(grant.id, grant);
        const body = mintAccess(grant) as Record<string, unknown>;
        if (code.offline) {
          const refresh = `1//0${random.string(100, TOKEN_ALPHABET)}`;
          refreshTokens.set(refresh, grant.id);
          body.refresh_token = refresh;
        }
        return json(200, body);
      }
      case 'refresh_token': {
        const presented = form.get('refresh_token');
        if (!presented)
          return oauthError(400, 'invalid_request', 'Missing required parameter: refresh_token');
        const grant = live(refreshTokens.get(presented));
        if (!grant) return oauthError(400, 'invalid_grant', 'Token has been expired or revoked.');
        return json(200, mintAccess(grant));
      }
      case null:
        return oauthError(400, 'unsupported_grant_type', 'Invalid grant_type: ');
      default:
        return oauthError(400, 'unsupported_grant_type', `Invalid grant_type: ${grantType}`);
    }
  };

  const revoke = (req: SandboxRequest): SandboxResponse => {
    const form = new URLSearchParams(req.rawBody.toString('utf8'));
    const presented = req.query.get('token') ?? form.get('token') ?? '';
    const grantId = refreshTokens.get(presented) ?? accessTokens.get(presented)?.grant;
    const grant = live(grantId);
    if (!grant) return oauthError(400, 'invalid_token', 'Token expired or revoked');
    grant.revoked = true;
    return json(200, {});
  };

  return {
    accepts(presented) {
      const record = accessTokens.get(presented);
      if (!record || !live(record.grant) || clock.now() >= record.expiresAt) return false;
      accessTokenUses++;
      return true;
    },
    owns: (path) => path.startsWith('/o/oauth2/') || path === '/token' || path === '/revoke',
    routes: () => [
      // accounts.google.com's consent page: https://developers.google.com/identity/protocols/oauth2/web-server#creatingclient
      ...consentRoutes({
        path: '/o/oauth2/v2/auth',
        vendor: 'Google',
        clientId,
        account: options.account,
        knownScopes: KNOWN_SCOPES,
        authorize,
        carry: ['access_type', 'prompt', 'include_granted_scopes', 'login_hint'],
      }),
      // https://developers.google.com/identity/protocols/oauth2/web-server#exchange-authorization-code
      { method: 'POST', path: '/token', operation: 'oauth.token', handler: token },
      // https://developers.google.com/identity/protocols/oauth2/web-server#tokenrevoke
      { method: 'POST', path: '/revoke', operation: 'oauth.revoke', handler: revoke },
    ],
    describe: () => ({
      grants: [...grants.values()].map((g) => ({ id: g.id, scopes: g.scopes, revoked: g.revoked })),
      refreshTokens: refreshTokens.size,
      accessTokens: accessTokens.size,
      accessTokenUses,
    }),
    reset() {
      grants = new Map();
      codes = new Map();
      refreshTokens = new Map();
      accessTokens = new Map();
      nextGrant = 1;
      accessTokenUses = 0;
    },
  };
}
