import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SourceError } from '../../src/domain/errors.ts';
import type { AccountingInvoice, PersonRecord } from '../../src/domain/model.ts';
import { createOAuthTokenProvider, type TokenProvider } from '../../src/upstream/oauth.ts';
import { customerAt, generateBusiness, type SeedInvoice } from '../../src/sandbox/seed/business.ts';
import type { VendorSandbox } from '../../src/sandbox/types.ts';
import { startXeroSandbox } from './sandbox/server.ts';
import { toXeroError } from './errors.ts';
import { createGate } from '../../src/upstream/gate.ts';
import { currencyDigits, parseXeroDate, toAccountingInvoice, toMoney, toPersonRecord } from './mappers.ts';
import { createXeroSource, type XeroConfig, type XeroSource } from './source.ts';
import { failure } from '../../test/support/failure.ts';

const NOW = new Date('2026-11-23T00:00:00Z');
const DAY = 86_400_000;
const business = generateBusiness({ now: NOW });
const inXero = business.customers.filter((c) => customerAt(c, 'xero'));
const notInXero = business.customers.filter((c) => !customerAt(c, 'xero'));
const customerByKey = new Map(business.customers.map((c) => [c.key, c]));
const ordersByKey = new Map(business.orders.map((o) => [o.key, o]));
const contactIds = new Set(inXero.map((c) => c.ids.xeroContactId));
/** The sandbox only holds invoices of customers who are Xero contacts. */
const seedInvoices = business.invoices.filter((i) =>
  contactIds.has(customerByKey.get(i.customerKey)?.ids.xeroContactId ?? ''),
);
const invoicesByContact = new Map<string, SeedInvoice[]>();
for (const invoice of seedInvoices) {
  const id = customerByKey.get(invoice.customerKey)?.ids.xeroContactId as string;
  invoicesByContact.set(id, [...(invoicesByContact.get(id) ?? []), invoice]);
}
const MISSING_GUID = '00000000-0000-4000-8000-000000000000';
const startOfUtcDay = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
const gbp = (amount: number) => ({ amount, currency: 'GBP' });

let sandbox: VendorSandbox;
let tokens: TokenProvider;
let source: XeroSource;
let invalidations = 0;
const opened: XeroSource[] = [];

function tokenProvider(saved: string[] = []): TokenProvider {
  return createOAuthTokenProvider({
    source: 'xero',
    tokenUrl: `${sandbox.url}/connect/token`,
    clientId: sandbox.credentials.clientId as string,
    clientSecret: sandbox.credentials.clientSecret as string,
    refreshToken: sandbox.credentials.refreshToken as string,
    store: {
      load: async () => saved.at(-1),
      save: async (token) => {
        saved.push(token);
      },
    },
  });
}

function connect(overrides: Partial<XeroConfig> = {}): XeroSource {
  const created = createXeroSource({
    baseUrl: sandbox.url,
    tenantId: sandbox.credentials.tenantId as string,
    getAccessToken: () => tokens.getAccessToken(),
    onUnauthorized: () => {
      invalidations++;
      tokens.invalidate();
    },
    now: () => NOW,
    ...overrides,
  });
  opened.push(created);
  return created;
}

