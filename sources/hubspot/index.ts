import type { SourceModule } from '../../src/domain/source-module.ts';
import { createEnvReader, credential } from '../../src/env.ts';
import { bearerOf, createModuleTokenProvider, type ConsentClient } from '../../src/upstream/oauth.ts';
import { clientConsent } from '../../src/upstream/consent.ts';
import { HUBSPOT_LIMITS } from './limits.ts';
import { createHubspotSource, type HubspotSource } from './source.ts';
import { createHubspotWebhookVerifier, SUBSCRIPTIONS } from './webhooks.ts';
import { hubspotConnections } from './connections.ts';
import { startHubspotSandbox } from './sandbox/server.ts';
import { customerAt } from '../../src/sandbox/seed/business.ts';

export interface HubspotSettings {
  baseUrl: string;
  /** Private app access token; a connection made in the console (an app install) replaces it. */
  accessToken?: string;
  /** Makes links into HubSpot's UI. */
  portalId?: string;
  /**
   * The public app: installing it from the console, and with `refreshToken` (an install made
   * elsewhere) the hub's credential. The token endpoint is `<baseUrl>/oauth/v1/token`.
   */
  oauth?: { clientId: string; clientSecret: string; authorizeUrl?: string; refreshToken?: string };
}

export interface HubspotWebhookSettings {
  /** HubSpot signs deliveries (v3) with the app's client secret. */
  clientSecret: string;
  /** Registers the subscriptions (sandbox mode; a real app is set up in HubSpot's settings). */
  app?: { developerApiKey: string; appId: string };
}

const RELAXED = { tenSecondly: 100_000, searchPerSecond: 10_000 };
const API_BASE = 'https://api.hubapi.com';
const AUTHORIZE_URL = 'https://app.hubspot.com/oauth/authorize';
/** What the hub reads and writes: contacts (search, batch read, upsert, update). */
const CONSENT_SCOPES = 'oauth crm.objects.contacts.read crm.objects.contacts.write';

const tokenUrlOf = (settings: HubspotSettings) => `${settings.baseUrl}/oauth/v1/token`;

/** HubSpot takes the app's credentials in the token request's form, not in Basic. */
const clientOf = (settings: HubspotSettings): ConsentClient | undefined =>
  settings.oauth && {
    authorizeUrl: settings.oauth.authorizeUrl ?? AUTHORIZE_URL,
    tokenUrl: tokenUrlOf(settings),
    clientId: settings.oauth.clientId,
    clientSecret: settings.oauth.clientSecret,
    clientAuthentication: 'body',
  };

