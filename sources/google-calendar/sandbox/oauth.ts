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
import {
  clientCredentials,
  consentRoutes,
  createGrantBook,
  tokenForm,
  type Grant,
} from '../../../src/sandbox/kit/oauth.ts';
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

/** What the consent said, kept with its code. */
interface Consent {
  scopes: string[];
  redirectUri: string;
  offline: boolean;
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
  const { random, clientId, clientSecret } = options;
  const book = createGrantBook<Consent>(options.clock);

  const mintAccess = (grant: Grant): Record<string, unknown> => {
    const token = `ya29.a0${random.string(150, TOKEN_ALPHABET)}`;
    book.addAccessToken(token, grant, ACCESS_TOKEN_SECONDS);
    return {
      access_token: token,
      expires_in: ACCESS_TOKEN_SECONDS,
      scope: grant.scopes.join(' '),
      token_type: 'Bearer',
    };
  };

  const authorize = (scopes: string[], redirectUri: string, params: URLSearchParams): string => {
    const code = `4/0A${random.string(70, TOKEN_ALPHABET)}`;
    book.issueCode(
      code,
      { scopes, redirectUri, offline: params.get('access_type') === 'offline' },
      CODE_SECONDS,
    );
    return code;
  };

  const token = (req: SandboxRequest): SandboxResponse => {
    const form = tokenForm(req);
    if (!form)
      return oauthError(
        400,
        'invalid_request',
        'Invalid content type: use application/x-www-form-urlencoded',
      );
    const client = clientCredentials(req, form);
    if (!client.id) return oauthError(400, 'invalid_request', 'Could not determine client ID from request.');
    if (client.id !== clientId || client.secret !== clientSecret)
      return oauthError(401, 'invalid_client', 'Unauthorized');
    const grantType = form.get('grant_type');
    switch (grantType) {
      case 'authorization_code': {
        const consent = book.takeCode(form.get('code') ?? '');
        if (consent === 'unknown') return oauthError(400, 'invalid_grant', 'Malformed auth code.');
        if (consent === 'spent') return oauthError(400, 'invalid_grant', 'Bad Request');
        if (form.get('redirect_uri') !== consent.redirectUri)
          return oauthError(400, 'redirect_uri_mismatch', 'Bad Request');
        const grant = book.grant(consent.scopes);
        const body = mintAccess(grant);
        if (consent.offline) {
          const refresh = `1//0${random.string(100, TOKEN_ALPHABET)}`;
          book.addRefreshToken(refresh, grant);
          body.refresh_token = refresh;
        }
        return json(200, body);
      }
      case 'refresh_token': {
        const presented = form.get('refresh_token');
        if (!presented)
          return oauthError(400, 'invalid_request', 'Missing required parameter: refresh_token');
        const grant = book.byRefreshToken(presented);
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
    if (!book.revoke(presented)) return oauthError(400, 'invalid_token', 'Token expired or revoked');
    return json(200, {});
  };

  return {
    accepts: (presented) => book.accepts(presented),
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
    describe: () => book.describe(),
    reset: () => book.reset(),
  };
}
