import type { VendorSettings } from './config.ts';
import type { WebhookSettings } from './webhooks/connect.ts';
import type { WorkspaceSources } from './hub.ts';
import type { Metrics } from './observability/metrics.ts';
import type { SourceStateRepository } from './store/source-state.ts';
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { SourceName } from './domain/model.ts';
import { createRetryPolicy, type RetryOptions } from './upstream/retry.ts';
import { createCircuitBreaker, type BreakerOptions } from './upstream/breaker.ts';
import { createRateBudget, type BudgetBackend, type RateLimits } from './upstream/rate-budget.ts';
import type { UpstreamPolicy, VendorLimits } from './upstream/policy.ts';
import { XERO_LIMITS } from '../sources/xero/limits.ts';
import { HUBSPOT_LIMITS } from '../sources/hubspot/limits.ts';
import { stripeLimits } from '../sources/stripe/limits.ts';
import { GOOGLE_CALENDAR_LIMITS } from '../sources/google-calendar/limits.ts';
import { createOAuthTokenProvider, type RefreshTokenStore, type TokenProvider } from './upstream/oauth.ts';
import { createHubspotSource, type HubspotSource } from '../sources/hubspot/source.ts';
import { createStripeSource, type StripeSource } from '../sources/stripe/source.ts';
import { createGoogleCalendarSource, type GoogleCalendarSource } from '../sources/google-calendar/source.ts';
import { createXeroSource } from '../sources/xero/source.ts';

/**
 * The one place that picks an adapter per domain. Swapping a vendor (QuickBooks for Xero, say)
 * changes its folder and one line here.
 */
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
  /** … or per vendor. */
  timeouts?: Partial<Record<SourceName, number>>;
  /** The business's time zone (IANA); default Europe/London. */
  timeZone?: string;
  /** Retries of safe upstream calls, each source with a budget of its own; false turns them off. */
  retry?: RetryOptions | false;
  /**
   * Rate budgets: the vendors' published limits unless overridden per source; false turns them off
   * (sandboxes started with relaxed limits).
   */
  limits?: Partial<Record<SourceName, Partial<RateLimits>>> | false;
  /** Where budgets are counted: in this process by default, Redis (shared by replicas) when given. */
  budgetBackend?: () => BudgetBackend;
  /** Circuit breaker settings; false turns the breaker off. */
  breaker?: BreakerOptions | false;
  /** Breaker state changes are logged here. */
  logger?: Logger;
}

/**
 * Rotated refresh tokens (and the access token and refresh lease replicas share) are stored under
 * the configured refresh token they descend from, so setting a new token in the environment (after
 * reconnecting) is not overridden by an older stored rotation.
 */
function refreshTokenStore(
  state: SourceStateRepository | undefined,
  workspace: string,
  system: 'xero' | 'google_calendar',
  configured: string,
): RefreshTokenStore | undefined {
  if (!state) return undefined;
  const lineage = createHash('sha256').update(configured).digest('hex').slice(0, 16);
  return state.tokenStore(workspace, system, lineage);
}

export interface ConnectedSources {
  /** The adapters, with their vendor-only extras (webhook registration) visible to the wiring. */
  sources: WorkspaceSources & { crm: HubspotSource; payments: StripeSource; calendar: GoogleCalendarSource };
  tokens: { xero: TokenProvider; googleCalendar?: TokenProvider };
}

