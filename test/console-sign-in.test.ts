import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, offlineContext } from '../harness/browser.ts';
import { startSandboxHub, type SandboxHub } from '../harness/sandbox-hub.ts';
import { startSandboxIdp, type SandboxIdp } from '../src/sandbox/idp/index.ts';

// Signing in to the console through the business's identity provider, in a real Chromium: the
// console, the sandbox identity provider's sign-in page (another loopback origin), the hub's
// callback and the handle the page collects. Nothing else may be reached.

let hub: SandboxHub;
let idp: SandboxIdp;
let browser: Browser;

beforeAll(async () => {
  idp = await startSandboxIdp();
  hub = await startSandboxHub(idp.env());
  browser = await launchChromium();
}, 90_000);
afterAll(async () => {
  await browser?.close();
  await hub?.close();
  await idp?.close();
});

/** The console's sign-in page in a context that may reach the hub and the identity provider only. */
async function atSignIn(
  options: { clock?: boolean } = {},
): Promise<{ page: Page; context: BrowserContext; elsewhere: string[] }> {
  const { context, elsewhere } = await offlineContext(browser, [hub.app.url, idp.url]);
  const page = await context.newPage();
  // The page's clock, moved by the test rather than waited for (the token's expiry).
  if (options.clock) await page.clock.install();
  await page.goto(`${hub.app.url}/console`);
  await page.click('a.sign-in-with >> text="Sign in with Sandbox ID"');
  await page.waitForURL((url) => url.href.startsWith(`${idp.url}/authorize?`));
  return { page, context, elsewhere };
}

const signInAudit = async () =>
  (await hub.app.security.audit.list('default', { action: 'console.signIn', first: 20 }))[0];

/** What the console keeps as its credential in this tab (sessionStorage, as for a key). */
const sessionKey = (page: Page) => page.evaluate(() => sessionStorage.getItem('switchboard.console.key'));

/** POSTs a handle from the page (its cookies, same origin), as the console does. */
const postHandle = (page: Page, handle: string) =>
  page.evaluate(async (h) => {
    const res = await fetch('/console/login/session', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ handle: h }),
    });
    return {
      status: res.status,
      body: (await res.json()) as { error?: string; reason?: string; token?: string },
    };
  }, handle);

