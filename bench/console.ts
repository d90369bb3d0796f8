/**
 * Console benchmark: the operator's console in Debian's Chromium (playwright-core) against the
 * sandbox-mode hub as `npm start` runs it (in this process, SQLite in memory, caches on):
 * - the script's size as served (gzipped);
 * - first paint of /console (the sign-in page) and the time until the Connections page shows its
 *   cards for a signed-in tab, on the hub's first visit (it bundles the script then) and after;
 * - how long a vendor webhook takes to show as a row in the Live events page: from the moment the
 *   calendar sandbox sent its push to the hub (its delivery log) to the row's insertion (the page's
 *   clock; one machine, one clock). Google Calendar pushes carry no data, so this includes the hub's
 *   incremental sync call to the calendar, as with the real one.
 * Run: `npm run bench -- console`.
 */
import { gzipSync } from 'node:zlib';
import type { Browser } from 'playwright-core';
import { startSandboxHub } from '../harness/sandbox-hub.ts';
import { generateBusiness, upcomingBookings } from '../src/sandbox/seed/business.ts';
import { sandboxAction } from '../harness/sandbox-admin.ts';
import { launchChromium } from '../harness/browser.ts';
import { median, percentile } from './support.ts';

export const CONSOLE_BENCH = { paints: 10, events: 30 } as const;

export interface ConsoleResult {
  scriptBytes: number;
  scriptGzipBytes: number;
  /** The hub's first visit: the script is bundled then. */
  firstVisit: { firstPaintMs: number; connectionsMs: number };
  /** Later visits, each in a new browser context (nothing cached in the browser). */
  firstPaintMs: number[];
  connectionsMs: number[];
  /** Webhook sent by the sandbox to the row on the page, per event. */
  eventMs: number[];
}

export async function benchConsole(log: (line: string) => void): Promise<ConsoleResult> {
  const hub = await startSandboxHub();
  const { app, sandboxes, key } = hub;
  let browser: Browser | undefined;
  try {
    browser = await launchChromium();
    /** One visit in a new context: first contentful paint of the page, and the connections' cards. */
    const visit = async () => {
      const context = await browser!.newContext();
      await context.addInitScript((k) => sessionStorage.setItem('switchboard.console.key', k), key);
      const page = await context.newPage();
      await page.goto(`${app.url}/console#/connections`);
      await page.waitForSelector('.connection[data-system]');
      const timing = await page.evaluate(() => ({
        paint: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN,
        now: performance.now(),
      }));
      await context.close();
      return { firstPaintMs: timing.paint, connectionsMs: timing.now };
    };
    const firstVisit = await visit();
    log(`console: first visit ${firstVisit.connectionsMs.toFixed(0)} ms to the connections (script bundled)`);
    const firstPaintMs: number[] = [];
    const connectionsMs: number[] = [];
    for (let i = 0; i < CONSOLE_BENCH.paints; i++) {
      const v = await visit();
      firstPaintMs.push(v.firstPaintMs);
      connectionsMs.push(v.connectionsMs);
    }
    log(
      `console: first paint median ${median(firstPaintMs).toFixed(0)} ms, connections ${median(connectionsMs).toFixed(0)} ms`,
    );

    const script = await fetch(`${app.url}/console/app.js`);
    const scriptBytes = Buffer.byteLength(await script.text());
    const scriptGzipBytes = gzipSync(Buffer.from(await (await fetch(`${app.url}/console/app.js`)).text()), {
      level: 9,
    }).length;

    const context = await browser.newContext();
    await context.addInitScript((k) => sessionStorage.setItem('switchboard.console.key', k), key);
    const page = await context.newPage();
    await page.goto(`${app.url}/console#/events?type=BOOKING_CHANGED`);
    await page.waitForSelector('.status-line >> text=/Listening|Live/');
    await new Promise((r) => setTimeout(r, 500));
    const business = generateBusiness();
    const bookings = upcomingBookings(business).slice(0, CONSOLE_BENCH.events);
    const eventMs: number[] = [];
    for (const [i, booking] of bookings.entries()) {
      await sandboxAction(`${sandboxes.calendar.url}/__sandbox/actions/move-booking`, {
        eventId: booking.ids.googleEventId,
        start: new Date(booking.start.getTime() + 3_600_000).toISOString(),
        end: new Date(booking.end.getTime() + 3_600_000).toISOString(),
      });
      // Rows are prepended: the newest is first once the count has grown.
      await page.waitForFunction(
        (n) => document.querySelectorAll('tr[data-type="BOOKING_CHANGED"]').length > n,
        i,
        { timeout: 15_000 },
      );
      const shownAt = Number(
        await page.locator('tr[data-type="BOOKING_CHANGED"]').first().getAttribute('data-shown-at'),
      );
      const deliveries = (await (
        await fetch(`${sandboxes.calendar.url}/__sandbox/webhooks?limit=1`)
      ).json()) as {
        deliveries: { lastAttemptAt?: string }[];
      };
      eventMs.push(shownAt - Date.parse(deliveries.deliveries.at(-1)?.lastAttemptAt ?? ''));
      await new Promise((r) => setTimeout(r, 100));
    }
    log(
      `console: live event median ${median(eventMs).toFixed(0)} ms, p95 ${percentile(eventMs, 95).toFixed(0)} ms after the webhook`,
    );
    await context.close();
    return { scriptBytes, scriptGzipBytes, firstVisit, firstPaintMs, connectionsMs, eventMs };
  } finally {
    await browser?.close();
    await hub.close();
  }
}
