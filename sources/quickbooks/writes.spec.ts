import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AccountingInvoice, PersonRecord } from '../../src/domain/model.ts';
import type { InvoiceInput } from '../../src/domain/ports.ts';
import { createOAuthTokenProvider, type TokenProvider } from '../../src/upstream/oauth.ts';
import { customerAt, generateBusiness } from '../../src/sandbox/seed/business.ts';
import type { VendorSandbox } from '../../src/sandbox/types.ts';
import { failure } from '../../test/support/failure.ts';
import { startQuickbooksSandbox } from './sandbox/server.ts';
import { FIXED_NOW, qbo } from './sandbox/testing.ts';
import { quickbooksSeedIds } from './seed-ids.ts';
import { createQuickbooksSource, type QuickbooksConfig, type QuickbooksSource } from './source.ts';
import { MAX_REQUEST_ID, netLines, quickbooksRequestId } from './writes.ts';

const business = generateBusiness({ now: FIXED_NOW, customers: 120 });
const seedIds = quickbooksSeedIds(business);
const inBooks = business.customers.filter((c) => customerAt(c, 'xero'));
const gbp = (amount: number) => ({ amount, currency: 'GBP' });

/** A seeded customer whose DisplayName is plain "First Last": the one a new namesake clashes with. */
const namesake = (() => {
  const counts = new Map<string, number>();
  const name = (c: (typeof inBooks)[number]) => {
    const copy = customerAt(c, 'xero')!;
    return `${copy.firstName} ${copy.lastName}`;
  };
  for (const c of inBooks) counts.set(name(c).toLowerCase(), (counts.get(name(c).toLowerCase()) ?? 0) + 1);
  const customer = inBooks.find((c) => counts.get(name(c).toLowerCase()) === 1)!;
  return { id: seedIds.people!.get(customer.key)!, name: name(customer), ...customerAt(customer, 'xero')! };
})();

let sandbox: VendorSandbox;
let tokens: TokenProvider;
let source: QuickbooksSource;
const opened: QuickbooksSource[] = [];
let keyCounter = 0;
/** A fresh idempotency key per step. */
const newKey = (label = 'step') => `op_${++keyCounter}:${label}`;

function connect(overrides: Partial<QuickbooksConfig> = {}): QuickbooksSource {
  const created = createQuickbooksSource({
    baseUrl: sandbox.url,
    realmId: sandbox.credentials.realmId!,
    getAccessToken: () => tokens.getAccessToken(),
    onUnauthorized: () => tokens.invalidate(),
    now: () => FIXED_NOW,
    ...overrides,
  });
  opened.push(created);
  return created;
}

