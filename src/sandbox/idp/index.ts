import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { startSandboxServer, type Route, type SandboxResponse } from '../kit/http.ts';
import { clientCredentials, escapeHtml, htmlPage, redirectTo } from '../kit/oauth.ts';

/**
 * A small OpenID Connect provider over real HTTP, standing in for the business's identity provider
 * (Okta, Entra ID, Auth0, Keycloak…) in the console's sign-in tests and for trying the sign-in
 * locally. It speaks the parts of the protocol the hub uses, strictly:
 *
 * - `GET /.well-known/openid-configuration` (OpenID Connect Discovery), `GET /jwks` (an ES256 key
 *   made at start).
 * - `GET /authorize`: a page with a user picker and Allow / Deny (no external assets). It checks
 *   `client_id`, `redirect_uri` (registered ones exactly; otherwise https or loopback http),
 *   `response_type=code`, `openid` among the scopes and an S256 `code_challenge`; a bad client or
 *   redirect URI gets an error page, never a redirect. Deny → `redirect_uri?error=access_denied`.
 * - `POST /token`: the authorization-code grant: the client (its secret when it has one), the code
 *   (single use, 60 s), the same `redirect_uri`, and the PKCE `code_verifier`. Answers an access
 *   token (a JWT: iss, sub, aud = the hub's audience, iat, exp, the scopes claim, the workspace
 *   claim) and an ID token (aud = the client, with the request's nonce), as RFC 6749 errors otherwise.
 *
 * The users and their scopes are the sandbox's: `olivia` is an operator, `victor` reads customers
 * only. Nothing is kept across restarts: the key is new each time.
 */
export interface SandboxIdpUser {
  id: string;
  name: string;
  scopes: string[];
  /** Workspaces the user's tokens name (the workspace claim); none: the hub's default. */
  workspaces?: string[];
}

export interface SandboxIdpOptions {
  /** The hub's audience, put in access tokens' `aud` (SWITCHBOARD_JWT_AUDIENCE). */
  audience?: string;
  clientId?: string;
  /** Set: a confidential client, which must send it; unset: a public client (PKCE only). */
  clientSecret?: string;
  /** Exact redirect URIs accepted; unset: any https URL or http on a loopback host. */
  redirectUris?: string[];
  users?: SandboxIdpUser[];
  /** Access and ID tokens' lifetime. Default 3600. */
  tokenTtlSec?: number;
  scopesClaim?: string;
  workspaceClaim?: string;
  host?: string;
  port?: number;
}

export interface SandboxIdp {
  /** The issuer: the server's base URL. */
  url: string;
  clientId: string;
  audience: string;
  users: SandboxIdpUser[];
  /** What the hub needs to trust it and sign in through it (SWITCHBOARD_JWT_*, SWITCHBOARD_OIDC_*). */
  env(): Record<string, string>;
  /** An access token for `user` as the token endpoint would give it (for API tests). */
  accessToken(user: string): Promise<string>;
  /** Token requests answered, by outcome: `issued`, or the RFC 6749 error sent. */
  tokenRequests: Map<string, number>;
  close(): Promise<void>;
}

export const SANDBOX_IDP_USERS: SandboxIdpUser[] = [
  { id: 'olivia', name: 'Olivia Operator', scopes: ['operator'] },
  { id: 'victor', name: 'Victor Viewer', scopes: ['customers:read'] },
];

interface Grant {
  user: SandboxIdpUser;
  clientId: string;
  redirectUri: string;
  challenge: string;
  nonce?: string;
  scope: string;
  expiresAt: number;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);
const safeEqual = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

