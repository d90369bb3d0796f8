import { randomBytes, randomUUID } from 'node:crypto';
import type { SourceModule, WebhookContext } from '../../src/domain/source-module.ts';
import { createEnvReader, credential } from '../../src/env.ts';
import { bearerOf, createModuleTokenProvider, type ConsentClient } from '../../src/upstream/oauth.ts';
import { clientConsent } from '../../src/upstream/consent.ts';
import { CHANGES_CURSOR, CHANGES_SYNCED_AT } from '../../src/webhooks/cursor.ts';
import { GOOGLE_CALENDAR_LIMITS } from './limits.ts';
import { googleCalendarConnections } from './connections.ts';
import { createGoogleCalendarSource, type GoogleCalendarSource } from './source.ts';
import { createGoogleWebhookVerifier } from './webhooks.ts';
import { startGoogleCalendarSandbox } from './sandbox/server.ts';

/** The OAuth client ("Web application" in Google Cloud's credentials page). */
export interface GoogleOAuthClient {
  tokenUrl: string;
  /** The consent page; default accounts.google.com's. */
  authUrl?: string;
  clientId: string;
  clientSecret: string;
}

export interface GoogleCalendarSettings {
  baseUrl: string;
  calendarId: string;
  /** A fixed access token (sandbox, short tests); a connection made in the console replaces it … */
  accessToken?: string;
  /** … or the OAuth client with `refreshToken`, refreshed ahead of expiry. The client alone lets the console connect. */
  oauth?: GoogleOAuthClient & { refreshToken?: string };
}

export interface GoogleWebhookSettings {
  /** Open push channels (needs an address Google can reach: PUBLIC_URL; always in sandbox mode). */
  register: boolean;
  ttlSeconds?: number;
}

const TOKEN_URL = 'https://oauth2.googleapis.com/token';
const AUTH_URL = 'https://accounts.google.com/o/oauth2/v2/auth';
/** The bookings calendar: its events read and written, and push channels on it. */
const CONSENT_SCOPE = 'https://www.googleapis.com/auth/calendar';

const clientOf = ({ oauth }: GoogleCalendarSettings): ConsentClient | undefined =>
  oauth && {
    authorizeUrl: oauth.authUrl ?? AUTH_URL,
    tokenUrl: oauth.tokenUrl,
    clientId: oauth.clientId,
    clientSecret: oauth.clientSecret,
  };

