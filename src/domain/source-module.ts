import type { Logger } from 'pino';
import type { Metrics } from '../observability/metrics.ts';
import type { VendorLimits, UpstreamPolicy } from '../upstream/policy.ts';
import type { ExchangedTokens, RefreshTokenStore, TokenProvider } from '../upstream/oauth.ts';
import type { Connected } from '../upstream/client.ts';
import type { SourceStateRepository } from '../store/source-state.ts';
import type { VendorSandbox, VendorSandboxOptions } from '../sandbox/types.ts';
import type { SeedBusiness } from '../sandbox/seed/business.ts';
import type { BooksKit } from '../sandbox/books.ts';
import type { ChannelRegistry, InboxEventInput, WebhookVerifier } from '../webhooks/types.ts';
import type { AccountingSource, CalendarSource, CrmSource, PaymentsSource } from './ports.ts';
import type { VendorConnections } from './connections.ts';

/**
 * The four roles a business's systems play. The core speaks only of roles; which vendor plays each
 * is data (the registry, `sources/registry.ts`, and each workspace's bindings).
 */
export type Role = 'crm' | 'calendar' | 'payments' | 'accounting';
export const ROLES: readonly Role[] = ['crm', 'calendar', 'payments', 'accounting'];

/** The port each role's adapter implements. */
export interface PortOf {
  crm: CrmSource;
  calendar: CalendarSource;
  payments: PaymentsSource;
  accounting: AccountingSource;
}

/** What `connect()` gets from the hub: the policy pieces it builds per workspace and vendor. */
export interface ConnectContext {
  workspace: string;
  timeZone: string;
  timeoutMs?: number;
  metrics?: Metrics;
  /** The upstream policy (budget, breaker, retries) for this vendor, given its limits and token. */
  policy(limits: VendorLimits, token?: TokenProvider): UpstreamPolicy;
  /**
   * Where a rotating OAuth refresh token is kept (per workspace, vendor and the configured token it
   * descends from); undefined when nothing outlives the process (in-process sandboxes).
   */
  tokenStore(configuredRefreshToken: string): RefreshTokenStore | undefined;
  /**
   * The API key to use now: one connected from the console (or a "not connected" error after a
   * disconnect), else `configured`. Modules with a fixed key read it per call through this.
   */
  apiKey?(configured: string): () => Promise<string>;
}

/** A connected adapter, with the OAuth token provider operators see the state of (if any). */
export interface ConnectedSource<R extends Role> {
  source: PortOf[R] & Connected;
  token?: TokenProvider;
}

/** What a running sandbox publishes: its address and the credentials it accepts. */
export interface SandboxEndpoint {
  name: string;
  url: string;
  credentials: Record<string, string>;
}

/** What a module's webhook registration may use. */
export interface WebhookContext<S, R extends Role> {
  workspace: string;
  settings: S;
  source: PortOf[R] & Connected;
  /** Per workspace and vendor, shared by replicas; secrets in it are sealed. */
  state: SourceStateRepository;
  /** Push channels (Google-style notifications that carry no signature of their own). */
  channels: {
    registry: ChannelRegistry;
    save(channel: {
      channelId: string;
      token: string;
      resourceId: string | null;
      expiresAt: Date;
    }): Promise<void>;
    current(): Promise<{ channelId: string; resourceId: string | null; expiresAt: Date } | null>;
    remove(channelId: string): Promise<void>;
  };
  /**
   * Stores events the module found itself (a change-data-capture catch-up after downtime) in the
   * inbox, as if they had arrived by webhook: deduplicated by event id, then processed the same way.
   */
  enqueue(events: InboxEventInput[]): Promise<void>;
  logger: Logger;
}

/**
 * A vendor's webhooks: where they arrive, how a delivery is checked, and how the hub subscribes.
 * Settings are the module's own (`WebhookSettingsOf`): from the environment in live mode, from the
 * sandbox in sandbox mode; absent means the vendor's webhooks are not taken (404).
 */
export interface SourceWebhooks<S, W, R extends Role> {
  /** `/webhooks/<path>`. */
  path: string;
  fromEnv(env: NodeJS.ProcessEnv, options: { publicUrl?: string }): W | undefined;
  fromSandbox(sandbox: SandboxEndpoint): W;
  /** Checks deliveries; must not throw for bad input (see `WebhookVerifier`). */
  verifier(webhooks: W, context: Omit<WebhookContext<S, R>, 'logger'>): WebhookVerifier;
  /**
   * Subscribes this hub at `publicUrl` where the vendor allows it (or its sandbox does), and keeps the
   * subscription alive; returns how to stop renewing. Failures are the caller's to log: a vendor whose
   * registration failed sends no webhooks until it is fixed.
   */
  register?(webhooks: W, publicUrl: string, context: WebhookContext<S, R>): Promise<(() => void) | void>;
}

/**
 * One vendor, as the registry lists it: everything the hub needs to configure, connect, receive
 * webhooks from and sandbox that vendor, so adding one is a folder and a registry line
 * (`sources/_template/CHECKLIST.md`).
 */
/**
 * Connecting the vendor from the console through its OAuth consent (authorization-code flow).
 * The hub makes the state and stores the tokens; the module knows the vendor's URLs and scopes.
 */
