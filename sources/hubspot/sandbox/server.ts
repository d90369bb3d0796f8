/**
 * The HubSpot sandbox: CRM v3 contacts, deals and notes (basic, batch, search), v4 association
 * reads, the webhooks v3 app
 * API, signed webhook deliveries, HubSpot's auth and rate limits. Point `@hubspot/api-client` at
 * it with `new Client({ accessToken, developerApiKey, basePath: sandbox.url })`. See README.md.
 */
import { startSandboxServer } from '../../../src/sandbox/kit/http.ts';
import { clockRoutes, createClock } from '../../../src/sandbox/kit/clock.ts';
import { createRandom } from '../../../src/sandbox/kit/random.ts';
import { createWebhookDispatcher } from '../../../src/sandbox/kit/webhooks.ts';
import { generateBusiness } from '../../../src/sandbox/seed/business.ts';
import type { VendorSandbox, VendorSandboxOptions } from '../../../src/sandbox/types.ts';
import { adminRoutes } from './admin.ts';
import type { HubspotContext } from './context.ts';
import { authAndLimits, createRateLimiter, DEFAULT_LIMITS, type Limits } from './limits.ts';
import { createHubspotOAuth } from './oauth.ts';
import { associationRoutes } from './routes-associations.ts';
import { objectRoutes } from './routes-objects.ts';
import { webhookRoutes } from './routes-webhooks.ts';
import { createStore, type StoreSnapshot } from './state.ts';
import { createEventEmitter, type AppWebhooks } from './webhooks.ts';
import { hubspotError, rateLimitResponse } from './wire.ts';

/** Fixed credentials the sandbox accepts (and `npm run sandbox` prints). */
export const HUBSPOT_SANDBOX_CREDENTIALS = {
  /** Private app access token: `Authorization: Bearer …` on CRM calls. */
  accessToken: 'pat-na1-switchboard-sandbox',
  portalId: '24681357',
  /** The developer app whose webhooks the sandbox sends. */
  appId: '3141592',
  /** The app's OAuth client id (installing the app: `/oauth/authorize`, `/oauth/v1/token`). */
  clientId: '5e0c8a2f-7b14-4d9e-a3c6-91f2b8d04e57',
  /** Signs webhooks (X-HubSpot-Signature-v3), and is the app's OAuth client secret. */
  clientSecret: 'sbx-3c1f7a52-9d4e-4b6a-8f20-5e7d91c0a4b8',
  /** `?hapikey=` on the webhooks v3 app API. */
  developerApiKey: 'sbx-dev-6b2e0d94-71a3-4c58-b9f6-0e4c2a8d7f13',
} as const;

export interface HubspotSandboxOptions extends VendorSandboxOptions {
  /** Rate limits; defaults to HubSpot's (100 per 10 s, 250,000 a day, search 5 per second). */
  limits?: Partial<Limits>;
  /** How long webhook events are collected into one POST. Default 100 ms. */
  webhookBatchWindowMs?: number;
}

export async function startHubspotSandbox(options: HubspotSandboxOptions = {}): Promise<VendorSandbox> {
  const business = options.business ?? generateBusiness(options.seed);
  const credentials = HUBSPOT_SANDBOX_CREDENTIALS;
  const initialLimits: Limits = { ...DEFAULT_LIMITS, ...options.limits };
  // HubSpot gives a webhook endpoint 5 seconds to answer before it counts as failed.
  const dispatcher = createWebhookDispatcher({ initial: { timeoutMs: 5_000, ...options.webhooks } });
  const app: AppWebhooks = { subscriptions: new Map(), nextSubscriptionId: 1_000_001 };
  const events = createEventEmitter({
    app,
    dispatcher,
    portalId: credentials.portalId,
    appId: credentials.appId,
    clientSecret: credentials.clientSecret,
    windowMs: options.webhookBatchWindowMs ?? 100,
  });
  const limiter = createRateLimiter(initialLimits, credentials.appId);
  const clock = createClock();
  const oauth = createHubspotOAuth({
    clock,
    random: createRandom(`hubspot-oauth:${business.seed}`),
    clientId: credentials.clientId,
    clientSecret: credentials.clientSecret,
    appId: credentials.appId,
    portalId: credentials.portalId,
    hubDomain: business.name,
  });
  const ctx: HubspotContext = {
    store: createStore(business),
    emit: (changes, source) => events.emit(changes, source),
  };

  const running = await startSandboxServer(
    {
      name: 'hubspot',
      routes: [
        ...oauth.routes(),
        ...objectRoutes(ctx, 'contacts'),
        ...objectRoutes(ctx, 'deals'),
        ...objectRoutes(ctx, 'notes'),
        ...associationRoutes(ctx),
        ...webhookRoutes(app, credentials.appId),
      ],
      adminRoutes: [...adminRoutes(ctx, limiter), ...clockRoutes(clock)],
      errorResponse(status, message, _req, extra) {
        if (status === 429) {
          const retryAfter = extra?.retryAfterSeconds;
          return rateLimitResponse(
            'TEN_SECONDLY_ROLLING',
            `private-app-api-calls:${credentials.appId}`,
            retryAfter !== undefined ? { 'Retry-After': String(retryAfter) } : {},
          );
        }
        return hubspotError(status, message);
      },
      middleware: authAndLimits(credentials, limiter, oauth),
      reset() {
        // CRM data, counters and unsent events start over; the app's webhook settings and
        // subscriptions stay, as they belong to the developer app rather than the portal.
        ctx.store = createStore(business);
        limiter.reset(initialLimits);
        events.reset();
        oauth.reset();
      },
      describe: () => ({
        credentials,
        oauth: oauth.describe(),
        records: ctx.store.counts(),
        limits: limiter.limits(),
        webhookTarget: app.settings?.targetUrl ?? null,
        subscriptions: [...app.subscriptions.values()].map((s) => ({
          id: s.id,
          eventType: s.eventType,
          propertyName: s.propertyName,
          active: s.active,
        })),
      }),
      webhooks: dispatcher,
    },
    { port: options.port, host: options.host },
  );

  return {
    ...running,
    credentials: { ...credentials },
    state: {
      snapshot: () => ({
        store: ctx.store.snapshot(),
        app,
        nextEventId: events.nextEventId(),
      }),
      restore(saved) {
        const s = saved as { store: StoreSnapshot; app: AppWebhooks; nextEventId: number };
        if (!(s.app?.subscriptions instanceof Map))
          throw new Error('no HubSpot app webhooks in the saved state');
        ctx.store.restore(s.store);
        app.settings = s.app.settings;
        app.subscriptions = s.app.subscriptions;
        app.nextSubscriptionId = s.app.nextSubscriptionId;
        events.setNextEventId(s.nextEventId);
      },
    },
    close: async () => {
      events.close();
      await running.close();
    },
  };
}
