import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { GraphQLSchema } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Hub, Workspace } from '../hub.ts';
import type { Store } from '../store/store.ts';
import { createAuditLog, type AuditLog } from './audit.ts';
import {
  createAuthenticator,
  normaliseOrigin,
  type Authenticator,
  type Principal,
  type Refusal,
} from './authenticate.ts';
import { createJwtVerifier, type JwtSettings } from './jwt.ts';
import { createApiKeyRepository, type ApiKeyRepository, type KeyMode } from './keys.ts';
import { DEFAULT_QUERY_LIMITS, type QueryLimits } from './limits.ts';
import { isOperator, requestRecorder, securityPlugins, type RequestLine } from './plugins.ts';
import type { Metrics } from '../observability/metrics.ts';
import { createCallerLimits, type RateLimit } from './rate-limit.ts';
import {
  createAddressResolver,
  createRequestGuard,
  type AddressSource,
  type Caller,
  type RequestGuard,
} from './requests.ts';
import { readScopeCatalog, type ScopeCatalog } from './scopes.ts';
import { createSocketGuard, DEFAULT_SOCKET_LIMITS, type SocketGuard, type SocketLimits } from './sockets.ts';

/** Security settings, from the environment (src/config.ts) or a test. */
export interface SecuritySettings {
  /** False only in benchmarks that measure what authentication costs: every caller may do everything. */
  enabled?: boolean;
  /** Tokens from the business's identity provider. */
  jwt?: JwtSettings;
  /** Origins (besides publishable keys' own) whose pages may call the hub. */
  corsOrigins?: readonly string[];
  /** Introspection and "did you mean" suggestions: on in sandbox mode, off otherwise. */
  introspection?: boolean;
  /** Registered documents by sha256; when set, only these run (operators excepted). */
  trustedDocuments?: ReadonlyMap<string, string>;
  limits?: Partial<QueryLimits>;
  rateLimits?: {
    perCredential?: RateLimit | false;
    perPublicAddress?: RateLimit | false;
    authFailuresPerAddress?: RateLimit;
    /** `submitEnquiry` per visitor address (SWITCHBOARD_ENQUIRY_RATE_LIMIT). */
    perEnquiryAddress?: RateLimit | false;
  };
  sockets?: Partial<SocketLimits>;
  /** How long a key check is reused (revocation reaches every replica within it). Default 2 s. */
  keyCacheTtlMs?: number;
  /** Reverse proxies (IPs or CIDRs) whose `X-Forwarded-For` names the caller's address. */
  trustedProxies?: readonly string[];
}

export interface Security {
  /** `test` in sandbox mode; the mode of every key made here. */
  mode: KeyMode;
  keys: ApiKeyRepository;
  audit: AuditLog;
  catalog: ScopeCatalog;
  authenticator: Authenticator;
  guard: RequestGuard;
  sockets: SocketGuard;
  /**
   * The yoga plugins, in order. `answering` go after authentication, rate limits and the document
   * limits and before the scope and cost pass: they answer a query from an earlier one's result (the
   * response cache), which passed that pass for the same scopes, document and variables.
   */
  plugins(answering?: Plugin[]): Plugin[];
  /** Yoga's CORS option: the configured origins and every active publishable key's. */
  cors(request: Request): Promise<false | Record<string, unknown>>;
  /** The query limits in force (depth, cost, response size…). */
  limits: QueryLimits;
  /** Writes a GraphQL request's log line and counts it in the metrics (for requests answered outside yoga). */
  recordRequest(line: RequestLine): void;
  /** Whether a browser page on `origin` may call the hub (CORS and WebSocket upgrades). */
  originAllowed(origin: string, host: string | undefined): Promise<boolean>;
  /**
   * Counts a request from `address` to a route that needs no credential but does work (the console's
   * sign-in); a refusal (429) past the per-address limit. Failed sign-in attempts should also go
   * through `failedAttempt`. Never throws.
   */
  limitAnonymous(address: string): Promise<Refusal | undefined>;
  /** Counts an enquiry from the address (`submitEnquiry`); a refusal when it sent too many. */
  limitEnquiry(address: string): Promise<Refusal | undefined>;
  /** Counts a failed attempt from `address` (a forged or replayed sign-in value) as a failed authentication. */
  failedAttempt(address: string): Promise<Refusal | undefined>;
  /** The caller's address from a node:http request, through trusted proxies. */
  addressOf(source: AddressSource | undefined): string;
  /**
   * Whether a document may run for `caller` in trusted-documents mode (always, when the mode is off;
   * for operators; or when the text is a registered document). For graphql-ws, where yoga's
   * persisted-operations plugin does not apply.
   */
  trustedDocument(query: string, caller: Caller | undefined): boolean;
  /**
   * Whether the caller may send a document as text over HTTP: trusted-documents mode is off, or it
   * is an operator. Otherwise yoga takes only registered ids, and so does every shortcut before it.
   */
  sendsAnyText(caller: Caller): boolean;
  /** The caller everything is allowed to when security is off (benchmarks only). */
  unrestricted?: Principal;
  /** Called after a key is revoked here: drops cached checks and closes its sockets on this replica. */
  revoked(keyId: string): void;
  /** Called after a key is made here: a publishable key's origins are allowed at once on this replica. */
  created(): void;
  close(): Promise<void>;
}