describe('signing in to the console with the identity provider', () => {
  it('Allow as an operator: signed in with the provider token, Connections loads; the callback and the handle work once', async () => {
    const { page, context, elsewhere } = await atSignIn();
    // The hub asked for the code flow with PKCE (S256), a state and a nonce, for its own callback.
    const asked = new URL(page.url()).searchParams;
    expect(asked.get('response_type')).toBe('code');
    expect(asked.get('code_challenge_method')).toBe('S256');
    expect(asked.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(asked.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(asked.get('nonce')).toBeTruthy();
    expect(asked.get('redirect_uri')).toBe(`${hub.app.url}/console/login/callback`);
    expect(asked.get('scope')!.split(' ')).toEqual(expect.arrayContaining(['openid', 'operator']));

    const callback = page.waitForResponse((r) =>
      r.url().startsWith(`${hub.app.url}/console/login/callback?`),
    );
    await page.click('input[value=olivia]');
    await page.click('button[value=allow]');
    const answer = await callback;
    const location = answer.headers()['location'] ?? '';
    expect(location).toMatch(/^\/console#\/signin\/[A-Za-z0-9_-]{43}$/);
    const handle = location.split('/').at(-1)!;

    await page.waitForSelector('.connection[data-system]');
    expect(page.url()).toBe(`${hub.app.url}/console#/connections`);
    const token = await sessionKey(page);
    expect(token).toMatch(/^eyJ/);
    // The token works for the API as any client's would, and names the provider's user.
    const sources = await hub.gql('{ sources { system } }', {}, token!);
    expect(sources.errors).toBeUndefined();
    expect(await signInAudit()).toMatchObject({ outcome: 'SUCCEEDED', actor: 'jwt:olivia' });

    // The handle a second time, from the same browser: refused, no token.
    const again = await postHandle(page, handle);
    expect(again.status).toBe(400);
    expect(again.body.token).toBeUndefined();
    expect(again.body.error).toMatch(/already been used/);
    // The callback link a second time: refused with a page that says why.
    const replay = await page.goto(answer.url());
    expect(replay?.status()).toBe(400);
    await expect(page.textContent('body')).resolves.toMatch(/already been used[\s\S]*not signed in/);
    expect(elsewhere).toEqual([]);
    await context.close();
  });

  it("signs out, saying so, when the provider's token expires", async () => {
    const { page, context } = await atSignIn({ clock: true });
    await page.click('button[value=allow]');
    await page.waitForSelector('.connection[data-system]');
    // A reload keeps the session and its expiry.
    await page.reload();
    await page.waitForSelector('.connection[data-system]');
    await page.clock.fastForward('01:00:01'); // the sandbox provider's tokens last an hour
    await page.waitForSelector('.sign-in .notice >> text=/Your sign-in has expired: sign in again/');
    expect(await sessionKey(page)).toBeNull();
    await context.close();
  });

  it('a user without the operator scope is refused with a clear message and no session', async () => {
    const { page, context, elsewhere } = await atSignIn();
    await page.click('input[value=victor]');
    await page.click('button[value=allow]');
    await page.waitForSelector('.sign-in .notice.error >> text=/does not have the `operator` scope/');
    expect(await sessionKey(page)).toBeNull();
    expect(page.url()).not.toMatch(/error=/);
    expect(await signInAudit()).toMatchObject({ outcome: 'FORBIDDEN', actor: 'jwt:victor' });
    expect(elsewhere).toEqual([]);
    await context.close();
  });

  it('Deny at the provider: back on the sign-in form with the reason', async () => {
    const { page, context, elsewhere } = await atSignIn();
    await page.click('button[value=deny]');
    await page.waitForSelector('.sign-in .notice.error >> text=/access was denied/');
    await page.waitForSelector('a.sign-in-with');
    expect(await sessionKey(page)).toBeNull();
    expect(await signInAudit()).toMatchObject({
      outcome: 'FAILED',
      detail: { providerError: 'access_denied' },
    });
    expect(elsewhere).toEqual([]);
    await context.close();
  });

  it('a forged state, a forged handle, and a handle taken to another browser are refused', async () => {
    const forged = await fetch(`${hub.app.url}/console/login/callback?code=x&state=${'A'.repeat(43)}`, {
      redirect: 'manual',
    });
    expect(forged.status).toBe(400);
    expect(await forged.text()).toMatch(/not made by this hub[\s\S]*not signed in/);
    const noState = await fetch(`${hub.app.url}/console/login/callback?code=x`, { redirect: 'manual' });
    expect(noState.status).toBe(400);

    const { page, context } = await atSignIn();
    // The provider's redirect is held back: the callback is called with this browser's cookies
    // (page.request shares them), but the browser never follows it to the console.
    let handle = '';
    await page.route(
      (url) => url.href.startsWith(`${idp.url}/authorize`),
      async (route) => {
        if (route.request().method() !== 'POST') return route.continue();
        const decided = await route.fetch({ maxRedirects: 0 });
        const back = await page.request.get(decided.headers()['location']!, { maxRedirects: 0 });
        handle = (back.headers()['location'] ?? '').split('/').at(-1) ?? '';
        await route.fulfill({ status: 200, contentType: 'text/plain', body: 'held' });
      },
    );
    await page.click('button[value=allow]');
    await page.waitForSelector('text=held');
    expect(handle).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await page.goto(`${hub.app.url}/console`);

    // Another browser (no sign-in cookie) with the real handle: refused, and the handle is spent.
    const stolen = await fetch(`${hub.app.url}/console/login/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ handle }),
    });
    expect(stolen.status).toBe(400);
    const refusal = (await stolen.json()) as { error: string; token?: string };
    expect(refusal.error).toMatch(/another browser/);
    expect(refusal.token).toBeUndefined();
    expect((await postHandle(page, handle)).body.error).toMatch(/already been used/);

    // A handle the hub never made.
    const made = await postHandle(page, 'B'.repeat(43));
    expect(made).toMatchObject({ status: 400, body: { reason: 'unknown' } });
    expect((await postHandle(page, 'not a handle')).body.reason).toBe('unknown');
    await context.close();
  });
});
