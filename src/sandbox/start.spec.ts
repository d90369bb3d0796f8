import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { waitFor } from '../../harness/wait.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startSandboxes, type Sandboxes } from './start.ts';
import { xero as xeroModule } from '../../sources/xero/index.ts';
import { quickbooks } from '../../sources/quickbooks/index.ts';

// startSandboxes({ persist }): each vendor's records, id streams and idempotency keys outlive a
// restart, over each vendor's own API (real HTTP), with nothing else changed.
const dir = mkdtempSync(join(tmpdir(), 'switchboard-sandboxes-'));
const open: Sandboxes[] = [];
afterAll(async () => {
  await Promise.all(open.map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

const modules = { accounting: xeroModule };
async function start(persist: boolean): Promise<Sandboxes> {
  const sandboxes = await startSandboxes({
    relaxed: true,
    modules,
    persist: persist ? { dir, delayMs: 10 } : undefined,
  });
  open.push(sandboxes);
  return sandboxes;
}
async function stop(sandboxes: Sandboxes): Promise<void> {
  await sandboxes.close();
  open.splice(open.indexOf(sandboxes), 1);
}

const stripeCustomer = async (s: Sandboxes, email: string, key?: string) => {
  // https://docs.stripe.com/api/customers/create
  const res = await fetch(`${s.payments.url}/v1/customers`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${s.payments.credentials.apiKey}`,
      'content-type': 'application/x-www-form-urlencoded',
      ...(key ? { 'idempotency-key': key } : {}),
    },
    body: new URLSearchParams({ email }).toString(),
  });
  expect(res.status).toBe(200);
  return { id: ((await res.json()) as { id: string }).id, replayed: res.headers.get('idempotent-replayed') };
};
const admin = async (url: string, path: string, body: unknown) => {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as any };
};
const hubspotContact = async (s: Sandboxes, id: string) =>
  fetch(`${s.crm.url}/crm/v3/objects/contacts/${id}?properties=email,phone`, {
    headers: { authorization: `Bearer ${s.crm.credentials.accessToken}` },
  });

describe('startSandboxes({ persist })', () => {
  it('writes the seeded state at the first start and loads it at the next', async () => {
    const first = await start(true);
    expect(first.all.map((s) => s.persistence)).toEqual(['seeded', 'seeded', 'seeded', 'seeded']);
    expect(readdirSync(dir).sort()).toEqual([
      'google_calendar.json',
      'hubspot.json',
      'stripe.json',
      'xero.json',
    ]);

    // Changes in every sandbox: API writes with idempotency keys, admin actions, a payment.
    const made = await stripeCustomer(first, 'kept@example.com', 'persist-key-1');
    // Saved shortly after the change, while the sandbox runs (a crash from here on keeps it).
    await waitFor(
      () => (readFileSync(join(dir, 'stripe.json'), 'utf8').includes(made.id) ? true : undefined),
      () => `${made.id} in stripe.json`,
    );
    const contact = await admin(first.crm.url, '/__sandbox/actions/create-contact', {
      properties: { email: 'kept@example.com', firstname: 'Kept', phone: '+44 7700 900001' },
    });
    expect(contact.status).toBe(201);
    const booking = await admin(first.calendar.url, '/__sandbox/actions/create-booking', {
      summary: 'Kept booking',
      start: { dateTime: '2026-12-20T10:00:00Z' },
      end: { dateTime: '2026-12-20T11:00:00Z' },
    });
    expect(booking.status).toBe(200);
    const books = await xeroModule.sandbox.books!();
    const reader = books.reader(first.accounting);
    const unpaid = (await reader.accountingInvoicesModifiedSince(new Date(0))).find(
      (i) => i.status === 'AUTHORISED' && i.amountDue > 0,
    )!;
    expect(
      (await admin(first.accounting.url, '/__sandbox/actions/pay-invoice', { invoiceId: unpaid.id })).status,
    ).toBe(200);
    await stop(first);

    const second = await start(true);
    expect(second.all.map((s) => s.persistence)).toEqual(['loaded', 'loaded', 'loaded', 'loaded']);
    // Stripe: the same Idempotency-Key replays the first answer rather than making a second customer.
    expect(await stripeCustomer(second, 'kept@example.com', 'persist-key-1')).toEqual({
      id: made.id,
      replayed: 'true',
    });
    // Its id stream continues where it was: the next customer gets the id an unbroken run gives it.
    const next = await stripeCustomer(second, 'next@example.com');
    // HubSpot: the contact and its unique-email index (a second contact with that email conflicts).
    const kept = await hubspotContact(second, contact.body.contact.id as string);
    expect(kept.status).toBe(200);
    expect(((await kept.json()) as any).properties.phone).toBe('+44 7700 900001');
    const duplicate = await admin(second.crm.url, '/__sandbox/actions/create-contact', {
      properties: { email: 'KEPT@example.com' },
    });
    expect(duplicate.status).toBe(409);
    // Google Calendar: the booking.
    const event = await fetch(
      `${second.calendar.url}/calendar/v3/calendars/primary/events/${booking.body.event.id as string}`,
      { headers: { authorization: `Bearer ${second.calendar.credentials.accessToken}` } },
    );
    expect(event.status).toBe(200);
    expect(((await event.json()) as any).summary).toBe('Kept booking');
    // Xero: the payment.
    expect(await books.reader(second.accounting).accountingInvoice(unpaid.id)).toMatchObject({
      status: 'PAID',
      amountDue: 0,
    });
    await stop(second);

    // The same writes on sandboxes that never stopped mint the same ids: nothing was skipped or repeated.
    const unbroken = await start(false);
    expect(unbroken.all.map((s) => s.persistence)).toEqual([undefined, undefined, undefined, undefined]);
    expect((await stripeCustomer(unbroken, 'kept@example.com', 'persist-key-1')).id).toBe(made.id);
    expect((await stripeCustomer(unbroken, 'next@example.com')).id).toBe(next.id);
  });

  it('keeps the QuickBooks company when QuickBooks keeps the books', async () => {
    const qbDir = join(dir, 'quickbooks');
    const startQb = async () => {
      const s = await startSandboxes({
        relaxed: true,
        modules: { accounting: quickbooks },
        persist: { dir: qbDir },
      });
      open.push(s);
      return s;
    };
    const first = await startQb();
    expect(first.accounting.persistence).toBe('seeded');
    const books = await quickbooks.sandbox.books!();
    const unpaid = (await books.reader(first.accounting).accountingInvoicesModifiedSince(new Date(0))).find(
      (i) => i.status === 'AUTHORISED' && i.amountDue > 0,
    )!;
    const paid = await admin(first.accounting.url, '/__sandbox/actions/pay-invoice', {
      invoiceId: unpaid.id,
    });
    expect(paid.status).toBe(200);
    await stop(first);
    const second = await startQb();
    expect(second.accounting.persistence).toBe('loaded');
    expect(await books.reader(second.accounting).accountingInvoice(unpaid.id)).toMatchObject({
      amountDue: 0,
    });
    await stop(second);
  });

  it('stays in memory without persist: a restart reseeds', async () => {
    const first = await start(false);
    const made = await stripeCustomer(first, 'gone@example.com', 'memory-key');
    await stop(first);
    const again = await start(false);
    const res = await fetch(`${again.payments.url}/v1/customers/${made.id}`, {
      headers: { authorization: `Bearer ${again.payments.credentials.apiKey}` },
    });
    expect(res.status).toBe(404);
  });
});