async function admin(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) {
  const res = await fetch(`${sandbox.url}/__sandbox/${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return (await res.json()) as Record<string, unknown>;
}

const requests = async () =>
  (await admin('GET', 'requests')) as { total: number; byOperation: Record<string, number> };
const clearRequests = () => admin('DELETE', 'requests');
/** Faults on the Accounting API only, so a token refresh in between is never the one hit. */
const fault = (rule: Record<string, unknown>) =>
  admin('POST', 'faults', { pathPrefix: '/api.xro/', ...rule });

function expectNotFound(value: unknown, id: string) {
  expect(value).toBeInstanceOf(SourceError);
  expect(value).toMatchObject({ source: 'xero', code: 'NOT_FOUND', retryable: false });
  expect((value as Error).message).toContain(id);
}

/** What the connector should make of a seed invoice. */
function expectedInvoice(seed: SeedInvoice): AccountingInvoice {
  const customer = customerByKey.get(seed.customerKey)!;
  const order = seed.orderKey ? ordersByKey.get(seed.orderKey) : undefined;
  const paid = seed.payments.reduce((sum, p) => sum + p.amount, 0);
  return {
    source: 'xero',
    externalId: seed.ids.xeroInvoiceId,
    number: seed.number,
    contactExternalId: customer.ids.xeroContactId,
    status: seed.status,
    reference: order?.ids.stripePaymentIntentId ?? null,
    issuedOn: startOfUtcDay(seed.date),
    dueOn: startOfUtcDay(seed.dueDate),
    lines: seed.lines.map((l) => ({
      description: l.description,
      quantity: l.quantity,
      unitAmount: gbp(l.unitAmount),
      lineAmount: gbp(l.quantity * l.unitAmount),
    })),
    subTotal: gbp(seed.subTotal),
    totalTax: gbp(seed.totalTax),
    total: gbp(seed.total),
    amountDue: gbp(seed.status === 'VOIDED' ? 0 : seed.total - paid),
    amountPaid: gbp(paid),
    payments: seed.payments.map((p) => ({
      externalId: p.ids.xeroPaymentId,
      amount: gbp(p.amount),
      date: startOfUtcDay(p.date),
    })),
    updatedAt: seed.updatedAt,
    url: `https://go.xero.com/AccountsReceivable/View.aspx?InvoiceID=${seed.ids.xeroInvoiceId}`,
  };
}

const byDateDesc = (a: SeedInvoice, b: SeedInvoice) =>
  startOfUtcDay(b.date).getTime() - startOfUtcDay(a.date).getTime();

beforeAll(async () => {
  // Xero's 60 a minute would stop the suite; the concurrent limit of 5 stays, as the connector must respect it.
  sandbox = await startXeroSandbox({ seed: { now: NOW }, limits: { perMinute: 100_000, perDay: 1_000_000 } });
  tokens = tokenProvider();
  source = connect();
});

afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
  await sandbox?.close();
});

beforeEach(async () => {
  await admin('DELETE', 'faults');
  await clearRequests();
});

describe('OAuth token provider against the sandbox', () => {
  it('20 concurrent getAccessToken() calls make one token request and save the rotated refresh token', async () => {
    const saved: string[] = [];
    const provider = tokenProvider(saved);
    const got = await Promise.all(Array.from({ length: 20 }, () => provider.getAccessToken()));
    expect(new Set(got).size).toBe(1);
    expect((await requests()).byOperation['identity.token']).toBe(1);
    expect(saved).toHaveLength(1);
    expect(saved[0]).toMatch(/\S{20,}/);
    expect(saved[0]).not.toBe(sandbox.credentials.refreshToken);
    // Cached afterwards: no further token request.
    await provider.getAccessToken();
    expect((await requests()).byOperation['identity.token']).toBe(1);
  });
});

describe('getContacts', () => {
  it('maps every seeded contact, in key order, with an Error for a missing or malformed id', async () => {
    const ids = [
      ...inXero.slice(0, 30).map((c) => c.ids.xeroContactId),
      MISSING_GUID,
      'not-a-guid',
      ...inXero.slice(30, 70).map((c) => c.ids.xeroContactId),
    ];
    const result = await source.getContacts(ids);
    expect(result).toHaveLength(ids.length);
    expectNotFound(result[30], MISSING_GUID);
    expectNotFound(result[31], 'not-a-guid');
    const customers = [...inXero.slice(0, 30), undefined, undefined, ...inXero.slice(30, 70)];
    customers.forEach((customer, i) => {
      if (!customer) return;
      const copy = customerAt(customer, 'xero')!;
      const contact = result[i] as PersonRecord;
      expect(contact).toMatchObject({
        source: 'xero',
        externalId: customer.ids.xeroContactId,
        email: copy.email,
        firstName: copy.firstName,
        lastName: copy.lastName,
        phone: copy.phone,
        company: null,
        createdAt: null,
        updatedAt: customer.createdAt,
        url: `https://go.xero.com/Contacts/View/${customer.ids.xeroContactId}`,
      });
      // Xero names are unique, so a second "Ava Smith" is "Ava Smith (2)".
      expect(contact.name).toMatch(new RegExp(`^${copy.firstName} ${copy.lastName}( \\(\\d+\\))?$`));
    });
  });

  it('uses one request per 50 ids, with ids matched case-insensitively', async () => {
    const ids = inXero.slice(0, 100).map((c) => c.ids.xeroContactId);
    const result = await source.getContacts([...ids.slice(0, 99), ids[99]!.toUpperCase()]);
    expect(result.every((r) => !(r instanceof Error))).toBe(true);
    const log = await requests();
    expect(log.byOperation['contacts.list']).toBe(2);
    expect(log.total).toBe(2);
  });

  it('a chunk that fails fails only its own keys; the call rejects when every chunk failed', async () => {
    const ids = inXero.slice(0, 100).map((c) => c.ids.xeroContactId);
    await fault({ status: 503, times: 1 });
    const result = await source.getContacts(ids);
    const failed = result.filter((r) => r instanceof SourceError);
    expect(failed).toHaveLength(50);
    expect(failed[0]).toMatchObject({ code: 'UPSTREAM_ERROR', retryable: true });
    expect(result.filter((r) => !(r instanceof Error))).toHaveLength(50);

    await fault({ status: 503, times: 2 });
    expect(await failure(source.getContacts(ids))).toMatchObject({ code: 'UPSTREAM_ERROR', status: 503 });
  });

  it('makes no request for no keys', async () => {
    expect(await source.getContacts([])).toEqual([]);
    expect((await requests()).total).toBe(0);
  });
});

