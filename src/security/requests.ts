import { BlockList, isIP } from 'node:net';
import type { Workspace } from '../hub.ts';
import type { AuditLog } from './audit.ts';
import type { Authenticator, Principal, Refusal } from './authenticate.ts';
import { looksLikeJwt } from './jwt.ts';
import { looksLikeKey } from './keys.ts';
import type { CallerLimits } from './rate-limit.ts';

/** An authenticated request's caller: who, in which workspace, from where. */
export interface Caller {
  principal: Principal;
  workspace: Workspace;
  /** The network address the request came from (`local` for in-process calls). */
  address: string;
  /** The browser's `Origin`, when one sent it. */
  origin: string | null;
}

/** Header that picks among the caller's workspaces when it may use more than one. */
export const WORKSPACE_HEADER = 'x-switchboard-workspace';

/** Request headers as the guard reads them: a fetch `Headers`, or a node:http request's seen through `get`. */
export type HeaderSource = Pick<Headers, 'get'>;

export type GuardResult = { ok: true; caller: Caller } | { ok: false; refusal: Refusal };

export interface RequestGuard {
  /**
   * Authenticates a request and picks its workspace, counting it against the caller's rate limit.
   * Refusals are audited (sampled). Never throws.
   */
  check(request: {
    headers: HeaderSource;
    url: string;
    address: string;
    /** What the audit log calls the attempt: `request`, `websocket`, `metrics`. */
    action: string;
  }): Promise<GuardResult>;
}

const forbidden = (reason: string, message: string): Refusal => ({
  status: 403,
  code: 'FORBIDDEN',
  reason,
  message,
});

/** A key or token in the URL ends up in logs, proxies and browser history: refused, never used. */
function credentialInUrl(url: string): boolean {
  const query = url.indexOf('?');
  if (query < 0) return false;
  for (const [name, value] of new URLSearchParams(url.slice(query + 1))) {
    if (/^(api[_-]?key|access[_-]?token|token|key|authorization|auth)$/i.test(name)) return true;
    if (looksLikeKey(value) || looksLikeJwt(value) || /^bearer\s/i.test(value)) return true;
  }
  return false;
}

export function createRequestGuard(options: {
  authenticator: Authenticator;
  limits: CallerLimits;
  audit: AuditLog;
  workspaces: ReadonlyMap<string, Workspace>;
  /**
   * Serves a workspace not served here yet, if it exists (one made on another replica a moment ago,
   * before the event bus said so).
   */
  learnWorkspace?: (id: string) => Promise<void>;
}): RequestGuard {
  const { authenticator, limits, audit, workspaces } = options;
  return {
    async check({ headers, url, address, action }) {
      const origin = headers.get('origin');
      const refuse = (
        refusal: Refusal,
        actor = 'anonymous',
        workspace: string | null = null,
      ): GuardResult => {
        const outcome =
          refusal.status === 401
            ? 'UNAUTHENTICATED'
            : refusal.status === 403
              ? 'FORBIDDEN'
              : refusal.status === 429
                ? 'RATE_LIMITED'
                : 'REJECTED';
        audit.refused({ workspace, actor, action, outcome, address, origin, reason: refusal.reason });
        return { ok: false, refusal };
      };
      if (credentialInUrl(url)) {
        return refuse({
          status: 400,
          code: 'BAD_REQUEST',
          reason: 'CREDENTIAL_IN_URL',
          message:
            'Send keys and tokens in the Authorization header, never in the URL (URLs are logged and kept in browser history). Treat a key that was sent in a URL as leaked: rotate it.',
        });
      }
      const result = await authenticator.authenticate({
        authorization: headers.get('authorization'),
        origin,
      });
      if (!result.ok) {
        // A 401 past the per-address limit becomes a 429: guessing keys gets slower, never valid ones.
        const slowed = result.refusal.status === 401 ? await limits.failed(address) : undefined;
        return refuse(slowed ?? result.refusal);
      }
      const { principal } = result;
      const wanted = headers.get(WORKSPACE_HEADER);
      // The same answer whether or not the workspace exists: a caller learns nothing of others'.
      if (wanted !== null && !principal.workspaces.includes(wanted)) {
        return refuse(
          forbidden(
            'WORKSPACE_NOT_ALLOWED',
            `This credential may not use the workspace named in ${WORKSPACE_HEADER}; leave the header out to use the credential's own.`,
          ),
          principal.actor,
        );
      }
      const id = wanted ?? principal.workspaces[0]!;
      if (!workspaces.has(id)) await options.learnWorkspace?.(id).catch(() => undefined);
      const workspace = workspaces.get(id);
      if (!workspace) {
        return refuse(
          forbidden('WORKSPACE_NOT_SERVED', "This credential's workspace is not served by this hub."),
          principal.actor,
        );
      }
      const limited = await limits.take(principal, address);
      if (limited) return refuse(limited, principal.actor, workspace.id);
      return { ok: true, caller: { principal, workspace, address, origin } };
    },
  };
}

