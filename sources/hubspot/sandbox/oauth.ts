/**
 * HubSpot OAuth for apps (an app install), served on the sandbox's own host:
 * - `GET /oauth/authorize` (app.hubspot.com/oauth/authorize): `client_id`, `scope` (space-separated),
 *   `optional_scope`, `redirect_uri`, `state`; no `response_type`. Allow ("Connect app") redirects
 *   to `redirect_uri?code=…&state=…`, Deny to `?error=access_denied&state=…`.
 * - `POST /oauth/v1/token` (api.hubapi.com): a form with `grant_type`, `client_id`, `client_secret`
 *   (in the form only: HubSpot reads no Basic header), `redirect_uri` and `code`, or `refresh_token`.
 *   Answers `{"token_type":"bearer","refresh_token":"…","access_token":"…","expires_in":1800}`.
 *   Refresh tokens do not rotate: a refresh answers the same one. Errors are HubSpot's
 *   `{"status":"BAD_AUTH_CODE","message":"…","correlationId":"…"}` (`BAD_REFRESH_TOKEN`,
 *   `BAD_CLIENT_ID`, `BAD_CLIENT_SECRET`, `BAD_REDIRECT_URI`, `BAD_GRANT_TYPE`).
 * - `GET /oauth/v1/access-tokens/:token`: what an access token is for (hub, app, scopes, time left).
 * - `DELETE /oauth/v1/refresh-tokens/:token`: uninstalls (revokes the grant); 204.
 * The CRM API takes the access tokens minted here (until they expire or are revoked) besides the
 * private-app token.
 * Docs: https://developers.hubspot.com/docs/api/oauth-quickstart-guide
 *       https://developers.hubspot.com/docs/api/oauth/tokens
 */
import { randomUUID } from 'node:crypto';
import type { Route, SandboxRequest, SandboxResponse } from '../../../src/sandbox/kit/http.ts';
import { consentRoutes, createGrantBook, tokenForm, type Grant } from '../../../src/sandbox/kit/oauth.ts';
import type { Clock } from '../../../src/sandbox/kit/clock.ts';
import type { Random } from '../../../src/sandbox/kit/random.ts';

/** The scopes the CRM routes here need, as an app asks for them. */
export const CRM_SCOPES = [
  'oauth',
  'crm.objects.contacts.read',
  'crm.objects.contacts.write',
  'crm.objects.deals.read',
  'crm.objects.deals.write',
] as const;

const KNOWN_SCOPES: ReadonlySet<string> = new Set([
  ...CRM_SCOPES,
  'crm.objects.companies.read',
  'crm.objects.companies.write',
  'crm.schemas.contacts.read',
  'crm.schemas.deals.read',
]);

export const ACCESS_TOKEN_SECONDS = 1800;
/** HubSpot does not publish how long a code lasts; the sandbox keeps one ten minutes, single use. */
const CODE_SECONDS = 600;
const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

export interface HubspotOAuth {
  /** Whether a bearer token is one this sandbox minted and still good. */
  accepts(token: string): boolean;
  /** Whether a path is one of the OAuth endpoints (no CRM authentication or rate limit on them). */
  owns(path: string): boolean;
  routes(): Route[];
  describe(): Record<string, unknown>;
  reset(): void;
}

const tokenError = (status: string, message: string, httpStatus = 400): SandboxResponse => ({
  status: httpStatus,
  headers: { 'Content-Type': 'application/json;charset=utf-8' },
  body: { status, message, correlationId: randomUUID() },
});

