import { randomBytes } from 'node:crypto';
import { get } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startSwitchboard, type RunningSwitchboard } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import type { Sandboxes } from '../src/sandbox/start.ts';
import { startSandboxHub, type SandboxHub } from '../harness/sandbox-hub.ts';
import { liveVendorEnv } from '../harness/hub-process.ts';
import { waitFor } from '../harness/wait.ts';
import { launchChromium, offlineContext } from '../harness/browser.ts';

// The example booking website (examples/website/) as a sandbox-mode hub serves it at /website/, in a
// real Chromium: services, free slots in the business's time zone, an enquiry, and the deposit paid
// on the payments sandbox's checkout page, with nothing loaded from anywhere but the hub and the
// payments sandbox (every other request is aborted and listed).

let hub: SandboxHub;
let app: RunningSwitchboard;
let sandboxes: Sandboxes;
let browser: Browser;

interface Service {
  code: string;
  name: string;
  durationMinutes: number;
  price: { formatted: string };
  deposit: { formatted: string } | null;
}

/** The page in a browser that may reach the hub and the payments sandbox only, in another time zone than the business's. */
async function websitePage() {
  const { context, elsewhere } = await offlineContext(browser, [app.url, sandboxes.payments.url], {
    // The page must show the business's times (Europe/London), not the visitor's.
    timezoneId: 'Asia/Tokyo',
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => void (m.type() === 'error' && problems.push(m.text())));
  page.on('pageerror', (e) => void problems.push(e.message));
  await page.goto(`${app.url}/website/`);
  return { page, elsewhere, problems, close: () => context.close() };
}

/** Chooses the service by its name and waits for its free times. */
async function chooseService(page: Page, service: Service) {
  await page.getByRole('radio', { name: new RegExp(`^${service.name.replace(/[()]/g, '\\$&')}`) }).check();
  await page.waitForSelector('#days fieldset.day input[name=slot]');
}

/** The form's name and email fields, as a visitor types them. */
async function fillDetails(page: Page, firstName: string, lastName: string, email: string) {
  await page.getByLabel('First name').fill(firstName);
  await page.getByLabel('Last name').fill(lastName);
  await page.getByLabel('Email').fill(email);
}

const london = {
  day: new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Europe/London',
    weekday: 'long',
    day: 'numeric',
    month: 'long',
  }),
  time: new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', hour: '2-digit', minute: '2-digit' }),
};

let services: Service[];
let withDeposit: Service;

beforeAll(async () => {
  hub = await startSandboxHub({
    OUTBOX_POLL_MS: '50',
    OUTBOX_RETRY_BASE_MS: '20',
    OUTBOX_RETRY_MAX_MS: '50',
    // Low enough for the rate-limit test to reach; the tests before it send four enquiries.
    SWITCHBOARD_ENQUIRY_RATE_LIMIT: '5/10min',
  });
  ({ app, sandboxes } = hub);
  browser = await launchChromium();
  const { data } = await hub.gql(
    `{ services { code name durationMinutes price { formatted } deposit { formatted } } }`,
  );
  services = data.services;
  withDeposit = services.find((s) => s.deposit)!;
}, 90_000);
afterAll(async () => {
  await browser?.close();
  await hub?.close();
});

