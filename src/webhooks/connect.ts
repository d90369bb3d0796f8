import { randomBytes, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { SourceName } from '../domain/model.ts';
import type { Database } from '../store/schema.ts';
import { createSourceStateRepository } from '../store/source-state.ts';
import { createChannelStore } from './channels.ts';
import type { WebhookVerifier } from './types.ts';
import type { StripeSource } from '../../sources/stripe/source.ts';
import type { HubspotSource } from '../../sources/hubspot/source.ts';
import type { GoogleCalendarSource } from '../../sources/google-calendar/source.ts';
import { createStripeWebhookVerifier } from '../../sources/stripe/webhooks.ts';
import { createHubspotWebhookVerifier } from '../../sources/hubspot/webhooks.ts';
import { createGoogleWebhookVerifier } from '../../sources/google-calendar/webhooks.ts';
import { createXeroWebhookVerifier } from '../../sources/xero/webhooks.ts';

/** How a workspace receives each vendor's webhooks; a vendor left out takes none (404). */
export interface WebhookSettings {
  /** `secret` from the dashboard, or learnt by registering the endpoint (then kept in the store). */
  stripe?: { secret?: string; register: boolean };
  /** HubSpot signs with the app's client secret; `app` registers the subscriptions (sandbox mode: real apps do it in their settings). */
  hubspot?: { clientSecret: string; app?: { developerApiKey: string; appId: string } };
  /** Google push channels: opened on start and renewed before they expire. */
  googleCalendar?: { register: boolean; ttlSeconds?: number };
  /** Xero signs with the webhook key from its developer portal; `sandboxUrl` asks the sandbox to start the intent-to-receive handshake. */
  xero?: { webhookKey: string; sandboxUrl?: string };
}

export interface WorkspaceWebhooks {
  verifierFor(source: SourceName): WebhookVerifier | undefined;
  /** Registers with the vendors that allow it, telling them `publicUrl`; renews Google channels until `stop`. */
  register(publicUrl: string): Promise<void>;
  stop(): Promise<void>;
}

const HUBSPOT_EVENTS = [
  { eventType: 'contact.creation' },
  { eventType: 'contact.deletion' },
  ...['email', 'phone', 'firstname', 'lastname', 'company'].map((propertyName) => ({
    eventType: 'contact.propertyChange',
    propertyName,
  })),
];

export function connectWebhooks(options: {
  workspace: string;
  /**
   * The handle a Store opened (`store.db`): the webhook secret it learns and the push channel
   * tokens are sealed with that store's key (see `storeSecrets`); any other handle throws.
   */
  db: Kysely<Database>;
  settings: WebhookSettings;
  sources: { payments: StripeSource; crm: HubspotSource; calendar: GoogleCalendarSource };
  logger: Logger;
}): WorkspaceWebhooks {
  const { workspace, db, settings, sources, logger } = options;
  const state = createSourceStateRepository(db);
  const channels = createChannelStore(db, workspace);
  let stripeSecrets: string[] = settings.stripe?.secret ? [settings.stripe.secret] : [];
  let renewal: NodeJS.Timeout | undefined;

  const verifiers = new Map<SourceName, WebhookVerifier>();
  if (settings.stripe) {
    verifiers.set(
      'stripe',
      createStripeWebhookVerifier({
        secrets: async () => {
          const stored = await state.get(workspace, 'stripe', 'webhook_secret');
          return [...new Set([...stripeSecrets, ...(stored ? [stored] : [])])];
        },
      }),
    );
  }
  if (settings.hubspot)
    verifiers.set('hubspot', createHubspotWebhookVerifier({ clientSecret: settings.hubspot.clientSecret }));
  if (settings.googleCalendar)
    verifiers.set('google_calendar', createGoogleWebhookVerifier({ channels: channels.registry }));
  if (settings.xero)
    verifiers.set('xero', createXeroWebhookVerifier({ webhookKey: settings.xero.webhookKey }));

  async function watchCalendar(publicUrl: string): Promise<void> {
    const ttlSeconds = settings.googleCalendar?.ttlSeconds ?? 7 * 86_400; // Google's default and maximum: a week
    const previous = await channels.current();
    const channelId = randomUUID();
    const token = randomBytes(24).toString('base64url');
    // Stored before the watch: Google's first notification may arrive before `watch` returns.
    const expiresAt = new Date(Date.now() + ttlSeconds * 1000);
    await channels.save({ channelId, token, resourceId: null, expiresAt });
    const channel = await sources.calendar.watch({
      channelId,
      address: `${publicUrl}/webhooks/google-calendar`,
      token,
      ttlSeconds,
    });
    await channels.remove(channelId);
    await channels.save({ channelId, token, resourceId: channel.resourceId, expiresAt: channel.expiration });
    if (previous?.resourceId) {
      await sources.calendar.stopChannel(previous.channelId, previous.resourceId).catch(() => {});
      await channels.remove(previous.channelId);
    }
    // A channel cannot be extended: open the next one when 90% of this one's life has passed.
    const renewIn = Math.max(1_000, (channel.expiration.getTime() - Date.now()) * 0.9);
    schedule(() => watchCalendar(publicUrl), renewIn);
  }

  /** Runs `renew` after `ms`; a failed renewal tries again a minute later rather than letting pushes stop. */
  function schedule(renew: () => Promise<void>, ms: number) {
    renewal = setTimeout(
      () => {
        renew().catch((error: unknown) => {
          logger.error({ err: error }, 'renewing the calendar channel failed; trying again in a minute');
          schedule(renew, 60_000);
        });
      },
      Math.min(ms, 2 ** 31 - 1),
    );
    renewal.unref();
  }

  return {
    verifierFor: (source) => verifiers.get(source),
    async register(publicUrl) {
      const tasks: Array<[string, () => Promise<unknown>]> = [];
      if (settings.stripe?.register) {
        tasks.push([
          'stripe',
          async () => {
            const known = await state.get(workspace, 'stripe', 'webhook_secret');
            const endpoint = await sources.payments.ensureWebhookEndpoint(
              `${publicUrl}/webhooks/stripe`,
              ['*'],
              known,
            );
            await state.set(workspace, 'stripe', 'webhook_secret', endpoint.secret);
            stripeSecrets = [...new Set([...stripeSecrets, endpoint.secret])];
          },
        ]);
      }
      if (settings.hubspot?.app) {
        const app = settings.hubspot.app;
        tasks.push([
          'hubspot',
          () =>
            sources.crm.registerAppWebhooks({
              developerApiKey: app.developerApiKey,
              appId: app.appId,
              targetUrl: `${publicUrl}/webhooks/hubspot`,
              events: HUBSPOT_EVENTS,
            }),
        ]);
      }
      if (settings.googleCalendar?.register) {
        tasks.push([
          'google_calendar',
          async () => {
            // The first sync token comes from a full listing; pushes then mean "sync from here".
            if (!(await state.get(workspace, 'google_calendar', 'sync_token'))) {
              const first = await sources.calendar.listChanges(undefined);
              await state.set(workspace, 'google_calendar', 'sync_token', first.nextSyncToken);
              await state.set(
                workspace,
                'google_calendar',
                'synced_at',
                new Date(Date.now() - 60_000).toISOString(),
              );
            }
            await watchCalendar(publicUrl);
          },
        ]);
      }
      if (settings.xero?.sandboxUrl) {
        const sandboxUrl = settings.xero.sandboxUrl;
        tasks.push([
          'xero',
          async () => {
            const res = await fetch(`${sandboxUrl}/__sandbox/webhooks/subscribe`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ url: `${publicUrl}/webhooks/xero` }),
            });
            if (!res.ok)
              throw new Error(`the Xero sandbox refused the subscription: ${res.status} ${await res.text()}`);
          },
        ]);
      }
      const results = await Promise.allSettled(tasks.map(([, task]) => task()));
      results.forEach((result, i) => {
        if (result.status === 'rejected') {
          logger.error(
            { err: result.reason, source: tasks[i]?.[0] },
            'webhook registration failed; that source sends no webhooks until it is fixed',
          );
        }
      });
    },
    async stop() {
      if (renewal) clearTimeout(renewal);
    },
  };
}