export function createHubspotOAuth(options: {
  clock: Clock;
  random: Random;
  clientId: string;
  clientSecret: string;
  appId: string;
  portalId: string;
  /** The portal's domain, for the consent page and the token info. */
  hubDomain: string;
}): HubspotOAuth {
  const { clock, random, clientId, clientSecret } = options;
  const book = createGrantBook<{ scopes: string[]; redirectUri: string }>(clock);

  const answer = (grant: Grant, refreshToken: string): SandboxResponse => {
    const token = `C${random.string(110, TOKEN_ALPHABET)}`;
    book.addAccessToken(token, grant, ACCESS_TOKEN_SECONDS);
    return {
      status: 200,
      headers: { 'Content-Type': 'application/json;charset=utf-8' },
      body: {
        token_type: 'bearer',
        refresh_token: refreshToken,
        access_token: token,
        expires_in: ACCESS_TOKEN_SECONDS,
      },
    };
  };

  const authorize = (scopes: string[], redirectUri: string): string => {
    const code = random.uuid();
    book.issueCode(code, { scopes, redirectUri }, CODE_SECONDS);
    return code;
  };

  const token = (req: SandboxRequest): SandboxResponse => {
    const form = tokenForm(req);
    if (!form)
      return tokenError('BAD_REQUEST', 'the body must be form encoded (application/x-www-form-urlencoded)');
    const grantType = form.get('grant_type');
    if (grantType !== 'authorization_code' && grantType !== 'refresh_token')
      return tokenError('BAD_GRANT_TYPE', `unknown grant_type: ${grantType ?? 'missing'}`);
    if (form.get('client_id') !== clientId)
      return tokenError('BAD_CLIENT_ID', 'missing or unknown client id');
    if (form.get('client_secret') !== clientSecret)
      return tokenError('BAD_CLIENT_SECRET', 'missing or invalid client secret');
    if (grantType === 'refresh_token') {
      const presented = form.get('refresh_token') ?? '';
      const grant = book.byRefreshToken(presented);
      if (!grant) return tokenError('BAD_REFRESH_TOKEN', 'missing or unknown refresh token');
      return answer(grant, presented);
    }
    const consent = book.takeCode(form.get('code') ?? '');
    if (typeof consent === 'string') return tokenError('BAD_AUTH_CODE', 'missing or unknown auth code');
    if (form.get('redirect_uri') !== consent.redirectUri)
      return tokenError(
        'BAD_REDIRECT_URI',
        'redirect_uri does not match the one the auth code was issued for',
      );
    const grant = book.grant(consent.scopes);
    const refresh = `na1-${random.string(4, '0123456789abcdef')}-${random.uuid()}`;
    book.addRefreshToken(refresh, grant);
    return answer(grant, refresh);
  };

  return {
    accepts: (presented) => book.accepts(presented),
    owns: (path) => path.startsWith('/oauth/'),
    routes: () => [
      // app.hubspot.com's install page: https://developers.hubspot.com/docs/api/oauth-quickstart-guide
      ...consentRoutes({
        path: '/oauth/authorize',
        vendor: 'HubSpot',
        clientId,
        account: () => `${options.hubDomain} (hub ${options.portalId})`,
        knownScopes: KNOWN_SCOPES,
        authorize,
        responseType: false,
        optionalScopeParam: 'optional_scope',
      }),
      // https://developers.hubspot.com/docs/api/oauth/tokens
      { method: 'POST', path: '/oauth/v1/token', operation: 'oauth.token', handler: token },
      {
        method: 'GET',
        path: '/oauth/v1/access-tokens/:token',
        operation: 'oauth.accessTokenInfo',
        handler: (req) => {
          const held = book.byAccessToken(req.params.token ?? '');
          if (!held) return tokenError('BAD_ACCESS_TOKEN', 'missing or expired access token', 404);
          return {
            status: 200,
            body: {
              token: req.params.token,
              user: 'owner@harbourlane.example',
              hub_domain: options.hubDomain,
              scopes: held.grant.scopes,
              hub_id: Number(options.portalId),
              app_id: Number(options.appId),
              expires_in: Math.max(0, Math.floor((held.expiresAt - clock.now()) / 1000)),
              user_id: 1,
              token_type: 'access',
            },
          };
        },
      },
      {
        method: 'DELETE',
        path: '/oauth/v1/refresh-tokens/:token',
        operation: 'oauth.revoke',
        handler: (req) => {
          const token = req.params.token ?? '';
          if (!book.byRefreshToken(token) || !book.revoke(token))
            return tokenError('BAD_REFRESH_TOKEN', 'missing or unknown refresh token', 404);
          return { status: 204 };
        },
      },
    ],
    describe: () => book.describe(),
    reset: () => book.reset(),
  };
}