/** Google Calendar v3: events with client-chosen ids, incremental sync, push channels. */
export const googleCalendar: SourceModule<'calendar', GoogleCalendarSettings, GoogleWebhookSettings> = {
  id: 'google_calendar',
  role: 'calendar',
  label: 'Google Calendar',
  description: 'Google Calendar: bookings.',
  website: 'https://calendar.google.com',
  settings: {
    credentialVars: ['GOOGLE_CALENDAR_ACCESS_TOKEN', 'GOOGLE_CLIENT_ID'],
    variables: [
      { name: 'GOOGLE_CLIENT_ID', meaning: 'the OAuth client (also what the console connects with)' },
      { name: 'GOOGLE_CLIENT_SECRET', meaning: "the OAuth client's secret" },
      {
        name: 'GOOGLE_REFRESH_TOKEN',
        meaning: 'a refresh token from the consent flow (or connect from the console instead)',
      },
      { name: 'GOOGLE_CALENDAR_ID', default: 'primary', meaning: 'the bookings calendar' },
      { name: 'GOOGLE_CALENDAR_ACCESS_TOKEN', meaning: 'instead of a refresh token, a short-lived token' },
      {
        name: 'GOOGLE_CALENDAR_API_BASE',
        default: 'https://www.googleapis.com',
        meaning: 'the API (a sandbox or a proxy)',
      },
      { name: 'GOOGLE_OAUTH_TOKEN_URL', default: TOKEN_URL, meaning: 'the token endpoint' },
      {
        name: 'GOOGLE_OAUTH_AUTH_URL',
        default: AUTH_URL,
        meaning: 'the consent page (connecting from the console)',
      },
    ],
    fromEnv(env) {
      const read = createEnvReader(env);
      const why = 'to connect Google Calendar with an OAuth client';
      const oauth = env.GOOGLE_CLIENT_ID
        ? {
            tokenUrl: read.url('GOOGLE_OAUTH_TOKEN_URL', TOKEN_URL),
            authUrl: read.url('GOOGLE_OAUTH_AUTH_URL', AUTH_URL),
            clientId: read.required('GOOGLE_CLIENT_ID', why),
            clientSecret: read.required('GOOGLE_CLIENT_SECRET', why),
            refreshToken: read.optional('GOOGLE_REFRESH_TOKEN'),
          }
        : undefined;
      if (!oauth?.refreshToken && !env.GOOGLE_CALENDAR_ACCESS_TOKEN) {
        read.problems.push(
          oauth
            ? 'Google Calendar needs GOOGLE_REFRESH_TOKEN (or GOOGLE_CALENDAR_ACCESS_TOKEN until it is connected from the console)'
            : 'Google Calendar needs GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET and GOOGLE_REFRESH_TOKEN',
        );
      }
      const settings: GoogleCalendarSettings = {
        baseUrl: read.url('GOOGLE_CALENDAR_API_BASE', 'https://www.googleapis.com'),
        calendarId: env.GOOGLE_CALENDAR_ID || 'primary',
        accessToken: read.optional('GOOGLE_CALENDAR_ACCESS_TOKEN'),
        oauth,
      };
      return read.problems.length ? { problems: read.problems } : { settings };
    },
    fromSandbox: (sandbox) => ({
      baseUrl: sandbox.url,
      calendarId: credential(sandbox, 'calendarId'),
      accessToken: credential(sandbox, 'accessToken'),
      oauth: {
        tokenUrl: `${sandbox.url}/token`,
        authUrl: `${sandbox.url}/o/oauth2/v2/auth`,
        clientId: credential(sandbox, 'clientId'),
        clientSecret: credential(sandbox, 'clientSecret'),
      },
    }),
    envFromSandbox: (sandbox) => ({
      GOOGLE_CALENDAR_ACCESS_TOKEN: credential(sandbox, 'accessToken'),
      GOOGLE_CALENDAR_ID: credential(sandbox, 'calendarId'),
      GOOGLE_CALENDAR_API_BASE: sandbox.url,
      GOOGLE_CLIENT_ID: credential(sandbox, 'clientId'),
      GOOGLE_CLIENT_SECRET: credential(sandbox, 'clientSecret'),
      GOOGLE_OAUTH_TOKEN_URL: `${sandbox.url}/token`,
      GOOGLE_OAUTH_AUTH_URL: `${sandbox.url}/o/oauth2/v2/auth`,
    }),
  },
  limits: () => GOOGLE_CALENDAR_LIMITS,
  connections: googleCalendarConnections,
  connect(settings, context) {
    // https://developers.google.com/identity/protocols/oauth2/web-server#offline
    const fixed = settings.accessToken ?? '';
    const token = createModuleTokenProvider({
      source: 'google_calendar',
      client: clientOf(settings),
      refreshToken: settings.oauth?.refreshToken,
      fixedAccessToken: fixed,
      tokenStore: (configured) => context.tokenStore(configured),
    });
    const source: GoogleCalendarSource = createGoogleCalendarSource({
      baseUrl: settings.baseUrl,
      calendarId: settings.calendarId,
      timeZone: context.timeZone,
      ...bearerOf(token, fixed),
      timeoutMs: context.timeoutMs,
      metrics: context.metrics,
      policy: context.policy(GOOGLE_CALENDAR_LIMITS, token),
    });
    return { source, token };
  },
  // https://developers.google.com/identity/protocols/oauth2/web-server#creatingclient (the consent page)
  // https://developers.google.com/identity/protocols/oauth2/web-server#exchange-authorization-code
  consent: clientConsent({
    client: clientOf,
    missing:
      'Google Calendar has no OAuth client here: set GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET (a "Web application" client whose redirect URIs include the hub\'s /oauth/callback/google_calendar) to connect it from the console',
    query: {
      response_type: 'code',
      scope: CONSENT_SCOPE,
      // A refresh token comes only with offline access, and again on a reconnect only when the
      // consent is shown again (prompt=consent).
      access_type: 'offline',
      prompt: 'consent',
    },
  }),
  webhooks: {
    path: 'google-calendar',
    fromEnv: (_env, { publicUrl }) => ({ register: Boolean(publicUrl) }),
    fromSandbox: () => ({ register: true }),
    verifier: (_webhooks, { channels }) => createGoogleWebhookVerifier({ channels: channels.registry }),
    async register(webhooks, publicUrl, context) {
      if (!webhooks.register) return;
      const { workspace, state } = context;
      const calendar = context.source as GoogleCalendarSource;
      // The first cursor comes from a full listing; pushes then mean "what changed since it".
      if (!(await state.get(workspace, 'google_calendar', CHANGES_CURSOR))) {
        const first = await calendar.changesSince(undefined);
        await state.set(workspace, 'google_calendar', CHANGES_CURSOR, first.cursor);
        await state.set(
          workspace,
          'google_calendar',
          CHANGES_SYNCED_AT,
          new Date(Date.now() - 60_000).toISOString(),
        );
      }
      return watchCalendar(webhooks, publicUrl, calendar, context);
    },
  },
  sandbox: {
    port: 12113,
    start: ({ relaxed: _relaxed, ...options }) => startGoogleCalendarSandbox(options),
    seedIds: (business) => ({
      bookings: new Map(business.bookings.map((b) => [b.key, b.ids.googleEventId])),
    }),
    faults: {
      createEvent: { operations: ['events.insert'] },
      // The patch (moveEvent patches too); confirmEvent's read before it is left working.
      confirmEvent: { operations: ['events.patch'] },
      api: { pathPrefix: '/calendar' },
    },
  },
};

