import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { RunningSwitchboard } from '../src/app.ts';
import type { Sandboxes } from '../src/sandbox/start.ts';
import { launchChromium, offlineContext } from '../harness/browser.ts';
import { startSandboxHub, type SandboxHub } from '../harness/sandbox-hub.ts';

// Connecting the accounting package (and HubSpot, by installing its app) from the console through
// its consent page, in a real Chromium: the console, the sandbox's consent page (another loopback
// origin) and the hub's callback. QuickBooks ties access tokens to their grant, so revoking the environment's grant first
// proves the hub's calls succeed afterwards only with the tokens the consent produced.

let app: RunningSwitchboard;
let sandboxes: Sandboxes;
let browser: Browser;

let hub: SandboxHub;
const gql = (query: string, variables?: Record<string, unknown>) => hub.gql(query, variables);

/** Customers with their invoices: needs the accounting vendor (the cache is off: every read reaches it). */
const INVOICES = `{ customers(first: 5) { edges { node { invoices(first: 1) { edges { node { number } } } } } } }`;
const accountingErrors = async () =>
  ((await gql(INVOICES)).errors ?? []).filter((e) => e.extensions?.source === 'quickbooks');

const connection = async () =>
  (await gql(`{ sources { system connection { connectedAt method canConnect } } }`)).data.sources.find(
    (s: { system: string }) => s.system === 'QUICKBOOKS',
  ).connection as { connectedAt: string | null; method: string; canConnect: boolean };

/** What the QuickBooks sandbox says about its grants (`GET /__sandbox`). */
const grants = async () => {
  const res = await fetch(`${sandboxes.accounting.url}/__sandbox`);
  const body = (await res.json()) as any;
  return (body.identity ?? body.state?.identity ?? body).grants as Array<{ id: string; revoked: boolean }>;
};

/** A context that may reach the hub and one sandbox (the accounting one by default) only: anything else is aborted and listed. */
async function signedIn(
  sandbox = sandboxes.accounting.url,
): Promise<{ page: Page; context: BrowserContext; elsewhere: string[] }> {
  const { context, elsewhere } = await offlineContext(browser, [app.url, sandbox]);
  const page = await context.newPage();
  await page.goto(`${app.url}/console#/connections`);
  await page.fill('#key', app.developmentKey!);
  await page.click('button[type=submit]');
  await page.waitForSelector('.connection[data-system="QUICKBOOKS"] button.connect');
  return { page, context, elsewhere };
}

beforeAll(async () => {
  hub = await startSandboxHub({
    SWITCHBOARD_CACHE: 'off',
    SWITCHBOARD_ACCOUNTING: 'quickbooks',
    SWITCHBOARD_CRM: 'hubspot',
  });
  ({ app, sandboxes } = hub);
  browser = await launchChromium();
}, 90_000);
afterAll(async () => {
  await browser?.close();
  await hub?.close();
});

