/**
 * The platform around the entities, over plain HTTP as QBO's wire has it: OAuth (rotating
 * refresh tokens, consent, code reuse, expiry), the realm check, minorversion and Accept,
 * entity rules (SyncToken, VAT codes, DocNumber, payments and balances), requestid, the query
 * language, batch limits, CDC, and the seed compared with the Xero sandbox's books.
 * Throttling and injected faults: quickbooks-limits.spec.ts; webhooks: quickbooks-webhooks.spec.ts.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { customerAt, generateBusiness } from '../../../src/sandbox/seed/business.ts';
import type { VendorSandbox } from '../../../src/sandbox/types.ts';
import { startXeroSandbox } from '../../xero/sandbox/server.ts';
import { startQuickbooksSandbox } from './server.ts';
import {
  admin,
  connect,
  expectFault,
  expectGateway,
  FIXED_NOW,
  qbo,
  query,
  tokenRequest,
  type ApiAnswer,
} from './testing.ts';

const business = generateBusiness({ now: FIXED_NOW });
let sandbox: VendorSandbox;
let token: string;

beforeAll(async () => {
  sandbox = await startQuickbooksSandbox({ business });
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(async () => {
  await admin(sandbox, 'POST', '/__sandbox/reset');
  token = (await connect(sandbox)).access_token;
});

const customerCount = async () =>
  (await query(sandbox, token, 'select count(*) from Customer')).body.QueryResponse.totalCount;

describe('OAuth', () => {
  it('every refresh returns a new refresh token; the replaced one fails at once, or within a configured grace', async () => {
    const first = await tokenRequest(sandbox, {
      grant_type: 'refresh_token',
      refresh_token: sandbox.credentials.refreshToken!,
    });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      token_type: 'bearer',
      expires_in: 3600,
      x_refresh_token_expires_in: 8_726_400,
    });
    const rotated = first.body.refresh_token as string;
    expect(rotated).not.toBe(sandbox.credentials.refreshToken);
    const again = await tokenRequest(sandbox, {
      grant_type: 'refresh_token',
      refresh_token: sandbox.credentials.refreshToken!,
    });
    expect(again).toEqual({ status: 400, body: { error: 'invalid_grant' } });

    await admin(sandbox, 'POST', '/__sandbox/tokens', { refreshGraceSeconds: 60 });
    try {
      const next = await tokenRequest(sandbox, { grant_type: 'refresh_token', refresh_token: rotated });
      expect(
        (await tokenRequest(sandbox, { grant_type: 'refresh_token', refresh_token: rotated })).status,
      ).toBe(200);
      await admin(sandbox, 'POST', '/__sandbox/clock', { advanceSeconds: 61 });
      expect(
        (await tokenRequest(sandbox, { grant_type: 'refresh_token', refresh_token: rotated })).status,
      ).toBe(400);
      expect(
        (await tokenRequest(sandbox, { grant_type: 'refresh_token', refresh_token: next.body.refresh_token }))
          .status,
      ).toBe(200);
    } finally {
      await admin(sandbox, 'POST', '/__sandbox/tokens', { refreshGraceSeconds: 0 });
    }
  });

  it('the consent page redirects with code, state and realmId (or access_denied); a code works once', async () => {
    const params = new URLSearchParams({
      client_id: sandbox.credentials.clientId!,
      response_type: 'code',
      scope: 'com.intuit.quickbooks.accounting',
      redirect_uri: 'https://app.example/callback',
      state: 'st8',
    });
    const page = await fetch(`${sandbox.url}/connect/oauth2?${params}`);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(await page.text()).toMatch(/<button[^>]*value="allow"[^>]*>Allow<\/button>/);
    const post = (decision: string) =>
      fetch(`${sandbox.url}/connect/oauth2`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams([...params, ['decision', decision]]),
        redirect: 'manual',
      });
    const denied = new URL((await post('deny')).headers.get('location')!);
    expect(Object.fromEntries(denied.searchParams)).toEqual({ error: 'access_denied', state: 'st8' });
    const allowed = new URL((await post('allow')).headers.get('location')!);
    expect(allowed.origin + allowed.pathname).toBe('https://app.example/callback');
    expect(allowed.searchParams.get('realmId')).toBe(sandbox.credentials.realmId);
    const code = allowed.searchParams.get('code')!;

    const exchange = (redirect_uri: string) =>
      tokenRequest(sandbox, { grant_type: 'authorization_code', code, redirect_uri });
    expect((await exchange('https://elsewhere.example/cb')).status).toBe(400);
    const tokens = await exchange('https://app.example/callback');
    expect(tokens.status).toBe(200);
    expect(tokens.body.id_token).toBeUndefined(); // no openid scope asked
    expect((await qbo(sandbox, tokens.body.access_token, 'GET', '/customer/1')).status).toBe(200);
    // Exchanging the code a second time fails, and revokes what the first exchange issued.
    expect(await exchange('https://app.example/callback')).toEqual({
      status: 400,
      body: { error: 'invalid_grant' },
    });
    expectGateway(await qbo(sandbox, tokens.body.access_token, 'GET', '/customer/1'), 401, '3200');
  });

  it('wrong client credentials are invalid_client (401); unknown grants are unsupported_grant_type', async () => {
    const wrong = await tokenRequest(
      sandbox,
      { grant_type: 'refresh_token', refresh_token: 'x' },
      { secret: 'nope' },
    );
    expect(wrong).toEqual({ status: 401, body: { error: 'invalid_client' } });
    expect((await tokenRequest(sandbox, { grant_type: 'client_credentials' })).body).toEqual({
      error: 'unsupported_grant_type',
    });
  });

  it('access tokens last 3600 s; expired, unknown and missing tokens get the gateway 401', async () => {
    expect((await qbo(sandbox, token, 'GET', '/customer/1')).status).toBe(200);
    await admin(sandbox, 'POST', '/__sandbox/clock', { advanceSeconds: 3601 });
    const expired = expectGateway(await qbo(sandbox, token, 'GET', '/customer/1'), 401, '3200');
    expect(expired.message).toBe('message=AuthenticationFailed; errorCode=003200; statusCode=401');
    expect(expired.detail).toMatch(/^Token expired: /);
    expect(expectGateway(await qbo(sandbox, 'bogus', 'GET', '/customer/1'), 401, '3200').detail).toBe(
      'Token invalid',
    );
    const missing = await fetch(`${sandbox.url}/v3/company/${sandbox.credentials.realmId}/customer/1`, {
      headers: { Accept: 'application/json' },
    });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('intuit_tid')).toMatch(/^1-[0-9a-f]{8}-[0-9a-f]{24}$/);
  });

  it("a token is refused on another company's URL (403), and without the accounting scope", async () => {
    const other = await qbo(sandbox, token, 'GET', '/customer/1', undefined, { realmId: '1234567890' });
    expect(expectGateway(other, 403, '3100').message).toBe(
      'message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403',
    );
    expect(other.body.fault.type).toBe('SERVICE');
    const openidOnly = (await connect(sandbox, ['openid', 'email'])).access_token;
    const scoped = expectGateway(await qbo(sandbox, openidOnly, 'GET', '/customer/1'), 403, '3100');
    expect(scoped.detail).toBe('The access token does not have sufficient scope');
  });
});

describe('request conventions', () => {
  it('minorversion must be a number when given; lower ones are answered as 75', async () => {
    expect((await qbo(sandbox, token, 'GET', '/customer/1?minorversion=40')).status).toBe(200);
    expect((await qbo(sandbox, token, 'GET', '/customer/1?minorversion=75')).status).toBe(200);
    const bad = expectFault(await qbo(sandbox, token, 'GET', '/customer/1?minorversion=latest'), 400, '2010');
    expect(bad).toMatchObject({
      Message: 'Request has invalid or unsupported property',
      element: 'minorversion',
    });
  });

  it('answers JSON only: without Accept: application/json (QBO would send XML) the sandbox refuses', async () => {
    const xml = await qbo(sandbox, token, 'GET', '/customer/1', undefined, {
      headers: { Accept: 'application/xml' },
    });
    expect(xml.status).toBe(406);
    const json = await qbo(sandbox, token, 'GET', '/customer/1?format=json', undefined, {
      headers: { Accept: '*/*' },
    });
    expect(json.status).toBe(200);
    expect(json.headers.get('content-type')).toBe('application/json;charset=UTF-8');
  });

  it('unknown resources and unknown members are refused the way QBO refuses them', async () => {
    expect(expectFault(await qbo(sandbox, token, 'GET', '/widget/1'), 400, '500').Message).toBe(
      'Unsupported Operation',
    );
    const unknown = expectFault(
      await qbo(sandbox, token, 'POST', '/customer', { DisplayName: 'X', Colour: 'red' }),
      400,
      '2010',
    );
    expect(unknown.Detail).toContain('Unrecognized field "Colour"');
    expect(expectFault(await qbo(sandbox, token, 'GET', '/invoice/999999'), 400, '610').Message).toBe(
      'Object Not Found',
    );
  });
});