describe('findContactsByEmail', () => {
  it('finds every seeded contact by email in one request per 25 emails, under Xero’s concurrency limit', async () => {
    const emails = inXero.map((c) => customerAt(c, 'xero')!.email);
    const asked = [...emails, '  ' + emails[0]!.toUpperCase() + ' ', 'nobody@nowhere.example', ''];
    // Held requests make the sandbox's limit of 5 concurrent calls bite (see the next test).
    await fault({ latencyMs: 50, times: 11, operations: ['contacts.list'] });
    const result = await source.findContactsByEmail(asked);
    expect(result).toHaveLength(asked.length);
    inXero.forEach((customer, i) => {
      expect(result[i]).toEqual([expect.objectContaining({ externalId: customer.ids.xeroContactId })]);
    });
    expect(result[emails.length]).toEqual(result[0]);
    expect(result.at(-2)).toEqual([]);
    expect(result.at(-1)).toEqual([]);
    const log = await requests();
    // 264 distinct emails → 11 requests, 11 in parallel against a limit of 5: none refused.
    expect(log.byOperation['contacts.list']).toBe(Math.ceil(emails.length / 25));
    expect(log.total).toBe(Math.ceil(emails.length / 25));
  });

  it('without the gate, Xero would refuse the calls over 5 in flight (and only their keys fail)', async () => {
    const emails = inXero.map((c) => customerAt(c, 'xero')!.email);
    await fault({ latencyMs: 50, times: 11, operations: ['contacts.list'] });
    const result = await connect({ maxConcurrent: 50 }).findContactsByEmail(emails);
    const refused = result.filter((r) => r instanceof SourceError);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]).toMatchObject({
      code: 'RATE_LIMITED',
      vendorCode: 'RateLimit:concurrent',
      retryable: true,
    });
    expect(result.filter((r) => Array.isArray(r) && r.length === 1).length).toBeGreaterThan(0);
  });

  it('relies on Xero comparing emails case-insensitively, and regroups by normalised email', async () => {
    const customer = inXero[5]!;
    const email = customerAt(customer, 'xero')!.email;
    const shouty = email.replace(/^./, (c) => c.toUpperCase()).replace(/@.*/, (d) => d.toUpperCase());
    await admin('POST', 'actions/edit-contact', {
      contactId: customer.ids.xeroContactId,
      EmailAddress: shouty,
    });
    try {
      const [found] = await source.findContactsByEmail([email]);
      expect(found).toEqual([
        expect.objectContaining({ externalId: customer.ids.xeroContactId, email: shouty }),
      ]);
    } finally {
      await admin('POST', 'reset');
    }
  });

  it('escapes quotes in the where literal', async () => {
    expect(await source.findContactsByEmail(['"odd\\"@example.com'])).toEqual([[]]);
  });
});