describe('the example website', { timeout: 90_000 }, () => {
  it('is served in sandbox mode with a strict CSP and a generated config.js: the hub origin, a publishable key for it, the time zone', async () => {
    expect(app.website?.url).toBe(`${app.url}/website/`);
    const page = await fetch(`${app.url}/website/`);
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await page.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
    expect(html).not.toMatch(/https?:\/\//); // nothing from a CDN

    const config = await fetch(`${app.url}/website/config.js`);
    expect(config.headers.get('cache-control')).toBe('no-store');
    const text = await config.text();
    expect(text).toContain(`export const hubUrl = ${JSON.stringify(app.url)};`);
    expect(text).toContain('export const timeZone = "Europe/London";');
    const key = /publishableKey = "(sbpk_test_[^"]+)"/.exec(text)?.[1];
    expect(key).toBe(app.website?.key);
    const record = await app.security.keys.verify(key!);
    expect(record).toMatchObject({ kind: 'publishable', mode: 'test', revokedAt: null });
    expect(record?.scopes.sort()).toEqual(['availability:read', 'enquiries:write']);
    const port = new URL(app.url).port;
    // Only the hub's own origin: localhost is another origin, and the key's origins are open to CORS.
    expect(record?.allowedOrigins).toEqual([app.url]);

    // Opened at another spelling of the machine, the page is sent to the hub's origin, where its calls
    // are same-origin (which its CSP requires) and its key is allowed. (node:http: fetch sets Host itself.)
    const asked = (path: string, host: string) =>
      new Promise<{ status?: number; location?: string; body: string }>((resolve, reject) => {
        get(`${app.url}${path}`, { headers: { host } }, (res) => {
          let body = '';
          res.on('data', (chunk) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode, location: res.headers.location, body }));
        }).on('error', reject);
      });
    expect(await asked('/website/', `localhost:${port}`)).toMatchObject({
      status: 307,
      location: `${app.url}/website/`,
    });
    // config.js names the hub's origin whatever Host asked for it: never an echo of the header.
    expect((await asked('/website/config.js', 'evil.example')).body).toContain(
      `export const hubUrl = ${JSON.stringify(app.url)};`,
    );

    // The key is publishable: it reads slots from its origins only, and nothing else at all.
    const ask = (origin: string | undefined, query: string) =>
      fetch(`${app.url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${key}`,
          ...(origin ? { origin } : {}),
        },
        body: JSON.stringify({ query }),
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
    expect((await ask(app.url, '{ services { code } }')).body.data.services.length).toBe(services.length);
    expect((await ask(`http://localhost:${port}`, '{ services { code } }')).status).toBe(403);
    expect((await ask('https://elsewhere.example', '{ services { code } }')).status).toBe(403);
    expect((await ask(undefined, '{ services { code } }')).status).toBe(403);
    const customers = await ask(app.url, '{ customers(first: 1) { edges { node { id } } } }');
    expect(customers.body.errors[0].extensions.code).toBe('FORBIDDEN');

    for (const path of ['/website/README.md', '/website/tsconfig.json', '/website/../package.json']) {
      expect((await fetch(`${app.url}${path}`)).status, path).toBe(404);
    }
    const bare = await fetch(`${app.url}/website`, { redirect: 'manual' });
    expect([bare.status, bare.headers.get('location')]).toEqual([308, '/website/']);
  });

  it('lists the services, then free times for the next 14 days grouped by day in the business time zone', async () => {
    const { page, elsewhere, problems, close } = await websitePage();
    await page.waitForSelector('#services input[name=service]');
    const labels = await page.locator('#services label').allTextContents();
    expect(labels).toHaveLength(services.length);
    for (const [i, s] of services.entries()) {
      expect(labels[i]).toContain(s.name);
      expect(labels[i]).toContain(`${s.durationMinutes} min`);
      expect(labels[i]).toContain(s.price.formatted);
      if (s.deposit) expect(labels[i]).toContain(`deposit ${s.deposit.formatted}`);
    }

    const before = new Date(Date.now() - 60_000);
    await chooseService(page, withDeposit);
    const { data } = await hub.gql(
      `query($s: String!, $f: DateTime!, $t: DateTime!) { availability(service: $s, from: $f, to: $t) { start } }`,
      { s: withDeposit.code, f: before, t: new Date(Date.now() + 14 * 86_400_000 + 60_000) },
    );
    const offered = new Set<string>(data.availability.map((s: { start: string }) => s.start));
    const shown = await page
      .locator('#days input[name=slot]')
      .evaluateAll((inputs) => inputs.map((i) => (i as HTMLInputElement).value));
    expect(shown.length).toBeGreaterThan(0);
    for (const start of shown) expect(offered.has(start), start).toBe(true);
    expect(shown.length).toBeGreaterThanOrEqual(offered.size - 4); // only slots that began in between may differ

    // Grouped by London day, each time in London (the browser runs in Tokyo).
    const days = await page.locator('#days fieldset.day').evaluateAll((groups) =>
      groups.map((g) => ({
        legend: g.querySelector('legend')?.textContent,
        times: [...g.querySelectorAll('label')].map((l) => l.textContent?.trim()),
        starts: [...g.querySelectorAll('input')].map((i) => i.value),
      })),
    );
    expect(days.length).toBeGreaterThan(1);
    for (const day of days) {
      const legends = new Set(day.starts.map((s) => london.day.format(new Date(s))));
      expect([...legends]).toEqual([day.legend]);
      expect(day.times).toEqual(day.starts.map((s) => london.time.format(new Date(s))));
    }
    await expect(page.locator('#status').textContent()).resolves.toMatch(
      new RegExp(`${shown.length} free times for`),
    );
    expect(problems).toEqual([]);
    expect(elsewhere).toEqual([]);
    await close();
  });

  it("shows the hub's message for a bad enquiry next to the field it names", async () => {
    const { page, elsewhere, close } = await websitePage();
    await page.waitForSelector('#services input[name=service]');
    await chooseService(page, withDeposit);
    await page.locator('#days input[name=slot]').first().check();
    await fillDetails(page, 'Ada', 'Lovelace', 'not-an-email');
    await page.getByRole('button', { name: 'Send enquiry' }).click();
    const error = page.getByRole('alert');
    await expect(error.textContent({ timeout: 10_000 })).resolves.toMatch(/email/i);
    await expect(page.getByLabel('Email').getAttribute('aria-invalid')).resolves.toBe('true');
    await expect(page.locator('#step-done').isHidden()).resolves.toBe(true);
    expect(elsewhere).toEqual([]);
    await close();
  });

  it('keeps the honeypot field away from people: off-screen, out of the accessibility tree and the tab order', async () => {
    const { page, close } = await websitePage();
    await page.waitForSelector('#services input[name=service]');
    await chooseService(page, withDeposit);
    await page.locator('#days input[name=slot]').first().check();
    const trap = page.locator('#website');
    await expect(trap.getAttribute('tabindex')).resolves.toBe('-1');
    await expect(trap.getAttribute('autocomplete')).resolves.toBe('off');
    await expect(trap.evaluate((e) => !!e.closest('[aria-hidden="true"]'))).resolves.toBe(true);
    // Out of the accessibility tree: no textbox by that name, though the field exists.
    await expect(page.getByRole('textbox', { name: 'Website' }).count()).resolves.toBe(0);
    const box = await trap.boundingBox();
    expect(box).not.toBeNull();
    expect(box!.x + box!.width).toBeLessThanOrEqual(0);
    // Tab from the last visible field goes to the button, past the trap.
    await page.getByLabel(/Anything we should know/).focus();
    await page.keyboard.press('Tab');
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('send');
    await close();
  });

  it('sends an enquiry for a free slot, pays the deposit on the sandbox checkout page and comes back to "Deposit paid"; the booking is confirmed', async () => {
    const { page, elsewhere, problems, close } = await websitePage();
    await page.waitForSelector('#services input[name=service]');
    await chooseService(page, withDeposit);
    const slot = page.locator('#days input[name=slot]').first();
    const start = await slot.inputValue();
    await slot.check();
    await expect(page.locator('#chosen').textContent()).resolves.toContain(
      london.time.format(new Date(start)),
    );
    const email = `grace.${randomBytes(4).toString('hex')}@example.com`;
    await fillDetails(page, 'Grace', 'Hopper', email);
    await page.getByLabel(/Phone/).fill('+44 7700 900123');
    await page.getByLabel(/Anything we should know/).fill('A stiff shoulder after rowing.');
    await page.getByRole('button', { name: 'Send enquiry' }).click();

    await page.waitForSelector('#step-done:not([hidden])', { timeout: 20_000 });
    const reference = (await page.locator('[data-reference]').textContent())!;
    expect(reference).toMatch(/^ENQ-[0-9A-Z]{8}$/);
    const link = page.getByRole('link', { name: `Pay the ${withDeposit.deposit!.formatted} deposit` });
    const url = (await link.getAttribute('href'))!;
    expect(url.startsWith(`${sandboxes.payments.url}/`)).toBe(true);
    await expect(page.locator('#held').textContent()).resolves.toMatch(/held until \d\d:\d\d/);
    const { data: held } = await hub.gql(`{ depositLinks(status: [OPEN]) { url expiresAt } }`);
    const open = held.depositLinks.find((l: { url: string }) => l.url === url);
    expect(open).toBeDefined();
    await expect(page.locator('#held').textContent()).resolves.toContain(
      london.time.format(new Date(open.expiresAt)),
    );

    await link.click();
    await page.waitForURL((u) => u.href.startsWith(`${sandboxes.payments.url}/`));
    await page.getByRole('button', { name: 'Pay' }).click();
    await page.waitForURL((u) => u.href.startsWith(`${app.url}/deposit/return`), { timeout: 20_000 });
    await expect(page.locator('h1').textContent()).resolves.toBe('Deposit paid');
    await expect(page.locator('code[data-reference]').textContent()).resolves.toBe(reference);

    // Settled by the payments system's webhook: the link paid, the booking confirmed, the write done.
    const paid = await waitFor(
      async () => {
        const { data } = await hub.gql(
          `{ depositLinks(status: [PAID]) { url status paidAt booking { status start } operation { state } } }`,
        );
        const found = data?.depositLinks.find((l: { url: string }) => l.url === url);
        return found?.booking?.status === 'CONFIRMED' && found.operation?.state === 'COMPLETED'
          ? found
          : undefined;
      },
      () => 'the deposit link to be PAID, its booking CONFIRMED and its operation COMPLETED',
    );
    expect(new Date(paid.booking.start).toISOString()).toBe(new Date(start).toISOString());
    expect(problems).toEqual([]);
    expect(elsewhere).toEqual([]);
    await close();
  });

  it('offers the free times again when the chosen one was taken meanwhile (SLOT_TAKEN)', async () => {
    const { page, elsewhere, close } = await websitePage();
    await page.waitForSelector('#services input[name=service]');
    await chooseService(page, withDeposit);
    const slot = page.locator('#days input[name=slot]').nth(1);
    const start = await slot.inputValue();
    await slot.check();
    // Someone else asks for the same time first (the hold makes it busy).
    const other = await hub.gql(
      `mutation($input: EnquiryInput!) { submitEnquiry(input: $input) { reference heldUntil } }`,
      {
        input: {
          firstName: 'Other',
          lastName: 'Visitor',
          email: `other.${randomBytes(4).toString('hex')}@example.com`,
          service: withDeposit.code,
          preferredStart: start,
        },
      },
    );
    expect(other.errors).toBeUndefined();
    await fillDetails(page, 'Late', 'Comer', `late.${randomBytes(4).toString('hex')}@example.com`);
    await page.getByRole('button', { name: 'Send enquiry' }).click();
    await page.waitForSelector('#form-error:not([hidden]), #step-done:not([hidden])');
    await expect(page.locator('#step-done').isHidden()).resolves.toBe(true);
    await expect(page.getByRole('alert').textContent()).resolves.toMatch(/pick another time/i);
    await page.waitForSelector('#days input[name=slot]');
    const shown = await page
      .locator('#days input[name=slot]')
      .evaluateAll((inputs) => inputs.map((i) => (i as HTMLInputElement).value));
    expect(shown.length).toBeGreaterThan(0);
    expect(shown).not.toContain(start);
    await expect(page.locator('#step-done').isHidden()).resolves.toBe(true);
    expect(elsewhere).toEqual([]);
    await close();
  });

  it("shows the hub's rate limit with when to try again", async () => {
    const { page, elsewhere, close } = await websitePage();
    await page.waitForSelector('#services input[name=service]');
    await chooseService(page, withDeposit);
    await page.locator('#days input[name=slot]').first().check();
    await fillDetails(page, 'Ada', 'Lovelace', 'not-an-email');
    const alert = page.locator('#form-error'); // hidden until the first answer: not yet an alert by role
    // Each try counts (the limit is checked before the input), so the limit comes within a few.
    for (let i = 0; i < 6 && !/try again in/.test((await alert.textContent()) ?? ''); i++) {
      await page.getByRole('button', { name: 'Send enquiry' }).click();
      await page.waitForFunction(() => !(document.getElementById('send') as HTMLButtonElement).disabled);
    }
    await expect(alert.textContent()).resolves.toMatch(/Please try again in \d+ (minutes|seconds)\.$/);
    expect(elsewhere).toEqual([]);
    await close();
  });

  it('is not served by a live hub', async () => {
    const live = await startSwitchboard(
      loadConfig({
        ...liveVendorEnv(sandboxes),
        PORT: '0',
        DATABASE_URL: ':memory:',
        LOG_LEVEL: 'silent',
        SWITCHBOARD_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      }),
      { sandboxes, backfill: 'never' },
    );
    try {
      expect(live.website).toBeUndefined();
      for (const path of ['/website/', '/website/config.js', '/website/app.js']) {
        expect((await fetch(`${live.url}${path}`)).status, path).toBe(404);
      }
    } finally {
      await live.close();
    }
  });
});