export interface SourceConsent<S> {
  /** The vendor's authorization endpoint with the query: client, scopes, redirect URI and state. */
  authorizeUrl(settings: S, request: { redirectUri: string; state: string }): string;
  /**
   * Exchanges the callback's code (the callback's whole query is given: QuickBooks adds `realmId`).
   * Throws `CodeExchangeError` with a message for the page when the vendor refuses.
   */
  exchange(
    settings: S,
    callback: {
      code: string;
      redirectUri: string;
      query: URLSearchParams;
      /**
       * A workspace made at run time takes whichever account was chosen on the consent page, so the
       * module must not refuse one that differs from its settings' (see `account`).
       */
      anyAccount?: boolean;
    },
  ): Promise<ExchangedTokens>;
  /**
   * Vendors whose grant is for one account among several (Xero's organisations, QuickBooks'
   * companies) and whose adapter is built for that account. Without it the tokens are the account.
   */
  account?: {
    /** Which account the new tokens are for: the one the user chose on the consent page. */
    chosen(
      settings: S,
      tokens: ExchangedTokens,
      query: URLSearchParams,
    ): Promise<{ id: string; name?: string }>;
    /** The settings of an adapter for that account. */
    apply(settings: S, accountId: string): S;
  };
}

/** Connecting the vendor with an API key pasted in the console (Stripe's restricted keys). */
export interface SourceKeyConnect<S> {
  /** Why a key is malformed (wrong prefix), or undefined. */
  check(key: string): string | undefined;
  /** One real call with the key; throws `CodeExchangeError` with the vendor's reason when refused. */
  verify(settings: S, key: string): Promise<void>;
}

export interface SourceModule<R extends Role = Role, S = unknown, W = unknown> {
  /** The system's id: link rows, metrics labels, `SourceLink.system` (upper-cased), step systems. */
  id: string;
  role: R;
  /** For people: `Xero`. */
  label: string;
  /** One line for the `SourceSystem` enum: what the business keeps there. */
  description: string;
  /** The vendor's own UI, for the README. */
  website: string;
  settings: {
    /** Variables whose presence means "connect to the real vendor" (live mode). */
    credentialVars: readonly string[];
    /** Reads and checks this vendor's settings; problems name the variable to fix. */
    fromEnv(env: NodeJS.ProcessEnv): { settings: S } | { problems: string[] };
    /** Settings that point the adapter at a running sandbox of this vendor. */
    fromSandbox(sandbox: SandboxEndpoint): S;
    /** The same as environment variables, for a live-mode hub started against the sandbox (tests). */
    envFromSandbox(sandbox: SandboxEndpoint): Record<string, string>;
    /** The variables, for the README's table: name, default, meaning. */
    variables: ReadonlyArray<{ name: string; default?: string; meaning: string }>;
  };
  /** The vendor's published rate limits (per settings: Stripe's differ for test keys). */
  limits(settings: S): VendorLimits;
  connect(settings: S, context: ConnectContext): ConnectedSource<R>;
  /** Present when the console can connect the vendor through its OAuth consent. */
  consent?: SourceConsent<S>;
  /** Present when the console can connect the vendor with a pasted API key. */
  keyConnect?: SourceKeyConnect<S>;
  webhooks?: SourceWebhooks<S, W, R>;
  /**
   * How the vendor's records, writes, webhooks and limits connect to the hub, for the connection map
   * (`docs/CONNECTIONS.md`); `src/graph/connection-map.spec.ts` requires it of every registered module.
   */
  connections?: VendorConnections<R>;
  sandbox: {
    /** Port for `npm run sandbox` (a stable address for a hub started separately). */
    port: number;
    start(
      options: VendorSandboxOptions & { business: SeedBusiness; relaxed?: boolean },
    ): Promise<VendorSandbox>;
    /**
     * The ids the seed business's records have in this vendor's sandbox (by seed key), so tests and
     * cross-references can name them whichever vendor plays the role.
     */
    seedIds(business: SeedBusiness): SeedIds;
    /**
     * Where to inject a fault to break one kind of call in this vendor's sandbox (tests): by the
     * port's method name (`createContact`, `createInvoice`, …), plus `token` (the OAuth token
     * endpoint) and `api` (every API call).
     */
    faults: Readonly<Record<string, FaultTarget>>;
    /**
     * Accounting modules: how the end-to-end suite reads the books over the vendor's own API and
     * makes and retires OAuth grants (`sources/<id>/sandbox/books.ts`). Loaded on demand: test code.
     */
    books?: () => Promise<BooksKit>;
  };
}

/** Seed keys → this vendor's ids; a role's sandbox fills what it holds. */
export interface SeedIds {
  /** Customer key → the person's id (contact, customer). */
  people?: ReadonlyMap<string, string>;
  /** Invoice key → invoice id. */
  invoices?: ReadonlyMap<string, string>;
  /** Order key → payment id. */
  orders?: ReadonlyMap<string, string>;
  /** Booking key → event id. */
  bookings?: ReadonlyMap<string, string>;
}

/** A sandbox fault's selector (`POST /__sandbox/faults`): operation names and/or a path prefix. */
export interface FaultTarget {
  operations?: string[];
  pathPrefix?: string;
}

export type AnySourceModule = SourceModule<Role, any, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
