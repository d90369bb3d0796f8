import type { SourceModule, WebhookContext } from '../../src/domain/source-module.ts';
import { createEnvReader, credential } from '../../src/env.ts';
import {
  CodeExchangeError,
  createOAuthTokenProvider,
  exchangeAuthorizationCode,
} from '../../src/upstream/oauth.ts';
import { createCdcCatchUp } from './cdc.ts';
import { QUICKBOOKS_LIMITS } from './limits.ts';
import { quickbooksConnections } from './connections.ts';
import { quickbooksSeedIds } from './seed-ids.ts';
import { createQuickbooksSource, type QuickbooksSource } from './source.ts';
import { createQuickbooksWebhookVerifier } from './webhooks.ts';
import { QUICKBOOKS_RELAXED_LIMITS, startQuickbooksSandbox } from './sandbox/server.ts';

export interface QuickbooksSettings {
  /** The Accounting API's origin (paths are `/v3/company/<realm>/…`). */
  baseUrl: string;
  /** Intuit's OAuth 2.0 token endpoint. */
  tokenUrl: string;
  /** Intuit's authorization endpoint (the consent page); default appcenter.intuit.com's. */
  authorizeUrl?: string;
  /** QuickBooks' web app, for record links. */
  appUrl: string;
  clientId: string;
  clientSecret: string;
  /** The first refresh token; QBO rotates it on every refresh and the store keeps the newest. */
  refreshToken: string;
  /** The company (realm id): digits. */
  realmId: string;
  /** The service Item invoice lines are sold as. */
  salesItemName: string;
  /** Tax code of invoice lines, and its rate in percent. */
  salesTaxCode: string;
  salesTaxRate: number;
}

export interface QuickbooksWebhookSettings {
  /** The app's verifier token from Intuit's developer portal. */
  verifierToken: string;
  /** The sandbox to register the endpoint with (sandbox mode); Intuit's is set in its portal. */
  sandboxUrl?: string;
  /** How often the CDC catch-up runs after the first one. Default 5 minutes. */
  catchUpEveryMs?: number;
}

const API_BASE = 'https://quickbooks.api.intuit.com';
const TOKEN_URL = 'https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer';
const AUTHORIZE_URL = 'https://appcenter.intuit.com/connect/oauth2';
/** What the hub asks for: the books, and OpenID for who connected. */
const CONSENT_SCOPES = 'com.intuit.quickbooks.accounting openid profile email';
const APP_URL = 'https://app.qbo.intuit.com';
/** What a sandbox company's records link to (Intuit's, not the local sandbox's, which has no UI). */
const SANDBOX_APP_URL = 'https://app.sandbox.qbo.intuit.com';
const CATCH_UP_EVERY_MS = 5 * 60_000;

const tokenUrlOf = (sandboxUrl: string) => `${sandboxUrl}/oauth2/v1/tokens/bearer`;

/**
 * The webhook registration: a CDC catch-up first (what changed while the hub was away: the inbox
 * takes it as if it had come by webhook), the endpoint registered where that is possible (the
 * sandbox; Intuit's is set in its developer portal), then the catch-up every few minutes, which
 * also picks up deliveries Intuit gave up on.
 */