describe('entities', () => {
  it('a stale SyncToken is 5010; a missing one 2020; a sparse update keeps what it leaves out', async () => {
    const before = (await qbo(sandbox, token, 'GET', '/customer/7')).body.Customer;
    const updated = await qbo(sandbox, token, 'POST', '/customer', {
      Id: '7',
      SyncToken: before.SyncToken,
      sparse: true,
      CompanyName: 'Sparse Ltd',
    });
    expect(updated.body.Customer).toMatchObject({
      SyncToken: '1',
      CompanyName: 'Sparse Ltd',
      DisplayName: before.DisplayName,
    });
    expect(updated.body.Customer.PrimaryEmailAddr).toEqual(before.PrimaryEmailAddr);
    const stale = expectFault(
      await qbo(sandbox, token, 'POST', '/customer', { Id: '7', SyncToken: '0', sparse: true, Notes: 'x' }),
      400,
      '5010',
    );
    expect(stale).toMatchObject({ Message: 'Stale Object Error' });
    expect(stale.Detail).toMatch(/^Stale Object Error : You and .* were working on this at the same time/);
    expect(
      expectFault(
        await qbo(sandbox, token, 'POST', '/customer', { Id: '7', sparse: true, Notes: 'x' }),
        400,
        '2020',
      ).Detail,
    ).toBe('Required parameter SyncToken is missing in the request');
    // A full update clears the writable members it leaves out.
    const full = await qbo(sandbox, token, 'POST', '/customer', {
      Id: '7',
      SyncToken: '1',
      DisplayName: before.DisplayName,
    });
    expect(full.body.Customer.CompanyName).toBeUndefined();
    expect(full.body.Customer.PrimaryEmailAddr).toBeUndefined();
  });

  it('invoices need a VAT code per line, Amount = Qty × UnitPrice, and a unique DocNumber', async () => {
    const line = (extra: Record<string, unknown> = {}) => ({
      DetailType: 'SalesItemLineDetail',
      Amount: 100,
      SalesItemLineDetail: {
        ItemRef: { value: '2' },
        Qty: 2,
        UnitPrice: 50,
        TaxCodeRef: { value: '2' },
        ...extra,
      },
    });
    const noVat = await qbo(sandbox, token, 'POST', '/invoice', {
      CustomerRef: { value: '1' },
      Line: [{ ...line(), SalesItemLineDetail: { ItemRef: { value: '2' }, Qty: 2, UnitPrice: 50 } }],
    });
    expect(expectFault(noVat, 400, '6000').Detail).toBe(
      'Business Validation Error: Make sure all your transactions have a VAT rate before you save.',
    );
    expectFault(
      await qbo(sandbox, token, 'POST', '/invoice', {
        CustomerRef: { value: '1' },
        Line: [line({ Qty: 3 })],
      }),
      400,
      '6070',
    );
    expect(
      expectFault(await qbo(sandbox, token, 'POST', '/invoice', { Line: [line()] }), 400, '2020').Detail,
    ).toBe('Required parameter CustomerRef is missing in the request');
    const created = await qbo(sandbox, token, 'POST', '/invoice', {
      CustomerRef: { value: '1' },
      Line: [line()],
      DocNumber: 'WEB-1',
    });
    expect(created.body.Invoice).toMatchObject({
      DocNumber: 'WEB-1',
      TotalAmt: 120,
      Balance: 120,
      TxnTaxDetail: { TotalTax: 20 },
    });
    const clash = expectFault(
      await qbo(sandbox, token, 'POST', '/invoice', {
        CustomerRef: { value: '1' },
        Line: [line()],
        DocNumber: 'WEB-1',
      }),
      400,
      '6140',
    );
    expect(clash.Detail).toContain(
      `DocNumber=WEB-1 is assigned to TxnType=Invoice with TxnId=${created.body.Invoice.Id}`,
    );
    const allowed = await qbo(sandbox, token, 'POST', '/invoice?include=allowduplicatedocnum', {
      CustomerRef: { value: '1' },
      Line: [line()],
      DocNumber: 'WEB-1',
    });
    expect(allowed.status).toBe(200);
    const auto = await qbo(sandbox, token, 'POST', '/invoice', {
      CustomerRef: { value: '1' },
      Line: [line()],
    });
    expect(auto.body.Invoice.DocNumber).toMatch(/^INV-\d{4}$/);
  });

  it('payments reduce invoice balances; fully paid is Balance 0; deleting the payment puts it back', async () => {
    const created = await qbo(sandbox, token, 'POST', '/invoice', {
      CustomerRef: { value: '9' },
      Line: [
        {
          DetailType: 'SalesItemLineDetail',
          Amount: 50,
          SalesItemLineDetail: { ItemRef: { value: '3' }, TaxCodeRef: { value: '2' } },
        },
      ],
    });
    const invoice = created.body.Invoice;
    expect(invoice.Balance).toBe(60);
    const balanceOf = async () =>
      (await qbo(sandbox, token, 'GET', `/invoice/${invoice.Id}`)).body.Invoice.Balance;
    const customerBalance = async () =>
      (await qbo(sandbox, token, 'GET', '/customer/9')).body.Customer.Balance;
    const startBalance = await customerBalance();
    const pay = (amount: number, total = amount, customer = '9') =>
      qbo(sandbox, token, 'POST', '/payment', {
        CustomerRef: { value: customer },
        TotalAmt: total,
        Line: [{ Amount: amount, LinkedTxn: [{ TxnId: invoice.Id, TxnType: 'Invoice' }] }],
      });
    const part = await pay(20, 25);
    expect(part.body.Payment).toMatchObject({ TotalAmt: 25, UnappliedAmt: 5 });
    expect(await balanceOf()).toBe(40);
    expect(await customerBalance()).toBeCloseTo(startBalance - 20, 2);
    expect(expectFault(await pay(40.01), 400, '6000').Detail).toMatch(
      /more than its open balance \(40\.00\)/,
    );
    expect(expectFault(await pay(30, 20), 400, '6000').Detail).toMatch(/more than the payment amount/);
    expectFault(await pay(10, 10, '10'), 400, '620');
    const rest = await pay(40);
    expect(await balanceOf()).toBe(0);
    const paid = (await qbo(sandbox, token, 'GET', `/invoice/${invoice.Id}`)).body.Invoice;
    expect(paid.LinkedTxn.map((l: { TxnId: string }) => l.TxnId).sort()).toEqual(
      [part.body.Payment.Id, rest.body.Payment.Id].sort(),
    );
    // A paid invoice cannot be voided or deleted while payments are applied.
    expectFault(
      await qbo(sandbox, token, 'POST', '/invoice?operation=void', {
        Id: invoice.Id,
        SyncToken: paid.SyncToken,
      }),
      400,
      '6000',
    );
    const removed = await qbo(sandbox, token, 'POST', '/payment?operation=delete', {
      Id: rest.body.Payment.Id,
      SyncToken: rest.body.Payment.SyncToken,
    });
    expect(removed.body.Payment).toEqual({ status: 'Deleted', domain: 'QBO', Id: rest.body.Payment.Id });
    expect(await balanceOf()).toBe(40);
    expectFault(await qbo(sandbox, token, 'GET', `/payment/${rest.body.Payment.Id}`), 400, '610');
  });
});

