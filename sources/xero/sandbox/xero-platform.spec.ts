/**
 * Identity, limits, webhooks and faults: the token endpoint (rotation with a grace period,
 * authorization codes, client credentials), /connections, 401/403 envelopes, rate limits,
 * intent-to-receive and signed deliveries, and injected faults seen through xero-node.
 */
import { createRequire } from 'node:module';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AxiosStatic } from 'axios';
import { customerAt, generateBusiness } from '../../../src/sandbox/seed/business.ts';
import type { VendorSandbox } from '../../../src/sandbox/types.ts';
import { startXeroSandbox } from './server.ts';
import {
  accessToken,
  admin,
  FIXED_NOW,
  sdkClient,
  sdkFailure,
  startReceiver,
  tokenRequest,
} from './testing.ts';

const business = generateBusiness({ now: FIXED_NOW });
const knownContactId = business.customers.find((c) => customerAt(c, 'xero'))!.ids.xeroContactId;
let sandbox: VendorSandbox;
let tenant: string;
let webhookKey: string;

beforeAll(async () => {
  sandbox = await startXeroSandbox({ business, webhooks: { retryBaseMs: 20, retryMaxMs: 200 } });
  tenant = sandbox.credentials.tenantId!;
  webhookKey = sandbox.credentials.webhookKey!;
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(async () => {
  await admin(sandbox, 'POST', '/__sandbox/reset');
  await admin(sandbox, 'DELETE', '/__sandbox/webhooks/subscription');
  await admin(sandbox, 'POST', '/__sandbox/webhooks/settings', { outOfOrder: false, duplicate: 0 });
});

describe('identity', () => {
  it('refresh rotates the refresh token; the old one works during the grace period and fails after it', async () => {
    const first = await tokenRequest(sandbox, {
      grant_type: 'refresh_token',
      refresh_token: sandbox.credentials.refreshToken!,
    });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ expires_in: 1800, token_type: 'Bearer' });
    expect(String(first.body.access_token).split('.')).toHaveLength(3);
    const rotated = first.body.refresh_token as string;
    expect(rotated).not.toBe(sandbox.credentials.refreshToken);

    const second = await tokenRequest(sandbox, { grant_type: 'refresh_token', refresh_token: rotated });
    expect(second.status).toBe(200);
    const newest = second.body.refresh_token as string;

    await admin(sandbox, 'POST', '/__sandbox/clock', { advanceSeconds: 20 * 60 });
    expect(
      (await tokenRequest(sandbox, { grant_type: 'refresh_token', refresh_token: rotated })).status,
    ).toBe(200);
    await admin(sandbox, 'POST', '/__sandbox/clock', { advanceSeconds: 11 * 60 });
    const late = await tokenRequest(sandbox, { grant_type: 'refresh_token', refresh_token: rotated });
    expect(late).toEqual({ status: 400, body: { error: 'invalid_grant' } });
    expect((await tokenRequest(sandbox, { grant_type: 'refresh_token', refresh_token: newest })).status).toBe(
      200,
    );
  });

  it('wrong client credentials are invalid_client (401); unknown grants and codes are 400', async () => {
    const wrong = await tokenRequest(sandbox, { grant_type: 'client_credentials' }, { secret: 'nope' });
    expect(wrong).toEqual({ status: 401, body: { error: 'invalid_client' } });
    expect((await tokenRequest(sandbox, { grant_type: 'password' })).body).toEqual({
      error: 'unsupported_grant_type',
    });
    expect((await tokenRequest(sandbox, { grant_type: 'authorization_code', code: 'made-up' })).body).toEqual(
      { error: 'invalid_grant' },
    );
  });

  it('authorization_code: a code minted by the admin consent step is exchanged once', async () => {
    const { body } = await admin(sandbox, 'POST', '/__sandbox/authorize', {
      scopes: ['openid', 'offline_access', 'accounting.contacts'],
    });
    const exchange = await tokenRequest(sandbox, {
      grant_type: 'authorization_code',
      code: body.code as string,
      redirect_uri: 'http://localhost/cb',
    });
    expect(exchange.status).toBe(200);
    expect(exchange.body.scope).toBe('openid offline_access accounting.contacts');
    expect(exchange.body.id_token).toBeDefined();
    expect(exchange.body.refresh_token).toBeDefined();
    expect(
      (await tokenRequest(sandbox, { grant_type: 'authorization_code', code: body.code as string })).status,
    ).toBe(400);

    // That token may read contacts but not invoices.
    const xero = sdkClient(sandbox, exchange.body.access_token as string);
    expect(
      (await xero.accountingApi.getContacts(tenant, undefined, undefined, undefined, undefined, 1)).body
        .contacts?.length,
    ).toBe(100);
    const denied = await sdkFailure(xero.accountingApi.getInvoices(tenant));
    expect(denied.statusCode).toBe(401);
    expect(denied.body).toMatchObject({ Title: 'Unauthorized', Detail: 'AuthorizationUnsuccessful' });
  });

  it('an expired access token is 401 TokenExpired; a bogus one AuthenticationUnsuccessful; a wrong tenant 403', async () => {
    const xero = sdkClient(sandbox, await accessToken(sandbox));
    expect(
      (await xero.accountingApi.getContacts(tenant, undefined, undefined, undefined, undefined, 1)).response
        .status,
    ).toBe(200);
    await admin(sandbox, 'POST', '/__sandbox/clock', { advanceSeconds: 1801 });
    const expired = await sdkFailure(xero.accountingApi.getContacts(tenant));
    expect(expired.statusCode).toBe(401);
    expect(expired.body).toMatchObject({ Type: null, Title: 'Unauthorized', Status: 401, Extensions: {} });
    expect((expired.body as { Detail: string }).Detail).toMatch(
      /^TokenExpired: token expired at \d{2}\/\d{2}\/\d{4} \d{2}:\d{2}:\d{2}$/,
    );

    const bogus = await sdkFailure(sdkClient(sandbox, 'not-a-token').accountingApi.getContacts(tenant));
    expect(bogus.statusCode).toBe(401);
    expect(bogus.body).toMatchObject({ Detail: 'AuthenticationUnsuccessful' });

    const fresh = sdkClient(sandbox, await accessToken(sandbox));
    const forbidden = await sdkFailure(
      fresh.accountingApi.getContacts('11111111-2222-4333-8444-555555555555'),
    );
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.body).toMatchObject({
      Title: 'Forbidden',
      Status: 403,
      Detail: 'AuthenticationUnsuccessful',
    });
  });

  it("the SDK's own refresh and connections calls work once pointed at the sandbox", async () => {
    // xero-node hard-codes identity.xero.com and api.xero.com here; rewrite those hosts on its axios instance.
    const axios = createRequire(import.meta.url)('axios') as AxiosStatic;
    const interceptor = axios.interceptors.request.use((config) => {
      config.url = config.url?.replace(/^https:\/\/(identity|api)\.xero\.com/, sandbox.url);
      return config;
    });
    try {
      const xero = sdkClient(sandbox, 'unused');
      const { clientId, clientSecret } = sandbox.credentials;
      const { body } = await admin(sandbox, 'POST', '/__sandbox/authorize', {});
      const first = await tokenRequest(sandbox, {
        grant_type: 'authorization_code',
        code: body.code as string,
      });
      const tokenSet = await xero.refreshWithRefreshToken(clientId, clientSecret, first.body.refresh_token);
      expect(tokenSet.access_token).toBeDefined();
      expect(tokenSet.refresh_token).not.toBe(first.body.refresh_token);
      const tenants = await xero.updateTenants(false);
      expect(tenants).toEqual([
        expect.objectContaining({ tenantId: tenant, tenantType: 'ORGANISATION', tenantName: business.name }),
      ]);
      expect(xero.tenants[0].id).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      axios.interceptors.request.eject(interceptor);
    }
  });

  it('GET /connections lists the organisation', async () => {
    const res = await fetch(`${sandbox.url}/connections`, {
      headers: { Authorization: `Bearer ${await accessToken(sandbox)}` },
    });
    expect(res.status).toBe(200);
    const list = (await res.json()) as Array<Record<string, string>>;
    expect(list).toHaveLength(1);
    expect(Object.keys(list[0]!).sort()).toEqual(
      [
        'authEventId',
        'createdDateUtc',
        'id',
        'tenantId',
        'tenantName',
        'tenantType',
        'updatedDateUtc',
      ].sort(),
    );
    expect((await fetch(`${sandbox.url}/connections`)).status).toBe(401);
  });
});

