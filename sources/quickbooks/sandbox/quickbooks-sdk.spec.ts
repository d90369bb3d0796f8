/**
 * Intuit's `intuit-oauth` (OAuthClient) and the `node-quickbooks` client against the sandbox,
 * each with only its endpoints changed: the consent redirect, the code exchange, rotating
 * refreshes and revocation through intuit-oauth; reads, queries, writes, payments, batch and CDC
 * through node-quickbooks. What the SDKs parse is the wire format, so these prove it.
 */
import OAuthClient from 'intuit-oauth';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { customerAt, generateBusiness } from '../../../src/sandbox/seed/business.ts';
import type { VendorSandbox } from '../../../src/sandbox/types.ts';
import { startQuickbooksSandbox } from './server.ts';
import {
  admin,
  connect,
  FIXED_NOW,
  nodeQuickbooks,
  pointNodeQuickbooksAt,
  sdk,
  sdkFailure,
} from './testing.ts';

const business = generateBusiness({ now: FIXED_NOW });
const booksCustomers = business.customers.filter((c) => customerAt(c, 'xero'));
let sandbox: VendorSandbox;

beforeAll(async () => {
  sandbox = await startQuickbooksSandbox({ business });
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(async () => {
  await admin(sandbox, 'POST', '/__sandbox/reset');
});

describe('intuit-oauth (OAuthClient), with only its endpoints changed', () => {
  // OAuthClient keeps its endpoints in class statics; setAuthorizeURLs (its documented way to use
  // other endpoints) overwrites the authorize, token, revoke and userinfo ones. Put them back after.
  const saved = {
    authorizeEndpoint: OAuthClient.authorizeEndpoint,
    tokenEndpoint: OAuthClient.tokenEndpoint,
    revokeEndpoint: OAuthClient.revokeEndpoint,
    userinfo_endpoint_sandbox: OAuthClient.userinfo_endpoint_sandbox,
  };
  afterAll(() => {
    Object.assign(OAuthClient, saved);
  });

  const client = (extra: { includeRefreshTokenHardExpiresIn?: boolean } = {}) => {
    const oauth = new OAuthClient({
      clientId: sandbox.credentials.clientId!,
      clientSecret: sandbox.credentials.clientSecret!,
      environment: 'sandbox',
      redirectUri: 'http://localhost:5000/callback',
      ...extra,
    });
    oauth.setAuthorizeURLs({
      authorizeEndpoint: `${sandbox.url}/connect/oauth2`,
      tokenEndpoint: `${sandbox.url}/oauth2/v1/tokens/bearer`,
      revokeEndpoint: `${sandbox.url}/v2/oauth2/tokens/revoke`,
      userInfoEndpoint: `${sandbox.url}/v1/openid_connect/userinfo`,
    });
    return oauth;
  };

  /** The user's side: open the authorize URI, press Allow, and come back with the redirect. */
  async function consent(authorizeUri: string): Promise<string> {
    const page = await fetch(authorizeUri);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Allow');
    const form = new URLSearchParams();
    for (const [, name, value] of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g))
      form.set(
        name!,
        value!
          .replace(/&amp;/g, '&')
          .replace(/&quot;/g, '"')
          .replace(/&#39;/g, "'"),
      );
    form.set('decision', 'allow');
    const answer = await fetch(`${sandbox.url}/connect/oauth2`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form,
      redirect: 'manual',
    });
    expect(answer.status).toBe(302);
    return answer.headers.get('location')!;
  }

  it('runs the consent redirect and the code exchange, and learns the realmId', async () => {
    const oauth = client();
    const uri = oauth.authorizeUri({
      scope: [OAuthClient.scopes.Accounting, OAuthClient.scopes.OpenId, OAuthClient.scopes.Email],
      state: 's-42',
    });
    expect(uri.startsWith(`${sandbox.url}/connect/oauth2?`)).toBe(true);
    const callback = await consent(uri);
    const url = new URL(callback);
    expect(`${url.origin}${url.pathname}`).toBe('http://localhost:5000/callback');
    expect(url.searchParams.get('state')).toBe('s-42');
    expect(url.searchParams.get('realmId')).toBe(sandbox.credentials.realmId);

    const response = await oauth.createToken(callback);
    const token = oauth.getToken();
    expect(token.realmId).toBe(sandbox.credentials.realmId);
    expect(response.getJson()).toMatchObject({
      token_type: 'bearer',
      expires_in: 3600,
      x_refresh_token_expires_in: 8_726_400,
    });
    expect(token.refresh_token).toMatch(/^AB11\d{10}[A-Za-z0-9]{36}$/);
    expect(token.id_token.split('.')).toHaveLength(3);
    expect(oauth.isAccessTokenValid()).toBe(true);

    // intuit-oauth's own API call helper, with the sandbox's URL: the token works for this company.
    const read = await oauth.makeApiCall({
      url: `${sandbox.url}/v3/company/${token.realmId}/companyinfo/${token.realmId}?minorversion=75`,
    });
    expect(read.json.CompanyInfo).toMatchObject({ CompanyName: business.name, Country: 'GB' });
    const me = await oauth.getUserInfo();
    expect(me.getJson()).toMatchObject({ email: 'owner@harbourlane.example', emailVerified: true });
  });

  it('refresh rotates the refresh token, and the replaced one is refused at once', async () => {
    const oauth = client({ includeRefreshTokenHardExpiresIn: true });
    await oauth.createToken(
      await consent(oauth.authorizeUri({ scope: [OAuthClient.scopes.Accounting], state: 'x' })),
    );
    const first = oauth.getToken().refresh_token;
    await oauth.refresh();
    // getToken() is the client's live Token; its own getToken() is a copy.
    const second = oauth.getToken().getToken();
    expect(second.refresh_token).not.toBe(first);
    expect(second.expires_in).toBe(3600);
    expect(second.x_refresh_token_hard_expires_in).toBeGreaterThan(4 * 365 * 86_400);

    const stale = await oauth.refreshUsingToken(first).catch((e: { error?: string }) => e);
    expect(stale).toMatchObject({ error: 'invalid_grant' });
    await oauth.refreshUsingToken(second.refresh_token!);
    expect(oauth.getToken().refresh_token).not.toBe(second.refresh_token);
  });

  it('revoke ends the grant: its tokens no longer call the API nor refresh', async () => {
    const oauth = client();
    await oauth.createToken(
      await consent(oauth.authorizeUri({ scope: [OAuthClient.scopes.Accounting], state: 'y' })),
    );
    const { access_token, refresh_token, realmId } = oauth.getToken();
    await oauth.revoke({ refresh_token });
    const denied = await fetch(`${sandbox.url}/v3/company/${realmId}/customer/1`, {
      headers: { Authorization: `Bearer ${access_token}`, Accept: 'application/json' },
    });
    expect(denied.status).toBe(401);
    const refused = await oauth.refreshUsingToken(refresh_token).catch((e: { error?: string }) => e);
    expect(refused).toMatchObject({ error: 'invalid_grant' });
  });
});

describe('node-quickbooks, with only its endpoint constants changed', () => {
  let restore: () => void;
  let qbo: ReturnType<typeof nodeQuickbooks>;
  beforeAll(() => {
    // node-quickbooks has sandbox/production endpoint constants on the class:
    // QuickBooks.V3_ENDPOINT_BASE_URL (API), QuickBooks.TOKEN_URL, QuickBooks.REVOKE_URL.
    restore = pointNodeQuickbooksAt(sandbox);
  });
  afterAll(() => restore());
  beforeEach(async () => {
    const tokens = await connect(sandbox);
    qbo = nodeQuickbooks(sandbox, tokens.access_token, tokens.refresh_token);
  });

  const emailOf = (i: number) => customerAt(booksCustomers[i]!, 'xero')!.email;

  it('getCustomer and getInvoice read the seed in QBO shapes', async () => {
    const customer = await sdk((cb) => qbo.getCustomer('1', cb));
    const seed = customerAt(booksCustomers[0]!, 'xero')!;
    expect(customer).toMatchObject({
      Id: '1',
      SyncToken: '0',
      GivenName: seed.firstName,
      FamilyName: seed.lastName,
      PrimaryEmailAddr: { Address: seed.email },
      PrimaryPhone: { FreeFormNumber: seed.phone },
      CurrencyRef: { value: 'GBP' },
      Active: true,
    });
    expect(customer.MetaData.CreateTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/);

    const invoice = await sdk((cb) => qbo.getInvoice('1', cb));
    expect(invoice).toMatchObject({
      Id: '1',
      DocNumber: 'INV-0001',
      CustomerRef: { value: expect.any(String) },
    });
    expect(invoice.TxnDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const sales = invoice.Line.filter((l: { DetailType: string }) => l.DetailType === 'SalesItemLineDetail');
    expect(sales[0].SalesItemLineDetail).toMatchObject({
      Qty: expect.any(Number),
      TaxCodeRef: { value: '2' },
    });
    const net = sales.reduce((s: number, l: { Amount: number }) => s + l.Amount, 0);
    expect(invoice.TotalAmt).toBeCloseTo(net + invoice.TxnTaxDetail.TotalTax, 2);

    const missing = await sdkFailure(sdk((cb) => qbo.getCustomer('99999', cb)));
    expect(missing.status).toBe(400);
    expect(missing.body.Fault).toMatchObject({
      type: 'ValidationFault',
      Error: [{ code: '610', Message: 'Object Not Found' }],
    });
  });

  it('finds customers by email and invoices by customer, counts, and pages with fetchAll', async () => {
    const email = emailOf(4);
    const found = await sdk((cb) => qbo.findCustomers({ PrimaryEmailAddr: email }, cb));
    expect(
      found.QueryResponse.Customer.map(
        (c: { PrimaryEmailAddr: { Address: string } }) => c.PrimaryEmailAddr.Address,
      ),
    ).toEqual([email]);
    const customerId = found.QueryResponse.Customer[0].Id as string;

    const invoices = await sdk((cb) =>
      qbo.findInvoices(
        [
          { field: 'CustomerRef', value: customerId },
          { field: 'desc', value: 'TxnDate' },
          { field: 'limit', value: 50 },
        ],
        cb,
      ),
    );
    const list = invoices.QueryResponse.Invoice ?? [];
    for (const invoice of list) expect(invoice.CustomerRef.value).toBe(customerId);
    const dates = list.map((i: { TxnDate: string }) => i.TxnDate);
    expect(dates).toEqual([...dates].sort().reverse());

    const count = await sdk((cb) => qbo.findCustomers({ count: true }, cb));
    expect(count.QueryResponse.totalCount).toBe(booksCustomers.length);
    const all = await sdk((cb) => qbo.findCustomers({ fetchAll: true, limit: 100 }, cb));
    expect(all.QueryResponse.Customer).toHaveLength(booksCustomers.length);
  });

  it('createCustomer with a requestId is idempotent; a duplicate DisplayName is Fault 6240', async () => {
    const input = () => ({
      DisplayName: 'Ada Lovelace',
      GivenName: 'Ada',
      FamilyName: 'Lovelace',
      PrimaryEmailAddr: { Address: 'ada@example.com' },
      requestId: 'create-ada-1', // node-quickbooks sends this as ?requestid=
    });
    const created = await sdk((cb) => qbo.createCustomer(input(), cb));
    expect(created).toMatchObject({ DisplayName: 'Ada Lovelace', SyncToken: '0', Active: true });
    const again = await sdk((cb) => qbo.createCustomer(input(), cb));
    expect(again.Id).toBe(created.Id);

    const clash = await sdkFailure(sdk((cb) => qbo.createCustomer({ DisplayName: 'ada lovelace' }, cb)));
    expect(clash.status).toBe(400);
    expect(clash.body.Fault.Error[0]).toMatchObject({ code: '6240', Message: 'Duplicate Name Exists Error' });
  });

  it('updateCustomer is a sparse update that bumps SyncToken; a stale SyncToken is 5010', async () => {
    const before = await sdk((cb) => qbo.getCustomer('2', cb));
    const updated = await sdk((cb) =>
      qbo.updateCustomer(
        { Id: '2', SyncToken: before.SyncToken, PrimaryPhone: { FreeFormNumber: '+44 7000 000001' } },
        cb,
      ),
    );
    expect(updated).toMatchObject({
      SyncToken: '1',
      PrimaryPhone: { FreeFormNumber: '+44 7000 000001' },
      DisplayName: before.DisplayName,
    });
    const stale = await sdkFailure(
      sdk((cb) => qbo.updateCustomer({ Id: '2', SyncToken: before.SyncToken, Notes: 'too late' }, cb)),
    );
    expect(stale.status).toBe(400);
    expect(stale.body.Fault.Error[0]).toMatchObject({ code: '5010', Message: 'Stale Object Error' });
  });

  it('createPayment linked to an invoice takes its Balance to 0', async () => {
    const open = await sdk((cb) =>
      qbo.findInvoices(
        [
          { field: 'Balance', value: '0', operator: '>' },
          { field: 'limit', value: 1 },
        ],
        cb,
      ),
    );
    const invoice = open.QueryResponse.Invoice[0];
    const payment = await sdk((cb) =>
      qbo.createPayment(
        {
          CustomerRef: { value: invoice.CustomerRef.value },
          TotalAmt: invoice.Balance,
          Line: [{ Amount: invoice.Balance, LinkedTxn: [{ TxnId: invoice.Id, TxnType: 'Invoice' }] }],
        },
        cb,
      ),
    );
    expect(payment).toMatchObject({
      TotalAmt: invoice.Balance,
      UnappliedAmt: 0,
      CustomerRef: { value: invoice.CustomerRef.value },
    });
    const paid = await sdk((cb) => qbo.getInvoice(invoice.Id, cb));
    expect(paid.Balance).toBe(0);
    expect(paid.LinkedTxn).toContainEqual({ TxnId: payment.Id, TxnType: 'Payment' });
    expect(Number(paid.SyncToken)).toBe(Number(invoice.SyncToken) + 1);
  });

  it('batch runs creates, queries, updates and deletes item by item, with per-item Faults', async () => {
    const customer = await sdk((cb) => qbo.getCustomer('3', cb));
    const result = await sdk((cb) =>
      qbo.batch(
        [
          { bId: 'c1', operation: 'create', Customer: { DisplayName: 'Batch Person', GivenName: 'Batch' } },
          { bId: 'q1', operation: 'query', Query: `select * from Customer where Id = '3'` },
          { bId: 'u1', operation: 'update', Customer: { Id: '3', SyncToken: '7', sparse: true, Notes: 'x' } },
          {
            bId: 'u2',
            operation: 'update',
            Customer: { Id: '3', SyncToken: customer.SyncToken, sparse: true, Notes: 'ok' },
          },
          { bId: 'd1', operation: 'delete', Customer: { Id: '3', SyncToken: '1' } },
        ],
        cb,
      ),
    );
    const byId = Object.fromEntries(result.BatchItemResponse.map((r: { bId: string }) => [r.bId, r]));
    expect(byId.c1.Customer).toMatchObject({ DisplayName: 'Batch Person' });
    expect(byId.q1.QueryResponse.Customer[0].Id).toBe('3');
    expect(byId.u1.Fault.Error[0].code).toBe('5010');
    expect(byId.u2.Customer).toMatchObject({ Notes: 'ok', SyncToken: '1' });
    expect(byId.d1.Fault.Error[0]).toMatchObject({
      code: '500',
      Detail: 'Operation Delete is not supported.',
    });
  });

  it('changeDataCapture returns what changed since a time, including deletions', async () => {
    const since = new Date(Date.now() - 1000);
    const raised = await admin(sandbox, 'POST', '/__sandbox/actions/raise-invoice', { customerId: '5' });
    const id = raised.body.invoice.Id as string;
    const full = await sdk((cb) => qbo.getInvoice(id, cb));
    await sdk((cb) => qbo.deleteInvoice({ Id: id, SyncToken: full.SyncToken }, cb));
    await sdk((cb) => qbo.updateCustomer({ Id: '5', SyncToken: '0', Notes: 'cdc' }, cb));
    const changes = await sdk((cb) => qbo.changeDataCapture(['Customer', 'Invoice'], since, cb));
    const groups = changes.CDCResponse[0].QueryResponse;
    const customers = groups.find((g: Record<string, unknown>) => g.Customer).Customer;
    expect(customers.map((c: { Id: string }) => c.Id)).toEqual(['5']);
    const invoices = groups.find((g: Record<string, unknown>) => g.Invoice).Invoice;
    expect(invoices).toContainEqual(expect.objectContaining({ Id: id, status: 'Deleted', domain: 'QBO' }));
  });

  it('voidInvoice zeroes the invoice', async () => {
    const raised = await admin(sandbox, 'POST', '/__sandbox/actions/raise-invoice', {
      customerId: '6',
      quantity: 2,
    });
    const invoice = raised.body.invoice;
    // node-quickbooks hands void (and delete) answers over whole: {"Invoice": {...}, "time": ...}.
    const voided = await sdk((cb) => qbo.voidInvoice({ Id: invoice.Id, SyncToken: invoice.SyncToken }, cb));
    expect(voided.Invoice).toMatchObject({ Id: invoice.Id, TotalAmt: 0, Balance: 0, PrivateNote: 'Voided' });
    expect(voided.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}$/);
  });

  it('refreshAccessToken posts to TOKEN_URL and takes the rotated refresh token', async () => {
    const before = qbo.refreshToken;
    const answer = await sdk((cb) => qbo.refreshAccessToken(cb));
    expect(answer).toMatchObject({ token_type: 'bearer', expires_in: 3600 });
    expect(qbo.refreshToken).toBe(answer.refresh_token);
    expect(qbo.refreshToken).not.toBe(before);
    expect((await sdk((cb) => qbo.getCustomer('1', cb))).Id).toBe('1');
    await sdk((cb) => qbo.revokeAccess(true, cb));
    expect(qbo.token).toBeNull();
  });
});
