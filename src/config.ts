/**
 * One typed configuration, read from the environment once at start-up. Every problem is reported
 * at once, with the variable to set. With no vendor credentials at all, the hub runs in sandbox
 * mode: the four vendor sandboxes start in-process and the hub connects to them.
 */
export interface Config {
  port: number;
  host: string;
  /** `sqlite:<path>` (default `sqlite:data/switchboard.db`) or `postgres://…`. */
  databaseUrl: string;
  redisUrl?: string;
  /** Prefix of the hub's keys in Redis (rate budgets), so deployments or test runs sharing one Redis stay apart. */
  redisPrefix: string;
  /**
   * `SWITCHBOARD_CACHE=off` turns off every cache (vendor records and whole responses: pass-through,
   * for benchmarks and debugging); `SWITCHBOARD_RESPONSE_CACHE=off` only the response cache.
   */
  cache: { records: boolean; responses: boolean };
  /** Sandbox mode when no credentials of a bound adapter are set. */
  mode: 'sandbox' | 'live';
  /**
   * The adapter bound to each role (`SWITCHBOARD_<ROLE>`), with its settings and webhook settings
   * in live mode; sandbox mode reads both from the sandboxes it starts.
   */
  sources: Record<Role, { module: AnySourceModule; settings?: unknown; webhooks?: unknown }>;
  /** Where vendors reach the hub (`https://hub.example.com`); the listening address when unset. */
  publicUrl?: string;
  /** Sync rules switched off with SWITCHBOARD_SYNC_RULES_OFF. */
  syncRulesOff: SyncRule[];
  /** When reconciliation runs each day, UTC (`SWITCHBOARD_RECONCILE_AT`, default 02:00); null when `off`. */
  reconcileAt: DailyAt | null;
  /** Currency totals are reported in when a customer has no records, ISO 4217. */
  currency: string;
  /** The business's time zone (IANA), for dates written as calendar days (the CRM's next booking) and opening hours. */
  timeZone: string;
  /**
   * Services, opening hours and the slot grid for `services` and `availability`
   * (`SWITCHBOARD_SERVICES`, `SWITCHBOARD_OPENING_HOURS`, `SWITCHBOARD_SLOT_STEP_MINUTES`: see
   * src/availability/schedule.ts).
   */
  schedule: Schedule;
  /** Deposit links: minutes open (SWITCHBOARD_DEPOSIT_MINUTES) and the return page (SWITCHBOARD_DEPOSIT_RETURN_URL). */
  deposits: { minutes: number; returnUrl: string | null };
  /** The write outbox: attempts per step, retry backoff, worker lease and poll interval. */
  outbox: { maxAttempts: number; retryBaseMs: number; retryMaxMs: number; leaseMs: number; pollMs: number };
  /**
   * Outbound webhooks (src/outbound/): the retry schedule's first delay (the rest scale with it) and
   * cap, attempts, the worker's poll interval, a request's timeout and a rotated secret's grace period.
   */
  outbound: {
    baseMs: number;
    maxMs: number;
    maxAttempts: number;
    pollMs: number;
    timeoutMs: number;
    secretGraceMs: number;
  };
  /** The upstream policy: request deadline, per-vendor timeouts, rate budgets on or off. */
  upstream: {
    requestDeadlineMs: number;
    /** Per system (module id), from `<ID>_TIMEOUT_MS` (`XERO_TIMEOUT_MS`). */
    timeoutMs: Partial<Record<string, number>>;
    rateLimits: boolean;
  };
  development: boolean;
  /** Where sandbox mode keeps what it makes for itself (the development key, the encryption key). */
  dataDir: string;
  /**
   * The key that seals secrets in the store (AES-256-GCM), with older keys still opened during a
   * rotation. Live mode needs SWITCHBOARD_ENCRYPTION_KEY; sandbox mode keeps one in the data folder;
   * an in-memory store gets a throwaway one (it forgets its secrets anyway).
   */
  encryption: { key: Buffer; previous: Buffer[]; source: 'env' | 'file' | 'ephemeral' };
  /** OpenTelemetry traces (`SWITCHBOARD_OTEL_ENDPOINT`); off when absent. */
  tracing?: TracingConfig;
  /** Who may call and what a request may ask for (src/security). */
  security: {
    jwt?: JwtSettings;
    /** The console's redirect sign-in through the business's identity provider (SWITCHBOARD_OIDC_*); needs `jwt`. */
    oidc?: OidcSettings;
    corsOrigins: string[];
    /** Undefined: on in sandbox mode, off in live mode. */
    introspection?: boolean;
    /** Registered documents (from SWITCHBOARD_TRUSTED_DOCUMENTS, a JSON file of `{ "<sha256>": "query …" }`); only they run when set. */
    trustedDocuments?: Map<string, string>;
    limits: Partial<QueryLimits>;
    rateLimits: {
      perCredential: RateLimit | false;
      perPublicAddress: RateLimit | false;
      perEnquiryAddress: RateLimit | false;
    };
    sockets: Partial<SocketLimits>;
    /** A second listener for /metrics and the detailed /readyz without a credential (a private network). */
    opsListen?: { host: string; port: number };
    /** Reverse proxies whose X-Forwarded-For names the caller (IPs or CIDRs). */
    trustedProxies: string[];
  };
}