describe('rate limits', () => {
  it('the 61st call in a minute is a 429 with Retry-After and X-Rate-Limit-Problem: minute', async () => {
    const xero = sdkClient(sandbox, await accessToken(sandbox));
    const id = knownContactId;
    let last;
    for (let i = 0; i < 60; i++)
      last = await xero.accountingApi.getContacts(tenant, undefined, undefined, undefined, [id]);
    expect(last!.response.headers['x-minlimit-remaining']).toBe('0');
    expect(last!.response.headers['x-daylimit-remaining']).toBe('4940');
    const limited = await sdkFailure(
      xero.accountingApi.getContacts(tenant, undefined, undefined, undefined, [id]),
    );
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['x-rate-limit-problem']).toBe('minute');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    await admin(sandbox, 'POST', '/__sandbox/clock', { advanceSeconds: 61 });
    const token = await accessToken(sandbox);
    expect(
      (
        await sdkClient(sandbox, token).accountingApi.getContacts(tenant, undefined, undefined, undefined, [
          id,
        ])
      ).response.status,
    ).toBe(200);
  });

  it('a sixth concurrent call is a 429 with X-Rate-Limit-Problem: concurrent', async () => {
    const xero = sdkClient(sandbox, await accessToken(sandbox));
    await admin(sandbox, 'POST', '/__sandbox/faults', {
      latencyMs: 300,
      times: 6,
      operations: ['contacts.get'],
    });
    const id = knownContactId;
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, () => xero.accountingApi.getContact(tenant, id)),
    );
    const rejected = results.filter((r) => r.status === 'rejected');
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    expect(rejected).toHaveLength(1);
    const failure = JSON.parse((rejected[0] as PromiseRejectedResult).reason as string).response;
    expect(failure.statusCode).toBe(429);
    expect(failure.headers['x-rate-limit-problem']).toBe('concurrent');
  });
});

