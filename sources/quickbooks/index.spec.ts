import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectContext, SandboxEndpoint } from '../../src/domain/source-module.ts';
import type { VendorLimits } from '../../src/upstream/policy.ts';
import type { RefreshTokenStore } from '../../src/upstream/oauth.ts';
import { generateBusiness } from '../../src/sandbox/seed/business.ts';
import type { VendorSandbox } from '../../src/sandbox/types.ts';
import { failure } from '../../test/support/failure.ts';
import { FIXED_NOW, tokenRequest } from './sandbox/testing.ts';
import { quickbooks, type QuickbooksSettings } from './index.ts';
import { QUICKBOOKS_LIMITS } from './limits.ts';

const GOOD_ENV = {
  QUICKBOOKS_CLIENT_ID: 'ABclient',
  QUICKBOOKS_CLIENT_SECRET: 'secret',
  QUICKBOOKS_REFRESH_TOKEN: 'AB11refresh',
  QUICKBOOKS_REALM_ID: '9341453172471531',
};

describe('settings', () => {
  it('reads the environment, with Intuit’s endpoints as defaults', () => {
    expect(quickbooks.settings.fromEnv(GOOD_ENV)).toEqual({
      settings: {
        baseUrl: 'https://quickbooks.api.intuit.com',
        tokenUrl: 'https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer',
        authorizeUrl: 'https://appcenter.intuit.com/connect/oauth2',
        appUrl: 'https://app.qbo.intuit.com',
        clientId: 'ABclient',
        clientSecret: 'secret',
        refreshToken: 'AB11refresh',
        realmId: '9341453172471531',
        salesItemName: 'Services',
        salesTaxCode: '2',
        salesTaxRate: 20,
      } satisfies QuickbooksSettings,
    });
    const custom = quickbooks.settings.fromEnv({
      ...GOOD_ENV,
      QUICKBOOKS_API_BASE: 'https://sandbox-quickbooks.api.intuit.com/',
      QUICKBOOKS_APP_URL: 'https://app.sandbox.qbo.intuit.com',
      QUICKBOOKS_SALES_ITEM: 'Treatments',
      QUICKBOOKS_TAX_CODE: 'TAX',
      QUICKBOOKS_TAX_RATE: '8.875',
    });
    expect(custom).toMatchObject({
      settings: {
        baseUrl: 'https://sandbox-quickbooks.api.intuit.com',
        appUrl: 'https://app.sandbox.qbo.intuit.com',
        salesItemName: 'Treatments',
        salesTaxCode: 'TAX',
        salesTaxRate: 8.875,
      },
    });
  });

  it('each missing or bad value gives one problem naming its variable', () => {
    const problems = (env: Record<string, string>) => {
      const result = quickbooks.settings.fromEnv(env);
      return 'problems' in result ? result.problems : [];
    };
    for (const name of Object.keys(GOOD_ENV)) {
      const env: Record<string, string> = { ...GOOD_ENV };
      delete env[name];
      const found = problems(env);
      expect(found, name).toHaveLength(1);
      expect(found[0], name).toContain(name);
    }
    for (const [name, value] of [
      ['QUICKBOOKS_REALM_ID', 'my-company'],
      ['QUICKBOOKS_REALM_ID', '9341-4531'],
      ['QUICKBOOKS_API_BASE', 'quickbooks.api.intuit.com'],
      ['QUICKBOOKS_TOKEN_URL', 'not a url'],
      ['QUICKBOOKS_APP_URL', '//app'],
      ['QUICKBOOKS_TAX_RATE', 'twenty'],
      ['QUICKBOOKS_TAX_RATE', '120'],
    ] as const) {
      const found = problems({ ...GOOD_ENV, [name]: value });
      expect(found, `${name}=${value}`).toHaveLength(1);
      expect(found[0]).toContain(name);
      expect(found[0]).toContain(value);
    }
    expect(problems({})).toHaveLength(4);
  });

  it('lists every variable it reads for the README', () => {
    const names = quickbooks.settings.variables.map((v) => v.name);
    for (const name of [
      ...Object.keys(GOOD_ENV),
      'QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN',
      'QUICKBOOKS_API_BASE',
      'QUICKBOOKS_TOKEN_URL',
      'QUICKBOOKS_APP_URL',
    ]) {
      expect(names).toContain(name);
    }
    expect(quickbooks.settings.credentialVars).toEqual(['QUICKBOOKS_CLIENT_ID']);
    expect(quickbooks.limits(quickbooks.settings.fromSandbox(endpoint('http://127.0.0.1:1')))).toBe(
      QUICKBOOKS_LIMITS,
    );
  });

  it('takes webhooks only with a verifier token', () => {
    expect(quickbooks.webhooks!.fromEnv(GOOD_ENV, {})).toBeUndefined();
    expect(
      quickbooks.webhooks!.fromEnv({ ...GOOD_ENV, QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN: 'vt' }, {}),
    ).toEqual({ verifierToken: 'vt' });
  });
});

