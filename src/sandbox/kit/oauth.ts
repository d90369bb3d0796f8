/**
 * What the OAuth 2 sandboxes (Xero, QuickBooks, Google, HubSpot) share: reading the client's credentials from a token
 * request, and the consent step without a browser (`POST /__sandbox/authorize`). Each vendor keeps
 * its own tokens, grants and error bodies.
 */
import type { Route, SandboxRequest, SandboxResponse } from './http.ts';

/**
 * The client id and secret of a token request: HTTP Basic, each part form-urlencoded (RFC 6749
 * §2.3.1), or `client_id` / `client_secret` in the form. A malformed header gives neither.
 */
export function clientCredentials(
  req: SandboxRequest,
  form: URLSearchParams,
): { id?: string; secret?: string } {
  const header = String(req.headers.authorization ?? '');
  if (!/^basic /i.test(header))
    return { id: form.get('client_id') ?? undefined, secret: form.get('client_secret') ?? undefined };
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  try {
    return {
      id: decodeURIComponent(decoded.slice(0, colon)),
      secret: decodeURIComponent(decoded.slice(colon + 1)),
    };
  } catch {
    return {};
  }
}

/** A token request's form; undefined when the body is not form encoded (each vendor refuses that its own way). */
export function tokenForm(req: SandboxRequest): URLSearchParams | undefined {
  const type = String(req.headers['content-type'] ?? '').toLowerCase();
  if (!type.startsWith('application/x-www-form-urlencoded')) return undefined;
  return new URLSearchParams(req.rawBody.toString('utf8'));
}

/**
 * `POST /__sandbox/authorize` `{ scopes?, redirectUri? }`: mints a one-time authorization code as the
 * vendor's consent page does when the user allows. `extra` adds what the vendor's redirect carries
 * besides the code (QuickBooks' `realmId`).
 */
export function authorizeRoute(options: {
  authorize(scopes: string[], redirectUri?: string): string;
  defaultScopes: readonly string[];
  /** A body to show in the error for a malformed one. */
  example: string;
  extra?: () => Record<string, unknown>;
}): Route {
  const bad = (error: string): SandboxResponse => ({ status: 400, body: { error } });
  return {
    method: 'POST',
    path: '/__sandbox/authorize',
    operation: 'admin.authorize',
    handler: (req) => {
      const input = req.json();
      if (typeof input !== 'object' || input === null || Array.isArray(input))
        return bad(`body must be a JSON object, e.g. ${options.example}`);
      const { scopes: given, redirectUri } = input as Record<string, unknown>;
      const raw = given ?? options.defaultScopes;
      const scopes = typeof raw === 'string' ? raw.split(/\s+/).filter(Boolean) : raw;
      if (!Array.isArray(scopes) || scopes.some((s) => typeof s !== 'string'))
        return bad('"scopes" must be a list of strings or a space-separated string');
      if (redirectUri !== undefined && typeof redirectUri !== 'string')
        return bad('"redirectUri" must be a string');
      const code = options.authorize(scopes as string[], redirectUri);
      return {
        status: 200,
        body: { code, ...options.extra?.(), scopes, redirectUri: redirectUri ?? null, expiresInSeconds: 300 },
      };
    },
  };
}