import { randomBytes } from 'node:crypto';
import { dirname } from 'node:path';
import { ENCRYPTION_KEY_VAR, encryptionFromEnv } from './security/secrets.ts';
import type { JwtSettings } from './security/jwt.ts';
import { secureEnough, type OidcSettings } from './security/oidc.ts';
import type { QueryLimits } from './security/limits.ts';
import { parseRateLimit, type RateLimit } from './security/rate-limit.ts';
import type { SocketLimits } from './security/sockets.ts';
import { normaliseOrigin } from './security/authenticate.ts';
import { createAddressResolver } from './security/requests.ts';
import { loadTrustedDocuments } from './security/trusted-documents.ts';
import { ConfigError, createEnvReader } from './env.ts';
import { readBindings } from './bindings.ts';
import { ROLES, type AnySourceModule, type Role } from './domain/source-module.ts';
import { SYNC_RULES, type SyncRule } from './sync/rules.ts';
import { parseDailyAt, type DailyAt } from './sync/schedule.ts';
import { tracingFromEnv, type TracingConfig } from './observability/tracing-config.ts';
import { scheduleFromEnv, type Schedule } from './availability/schedule.ts';

export { ConfigError };

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const read = createEnvReader(env, problems);
  const int = read.int;
  const url = read.url;

  const port = int('PORT', 4000, 0, 65_535);
  const host = env.HOST || '127.0.0.1';
  const databaseUrl = env.DATABASE_URL || 'sqlite:data/switchboard.db';
  if (!/^(sqlite:|postgres(ql)?:\/\/)/.test(databaseUrl) && databaseUrl !== ':memory:') {
    problems.push(`DATABASE_URL must start with sqlite: or postgres://, got "${databaseUrl}"`);
  }
  const redisUrl = env.REDIS_URL || undefined;
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl))
    problems.push(`REDIS_URL must start with redis://, got "${redisUrl}"`);
  const redisPrefix = env.SWITCHBOARD_REDIS_PREFIX || 'switchboard';
  if (!/^[\w.:-]{1,100}$/.test(redisPrefix))
    problems.push(
      `SWITCHBOARD_REDIS_PREFIX must be letters, digits, and . : _ - (at most 100), got "${redisPrefix}"`,
    );
  const currency = (env.SWITCHBOARD_CURRENCY || 'GBP').toUpperCase();
  if (!/^[A-Z]{3}$/.test(currency))
    problems.push(`SWITCHBOARD_CURRENCY must be an ISO 4217 code, got "${currency}"`);

  const timeZone = env.SWITCHBOARD_TIME_ZONE || 'Europe/London';
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone });
  } catch {
    problems.push(`SWITCHBOARD_TIME_ZONE must be an IANA time zone such as Europe/London, got "${timeZone}"`);
  }
  const schedule = scheduleFromEnv(env, problems, { timeZone, currency });
  // Stripe takes a checkout session's expiry 30 minutes to 24 hours ahead.
  const deposits = {
    minutes: int('SWITCHBOARD_DEPOSIT_MINUTES', 35, 31, 1_440),
    returnUrl: env.SWITCHBOARD_DEPOSIT_RETURN_URL
      ? url('SWITCHBOARD_DEPOSIT_RETURN_URL', env.SWITCHBOARD_DEPOSIT_RETURN_URL)
      : null,
  };
  const outbox = {
    maxAttempts: int('OUTBOX_MAX_ATTEMPTS', 8, 1, 100),
    retryBaseMs: int('OUTBOX_RETRY_BASE_MS', 1_000, 1, 3_600_000),
    retryMaxMs: int('OUTBOX_RETRY_MAX_MS', 300_000, 1, 86_400_000),
    leaseMs: int('OUTBOX_LEASE_MS', 30_000, 100, 3_600_000),
    pollMs: int('OUTBOX_POLL_MS', 500, 10, 60_000),
  };

  const outbound = {
    baseMs: int('OUTBOUND_RETRY_BASE_MS', 5_000, 1, 3_600_000),
    maxMs: int('OUTBOUND_RETRY_MAX_MS', 36_000_000, 1, 86_400_000),
    maxAttempts: int('OUTBOUND_MAX_ATTEMPTS', 8, 1, 100),
    pollMs: int('OUTBOUND_POLL_MS', 1_000, 10, 60_000),
    timeoutMs: int('OUTBOUND_TIMEOUT_MS', 10_000, 100, 120_000),
    secretGraceMs: int('OUTBOUND_SECRET_GRACE_MS', 86_400_000, 0, 30 * 86_400_000),
  };

  const bound = readBindings(env, problems);
  const modules = ROLES.flatMap((role) => (bound[role] ? [bound[role]] : []));
  const rateLimits = (env.SWITCHBOARD_RATE_LIMITS || 'on').toLowerCase();
  if (rateLimits !== 'on' && rateLimits !== 'off')
    problems.push(`SWITCHBOARD_RATE_LIMITS must be on or off, got "${env.SWITCHBOARD_RATE_LIMITS}"`);
  const upstream = {
    requestDeadlineMs: int('SWITCHBOARD_REQUEST_DEADLINE_MS', 10_000, 100, 600_000),
    timeoutMs: Object.fromEntries(
      modules
        .map((m) => [m.id, `${m.id.toUpperCase()}_TIMEOUT_MS`] as const)
        .filter(([, name]) => env[name])
        .map(([id, name]) => [id, int(name, 10_000, 100, 600_000)]),
    ),
    rateLimits: rateLimits !== 'off',
  };

  const onOffVar = (name: string) => {
    const value = (env[name] || 'on').toLowerCase();
    if (value !== 'on' && value !== 'off') problems.push(`${name} must be on or off, got "${env[name]}"`);
    return value !== 'off';
  };
  const cache = {
    records: onOffVar('SWITCHBOARD_CACHE'),
    responses: onOffVar('SWITCHBOARD_CACHE') && onOffVar('SWITCHBOARD_RESPONSE_CACHE'),
  };

  const publicUrl = env.PUBLIC_URL ? url('PUBLIC_URL', env.PUBLIC_URL) : undefined;
  const syncRulesOff = (env.SWITCHBOARD_SYNC_RULES_OFF ?? '')
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean) as SyncRule[];
  for (const rule of syncRulesOff) {
    if (!SYNC_RULES.includes(rule)) {
      problems.push(
        `SWITCHBOARD_SYNC_RULES_OFF names an unknown rule "${rule}"; the rules are ${SYNC_RULES.join(', ')}`,
      );
    }
  }

  const reconcile = parseDailyAt('SWITCHBOARD_RECONCILE_AT', env.SWITCHBOARD_RECONCILE_AT, {
    hour: 2,
    minute: 0,
  });
  if (typeof reconcile === 'string') problems.push(reconcile);
  const reconcileAt = typeof reconcile === 'string' ? null : reconcile;

  // Live mode when any bound adapter's credentials are set; then every bound adapter needs its own.
  const live = modules.some((m) => m.settings.credentialVars.some((name) => env[name]));
  const sources = Object.fromEntries(
    ROLES.flatMap((role) => {
      const module = bound[role];
      if (!module) return [];
      if (!live) return [[role, { module }]];
      const read = module.settings.fromEnv(env);
      if ('problems' in read) problems.push(...read.problems);
      const settings = 'settings' in read ? read.settings : undefined;
      return [[role, { module, settings, webhooks: module.webhooks?.fromEnv(env, { publicUrl }) }]];
    }),
  ) as Config['sources'];
  const security = securityFromEnv(env, problems, int);
  const tracing = tracingFromEnv(read);
  const sqlitePath = /^sqlite:/.test(databaseUrl) ? databaseUrl.replace(/^sqlite:(\/\/)?/, '') : undefined;
  const dataDir =
    env.SWITCHBOARD_DATA_DIR || (sqlitePath && sqlitePath !== ':memory:' ? dirname(sqlitePath) : 'data');
  let encryption: Config['encryption'] = { key: randomBytes(32), previous: [], source: 'ephemeral' };
  if (live || env[ENCRYPTION_KEY_VAR] || !databaseUrl.endsWith(':memory:')) {
    const found = encryptionFromEnv(env, { mode: live ? 'live' : 'sandbox', dataDir });
    if ('problems' in found) problems.push(...found.problems);
    else encryption = found;
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    dataDir,
    cache,
    encryption,
    security,
    tracing,
    port,
    host,
    databaseUrl,
    redisUrl,
    mode: live ? 'live' : 'sandbox',
    sources,
    publicUrl,
    syncRulesOff,
    reconcileAt,
    currency,
    timeZone,
    schedule,
    deposits,
    outbox,
    outbound,
    upstream,
    redisPrefix,
    development: env.NODE_ENV === 'development',
  };
}

