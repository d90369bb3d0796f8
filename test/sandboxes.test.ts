import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerAt, generateBusiness } from '../src/sandbox/seed/business.ts';
import { sandboxModules, startSandboxes, type Sandboxes } from '../src/sandbox/start.ts';
import { xero } from '../sources/xero/index.ts';

const now = new Date('2026-11-23T00:00:00Z');
const business = generateBusiness({ now });
let sandboxes: Sandboxes;

// The cross-references checked here are those of the default books, Xero's (QuickBooks' own are
// checked in sources/quickbooks/).
beforeAll(async () => {
  sandboxes = await startSandboxes({ seed: { now }, modules: { accounting: xero } });
});
afterAll(() => sandboxes?.close());

async function xeroToken(): Promise<string> {
  const x = sandboxes.accounting;
  const res = await fetch(`${x.url}/connect/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${x.credentials.clientId}:${x.credentials.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: x.credentials.refreshToken!,
    }).toString(),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

describe('the four sandboxes together', () => {
  it('run side by side on free loopback ports, each with the admin surface', async () => {
    const names = [];
    for (const s of sandboxes.all) {
      expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${s.url}/__sandbox`);
      expect(res.status).toBe(200);
      names.push(((await res.json()) as { sandbox: string }).sandbox);
    }
    expect(names.sort()).toEqual(['google_calendar', 'hubspot', 'stripe', 'xero']);
  });

  it('hold the same customer in HubSpot, Stripe and Xero, and the same booking in the calendar', async () => {
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
    const xero = (await (
      await fetch(`${sandboxes.accounting.url}/api.xro/2.0/Contacts/${seed.ids.xeroContactId}`, {
        headers: {
          authorization: `Bearer ${await xeroToken()}`,
          'xero-tenant-id': sandboxes.accounting.credentials.tenantId!,
          accept: 'application/json',
        },
      })
    ).json()) as { Contacts: Array<{ EmailAddress: string }> };
    expect(hubspot.properties.email).toBe(seed.email);
    expect(stripe.email).toBe(seed.email);
    expect(xero.Contacts[0]?.EmailAddress).toBe(seed.email);
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

  it('cross-reference payments and invoices: the Stripe payment names the Xero invoice and the invoice the payment', async () => {
    const order = business.orders.find((o) => o.invoiceKey && o.status === 'succeeded')!;
    const invoice = business.invoices.find((i) => i.key === order.invoiceKey)!;
    const pi = (await (
      await fetch(`${sandboxes.payments.url}/v1/payment_intents/${order.ids.stripePaymentIntentId}`, {
        headers: { authorization: `Bearer ${sandboxes.payments.credentials.apiKey}` },
      })
    ).json()) as { amount: number; currency: string; status: string; metadata: Record<string, string> };
    expect(pi).toMatchObject({ amount: order.amount, currency: 'gbp', status: 'succeeded' });
    expect(pi.metadata.invoice_number).toBe(invoice.number);
    const xero = (await (
      await fetch(`${sandboxes.accounting.url}/api.xro/2.0/Invoices/${invoice.ids.xeroInvoiceId}`, {
        headers: {
          authorization: `Bearer ${await xeroToken()}`,
          'xero-tenant-id': sandboxes.accounting.credentials.tenantId!,
          accept: 'application/json',
        },
      })
    ).json()) as {
      Invoices: Array<{ Reference: string; InvoiceNumber: string; Status: string; Total: number }>;
    };
    expect(xero.Invoices[0]).toMatchObject({
      Reference: order.ids.stripePaymentIntentId,
      InvoiceNumber: invoice.number,
      Status: 'PAID',
      Total: invoice.total / 100,
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
