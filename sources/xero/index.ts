import type { SourceModule } from '../../src/domain/source-module.ts';
import { createEnvReader, credential } from '../../src/env.ts';
import {
  CodeExchangeError,
  createOAuthTokenProvider,
  exchangeAuthorizationCode,
  type ExchangedTokens,
} from '../../src/upstream/oauth.ts';
import { XERO_LIMITS } from './limits.ts';
import { xeroConnections } from './connections.ts';
import { createXeroSource } from './source.ts';
import { createXeroWebhookVerifier } from './webhooks.ts';
import { startXeroSandbox } from './sandbox/server.ts';
import { customerAt } from '../../src/sandbox/seed/business.ts';

export interface XeroSettings {
  baseUrl: string;
  identityUrl: string;
  /** Where the consent page is (`<loginUrl>/identity/connect/authorize`); default login.xero.com. */
  loginUrl?: string;
  clientId: string;
  clientSecret: string;
  /** The first refresh token; rotated ones are kept in the store. */
  refreshToken: string;
  tenantId: string;
}

export interface XeroWebhookSettings {
  /** The webhook key from Xero's developer portal. */
  webhookKey: string;
  /** The sandbox to ask for the intent-to-receive handshake (sandbox mode). */
  sandboxUrl?: string;
}

const LOGIN_URL = 'https://login.xero.com';
/** What the hub asks for: the books, a refresh token (offline_access), and OpenID for who connected. */
const CONSENT_SCOPES =
  'openid profile email offline_access accounting.transactions accounting.contacts accounting.settings';

/** Limits high enough that tests and benchmarks not about rate limits never meet them. */
export const XERO_RELAXED_LIMITS = {
  perMinute: 100_000,
  perDay: 1_000_000,
  concurrent: 1_000,
  appPerMinute: 1_000_000,
};

/**
 * The organisation is chosen on Xero's page; the hub reads one (XERO_TENANT_ID). Tokens for a grant
 * that does not include it are revoked at once rather than stored.
 */
async function checkTenant(settings: XeroSettings, tokens: ExchangedTokens): Promise<void> {
  const tenants = await listTenants(settings, tokens);
  if (tenants.some((t) => t.tenantId === settings.tenantId)) return;
  await revoke(settings, tokens);
  throw new CodeExchangeError(
    `the organisation chosen (${tenants.map((t) => t.tenantName ?? t.tenantId).join(', ') || 'none'}) is not the one this hub is configured for (XERO_TENANT_ID ${settings.tenantId}): choose that organisation on Xero's page, or change the setting`,
  );
}

interface XeroConnection {
  tenantId?: string;
  tenantName?: string;
  tenantType?: string;
  authEventId?: string;
}

/**
 * The organisation a new grant was made for, in a workspace made at run time: of the tenants the
 * tokens reach, those connected in this authorization (the access token's `authentication_event_id`
 * equals their `authEventId`, as Xero's docs advise); it must be exactly one organisation.
 */
async function chosenTenant(
  settings: XeroSettings,
  tokens: ExchangedTokens,
): Promise<{ id: string; name?: string }> {
  const tenants = (await listTenants(settings, tokens)).filter(
    (t) => t.tenantId && (t.tenantType ?? 'ORGANISATION') === 'ORGANISATION',
  );
  const event = authEventOf(tokens.accessToken);
  const fresh = event ? tenants.filter((t) => t.authEventId === event) : [];
  const candidates = fresh.length > 0 ? fresh : tenants;
  if (candidates.length === 1) return { id: candidates[0]!.tenantId!, name: candidates[0]!.tenantName };
  await revoke(settings, tokens);
  throw new CodeExchangeError(
    candidates.length === 0
      ? "no organisation was chosen on Xero's page: choose one organisation and try again"
      : `several organisations were chosen (${candidates.map((t) => t.tenantName ?? t.tenantId).join(', ')}): a workspace is one business, so choose one organisation and try again`,
  );
}

/** The `authentication_event_id` claim of Xero's (JWT) access token, or undefined. */
function authEventOf(accessToken: string): string | undefined {
  try {
    const payload = JSON.parse(
      Buffer.from(accessToken.split('.')[1] ?? '', 'base64url').toString('utf8'),
    ) as {
      authentication_event_id?: unknown;
    };
    return typeof payload.authentication_event_id === 'string' ? payload.authentication_event_id : undefined;
  } catch {
    return undefined;
  }
}