describe('webhooks', () => {
  it('intent-to-receive succeeds against a verifying endpoint and fails against one that always says 200', async () => {
    const good = await startReceiver(webhookKey, 'correct');
    const lax = await startReceiver(webhookKey, 'always200');
    try {
      const ok = await admin(sandbox, 'POST', '/__sandbox/webhooks/subscribe', { url: good.url });
      expect(ok.status).toBe(200);
      expect(ok.body.status).toBe('OK');
      expect(good.deliveries.map((d) => d.valid)).toEqual([true, false]);
      expect(good.deliveries[0]!.json).toMatchObject({
        events: [],
        firstEventSequence: 0,
        lastEventSequence: 0,
      });

      const failed = await admin(sandbox, 'POST', '/__sandbox/webhooks/subscribe', { url: lax.url });
      expect(failed.status).toBe(400);
      expect(failed.body).toMatchObject({ status: 'FAILED', step: 'incorrectly-signed' });
    } finally {
      await good.close();
      await lax.close();
    }
  });

  it('paying an invoice in the Xero app delivers a signed INVOICE UPDATE event', async () => {
    const receiver = await startReceiver(webhookKey, 'correct');
    try {
      await admin(sandbox, 'POST', '/__sandbox/webhooks/subscribe', { url: receiver.url });
      const invoice = business.invoices.find((i) => i.status === 'AUTHORISED' && i.payments.length === 0)!;
      const paid = await admin(sandbox, 'POST', '/__sandbox/actions/pay-invoice', {
        invoiceId: invoice.ids.xeroInvoiceId,
      });
      expect(paid.status).toBe(200);
      expect((paid.body.invoice as { Status: string }).Status).toBe('PAID');
      await sandbox.webhooks.idle();
      const [delivery] = receiver.events();
      expect(delivery?.valid).toBe(true);
      expect(delivery!.headers['x-xero-signature']).toMatch(/^[A-Za-z0-9+/]+=*$/);
      const event = delivery!.json.events[0]!;
      expect(event).toMatchObject({
        resourceId: invoice.ids.xeroInvoiceId,
        eventCategory: 'INVOICE',
        eventType: 'UPDATE',
        tenantId: tenant,
        tenantType: 'ORGANISATION',
        resourceUrl: `${sandbox.url}/api.xro/2.0/Invoices/${invoice.ids.xeroInvoiceId}`,
      });
      expect(event.eventDateUtc).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}$/);
      expect(delivery!.json.entropy).toMatch(/^[A-Z]{20}$/);
      expect(delivery!.json.firstEventSequence).toBe(delivery!.json.lastEventSequence);

      // The resource URL can be followed with the SDK's credentials.
      const xero = sdkClient(sandbox, await accessToken(sandbox));
      expect(
        String((await xero.accountingApi.getInvoice(tenant, event.resourceId!)).body.invoices![0]!.status),
      ).toBe('PAID');
    } finally {
      await receiver.close();
    }
  });

  it('changes through the API and edit-contact also emit CONTACT events', async () => {
    const receiver = await startReceiver(webhookKey, 'correct');
    try {
      await admin(sandbox, 'POST', '/__sandbox/webhooks/subscribe', { url: receiver.url });
      const xero = sdkClient(sandbox, await accessToken(sandbox));
      const created = await xero.accountingApi.createContacts(tenant, {
        contacts: [{ name: 'Webhook Person' }, { name: 'Another Person' }],
      });
      const edited = await admin(sandbox, 'POST', '/__sandbox/actions/edit-contact', {
        contactId: knownContactId,
        email: 'changed@example.com',
      });
      expect(edited.status).toBe(200);
      await sandbox.webhooks.idle();
      const [batch, edit] = receiver.events();
      expect(batch!.json.events.map((e) => [e.eventType, e.eventCategory, e.resourceId])).toEqual(
        created.body.contacts!.map((c) => ['CREATE', 'CONTACT', c.contactID]),
      );
      expect(batch!.json).toMatchObject({ firstEventSequence: 1, lastEventSequence: 2 });
      expect(edit!.json.events[0]).toMatchObject({ eventType: 'UPDATE', resourceId: knownContactId });
      expect(edit!.json.firstEventSequence).toBeGreaterThan(2);
      expect(receiver.events().every((d) => d.valid)).toBe(true);
    } finally {
      await receiver.close();
    }
  });

  it('retries a delivery the endpoint answered with 500, byte for byte', async () => {
    const receiver = await startReceiver(webhookKey, 'correct', 1);
    try {
      await admin(sandbox, 'POST', '/__sandbox/webhooks/subscribe', { url: receiver.url });
      const invoice = business.invoices.find((i) => i.status === 'AUTHORISED' && i.payments.length === 0)!;
      await admin(sandbox, 'POST', '/__sandbox/actions/pay-invoice', {
        invoiceId: invoice.ids.xeroInvoiceId,
        amount: 1,
      });
      await sandbox.webhooks.idle();
      const attempts = receiver.events();
      expect(attempts).toHaveLength(2);
      expect(attempts[1]!.raw.equals(attempts[0]!.raw)).toBe(true);
      expect(attempts[1]!.headers['x-xero-signature']).toBe(attempts[0]!.headers['x-xero-signature']);
      const log = (await admin(sandbox, 'GET', '/__sandbox/webhooks')).body.deliveries as Array<{
        attempts: number;
        state: string;
        lastStatus: number;
      }>;
      expect(log.at(-1)).toMatchObject({ attempts: 2, state: 'delivered', lastStatus: 200 });
    } finally {
      await receiver.close();
    }
  });

  it('out-of-order mode releases deliveries newest first; sequence numbers let the receiver reorder', async () => {
    const receiver = await startReceiver(webhookKey, 'correct');
    try {
      await admin(sandbox, 'POST', '/__sandbox/webhooks/subscribe', { url: receiver.url });
      await admin(sandbox, 'POST', '/__sandbox/webhooks/settings', { outOfOrder: true });
      for (const c of business.customers.filter((c) => customerAt(c, 'xero')).slice(0, 3))
        await admin(sandbox, 'POST', '/__sandbox/actions/edit-contact', {
          contactId: c.ids.xeroContactId,
          phone: '+44 7000 000000',
        });
      expect(receiver.events()).toHaveLength(0);
      await admin(sandbox, 'POST', '/__sandbox/webhooks/flush');
      await sandbox.webhooks.idle();
      const sequences = receiver.events().map((d) => d.json.firstEventSequence);
      expect(sequences).toHaveLength(3);
      expect(sequences).toEqual([...sequences].sort((a, b) => b - a));
    } finally {
      await receiver.close();
    }
  });
});

