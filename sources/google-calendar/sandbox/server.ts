import { startSandboxServer, type SandboxRequest } from '../../../src/sandbox/kit/http.ts';
import { clockRoutes, createClock } from '../../../src/sandbox/kit/clock.ts';
import { createRandom } from '../../../src/sandbox/kit/random.ts';
import { createWebhookDispatcher } from '../../../src/sandbox/kit/webhooks.ts';
import { generateBusiness } from '../../../src/sandbox/seed/business.ts';
import type { VendorSandbox, VendorSandboxOptions } from '../../../src/sandbox/types.ts';
import { adminRoutes } from './admin.ts';
import { createGoogleOAuth } from './oauth.ts';
import { createPushChannels, type Channel } from './push.ts';
import { calendarRoutes } from './routes.ts';
import { createCalendarStore, type CalendarSnapshot } from './state.ts';
import { errors, kitErrorResponse } from './wire.ts';

/**
 * Google Calendar v3 sandbox: one calendar of bookings, served in Google's wire format so that
 * `@googleapis/calendar` works against it with only `rootUrl` changed. See README.md.
 */

/** The fixed access token the sandbox accepts besides those its token endpoint mints. */
export const SANDBOX_ACCESS_TOKEN = 'ya29.switchboard-sandbox';

/** The OAuth client (a "Web application" client in Google Cloud's credentials page), fixed. */
export const GOOGLE_SANDBOX_CLIENT = {
  clientId: '480613527790-sbx0switchboard0calendar.apps.googleusercontent.com',
  clientSecret: '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',
} as const;

function accessToken(req: SandboxRequest): string | undefined {
  const header = req.headers.authorization;
  if (typeof header === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return m ? m[1] : undefined;
  }
  // Google also takes the token as a query parameter.
  return req.query.get('access_token') ?? undefined;
}

export async function startGoogleCalendarSandbox(options: VendorSandboxOptions = {}): Promise<VendorSandbox> {
  const business = options.business ?? generateBusiness(options.seed);
  const store = createCalendarStore(business);
  const webhooks = createWebhookDispatcher({ initial: options.webhooks });
  const push = createPushChannels(store, webhooks);
  store.onChange(() => push.notifyChange());
  const clock = createClock();
  const oauth = createGoogleOAuth({
    clock,
    random: createRandom(`google-calendar-oauth:${business.seed}`),
    ...GOOGLE_SANDBOX_CLIENT,
    account: () => `${business.name} (${business.calendarId})`,
  });
  const credentials = {
    accessToken: SANDBOX_ACCESS_TOKEN,
    calendarId: business.calendarId,
    ...GOOGLE_SANDBOX_CLIENT,
  };

  const running = await startSandboxServer(
    {
      name: 'google_calendar',
      routes: [...oauth.routes(), ...calendarRoutes(store, push)],
      adminRoutes: [...adminRoutes(store, push), ...clockRoutes(clock)],
      errorResponse: (status, message, _req, extra) => kitErrorResponse(status, message, extra),
      middleware: async (req, next) => {
        if (oauth.owns(req.path)) return next();
        const token = accessToken(req);
        if (token !== SANDBOX_ACCESS_TOKEN && !(token !== undefined && oauth.accepts(token)))
          return errors.unauthorized();
        return next();
      },
      reset: () => {
        store.reset();
        push.clear();
        oauth.reset();
      },
      describe: () => ({
        credentials,
        oauth: oauth.describe(),
        calendarId: business.calendarId,
        timeZone: business.timeZone,
        events: store.events.size,
        channels: push.list().length,
        syncEpoch: store.syncEpoch,
      }),
      webhooks,
    },
    { port: options.port, host: options.host },
  );
  return {
    ...running,
    state: {
      snapshot: () => ({ calendar: store.snapshot(), channels: push.snapshot() }),
      restore(saved) {
        const s = saved as { calendar: CalendarSnapshot; channels: Map<string, Channel> };
        store.restore(s.calendar);
        push.restore(s.channels);
      },
    },
    credentials,
  };
}