describe('requestid', () => {
  it('the same requestid answers the first response and writes once', async () => {
    const before = await customerCount();
    const create = (name: string) =>
      qbo(sandbox, token, 'POST', '/customer?requestid=rq-0001', { DisplayName: name, GivenName: 'Once' });
    const first = await create('Once Only');
    const second = await create('Once Only');
    expect(second.body).toEqual(first.body);
    // Intuit: the same requestid gets the same answer, whatever the request carries.
    const third = await create('Someone Else');
    expect(third.body.Customer.DisplayName).toBe('Once Only');
    expect(await customerCount()).toBe(before + 1);
    expect((await create('Once Only')).body.Customer.Id).toBe(first.body.Customer.Id);
  });

  it('a requestid longer than 50 characters (36 for batch) is refused', async () => {
    const long = 'r'.repeat(51);
    const refused = await qbo(sandbox, token, 'POST', `/customer?requestid=${long}`, {
      DisplayName: 'Too Long',
    });
    expect(expectFault(refused, 400, '6000').Detail).toContain(
      'You cannot enter more than 50 characters in the request_id field',
    );
    const batch = await qbo(sandbox, token, 'POST', `/batch?requestid=${'b'.repeat(37)}`, {
      BatchItemRequest: [{ bId: '1', Query: 'select * from Customer maxresults 1' }],
    });
    expect(expectFault(batch, 400, '6000').Detail).toContain('more than 36 characters');
  });
});