describe('faults seen through the SDK', () => {
  let xero: ReturnType<typeof sdkClient>;
  beforeEach(async () => {
    xero = sdkClient(sandbox, await accessToken(sandbox));
  });
  const id = () => knownContactId;

  it('503', async () => {
    await admin(sandbox, 'POST', '/__sandbox/faults', { status: 503, times: 1 });
    const failure = await sdkFailure(xero.accountingApi.getContact(tenant, id()));
    expect(failure.statusCode).toBe(503);
    expect(failure.body).toMatchObject({ Status: 503, Title: 'Service Unavailable' });
    expect((await xero.accountingApi.getContact(tenant, id())).response.status).toBe(200);
  });

  it('429 with Retry-After 7', async () => {
    await admin(sandbox, 'POST', '/__sandbox/faults', { status: 429, retryAfterSeconds: 7, times: 1 });
    const failure = await sdkFailure(xero.accountingApi.getContact(tenant, id()));
    expect(failure.statusCode).toBe(429);
    expect(failure.headers['retry-after']).toBe('7');
  });

  it('latency', async () => {
    await admin(sandbox, 'POST', '/__sandbox/faults', { latencyMs: 300, times: 1 });
    const started = performance.now();
    await xero.accountingApi.getContact(tenant, id());
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('dropped connection', async () => {
    await admin(sandbox, 'POST', '/__sandbox/faults', { drop: true, times: 1 });
    const failure = await sdkFailure(xero.accountingApi.getContact(tenant, id()));
    expect(failure.statusCode).toBe(0);
    expect(String(failure.body)).toMatch(/socket hang up|ECONNRESET/);
  });
});