type IntReader = (name: string, fallback: number, min: number, max: number) => number;

function securityFromEnv(env: NodeJS.ProcessEnv, problems: string[], int: IntReader): Config['security'] {
  const jwtVars = ['SWITCHBOARD_JWT_ISSUER', 'SWITCHBOARD_JWT_AUDIENCE', 'SWITCHBOARD_JWT_JWKS_URL'] as const;
  const jwtSet = jwtVars.filter((name) => env[name]);
  let jwt: JwtSettings | undefined;
  if (jwtSet.length > 0 && jwtSet.length < jwtVars.length) {
    problems.push(
      `JWTs need all of ${jwtVars.join(', ')}; missing ${jwtVars.filter((n) => !env[n]).join(', ')}`,
    );
  } else if (jwtSet.length === jwtVars.length) {
    const jwksUrl = env.SWITCHBOARD_JWT_JWKS_URL!;
    try {
      const parsed = new URL(jwksUrl);
      if (parsed.protocol !== 'https:' && !['localhost', '127.0.0.1', '[::1]'].includes(parsed.hostname)) {
        problems.push(`SWITCHBOARD_JWT_JWKS_URL must be https:// (http only on localhost), got "${jwksUrl}"`);
      }
    } catch {
      problems.push(`SWITCHBOARD_JWT_JWKS_URL must be an absolute URL, got "${jwksUrl}"`);
    }
    jwt = {
      issuer: env.SWITCHBOARD_JWT_ISSUER!,
      audience: env.SWITCHBOARD_JWT_AUDIENCE!,
      jwksUrl,
      scopesClaim: env.SWITCHBOARD_JWT_SCOPES_CLAIM || 'scope',
      workspaceClaim: env.SWITCHBOARD_JWT_WORKSPACE_CLAIM || 'switchboard_workspace',
    };
  }
  const oidc = oidcFromEnv(env, problems, jwt);
  const corsOrigins: string[] = [];
  for (const raw of (env.SWITCHBOARD_CORS_ORIGINS ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean)) {
    const origin = normaliseOrigin(raw);
    if (!origin)
      problems.push(`SWITCHBOARD_CORS_ORIGINS takes origins like https://www.example.com, got "${raw}"`);
    else corsOrigins.push(origin);
  }
  const onOff = (name: string): boolean | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    if (/^(on|true|1)$/i.test(raw)) return true;
    if (/^(off|false|0)$/i.test(raw)) return false;
    problems.push(`${name} must be on or off, got "${raw}"`);
    return undefined;
  };
  const rate = (name: string, fallback: RateLimit | false): RateLimit | false => {
    const raw = env[name];
    if (!raw) return fallback;
    const parsed = parseRateLimit(raw);
    if (parsed === undefined) {
      problems.push(`${name} must be like 1200/min, 50/10s or off, got "${raw}"`);
      return fallback;
    }
    return parsed;
  };
  const optionalInt = (name: string, min: number, max: number) =>
    env[name] ? int(name, min, min, max) : undefined;
  const trustedProxies = (env.SWITCHBOARD_TRUSTED_PROXIES ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  try {
    createAddressResolver(trustedProxies);
  } catch (error) {
    problems.push((error as Error).message);
  }
  let trustedDocuments: Map<string, string> | undefined;
  if (env.SWITCHBOARD_TRUSTED_DOCUMENTS) {
    try {
      trustedDocuments = loadTrustedDocuments(env.SWITCHBOARD_TRUSTED_DOCUMENTS);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  let opsListen: Config['security']['opsListen'];
  if (env.SWITCHBOARD_OPS_LISTEN) {
    const match = /^(.+):(\d{1,5})$/.exec(env.SWITCHBOARD_OPS_LISTEN);
    if (!match || Number(match[2]) > 65_535) {
      problems.push(
        `SWITCHBOARD_OPS_LISTEN must be host:port, e.g. 127.0.0.1:9464, got "${env.SWITCHBOARD_OPS_LISTEN}"`,
      );
    } else opsListen = { host: match[1]!.replace(/^\[|\]$/g, ''), port: Number(match[2]) };
  }
  const limits = Object.fromEntries(
    Object.entries({
      maxDepth: optionalInt('SWITCHBOARD_MAX_DEPTH', 2, 100),
      maxAliases: optionalInt('SWITCHBOARD_MAX_ALIASES', 0, 1_000),
      maxTokens: optionalInt('SWITCHBOARD_MAX_TOKENS', 100, 100_000),
      maxDirectives: optionalInt('SWITCHBOARD_MAX_DIRECTIVES', 0, 1_000),
      maxCost: optionalInt('SWITCHBOARD_MAX_COST', 1, 100_000_000),
      maxResponseChars: optionalInt('SWITCHBOARD_MAX_RESPONSE_CHARS', 1_024, 1_000_000_000),
    }).filter(([, value]) => value !== undefined),
  ) as Partial<QueryLimits>;
  const sockets = Object.fromEntries(
    Object.entries({
      maxConnectionsPerCredential: optionalInt('SWITCHBOARD_WS_MAX_CONNECTIONS', 1, 100_000),
      maxSubscriptionsPerConnection: optionalInt('SWITCHBOARD_WS_MAX_SUBSCRIPTIONS', 1, 10_000),
      maxPendingPerAddress: optionalInt('SWITCHBOARD_WS_MAX_PENDING', 1, 100_000),
    }).filter(([, value]) => value !== undefined),
  ) as Partial<SocketLimits>;
  return {
    jwt,
    oidc,
    corsOrigins,
    introspection: onOff('SWITCHBOARD_INTROSPECTION'),
    trustedDocuments,
    limits,
    rateLimits: {
      perCredential: rate('SWITCHBOARD_RATE_LIMIT', { points: 1_200, durationSec: 60 }),
      perPublicAddress: rate('SWITCHBOARD_PUBLIC_RATE_LIMIT', { points: 60, durationSec: 60 }),
      perEnquiryAddress: rate('SWITCHBOARD_ENQUIRY_RATE_LIMIT', { points: 5, durationSec: 600 }),
    },
    sockets,
    opsListen,
    trustedProxies,
  };
}

/**
 * The console's "Sign in with <label>" (src/console/sign-in.ts): a client registered with the
 * identity provider whose tokens the hub already accepts (SWITCHBOARD_JWT_*), so it needs those too.
 */
function oidcFromEnv(
  env: NodeJS.ProcessEnv,
  problems: string[],
  jwt: JwtSettings | undefined,
): OidcSettings | undefined {
  const clientId = env.SWITCHBOARD_OIDC_CLIENT_ID || undefined;
  const clientSecret = env.SWITCHBOARD_OIDC_CLIENT_SECRET || undefined;
  if (!clientId) {
    if (clientSecret || env.SWITCHBOARD_OIDC_LABEL || env.SWITCHBOARD_OIDC_SCOPES)
      problems.push(
        'SWITCHBOARD_OIDC_CLIENT_SECRET, SWITCHBOARD_OIDC_LABEL and SWITCHBOARD_OIDC_SCOPES need SWITCHBOARD_OIDC_CLIENT_ID (the client registered with the identity provider for the console)',
      );
    return undefined;
  }
  if (!jwt) {
    problems.push(
      'SWITCHBOARD_OIDC_CLIENT_ID needs SWITCHBOARD_JWT_ISSUER, SWITCHBOARD_JWT_AUDIENCE and SWITCHBOARD_JWT_JWKS_URL: the console signs in with the tokens the hub accepts from that provider',
    );
    return undefined;
  }
  if (!secureEnough(jwt.issuer))
    problems.push(
      `SWITCHBOARD_JWT_ISSUER must be https:// (http only on localhost) for the console's sign-in, which reads its discovery document; got "${jwt.issuer}"`,
    );
  const label = env.SWITCHBOARD_OIDC_LABEL || hostOf(jwt.issuer);
  if (label.length > 60 || !/^[^<>\p{Cc}]+$/u.test(label))
    problems.push(
      `SWITCHBOARD_OIDC_LABEL must be at most 60 printable characters without < or >, got "${label}"`,
    );
  const asked = (env.SWITCHBOARD_OIDC_SCOPES || 'openid operator').split(/\s+/).filter(Boolean);
  if (asked.some((s) => !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s)))
    problems.push(
      `SWITCHBOARD_OIDC_SCOPES must be space-separated scope names (RFC 6749 §3.3), got "${env.SWITCHBOARD_OIDC_SCOPES}"`,
    );
  const scopes = [...new Set(['openid', ...asked])].join(' ');
  return { clientId, ...(clientSecret ? { clientSecret } : {}), label, scopes };
}

const hostOf = (url: string) => {
  try {
    return new URL(url).host;
  } catch {
    return 'your identity provider';
  }
};