describe('QUICKBOOKS_LIMITS', () => {
  it('500 a minute and 10 at once per company, and 40 batch requests a minute', () => {
    expect(QUICKBOOKS_LIMITS).toMatchObject({
      docs: 'https://developer.intuit.com/app/developer/qbo/docs/learn/rest-api-features#limits-and-throttles',
      concurrency: 10,
      windows: [
        { name: 'minute', limit: 500, windowMs: 60_000 },
        { name: 'batch-minute', limit: 40, windowMs: 60_000, operations: ['batch.customersByEmail'] },
      ],
    });
  });
});

// Against the sandbox, started the way the hub starts it ---------------------------------------

const business = generateBusiness({ now: FIXED_NOW, customers: 40 });
let sandbox: VendorSandbox;
const endpoint = (url: string, credentials: Record<string, string> = {}): SandboxEndpoint => ({
  name: 'quickbooks',
  url,
  credentials: {
    clientId: 'c',
    clientSecret: 's',
    refreshToken: 'r',
    realmId: '1',
    webhookVerifierToken: 'v',
    ...credentials,
  },
});
const published = () => endpoint(sandbox.url, sandbox.credentials);

/** A hub's connect context: one refresh-token store, and the limits the module asked a policy for. */
function hubContext(store: RefreshTokenStore) {
  const asked: VendorLimits[] = [];
  const context: ConnectContext = {
    workspace: 'w1',
    timeZone: business.timeZone,
    policy: (limits, token) => {
      asked.push(limits);
      return { token: () => token!.state() };
    },
    tokenStore: () => store,
  };
  return { context, asked };
}

async function faults(rule: Record<string, unknown>) {
  const res = await fetch(`${sandbox.url}/__sandbox/faults`, { method: 'POST', body: JSON.stringify(rule) });
  expect(res.status).toBe(201);
}

beforeAll(async () => {
  sandbox = await quickbooks.sandbox.start({ business, relaxed: true });
});
afterAll(async () => {
  await sandbox?.close();
});

describe('the sandbox, as the hub starts it', () => {
  it('listens with relaxed limits, and the module points at it the same way from settings or environment', async () => {
    const describe = (await (await fetch(`${sandbox.url}/__sandbox`)).json()) as Record<string, any>;
    expect(describe.limits.perMinute).toBeGreaterThan(100_000);
    const fromEnv = quickbooks.settings.fromEnv(quickbooks.settings.envFromSandbox(published()));
    expect(fromEnv).toEqual({ settings: quickbooks.settings.fromSandbox(published()) });
    expect(quickbooks.settings.fromSandbox(published())).toMatchObject({
      baseUrl: sandbox.url,
      tokenUrl: describe.tokenUrl,
      realmId: sandbox.credentials.realmId,
    });
    expect(describe.apiBase).toBe(`${sandbox.url}/v3/company/${sandbox.credentials.realmId}`);
    expect(quickbooks.webhooks!.fromSandbox(published())).toEqual({
      verifierToken: sandbox.credentials.webhookVerifierToken,
      sandboxUrl: sandbox.url,
    });
    expect(quickbooks.sandbox.port).toBe(12115);
  });
});