describe('query language', () => {
  const ids = (answer: ApiAnswer, entity = 'Customer') =>
    (answer.body.QueryResponse[entity] ?? []).map((r: { Id: string }) => r.Id);
  const seedEmail = customerAt(
    business.customers.find((c) => customerAt(c, 'xero'))!,
    'xero',
  )!.email;

  it('filters by email (case-insensitively), Id IN, CustomerRef, dates, LIKE, with AND', async () => {
    const byEmail = await query(
      sandbox,
      token,
      `select * from Customer where PrimaryEmailAddr = '${seedEmail.toUpperCase()}'`,
    );
    expect(byEmail.body.QueryResponse).toMatchObject({ startPosition: 1, maxResults: 1 });
    expect(byEmail.body.QueryResponse.Customer[0].PrimaryEmailAddr.Address).toBe(seedEmail);
    expect(ids(await query(sandbox, token, "SELECT * FROM customer WHERE id IN ('3', '1', '2')"))).toEqual([
      '1',
      '2',
      '3',
    ]);
    const theirs = await query(
      sandbox,
      token,
      "select * from Invoice where CustomerRef = '1' AND TxnDate >= '2000-01-01'",
    );
    expect(
      theirs.body.QueryResponse.Invoice.every(
        (i: { CustomerRef: { value: string } }) => i.CustomerRef.value === '1',
      ),
    ).toBe(true);
    const like = await query(
      sandbox,
      token,
      "select * from Customer where DisplayName LIKE 'a%' maxresults 1000",
    );
    for (const c of like.body.QueryResponse.Customer)
      expect(c.DisplayName.toLowerCase().startsWith('a')).toBe(true);
    expect(
      await query(sandbox, token, "select * from Customer where PrimaryEmailAddr = 'nobody@nowhere.example'"),
    ).toMatchObject({
      status: 200,
      body: { QueryResponse: {} },
    });
  });

  it('MetaData.LastUpdatedTime > finds what changed; ORDERBY, STARTPOSITION and MAXRESULTS page', async () => {
    const mark = new Date(Date.now() - 1000).toISOString();
    await qbo(sandbox, token, 'POST', '/customer', {
      Id: '12',
      SyncToken: '0',
      sparse: true,
      Notes: 'touched',
    });
    const changed = await query(
      sandbox,
      token,
      `select * from Customer where MetaData.LastUpdatedTime > '${mark}'`,
    );
    expect(ids(changed)).toEqual(['12']);
    const page1 = await query(
      sandbox,
      token,
      'select * from Customer orderby DisplayName desc startposition 1 maxresults 5',
    );
    const page2 = await query(
      sandbox,
      token,
      'select * from Customer orderby DisplayName desc startposition 6 maxresults 5',
    );
    const names = [...page1.body.QueryResponse.Customer, ...page2.body.QueryResponse.Customer].map(
      (c: { DisplayName: string }) => c.DisplayName.toLowerCase(),
    );
    expect(names).toEqual([...names].sort().reverse());
    expect(page2.body.QueryResponse).toMatchObject({ startPosition: 6, maxResults: 5 });
    expect((await query(sandbox, token, 'select * from Customer')).body.QueryResponse.maxResults).toBe(100);
    const projected = await query(sandbox, token, "select Id, DisplayName from Customer where Id = '1'");
    expect(projected.body.QueryResponse.Customer[0]).toEqual({
      Id: '1',
      DisplayName: expect.any(String),
      domain: 'QBO',
      sparse: true,
    });
  });

  it('count(*), inactive customers left out unless Active is named, POST with the statement as body', async () => {
    const total = await customerCount();
    await qbo(sandbox, token, 'POST', '/customer', { Id: '4', SyncToken: '0', sparse: true, Active: false });
    expect(await customerCount()).toBe(total - 1);
    const all = await query(sandbox, token, 'select count(*) from Customer where Active IN (true, false)');
    expect(all.body.QueryResponse.totalCount).toBe(total);
    const posted = await qbo(sandbox, token, 'POST', '/query', 'select * from Customer where Active = false');
    expect(ids(posted)).toEqual(['4']);
  });

  it('bad statements are 400 with QBO parse (4000) and validation (4001) messages', async () => {
    const parse = expectFault(
      await query(sandbox, token, 'select * from Invoice wher TxnDate > 1'),
      400,
      '4000',
    );
    expect(parse).toMatchObject({
      Message: 'Error parsing query',
      Detail: 'QueryParserError: Encountered " <IDENTIFIER> "wher "" at line 1, column 23.',
    });
    expect(
      expectFault(
        await query(sandbox, token, "select * from Customer where Id = '1' OR Id = '2'"),
        400,
        '4000',
      ).Detail,
    ).toContain('"or"');
    expect(
      expectFault(await query(sandbox, token, "select * from Invoice where NoSuchField = '1'"), 400, '4001'),
    ).toMatchObject({
      Message: 'Invalid query',
      Detail: 'QueryValidationError: Property NoSuchField not found for Entity Invoice',
    });
    expect(
      expectFault(await query(sandbox, token, "select * from Customer where PrimaryPhone = '1'"), 400, '4001')
        .Detail,
    ).toContain('not queryable');
    expect(
      expectFault(await query(sandbox, token, "select * from Customer where Id > '3'"), 400, '4001').Detail,
    ).toContain('Operator >');
    expect(
      expectFault(await query(sandbox, token, 'select * from Customer maxresults 1001'), 400, '4001').Detail,
    ).toContain('1000');
    expectFault(await query(sandbox, token, 'select * from Vendor'), 400, '4001');
    expectFault(
      await query(sandbox, token, "select * from Customer where DisplayName = 'unterminated"),
      400,
      '4000',
    );
  });
});