async function register(
  webhooks: QuickbooksWebhookSettings,
  publicUrl: string,
  context: WebhookContext<QuickbooksSettings, 'accounting'>,
): Promise<() => void> {
  const { logger } = context;
  const source = context.source as QuickbooksSource;
  const catchUp = createCdcCatchUp({
    workspace: context.workspace,
    state: context.state,
    changeEvents: (since) => source.changeEvents(since),
    enqueue: (events) => context.enqueue(events),
    logger,
  });
  let running = false;
  const runCatchUp = async () => {
    if (running) return;
    running = true;
    try {
      await catchUp.run();
    } catch (error) {
      logger.error({ err: error }, 'the QuickBooks CDC catch-up failed; the next run covers its window');
    } finally {
      running = false;
    }
  };
  await runCatchUp();
  if (webhooks.sandboxUrl) {
    const res = await fetch(`${webhooks.sandboxUrl}/__sandbox/webhooks/endpoint`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: `${publicUrl}/webhooks/quickbooks` }),
    });
    if (!res.ok) {
      throw new Error(
        `the QuickBooks sandbox refused the webhook endpoint: ${res.status} ${await res.text()}`,
      );
    }
  }
  const timer = setInterval(() => void runCatchUp(), webhooks.catchUpEveryMs ?? CATCH_UP_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/** QuickBooks Online Accounting API v3: customers, invoices and payments, OAuth 2 with rotating refresh tokens. */
export const quickbooks: SourceModule<'accounting', QuickbooksSettings, QuickbooksWebhookSettings> = {
  id: 'quickbooks',
  role: 'accounting',
  label: 'QuickBooks Online',
  description: 'QuickBooks Online: invoices and payments against them.',
  website: 'https://quickbooks.intuit.com',
  settings: {
    credentialVars: ['QUICKBOOKS_CLIENT_ID'],
    variables: [
      {
        name: 'QUICKBOOKS_CLIENT_ID',
        meaning: 'the OAuth app (Intuit developer portal, Keys & credentials)',
      },
      { name: 'QUICKBOOKS_CLIENT_SECRET', meaning: "the OAuth app's secret" },
      {
        name: 'QUICKBOOKS_REFRESH_TOKEN',
        meaning:
          'a refresh token from the consent flow (it rotates on every refresh; the newest is kept in the store)',
      },
      {
        name: 'QUICKBOOKS_REALM_ID',
        meaning: 'the company (realm id, digits) the refresh token was issued for',
      },
      {
        name: 'QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN',
        meaning: "the webhooks verifier token from Intuit's developer portal",
      },
      {
        name: 'QUICKBOOKS_API_BASE',
        default: API_BASE,
        meaning: 'the API (a sandbox company: https://sandbox-quickbooks.api.intuit.com)',
      },
      { name: 'QUICKBOOKS_TOKEN_URL', default: TOKEN_URL, meaning: 'the OAuth token endpoint' },
      {
        name: 'QUICKBOOKS_AUTHORIZE_URL',
        default: AUTHORIZE_URL,
        meaning: 'the OAuth consent page (connecting from the console)',
      },
      {
        name: 'QUICKBOOKS_APP_URL',
        default: APP_URL,
        meaning: `QuickBooks' web app, for record links (a sandbox company: ${SANDBOX_APP_URL})`,
      },
      {
        name: 'QUICKBOOKS_SALES_ITEM',
        default: 'Services',
        meaning: 'the service item invoice lines are sold as',
      },
      {
        name: 'QUICKBOOKS_TAX_CODE',
        default: '2',
        meaning: 'tax code of invoice lines (a UK company: 2 is 20.0% S)',
      },
      { name: 'QUICKBOOKS_TAX_RATE', default: '20', meaning: "that tax code's rate in percent" },
    ],
    fromEnv(env) {
      const read = createEnvReader(env);
      const why = 'to connect QuickBooks Online';
      const realmId = read.required('QUICKBOOKS_REALM_ID', why).trim();
      if (realmId && !/^\d+$/.test(realmId)) {
        read.problems.push(
          `QUICKBOOKS_REALM_ID must be the company's realm id, digits only (e.g. 9341453172471531), got "${realmId}"`,
        );
      }
      const rateText = env.QUICKBOOKS_TAX_RATE?.trim() || '20';
      const rate = Number(rateText);
      if (!Number.isFinite(rate) || rate < 0 || rate >= 100) {
        read.problems.push(`QUICKBOOKS_TAX_RATE must be a percentage from 0 to under 100, got "${rateText}"`);
      }
      const taxCode = env.QUICKBOOKS_TAX_CODE?.trim() || '2';
      const settings: QuickbooksSettings = {
        baseUrl: read.url('QUICKBOOKS_API_BASE', API_BASE),
        tokenUrl: read.url('QUICKBOOKS_TOKEN_URL', TOKEN_URL),
        authorizeUrl: read.url('QUICKBOOKS_AUTHORIZE_URL', AUTHORIZE_URL),
        appUrl: read.url('QUICKBOOKS_APP_URL', APP_URL),
        clientId: read.required('QUICKBOOKS_CLIENT_ID', why),
        clientSecret: read.required('QUICKBOOKS_CLIENT_SECRET', why),
        refreshToken: read.required('QUICKBOOKS_REFRESH_TOKEN', why),
        realmId,
        salesItemName: env.QUICKBOOKS_SALES_ITEM?.trim() || 'Services',
        salesTaxCode: taxCode,
        salesTaxRate: rate,
      };
      return read.problems.length ? { problems: read.problems } : { settings };
    },
    fromSandbox: (sandbox) => ({
      baseUrl: sandbox.url,
      tokenUrl: tokenUrlOf(sandbox.url),
      authorizeUrl: `${sandbox.url}/connect/oauth2`,
      appUrl: SANDBOX_APP_URL,
      clientId: credential(sandbox, 'clientId'),
      clientSecret: credential(sandbox, 'clientSecret'),
      refreshToken: credential(sandbox, 'refreshToken'),
      realmId: credential(sandbox, 'realmId'),
      salesItemName: 'Services',
      salesTaxCode: '2',
      salesTaxRate: 20,
    }),
    envFromSandbox: (sandbox) => ({
      QUICKBOOKS_CLIENT_ID: credential(sandbox, 'clientId'),
      QUICKBOOKS_CLIENT_SECRET: credential(sandbox, 'clientSecret'),
      QUICKBOOKS_REFRESH_TOKEN: credential(sandbox, 'refreshToken'),
      QUICKBOOKS_REALM_ID: credential(sandbox, 'realmId'),
      QUICKBOOKS_API_BASE: sandbox.url,
      QUICKBOOKS_TOKEN_URL: tokenUrlOf(sandbox.url),
      QUICKBOOKS_AUTHORIZE_URL: `${sandbox.url}/connect/oauth2`,
      QUICKBOOKS_APP_URL: SANDBOX_APP_URL,
    }),
  },
  limits: () => QUICKBOOKS_LIMITS,
  connections: quickbooksConnections,
  connect(settings, context) {
    // https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0 (refresh the token)
    // Every refresh answers a new refresh token and Intuit promises no grace for the old one, so the
    // store must hold the newest before anything else uses it (createOAuthTokenProvider does that).
    const token = createOAuthTokenProvider({
      source: 'quickbooks',
      tokenUrl: settings.tokenUrl,
      clientId: settings.clientId,
      clientSecret: settings.clientSecret,
      refreshToken: settings.refreshToken,
      store: context.tokenStore(settings.refreshToken),
    });
    const source = createQuickbooksSource({
      baseUrl: settings.baseUrl,
      realmId: settings.realmId,
      appUrl: settings.appUrl,
      getAccessToken: () => token.getAccessToken(),
      onUnauthorized: () => token.invalidate(),
      timeZone: context.timeZone,
      salesItemName: settings.salesItemName,
      salesTaxCode: settings.salesTaxCode,
      salesTaxRate: settings.salesTaxRate,
      timeoutMs: context.timeoutMs,
      metrics: context.metrics,
      policy: context.policy(QUICKBOOKS_LIMITS, token),
    });
    return { source, token };
  },
  consent: {
    // https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0#step-3-create-the-authorization-request
    authorizeUrl(settings, { redirectUri, state }) {
      const url = new URL(settings.authorizeUrl ?? AUTHORIZE_URL);
      url.search = new URLSearchParams({
        client_id: settings.clientId,
        response_type: 'code',
        scope: CONSENT_SCOPES,
        redirect_uri: redirectUri,
        state,
      }).toString();
      return url.toString();
    },
    async exchange(settings, { code, redirectUri, query, anyAccount }) {
      // The company is chosen on Intuit's page; the hub reads one company (QUICKBOOKS_REALM_ID). The
      // code is not exchanged for another one, so no grant to the wrong company is left behind.
      const realmId = query.get('realmId') ?? '';
      if (anyAccount && !/^\d+$/.test(realmId))
        throw new CodeExchangeError(
          `Intuit's page sent back no company (realmId "${realmId}"): choose a company and try again`,
        );
      if (!anyAccount && realmId !== settings.realmId)
        throw new CodeExchangeError(
          `the company chosen (realm ${realmId || 'none'}) is not the one this hub is configured for (realm ${settings.realmId}, QUICKBOOKS_REALM_ID): choose that company, or change the setting`,
        );
      return exchangeAuthorizationCode({
        tokenUrl: settings.tokenUrl,
        clientId: settings.clientId,
        clientSecret: settings.clientSecret,
        code,
        redirectUri,
      });
    },
    // The redirect back from Intuit's page names the company: ?code&state&realmId.
    account: {
      chosen: (_settings, _tokens, query) => Promise.resolve({ id: query.get('realmId') ?? '' }),
      apply: (settings, realmId) => ({ ...settings, realmId }),
    },
  },
  webhooks: {
    path: 'quickbooks',
    fromEnv: (env) =>
      env.QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN
        ? { verifierToken: env.QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN }
        : undefined,
    fromSandbox: (sandbox) => ({
      verifierToken: credential(sandbox, 'webhookVerifierToken'),
      sandboxUrl: sandbox.url,
    }),
    verifier: (webhooks, context) =>
      createQuickbooksWebhookVerifier({
        verifierToken: webhooks.verifierToken,
        realmId: context.settings.realmId,
      }),
    register,
  },
  sandbox: {
    port: 12115,
    start: ({ relaxed, ...options }) =>
      startQuickbooksSandbox({ ...options, limits: relaxed ? QUICKBOOKS_RELAXED_LIMITS : undefined }),
    seedIds: quickbooksSeedIds,
    // The sandbox names calls by resource (`customers.write` is every POST to `customer`): a create
    // and an update of the same resource cannot be told apart, so these break both.
    faults: {
      createContact: { operations: ['customers.write'] },
      updateContact: { operations: ['customers.write'] },
      createInvoice: { operations: ['invoices.write'] },
      voidInvoice: { operations: ['invoices.write'] },
      recordPayment: { operations: ['payments.write'] },
      token: { operations: ['oauth.token'] },
      api: { pathPrefix: '/v3' },
    },
    books: () => import('./sandbox/books.ts').then((m) => m.books),
  },
};