export async function startSandboxIdp(options: SandboxIdpOptions = {}): Promise<SandboxIdp> {
  const {
    audience = 'switchboard',
    clientId = 'switchboard-console',
    clientSecret,
    users = SANDBOX_IDP_USERS,
    tokenTtlSec = 3_600,
    scopesClaim = 'scope',
    workspaceClaim = 'switchboard_workspace',
  } = options;
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const kid = randomBytes(6).toString('hex');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  const grants = new Map<string, Grant>();
  const tokenRequests = new Map<string, number>();
  let issuer = '';

  const sign = (claims: Record<string, unknown>, sub: string, aud: string, key: CryptoKey = privateKey) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' })
      .setIssuer(issuer)
      .setSubject(sub)
      .setAudience(aud)
      .setIssuedAt()
      .setExpirationTime(`${tokenTtlSec}s`)
      .sign(key);
  const accessToken = (user: SandboxIdpUser) =>
    sign(
      {
        [scopesClaim]: user.scopes.join(' '),
        ...(user.workspaces ? { [workspaceClaim]: user.workspaces } : {}),
        name: user.name,
      },
      user.id,
      audience,
    );

  const errorPage = (error: string, detail: string) =>
    htmlPage(400, `Sign-in error: ${error}`, `<h1>${escapeHtml(error)}</h1><p>${escapeHtml(detail)}</p>`);
  const redirectAllowed = (uri: string) => {
    if (options.redirectUris) return options.redirectUris.includes(uri);
    try {
      const url = new URL(uri);
      return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname));
    } catch {
      return false;
    }
  };

  /** The authorization request's parameters, checked; a response when they are not acceptable. */
  const read = (params: URLSearchParams) => {
    const client = params.get('client_id') ?? '';
    if (client !== clientId)
      return errorPage(
        'unauthorized_client',
        `Unknown client_id "${client}": register the hub's client first.`,
      );
    const redirectUri = params.get('redirect_uri') ?? '';
    if (!redirectAllowed(redirectUri))
      return errorPage('invalid_request', `redirect_uri "${redirectUri}" is not registered for this client.`);
    const state = params.get('state') ?? '';
    const back = (error: string, description: string) =>
      redirectTo(redirectUri, { error, error_description: description, ...(state ? { state } : {}) });
    if (params.get('response_type') !== 'code')
      return back('unsupported_response_type', 'only response_type=code is supported');
    const scope = params.get('scope') ?? '';
    if (!scope.split(/\s+/).includes('openid')) return back('invalid_scope', 'scope must include openid');
    const challenge = params.get('code_challenge') ?? '';
    if (params.get('code_challenge_method') !== 'S256' || !/^[A-Za-z0-9_-]{43}$/.test(challenge))
      return back('invalid_request', 'PKCE is required: code_challenge with code_challenge_method=S256');
    return { redirectUri, state, scope, challenge, nonce: params.get('nonce') ?? undefined };
  };
  const hidden = (name: string, value: string | undefined) =>
    value === undefined ? '' : `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`;

  const tokenError = (status: number, error: string, description: string): SandboxResponse => {
    tokenRequests.set(error, (tokenRequests.get(error) ?? 0) + 1);
    return {
      status,
      headers: { 'Cache-Control': 'no-store' },
      body: { error, error_description: description },
    };
  };

  const routes: Route[] = [
    {
      method: 'GET',
      path: '/.well-known/openid-configuration',
      operation: 'discovery',
      handler: () => ({
        status: 200,
        body: {
          issuer,
          authorization_endpoint: `${issuer}/authorize`,
          token_endpoint: `${issuer}/token`,
          jwks_uri: `${issuer}/jwks`,
          response_types_supported: ['code'],
          grant_types_supported: ['authorization_code'],
          subject_types_supported: ['public'],
          id_token_signing_alg_values_supported: ['ES256'],
          code_challenge_methods_supported: ['S256'],
          token_endpoint_auth_methods_supported: clientSecret
            ? ['client_secret_basic', 'client_secret_post']
            : ['none'],
          scopes_supported: ['openid', 'operator', 'customers:read'],
        },
      }),
    },
    {
      method: 'GET',
      path: '/jwks',
      operation: 'jwks',
      handler: () => ({ status: 200, body: { keys: [jwk] } }),
    },
    {
      method: 'GET',
      path: '/authorize',
      operation: 'authorize',
      handler: (req) => {
        const r = read(req.query);
        if ('status' in r) return r;
        const choices = users
          .map(
            (u, i) =>
              `<label><input type="radio" name="user" value="${escapeHtml(u.id)}"${i === 0 ? ' checked' : ''}> ${escapeHtml(u.name)} (${escapeHtml(u.scopes.join(', '))})</label><br>`,
          )
          .join('');
        return htmlPage(
          200,
          'Sign in (sandbox identity provider)',
          `<h1>Sign in</h1>
<p>Switchboard (client ${escapeHtml(clientId)}) asks who you are. Choose a user:</p>
<form method="post" action="/authorize">
${choices}
${hidden('client_id', clientId)}${hidden('redirect_uri', r.redirectUri)}${hidden('scope', r.scope)}${hidden('state', r.state)}${hidden('response_type', 'code')}${hidden('code_challenge', r.challenge)}${hidden('code_challenge_method', 'S256')}${hidden('nonce', r.nonce)}
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>`,
        );
      },
    },
    {
      method: 'POST',
      path: '/authorize',
      operation: 'authorize.decide',
      handler: (req) => {
        const form = new URLSearchParams(req.rawBody.toString('utf8'));
        const r = read(form);
        if ('status' in r) return r;
        const state: Record<string, string> = r.state ? { state: r.state } : {};
        if (form.get('decision') !== 'allow')
          return redirectTo(r.redirectUri, {
            error: 'access_denied',
            error_description: 'the user refused',
            ...state,
          });
        const user = users.find((u) => u.id === form.get('user'));
        if (!user) return errorPage('invalid_request', `Unknown user "${form.get('user') ?? ''}".`);
        const code = randomBytes(24).toString('base64url');
        grants.set(code, {
          user,
          clientId,
          redirectUri: r.redirectUri,
          challenge: r.challenge,
          nonce: r.nonce,
          scope: r.scope,
          expiresAt: Date.now() + 60_000,
        });
        return redirectTo(r.redirectUri, { code, ...state });
      },
    },
    {
      method: 'POST',
      path: '/token',
      operation: 'token',
      handler: async (req) => {
        const form = new URLSearchParams(req.rawBody.toString('utf8'));
        const client = clientCredentials(req, form);
        if (
          client.id !== clientId ||
          (clientSecret !== undefined && !safeEqual(client.secret ?? '', clientSecret))
        )
          return tokenError(401, 'invalid_client', 'unknown client or wrong client secret');
        if (form.get('grant_type') !== 'authorization_code')
          return tokenError(400, 'unsupported_grant_type', 'only authorization_code is supported');
        const code = form.get('code') ?? '';
        const grant = grants.get(code);
        // Single use: the code is gone whatever follows.
        grants.delete(code);
        if (!grant || grant.expiresAt <= Date.now())
          return tokenError(400, 'invalid_grant', 'the code is unknown, expired or already used');
        if (form.get('redirect_uri') !== grant.redirectUri)
          return tokenError(400, 'invalid_grant', 'redirect_uri differs from the authorization request');
        const verifier = form.get('code_verifier') ?? '';
        const challenge = createHash('sha256').update(verifier).digest('base64url');
        if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier) || !safeEqual(challenge, grant.challenge))
          return tokenError(400, 'invalid_grant', 'code_verifier does not match the code_challenge');
        tokenRequests.set('issued', (tokenRequests.get('issued') ?? 0) + 1);
        return {
          status: 200,
          headers: { 'Cache-Control': 'no-store' },
          body: {
            access_token: await accessToken(grant.user),
            id_token: await sign(
              { ...(grant.nonce ? { nonce: grant.nonce } : {}), name: grant.user.name },
              grant.user.id,
              grant.clientId,
            ),
            token_type: 'Bearer',
            expires_in: tokenTtlSec,
            scope: grant.scope,
          },
        };
      },
    },
  ];

  const server = await startSandboxServer(
    {
      name: 'idp',
      routes,
      errorResponse: (status, message) => ({
        status,
        body: { error: 'invalid_request', error_description: message },
      }),
      reset: () => grants.clear(),
      describe: () => ({ clientId, audience, users: users.map((u) => ({ id: u.id, scopes: u.scopes })) }),
    },
    { host: options.host ?? '127.0.0.1', port: options.port ?? 0 },
  );
  issuer = server.url;
  return {
    url: server.url,
    clientId,
    audience,
    users,
    tokenRequests,
    env: () => ({
      SWITCHBOARD_JWT_ISSUER: issuer,
      SWITCHBOARD_JWT_AUDIENCE: audience,
      SWITCHBOARD_JWT_JWKS_URL: `${issuer}/jwks`,
      SWITCHBOARD_OIDC_CLIENT_ID: clientId,
      ...(clientSecret ? { SWITCHBOARD_OIDC_CLIENT_SECRET: clientSecret } : {}),
      SWITCHBOARD_OIDC_LABEL: 'Sandbox ID',
    }),
    async accessToken(id) {
      const user = users.find((u) => u.id === id);
      if (!user) throw new Error(`the sandbox identity provider has no user "${id}"`);
      return accessToken(user);
    },
    close: () => server.close(),
  };
}
