import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Tracer } from '@opentelemetry/api';
import type { WorkspaceSources } from './hub.ts';
import type { Metrics } from './observability/metrics.ts';
import type { SourceStateRepository } from './store/source-state.ts';
import type { AnySourceModule, Role, SandboxEndpoint } from './domain/source-module.ts';
import { ROLES } from './domain/source-module.ts';
import { createRetryPolicy, type RetryOptions } from './upstream/retry.ts';
import { createCircuitBreaker, type BreakerOptions } from './upstream/breaker.ts';
import { createRateBudget, type BudgetBackend, type RateLimits } from './upstream/rate-budget.ts';
import type { UpstreamPolicy, VendorLimits } from './upstream/policy.ts';
import type { TokenProvider } from './upstream/oauth.ts';
import { moduleById } from '../sources/registry.ts';
import type { Connections } from './connections/connections.ts';

/**
 * Connecting a workspace's bound adapters: one module per role (the registry,
 * `sources/registry.ts`), each given its settings and the upstream policy the hub builds for it
 * (rate budget, circuit breaker, retries, token lineage in the store). Nothing here knows a vendor.
 */

/** One role's adapter and its settings (from the environment or from a sandbox). */
export interface SourceBinding {
  module: AnySourceModule;
  settings: unknown;
  /** Webhook settings; undefined when this workspace takes no webhooks from the vendor. */
  webhooks?: unknown;
}

export type SourceBindings = Record<Role, SourceBinding>;

export interface ConnectOptions {
  workspace: string;
  metrics?: Metrics;
  /**
   * Where rotated OAuth refresh tokens are kept across restarts. Leave it out for in-process
   * sandboxes: they start afresh each run, and a token rotated by the last run means nothing to them.
   */
  state?: SourceStateRepository;
  /** Per-call timeout for every vendor (default 10 s) … */
  timeoutMs?: number;
  /** … or per system (module id). */
  timeouts?: Partial<Record<string, number>>;
  /** The business's time zone (IANA); default Europe/London. */
  timeZone?: string;
  /** Retries of safe upstream calls, each source with a budget of its own; false turns them off. */
  retry?: RetryOptions | false;
  /**
   * Rate budgets: the vendors' published limits unless overridden per system; false turns them off
   * (sandboxes started with relaxed limits).
   */
  limits?: Partial<Record<string, Partial<RateLimits>>> | false;
  /** Where budgets are counted: in this process by default, Redis (shared by replicas) when given. */
  budgetBackend?: () => BudgetBackend;
  /** Circuit breaker settings; false turns the breaker off. */
  breaker?: BreakerOptions | false;
  /** Breaker state changes are logged here. */
  logger?: Logger;
  /** Spans of every vendor call, when tracing is on (`SWITCHBOARD_OTEL_ENDPOINT`). */
  tracer?: Tracer;
  /** Connections made from the console: they override the bindings' credentials (src/connections/). */
  connections?: Connections;
  /**
   * Asked before every vendor call; throws to refuse it. A workspace made at run time refuses calls
   * to a system not connected from the console, whatever credentials its settings carry.
   */
  admit?: (system: string) => Promise<void>;
}

export interface ConnectedSources {
  sources: WorkspaceSources;
  /** The OAuth token providers, by role, of the adapters that have one. */
  tokens: Partial<Record<Role, TokenProvider>>;
}

export function connectSources(bindings: SourceBindings, options: ConnectOptions): ConnectedSources {
  const sources: Partial<Record<Role, unknown>> = {};
  const tokens: Partial<Record<Role, TokenProvider>> = {};
  for (const role of ROLES) {
    const connected = connectSource(role, bindings[role], options);
    sources[role] = connected.source;
    if (connected.token) tokens[role] = connected.token;
  }
  return { sources: sources as WorkspaceSources, tokens };
}

