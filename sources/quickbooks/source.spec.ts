import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SourceError } from '../../src/domain/errors.ts';
import type { AccountingInvoice, PersonRecord } from '../../src/domain/model.ts';
import { createOAuthTokenProvider, type TokenProvider } from '../../src/upstream/oauth.ts';
import { customerAt, generateBusiness, type SeedInvoice } from '../../src/sandbox/seed/business.ts';
import type { VendorSandbox } from '../../src/sandbox/types.ts';
import { failure } from '../../test/support/failure.ts';
import { startQuickbooksSandbox } from './sandbox/server.ts';
import { FIXED_NOW } from './sandbox/testing.ts';
import { localDate } from './sandbox/wire.ts';
import { toQuickbooksError } from './errors.ts';
import { parseQuickbooksDate, toMinorUnits } from './mappers.ts';
import { quickbooksSeedIds } from './seed-ids.ts';
import { createQuickbooksSource, type QuickbooksConfig, type QuickbooksSource } from './source.ts';

const business = generateBusiness({ now: FIXED_NOW });
const seedIds = quickbooksSeedIds(business);
const TZ = business.timeZone;
const inBooks = business.customers.filter((c) => customerAt(c, 'xero'));
const ordersByKey = new Map(business.orders.map((o) => [o.key, o]));
const seedInvoices = business.invoices.filter((i) => seedIds.invoices!.has(i.key));
const customerId = (key: string) => seedIds.people!.get(key)!;
const invoiceId = (key: string) => seedIds.invoices!.get(key)!;
const gbp = (amount: number) => ({ amount, currency: 'GBP' });
const calendarDate = (d: Date) => new Date(`${localDate(d.getTime(), TZ)}T00:00:00Z`);
const wholeSeconds = (d: Date) => new Date(Math.floor(d.getTime() / 1000) * 1000);
const APP = 'https://app.sandbox.qbo.intuit.com';

/** DisplayNames as the sandbox gives them: a second "Oliver Smith" is "Oliver Smith (2)". */
const displayNames = (() => {
  const seen = new Map<string, number>();
  const names = new Map<string, string>();
  for (const customer of inBooks) {
    const copy = customerAt(customer, 'xero')!;
    const base = `${copy.firstName} ${copy.lastName}`;
    const n = (seen.get(base.toLowerCase()) ?? 0) + 1;
    seen.set(base.toLowerCase(), n);
    names.set(customer.key, n === 1 ? base : `${base} (${n})`);
  }
  return names;
})();

let sandbox: VendorSandbox;
let tokens: TokenProvider;
let source: QuickbooksSource;
const opened: QuickbooksSource[] = [];

