import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SourceError } from '../../src/domain/errors.ts';
import type { AccountingInvoice, PersonRecord } from '../../src/domain/model.ts';
import type { InvoiceInput } from '../../src/domain/ports.ts';
import { createOAuthTokenProvider, type TokenProvider } from '../../src/upstream/oauth.ts';
import { customerAt, generateBusiness } from '../../src/sandbox/seed/business.ts';
import type { VendorSandbox } from '../../src/sandbox/types.ts';
import { startXeroSandbox } from './sandbox/server.ts';
import { toXeroError } from './errors.ts';
import { toXeroAmount, toXeroDate } from './mappers.ts';
import { createXeroSource, type XeroConfig, type XeroSource } from './source.ts';
import { xeroIdempotencyKey } from './writes.ts';
import { failure } from '../../test/support/failure.ts';

const NOW = new Date('2026-11-23T00:00:00Z');
const DAY = 86_400_000;
const business = generateBusiness({ now: NOW });
const inXero = business.customers.filter((c) => customerAt(c, 'xero'));
/** A seeded contact whose Xero name is plain "First Last" (no " (2)"): the one a new namesake clashes with. */
const namesake = (() => {
  const counts = new Map<string, number>();
  for (const c of inXero) {
    const copy = customerAt(c, 'xero')!;
    const name = `${copy.firstName} ${copy.lastName}`.toLowerCase();
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  const customer = inXero.find((c) => {
    const copy = customerAt(c, 'xero')!;
    return counts.get(`${copy.firstName} ${copy.lastName}`.toLowerCase()) === 1;
  })!;
  return { id: customer.ids.xeroContactId, ...customerAt(customer, 'xero')! };
})();
const gbp = (amount: number) => ({ amount, currency: 'GBP' });

let sandbox: VendorSandbox;
let tokens: TokenProvider;
let source: XeroSource;
const opened: XeroSource[] = [];
let keyCounter = 0;
/** A fresh idempotency key per step. */
const newKey = (label = 'step') => `op_${++keyCounter}:${label}`;

function connect(overrides: Partial<XeroConfig> = {}): XeroSource {
  const created = createXeroSource({
    baseUrl: sandbox.url,
    tenantId: sandbox.credentials.tenantId as string,
    getAccessToken: () => tokens.getAccessToken(),
    onUnauthorized: () => tokens.invalidate(),
    now: () => NOW,
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
  return (await res.json()) as Record<string, unknown>;
}

const requests = async () =>
  (await admin('GET', 'requests')) as { total: number; byOperation: Record<string, number> };
const counts = async () =>
  (await admin('GET', '')).counts as { contacts: number; invoices: number; payments: number };
/** Faults on the Accounting API only, so a token refresh in between is never the one hit. */
const fault = (rule: Record<string, unknown>) =>
  admin('POST', 'faults', { pathPrefix: '/api.xro/', ...rule });
/** The answer is lost after Xero did the work. */
const lostAnswer = (operation: string) =>
  fault({ status: 503, phase: 'after', times: 1, operations: [operation] });

/** Reads a record straight from the sandbox's Accounting API (fields the domain model does not carry). */
async function xeroGet(path: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${sandbox.url}/api.xro/2.0/${path}`, {
    headers: {
      authorization: `Bearer ${await tokens.getAccessToken()}`,
      'xero-tenant-id': sandbox.credentials.tenantId as string,
      accept: 'application/json',
    },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}
const rawContact = async (id: string) =>
  ((await xeroGet(`Contacts/${id}`)).Contacts as Record<string, unknown>[])[0]!;
const rawPayment = async (id: string) =>
  ((await xeroGet(`Payments/${id}`)).Payments as Record<string, unknown>[])[0]!;

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
    dueOn: new Date('2026-11-20T00:00:00Z'),
    status: 'AUTHORISED',
    ...overrides,
  };
}

beforeAll(async () => {
  sandbox = await startXeroSandbox({ seed: { now: NOW }, limits: { perMinute: 100_000, perDay: 1_000_000 } });
  tokens = createOAuthTokenProvider({
    source: 'xero',
    tokenUrl: `${sandbox.url}/connect/token`,
    clientId: sandbox.credentials.clientId as string,
    clientSecret: sandbox.credentials.clientSecret as string,
    refreshToken: sandbox.credentials.refreshToken as string,
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
  await admin('DELETE', 'requests');
});

describe('createContact', () => {
  it('creates the contact, stamps the switchboard id in ContactNumber, and maps it like the reads', async () => {
    const person = newPerson();
    const before = await counts();
    const created = await source.createContact(person, { idempotencyKey: newKey() });
    expect(created).toMatchObject({
      source: 'xero',
      email: person.email,
      firstName: person.firstName,
      lastName: person.lastName,
      name: `${person.firstName} ${person.lastName}`,
      phone: person.phone,
      company: null,
    });
    expect(await readContact(created.externalId)).toEqual(created);
    expect((await rawContact(created.externalId)).ContactNumber).toBe(person.switchboardId);
    expect((await counts()).contacts).toBe(before.contacts + 1);
  });

  it('the same key twice returns the same contact and creates one', async () => {
    const person = newPerson();
    const key = newKey();
    const before = await counts();
    const first = await source.createContact(person, { idempotencyKey: key });
    const again = await source.createContact(person, { idempotencyKey: key });
    expect(again).toEqual(first);
    expect((await counts()).contacts).toBe(before.contacts + 1);
    expect(await source.findContactsByEmail([person.email])).toEqual([[first]]);
  });

  it('an answer lost after Xero created the contact, then a retry with the same key: exactly one contact', async () => {
    const person = newPerson();
    const key = newKey();
    const before = await counts();
    await lostAnswer('contacts.create');
    const lost = await failure(source.createContact(person, { idempotencyKey: key }));
    expect(lost).toMatchObject({ code: 'UPSTREAM_ERROR', retryable: true, status: 503 });
    // Xero did create it: the retry must not make a second one.
    expect((await counts()).contacts).toBe(before.contacts + 1);
    const retried = await source.createContact(person, { idempotencyKey: key });
    expect((await counts()).contacts).toBe(before.contacts + 1);
    expect(await source.findContactsByEmail([person.email])).toEqual([[retried]]);
    expect((await requests()).byOperation['contacts.create']).toBe(2);
  });

  it('a name taken by a contact with the same email: that contact is the answer, nothing is created', async () => {
    const before = await counts();
    const got = await source.createContact(
      {
        email: `  ${namesake.email.toUpperCase()} `,
        firstName: namesake.firstName,
        lastName: namesake.lastName,
        phone: null,
        company: null,
        switchboardId: 'sb_namesake',
      },
      { idempotencyKey: newKey() },
    );
    const log = await requests();
    expect(log.byOperation['contacts.create']).toBe(1);
    expect(log.byOperation['contacts.list']).toBe(1);
    expect(got.externalId).toBe(namesake.id);
    expect(got).toEqual(await readContact(namesake.id));
    expect((await counts()).contacts).toBe(before.contacts);
  });

  it('a retry after Xero forgot the key (24 h) finds the contact it made by name, not a second one', async () => {
    const person = newPerson();
    const first = await source.createContact(person, { idempotencyKey: newKey() });
    const before = await counts();
    // A different key stands in for the same key after Xero's 24 hours.
    const later = await source.createContact(person, { idempotencyKey: newKey() });
    expect(later).toEqual(first);
    expect((await counts()).contacts).toBe(before.contacts);
  });

  it('a name taken by someone else: the new contact is named "First Last (email)", with a key of its own', async () => {
    const person = {
      email: 'Another.Namesake@Example.com',
      firstName: namesake.firstName,
      lastName: namesake.lastName,
      phone: '07700 900999',
      company: null,
      switchboardId: 'sb_other_namesake',
    };
    const key = newKey();
    const before = await counts();
    const created = await source.createContact(person, { idempotencyKey: key });
    const name = `${namesake.firstName} ${namesake.lastName} (another.namesake@example.com)`;
    expect(created).toMatchObject({ name, email: person.email, firstName: namesake.firstName });
    expect(created.externalId).not.toBe(namesake.id);
    expect((await counts()).contacts).toBe(before.contacts + 1);
    expect(await readContact(created.externalId)).toEqual(created);
    // Untouched namesake.
    expect((await readContact(namesake.id)).name).toBe(`${namesake.firstName} ${namesake.lastName}`);

    // Retrying the whole step: both requests are replays, nothing new.
    const again = await source.createContact(person, { idempotencyKey: key });
    expect(again).toEqual(created);
    expect((await counts()).contacts).toBe(before.contacts + 1);
  });

  it('the unique-name create losing its answer, then a retry with the same key: exactly one contact', async () => {
    const person = {
      email: 'third.namesake@example.com',
      firstName: namesake.firstName,
      lastName: namesake.lastName,
      phone: null,
      company: null,
      switchboardId: 'sb_third_namesake',
    };
    const key = newKey();
    const before = await counts();
    // Attempt 1: the first create is refused (name taken); while the name lookup is held up, a fault
    // is armed that loses the answer of the next create, the one under the unique name.
    await fault({ latencyMs: 300, times: 1, operations: ['contacts.list'] });
    const attempt = source.createContact(person, { idempotencyKey: key });
    for (let i = 0; i < 250 && ((await requests()).byOperation['contacts.create'] ?? 0) < 1; i++)
      await new Promise((resolve) => setTimeout(resolve, 2));
    expect((await requests()).byOperation['contacts.list'] ?? 0).toBe(0);
    await lostAnswer('contacts.create');
    expect(await failure(attempt)).toMatchObject({ code: 'UPSTREAM_ERROR', retryable: true });
    expect((await counts()).contacts).toBe(before.contacts + 1);

    // Attempt 2, same key: both creates are replays.
    const retried = await source.createContact(person, { idempotencyKey: key });
    expect(retried.name).toBe(`${namesake.firstName} ${namesake.lastName} (third.namesake@example.com)`);
    expect((await counts()).contacts).toBe(before.contacts + 1);
    expect(await source.findContactsByEmail([person.email])).toEqual([[retried]]);
    expect((await requests()).byOperation['contacts.create']).toBe(4);
  });

  it('a Xero validation error → INVALID_REQUEST, not retryable, with Xero’s message; nothing created', async () => {
    const before = await counts();
    const error = await failure(
      source.createContact({ ...newPerson(), email: 'not-an-email' }, { idempotencyKey: newKey() }),
    );
    expect(error).toMatchObject({
      code: 'INVALID_REQUEST',
      retryable: false,
      status: 400,
      vendorCode: 'ValidationException',
      operation: 'contacts.create',
    });
    expect(error.message).toContain('Email address must be valid.');
    expect((await counts()).contacts).toBe(before.contacts);
  });

  it('5xx, 429 and dropped connections are retryable, and a retry with the same key then succeeds once', async () => {
    const person = newPerson();
    const key = newKey();
    const before = await counts();
    await fault({ status: 503, times: 1, operations: ['contacts.create'] });
    expect(await failure(source.createContact(person, { idempotencyKey: key }))).toMatchObject({
      code: 'UPSTREAM_ERROR',
      retryable: true,
    });
    await fault({ status: 429, retryAfterSeconds: 3, times: 1, operations: ['contacts.create'] });
    expect(await failure(source.createContact(person, { idempotencyKey: key }))).toMatchObject({
      code: 'RATE_LIMITED',
      retryable: true,
      retryAfterMs: 3000,
    });
    await fault({ drop: true, phase: 'after', times: 1, operations: ['contacts.create'] });
    expect(await failure(source.createContact(person, { idempotencyKey: key }))).toMatchObject({
      code: 'CONNECTION_FAILED',
      retryable: true,
    });
    const created = await source.createContact(person, { idempotencyKey: key });
    expect(created.email).toBe(person.email);
    expect((await counts()).contacts).toBe(before.contacts + 1);
  });

  it('a retry racing the first request (still running) gets a retryable CONFLICT, then the first’s answer', async () => {
    const person = newPerson();
    const key = newKey();
    await fault({ latencyMs: 150, times: 1, operations: ['contacts.create'] });
    const first = source.createContact(person, { idempotencyKey: key });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const racing = await failure(source.createContact(person, { idempotencyKey: key }));
    expect(racing).toMatchObject({
      code: 'CONFLICT',
      retryable: true,
      status: 409,
      vendorCode: 'IdempotencyKeyInUse',
    });
    expect(racing.retryAfterMs).toBeGreaterThan(0);
    const created = await first;
    expect(await source.createContact(person, { idempotencyKey: key })).toEqual(created);
  });

  it('a key reused for a different request → CONFLICT, not retryable', async () => {
    const key = newKey();
    await source.createContact(newPerson(), { idempotencyKey: key });
    const error = await failure(source.createContact(newPerson(), { idempotencyKey: key }));
    expect(error).toMatchObject({ code: 'CONFLICT', retryable: false, vendorCode: 'IdempotencyKeyReused' });
  });

  it('keys Xero would refuse (over 128 characters) are sent hashed, the same on every retry', async () => {
    const long = `op_${'x'.repeat(200)}`;
    expect(xeroIdempotencyKey(long)).toBe(xeroIdempotencyKey(long));
    expect(xeroIdempotencyKey(long).length).toBeLessThanOrEqual(128);
    expect(xeroIdempotencyKey('op_1:contact')).toBe('op_1:contact');
    const person = newPerson();
    const before = await counts();
    await lostAnswer('contacts.create');
    await failure(source.createContact(person, { idempotencyKey: long }));
    await source.createContact(person, { idempotencyKey: long });
    expect((await counts()).contacts).toBe(before.contacts + 1);
  });
});

describe('updateContact', () => {
  it('changes email and phone (only the changed fields) and reads back', async () => {
    const id = await newContactId();
    const updated = await source.updateContact(
      id,
      { email: 'zed.moved@example.com', phone: '07700 900555' },
      { idempotencyKey: newKey() },
    );
    expect(updated).toMatchObject({ externalId: id, email: 'zed.moved@example.com', phone: '07700 900555' });
    expect(await readContact(id)).toEqual(updated);
    const raw = await rawContact(id);
    expect(raw.ContactNumber).toMatch(/^sb_person_/);

    const cleared = await source.updateContact(id, { phone: null }, { idempotencyKey: newKey() });
    expect(cleared.phone).toBeNull();
  });

  it('an email-only change is one request; nothing to change is one read', async () => {
    const id = await newContactId();
    await admin('DELETE', 'requests');
    await source.updateContact(id, { email: 'only.email@example.com' }, { idempotencyKey: newKey() });
    expect((await requests()).byOperation).toEqual({ 'contacts.update': 1 });
    await admin('DELETE', 'requests');
    const same = await source.updateContact(id, { company: 'Acme' }, { idempotencyKey: newKey() });
    expect(same.email).toBe('only.email@example.com');
    expect((await requests()).byOperation).toEqual({ 'contacts.get': 1 });
  });

  it('writes the phone the reads show: the DEFAULT one when a bookkeeper filled it in', async () => {
    const id = await newContactId();
    // The bookkeeper's landline, with its area and country codes, in the DEFAULT phone.
    const res = await fetch(`${sandbox.url}/api.xro/2.0/Contacts/${id}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await tokens.getAccessToken()}`,
        'xero-tenant-id': sandbox.credentials.tenantId as string,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        Contacts: [
          {
            ContactID: id,
            Phones: [
              {
                PhoneType: 'DEFAULT',
                PhoneNumber: '7946 0000',
                PhoneAreaCode: '020',
                PhoneCountryCode: '44',
              },
            ],
          },
        ],
      }),
    });
    expect(res.status).toBe(200);
    expect((await readContact(id)).phone).toBe('+44 20 7946 0000');

    const updated = await source.updateContact(id, { phone: '07700 900777' }, { idempotencyKey: newKey() });
    expect(updated.phone).toBe('07700 900777');
    const phones = (await rawContact(id)).Phones as Array<Record<string, string>>;
    expect(phones.find((p) => p.PhoneType === 'DEFAULT')).toMatchObject({
      PhoneNumber: '07700 900777',
      PhoneAreaCode: '',
      PhoneCountryCode: '',
    });
    // The mobile given at creation is left alone.
    expect(phones.find((p) => p.PhoneType === 'MOBILE')?.PhoneNumber).toMatch(/^07700 900\d{3}$/);

    const cleared = await source.updateContact(id, { phone: null }, { idempotencyKey: newKey() });
    expect(cleared.phone).toBeNull();
  });

  it('renames with the part not given kept; Name follows', async () => {
    const id = await newContactId();
    const current = await readContact(id);
    const updated = await source.updateContact(id, { firstName: 'Zoe' }, { idempotencyKey: newKey() });
    expect(updated).toMatchObject({
      firstName: 'Zoe',
      lastName: current.lastName,
      name: `Zoe ${current.lastName}`,
    });
    expect(await readContact(id)).toEqual(updated);
  });

  it('a rename onto a taken name suffixes the email', async () => {
    const id = await newContactId();
    const current = await readContact(id);
    const updated = await source.updateContact(
      id,
      { firstName: namesake.firstName, lastName: namesake.lastName },
      { idempotencyKey: newKey() },
    );
    expect(updated.name).toBe(`${namesake.firstName} ${namesake.lastName} (${current.email})`);
    expect(updated).toMatchObject({
      externalId: id,
      firstName: namesake.firstName,
      lastName: namesake.lastName,
    });
    expect((await readContact(namesake.id)).name).toBe(`${namesake.firstName} ${namesake.lastName}`);
  });

  it('an answer lost after the update, then a retry with the same key: the same contact, one update applied', async () => {
    const id = await newContactId();
    const key = newKey();
    await lostAnswer('contacts.update');
    const changes = { firstName: 'Quinn', phone: '07700 900444' };
    expect(await failure(source.updateContact(id, changes, { idempotencyKey: key }))).toMatchObject({
      retryable: true,
    });
    const retried = await source.updateContact(id, changes, { idempotencyKey: key });
    expect(retried).toMatchObject({ externalId: id, firstName: 'Quinn', phone: '07700 900444' });
    expect(await readContact(id)).toMatchObject({ firstName: 'Quinn', phone: '07700 900444' });
  });

  it('an unknown contact → NOT_FOUND', async () => {
    const error = await failure(
      source.updateContact(
        '00000000-0000-4000-8000-000000000000',
        { firstName: 'X' },
        { idempotencyKey: newKey() },
      ),
    );
    expect(error).toMatchObject({ code: 'NOT_FOUND', retryable: false });
  });
});

describe('createInvoice', () => {
  it('creates a tax-inclusive sales invoice whose total is what the card paid, and maps it', async () => {
    const contactId = await newContactId();
    const input = invoiceInput(contactId);
    const invoice = await source.createInvoice(input, { idempotencyKey: newKey() });
    // 65.00 + 2 × 12.99 = 90.98 including 20% VAT: tax per line 65.00/6 = 10.83, 25.98/6 = 4.33.
    expect(invoice).toMatchObject({
      source: 'xero',
      contactExternalId: contactId,
      status: 'AUTHORISED',
      reference: 'pi_3Qwriter',
      issuedOn: new Date('2026-11-20T00:00:00Z'),
      dueOn: new Date('2026-11-20T00:00:00Z'),
      total: gbp(9098),
      totalTax: gbp(1083 + 433),
      subTotal: gbp(9098 - 1516),
      amountDue: gbp(9098),
      amountPaid: gbp(0),
      payments: [],
      lines: [
        {
          description: 'Deep tissue massage, 60 min',
          quantity: 1,
          unitAmount: gbp(6500),
          lineAmount: gbp(6500),
        },
        { description: 'Aromatherapy oil', quantity: 2, unitAmount: gbp(1299), lineAmount: gbp(2598) },
      ],
    });
    expect(invoice.number).toMatch(/^INV-\d+$/);
    expect(await readInvoice(invoice.externalId)).toEqual(invoice);
    const raw = (await xeroGet(`Invoices/${invoice.externalId}`)).Invoices as Record<string, unknown>[];
    expect(raw[0]).toMatchObject({ Type: 'ACCREC', LineAmountTypes: 'Inclusive' });
    expect((raw[0]!.LineItems as Record<string, unknown>[]).map((l) => [l.AccountCode, l.TaxType])).toEqual([
      ['200', 'OUTPUT2'],
      ['200', 'OUTPUT2'],
    ]);
  });

  it('creates drafts too', async () => {
    const invoice = await source.createInvoice(
      invoiceInput(await newContactId(), { status: 'DRAFT', reference: null }),
      { idempotencyKey: newKey() },
    );
    expect(invoice).toMatchObject({ status: 'DRAFT', reference: null });
  });

  it('an answer lost after Xero created the invoice, then a retry with the same key: exactly one invoice', async () => {
    const contactId = await newContactId();
    const key = newKey();
    const before = await counts();
    await lostAnswer('invoices.create');
    expect(
      await failure(source.createInvoice(invoiceInput(contactId), { idempotencyKey: key })),
    ).toMatchObject({
      code: 'UPSTREAM_ERROR',
      retryable: true,
    });
    const retried = await source.createInvoice(invoiceInput(contactId), { idempotencyKey: key });
    const again = await source.createInvoice(invoiceInput(contactId), { idempotencyKey: key });
    expect(again).toEqual(retried);
    expect((await counts()).invoices).toBe(before.invoices + 1);
    const [byContact] = await source.listInvoicesByContact([contactId]);
    expect((byContact as AccountingInvoice[]).map((i) => i.externalId)).toEqual([retried.externalId]);
  });

  it('Xero’s validation errors → INVALID_REQUEST with its message; mixed currencies are refused before any call', async () => {
    const unknown = await failure(
      source.createInvoice(invoiceInput('00000000-0000-4000-8000-000000000000'), {
        idempotencyKey: newKey(),
      }),
    );
    expect(unknown).toMatchObject({
      code: 'INVALID_REQUEST',
      retryable: false,
      vendorCode: 'ValidationException',
    });
    expect(unknown.message).toContain('could not be found');

    await admin('DELETE', 'requests');
    const mixed = await failure(
      source.createInvoice(
        invoiceInput(namesake.id, {
          lines: [{ description: 'x', quantity: 1, unitAmount: { amount: 100, currency: 'EUR' } }],
        }),
        { idempotencyKey: newKey() },
      ),
    );
    expect(mixed).toMatchObject({ code: 'INVALID_REQUEST', retryable: false });
    expect((await requests()).total).toBe(0);
  });

  it('uses the configured sales account and tax type', async () => {
    const custom = connect({ salesAccountCode: '260', salesTaxType: 'RROUTPUT' });
    const invoice = await custom.createInvoice(
      invoiceInput(await newContactId(), {
        lines: [{ description: 'Oil', quantity: 1, unitAmount: gbp(1050) }],
      }),
      { idempotencyKey: newKey() },
    );
    // 10.50 including 5%: tax 0.50.
    expect(invoice).toMatchObject({ total: gbp(1050), totalTax: gbp(50), subTotal: gbp(1000) });
  });
});

describe('voidInvoice', () => {
  it('voids an approved invoice; one already voided is returned as it is', async () => {
    const invoice = await source.createInvoice(invoiceInput(await newContactId()), {
      idempotencyKey: newKey(),
    });
    const voided = await source.voidInvoice(invoice.externalId, { idempotencyKey: newKey() });
    expect(voided).toMatchObject({ externalId: invoice.externalId, status: 'VOIDED', amountDue: gbp(0) });
    expect(await readInvoice(invoice.externalId)).toEqual(voided);
    const again = await source.voidInvoice(invoice.externalId, { idempotencyKey: newKey() });
    expect(again).toMatchObject({ externalId: invoice.externalId, status: 'VOIDED' });
  });

  it('an answer lost after the void, then a retry with the same key: the voided invoice', async () => {
    const invoice = await source.createInvoice(invoiceInput(await newContactId()), {
      idempotencyKey: newKey(),
    });
    const key = newKey();
    await lostAnswer('invoices.update');
    expect(await failure(source.voidInvoice(invoice.externalId, { idempotencyKey: key }))).toMatchObject({
      retryable: true,
    });
    expect(await source.voidInvoice(invoice.externalId, { idempotencyKey: key })).toMatchObject({
      status: 'VOIDED',
    });
  });

  it('a draft cannot be voided in Xero, so it is deleted', async () => {
    const draft = await source.createInvoice(invoiceInput(await newContactId(), { status: 'DRAFT' }), {
      idempotencyKey: newKey(),
    });
    const key = newKey();
    const gone = await source.voidInvoice(draft.externalId, { idempotencyKey: key });
    expect(gone).toMatchObject({ externalId: draft.externalId, status: 'DELETED' });
    expect(await source.voidInvoice(draft.externalId, { idempotencyKey: key })).toMatchObject({
      status: 'DELETED',
    });
  });

  it('an invoice with payments → INVALID_REQUEST with Xero’s message', async () => {
    const invoice = await source.createInvoice(invoiceInput(await newContactId()), {
      idempotencyKey: newKey(),
    });
    await source.recordPayment(
      { invoiceId: invoice.externalId, amount: gbp(1000), paidOn: NOW },
      { idempotencyKey: newKey() },
    );
    const error = await failure(source.voidInvoice(invoice.externalId, { idempotencyKey: newKey() }));
    expect(error).toMatchObject({ code: 'INVALID_REQUEST', retryable: false });
    expect(error.message).toContain('Payments have been applied');
  });
});

describe('recordPayment', () => {
  it('records part and then the rest; the invoice is PAID when nothing is left due', async () => {
    const invoice = await source.createInvoice(invoiceInput(await newContactId()), {
      idempotencyKey: newKey(),
    });
    const part = await source.recordPayment(
      {
        invoiceId: invoice.externalId,
        amount: gbp(4000),
        paidOn: new Date(NOW.getTime() - DAY),
        reference: 'ch_1',
      },
      { idempotencyKey: newKey() },
    );
    expect(part).toEqual({
      externalId: expect.any(String),
      amount: gbp(4000),
      date: new Date(NOW.getTime() - DAY),
    });
    expect(await readInvoice(invoice.externalId)).toMatchObject({
      status: 'AUTHORISED',
      amountPaid: gbp(4000),
      amountDue: gbp(5098),
      payments: [part],
    });
    const rest = await source.recordPayment(
      { invoiceId: invoice.externalId, amount: gbp(5098), paidOn: NOW, reference: 'ch_2' },
      { idempotencyKey: newKey() },
    );
    const paid = await readInvoice(invoice.externalId);
    expect(paid).toMatchObject({ status: 'PAID', amountDue: gbp(0), payments: [part, rest] });
    expect(await rawPayment(rest.externalId)).toMatchObject({ Reference: 'ch_2', Account: { Code: '090' } });
  });

  it('an answer lost after Xero recorded the payment, then a retry with the same key: exactly one payment', async () => {
    const invoice = await source.createInvoice(invoiceInput(await newContactId()), {
      idempotencyKey: newKey(),
    });
    const key = newKey();
    const before = await counts();
    const input = { invoiceId: invoice.externalId, amount: gbp(9098), paidOn: NOW, reference: 'ch_once' };
    await lostAnswer('payments.create');
    expect(await failure(source.recordPayment(input, { idempotencyKey: key }))).toMatchObject({
      retryable: true,
    });
    const retried = await source.recordPayment(input, { idempotencyKey: key });
    expect(await source.recordPayment(input, { idempotencyKey: key })).toEqual(retried);
    expect((await counts()).payments).toBe(before.payments + 1);
    expect(await readInvoice(invoice.externalId)).toMatchObject({ status: 'PAID', payments: [retried] });
  });

  it('pays into the configured bank account', async () => {
    const invoice = await source.createInvoice(invoiceInput(await newContactId()), {
      idempotencyKey: newKey(),
    });
    const payment = await connect({ paymentAccountCode: '091' }).recordPayment(
      { invoiceId: invoice.externalId, amount: gbp(100), paidOn: NOW },
      { idempotencyKey: newKey() },
    );
    expect(await rawPayment(payment.externalId)).toMatchObject({ Account: { Code: '091' } });
  });

  it('Xero’s refusals → INVALID_REQUEST with its message', async () => {
    const invoice = await source.createInvoice(invoiceInput(await newContactId()), {
      idempotencyKey: newKey(),
    });
    const tooMuch = await failure(
      source.recordPayment(
        { invoiceId: invoice.externalId, amount: gbp(9099), paidOn: NOW },
        { idempotencyKey: newKey() },
      ),
    );
    expect(tooMuch).toMatchObject({
      code: 'INVALID_REQUEST',
      retryable: false,
      vendorCode: 'ValidationException',
    });
    expect(tooMuch.message).toContain('exceeds the amount outstanding');

    const notBank = await failure(
      connect({ paymentAccountCode: '200' }).recordPayment(
        { invoiceId: invoice.externalId, amount: gbp(100), paidOn: NOW },
        { idempotencyKey: newKey() },
      ),
    );
    expect(notBank).toMatchObject({ code: 'INVALID_REQUEST' });
    expect(notBank.message).toContain('not a bank account');
  });
});

describe('write helpers', () => {
  it('minor units → Xero decimals; dates → the UTC calendar date', () => {
    expect(toXeroAmount(gbp(1999))).toBe(19.99);
    expect(toXeroAmount(gbp(6500))).toBe(65);
    expect(toXeroAmount({ amount: 1500, currency: 'JPY' })).toBe(1500);
    expect(toXeroAmount({ amount: 1234, currency: 'BHD' })).toBe(1.234);
    expect(toXeroDate(new Date('2026-11-20T23:30:00Z'))).toBe('2026-11-20');
    expect(() => toXeroDate(new Date('nope'))).toThrow(SourceError);
  });

  it('maps Xero’s idempotency refusals', () => {
    const reused = toXeroError(
      {
        status: 400,
        headers: {},
        body: {
          ErrorNumber: 10,
          Type: 'ValidationException',
          Message: 'This Idempotency-Key has already been used for a different request.',
        },
      },
      'contacts.create',
    );
    expect(reused).toMatchObject({ code: 'CONFLICT', retryable: false, vendorCode: 'IdempotencyKeyReused' });
    const running = toXeroError(
      {
        status: 409,
        headers: {},
        body: {
          Title: 'Conflict',
          Status: 409,
          Detail: 'A request with this Idempotency-Key is still being processed.',
        },
      },
      'contacts.create',
    );
    expect(running).toMatchObject({ code: 'CONFLICT', retryable: true, retryAfterMs: 1000 });
  });
});