describe('listContacts', () => {
  it('pages by page number; the last page has no cursor', async () => {
    const first = await source.listContacts();
    expect(first.items).toHaveLength(inXero.length);
    expect(first.next).toBeUndefined();
    expect(new Set(first.items.map((c) => c.externalId))).toEqual(contactIds);
    expect((await requests()).byOperation['contacts.list']).toBe(1);

    const beyond = await source.listContacts('2');
    expect(beyond).toEqual({ items: [], next: undefined });
  });

  it('rejects a cursor it did not issue', async () => {
    expect(await failure(source.listContacts('abc'))).toMatchObject({ code: 'INVALID_REQUEST' });
  });
});

describe('listInvoicesByContact', () => {
  it('groups sales invoices by contact, newest first, with [] for contacts without any; 2 requests for 100', async () => {
    const withInvoices = inXero.filter((c) => invoicesByContact.has(c.ids.xeroContactId));
    const without = inXero.filter((c) => !invoicesByContact.has(c.ids.xeroContactId));
    expect(without.length).toBeGreaterThan(0);
    const keys = [
      ...withInvoices.slice(0, 97).map((c) => c.ids.xeroContactId),
      without[0]!.ids.xeroContactId,
      MISSING_GUID,
      notInXero[0]!.ids.xeroContactId,
    ];
    const result = await source.listInvoicesByContact(keys);
    expect(result).toHaveLength(100);
    expect(result.slice(97)).toEqual([[], [], []]);
    keys.slice(0, 97).forEach((id, i) => {
      const expected = [...(invoicesByContact.get(id) ?? [])].sort(byDateDesc);
      const got = result[i] as AccountingInvoice[];
      expect(got.map((inv) => inv.externalId).sort()).toEqual(
        expected.map((inv) => inv.ids.xeroInvoiceId).sort(),
      );
      const dates = got.map((inv) => inv.issuedOn!.getTime());
      expect(dates).toEqual([...dates].sort((a, b) => b - a));
      for (const invoice of got) {
        const seed = seedInvoices.find((s) => s.ids.xeroInvoiceId === invoice.externalId)!;
        expect(invoice).toEqual(expectedInvoice(seed));
      }
    });
    const log = await requests();
    expect(log.byOperation['invoices.list']).toBe(2);
    expect(log.total).toBe(2);
  });
});

describe('getInvoices', () => {
  it('maps invoices with lines and payments, in key order, one request per 50 ids', async () => {
    const picked = seedInvoices.slice(0, 120);
    const ids = [
      ...picked.slice(0, 60).map((i) => i.ids.xeroInvoiceId),
      MISSING_GUID,
      'INV-0001',
      ...picked.slice(60).map((i) => i.ids.xeroInvoiceId),
    ];
    const result = await source.getInvoices(ids);
    expect(result).toHaveLength(ids.length);
    expectNotFound(result[60], MISSING_GUID);
    expectNotFound(result[61], 'INV-0001');
    const expected = [...picked.slice(0, 60), undefined, undefined, ...picked.slice(60)];
    expected.forEach((seed, i) => {
      if (seed) expect(result[i]).toEqual(expectedInvoice(seed));
    });
    // Lines are there because the list asked for a page (Xero leaves them out otherwise).
    expect((result[0] as AccountingInvoice).lines.length).toBeGreaterThan(0);
    const paid = result.find((r) => !(r instanceof Error) && r.status === 'PAID') as AccountingInvoice;
    expect(paid.payments).toHaveLength(1);
    expect(paid.amountDue).toEqual(gbp(0));
    // 120 GUIDs (the malformed one is never sent) in chunks of 50.
    expect((await requests()).byOperation['invoices.list']).toBe(3);
  });
});