function connect(overrides: Partial<QuickbooksConfig> = {}): QuickbooksSource {
  const created = createQuickbooksSource({
    baseUrl: sandbox.url,
    realmId: sandbox.credentials.realmId!,
    appUrl: APP,
    getAccessToken: () => tokens.getAccessToken(),
    onUnauthorized: () => tokens.invalidate(),
    now: () => FIXED_NOW,
    timeZone: TZ,
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
  return (await res.json()) as Record<string, any>;
}

const requests = async () =>
  (await admin('GET', 'requests?limit=0')) as { total: number; byOperation: Record<string, number> };
/** Faults on the Accounting API only, so a token refresh in between is never the one hit. */
const fault = (rule: Record<string, unknown>) => admin('POST', 'faults', { pathPrefix: '/v3/', ...rule });

function expectedCustomer(key: string): PersonRecord {
  const seed = inBooks.find((c) => c.key === key)!;
  const copy = customerAt(seed, 'xero')!;
  const id = customerId(key);
  return {
    source: 'quickbooks',
    externalId: id,
    email: copy.email,
    firstName: copy.firstName,
    lastName: copy.lastName,
    name: displayNames.get(key)!,
    phone: copy.phone.trim() || null,
    company: copy.company ?? null,
    createdAt: wholeSeconds(seed.createdAt),
    updatedAt: wholeSeconds(seed.createdAt),
    url: `${APP}/app/customerdetail?nameId=${id}`,
  };
}

/** What the adapter should make of a seed invoice (VAT-exclusive lines, as the company keeps them). */
function expectedInvoice(seed: SeedInvoice): AccountingInvoice {
  const id = invoiceId(seed.key);
  const voided = seed.status === 'VOIDED';
  const paid = seed.payments.reduce((sum, p) => sum + p.amount, 0);
  const total = voided ? 0 : seed.total;
  const order = seed.orderKey ? ordersByKey.get(seed.orderKey) : undefined;
  return {
    source: 'quickbooks',
    externalId: id,
    number: seed.number,
    contactExternalId: customerId(seed.customerKey),
    status: voided ? 'VOIDED' : total - paid === 0 ? 'PAID' : 'AUTHORISED',
    reference: voided ? null : (order?.ids.stripePaymentIntentId ?? null),
    issuedOn: calendarDate(seed.date),
    dueOn: calendarDate(seed.dueDate),
    lines: seed.lines.map((l) => ({
      description: l.description,
      quantity: voided ? 0 : l.quantity,
      unitAmount: gbp(l.unitAmount),
      lineAmount: gbp(voided ? 0 : l.quantity * l.unitAmount),
    })),
    subTotal: gbp(voided ? 0 : seed.subTotal),
    totalTax: gbp(voided ? 0 : seed.totalTax),
    total: gbp(total),
    amountDue: gbp(voided ? 0 : total - paid),
    amountPaid: gbp(voided ? 0 : paid),
    // A seed payment's id follows its invoice's (one sequence for transactions).
    payments: seed.payments.map((p, i) => ({
      externalId: String(Number(id) + 1 + i),
      amount: gbp(p.amount),
      date: calendarDate(p.date),
    })),
    updatedAt: wholeSeconds(seed.updatedAt),
    url: `${APP}/app/invoice?txnId=${id}`,
  };
}

/** Newest first, as the adapter lists: by date, then by id. */
const newestFirst = (a: AccountingInvoice, b: AccountingInvoice) =>
  b.issuedOn!.getTime() - a.issuedOn!.getTime() || Number(b.externalId) - Number(a.externalId);

beforeAll(async () => {
  // QBO's 500 a minute would slow the suite down; its 10 concurrent calls stay, as the adapter must respect them.
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
  await admin('POST', 'reset');
  // The token is fetched before the request log is cleared, so no test counts the token request.
  await tokens.getAccessToken();
  await admin('DELETE', 'requests');
});

describe('getContacts', () => {
  it('maps every seeded customer in key order, with an Error for an unknown or malformed id', async () => {
    const keys = inBooks.map((c) => c.key);
    const ids = [...keys.slice(0, 150).map(customerId), '999999', 'abc', ...keys.slice(150).map(customerId)];
    const result = await source.getContacts(ids);
    expect(result).toHaveLength(ids.length);
    for (const [i, id] of ids.entries()) {
      if (id === '999999' || id === 'abc') {
        expect(result[i]).toBeInstanceOf(SourceError);
        expect(result[i]).toMatchObject({ source: 'quickbooks', code: 'NOT_FOUND', retryable: false });
        expect((result[i] as Error).message).toContain(id);
        continue;
      }
      const key = keys[i < 150 ? i : i - 2]!;
      expect(result[i]).toEqual(expectedCustomer(key));
    }
    // 265 numeric ids, 100 to a query.
    expect((await requests()).byOperation).toEqual({ query: 3 });
  });

  it('finds customers made inactive (QBO’s delete), which queries leave out unless asked', async () => {
    const key = inBooks[3]!.key;
    await admin('POST', 'actions/edit-customer', { customerId: customerId(key), active: false });
    const [found] = await source.getContacts([customerId(key)]);
    expect(found).toMatchObject({ externalId: customerId(key), email: expectedCustomer(key).email });
  });

  it('a chunk that fails fails only its own keys; the call rejects when every chunk failed', async () => {
    const ids = inBooks.slice(0, 200).map((c) => customerId(c.key));
    await fault({ status: 503, times: 1 });
    const result = await source.getContacts(ids);
    const failed = result.filter((r) => r instanceof SourceError);
    expect(failed).toHaveLength(100);
    expect(failed[0]).toMatchObject({ code: 'UPSTREAM_ERROR', retryable: true, status: 503 });

    await fault({ status: 503, times: 2 });
    expect(await failure(source.getContacts(ids))).toMatchObject({ code: 'UPSTREAM_ERROR', status: 503 });
  });

  it('makes no request for no keys', async () => {
    expect(await source.getContacts([])).toEqual([]);
    expect((await requests()).total).toBe(0);
  });
});

describe('findContactsByEmail', () => {
  it('finds every seeded customer in batch requests of 30 lookups, in key order', async () => {
    const emails = inBooks.map((c) => customerAt(c, 'xero')!.email);
    const asked = [...emails, `  ${emails[0]!.toUpperCase()} `, 'nobody@nowhere.example', ''];
    const result = await source.findContactsByEmail(asked);
    expect(result).toHaveLength(asked.length);
    inBooks.forEach((customer, i) => {
      expect(result[i]).toEqual([expectedCustomer(customer.key)]);
    });
    expect(result[emails.length]).toEqual(result[0]);
    expect(result.at(-2)).toEqual([]);
    expect(result.at(-1)).toEqual([]);
    // 265 distinct emails, 30 statements to a batch request, under QBO's 10 concurrent calls.
    expect((await requests()).byOperation).toEqual({ batch: Math.ceil((emails.length + 1) / 30) });
  });

  it('matches case and the spaces a bookkeeper typed around an address', async () => {
    const customer = inBooks[5]!;
    const email = customerAt(customer, 'xero')!.email;
    const typed = `  ${email.toUpperCase()} `;
    await admin('POST', 'actions/edit-customer', { customerId: customerId(customer.key), email: typed });
    const [found, again] = await source.findContactsByEmail([email, typed]);
    expect(found).toEqual([expect.objectContaining({ externalId: customerId(customer.key), email: typed })]);
    expect(again).toEqual(found);
  });

  it('asks with a plain query for a single email, and escapes quotes in the statement', async () => {
    expect(await source.findContactsByEmail(["o'brien\\@example.com"])).toEqual([[]]);
    expect((await requests()).byOperation).toEqual({ query: 1 });
  });

  it('keeps only exact addresses among LIKE matches', async () => {
    const customer = inBooks[7]!;
    const email = customerAt(customer, 'xero')!.email;
    await admin('POST', 'actions/edit-customer', {
      customerId: customerId(inBooks[8]!.key),
      email: `x${email}`,
    });
    const [found] = await source.findContactsByEmail([email]);
    expect((found as PersonRecord[]).map((c) => c.externalId)).toEqual([customerId(customer.key)]);
  });

  it('a failed batch fails only its emails', async () => {
    const emails = inBooks.slice(0, 60).map((c) => customerAt(c, 'xero')!.email);
    await fault({ status: 500, times: 1, operations: ['batch'] });
    const result = await source.findContactsByEmail(emails);
    expect(result.filter((r) => r instanceof SourceError)).toHaveLength(30);
    expect(result.filter((r) => Array.isArray(r) && r.length === 1)).toHaveLength(30);
  });
});

describe('listContacts', () => {
  it('lists every active customer by Id, a page of up to 1000; a cursor is a start position', async () => {
    const first = await source.listContacts();
    expect(first.items.map((c) => c.externalId)).toEqual(inBooks.map((c) => customerId(c.key)));
    expect(first.items[0]).toEqual(expectedCustomer(inBooks[0]!.key));
    expect(first.next).toBeUndefined();
    const rest = await source.listContacts('201');
    expect(rest.items.map((c) => c.externalId)).toEqual(inBooks.slice(200).map((c) => customerId(c.key)));
    expect((await failure(source.listContacts('page-2'))).code).toBe('INVALID_REQUEST');
  });
});

describe('getInvoices', () => {
  it('maps every seeded invoice with its payments, reading the payments in one query per 100', async () => {
    const ids = seedInvoices.map((i) => invoiceId(i.key));
    const result = await source.getInvoices([...ids, '999999']);
    seedInvoices.forEach((seed, i) => expect(result[i]).toEqual(expectedInvoice(seed)));
    expect(result.at(-1)).toMatchObject({ code: 'NOT_FOUND' });
    // Invoices 100 to a query, then the payments of those 100 (fewer than 100) in one more: no query per invoice.
    const chunks = Array.from({ length: Math.ceil(seedInvoices.length / 100) }, (_, i) =>
      seedInvoices.slice(i * 100, i * 100 + 100),
    );
    const withPayments = chunks.filter((c) => c.some((i) => i.payments.length > 0)).length;
    expect((await requests()).byOperation).toEqual({ query: chunks.length + withPayments });
  });

  it('maps the statuses: PAID, AUTHORISED, VOIDED, and part-paid', async () => {
    const bySeedStatus = (status: string) => seedInvoices.find((i) => i.status === status)!;
    const paid = bySeedStatus('PAID');
    const open = seedInvoices.find((i) => i.status === 'AUTHORISED' && i.payments.length === 0)!;
    const voided = bySeedStatus('VOIDED');
    const answer = await admin('POST', 'actions/pay-invoice', {
      invoiceId: invoiceId(open.key),
      amount: 10.5,
    });
    const [p, part, v] = await source.getInvoices([
      invoiceId(paid.key),
      invoiceId(open.key),
      invoiceId(voided.key),
    ]);
    expect(p).toMatchObject({ status: 'PAID', amountDue: gbp(0), amountPaid: gbp(paid.total) });
    expect(part).toMatchObject({
      status: 'AUTHORISED',
      amountPaid: gbp(1050),
      amountDue: gbp(open.total - 1050),
      payments: [{ externalId: answer.payment.Id, amount: gbp(1050), date: expect.any(Date) }],
    });
    expect(v).toMatchObject({ status: 'VOIDED', total: gbp(0), amountDue: gbp(0), reference: null });
  });
});

describe('listInvoicesByContact', () => {
  it('lists each contact’s invoices newest first, in key order, with payments', async () => {
    const keys = inBooks.map((c) => c.key);
    const result = await source.listInvoicesByContact([...keys.map(customerId), '999999']);
    keys.forEach((key, i) => {
      const expected = seedInvoices
        .filter((s) => s.customerKey === key)
        .map(expectedInvoice)
        .sort(newestFirst);
      expect(result[i]).toEqual(expected);
    });
    expect(result.at(-1)).toEqual([]);
  });
});

describe('listInvoices', () => {
  const all = () => seedInvoices.map(expectedInvoice).sort(newestFirst);

  async function everyPage(filter: Parameters<QuickbooksSource['listInvoices']>[0], first: number) {
    const items: AccountingInvoice[] = [];
    const totals = new Set<number | undefined>();
    let after: string | undefined;
    for (let pages = 0; pages < 200; pages++) {
      const page = await source.listInvoices(filter, first, after);
      items.push(...page.items);
      totals.add(page.total);
      expect(page.items.length).toBeLessThanOrEqual(first);
      if (!page.next) return { items, totals };
      after = page.next;
    }
    throw new Error('more than 200 pages');
  }

  it('pages newest first with the total, every invoice once', async () => {
    const { items, totals } = await everyPage({}, 40);
    expect(items).toEqual(all());
    expect([...totals]).toEqual([seedInvoices.length]);
  });

  it('filters by status, one status at a time or merged where QBO cannot say it in one query', async () => {
    for (const statuses of [
      ['PAID'],
      ['AUTHORISED'],
      ['VOIDED'],
      ['AUTHORISED', 'PAID'],
      ['AUTHORISED', 'VOIDED'],
      ['PAID', 'VOIDED'],
      ['DRAFT'],
    ] as const) {
      const { items, totals } = await everyPage({ statuses: [...statuses] }, 25);
      const expected = all().filter((i) => (statuses as readonly string[]).includes(i.status));
      expect(items, statuses.join()).toEqual(expected);
      expect([...totals], statuses.join()).toEqual([expected.length]);
    }
  });

  it('overdue: money due and the due date passed', async () => {
    const { items } = await everyPage({ overdue: true }, 100);
    const today = localDate(FIXED_NOW.getTime(), TZ);
    const expected = all().filter(
      (i) => i.amountDue.amount > 0 && i.dueOn!.toISOString().slice(0, 10) < today,
    );
    expect(items).toEqual(expected);
    expect(items.length).toBeGreaterThan(0);
    expect((await source.listInvoices({ overdue: true, statuses: ['PAID'] }, 10)).items).toEqual([]);
  });

  it('refuses a cursor it did not issue', async () => {
    expect((await failure(source.listInvoices({}, 10, 'x'))).code).toBe('INVALID_REQUEST');
    expect((await failure(source.listInvoices({ statuses: ['PAID', 'VOIDED'] }, 10, '3'))).code).toBe(
      'INVALID_REQUEST',
    );
  });
});

describe('recordUrl', () => {
  it('links customers and invoices in QuickBooks; nothing else', () => {
    expect(source.recordUrl('customer', '12')).toBe(`${APP}/app/customerdetail?nameId=12`);
    expect(source.recordUrl('invoice', '40')).toBe(`${APP}/app/invoice?txnId=40`);
    expect(source.recordUrl('booking', '1')).toBeNull();
    expect(connect({ appUrl: undefined }).recordUrl('invoice', '7')).toBe(
      'https://app.qbo.intuit.com/app/invoice?txnId=7',
    );
  });
});

describe('errors', () => {
  it('a token for another company: FORBIDDEN, naming QUICKBOOKS_REALM_ID', async () => {
    const wrong = connect({ realmId: '1234567890' });
    const error = await failure(wrong.getContacts(['1']));
    expect(error).toMatchObject({ code: 'FORBIDDEN', status: 403, vendorCode: '3100', retryable: false });
    expect(error.message).toContain('the token is not for realm 1234567890');
    expect(error.message).toContain('QUICKBOOKS_REALM_ID');
  });

  it('a refused token: UNAUTHENTICATED, and the provider is told to forget it', async () => {
    let told = 0;
    const bad = connect({ getAccessToken: async () => 'not-a-token', onUnauthorized: () => told++ });
    expect(await failure(bad.getInvoices(['1']))).toMatchObject({
      code: 'UNAUTHENTICATED',
      status: 401,
      vendorCode: '3200',
    });
    expect(told).toBe(1);
  });

  it('throttled by QBO: RATE_LIMITED, a minute’s wait (Intuit sends no Retry-After)', async () => {
    await admin('POST', 'limits', { perMinute: 1, reset: true });
    try {
      await source.getContacts(['1']);
      const error = await failure(source.getContacts(['1']));
      expect(error).toMatchObject({ code: 'RATE_LIMITED', status: 429, vendorCode: '3001', retryable: true });
      expect(error.retryAfterMs).toBe(60_000);
    } finally {
      await admin('POST', 'limits', { perMinute: 100_000, reset: true });
    }
  });

  it('maps QBO faults by code', () => {
    const fault = (status: number, code: string, Message = 'm', Detail = 'd') =>
      toQuickbooksError(
        {
          status,
          headers: {},
          body: { Fault: { Error: [{ Message, Detail, code }], type: 'ValidationFault' } },
        },
        'op',
        '42',
      );
    expect(fault(400, '610', 'Object Not Found')).toMatchObject({ code: 'NOT_FOUND', vendorCode: '610' });
    expect(fault(400, '5010', 'Stale Object Error')).toMatchObject({ code: 'CONFLICT', retryable: true });
    expect(fault(400, '6240', 'Duplicate Name Exists Error')).toMatchObject({
      code: 'CONFLICT',
      retryable: false,
    });
    expect(fault(400, '2020', 'Required param missing')).toMatchObject({ code: 'INVALID_REQUEST' });
    expect(fault(500, '10000')).toMatchObject({ code: 'UPSTREAM_ERROR', retryable: true });
    expect(fault(400, '610', 'Object Not Found', 'Object Not Found : gone').message).toBe(
      'quickbooks op failed with 400 610: Object Not Found : gone',
    );
    const scope = toQuickbooksError(
      {
        status: 403,
        headers: {},
        body: {
          fault: {
            error: [
              {
                message: 'message=AuthorizationFailed; errorCode=003100; statusCode=403',
                detail: 'The access token does not have sufficient scope',
                code: '3100',
              },
            ],
            type: 'SERVICE',
          },
        },
      },
      'op',
      '42',
    );
    expect(scope).toMatchObject({ code: 'FORBIDDEN' });
    expect(scope.message).toContain('com.intuit.quickbooks.accounting');
    const html = toQuickbooksError(
      { status: 413, headers: {}, body: '<html><body><h1>Request Entity Too Large</h1></body></html>' },
      'op',
      '42',
    );
    expect(html).toMatchObject({ code: 'INVALID_REQUEST' });
    expect(html.message).toContain('Request Entity Too Large');
  });
});

describe('mappers', () => {
  it('turns decimals into minor units without float error', () => {
    expect(toMinorUnits(0.1 + 0.2, 'GBP')).toBe(30);
    expect(toMinorUnits(1234567.89, 'GBP')).toBe(123456789);
    expect(toMinorUnits(54.1666667, 'GBP')).toBe(5417);
    expect(toMinorUnits(-0.005, 'GBP')).toBe(-1);
    expect(toMinorUnits(1500, 'JPY')).toBe(1500);
  });

  it('reads QBO dates: calendar dates as midnight UTC, times with their offset', () => {
    expect(parseQuickbooksDate('2026-11-23')).toEqual(new Date('2026-11-23T00:00:00Z'));
    expect(parseQuickbooksDate('2026-07-01T10:15:00+01:00')).toEqual(new Date('2026-07-01T09:15:00Z'));
    expect(parseQuickbooksDate('2015-10-05T14:42:19-0700')).toEqual(new Date('2015-10-05T21:42:19Z'));
    expect(parseQuickbooksDate('soon')).toBeNull();
  });
});