/** The headers of a refusal: `WWW-Authenticate` on a 401, `Retry-After` when there is a wait. */
export function refusalHeaders(refusal: Refusal): Record<string, string> {
  const headers: Record<string, string> = {};
  if (refusal.status === 401)
    headers['www-authenticate'] = 'Bearer realm="switchboard", error="invalid_token"';
  if (refusal.retryAfterMs !== undefined)
    headers['retry-after'] = String(Math.ceil(refusal.retryAfterMs / 1000));
  return headers;
}

/** The JSON answer to a refused GraphQL request, in the error shape clients already read. */
export function refusalResponse(refusal: Refusal, ResponseClass: typeof Response = Response): Response {
  const extensions: Record<string, unknown> = { code: refusal.code, reason: refusal.reason };
  if (refusal.retryAfterMs !== undefined) extensions.retryAfterMs = refusal.retryAfterMs;
  return new ResponseClass(JSON.stringify({ errors: [{ message: refusal.message, extensions }] }), {
    status: refusal.status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...refusalHeaders(refusal) },
  });
}

/** What the caller's address is read from: a node:http request (or yoga's server context holding one). */
export interface AddressSource {
  socket?: { remoteAddress?: string };
  headers: Record<string, string | string[] | undefined>;
}

/**
 * The caller's network address. Behind a reverse proxy every request comes from the proxy, so the
 * per-address limits would lump everyone together: when the peer is one of `trustedProxies` (IPs or
 * CIDRs), the address is the right-most `X-Forwarded-For` entry that is not itself a trusted proxy.
 * `X-Forwarded-For` from anyone else is ignored (it is whatever the client wrote).
 * Throws at creation for an entry that is not an IP or CIDR.
 */
export function createAddressResolver(
  trustedProxies: readonly string[] = [],
): (source: AddressSource | undefined) => string {
  const trusted = new BlockList();
  for (const entry of trustedProxies) {
    const [address, bits] = entry.split('/');
    const family = isIP(address ?? '');
    if (family === 0 || (bits !== undefined && !/^\d{1,3}$/.test(bits))) {
      throw new Error(`SWITCHBOARD_TRUSTED_PROXIES: "${entry}" is not an IP address or CIDR (10.0.0.0/8)`);
    }
    const type = family === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) trusted.addAddress(address!, type);
    else trusted.addSubnet(address!, Number(bits), type);
  }
  const plain = (address: string) => address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  const isTrusted = (address: string) => {
    const family = isIP(address);
    return family !== 0 && trusted.check(address, family === 6 ? 'ipv6' : 'ipv4');
  };
  return (source) => {
    const peer = source?.socket?.remoteAddress;
    if (!peer) return 'local';
    const address = plain(peer);
    if (trustedProxies.length === 0 || !isTrusted(address)) return address;
    const header = source.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
      .split(',')
      .map((h) => plain(h.trim()))
      .filter((h) => isIP(h) !== 0);
    for (let i = hops.length - 1; i >= 0; i--) if (!isTrusted(hops[i]!)) return hops[i]!;
    return hops[0] ?? address;
  };
}
