/**
 * The example website's pictures (examples/website/README.md and the README), into docs/screenshots/:
 * free times for a service, and the answer to an enquiry with its deposit link. Part of
 * `npm run screenshots`; `npx tsx scripts/screenshots-website.ts` takes only these, from a sandbox hub
 * of its own.
 */
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import type { SandboxHub } from '../harness/sandbox-hub.ts';

export async function websiteScreenshots(hub: SandboxHub, browser: Browser, out: URL): Promise<void> {
  const context = await browser.newContext({ viewport: { width: 1000, height: 1150 } });
  try {
    const page = await context.newPage();
    await page.goto(`${hub.app.url}/website/`);
    await page.getByRole('radio', { name: /^Sports massage/ }).check();
    await page.waitForSelector('#days input[name=slot]');
    await page.locator('#days input[name=slot]').nth(2).check();
    await page.screenshot({ path: new URL('website-slots.png', out).pathname });
    await page.getByLabel('First name').fill('Ada');
    await page.getByLabel('Last name').fill('Lovelace');
    await page.getByLabel('Email').fill('ada.lovelace@example.com');
    await page.getByLabel(/Anything we should know/).fill('A stiff shoulder after rowing.');
    await page.getByRole('button', { name: 'Send enquiry' }).click();
    await page.waitForSelector('#step-done:not([hidden])');
    await page.setViewportSize({ width: 1000, height: 440 });
    await page.screenshot({ path: new URL('website-sent.png', out).pathname });
  } finally {
    await context.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.env.LOG_LEVEL ??= 'silent';
  const { startSandboxHub } = await import('../harness/sandbox-hub.ts');
  const { launchChromium } = await import('../harness/browser.ts');
  const out = new URL('../docs/screenshots/', import.meta.url);
  const hub = await startSandboxHub();
  const browser = await launchChromium();
  try {
    await websiteScreenshots(hub, browser, out);
    console.log(`website screenshots written to ${out.pathname}`);
  } finally {
    await browser.close();
    await hub.close();
  }
}