export function connectSources(vendors: VendorSettings, options: ConnectOptions): ConnectedSources {
  const { metrics, state, workspace, timeZone = 'Europe/London' } = options;
  const timeout = (source: SourceName) => options.timeouts?.[source] ?? options.timeoutMs;
  const policy = (source: SourceName, vendor: VendorLimits, token?: TokenProvider): UpstreamPolicy => {
    const budget =
      options.limits === false
        ? undefined
        : createRateBudget(`${workspace}:${source}`, {
            source,
            ...vendor,
            ...options.limits?.[source],
            backend: options.budgetBackend?.(),
          });
    const breaker =
      options.breaker === false
        ? undefined
        : createCircuitBreaker({
            ...options.breaker,
            onStateChange: (state) => {
              const log = state === 'closed' ? options.logger?.info : options.logger?.warn;
              log?.call(
                options.logger,
                { workspace, source, breaker: state },
                state === 'open'
                  ? `${source} is failing: calls fail fast (stale data where cached) until a probe succeeds`
                  : state === 'half_open'
                    ? `${source}: probing whether it has recovered`
                    : `${source} has recovered: calls go through again`,
              );
            },
          });
    return {
      retry: options.retry === false ? undefined : createRetryPolicy(options.retry),
      budget,
      breaker,
      observe: budget && vendor.observe ? (headers) => vendor.observe?.(headers, budget) : undefined,
      token: token ? () => token.state() : undefined,
    };
  };
  const xeroTokens = createOAuthTokenProvider({
    source: 'xero',
    tokenUrl: `${vendors.xero.identityUrl}/connect/token`,
    clientId: vendors.xero.clientId,
    clientSecret: vendors.xero.clientSecret,
    refreshToken: vendors.xero.refreshToken,
    store: refreshTokenStore(state, workspace, 'xero', vendors.xero.refreshToken),
  });
  const google = vendors.googleCalendar;
  const googleTokens = google.oauth
    ? createOAuthTokenProvider({
        source: 'google_calendar',
        ...google.oauth,
        store: refreshTokenStore(state, workspace, 'google_calendar', google.oauth.refreshToken),
      })
    : undefined;
  return {
    sources: {
      crm: createHubspotSource({
        ...vendors.hubspot,
        timeZone,
        timeoutMs: timeout('hubspot'),
        metrics,
        policy: policy('hubspot', HUBSPOT_LIMITS),
      }),
      payments: createStripeSource({
        ...vendors.stripe,
        timeoutMs: timeout('stripe'),
        metrics,
        policy: policy('stripe', stripeLimits(vendors.stripe.apiKey)),
      }),
      calendar: createGoogleCalendarSource({
        baseUrl: google.baseUrl,
        calendarId: google.calendarId,
        timeZone,
        ...(googleTokens
          ? { getAccessToken: () => googleTokens.getAccessToken() }
          : { accessToken: google.accessToken ?? '' }),
        timeoutMs: timeout('google_calendar'),
        metrics,
        policy: policy('google_calendar', GOOGLE_CALENDAR_LIMITS, googleTokens),
      }),
      accounting: createXeroSource({
        baseUrl: vendors.xero.baseUrl,
        tenantId: vendors.xero.tenantId,
        getAccessToken: () => xeroTokens.getAccessToken(),
        onUnauthorized: () => xeroTokens.invalidate(),
        timeoutMs: timeout('xero'),
        metrics,
        policy: policy('xero', XERO_LIMITS, xeroTokens),
      }),
    },
    tokens: { xero: xeroTokens, googleCalendar: googleTokens },
  };
}

/** What a client needs of a running sandbox: in-process (`startSandboxes`) or in another process. */
export interface SandboxEndpoint {
  name: string;
  url: string;
  credentials: Record<string, string>;
}

export interface SandboxEndpoints {
  stripe: SandboxEndpoint;
  hubspot: SandboxEndpoint;
  googleCalendar: SandboxEndpoint;
  xero: SandboxEndpoint;
}

const cred = (sandbox: SandboxEndpoint, key: string): string => {
  const value = sandbox.credentials[key];
  if (!value) throw new Error(`the ${sandbox.name} sandbox did not publish its "${key}" credential`);
  return value;
};

/** Vendor settings that point every adapter at the in-process sandboxes. */
export function sandboxVendorSettings(sandboxes: SandboxEndpoints): VendorSettings {
  return {
    hubspot: {
      baseUrl: sandboxes.hubspot.url,
      accessToken: cred(sandboxes.hubspot, 'accessToken'),
      portalId: sandboxes.hubspot.credentials.portalId,
    },
    stripe: { baseUrl: sandboxes.stripe.url, apiKey: cred(sandboxes.stripe, 'apiKey') },
    googleCalendar: {
      baseUrl: sandboxes.googleCalendar.url,
      calendarId: cred(sandboxes.googleCalendar, 'calendarId'),
      accessToken: cred(sandboxes.googleCalendar, 'accessToken'),
    },
    xero: {
      baseUrl: sandboxes.xero.url,
      identityUrl: sandboxes.xero.url,
      clientId: cred(sandboxes.xero, 'clientId'),
      clientSecret: cred(sandboxes.xero, 'clientSecret'),
      refreshToken: cred(sandboxes.xero, 'refreshToken'),
      tenantId: cred(sandboxes.xero, 'tenantId'),
    },
  };
}

/** Webhook settings that have the in-process sandboxes sign and deliver to this hub. */
export function sandboxWebhookSettings(sandboxes: SandboxEndpoints): WebhookSettings {
  return {
    stripe: { register: true },
    hubspot: {
      clientSecret: cred(sandboxes.hubspot, 'clientSecret'),
      app: {
        developerApiKey: cred(sandboxes.hubspot, 'developerApiKey'),
        appId: cred(sandboxes.hubspot, 'appId'),
      },
    },
    googleCalendar: { register: true },
    xero: { webhookKey: cred(sandboxes.xero, 'webhookKey'), sandboxUrl: sandboxes.xero.url },
  };
}