/** Text for an HTML page (the sandboxes' consent and sign-in pages). */
export const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A small HTML page (no external assets: the sandboxes run offline). */
export function htmlPage(status: number, title: string, body: string): SandboxResponse {
  return {
    status,
    headers: { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' },
    body: `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body>${body}</body></html>`,
  };
}

/** A 302 to `uri` with `params` added to its query, as an authorization endpoint answers. */
export function redirectTo(uri: string, params: Record<string, string>): SandboxResponse {
  const url = new URL(uri);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  return { status: 302, headers: { Location: url.toString(), 'Cache-Control': 'no-store' } };
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * The vendor's authorization endpoint as a browser sees it: `GET <path>` shows the app, the account
 * and the scopes with Allow / Deny; the form posts back to the same path. Allow redirects to
 * `redirect_uri?code=…&state=…` (plus `extra()`), Deny to `redirect_uri?error=access_denied&state=…`,
 * as the vendors do. A wrong client_id or redirect_uri gets an error page and no redirect (a
 * redirect URI is not trusted before it is checked); other errors go back to the redirect URI.
 * Redirect URIs must be https, or http on a loopback host (Xero's and Intuit's rule for local apps).
 */
export function consentRoutes(options: {
  /** `/identity/connect/authorize` (Xero), `/connect/oauth2` (QuickBooks). */
  path: string;
  /** For people: `Xero`. */
  vendor: string;
  clientId: string;
  /** What is being connected, for the page: the organisation's name. */
  account: () => string;
  knownScopes: ReadonlySet<string>;
  /** Mints the code; `params` are the `carry` parameters the request had (Google's `access_type`). */
  authorize(scopes: string[], redirectUri: string, params: URLSearchParams): string;
  extra?: () => Record<string, string>;
  /** Refuse a request without `state` (Intuit requires one: `invalid_request`, back to the redirect URI). */
  requireState?: boolean;
  /** Query parameters besides the standard ones that the page keeps for Allow (`access_type`, `optional_scope`). */
  carry?: readonly string[];
  /** False where the vendor's URL has no `response_type` (HubSpot's install URL). Default true. */
  responseType?: boolean;
  /** Scopes the user may grant or not (HubSpot's `optional_scope`): checked like `scope`, shown apart. */
  optionalScopeParam?: string;
}): Route[] {
  const { path, vendor } = options;
  const errorPage = (error: string, detail: string) =>
    htmlPage(400, `${vendor}: ${error}`, `<h1>${escapeHtml(error)}</h1><p>${escapeHtml(detail)}</p>`);
  const read = (params: URLSearchParams) => {
    const clientId = params.get('client_id') ?? '';
    if (clientId !== options.clientId)
      return errorPage('unauthorized_client', `Unknown client_id "${clientId}": use the app's client id.`);
    const redirectUri = params.get('redirect_uri') ?? '';
    let parsed: URL | undefined;
    try {
      parsed = new URL(redirectUri);
    } catch {
      parsed = undefined;
    }
    if (
      !parsed ||
      !(parsed.protocol === 'https:' || (parsed.protocol === 'http:' && LOOPBACK.has(parsed.hostname)))
    )
      return errorPage(
        'invalid_request',
        `redirect_uri "${redirectUri}" must be an https URL (or http on localhost / 127.0.0.1).`,
      );
    const state = params.get('state') ?? '';
    if (options.responseType !== false && params.get('response_type') !== 'code')
      return redirectTo(redirectUri, { error: 'unsupported_response_type', state });
    const scopes = (params.get('scope') ?? '').split(/\s+/).filter(Boolean);
    const optional = options.optionalScopeParam
      ? (params.get(options.optionalScopeParam) ?? '').split(/\s+/).filter(Boolean)
      : [];
    if (scopes.length === 0 || [...scopes, ...optional].some((s) => !options.knownScopes.has(s)))
      return redirectTo(redirectUri, { error: 'invalid_scope', state });
    if (options.requireState && !state)
      return redirectTo(redirectUri, { error: 'invalid_request', error_description: 'state is required' });
    const carried = new URLSearchParams();
    for (const name of [...(options.carry ?? []), options.optionalScopeParam ?? '']) {
      const value = name ? params.get(name) : null;
      if (value !== null) carried.set(name, value);
    }
    return { clientId, redirectUri, scopes, optional, state, carried };
  };
  const hidden = (name: string, value: string) =>
    `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`;
  return [
    {
      method: 'GET',
      path,
      operation: 'oauth.authorize',
      handler: (req) => {
        const r = read(req.query);
        if ('status' in r) return r;
        return htmlPage(
          200,
          `Connect to ${vendor} (sandbox)`,
          `<h1>Connect to ${escapeHtml(vendor)}</h1>
<p>An app (client ${escapeHtml(r.clientId)}) wants to connect to <strong>${escapeHtml(options.account())}</strong> with these permissions:</p>
<ul>${r.scopes.map((s) => `<li>${escapeHtml(s)}</li>`).join('')}</ul>${
            r.optional.length > 0
              ? `<p>and, if you allow them:</p><ul>${r.optional.map((s) => `<li>${escapeHtml(s)}</li>`).join('')}</ul>`
              : ''
          }
<form method="post" action="${escapeHtml(path)}">
${hidden('client_id', r.clientId)}${hidden('redirect_uri', r.redirectUri)}${hidden('scope', r.scopes.join(' '))}${hidden('state', r.state)}${hidden('response_type', 'code')}${[
            ...r.carried,
          ]
            .map(([k, v]) => hidden(k, v))
            .join('')}
<button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form>`,
        );
      },
    },
    {
      method: 'POST',
      path,
      operation: 'oauth.consent',
      handler: (req) => {
        const form = new URLSearchParams(req.rawBody.toString('utf8'));
        const r = read(form);
        if ('status' in r) return r;
        if (form.get('decision') !== 'allow')
          return redirectTo(r.redirectUri, { error: 'access_denied', state: r.state });
        const code = options.authorize([...r.scopes, ...r.optional], r.redirectUri, r.carried);
        return redirectTo(r.redirectUri, { code, state: r.state, ...options.extra?.() });
      },
    },
  ];
}

/** One consent allowed: its scopes, and whether it was revoked (at the vendor, or by an uninstall). */
export interface Grant {
  id: number;
  scopes: string[];
  revoked: boolean;
}

/**
 * What an OAuth sandbox keeps of its consents (Google's, HubSpot's): one-time codes with what the
 * consent said, the grants made from them, and the access and refresh tokens minted under each. A
 * token is good while its grant is not revoked (and, for access tokens, until it expires on the
 * sandbox's clock). Each vendor keeps its own token shapes, lifetimes and error bodies.
 */
export interface GrantBook<C> {
  /** Keeps a code minted by the consent page, with what the consent said, for `ttlSeconds`. */
  issueCode(code: string, consent: C, ttlSeconds: number): void;
  /**
   * Takes a code: once, even when the exchange then fails (a wrong redirect URI), as the vendors do.
   * `unknown` for a code never issued, `spent` for one used or expired.
   */
  takeCode(code: string): C | 'unknown' | 'spent';
  grant(scopes: string[]): Grant;
  addAccessToken(token: string, grant: Grant, ttlSeconds: number): void;
  addRefreshToken(token: string, grant: Grant): void;
  /** The live grant behind a refresh token. */
  byRefreshToken(token: string): Grant | undefined;
  /** The live grant behind an unexpired access token, and when it expires. */
  byAccessToken(token: string): { grant: Grant; expiresAt: number } | undefined;
  /** Whether an API call may use this access token (counted in `describe().accessTokenUses`). */
  accepts(token: string): boolean;
  /** Revokes the grant behind an access or refresh token; false when there was no live one. */
  revoke(token: string): boolean;
  describe(): Record<string, unknown>;
  reset(): void;
}

export function createGrantBook<C>(clock: { now(): number }): GrantBook<C> {
  let codes = new Map<string, { consent: C; expiresAt: number; used: boolean }>();
  let grants = new Map<number, Grant>();
  let refreshTokens = new Map<string, number>();
  let accessTokens = new Map<string, { grant: number; expiresAt: number }>();
  let nextGrant = 1;
  let accessTokenUses = 0;
  const live = (id: number | undefined): Grant | undefined => {
    const grant = id === undefined ? undefined : grants.get(id);
    return grant && !grant.revoked ? grant : undefined;
  };
  const byAccessToken = (token: string) => {
    const record = accessTokens.get(token);
    const grant = live(record?.grant);
    return record && grant && clock.now() < record.expiresAt
      ? { grant, expiresAt: record.expiresAt }
      : undefined;
  };
  return {
    issueCode(code, consent, ttlSeconds) {
      codes.set(code, { consent, expiresAt: clock.now() + ttlSeconds * 1000, used: false });
    },
    takeCode(code) {
      const record = codes.get(code);
      if (!record) return 'unknown';
      if (record.used || clock.now() >= record.expiresAt) return 'spent';
      record.used = true;
      return record.consent;
    },
    grant(scopes) {
      const grant: Grant = { id: nextGrant++, scopes, revoked: false };
      grants.set(grant.id, grant);
      return grant;
    },
    addAccessToken(token, grant, ttlSeconds) {
      accessTokens.set(token, { grant: grant.id, expiresAt: clock.now() + ttlSeconds * 1000 });
    },
    addRefreshToken(token, grant) {
      refreshTokens.set(token, grant.id);
    },
    byRefreshToken: (token) => live(refreshTokens.get(token)),
    byAccessToken,
    accepts(token) {
      if (!byAccessToken(token)) return false;
      accessTokenUses++;
      return true;
    },
    revoke(token) {
      const grant = live(refreshTokens.get(token) ?? accessTokens.get(token)?.grant);
      if (grant) grant.revoked = true;
      return grant !== undefined;
    },
    describe: () => ({
      grants: [...grants.values()].map((g) => ({ id: g.id, scopes: g.scopes, revoked: g.revoked })),
      refreshTokens: refreshTokens.size,
      accessTokens: accessTokens.size,
      accessTokenUses,
    }),
    reset() {
      codes = new Map();
      grants = new Map();
      refreshTokens = new Map();
      accessTokens = new Map();
      nextGrant = 1;
      accessTokenUses = 0;
    },
  };
}
