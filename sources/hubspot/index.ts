import type { SourceModule } from '../../src/domain/source-module.ts';
import { createEnvReader, credential } from '../../src/env.ts';
import { HUBSPOT_LIMITS } from './limits.ts';
import { createHubspotSource, type HubspotSource } from './source.ts';
import { createHubspotWebhookVerifier, SUBSCRIPTIONS } from './webhooks.ts';
import { hubspotConnections } from './connections.ts';
import { startHubspotSandbox } from './sandbox/server.ts';
import { customerAt } from '../../src/sandbox/seed/business.ts';

export interface HubspotSettings {
  baseUrl: string;
  /** Private app access token. */
  accessToken: string;
  /** Makes links into HubSpot's UI. */
  portalId?: string;
}

export interface HubspotWebhookSettings {
  /** HubSpot signs deliveries (v3) with the app's client secret. */
  clientSecret: string;
  /** Registers the subscriptions (sandbox mode; a real app is set up in HubSpot's settings). */
  app?: { developerApiKey: string; appId: string };
}

const RELAXED = { tenSecondly: 100_000, searchPerSecond: 10_000 };

/** HubSpot CRM v3: contacts, batch reads, search, upsert by email. */
export const hubspot: SourceModule<'crm', HubspotSettings, HubspotWebhookSettings> = {
  id: 'hubspot',
  role: 'crm',
  label: 'HubSpot',
  description: "HubSpot CRM: customers' identity and contact details.",
  website: 'https://www.hubspot.com',
  settings: {
    credentialVars: ['HUBSPOT_ACCESS_TOKEN'],
    variables: [
      { name: 'HUBSPOT_ACCESS_TOKEN', meaning: 'private app token' },
      { name: 'HUBSPOT_PORTAL_ID', meaning: "the hub id, for links into HubSpot's UI" },
      { name: 'HUBSPOT_CLIENT_SECRET', meaning: "the app's client secret, which signs webhooks" },
      {
        name: 'HUBSPOT_API_BASE',
        default: 'https://api.hubapi.com',
        meaning: 'the API (a sandbox or a proxy)',
      },
    ],
    fromEnv(env) {
      const read = createEnvReader(env);
      const settings: HubspotSettings = {
        baseUrl: read.url('HUBSPOT_API_BASE', 'https://api.hubapi.com'),
        accessToken: read.required('HUBSPOT_ACCESS_TOKEN', 'to connect HubSpot'),
        portalId: read.optional('HUBSPOT_PORTAL_ID'),
      };
      return read.problems.length ? { problems: read.problems } : { settings };
    },
    fromSandbox: (sandbox) => ({
      baseUrl: sandbox.url,
      accessToken: credential(sandbox, 'accessToken'),
      portalId: sandbox.credentials.portalId,
    }),
    envFromSandbox: (sandbox) => ({
      HUBSPOT_ACCESS_TOKEN: credential(sandbox, 'accessToken'),
      HUBSPOT_PORTAL_ID: sandbox.credentials.portalId ?? '',
      HUBSPOT_API_BASE: sandbox.url,
    }),
  },
  limits: () => HUBSPOT_LIMITS,
  connect(settings, context) {
    const source: HubspotSource = createHubspotSource({
      ...settings,
      timeZone: context.timeZone,
      timeoutMs: context.timeoutMs,
      metrics: context.metrics,
      policy: context.policy(HUBSPOT_LIMITS),
    });
    return { source };
  },
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
      api: { pathPrefix: '/crm' },
    },
  },
};