async function listTenants(settings: XeroSettings, tokens: ExchangedTokens): Promise<XeroConnection[]> {
  // https://developer.xero.com/documentation/guides/oauth2/auth-flow#5-check-the-tenants-youre-authorized-to-access
  const res = await fetch(`${settings.baseUrl}/connections`, {
    headers: { authorization: `Bearer ${tokens.accessToken}`, accept: 'application/json' },
    signal: AbortSignal.timeout(10_000),
  }).catch((error: unknown) => {
    throw new CodeExchangeError(
      `Xero's connections list did not answer (${error instanceof Error ? error.message : String(error)})`,
    );
  });
  if (!res.ok) throw new CodeExchangeError(`Xero's connections list answered HTTP ${res.status}`);
  return (await res.json()) as XeroConnection[];
}

/** Tokens for a grant the hub will not keep are revoked at once rather than left behind. */
async function revoke(settings: XeroSettings, tokens: ExchangedTokens): Promise<void> {
  // https://developer.xero.com/documentation/guides/oauth2/auth-flow#revoking-tokens
  await fetch(`${settings.identityUrl}/connect/revocation`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${settings.clientId}:${settings.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ token: tokens.refreshToken }).toString(),
    signal: AbortSignal.timeout(10_000),
  }).catch(() => undefined);
}