/** One role's adapter: its upstream policy (budget, breaker, retries), credentials and connection. */
export function connectSource<R extends Role>(
  role: R,
  binding: SourceBinding,
  options: ConnectOptions,
): { source: WorkspaceSources[R]; token?: TokenProvider } {
  const { metrics, state, workspace, connections, timeZone = 'Europe/London' } = options;
  const { module, settings } = binding;
  if (module.role !== role)
    throw new Error(`${module.label} is a ${module.role} adapter and cannot be bound as ${role}`);
  const policy = (system: string, vendor: VendorLimits, token?: TokenProvider): UpstreamPolicy => {
    const budget =
      options.limits === false
        ? undefined
        : createRateBudget(`${workspace}:${system}`, {
            source: system,
            ...vendor,
            ...options.limits?.[system],
            backend: options.budgetBackend?.(),
          });
    const breaker =
      options.breaker === false
        ? undefined
        : createCircuitBreaker({
            ...options.breaker,
            onStateChange: (breakerState) => {
              const log = breakerState === 'closed' ? options.logger?.info : options.logger?.warn;
              log?.call(
                options.logger,
                { workspace, source: system, breaker: breakerState },
                breakerState === 'open'
                  ? `${system} is failing: calls fail fast (stale data where cached) until a probe succeeds`
                  : breakerState === 'half_open'
                    ? `${system}: probing whether it has recovered`
                    : `${system} has recovered: calls go through again`,
              );
            },
          });
    return {
      retry: options.retry === false ? undefined : createRetryPolicy(options.retry),
      budget,
      breaker,
      observe: budget && vendor.observe ? (headers) => vendor.observe?.(headers, budget) : undefined,
      token: token ? () => token.state() : undefined,
      admit: options.admit ? () => options.admit!(system) : undefined,
      tracer: options.tracer,
    };
  };
  const connected = module.connect(settings, {
    workspace,
    timeZone,
    timeoutMs: options.timeouts?.[module.id] ?? options.timeoutMs,
    metrics,
    policy: (limits, token) => policy(module.id, limits, token),
    // Rotated refresh tokens (and the access token and refresh lease replicas share) are stored
    // under the configured refresh token they descend from, so setting a new token in the
    // environment (after reconnecting) is not overridden by an older stored rotation.
    tokenStore: (configured) => {
      const stored = state?.tokenStore(
        workspace,
        module.id,
        createHash('sha256').update(configured).digest('hex').slice(0, 16),
      );
      return connections ? connections.tokenStore(workspace, module.id, stored) : stored;
    },
    apiKey: connections
      ? (configured) => () => connections.apiKey(workspace, module.id, configured)
      : undefined,
  });
  const token = connected.token;
  if (token) connections?.onChange(workspace, module.id, () => token.reset());
  connections?.bind(workspace, module, settings);
  return { source: connected.source as WorkspaceSources[R], token };
}

/** A running sandbox of one vendor, as a client sees it: address, credentials and which system it is. */
export interface BoundSandbox extends SandboxEndpoint {
  /** The module id (`xero`), so settings can be read from it. */
  system: string;
}

export type SandboxEndpoints = Record<Role, BoundSandbox>;

function sandboxModule(role: Role, sandbox: BoundSandbox): AnySourceModule {
  const module = moduleById(sandbox.system);
  if (!module) throw new Error(`no source module "${sandbox.system}" for the ${role} sandbox`);
  return module;
}

/** Bindings that point every adapter at running sandboxes (settings and webhooks from each). */
export function sandboxBindings(sandboxes: SandboxEndpoints): SourceBindings {
  return Object.fromEntries(
    ROLES.map((role) => {
      const module = sandboxModule(role, sandboxes[role]);
      return [
        role,
        {
          module,
          settings: module.settings.fromSandbox(sandboxes[role]),
          webhooks: module.webhooks?.fromSandbox(sandboxes[role]),
        },
      ];
    }),
  ) as SourceBindings;
}

/** The environment that points a live-mode hub at running sandboxes (tests start hubs so). */
export function sandboxEnv(sandboxes: SandboxEndpoints): Record<string, string> {
  return Object.assign(
    {},
    ...ROLES.map((role) => {
      const module = sandboxModule(role, sandboxes[role]);
      return {
        [`SWITCHBOARD_${role.toUpperCase()}`]: module.id,
        ...module.settings.envFromSandbox(sandboxes[role]),
      };
    }),
  ) as Record<string, string>;
}
