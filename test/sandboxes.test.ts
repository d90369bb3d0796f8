import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerAt, generateBusiness } from '../src/sandbox/seed/business.ts';
import { sandboxModules, startSandboxes, type Sandboxes } from '../src/sandbox/start.ts';
import { booksSeedIds } from './support/books.ts';
import { vendorApis } from './support/vendors.ts';

const now = new Date('2026-11-23T00:00:00Z');
const business = generateBusiness({ now });
let sandboxes: Sandboxes;
let vendors: ReturnType<typeof vendorApis>;
/** The seed's ids in the bound books (Xero's, or QuickBooks' with SWITCHBOARD_ACCOUNTING=quickbooks). */
let books: ReturnType<typeof booksSeedIds>;

beforeAll(async () => {
  sandboxes = await startSandboxes({ seed: { now } });
  vendors = vendorApis(sandboxes);
  books = booksSeedIds(sandboxes.accounting.system, business);
});
afterAll(() => sandboxes?.close());

describe('the four sandboxes together', () => {
  it('run side by side on free loopback ports, each with the admin surface', async () => {
    const names = [];
    for (const s of sandboxes.all) {
      expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${s.url}/__sandbox`);
      expect(res.status).toBe(200);
      names.push(((await res.json()) as { sandbox: string }).sandbox);
    }
    expect(names.sort()).toEqual(
      ['google_calendar', 'hubspot', 'stripe', sandboxes.accounting.system].sort(),
    );
  });

  it('hold the same customer in HubSpot, Stripe and the books, and the same booking in the calendar', async () => {
    const seed = business.customers.find(
      (c) =>
        c.mess.length === 0 &&
        c.lifecycleStage === 'customer' &&
        business.bookings.some((b) => b.customerKey === c.key),
    )!;
    const hubspot = (await (
      await fetch(
        `${sandboxes.crm.url}/crm/v3/objects/contacts/${seed.ids.hubspotContactId}?properties=email,phone`,
        {
          headers: { authorization: `Bearer ${sandboxes.crm.credentials.accessToken}` },
        },
      )
    ).json()) as { properties: { email: string; phone: string } };
    const stripe = (await (
      await fetch(`${sandboxes.payments.url}/v1/customers/${seed.ids.stripeCustomerId}`, {
        headers: { authorization: `Bearer ${sandboxes.payments.credentials.apiKey}` },
      })
    ).json()) as { email: string; phone: string };
    const inTheBooks = await vendors.accountingContact(books.person(seed.key));
    expect(hubspot.properties.email).toBe(seed.email);
    expect(stripe.email).toBe(seed.email);
    expect(inTheBooks?.email).toBe(seed.email);
    expect(hubspot.properties.phone).toBe(stripe.phone);

    const booking = business.bookings.find((b) => b.customerKey === seed.key)!;
    const event = (await (
      await fetch(
        `${sandboxes.calendar.url}/calendar/v3/calendars/primary/events/${booking.ids.googleEventId}`,
        { headers: { authorization: `Bearer ${sandboxes.calendar.credentials.accessToken}` } },
      )
    ).json()) as { attendees: Array<{ email: string }> };
    expect(event.attendees.map((a) => a.email)).toContain(customerAt(seed, 'calendar')?.email ?? seed.email);
  });

  it('cross-reference payments and invoices: the Stripe payment names the invoice in the books and the invoice the payment', async () => {
    const order = business.orders.find(
      (o) => o.invoiceKey && o.status === 'succeeded' && books.invoices.has(o.invoiceKey),
    )!;
    const invoice = business.invoices.find((i) => i.key === order.invoiceKey)!;
    const pi = (await (
      await fetch(`${sandboxes.payments.url}/v1/payment_intents/${order.ids.stripePaymentIntentId}`, {
        headers: { authorization: `Bearer ${sandboxes.payments.credentials.apiKey}` },
      })
    ).json()) as { amount: number; currency: string; status: string; metadata: Record<string, string> };
    expect(pi).toMatchObject({ amount: order.amount, currency: 'gbp', status: 'succeeded' });
    expect(pi.metadata.invoice_number).toBe(invoice.number);
    expect(await vendors.accountingInvoice(books.invoice(invoice.key))).toMatchObject({
      reference: order.ids.stripePaymentIntentId,
      number: invoice.number,
      status: 'PAID',
      total: invoice.total,
    });
  });
});

describe('npm run sandbox', () => {
  it('starts one per role on its fixed port and prints the base URLs and credentials', async () => {
    const ports = Object.values(sandboxModules()).map((m) => m.sandbox.port);
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/sandbox/cli.ts'], {
      cwd: new URL('..', import.meta.url),
      env: { ...process.env, LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      await expect
        .poll(() => output, { timeout: 20_000, interval: 100 })
        .toMatch(new RegExp(`http://127.0.0.1:${ports.at(-1)}`));
      for (const port of ports) {
        expect(output).toContain(`http://127.0.0.1:${port}`);
        expect((await fetch(`http://127.0.0.1:${port}/__sandbox`)).status).toBe(200);
      }
      expect(output).toContain('apiKey=sk_test_switchboard_sandbox');
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });
});