const CORS_HEADERS = [
  'authorization',
  'content-type',
  'accept',
  'idempotency-key',
  'x-switchboard-workspace',
];

export function createSecurity(options: {
  store: Store;
  schema: GraphQLSchema;
  mode: KeyMode;
  workspaces: ReadonlyMap<string, Workspace>;
  /** Serves a workspace made on another replica that the bus has not announced here yet. */
  learnWorkspace?: (id: string) => Promise<void>;
  defaultWorkspace: string;
  logger: Logger;
  /** GraphQL request counts, durations and errors go here (`switchboard_graphql_*`). */
  metrics?: Metrics;
  redis?: Redis;
  redisPrefix?: string;
  settings?: SecuritySettings;
}): Security {
  const { store, schema, mode, workspaces, logger, settings = {} } = options;
  const catalog = readScopeCatalog(schema);
  const keys = createApiKeyRepository(store.db);
  const audit = createAuditLog(store.db, { logger });
  const authenticator = createAuthenticator({
    keys,
    mode,
    catalog,
    jwt: settings.jwt ? createJwtVerifier(settings.jwt) : undefined,
    defaultWorkspace: options.defaultWorkspace,
    cacheTtlMs: settings.keyCacheTtlMs,
    logger,
  });
  const limits = createCallerLimits({
    perCredential: settings.rateLimits?.perCredential ?? { points: 1_200, durationSec: 60 },
    perPublicAddress: settings.rateLimits?.perPublicAddress ?? { points: 60, durationSec: 60 },
    authFailuresPerAddress: settings.rateLimits?.authFailuresPerAddress ?? { points: 30, durationSec: 60 },
    perEnquiryAddress: settings.rateLimits?.perEnquiryAddress,
    redis: options.redis,
    redisPrefix: options.redisPrefix,
  });
  const enabled = settings.enabled !== false;
  const unrestricted: Principal | undefined = enabled
    ? undefined
    : {
        kind: 'secret_key',
        actor: 'unauthenticated',
        workspaces: [...workspaces.keys()],
        scopes: new Set(catalog.all),
        expiresAt: null,
      };
  const realGuard = createRequestGuard({
    authenticator,
    limits,
    audit,
    workspaces,
    learnWorkspace: options.learnWorkspace,
  });
  const guard: RequestGuard = unrestricted
    ? {
        check: async ({ headers }) => {
          const workspace = workspaces.get(
            headers.get('x-switchboard-workspace') ?? options.defaultWorkspace,
          );
          return workspace
            ? { ok: true, caller: { principal: unrestricted, workspace, address: 'local', origin: null } }
            : {
                ok: false,
                refusal: {
                  status: 403,
                  code: 'FORBIDDEN',
                  reason: 'WORKSPACE_NOT_SERVED',
                  message: 'Unknown workspace.',
                },
              };
        },
      }
    : realGuard;

  const queryLimits: QueryLimits = { ...DEFAULT_QUERY_LIMITS, ...settings.limits };
  const recordRequest = requestRecorder(logger, options.metrics);
  const trusted = settings.trustedDocuments && new Set(settings.trustedDocuments.keys());
  /** Trusted-documents mode is off, or the caller is an operator: any text may run. */
  const sendsAnyText = (caller: Caller | undefined) => !trusted || isOperator(caller);
  const addressOf = createAddressResolver(settings.trustedProxies);
  const configured = new Set(
    (settings.corsOrigins ?? []).map((o) => normaliseOrigin(o)).filter((o): o is string => !!o),
  );
  let publishable: { at: number; origins: Set<string> } = { at: 0, origins: new Set() };
  const publishableOrigins = async () => {
    if (Date.now() - publishable.at < 10_000) return publishable.origins;
    const active = await keys.list({ kind: 'publishable', includeInactive: false, first: 1_000_000 });
    publishable = { at: Date.now(), origins: new Set(active.flatMap((k) => k.allowedOrigins)) };
    return publishable.origins;
  };
  const originAllowed = async (origin: string, host: string | undefined) => {
    const normal = normaliseOrigin(origin);
    if (!normal) return false;
    if (host && new URL(normal).host === host) return true;
    return configured.has(normal) || (await publishableOrigins()).has(normal);
  };

  const sockets = createSocketGuard({
    guard,
    keys,
    audit,
    logger,
    limits: { ...DEFAULT_SOCKET_LIMITS, ...settings.sockets },
    callerLimits: limits,
    originAllowed,
    addressOf,
  });
  const security: Security = {
    mode,
    keys,
    audit,
    catalog,
    authenticator,
    guard,
    sockets,
    plugins: (answering) =>
      securityPlugins({
        guard,
        addressOf,
        audit,
        logger,
        limits: queryLimits,
        introspection: settings.introspection ?? mode === 'test',
        trustedDocuments: settings.trustedDocuments,
        scopes: enabled,
        answering,
        recordRequest,
      }),
    async cors(request) {
      const origin = request.headers.get('origin');
      if (!origin || !(await originAllowed(origin, undefined))) return false;
      return {
        origin: [origin],
        credentials: false,
        methods: ['GET', 'POST'],
        allowedHeaders: CORS_HEADERS,
        maxAge: 600,
      };
    },
    limits: queryLimits,
    recordRequest,
    limitAnonymous: (address) => limits.anonymous(address),
    limitEnquiry: (address) => limits.enquiry(address),
    failedAttempt: (address) => limits.failed(address),
    originAllowed,
    addressOf,
    sendsAnyText,
    trustedDocument(query, caller) {
      if (!trusted || sendsAnyText(caller)) return true; // `!trusted` for the type: sendsAnyText covers it
      return trusted.has(createHash('sha256').update(query).digest('hex'));
    },
    unrestricted,
    revoked(keyId) {
      authenticator.forget();
      publishable = { at: 0, origins: new Set() };
      sockets.revoked(keyId);
    },
    created() {
      publishable = { at: 0, origins: new Set() };
    },
    async close() {
      sockets.stop();
      await audit.close();
    },
  };
  return security;
}

export type { Principal } from './authenticate.ts';
export type { Caller };

/**
 * The security layer for a hub assembled by hand (tests, benchmarks), with a secret key holding
 * every scope for each of its workspaces. Callers' rate limits are off unless `settings` sets them.
 */
export async function secureHub(
  hub: Hub,
  options: { schema: GraphQLSchema; mode?: KeyMode; settings?: SecuritySettings },
): Promise<{ security: Security; keys: Map<string, string> }> {
  const mode = options.mode ?? 'test';
  const security = createSecurity({
    store: hub.store,
    schema: options.schema,
    mode,
    workspaces: hub.workspaces,
    defaultWorkspace: hub.defaultWorkspace.id,
    logger: hub.logger,
    metrics: hub.metrics,
    settings: { rateLimits: { perCredential: false, perPublicAddress: false }, ...options.settings },
  });
  const keys = new Map<string, string>();
  for (const workspace of hub.workspaces.keys()) {
    const { text } = await security.keys.create({
      workspace,
      kind: 'secret',
      mode,
      name: 'every scope',
      scopes: security.catalog.all,
    });
    keys.set(workspace, text);
  }
  return { security, keys };
}