describe('listInvoices', () => {
  it('lists sales invoices newest first, a page at a time, with the total', async () => {
    const seen: AccountingInvoice[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const page = await source.listInvoices({}, 100, after);
      expect(page.total).toBe(seedInvoices.length);
      expect(page.items.length).toBeLessThanOrEqual(100);
      seen.push(...page.items);
      after = page.next;
      pages++;
    } while (after);
    expect(pages).toBe(Math.ceil(seedInvoices.length / 100));
    expect(new Set(seen.map((i) => i.externalId)).size).toBe(seedInvoices.length);
    const dates = seen.map((i) => i.issuedOn!.getTime());
    expect(dates).toEqual([...dates].sort((a, b) => b - a));
    expect((await requests()).byOperation['invoices.list']).toBe(pages);
  });

  it('filters by status, caps `first` at 100', async () => {
    const drafts = await source.listInvoices({ statuses: ['DRAFT'] }, 500);
    const expected = seedInvoices.filter((i) => i.status === 'DRAFT');
    expect(drafts.items.map((i) => i.externalId).sort()).toEqual(
      expected.map((i) => i.ids.xeroInvoiceId).sort(),
    );
    expect(drafts).toMatchObject({ total: expected.length, next: undefined });

    const big = await source.listInvoices({}, 500);
    expect(big.items).toHaveLength(100);
    expect(big.next).toBe('2');
  });

  it('overdue: approved, with money due, due before today', async () => {
    const page = await source.listInvoices({ overdue: true }, 100);
    const expected = seedInvoices.filter(
      (i) => i.status === 'AUTHORISED' && startOfUtcDay(i.dueDate).getTime() < NOW.getTime(),
    );
    expect(expected.length).toBeGreaterThan(0);
    expect(page.items.map((i) => i.externalId).sort()).toEqual(
      expected.map((i) => i.ids.xeroInvoiceId).sort(),
    );
    expect(page.total).toBe(expected.length);
    for (const invoice of page.items) {
      expect(invoice.dueOn!.getTime()).toBeLessThan(NOW.getTime());
      expect(invoice.amountDue.amount).toBeGreaterThan(0);
    }
    // Overdue paid invoices cannot exist: answered without asking Xero.
    await clearRequests();
    expect(await source.listInvoices({ overdue: true, statuses: ['PAID'] }, 10)).toEqual({
      items: [],
      total: 0,
    });
    expect((await requests()).total).toBe(0);
  });
});

describe('errors', () => {
  const anyCall = () => source.listContacts();

  it('503 → UPSTREAM_ERROR, retryable', async () => {
    await fault({ status: 503, times: 1 });
    expect(await failure(anyCall())).toMatchObject({
      source: 'xero',
      code: 'UPSTREAM_ERROR',
      retryable: true,
      status: 503,
      operation: 'contacts.list',
    });
  });

  it('429 minute → RATE_LIMITED with Retry-After', async () => {
    await fault({ status: 429, retryAfterSeconds: 7, times: 1 });
    expect(await failure(anyCall())).toMatchObject({
      code: 'RATE_LIMITED',
      retryable: true,
      retryAfterMs: 7000,
      vendorCode: 'RateLimit:minute',
    });
  });

  it('429 daily → RATE_LIMITED, not retryable today', async () => {
    await admin('POST', 'limits', { perDay: 1 });
    try {
      await source.listContacts().catch(() => undefined);
      const error = await failure(anyCall());
      expect(error).toMatchObject({ code: 'RATE_LIMITED', retryable: false, vendorCode: 'RateLimit:daily' });
      expect(error.retryAfterMs).toBeGreaterThan(0);
    } finally {
      await admin('POST', 'limits', { perDay: 1_000_000, reset: true });
    }
  });

  it('a dropped connection → CONNECTION_FAILED, retryable', async () => {
    await fault({ drop: true, times: 1 });
    expect(await failure(anyCall())).toMatchObject({ code: 'CONNECTION_FAILED', retryable: true });
  });

  it('404 (plain text) → NOT_FOUND; 400 → INVALID_REQUEST', async () => {
    await fault({ status: 404, times: 1 });
    const notFound = await failure(anyCall());
    expect(notFound).toMatchObject({ code: 'NOT_FOUND', status: 404 });
    expect(notFound.message).toContain('cannot be found');

    await fault({ status: 400, times: 1 });
    expect(await failure(anyCall())).toMatchObject({
      code: 'INVALID_REQUEST',
      retryable: false,
      vendorCode: 'PostDataInvalidException',
    });
  });

  it('a bad token → UNAUTHENTICATED and tells the token provider; a wrong tenant → FORBIDDEN', async () => {
    let told = 0;
    const bad = connect({ getAccessToken: async () => 'not-a-token', onUnauthorized: () => told++ });
    expect(await failure(bad.getContacts([inXero[0]!.ids.xeroContactId]))).toMatchObject({
      code: 'UNAUTHENTICATED',
      retryable: false,
      status: 401,
      vendorCode: 'AuthenticationUnsuccessful',
    });
    expect(told).toBe(1);

    const elsewhere = connect({ tenantId: MISSING_GUID });
    expect(await failure(elsewhere.listContacts())).toMatchObject({ code: 'FORBIDDEN', status: 403 });
  });

  it('an expired token → UNAUTHENTICATED (TokenExpired); the provider forgets it and the next call refreshes', async () => {
    await source.listContacts();
    await admin('POST', 'clock', { advanceSeconds: 1801 });
    const before = invalidations;
    expect(await failure(source.listContacts())).toMatchObject({
      code: 'UNAUTHENTICATED',
      vendorCode: 'TokenExpired',
    });
    expect(invalidations).toBe(before + 1);
    await clearRequests();
    expect((await source.listContacts()).items.length).toBe(inXero.length);
    expect((await requests()).byOperation['identity.token']).toBe(1);
  });
});