describe('connecting a vendor from the console', () => {
  it('Deny on the consent page: back on Connections with a notice, nothing changed', async () => {
    const before = await connection();
    expect(before).toMatchObject({ method: 'environment', canConnect: true });
    const { page, context, elsewhere } = await signedIn();
    await page.click('.connection[data-system="QUICKBOOKS"] button.connect');
    await page.waitForURL((url) => url.href.startsWith(`${sandboxes.accounting.url}/connect/oauth2`));
    await page.click('button[value=deny]');
    await page.waitForSelector('.notice.error >> text=/QUICKBOOKS was not connected: consent was refused/');
    expect(page.url()).toBe(`${app.url}/console#/connections?refused=QUICKBOOKS`);
    expect(await connection()).toEqual(before);
    expect(await accountingErrors()).toEqual([]);
    const audit = await app.security.audit.list('default', { action: 'connection.callback', first: 5 });
    expect(audit[0]).toMatchObject({ outcome: 'FAILED', target: 'quickbooks', actor: expect.any(String) });
    expect(audit[0]?.detail).toEqual({ vendorError: 'access_denied' });
    expect(elsewhere).toEqual([]);
    await context.close();
  });

  it('Allow: the hub stores the new tokens and uses them; the callback link does not work twice', async () => {
    // The environment's grant is revoked at the vendor: from now on only a new consent can work.
    const creds = sandboxes.accounting.credentials;
    const revoke = await fetch(`${sandboxes.accounting.url}/v2/oauth2/tokens/revoke`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`${creds.clientId}:${creds.clientSecret}`).toString('base64')}`,
      },
      body: JSON.stringify({ token: creds.refreshToken }),
    });
    expect(revoke.status).toBe(200);
    expect((await accountingErrors()).length).toBeGreaterThan(0);
    const grantsBefore = await grants();

    const { page, context, elsewhere } = await signedIn();
    await page.click('.connection[data-system="QUICKBOOKS"] button.connect');
    await page.waitForURL((url) => url.href.startsWith(`${sandboxes.accounting.url}/connect/oauth2`));
    await expect(page.textContent('body')).resolves.toContain('com.intuit.quickbooks.accounting');
    const callback = page.waitForRequest((r) => r.url().startsWith(`${app.url}/oauth/callback/quickbooks?`));
    await page.click('button[value=allow]');
    const callbackUrl = (await callback).url();
    await page.waitForSelector('.notice.ok >> text=/QUICKBOOKS connected/');
    expect(page.url()).toBe(`${app.url}/console#/connections?connected=QUICKBOOKS`);
    await page.waitForSelector(
      '.connection[data-system="QUICKBOOKS"] .connection-method >> text=/from the console/',
    );

    // The sandbox made one new grant (the code exchange), and the hub's calls now succeed with it.
    const grantsAfter = await grants();
    expect(grantsAfter.length).toBe(grantsBefore.length + 1);
    expect(grantsAfter.at(-1)?.revoked).toBe(false);
    expect(await accountingErrors()).toEqual([]);
    const connected = await connection();
    expect(connected).toMatchObject({ method: 'oauth', canConnect: true });

    // The same callback link again: refused with a page that says why; nothing changes.
    const replay = await page.goto(callbackUrl);
    expect(replay?.status()).toBe(400);
    await expect(page.textContent('body')).resolves.toMatch(/already been used[\s\S]*Nothing was changed/);
    expect(await connection()).toEqual(connected);
    expect(await grants()).toEqual(grantsAfter);
    expect(elsewhere).toEqual([]);
    await context.close();
  });

  it('a forged state gets the "not made by this hub" page, and Disconnect makes calls fail with "not connected"', async () => {
    const forged = await fetch(`${app.url}/oauth/callback/quickbooks?code=x&state=${'A'.repeat(43)}`);
    expect(forged.status).toBe(400);
    expect(await forged.text()).toMatch(/not made by this hub[\s\S]*Nothing was changed/);

    // Another company chosen on Intuit's page: refused before the code is exchanged.
    const before = await connection();
    const start = await gql(`mutation { startConnection(system: QUICKBOOKS) { authorizeUrl } }`);
    const state = new URL(start.data.startConnection.authorizeUrl).searchParams.get('state')!;
    const other = await fetch(`${app.url}/oauth/callback/quickbooks?code=AB11x&realmId=1&state=${state}`);
    expect(other.status).toBe(400);
    expect(await other.text()).toMatch(/not the one this hub is configured for[\s\S]*QUICKBOOKS_REALM_ID/);
    expect(await connection()).toEqual(before);

    const { page, context } = await signedIn();
    page.once('dialog', (dialog) => void dialog.accept());
    await page.click('.connection[data-system="QUICKBOOKS"] button.disconnect');
    await page.waitForSelector('.notice.ok >> text=/QUICKBOOKS disconnected/');
    expect(await connection()).toMatchObject({ method: 'none', connectedAt: null });
    const errors = await accountingErrors();
    expect(errors.length).toBeGreaterThan(0);
    expect(JSON.stringify(errors)).toMatch(/not connected: connect it from the console/);
    await context.close();
  });

  it('Stripe by key: a malformed or refused key is refused with the reason and nothing changes; a restricted key connects', async () => {
    const payments = async () =>
      (await gql(`{ sources { system connection { method } } }`)).data.sources.find(
        (s: { system: string }) => s.system === 'STRIPE',
      ).connection.method as string;
    const ORDERS = `{ customers(first: 5) { edges { node { orders(first: 1) { edges { node { id } } } } } } }`;
    const paymentErrors = async () =>
      ((await gql(ORDERS)).errors ?? []).filter((e) => e.extensions?.source === 'stripe');

    const { page, context } = await signedIn();
    const form = '.connection[data-system="STRIPE"] form.key-form';
    await page.fill(`${form} input.key`, 'pk_test_123');
    await page.click(`${form} button[type=submit]`);
    await page.waitForSelector('.notice.error >> text=/publishable keys/');
    await page.fill(`${form} input.key`, 'rk_test_wrong');
    await page.click(`${form} button[type=submit]`);
    await page.waitForSelector('.notice.error >> text=/Stripe refused the key: the key is not valid/');
    expect(await payments()).toBe('environment');

    await page.fill(`${form} input.key`, sandboxes.payments.credentials.restrictedKey!);
    await page.click(`${form} button[type=submit]`);
    await page.waitForSelector('.notice.ok >> text=/STRIPE connected with the key/');
    expect(await payments()).toBe('key');
    expect(await paymentErrors()).toEqual([]);

    const disconnected = await gql(
      `mutation { disconnect(system: STRIPE) { system connection { method } } }`,
    );
    expect(disconnected.data.disconnect.connection.method).toBe('none');
    expect(JSON.stringify(await paymentErrors())).toMatch(/Stripe is not connected/);
    await context.close();
  });

  it('Workspaces: the studio makes one, signs this tab in with its key shown once, and connects its books through the consent page', async () => {
    const { page, context, elsewhere } = await signedIn();
    await page.goto(`${app.url}/console#/workspaces`);
    await page.waitForSelector('.workspace[data-workspace="default"] >> text=/signed in here/');
    await page.fill('#workspace-id', 'Not An Id');
    await page.fill('#workspace-name', 'Bad');
    await page.click('.workspace-form button[type=submit]');
    await page.waitForSelector('.notice.error >> text=/lower-case letters, digits and hyphens/');

    await page.fill('#workspace-id', 'harbour-annex');
    await page.fill('#workspace-name', 'Harbour Annex');
    await page.click('.workspace-form button[type=submit]');
    await page.waitForSelector(
      '.notice.ok >> text=/Harbour Annex \\(harbour-annex\\) is served from now on/',
    );
    await expect(page.inputValue('#workspace-key')).resolves.toMatch(/^sb_test_/);
    await page.waitForSelector('.workspace[data-workspace="harbour-annex"] >> text=/0 of 4 connected/');

    await page.click('#workspace-sign-in');
    await page.waitForSelector('.connection[data-system="QUICKBOOKS"] button.connect');
    await expect(
      page.textContent('.connection[data-system="QUICKBOOKS"] .connection-method'),
    ).resolves.toMatch(/not connected/);
    await page.click('.connection[data-system="QUICKBOOKS"] button.connect');
    await page.waitForURL((url) => url.href.startsWith(`${sandboxes.accounting.url}/connect/oauth2`));
    await page.click('button[value=allow]');
    await page.waitForSelector('.notice.ok >> text=/QUICKBOOKS connected/');

    await page.goto(`${app.url}/console#/workspaces`);
    const books = '.workspace[data-workspace="harbour-annex"] .workspace-system[data-system="QUICKBOOKS"]';
    await page.waitForSelector(`${books}[data-connected="true"]`);
    await expect(page.textContent(books)).resolves.toMatch(
      new RegExp(`account ${sandboxes.accounting.credentials.realmId}`),
    );
    // The studio's own workspace is as it was: nothing of the new one's connection reached it.
    expect((await connection()).method).not.toBe('oauth');
    expect(elsewhere).toEqual([]);
    await context.close();
  });

  it("HubSpot's app install: the install page, Connect app, and the CRM read with the installed app's token", async () => {
    const crm = sandboxes.crm.url;
    const appTokenUses = async () =>
      ((await (await fetch(`${crm}/__sandbox`)).json()) as { oauth: { accessTokenUses: number } }).oauth
        .accessTokenUses;
    const SEARCH = `{ customers(search: "a", first: 2) { edges { node { id } } } }`;
    expect((await gql(SEARCH)).errors).toBeUndefined();
    expect(await appTokenUses()).toBe(0); // the private-app token until the app is installed

    const { page, context, elsewhere } = await signedIn(crm);
    await page.click('.connection[data-system="HUBSPOT"] button.connect');
    await page.waitForURL((url) => url.href.startsWith(`${crm}/oauth/authorize`));
    await expect(page.textContent('body')).resolves.toContain('crm.objects.contacts.write');
    await page.click('button[value=allow]');
    await page.waitForSelector('.notice.ok >> text=/HUBSPOT connected/');
    expect(page.url()).toBe(`${app.url}/console#/connections?connected=HUBSPOT`);
    await page.waitForSelector(
      '.connection[data-system="HUBSPOT"] .connection-method >> text=/from the console/',
    );

    expect((await gql(SEARCH)).errors).toBeUndefined();
    expect(await appTokenUses()).toBeGreaterThan(0);
    expect(elsewhere).toEqual([]);
    await context.close();
  });
});