/** HubSpot CRM v3: contacts, batch reads, search, upsert by email. */
export const hubspot: SourceModule<'crm', HubspotSettings, HubspotWebhookSettings> = {
  id: 'hubspot',
  role: 'crm',
  label: 'HubSpot',
  description: "HubSpot CRM: customers' identity and contact details.",
  website: 'https://www.hubspot.com',
  settings: {
    credentialVars: ['HUBSPOT_ACCESS_TOKEN', 'HUBSPOT_CLIENT_ID'],
    variables: [
      { name: 'HUBSPOT_ACCESS_TOKEN', meaning: 'private app token (or install the app from the console)' },
      { name: 'HUBSPOT_PORTAL_ID', meaning: "the hub id, for links into HubSpot's UI" },
      {
        name: 'HUBSPOT_CLIENT_ID',
        meaning: "the public app's client id: installing it from the console (Connections)",
      },
      {
        name: 'HUBSPOT_CLIENT_SECRET',
        meaning: "the app's client secret, which signs webhooks and authenticates its OAuth requests",
      },
      {
        name: 'HUBSPOT_REFRESH_TOKEN',
        meaning: 'instead of HUBSPOT_ACCESS_TOKEN, a refresh token from an install of the app',
      },
      {
        name: 'HUBSPOT_API_BASE',
        default: API_BASE,
        meaning: 'the API and its token endpoint (a sandbox or a proxy)',
      },
      {
        name: 'HUBSPOT_AUTHORIZE_URL',
        default: AUTHORIZE_URL,
        meaning: 'the install (consent) page; EU accounts: https://app-eu1.hubspot.com/oauth/authorize',
      },
    ],
    fromEnv(env) {
      const read = createEnvReader(env);
      const why = "to install HubSpot's app";
      const oauth = env.HUBSPOT_CLIENT_ID
        ? {
            clientId: read.required('HUBSPOT_CLIENT_ID', why),
            clientSecret: read.required('HUBSPOT_CLIENT_SECRET', why),
            authorizeUrl: read.url('HUBSPOT_AUTHORIZE_URL', AUTHORIZE_URL),
            refreshToken: read.optional('HUBSPOT_REFRESH_TOKEN'),
          }
        : undefined;
      const settings: HubspotSettings = {
        baseUrl: read.url('HUBSPOT_API_BASE', API_BASE),
        accessToken: oauth?.refreshToken
          ? read.optional('HUBSPOT_ACCESS_TOKEN')
          : read.required(
              'HUBSPOT_ACCESS_TOKEN',
              oauth
                ? 'to connect HubSpot until the app is installed from the console (or set HUBSPOT_REFRESH_TOKEN)'
                : 'to connect HubSpot',
            ),
        portalId: read.optional('HUBSPOT_PORTAL_ID'),
        oauth,
      };
      return read.problems.length ? { problems: read.problems } : { settings };
    },
    fromSandbox: (sandbox) => ({
      baseUrl: sandbox.url,
      accessToken: credential(sandbox, 'accessToken'),
      portalId: sandbox.credentials.portalId,
      oauth: {
        clientId: credential(sandbox, 'clientId'),
        clientSecret: credential(sandbox, 'clientSecret'),
        authorizeUrl: `${sandbox.url}/oauth/authorize`,
      },
    }),
    envFromSandbox: (sandbox) => ({
      HUBSPOT_ACCESS_TOKEN: credential(sandbox, 'accessToken'),
      HUBSPOT_PORTAL_ID: sandbox.credentials.portalId ?? '',
      HUBSPOT_API_BASE: sandbox.url,
      HUBSPOT_CLIENT_ID: credential(sandbox, 'clientId'),
      HUBSPOT_CLIENT_SECRET: credential(sandbox, 'clientSecret'),
      HUBSPOT_AUTHORIZE_URL: `${sandbox.url}/oauth/authorize`,
    }),
  },
  limits: () => HUBSPOT_LIMITS,
  connect(settings, context) {
    // https://developers.hubspot.com/docs/api/oauth/tokens (refresh an access token)
    const fixed = settings.accessToken ?? '';
    // A private-app token alone (no app client) stays a fixed credential.
    const token = createModuleTokenProvider({
      source: 'hubspot',
      client: clientOf(settings),
      refreshToken: settings.oauth?.refreshToken,
      fixedAccessToken: fixed,
      tokenStore: (configured) => context.tokenStore(configured),
    });
    const source: HubspotSource = createHubspotSource({
      baseUrl: settings.baseUrl,
      portalId: settings.portalId,
      ...bearerOf(token, fixed),
      timeZone: context.timeZone,
      timeoutMs: context.timeoutMs,
      metrics: context.metrics,
      policy: context.policy(HUBSPOT_LIMITS, token),
    });
    return { source, token };
  },
  // https://developers.hubspot.com/docs/api/oauth-quickstart-guide (send the user to the install URL)
  // https://developers.hubspot.com/docs/api/oauth/tokens (client credentials in the form, not Basic)
  consent: clientConsent({
    client: clientOf,
    missing:
      "HubSpot has no app client here: set HUBSPOT_CLIENT_ID and HUBSPOT_CLIENT_SECRET (the public app whose redirect URLs include the hub's /oauth/callback/hubspot) to install it from the console",
    query: { scope: CONSENT_SCOPES },
  }),
  connections: hubspotConnections,
  webhooks: {
    path: 'hubspot',
    fromEnv: (env) => (env.HUBSPOT_CLIENT_SECRET ? { clientSecret: env.HUBSPOT_CLIENT_SECRET } : undefined),
    fromSandbox: (sandbox) => ({
      clientSecret: credential(sandbox, 'clientSecret'),
      app: { developerApiKey: credential(sandbox, 'developerApiKey'), appId: credential(sandbox, 'appId') },
    }),
    verifier: (webhooks) => createHubspotWebhookVerifier({ clientSecret: webhooks.clientSecret }),
    async register(webhooks, publicUrl, { source }) {
      if (!webhooks.app) return;
      await (source as HubspotSource).registerAppWebhooks({
        developerApiKey: webhooks.app.developerApiKey,
        appId: webhooks.app.appId,
        targetUrl: `${publicUrl}/webhooks/hubspot`,
        events: SUBSCRIPTIONS,
      });
    },
  },
  sandbox: {
    port: 12112,
    start: ({ relaxed, ...options }) =>
      startHubspotSandbox({ ...options, limits: relaxed ? RELAXED : undefined }),
    seedIds: (business) => ({
      people: new Map(
        business.customers
          .filter((c) => customerAt(c, 'hubspot'))
          .map((c) => [c.key, c.ids.hubspotContactId]),
      ),
    }),
    faults: {
      upsertContact: { operations: ['contacts.batchUpsert'] },
      addNote: { operations: ['notes.create'] },
      api: { pathPrefix: '/crm' },
    },
  },
};
