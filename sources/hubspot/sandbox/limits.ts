/**
 * Authentication and HubSpot's API rate limits, as a kit middleware.
 * Docs: https://developers.hubspot.com/docs/api/usage-details
 *       https://developers.hubspot.com/docs/api/crm/search#limitations (search: 5 requests/s)
 * Rolling 10-second window per token (default 100 requests), daily cap per token, and a separate
 * per-second budget for search. Standard responses carry the `X-HubSpot-RateLimit-*` headers;
 * search responses do not, as on HubSpot.
 */
import type { SandboxRequest, SandboxResponse } from '../../../src/sandbox/kit/http.ts';
import type { HubspotOAuth } from './oauth.ts';
import { AUTH_MESSAGE, HAPIKEY_MESSAGE, hubspotError, rateLimitResponse } from './wire.ts';

export interface Limits {
  /** Requests per rolling 10 seconds per token. */
  tenSecondly: number;
  /** Requests per UTC day per token. */
  daily: number;
  /** Search requests per second per token. */
  searchPerSecond: number;
}

export const DEFAULT_LIMITS: Limits = { tenSecondly: 100, daily: 250_000, searchPerSecond: 5 };

const TEN_SECONDS = 10_000;

interface Usage {
  window: number[];
  searchWindow: number[];
  day: string;
  daily: number;
}

export interface RateLimiter {
  limits(): Limits;
  configure(patch: Partial<Limits>): Limits;
  /** Counts one request, or answers the 429 HubSpot would send. */
  take(
    token: string,
    kind: 'standard' | 'search',
  ): { headers: Record<string, string> } | { response: SandboxResponse };
  reset(limits?: Limits): void;
}

/** Validates `POST /__sandbox/limits`; returns a message naming the bad field, or the patch. */
export function parseLimits(input: unknown): Partial<Limits> | string {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    return 'limits must be a JSON object, e.g. {"tenSecondly": 1000}';
  const out: Partial<Limits> = {};
  for (const [key, value] of Object.entries(input)) {
    if (key !== 'tenSecondly' && key !== 'daily' && key !== 'searchPerSecond')
      return `unknown limit "${key}" (known: tenSecondly, daily, searchPerSecond)`;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
      return `"${key}" must be a positive integer, got ${JSON.stringify(value)}`;
    out[key] = value;
  }
  return out;
}

export function createRateLimiter(initial: Limits, appId: string): RateLimiter {
  let limits = { ...initial };
  let usage = new Map<string, Usage>();
  const groupName = `private-app-api-calls:${appId}`;

  const usageOf = (token: string, now: number): Usage => {
    const day = new Date().toISOString().slice(0, 10);
    let u = usage.get(token);
    if (!u) usage.set(token, (u = { window: [], searchWindow: [], day, daily: 0 }));
    if (u.day !== day) Object.assign(u, { day, daily: 0 });
    u.window = u.window.filter((t) => now - t < TEN_SECONDS);
    u.searchWindow = u.searchWindow.filter((t) => now - t < 1_000);
    return u;
  };

  const headers = (u: Usage): Record<string, string> => ({
    'X-HubSpot-RateLimit-Daily': String(limits.daily),
    'X-HubSpot-RateLimit-Daily-Remaining': String(Math.max(0, limits.daily - u.daily)),
    'X-HubSpot-RateLimit-Interval-Milliseconds': String(TEN_SECONDS),
    'X-HubSpot-RateLimit-Max': String(limits.tenSecondly),
    'X-HubSpot-RateLimit-Remaining': String(Math.max(0, limits.tenSecondly - u.window.length)),
  });

  return {
    limits: () => ({ ...limits }),
    configure(patch) {
      limits = { ...limits, ...patch };
      return { ...limits };
    },
    take(token, kind) {
      const now = performance.now();
      const u = usageOf(token, now);
      if (u.daily >= limits.daily) return { response: rateLimitResponse('DAILY', groupName, headers(u)) };
      if (kind === 'search') {
        if (u.searchWindow.length >= limits.searchPerSecond)
          return { response: rateLimitResponse('SECONDLY', groupName) };
        u.searchWindow.push(now);
        u.daily++;
        return { headers: {} };
      }
      if (u.window.length >= limits.tenSecondly)
        return { response: rateLimitResponse('TEN_SECONDLY_ROLLING', groupName, headers(u)) };
      u.window.push(now);
      u.daily++;
      return { headers: headers(u) };
    },
    reset(next) {
      if (next) limits = { ...next };
      usage = new Map();
    },
  };
}

const bearer = (req: SandboxRequest): string | undefined => {
  const header = req.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(.+)$/i.exec(header.trim()) : null;
  return match?.[1];
};

/**
 * The kit middleware: the webhooks app API takes the developer API key (`?hapikey=`), the OAuth
 * endpoints nothing, everything else the portal's private-app token or an access token the OAuth
 * endpoints minted; CRM calls are then counted against the rate limits.
 */
export function authAndLimits(
  credentials: { accessToken: string; developerApiKey: string },
  limiter: RateLimiter,
  oauth?: Pick<HubspotOAuth, 'owns' | 'accepts'>,
) {
  return async (req: SandboxRequest, next: () => Promise<SandboxResponse>): Promise<SandboxResponse> => {
    if (req.path.startsWith('/webhooks/v3/')) {
      if (req.query.get('hapikey') !== credentials.developerApiKey) return hubspotError(401, HAPIKEY_MESSAGE);
      return next();
    }
    if (oauth?.owns(req.path)) return next();
    const token = bearer(req);
    const installed = token !== undefined && token !== credentials.accessToken && !!oauth?.accepts(token);
    if (token !== credentials.accessToken && !installed) return hubspotError(401, AUTH_MESSAGE);
    // An installed app's calls count against the app's budget in this portal, whichever token it uses.
    const taken = limiter.take(
      installed ? 'oauth-app' : token!,
      req.operation.endsWith('.search') ? 'search' : 'standard',
    );
    if ('response' in taken) return taken.response;
    const response = await next();
    return { ...response, headers: { ...taken.headers, ...response.headers } };
  };
}