async function admin(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) {
  const res = await fetch(`${sandbox.url}/__sandbox${path ? `/${path}` : ''}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return (await res.json()) as Record<string, any>;
}

const requests = async () =>
  (await admin('GET', 'requests?limit=0')) as { total: number; byOperation: Record<string, number> };
const counts = async () =>
  (await admin('GET', '')).counts as { customers: number; invoices: number; payments: number };
const fault = (rule: Record<string, unknown>) => admin('POST', 'faults', { pathPrefix: '/v3/', ...rule });
/** The answer is lost after QBO did the work. */
const lostAnswer = (operation: string) =>
  fault({ status: 503, phase: 'after', times: 1, operations: [operation] });

/** A record straight from the sandbox's API (members the domain model does not carry). */
async function raw(path: string): Promise<Record<string, any>> {
  const answer = await qbo(sandbox, await tokens.getAccessToken(), 'GET', path);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body;
}

async function readContact(id: string): Promise<PersonRecord> {
  const [got] = await source.getContacts([id]);
  expect(got).not.toBeInstanceOf(Error);
  return got as PersonRecord;
}

async function readInvoice(id: string): Promise<AccountingInvoice> {
  const [got] = await source.getInvoices([id]);
  expect(got).not.toBeInstanceOf(Error);
  return got as AccountingInvoice;
}

let personCounter = 0;
/** A person nobody in the seed shares a name with. */
function newPerson() {
  const n = ++personCounter;
  return {
    email: `zed.writer${n}@example.com`,
    firstName: 'Zed',
    lastName: `Writer${n}`,
    phone: `07700 900${String(100 + n)}`,
    company: null,
    switchboardId: `sb_person_${n}`,
  };
}

async function newContactId(): Promise<string> {
  return (await source.createContact(newPerson(), { idempotencyKey: newKey('contact') })).externalId;
}

function invoiceInput(contactId: string, overrides: Partial<InvoiceInput> = {}): InvoiceInput {
  return {
    contactId,
    lines: [
      { description: 'Deep tissue massage, 60 min', quantity: 1, unitAmount: gbp(6500) },
      { description: 'Aromatherapy oil', quantity: 2, unitAmount: gbp(1299) },
    ],
    currency: 'GBP',
    reference: 'pi_3Qwriter',
    issuedOn: new Date('2026-11-20T15:30:00Z'),
    dueOn: new Date('2026-12-04T00:00:00Z'),
    status: 'AUTHORISED',
    ...overrides,
  };
}

/** Waits until the sandbox has answered `operation` at least `n` times. */
async function answered(operation: string, n = 1) {
  for (let i = 0; i < 500; i++) {
    if (((await requests()).byOperation[operation] ?? 0) >= n) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`the sandbox never answered ${operation}`);
}

beforeAll(async () => {
  sandbox = await startQuickbooksSandbox({
    business,
    limits: { perMinute: 100_000, batchPerMinute: 100_000 },
  });
  tokens = createOAuthTokenProvider({
    source: 'quickbooks',
    tokenUrl: `${sandbox.url}/oauth2/v1/tokens/bearer`,
    clientId: sandbox.credentials.clientId!,
    clientSecret: sandbox.credentials.clientSecret!,
    refreshToken: sandbox.credentials.refreshToken!,
    store: { load: async () => undefined, save: async () => undefined },
  });
  source = connect();
});

afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
  await sandbox?.close();
});

beforeEach(async () => {
  await admin('DELETE', 'faults');
  await tokens.getAccessToken();
  await admin('DELETE', 'requests');
});

describe('quickbooksRequestId', () => {
  it('sends short keys as they are, hashes long or odd ones, and keeps each purpose apart', () => {
    expect(quickbooksRequestId('inv.create', 'op_1:step')).toBe('inv.create~op_1:step');
    const long = `sb-${'9'.repeat(36)}-1`;
    const hashed = quickbooksRequestId('inv.create', long);
    expect(hashed).toMatch(/^inv\.create~~[A-Za-z0-9_-]+$/);
    expect(hashed).toHaveLength(MAX_REQUEST_ID);
    expect(quickbooksRequestId('inv.create', long)).toBe(hashed);
    expect(quickbooksRequestId('inv.void', long)).not.toBe(hashed.replace('inv.create', 'inv.void'));
    expect(quickbooksRequestId('inv.create', 'a key with spaces')).toMatch(/^inv\.create~~/);
    expect(quickbooksRequestId('inv.create', 'x~y')).not.toBe(quickbooksRequestId('inv.create~y', 'x'));
  });
});

describe('netLines', () => {
  it('finds the net lines whose total plus 20% VAT (rounded once) is the gross asked for', () => {
    for (const gross of [[6500, 2598], [1], [2], [999, 1], [12345, 6789, 1011], [0], [4000]]) {
      const nets = netLines(gross, 20);
      const net = nets.reduce((s, n) => s + n, 0);
      const total = gross.reduce((s, g) => s + g, 0);
      expect(Math.abs(net + Math.round(net / 5) - total), gross.join()).toBeLessThanOrEqual(1);
      nets.forEach((n, i) => expect(Math.abs(n - (gross[i]! * 100) / 120)).toBeLessThan(1.5));
    }
    // Three pence cannot be had: 2p + 0p VAT or 3p + 1p VAT.
    const [three] = netLines([3], 20);
    expect([2, 3]).toContain(three);
    expect(netLines([1000, 1000], 0)).toEqual([1000, 1000]);
  });
});

describe('createContact', () => {
  it('creates the customer and maps it like the reads', async () => {
    const person = { ...newPerson(), company: 'Writer & Co' };
    const before = await counts();
    const created = await source.createContact(person, { idempotencyKey: newKey() });
    expect(created).toMatchObject({
      source: 'quickbooks',
      email: person.email,
      firstName: person.firstName,
      lastName: person.lastName,
      name: `${person.firstName} ${person.lastName}`,
      phone: person.phone,
      company: 'Writer & Co',
    });
    expect(await readContact(created.externalId)).toEqual(created);
    expect((await counts()).customers).toBe(before.customers + 1);
  });

  it('the same key twice returns the same customer and creates one', async () => {
    const person = newPerson();
    const key = newKey();
    const before = await counts();
    const first = await source.createContact(person, { idempotencyKey: key });
    const again = await source.createContact(person, { idempotencyKey: key });
    expect(again).toEqual(first);
    expect((await counts()).customers).toBe(before.customers + 1);
  });

  it('an answer lost after QBO created the customer, then a retry with the same key: exactly one', async () => {
    const person = newPerson();
    const key = newKey();
    const before = await counts();
    await lostAnswer('customers.write');
    const lost = await failure(source.createContact(person, { idempotencyKey: key }));
    expect(lost).toMatchObject({ code: 'UPSTREAM_ERROR', retryable: true, status: 503 });
    // QBO did create it: the retry must not make a second one.
    expect((await counts()).customers).toBe(before.customers + 1);
    const retried = await source.createContact(person, { idempotencyKey: key });
    expect((await counts()).customers).toBe(before.customers + 1);
    expect(await source.findContactsByEmail([person.email])).toEqual([[retried]]);
    // The retry's requestid was the first one's: QBO replayed the answer.
    const log = (await admin('GET', 'requests?limit=10')).entries as Array<{
      operation: string;
      query: string;
    }>;
    const writes = log.filter((r) => r.operation === 'customers.write').map((r) => r.query);
    expect(writes).toHaveLength(2);
    expect(new URLSearchParams(writes[0]).get('requestid')).toBe(
      new URLSearchParams(writes[1]).get('requestid'),
    );
  });

  it('a namesake with another email gets a name made unique by the email', async () => {
    const person = { ...newPerson(), firstName: namesake.firstName, lastName: namesake.lastName };
    const created = await source.createContact(person, { idempotencyKey: newKey() });
    expect(created.externalId).not.toBe(namesake.id);
    expect(created.name).toBe(`${namesake.name} (${person.email})`);
    expect((await readContact(namesake.id)).name).toBe(namesake.name);
  });

  it('the same name and the same email: that customer is the answer, nothing is created', async () => {
    const before = await counts();
    const created = await source.createContact(
      {
        email: ` ${namesake.email.toUpperCase()} `,
        firstName: namesake.firstName,
        lastName: namesake.lastName,
        phone: null,
        company: null,
        switchboardId: 'sb_namesake',
      },
      { idempotencyKey: newKey() },
    );
    expect(created.externalId).toBe(namesake.id);
    expect((await counts()).customers).toBe(before.customers);
  });

  it('keeps colons out of the name (QBO’s sub-customer separator)', async () => {
    const person = { ...newPerson(), lastName: 'Writer: Junior' };
    const created = await source.createContact(person, { idempotencyKey: newKey() });
    expect(created.name).toBe('Zed Writer Junior');
  });
});

describe('updateContact', () => {
  it('changes only what it is given (a sparse update), and the name with the DisplayName', async () => {
    const id = await newContactId();
    await admin('POST', 'actions/edit-customer', { customerId: id, notes: 'VIP' });
    const updated = await source.updateContact(
      id,
      { firstName: 'Zeta', phone: null, email: 'zeta@example.com' },
      { idempotencyKey: newKey() },
    );
    expect(updated).toMatchObject({
      firstName: 'Zeta',
      name: `Zeta ${updated.lastName}`,
      phone: null,
      email: 'zeta@example.com',
    });
    expect((await raw(`/customer/${id}`)).Customer.Notes).toBe('VIP');
    expect(await readContact(id)).toEqual(updated);
  });

  it('leaves a DisplayName a bookkeeper chose alone', async () => {
    const id = await newContactId();
    await admin('POST', 'actions/edit-customer', { customerId: id, DisplayName: 'The Writers Ltd' });
    const updated = await source.updateContact(id, { lastName: 'Penman' }, { idempotencyKey: newKey() });
    expect(updated).toMatchObject({ lastName: 'Penman', name: 'The Writers Ltd' });
  });

  it('a rename onto a taken name makes it unique by the email', async () => {
    const id = await newContactId();
    const updated = await source.updateContact(
      id,
      { firstName: namesake.firstName, lastName: namesake.lastName },
      { idempotencyKey: newKey() },
    );
    expect(updated.name).toBe(`${namesake.name} (${updated.email})`);
  });

  it('nothing to change: the customer as it is, no write', async () => {
    const id = await newContactId();
    await admin('DELETE', 'requests');
    expect(await source.updateContact(id, {}, { idempotencyKey: newKey() })).toEqual(await readContact(id));
    expect((await requests()).byOperation['customers.write']).toBeUndefined();
  });

  it('a stale SyncToken (saved by someone else since the read): reads again and retries once', async () => {
    const id = await newContactId();
    await admin('DELETE', 'requests');
    // The update is held at the sandbox, and QuickBooks saves the customer in between.
    await fault({ latencyMs: 2_000, times: 1, operations: ['customers.write'] });
    const pending = source.updateContact(id, { email: 'stale@example.com' }, { idempotencyKey: newKey() });
    await answered('customers.read');
    await admin('POST', 'actions/edit-customer', { customerId: id, phone: '07700 900999' });
    const updated = await pending;
    // Both edits survive: the sparse retry carried only the email.
    expect(updated).toMatchObject({ email: 'stale@example.com', phone: '07700 900999' });
    expect((await requests()).byOperation).toMatchObject({ 'customers.read': 2, 'customers.write': 2 });
    expect((await raw(`/customer/${id}`)).Customer.SyncToken).toBe('2');
  });

  it('an unknown customer: NOT_FOUND', async () => {
    expect(
      await failure(source.updateContact('999999', { firstName: 'X' }, { idempotencyKey: newKey() })),
    ).toMatchObject({ code: 'NOT_FOUND', vendorCode: '610' });
  });

  it('an answer lost after QBO saved it, then a retry with the same key: QBO replays, nothing is saved twice', async () => {
    const id = await newContactId();
    const key = newKey();
    await lostAnswer('customers.write');
    await failure(source.updateContact(id, { lastName: 'Lost' }, { idempotencyKey: key }));
    const retried = await source.updateContact(id, { lastName: 'Lost' }, { idempotencyKey: key });
    expect(retried.lastName).toBe('Lost');
    // One save: SyncToken 0 → 1 (the retry read 1, but sent the first requestid, which QBO replayed).
    expect((await raw(`/customer/${id}`)).Customer.SyncToken).toBe('1');
  });
});

describe('createInvoice', () => {
  it('creates an invoice whose total is the tax-inclusive amount asked for; lines are kept net of VAT', async () => {
    const contactId = await newContactId();
    const created = await source.createInvoice(invoiceInput(contactId), { idempotencyKey: newKey() });
    expect(created).toMatchObject({
      source: 'quickbooks',
      contactExternalId: contactId,
      status: 'AUTHORISED',
      reference: 'pi_3Qwriter',
      issuedOn: new Date('2026-11-20T00:00:00Z'),
      dueOn: new Date('2026-12-04T00:00:00Z'),
      total: gbp(6500 + 2 * 1299),
      amountDue: gbp(9098),
      amountPaid: gbp(0),
      payments: [],
    });
    expect(created.number).toMatch(/^INV-\d{4}$/);
    expect(created.subTotal.amount + created.totalTax.amount).toBe(9098);
    expect(created.lines.map((l) => [l.description, l.quantity])).toEqual([
      ['Deep tissue massage, 60 min', 1],
      ['Aromatherapy oil', 2],
    ]);
    expect(created.lines.reduce((s, l) => s + l.lineAmount.amount, 0)).toBe(created.subTotal.amount);
    expect(await readInvoice(created.externalId)).toEqual(created);
    // On the configured service item ("Services", the company's Item 1), at the standard VAT rate.
    const line = (await raw(`/invoice/${created.externalId}`)).Invoice.Line[0];
    expect(line.SalesItemLineDetail).toMatchObject({ ItemRef: { value: '1' }, TaxCodeRef: { value: '2' } });
  });

  it('looks the service item up once per source', async () => {
    const fresh = connect();
    const contactId = await newContactId();
    await admin('DELETE', 'requests');
    await fresh.createInvoice(invoiceInput(contactId), { idempotencyKey: newKey() });
    await fresh.createInvoice(invoiceInput(contactId), { idempotencyKey: newKey() });
    expect((await requests()).byOperation).toEqual({ query: 1, 'invoices.write': 2 });
  });

  it('an unknown service item is named in the error', async () => {
    const other = connect({ salesItemName: 'Massages' });
    const error = await failure(
      other.createInvoice(invoiceInput(await newContactId()), { idempotencyKey: newKey() }),
    );
    expect(error).toMatchObject({ code: 'INVALID_REQUEST' });
    expect(error.message).toContain('QUICKBOOKS_SALES_ITEM');
  });

  it('an answer lost after QBO created it, then a retry with the same key: exactly one invoice', async () => {
    const contactId = await newContactId();
    const key = `sb-${'7'.repeat(36)}-2`; // longer than a requestid may be: hashed, the same each time
    const before = await counts();
    await lostAnswer('invoices.write');
    expect(
      await failure(source.createInvoice(invoiceInput(contactId), { idempotencyKey: key })),
    ).toMatchObject({
      code: 'UPSTREAM_ERROR',
      status: 503,
    });
    expect((await counts()).invoices).toBe(before.invoices + 1);
    const retried = await source.createInvoice(invoiceInput(contactId), { idempotencyKey: key });
    expect((await counts()).invoices).toBe(before.invoices + 1);
    expect(await source.listInvoicesByContact([contactId])).toEqual([[retried]]);
  });

  it('refuses drafts (QBO has none) and lines in another currency, before calling QBO', async () => {
    const contactId = await newContactId();
    await admin('DELETE', 'requests');
    expect(
      await failure(
        source.createInvoice(invoiceInput(contactId, { status: 'DRAFT' }), { idempotencyKey: newKey() }),
      ),
    ).toMatchObject({ code: 'INVALID_REQUEST' });
    const euros = invoiceInput(contactId, {
      lines: [{ description: 'x', quantity: 1, unitAmount: { amount: 100, currency: 'EUR' } }],
    });
    expect(await failure(source.createInvoice(euros, { idempotencyKey: newKey() }))).toMatchObject({
      code: 'INVALID_REQUEST',
    });
    expect((await requests()).total).toBe(0);
  });

  it('QBO’s refusal of an unknown customer is an INVALID_REQUEST', async () => {
    expect(
      await failure(source.createInvoice(invoiceInput('999999'), { idempotencyKey: newKey() })),
    ).toMatchObject({ code: 'INVALID_REQUEST', vendorCode: '2500' });
  });
});

describe('voidInvoice', () => {
  it('voids an unpaid invoice; one already voided is returned as it is, without a write', async () => {
    const invoice = await source.createInvoice(invoiceInput(await newContactId()), {
      idempotencyKey: newKey(),
    });
    const key = newKey();
    const voided = await source.voidInvoice(invoice.externalId, { idempotencyKey: key });
    expect(voided).toMatchObject({
      externalId: invoice.externalId,
      status: 'VOIDED',
      total: gbp(0),
      reference: null,
    });
    await admin('DELETE', 'requests');
    expect(await source.voidInvoice(invoice.externalId, { idempotencyKey: newKey() })).toEqual(voided);
    expect((await requests()).byOperation).toEqual({ 'invoices.read': 1 });
  });

  it('a void with the key of the create it undoes is not answered with the create', async () => {
    const key = newKey('create-then-undo');
    const invoice = await source.createInvoice(invoiceInput(await newContactId()), { idempotencyKey: key });
    expect(await source.voidInvoice(invoice.externalId, { idempotencyKey: key })).toMatchObject({
      status: 'VOIDED',
    });
  });

  it('an answer lost after QBO voided it, then a retry: the invoice as voided', async () => {
    const invoice = await source.createInvoice(invoiceInput(await newContactId()), {
      idempotencyKey: newKey(),
    });
    const key = newKey();
    await lostAnswer('invoices.write');
    await failure(source.voidInvoice(invoice.externalId, { idempotencyKey: key }));
    expect(await source.voidInvoice(invoice.externalId, { idempotencyKey: key })).toMatchObject({
      status: 'VOIDED',
    });
  });

  it('an invoice with payments is not voided', async () => {
    const invoice = await source.createInvoice(invoiceInput(await newContactId()), {
      idempotencyKey: newKey(),
    });
    await source.recordPayment(
      { invoiceId: invoice.externalId, amount: gbp(1000), paidOn: FIXED_NOW },
      { idempotencyKey: newKey() },
    );
    expect(await failure(source.voidInvoice(invoice.externalId, { idempotencyKey: newKey() }))).toMatchObject(
      {
        code: 'INVALID_REQUEST',
        vendorCode: '6000',
      },
    );
  });
});

describe('recordPayment', () => {
  it('part, then the rest: AUTHORISED with the payment, then PAID', async () => {
    const invoice = await source.createInvoice(invoiceInput(await newContactId()), {
      idempotencyKey: newKey(),
    });
    const part = await source.recordPayment(
      {
        invoiceId: invoice.externalId,
        amount: gbp(4000),
        paidOn: new Date('2026-11-21T12:00:00Z'),
        reference: 'ch_3QpartPayment000000001',
      },
      { idempotencyKey: newKey() },
    );
    expect(part).toEqual({
      externalId: expect.any(String),
      amount: gbp(4000),
      date: new Date('2026-11-21T00:00:00Z'),
    });
    expect(await readInvoice(invoice.externalId)).toMatchObject({
      status: 'AUTHORISED',
      amountPaid: gbp(4000),
      amountDue: gbp(5098),
      payments: [part],
    });
    const payment = (await raw(`/payment/${part.externalId}`)).Payment;
    // The reference is too long for PaymentRefNum (21 characters): the private note keeps it.
    expect(payment).toMatchObject({ PrivateNote: 'ch_3QpartPayment000000001', TxnDate: '2026-11-21' });
    expect(payment.PaymentRefNum).toBeUndefined();

    const rest = await source.recordPayment(
      { invoiceId: invoice.externalId, amount: gbp(5098), paidOn: FIXED_NOW, reference: 'ch_short' },
      { idempotencyKey: newKey() },
    );
    expect((await raw(`/payment/${rest.externalId}`)).Payment).toMatchObject({ PaymentRefNum: 'ch_short' });
    expect(await readInvoice(invoice.externalId)).toMatchObject({
      status: 'PAID',
      amountDue: gbp(0),
      amountPaid: gbp(9098),
      payments: [part, rest],
    });
  });

  it('an answer lost after QBO recorded it, then a retry with the same key: exactly one payment', async () => {
    const invoice = await source.createInvoice(invoiceInput(await newContactId()), {
      idempotencyKey: newKey(),
    });
    const key = newKey();
    const before = await counts();
    await lostAnswer('payments.write');
    await failure(
      source.recordPayment(
        { invoiceId: invoice.externalId, amount: gbp(9098), paidOn: FIXED_NOW },
        { idempotencyKey: key },
      ),
    );
    const retried = await source.recordPayment(
      { invoiceId: invoice.externalId, amount: gbp(9098), paidOn: FIXED_NOW },
      { idempotencyKey: key },
    );
    expect((await counts()).payments).toBe(before.payments + 1);
    expect(await readInvoice(invoice.externalId)).toMatchObject({ status: 'PAID', payments: [retried] });
  });

  it('more than is due, or another currency: INVALID_REQUEST', async () => {
    const invoice = await source.createInvoice(invoiceInput(await newContactId()), {
      idempotencyKey: newKey(),
    });
    expect(
      await failure(
        source.recordPayment(
          { invoiceId: invoice.externalId, amount: gbp(9099), paidOn: FIXED_NOW },
          { idempotencyKey: newKey() },
        ),
      ),
    ).toMatchObject({ code: 'INVALID_REQUEST', vendorCode: '6000' });
    expect(
      await failure(
        source.recordPayment(
          { invoiceId: invoice.externalId, amount: { amount: 100, currency: 'EUR' }, paidOn: FIXED_NOW },
          { idempotencyKey: newKey() },
        ),
      ),
    ).toMatchObject({ code: 'INVALID_REQUEST' });
  });
});