describe('batch', () => {
  const item = (i: number) => ({ bId: `q${i}`, Query: `select * from Customer where Id = '${i + 1}'` });

  it('takes up to 30 items; 31 is refused as a whole', async () => {
    const thirty = await qbo(sandbox, token, 'POST', '/batch', {
      BatchItemRequest: Array.from({ length: 30 }, (_, i) => item(i)),
    });
    expect(thirty.status).toBe(200);
    expect(thirty.body.BatchItemResponse).toHaveLength(30);
    expect(thirty.body.BatchItemResponse[29]).toMatchObject({
      bId: 'q29',
      QueryResponse: { Customer: [{ Id: '30' }] },
    });
    const refused = await qbo(sandbox, token, 'POST', '/batch', {
      BatchItemRequest: Array.from({ length: 31 }, (_, i) => item(i)),
    });
    expect(expectFault(refused, 400, '2010').Detail).toContain('31 items; a batch takes at most 30');
  });

  it('items fail on their own: a missing bId, an unknown operation, a bad query', async () => {
    const answer = await qbo(sandbox, token, 'POST', '/batch', {
      BatchItemRequest: [
        { Query: 'select * from Customer' },
        { bId: 'op', operation: 'merge', Customer: { Id: '1' } },
        { bId: 'bad', Query: 'select nonsense' },
        {
          bId: 'inv',
          operation: 'create',
          Invoice: {
            CustomerRef: { value: '1' },
            Line: [
              {
                DetailType: 'SalesItemLineDetail',
                Amount: 10,
                SalesItemLineDetail: { TaxCodeRef: { value: '2' } },
              },
            ],
          },
        },
      ],
    });
    const [noId, op, bad, inv] = answer.body.BatchItemResponse;
    expect(noId).toEqual({ Fault: expect.objectContaining({ type: 'ValidationFault' }) });
    expect(op.Fault.Error[0].code).toBe('2010');
    expect(bad.Fault.Error[0].code).toBe('4000');
    expect(inv.Invoice).toMatchObject({ TotalAmt: 12, CustomerRef: { value: '1' } });
  });
});