describe('connect()', () => {
  const saved: string[] = [];
  const store: RefreshTokenStore = {
    load: async () => saved.at(-1),
    save: async (token) => {
      saved.push(token);
    },
  };

  it('refreshes through the store: QBO rotates the refresh token, the store keeps the newest', async () => {
    const settings = quickbooks.settings.fromSandbox(published());
    const { context, asked } = hubContext(store);
    const first = quickbooks.connect(settings, context);
    try {
      expect(asked).toEqual([QUICKBOOKS_LIMITS]);
      const [customer] = await first.source.getContacts(['1']);
      expect(customer).toMatchObject({ source: 'quickbooks', externalId: '1' });
      expect(first.source.name).toBe('quickbooks');
      expect(first.token!.state()).toMatchObject({ state: 'valid', refreshes: 1 });
      expect(saved).toHaveLength(1);
      expect(saved[0]).not.toBe(settings.refreshToken);
      // The configured token is spent: only the stored one works now.
      expect(
        await tokenRequest(sandbox, { grant_type: 'refresh_token', refresh_token: settings.refreshToken }),
      ).toEqual({ status: 400, body: { error: 'invalid_grant' } });
    } finally {
      await first.source.close();
    }

    // A restart: the new connection starts from the stored token, and rotates it again.
    const second = quickbooks.connect(settings, hubContext(store).context);
    try {
      expect(await second.source.getContacts(['2'])).toEqual([expect.objectContaining({ externalId: '2' })]);
      expect(saved).toHaveLength(2);
      // An access token QBO no longer takes (its clock says it expired) is dropped; the next call refreshes.
      await fetch(`${sandbox.url}/__sandbox/clock`, {
        method: 'POST',
        body: JSON.stringify({ advanceSeconds: 3_601 }),
      });
      expect(await failure(second.source.getContacts(['2']))).toMatchObject({ code: 'UNAUTHENTICATED' });
      expect(await second.source.getContacts(['2'])).toEqual([expect.objectContaining({ externalId: '2' })]);
      expect(saved).toHaveLength(3);
    } finally {
      await second.source.close();
    }
  });

  it('the fault targets break exactly that kind of call', async () => {
    const settings = quickbooks.settings.fromSandbox(published());
    const { source } = quickbooks.connect(settings, hubContext(store).context);
    const key = (() => {
      let n = 0;
      return () => ({ idempotencyKey: `index-spec-${++n}` });
    })();
    const person = (n: number) => ({
      email: `fault.${n}@example.com`,
      firstName: 'Fault',
      lastName: `Target${n}`,
      phone: null,
      company: null,
      switchboardId: `sb_f${n}`,
    });
    const { faults: targets } = quickbooks.sandbox;
    try {
      await source.getContacts(['1']); // a token, before the token endpoint is broken
      await faults({ ...targets.createContact, status: 503, times: 1 });
      expect(await source.getContacts(['1'])).toEqual([expect.objectContaining({ externalId: '1' })]);
      expect(await failure(source.createContact(person(1), key()))).toMatchObject({ status: 503 });
      const contact = await source.createContact(person(2), key());

      const invoiceInput = {
        contactId: contact.externalId,
        lines: [
          { description: 'Sports massage', quantity: 1, unitAmount: { amount: 6500, currency: 'GBP' } },
        ],
        currency: 'GBP',
        issuedOn: FIXED_NOW,
        dueOn: FIXED_NOW,
        status: 'AUTHORISED' as const,
      };
      await faults({ ...targets.createInvoice, status: 503, times: 1 });
      expect(await source.listInvoicesByContact([contact.externalId])).toEqual([[]]);
      expect(await failure(source.createInvoice(invoiceInput, key()))).toMatchObject({ status: 503 });
      const invoice = await source.createInvoice(invoiceInput, key());

      await faults({ ...targets.recordPayment, status: 503, times: 1 });
      const payment = { invoiceId: invoice.externalId, amount: invoice.total, paidOn: FIXED_NOW };
      expect(await failure(source.recordPayment(payment, key()))).toMatchObject({ status: 503 });
      await source.recordPayment(payment, key());

      await faults({ ...targets.api, status: 503, times: 1 });
      expect(await failure(source.getInvoices([invoice.externalId]))).toMatchObject({ status: 503 });

      // A new connection must refresh: the token endpoint is what breaks.
      await faults({ ...targets.token, status: 503, times: 1 });
      const fresh = quickbooks.connect(settings, hubContext(store).context);
      try {
        expect(await failure(fresh.source.getContacts(['1']))).toMatchObject({ operation: 'token.refresh' });
      } finally {
        await fresh.source.close();
      }
    } finally {
      await source.close();
    }
  });
});