/**
 * Opens a push channel and keeps one open: a channel cannot be extended, so the next is opened when
 * 90% of its life has passed, and a failed renewal is tried again a minute later rather than
 * letting pushes stop. Returns how to stop renewing.
 */
async function watchCalendar(
  webhooks: GoogleWebhookSettings,
  publicUrl: string,
  calendar: GoogleCalendarSource,
  { channels, logger }: WebhookContext<GoogleCalendarSettings, 'calendar'>,
): Promise<() => void> {
  let renewal: NodeJS.Timeout | undefined;
  let stopped = false;
  const ttlSeconds = webhooks.ttlSeconds ?? 7 * 86_400; // Google's default and maximum: a week
  const open = async (): Promise<void> => {
    const previous = await channels.current();
    const channelId = randomUUID();
    const token = randomBytes(24).toString('base64url');
    // Stored before the watch: Google's first notification may arrive before `watch` returns.
    const expiresAt = new Date(Date.now() + ttlSeconds * 1000);
    await channels.save({ channelId, token, resourceId: null, expiresAt });
    // https://developers.google.com/calendar/api/v3/reference/events/watch
    const channel = await calendar.watch({
      channelId,
      address: `${publicUrl}/webhooks/google-calendar`,
      token,
      ttlSeconds,
    });
    await channels.remove(channelId);
    await channels.save({ channelId, token, resourceId: channel.resourceId, expiresAt: channel.expiration });
    if (previous?.resourceId) {
      await calendar.stopChannel(previous.channelId, previous.resourceId).catch(() => {});
      await channels.remove(previous.channelId);
    }
    schedule(Math.max(1_000, (channel.expiration.getTime() - Date.now()) * 0.9));
  };
  const schedule = (ms: number) => {
    if (stopped) return;
    renewal = setTimeout(
      () => {
        open().catch((error: unknown) => {
          logger.error({ err: error }, 'renewing the calendar channel failed; trying again in a minute');
          schedule(60_000);
        });
      },
      Math.min(ms, 2 ** 31 - 1),
    );
    renewal.unref();
  };
  await open();
  return () => {
    stopped = true;
    if (renewal) clearTimeout(renewal);
  };
}