describe('change data capture', () => {
  it('returns the records changed since a time, deletions as status Deleted; 30 days at most', async () => {
    const since = new Date(Date.now() - 1000);
    const created = await qbo(sandbox, token, 'POST', '/invoice', {
      CustomerRef: { value: '2' },
      Line: [
        {
          DetailType: 'SalesItemLineDetail',
          Amount: 10,
          SalesItemLineDetail: { TaxCodeRef: { value: '2' } },
        },
      ],
    });
    await qbo(sandbox, token, 'POST', '/customer', {
      Id: '2',
      SyncToken: '0',
      sparse: true,
      Notes: 'changed',
    });
    const removed = created.body.Invoice;
    await qbo(sandbox, token, 'POST', '/invoice?operation=delete', {
      Id: removed.Id,
      SyncToken: removed.SyncToken,
    });
    // An unencoded "+00:00" offset arrives as " 00:00"; QBO's clients send it that way.
    const offset = since.toISOString().replace(/\.\d{3}Z$/, '+00:00');
    const answer = await qbo(
      sandbox,
      token,
      'GET',
      `/cdc?entities=Customer,Invoice,Payment&changedSince=${offset}`,
    );
    expect(answer.status).toBe(200);
    const groups = answer.body.CDCResponse[0].QueryResponse as Array<Record<string, any>>;
    expect(
      groups.map((g) => Object.keys(g).find((k) => k !== 'startPosition' && k !== 'maxResults')),
    ).toEqual(['Customer', 'Invoice']);
    expect(groups[0]!.Customer.map((c: { Id: string }) => c.Id)).toEqual(['2']);
    expect(groups[1]!.Invoice).toEqual([
      { domain: 'QBO', status: 'Deleted', Id: removed.Id, MetaData: { LastUpdatedTime: expect.any(String) } },
    ]);

    const quiet = await qbo(
      sandbox,
      token,
      'GET',
      `/cdc?entities=Payment&changedSince=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`,
    );
    expect(quiet.body.CDCResponse).toEqual([{ QueryResponse: [{}] }]);
    const tooOld = new Date(Date.now() - 31 * 86_400_000).toISOString();
    const old = expectFault(
      await qbo(sandbox, token, 'GET', `/cdc?entities=Customer&changedSince=${tooOld}`),
      400,
      '500',
    );
    expect(old.Detail).toBe(
      `Operation cdc with changedSince date ${tooOld} which is older than fixed days is not supported.`,
    );
  });
});

