import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

/**
 * Debian's Chromium, driven by playwright-core (Playwright's own browser download cannot reach its
 * host from here). `.ci/run` installs the package when it is missing; CHROMIUM_PATH points elsewhere.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `The browser tests need Chromium at ${CHROMIUM_PATH}: \`apt-get install -y chromium\` (as .ci/run does), or set CHROMIUM_PATH.`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    // Without the background-networking switches Chromium keeps calling Google's hosts, which this
    // machine's closed network refuses many at a time; --no-sandbox because CI runs as root.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * A browser context that may reach `origin` (one or several) only: every other request is aborted and recorded, so a
 * page that would load a script or font from a CDN is caught (and works, or not, as offline).
 */
export async function offlineContext(
  browser: Browser,
  origin: string | readonly string[],
  options: Parameters<Browser['newContext']>[0] = {},
): Promise<{ context: BrowserContext; elsewhere: string[] }> {
  const origins = typeof origin === 'string' ? [origin] : origin;
  const context = await browser.newContext(options);
  const elsewhere: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (origins.some((o) => url.startsWith(`${o}/`)) || url.startsWith('data:') || url.startsWith('blob:'))
      return route.continue();
    elsewhere.push(url);
    return route.abort('internetdisconnected');
  });
  return { context, elsewhere };
}