/** Xero Accounting 2.0: invoices, contacts and payments, OAuth 2 with rotating refresh tokens. */
export const xero: SourceModule<'accounting', XeroSettings, XeroWebhookSettings> = {
  id: 'xero',
  role: 'accounting',
  label: 'Xero',
  description: 'Xero: invoices and payments against them.',
  website: 'https://www.xero.com',
  settings: {
    credentialVars: ['XERO_CLIENT_ID'],
    variables: [
      { name: 'XERO_CLIENT_ID', meaning: 'the OAuth app' },
      { name: 'XERO_CLIENT_SECRET', meaning: "the OAuth app's secret" },
      {
        name: 'XERO_REFRESH_TOKEN',
        meaning: 'a refresh token from the consent flow (rotations are kept in the store)',
      },
      { name: 'XERO_TENANT_ID', meaning: 'the organisation' },
      { name: 'XERO_WEBHOOK_KEY', meaning: "the webhook key from Xero's developer portal" },
      { name: 'XERO_API_BASE', default: 'https://api.xero.com', meaning: 'the API (a sandbox or a proxy)' },
      { name: 'XERO_IDENTITY_BASE', default: 'https://identity.xero.com', meaning: 'the token endpoint' },
      {
        name: 'XERO_LOGIN_BASE',
        default: LOGIN_URL,
        meaning: 'the consent page (connecting from the console)',
      },
    ],
    fromEnv(env) {
      const read = createEnvReader(env);
      const settings: XeroSettings = {
        baseUrl: read.url('XERO_API_BASE', 'https://api.xero.com'),
        identityUrl: read.url('XERO_IDENTITY_BASE', 'https://identity.xero.com'),
        loginUrl: read.url('XERO_LOGIN_BASE', LOGIN_URL),
        clientId: read.required('XERO_CLIENT_ID', 'to connect Xero'),
        clientSecret: read.required('XERO_CLIENT_SECRET', 'to connect Xero'),
        refreshToken: read.required('XERO_REFRESH_TOKEN', 'to connect Xero'),
        tenantId: read.required('XERO_TENANT_ID', 'to connect Xero'),
      };
      return read.problems.length ? { problems: read.problems } : { settings };
    },
    fromSandbox: (sandbox) => ({
      baseUrl: sandbox.url,
      identityUrl: sandbox.url,
      loginUrl: sandbox.url,
      clientId: credential(sandbox, 'clientId'),
      clientSecret: credential(sandbox, 'clientSecret'),
      refreshToken: credential(sandbox, 'refreshToken'),
      tenantId: credential(sandbox, 'tenantId'),
    }),
    envFromSandbox: (sandbox) => ({
      XERO_CLIENT_ID: credential(sandbox, 'clientId'),
      XERO_CLIENT_SECRET: credential(sandbox, 'clientSecret'),
      XERO_REFRESH_TOKEN: credential(sandbox, 'refreshToken'),
      XERO_TENANT_ID: credential(sandbox, 'tenantId'),
      XERO_API_BASE: sandbox.url,
      XERO_IDENTITY_BASE: sandbox.url,
      XERO_LOGIN_BASE: sandbox.url,
    }),
  },
  limits: () => XERO_LIMITS,
  connections: xeroConnections,
  connect(settings, context) {
    // https://developer.xero.com/documentation/guides/oauth2/auth-flow/#refreshing-access-and-refresh-tokens
    const token = createOAuthTokenProvider({
      source: 'xero',
      tokenUrl: `${settings.identityUrl}/connect/token`,
      clientId: settings.clientId,
      clientSecret: settings.clientSecret,
      refreshToken: settings.refreshToken,
      store: context.tokenStore(settings.refreshToken),
    });
    const source = createXeroSource({
      baseUrl: settings.baseUrl,
      tenantId: settings.tenantId,
      getAccessToken: () => token.getAccessToken(),
      onUnauthorized: () => token.invalidate(),
      timeoutMs: context.timeoutMs,
      metrics: context.metrics,
      policy: context.policy(XERO_LIMITS, token),
    });
    return { source, token };
  },
  consent: {
    // https://developer.xero.com/documentation/guides/oauth2/auth-flow#2-redirect-a-user
    authorizeUrl(settings, { redirectUri, state }) {
      const url = new URL(`${settings.loginUrl ?? LOGIN_URL}/identity/connect/authorize`);
      url.search = new URLSearchParams({
        response_type: 'code',
        client_id: settings.clientId,
        redirect_uri: redirectUri,
        scope: CONSENT_SCOPES,
        state,
      }).toString();
      return url.toString();
    },
    async exchange(settings, { code, redirectUri, anyAccount }) {
      const tokens = await exchangeAuthorizationCode({
        tokenUrl: `${settings.identityUrl}/connect/token`,
        clientId: settings.clientId,
        clientSecret: settings.clientSecret,
        code,
        redirectUri,
      });
      if (!anyAccount) await checkTenant(settings, tokens);
      return tokens;
    },
    account: {
      chosen: (settings, tokens) => chosenTenant(settings, tokens),
      apply: (settings, tenantId) => ({ ...settings, tenantId }),
    },
  },
  webhooks: {
    path: 'xero',
    fromEnv: (env) => (env.XERO_WEBHOOK_KEY ? { webhookKey: env.XERO_WEBHOOK_KEY } : undefined),
    fromSandbox: (sandbox) => ({ webhookKey: credential(sandbox, 'webhookKey'), sandboxUrl: sandbox.url }),
    verifier: (webhooks) => createXeroWebhookVerifier({ webhookKey: webhooks.webhookKey }),
    // Real Xero subscriptions are made in its developer portal; the sandbox starts the
    // intent-to-receive handshake when asked.
    async register(webhooks, publicUrl) {
      if (!webhooks.sandboxUrl) return;
      const res = await fetch(`${webhooks.sandboxUrl}/__sandbox/webhooks/subscribe`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ url: `${publicUrl}/webhooks/xero` }),
      });
      if (!res.ok)
        throw new Error(`the Xero sandbox refused the subscription: ${res.status} ${await res.text()}`);
    },
  },
  sandbox: {
    port: 12114,
    start: ({ relaxed, ...options }) =>
      startXeroSandbox({ ...options, limits: relaxed ? XERO_RELAXED_LIMITS : undefined }),
    seedIds: (business) => {
      const inBooks = business.customers.filter((c) => customerAt(c, 'xero'));
      const keys = new Set(inBooks.map((c) => c.key));
      return {
        people: new Map(inBooks.map((c) => [c.key, c.ids.xeroContactId])),
        invoices: new Map(
          business.invoices.filter((i) => keys.has(i.customerKey)).map((i) => [i.key, i.ids.xeroInvoiceId]),
        ),
      };
    },
    faults: {
      createContact: { operations: ['contacts.create'] },
      createInvoice: { operations: ['invoices.create'] },
      token: { operations: ['identity.token'] },
      api: { pathPrefix: '/api.xro' },
    },
    books: () => import('./sandbox/books.ts').then((m) => m.books),
  },
};