describe('seed', () => {
  it('holds the same customers and invoices as the Xero sandbox, by email', async () => {
    const xero = await startXeroSandbox({ business });
    try {
      const grant = await fetch(`${xero.url}/connect/token`, {
        method: 'POST',
        headers: {
          Authorization: `Basic ${Buffer.from(`${xero.credentials.clientId}:${xero.credentials.clientSecret}`).toString('base64')}`,
          'Content-Type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ grant_type: 'client_credentials' }),
      });
      const xeroToken = ((await grant.json()) as { access_token: string }).access_token;
      const xeroGet = async (path: string) =>
        (await (
          await fetch(`${xero.url}/api.xro/2.0/${path}`, {
            headers: {
              Authorization: `Bearer ${xeroToken}`,
              'xero-tenant-id': xero.credentials.tenantId!,
              Accept: 'application/json',
            },
          })
        ).json()) as Record<string, any>;
      const contacts = (await xeroGet('Contacts')).Contacts as Array<{
        ContactID: string;
        Name: string;
        EmailAddress: string;
      }>;
      const xeroInvoices = ((await xeroGet('Invoices')).Invoices as Array<Record<string, any>>).filter(
        (i) => i.Status !== 'DRAFT' && i.Status !== 'DELETED',
      );

      const customers = (await query(sandbox, token, 'select * from Customer maxresults 1000')).body
        .QueryResponse.Customer as Array<Record<string, any>>;
      const invoices: Array<Record<string, any>> = [];
      for (let start = 1; ; start += 1000) {
        const page = (
          await query(sandbox, token, `select * from Invoice startposition ${start} maxresults 1000`)
        ).body.QueryResponse;
        invoices.push(...(page.Invoice ?? []));
        if ((page.Invoice ?? []).length < 1000) break;
      }
      // Same people, same (deliberately messy) emails and names.
      expect(customers.map((c) => c.PrimaryEmailAddr.Address).sort()).toEqual(
        contacts.map((c) => c.EmailAddress).sort(),
      );
      const xeroByEmail = new Map(contacts.map((c) => [c.EmailAddress, c]));
      for (const customer of customers)
        expect(customer.DisplayName).toBe(xeroByEmail.get(customer.PrimaryEmailAddr.Address)!.Name);
      // Same invoices (QBO has no drafts), same amounts and balances, same customer.
      const emailById = new Map(customers.map((c) => [c.Id, c.PrimaryEmailAddr.Address]));
      const emailByContact = new Map(contacts.map((c) => [c.ContactID, c.EmailAddress]));
      expect(invoices.map((i) => i.DocNumber).sort()).toEqual(
        xeroInvoices.map((i) => i.InvoiceNumber).sort(),
      );
      const xeroByNumber = new Map(xeroInvoices.map((i) => [i.InvoiceNumber, i]));
      for (const invoice of invoices) {
        const twin = xeroByNumber.get(invoice.DocNumber)!;
        // A voided invoice keeps its total in Xero; QBO zeroes it ("Voided").
        expect(invoice.TotalAmt).toBe(twin.Status === 'VOIDED' ? 0 : twin.Total);
        if (twin.Status === 'VOIDED') expect(invoice.PrivateNote).toBe('Voided');
        expect(invoice.Balance).toBe(twin.AmountDue);
        expect(emailById.get(invoice.CustomerRef.value)).toBe(emailByContact.get(twin.Contact.ContactID));
      }
      // The accounting side's deliberate mismatches (`*-xero` in the seed) are here too: a
      // respelt name, another phone, a differently typed email, or no record at all.
      const messy = business.customers.filter((c) => c.mess.some((m) => m.endsWith('-xero')));
      expect(messy.length).toBeGreaterThan(3);
      for (const c of messy) {
        const books = customerAt(c, 'xero');
        const here = customers.find((q) => q.PrimaryEmailAddr.Address.trim().toLowerCase() === c.email);
        if (!books) {
          expect(here).toBeUndefined();
          continue;
        }
        expect(here).toMatchObject({
          GivenName: books.firstName,
          FamilyName: books.lastName,
          PrimaryEmailAddr: { Address: books.email },
          PrimaryPhone: { FreeFormNumber: books.phone },
        });
        expect([books.firstName, books.lastName, books.email, books.phone]).not.toEqual([
          c.firstName,
          c.lastName,
          c.email,
          c.phone,
        ]);
      }
    } finally {
      await xero.close();
    }
  });
});
