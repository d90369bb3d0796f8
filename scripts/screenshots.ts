/**
 * `npm run screenshots`: the README's pictures of the console (and of the example website), taken from the sandbox-mode hub in
 * Debian's Chromium (playwright-core), into docs/screenshots/. The hub runs in this process on an
 * in-memory store; before the pictures it makes the things worth seeing: a failed delivery (the
 * accounting sandbox refuses for a moment), a connection failing, and a few live events.
 */
// The hub's request log would bury the progress lines; set before the logger is made.
process.env.LOG_LEVEL ??= 'silent';
import { mkdirSync } from 'node:fs';
import { startSandboxHub } from '../harness/sandbox-hub.ts';
import { clearFaults, injectFault, sandboxAction } from '../harness/sandbox-admin.ts';
import { generateBusiness, upcomingBookings } from '../src/sandbox/seed/business.ts';
import { launchChromium } from '../harness/browser.ts';
import { websiteScreenshots } from './screenshots-website.ts';

const out = new URL('../docs/screenshots/', import.meta.url);
mkdirSync(out, { recursive: true });

const hub = await startSandboxHub({
  SWITCHBOARD_CACHE: 'off',
  OUTBOX_MAX_ATTEMPTS: '2',
  OUTBOX_RETRY_BASE_MS: '20',
  OUTBOX_RETRY_MAX_MS: '50',
  OUTBOX_POLL_MS: '50',
});
const { app, sandboxes, key, gql } = hub;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const browser = await launchChromium();
try {
  console.log(`hub on ${app.url}; making a failed delivery and some traffic…`);
  await injectFault(sandboxes.accounting.url, { status: 503 });
  await gql(`mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { operation { id } } }`, {
    input: { firstName: 'Ada', lastName: 'Lovelace', email: 'ada.lovelace@example.com' },
  });
  for (let i = 0; i < 5; i++) {
    await gql(`{ customers(first: 5) { edges { node { invoices(first: 1) { edges { node { id } } } } } } }`);
    await pause(200);
  }
  await clearFaults(sandboxes.accounting.url);
  await injectFault(sandboxes.payments.url, { status: 503 });
  await gql(`{ customers(first: 3) { edges { node { orders(first: 1) { edges { node { id } } } } } } }`);
  for (let i = 0; i < 10; i++) await gql(`{ customers(first: 20) { edges { node { displayName } } } }`);

  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  await page.goto(`${app.url}/console`);
  await page.screenshot({ path: new URL('sign-in.png', out).pathname });
  await page.fill('#key', key);
  await page.click('button[type=submit]');
  await page.waitForSelector('.connection.red');
  await page.screenshot({ path: new URL('connections.png', out).pathname, fullPage: true });
  await clearFaults(sandboxes.payments.url);

  await page.goto(`${app.url}/console#/events`);
  await page.waitForSelector('.status-line >> text=/Listening|Live/');
  await pause(300);
  const business = generateBusiness();
  for (const booking of upcomingBookings(business).slice(0, 3)) {
    await sandboxAction(`${sandboxes.calendar.url}/__sandbox/actions/move-booking`, {
      eventId: booking.ids.googleEventId,
      start: new Date(booking.start.getTime() + 3_600_000).toISOString(),
      end: new Date(booking.end.getTime() + 3_600_000).toISOString(),
    });
  }
  await page.waitForSelector('tr[data-type="BOOKING_CHANGED"]');
  await pause(1_000);
  await page.screenshot({ path: new URL('events.png', out).pathname });

  await page.goto(`${app.url}/console#/writes`);
  await page.waitForSelector('#failed-deliveries [data-operation]');
  await page.screenshot({ path: new URL('writes.png', out).pathname });

  await page.goto(`${app.url}/console#/sync-issues`);
  await page.waitForSelector('#sync-issues > *');
  await page.screenshot({ path: new URL('sync-issues.png', out).pathname });

  await page.goto(`${app.url}/console#/customers`);
  const first = await page.waitForSelector('#customer-results a');
  await first.click();
  await page.waitForSelector('.links li');
  await page.screenshot({ path: new URL('customer.png', out).pathname, fullPage: true });

  await page.goto(`${app.url}/console#/charts`);
  await page.waitForSelector('[data-chart="calls"]');
  await page.screenshot({ path: new URL('charts.png', out).pathname });

  await page.goto(`${app.url}/console#/map`);
  await page.waitForSelector('article.map, .notice');
  await page.screenshot({ path: new URL('map.png', out).pathname });

  // A second business the studio looks after, its payments connected by key.
  const made = await gql(
    `mutation { createWorkspace(input: { id: "harbour-annex", name: "Harbour Annex" }) { operatorKey } }`,
  );
  await gql(
    `mutation($k: String!) { connectWithKey(system: STRIPE, key: $k) { system } }`,
    { k: sandboxes.payments.credentials.apiKey },
    made.data.createWorkspace.operatorKey,
  );
  await page.goto(`${app.url}/console#/workspaces`);
  await page.waitForSelector('.workspace[data-workspace="harbour-annex"]');
  await page.screenshot({ path: new URL('workspaces.png', out).pathname, fullPage: true });

  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
  const small = await phone.newPage();
  await small.goto(`${app.url}/console`);
  await small.fill('#key', key);
  await small.click('button[type=submit]');
  await small.waitForSelector('.connection');
  await small.screenshot({ path: new URL('connections-phone.png', out).pathname });

  await clearFaults(sandboxes.payments.url);
  await websiteScreenshots(hub, browser, out);

  // Deposits: the website's (paid there), and two asked for by a script: one paid, one abandoned.
  const now = Date.now();
  const upcoming = await gql(
    `query($from: DateTime!, $to: DateTime!) { bookings(from: $from, to: $to, first: 200, status: [CONFIRMED]) {
      edges { node { id serviceCode customer { id } } } } }`,
    { from: new Date(now + 86_400_000).toISOString(), to: new Date(now + 60 * 86_400_000).toISOString() },
  );
  const bookable = upcoming.data.bookings.edges
    .map((e: { node: { id: string; serviceCode: string | null; customer: unknown } }) => e.node)
    .filter((b: { serviceCode: string | null; customer: unknown }) => b.serviceCode && b.customer)
    .slice(0, 2);
  const links: string[] = [];
  for (const booking of bookable) {
    const made = await gql(`mutation($id: ID!) { requestDeposit(bookingId: $id) { url } }`, {
      id: booking.id,
    });
    links.push(made.data.requestDeposit.url);
  }
  await fetch(`${links[0]}/pay`, { method: 'POST', redirect: 'manual' });
  await sandboxAction(`${sandboxes.payments.url}/__sandbox/actions/expire-checkout-session`, {
    session: links[1]?.split('/').pop(),
  });
  await pause(1_500);
  await page.goto(`${app.url}/console#/deposits`);
  await page.waitForSelector('#deposit-links tr[data-status="EXPIRED"]');
  await page.screenshot({ path: new URL('deposits.png', out).pathname });
  console.log(`screenshots written to ${out.pathname}`);
} finally {
  await clearFaults(sandboxes.payments.url, sandboxes.accounting.url).catch(() => {});
  await browser.close();
  await hub.close();
}
