/**
 * What the OAuth 2 sandboxes (Xero, QuickBooks) share: reading the client's credentials from a token
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