describe('mappers', () => {
  it('parses /Date(…)/ with or without an offset, and ISO strings', () => {
    const instant = new Date(1573755038314);
    expect(parseXeroDate('/Date(1573755038314+0000)/')).toEqual(instant);
    expect(parseXeroDate('/Date(1573755038314)/')).toEqual(instant);
    expect(parseXeroDate('/Date(1573755038314+1300)/')).toEqual(instant);
    expect(parseXeroDate('/Date(-86400000+0000)/')).toEqual(new Date(-DAY));
    expect(parseXeroDate('2019-11-14T00:00:00')).toEqual(new Date('2019-11-14T00:00:00Z'));
    expect(parseXeroDate('2019-11-14')).toEqual(new Date('2019-11-14T00:00:00Z'));
    expect(parseXeroDate('2019-03-12T23:10:38Z')).toEqual(new Date('2019-03-12T23:10:38Z'));
    expect(parseXeroDate('2019-03-12T23:10:38+13:00')).toEqual(new Date('2019-03-12T10:10:38Z'));
    for (const bad of ['', 'soon', '/Date(abc)/', undefined, null, 42]) expect(parseXeroDate(bad)).toBeNull();
  });

  it('turns decimal money into integer minor units of the currency', () => {
    expect(toMoney(65, 'GBP')).toEqual({ amount: 6500, currency: 'GBP' });
    expect(toMoney(19.99, 'GBP')).toEqual({ amount: 1999, currency: 'GBP' });
    expect(toMoney(0.1 + 0.2, 'GBP').amount).toBe(30);
    expect(toMoney(1.005, 'GBP').amount).toBe(100); // 1.005 is 1.00499… in binary; Xero never sends 3 dp.
    expect(toMoney(1500, 'JPY')).toEqual({ amount: 1500, currency: 'JPY' });
    expect(currencyDigits('BHD')).toBe(3);
    expect(currencyDigits('NOPE!')).toBe(2);
  });

  it('joins phone parts and prefers DEFAULT over MOBILE', () => {
    const contact = (phones: unknown[]) => toPersonRecord({ ContactID: 'c1', Name: 'A B', Phones: phones });
    expect(
      contact([
        { PhoneType: 'DEFAULT', PhoneNumber: '7946 0000', PhoneAreaCode: '020', PhoneCountryCode: '44' },
        { PhoneType: 'MOBILE', PhoneNumber: '07700 900123' },
      ]).phone,
    ).toBe('+44 20 7946 0000');
    expect(
      contact([
        { PhoneType: 'DEFAULT', PhoneNumber: '' },
        { PhoneType: 'DDI', PhoneNumber: '999' },
        { PhoneType: 'MOBILE', PhoneNumber: '900123', PhoneAreaCode: '07700' },
      ]).phone,
    ).toBe('07700 900123');
    expect(contact([]).phone).toBeNull();
  });

  it('a malformed vendor response is an UPSTREAM_ERROR naming the field', () => {
    const good = {
      Type: 'ACCREC',
      InvoiceID: 'i1',
      Status: 'PAID',
      SubTotal: 10,
      TotalTax: 2,
      Total: 12,
      AmountDue: 0,
      AmountPaid: 12,
      CurrencyCode: 'GBP',
    };
    expect(toAccountingInvoice(good)).toMatchObject({
      externalId: 'i1',
      total: gbp(1200),
      lines: [],
      payments: [],
    });
    const cases: Array<[unknown, string]> = [
      [{ ...good, Total: 'twelve' }, 'invoice i1.Total'],
      [{ ...good, Status: 'LOST' }, 'invoice i1.Status'],
      [{ ...good, LineItems: {} }, 'invoice i1.LineItems'],
      [
        { ...good, Payments: [{ PaymentID: 'p1', Amount: 1, Date: 'whenever' }] },
        'invoice i1.Payments[0].Date',
      ],
      [{ ...good, InvoiceID: undefined }, 'invoice.InvoiceID'],
      ['<html>', 'invoice should be an object'],
    ];
    for (const [raw, field] of cases) {
      let caught: unknown;
      try {
        toAccountingInvoice(raw);
      } catch (error) {
        caught = error;
      }
      expect(caught, field).toBeInstanceOf(SourceError);
      expect(caught).toMatchObject({ source: 'xero', code: 'UPSTREAM_ERROR', retryable: true });
      expect((caught as Error).message).toContain(field);
    }
    expect(() => toPersonRecord({ Name: 'x' })).toThrow(/contact\.ContactID/);
  });

  it('maps Xero error bodies', () => {
    const res = (status: number, body: unknown, headers: Record<string, string> = {}) => ({
      status,
      body,
      headers,
    });
    const validation = toXeroError(
      res(400, {
        ErrorNumber: 10,
        Type: 'ValidationException',
        Message: 'A validation exception occurred',
        Elements: [
          { ValidationErrors: [{ Message: 'Email address must be valid.' }] },
          { ValidationErrors: [{ Message: 'The contact name must be specified.' }] },
        ],
      }),
      'contacts.create',
    );
    expect(validation).toMatchObject({
      code: 'INVALID_REQUEST',
      vendorCode: 'ValidationException',
      retryable: false,
    });
    expect(validation.message).toContain('Email address must be valid.');
    expect(validation.message).toContain('The contact name must be specified.');

    const expired = toXeroError(
      res(401, {
        Type: null,
        Title: 'Unauthorized',
        Status: 401,
        Detail: 'TokenExpired: token expired at 01/01/2026 00:00:00',
      }),
      'x',
    );
    expect(expired).toMatchObject({ code: 'UNAUTHENTICATED', vendorCode: 'TokenExpired' });
    expect(toXeroError(res(401, { Detail: 'AuthorizationUnsuccessful' }), 'x')).toMatchObject({
      code: 'FORBIDDEN',
    });
    expect(toXeroError(res(403, { Detail: 'AuthenticationUnsuccessful' }), 'x')).toMatchObject({
      code: 'FORBIDDEN',
    });
    expect(
      toXeroError(res(429, { Detail: 'Rate limit exceeded' }, { 'x-rate-limit-problem': 'concurrent' }), 'x'),
    ).toMatchObject({
      code: 'RATE_LIMITED',
      retryable: true,
      retryAfterMs: 1000,
      vendorCode: 'RateLimit:concurrent',
    });
    expect(toXeroError(res(502, 'Bad Gateway'), 'x')).toMatchObject({
      code: 'UPSTREAM_ERROR',
      retryable: true,
    });
  });

  it('recordUrl links contacts and invoices into Xero', () => {
    expect(source.recordUrl('customer', 'abc')).toBe('https://go.xero.com/Contacts/View/abc');
    expect(source.recordUrl('invoice', 'abc')).toBe(
      'https://go.xero.com/AccountsReceivable/View.aspx?InvoiceID=abc',
    );
    expect(source.recordUrl('order', 'abc')).toBeNull();
  });
});

describe('gate', () => {
  it('never runs more than its limit at once and runs everything', async () => {
    const gate = createGate(3);
    let running = 0;
    let peak = 0;
    const done = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        gate(async () => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((resolve) => setTimeout(resolve, 1 + (i % 3)));
          running--;
          return i;
        }),
      ),
    );
    expect(done).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(peak).toBe(3);
  });
});
