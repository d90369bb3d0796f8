import { createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { WebhookContext } from '../../src/domain/source-module.ts';
import { createOAuthTokenProvider, type TokenProvider } from '../../src/upstream/oauth.ts';
import { generateBusiness } from '../../src/sandbox/seed/business.ts';
import type { VendorSandbox } from '../../src/sandbox/types.ts';
import type { SourceStateRepository } from '../../src/store/source-state.ts';
import type { InboxEventInput, VerifyResult, WebhookDelivery } from '../../src/webhooks/types.ts';
import { startQuickbooksSandbox } from './sandbox/server.ts';
import { FIXED_NOW, startReceiver } from './sandbox/testing.ts';
import type { Entity, QuickbooksApi } from './api.ts';
import { CDC_SINCE_KEY, cdcEvents, createCdcCatchUp } from './cdc.ts';
import { quickbooks, type QuickbooksSettings } from './index.ts';
import { createQuickbooksSource, type QuickbooksSource } from './source.ts';
import { createQuickbooksWebhookVerifier, quickbooksEventId } from './webhooks.ts';

/**
 * Intuit's published check, done here independently of the verifier: base64(HMAC-SHA256(verifier
 * token, raw body)). https://developer.intuit.com/app/developer/qbo/docs/develop/webhooks
 */
const sign = (token: string, body: string | Buffer) =>
  createHmac('sha256', token).update(body).digest('base64');

const TOKEN = '6f2a9c41-7d3e-4b85-a0c9-1e5d8f3b2a76';
const REALM = '9341453172471531';
const NOW = new Date('2026-11-23T10:00:00Z');

const entity = (overrides: Record<string, unknown> = {}) => ({
  name: 'Customer',
  id: '12',
  operation: 'Update',
  lastUpdated: '2026-11-23T09:59:58-0000',
  ...overrides,
});

const notification = (entities: unknown[], realmId = REALM) =>
  JSON.stringify({ eventNotifications: [{ realmId, dataChangeEvent: { entities } }] });

function delivery(
  body: string | Buffer,
  signature: string | string[] | null = sign(TOKEN, body),
): WebhookDelivery {
  const headers: IncomingHttpHeaders = { 'content-type': 'application/json; charset=utf-8' };
  if (signature !== null) headers['intuit-signature'] = signature;
  return {
    method: 'POST',
    url: 'https://hub.example/webhooks/quickbooks',
    headers,
    rawBody: Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'),
    now: NOW,
  };
}

const verifier = createQuickbooksWebhookVerifier({ verifierToken: TOKEN, realmId: REALM });
const verify = (d: WebhookDelivery) => Promise.resolve(verifier.verify(d));

function rejected(result: VerifyResult, status: number, reason: RegExp) {
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.status).toBe(status);
  expect(result.reason).toMatch(reason);
}

function events(result: VerifyResult): InboxEventInput[] {
  expect(result.ok, JSON.stringify(result)).toBe(true);
  return result.ok ? result.events : [];
}

describe('createQuickbooksWebhookVerifier', () => {
  it('accepts a signed notification: one event per entity change, with what changed', async () => {
    const body = notification([
      entity({ operation: 'Create', id: '12' }),
      entity({ operation: 'Delete', id: '13' }),
      entity({ name: 'Invoice', id: '40', operation: 'Void' }),
      entity({ name: 'Payment', id: '41', operation: 'Create' }),
      entity({ name: 'Item', id: '3' }),
      entity({ operation: 'Merge', id: '14', deletedId: '15' }),
    ]);
    const result = await verify(delivery(body));
    expect(verifier.source).toBe('quickbooks');
    const at = new Date('2026-11-23T09:59:58Z');
    expect(result).toEqual({
      ok: true,
      events: [
        {
          eventId: `${REALM}:Customer:12:Create:2026-11-23T09:59:58Z`,
          type: 'Customer.Create',
          occurredAt: at,
          changes: [{ kind: 'person', externalId: '12', created: true }],
        },
        {
          eventId: `${REALM}:Customer:13:Delete:2026-11-23T09:59:58Z`,
          type: 'Customer.Delete',
          occurredAt: at,
          changes: [{ kind: 'person', externalId: '13', deleted: true }],
        },
        {
          eventId: `${REALM}:Invoice:40:Void:2026-11-23T09:59:58Z`,
          type: 'Invoice.Void',
          occurredAt: at,
          changes: [{ kind: 'invoice', externalId: '40' }],
        },
        // A payment's invoices come as Invoice updates of their own; the payment itself changes nothing.
        {
          eventId: `${REALM}:Payment:41:Create:2026-11-23T09:59:58Z`,
          type: 'Payment.Create',
          occurredAt: at,
          changes: [],
        },
        {
          eventId: `${REALM}:Item:3:Update:2026-11-23T09:59:58Z`,
          type: 'Item.Update',
          occurredAt: at,
          changes: [],
        },
        {
          eventId: `${REALM}:Customer:14:Merge:2026-11-23T09:59:58Z`,
          type: 'Customer.Merge',
          occurredAt: at,
          changes: [
            { kind: 'person', externalId: '14' },
            { kind: 'person', externalId: '15', deleted: true },
          ],
        },
      ],
    });
  });

  it('gives a redelivery the same ids, and a later change of the record a new one', async () => {
    const first = events(await verify(delivery(notification([entity()]))));
    const again = events(await verify(delivery(notification([entity(), entity()]))));
    expect(again).toEqual(first);
    // The same instant written with another offset is the same change.
    expect(
      events(await verify(delivery(notification([entity({ lastUpdated: '2026-11-23T10:59:58+0100' })])))),
    ).toEqual(first);
    const later = events(
      await verify(delivery(notification([entity({ lastUpdated: '2026-11-23T10:04:00-0000' })]))),
    );
    expect(later[0]!.eventId).not.toBe(first[0]!.eventId);
  });

  it('a missing, repeated or wrong signature is 401', async () => {
    const body = notification([entity()]);
    rejected(await verify(delivery(body, null)), 401, /no intuit-signature/);
    rejected(await verify(delivery(body, [sign(TOKEN, body), sign(TOKEN, body)])), 401, /more than one/);
    rejected(await verify(delivery(body, sign('another-token', body))), 401, /does not match/);
    rejected(await verify(delivery(`${body} `, sign(TOKEN, body))), 401, /does not match/);
    const unconfigured = createQuickbooksWebhookVerifier({ verifierToken: '', realmId: REALM });
    rejected(await unconfigured.verify(delivery(body)), 401, /no QuickBooks verifier token/);
  });

  it('a signed body that is not a notification is 400', async () => {
    rejected(await verify(delivery('{not json')), 400, /not JSON/);
    rejected(await verify(delivery('[]')), 400, /not a JSON object/);
    rejected(await verify(delivery('{}')), 400, /eventNotifications/);
    rejected(
      await verify(delivery(JSON.stringify({ eventNotifications: [{ realmId: REALM }] }))),
      400,
      /entities/,
    );
    rejected(await verify(delivery(notification([entity({ id: 12 })]))), 400, /id is missing/);
    rejected(await verify(delivery(notification([entity({ lastUpdated: 'yesterday' })]))), 400, /not a date/);
  });

  it('a notification for another company is 403, naming the realm: none of the delivery is taken', async () => {
    const body = JSON.stringify({
      eventNotifications: [
        { realmId: REALM, dataChangeEvent: { entities: [entity()] } },
        { realmId: '123145', dataChangeEvent: { entities: [entity()] } },
      ],
    });
    rejected(await verify(delivery(body)), 403, /realm 123145, not 9341453172471531 \(QUICKBOOKS_REALM_ID\)/);
  });
});

// Against the sandbox ----------------------------------------------------------------------------

const business = generateBusiness({ now: FIXED_NOW, customers: 60 });
let sandbox: VendorSandbox;
let tokens: TokenProvider;
let source: QuickbooksSource;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

async function admin(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown) {
  const res = await fetch(`${sandbox.url}/__sandbox/${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(res.status, path).toBeLessThan(300);
  return (await res.json()) as Record<string, any>;
}

/** The sandbox's own clock (tests move it so that changes land in different seconds). */
const sandboxNow = async () => new Date((await admin('GET', 'clock')).now as string);
const tick = () => admin('POST', 'clock', { advanceSeconds: 2 });

/** Every delivery the receiver got, through the verifier. */
async function received(realmId = sandbox.credentials.realmId!): Promise<InboxEventInput[]> {
  await sandbox.webhooks.idle();
  const check = createQuickbooksWebhookVerifier({
    verifierToken: sandbox.credentials.webhookVerifierToken!,
    realmId,
  });
  const all: InboxEventInput[] = [];
  for (const d of receiver.deliveries) {
    const result = await check.verify({
      method: 'POST',
      url: receiver.url,
      headers: d.headers,
      rawBody: d.raw,
      now: new Date(),
    });
    all.push(...events(result));
  }
  return all;
}

let personCounter = 0;
const newPerson = () => {
  const n = ++personCounter;
  return {
    email: `hook.person${n}@example.com`,
    firstName: 'Hook',
    lastName: `Person${n}`,
    phone: null,
    company: null,
    switchboardId: `sb_${n}`,
  };
};

function memoryState(): SourceStateRepository & { values: Map<string, string> } {
  const values = new Map<string, string>();
  const leases = new Map<string, { holder: string; until: number }>();
  const key = (w: string, s: string, k: string) => `${w}/${s}/${k}`;
  return {
    values,
    get: async (w, s, k) => values.get(key(w, s, k)),
    set: async (w, s, k, v) => {
      values.set(key(w, s, k), v);
    },
    acquireLease: async (w, s, k, holder, ttlMs, now = new Date()) => {
      const lease = leases.get(key(w, s, k));
      if (lease && lease.holder !== holder && lease.until > now.getTime()) return false;
      leases.set(key(w, s, k), { holder, until: now.getTime() + ttlMs });
      return true;
    },
    releaseLease: async (w, s, k, holder) => {
      if (leases.get(key(w, s, k))?.holder === holder) leases.delete(key(w, s, k));
    },
    tokenStore: () => {
      throw new Error('not used here');
    },
  };
}

beforeAll(async () => {
  sandbox = await startQuickbooksSandbox({
    business,
    limits: { perMinute: 100_000, batchPerMinute: 100_000 },
    webhooks: { retryBaseMs: 20, retryMaxMs: 200 },
  });
  tokens = createOAuthTokenProvider({
    source: 'quickbooks',
    tokenUrl: `${sandbox.url}/oauth2/v1/tokens/bearer`,
    clientId: sandbox.credentials.clientId!,
    clientSecret: sandbox.credentials.clientSecret!,
    refreshToken: sandbox.credentials.refreshToken!,
    store: { load: async () => undefined, save: async () => undefined },
  });
  source = createQuickbooksSource({
    baseUrl: sandbox.url,
    realmId: sandbox.credentials.realmId!,
    getAccessToken: () => tokens.getAccessToken(),
    onUnauthorized: () => tokens.invalidate(),
  });
  // Webhooks go to connected companies only: the token's grant is the connection.
  await tokens.getAccessToken();
});

afterAll(async () => {
  await source?.close();
  await sandbox?.close();
});

beforeEach(async () => {
  await admin('POST', 'reset');
  receiver = await startReceiver(sandbox.credentials.webhookVerifierToken!);
  await admin('POST', 'webhooks/endpoint', { url: receiver.url });
  return async () => {
    await sandbox.webhooks.idle();
    await admin('DELETE', 'webhooks/endpoint');
    await receiver.close();
  };
});

describe('the sandbox’s notifications', () => {
  it('verify, and name what changed through the API and in QuickBooks', async () => {
    const created = await source.createContact(newPerson(), { idempotencyKey: 'hook-1' });
    await admin('POST', 'actions/edit-customer', { customerId: '3', phone: '07700 900123' });
    const raised = await admin('POST', 'actions/raise-invoice', { customerId: '5' });
    await admin('POST', 'actions/pay-invoice', { invoiceId: raised.invoice.Id });
    const got = await received();
    expect(got.map((e) => [e.type, e.changes])).toEqual([
      ['Customer.Create', [{ kind: 'person', externalId: created.externalId, created: true }]],
      ['Customer.Update', [{ kind: 'person', externalId: '3' }]],
      ['Invoice.Create', [{ kind: 'invoice', externalId: raised.invoice.Id }]],
      ['Payment.Create', []],
      // Paying an invoice changes the invoice too: that is how the hub learns of payments.
      ['Invoice.Update', [{ kind: 'invoice', externalId: raised.invoice.Id }]],
    ]);
  });

  it('a hub configured for another company refuses them with 403', async () => {
    await admin('POST', 'actions/edit-customer', { customerId: '3', phone: '07700 900123' });
    await sandbox.webhooks.idle();
    const other = createQuickbooksWebhookVerifier({
      verifierToken: sandbox.credentials.webhookVerifierToken!,
      realmId: '123145',
    });
    const [d] = receiver.deliveries;
    rejected(
      await other.verify({
        method: 'POST',
        url: receiver.url,
        headers: d!.headers,
        rawBody: d!.raw,
        now: new Date(),
      }),
      403,
      /realm 9341453172471531, not 123145/,
    );
  });
});

describe('CDC catch-up', () => {
  it('finds the same changes as the webhooks: per record, the latest one, with the same event id', async () => {
    const since = new Date((await sandboxNow()).getTime() - 1_000);
    const person = await source.createContact(newPerson(), { idempotencyKey: 'cdc-1' });
    await tick();
    await admin('POST', 'actions/edit-customer', { customerId: person.externalId, phone: '07700 900555' });
    await tick();
    await admin('POST', 'actions/edit-customer', { customerId: '3', lastName: 'Changed' });
    await tick();
    const invoice = await source.createInvoice(
      {
        contactId: person.externalId,
        lines: [
          { description: 'Sports massage', quantity: 1, unitAmount: { amount: 6500, currency: 'GBP' } },
        ],
        currency: 'GBP',
        issuedOn: FIXED_NOW,
        dueOn: FIXED_NOW,
        status: 'AUTHORISED',
      },
      { idempotencyKey: 'cdc-2' },
    );
    await tick();
    await source.recordPayment(
      { invoiceId: invoice.externalId, amount: { amount: 6500, currency: 'GBP' }, paidOn: FIXED_NOW },
      { idempotencyKey: 'cdc-3' },
    );
    await tick();
    const raised = await admin('POST', 'actions/raise-invoice', { customerId: '5' });
    await tick();
    await admin('POST', 'actions/void-invoice', { invoiceId: raised.invoice.Id });
    await tick();
    const only = await source.createContact(newPerson(), { idempotencyKey: 'cdc-4' });

    const hooks = await received();
    // The webhooks' latest event per Customer and Invoice record: what a catch-up must bring.
    const latest = new Map<string, InboxEventInput>();
    for (const event of hooks) {
      const [, name, id] = event.eventId.split(':');
      if (name === 'Customer' || name === 'Invoice') latest.set(`${name}:${id}`, event);
    }
    const byId = (a: InboxEventInput, b: InboxEventInput) => a.eventId.localeCompare(b.eventId);
    const caughtUp = await source.changeEvents(since);
    expect([...caughtUp].sort(byId)).toEqual([...latest.values()].sort(byId));
    expect(caughtUp.map((e) => e.type).sort()).toEqual(
      ['Customer.Create', 'Customer.Update', 'Customer.Update', 'Invoice.Update', 'Invoice.Void'].sort(),
    );
    expect(
      caughtUp.some((e) => e.changes.some((c) => c.kind === 'person' && c.externalId === only.externalId)),
    ).toBe(true);
    // Oldest first.
    expect(caughtUp.map((e) => e.occurredAt.getTime())).toEqual(
      caughtUp.map((e) => e.occurredAt.getTime()).sort((a, b) => a - b),
    );
    expect(
      quickbooksEventId({
        realmId: sandbox.credentials.realmId!,
        name: 'Customer',
        id: only.externalId,
        operation: 'Create',
        lastUpdated: only.updatedAt!,
      }),
    ).toBe(caughtUp.find((e) => e.type === 'Customer.Create')!.eventId);
  });

  it('a record deleted since then comes as a Delete', async () => {
    const since = new Date((await sandboxNow()).getTime() - 1_000);
    const raised = await admin('POST', 'actions/raise-invoice', { customerId: '5' });
    await tick();
    const token = await tokens.getAccessToken();
    const res = await fetch(
      `${sandbox.url}/v3/company/${sandbox.credentials.realmId}/invoice?operation=delete&minorversion=75`,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          'content-type': 'application/json',
        },
        body: JSON.stringify({ Id: raised.invoice.Id, SyncToken: raised.invoice.SyncToken }),
      },
    );
    expect(res.status).toBe(200);
    const caughtUp = await source.changeEvents(since);
    expect(caughtUp.map((e) => [e.type, e.changes])).toEqual([
      ['Invoice.Delete', [{ kind: 'invoice', externalId: raised.invoice.Id }]],
    ]);
    expect(caughtUp).toEqual((await received()).filter((e) => e.type === 'Invoice.Delete'));
  });

  it('an answer holding CDC’s 1000 objects may have left some out: then each entity is read on its own, moving on', async () => {
    const at = (second: number) => new Date(Date.UTC(2026, 10, 23, 10, 0, 0) + second * 1000).toISOString();
    const customer = (id: number) => ({
      Id: String(id),
      MetaData: { CreateTime: at(0), LastUpdatedTime: at(id) },
    });
    const invoice = (id: number) => ({
      Id: String(id),
      TotalAmt: 5,
      MetaData: { CreateTime: at(id), LastUpdatedTime: at(id) },
    });
    const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
    const calls: Array<[string, string]> = [];
    const api = {
      realmId: REALM,
      async cdc(list: readonly Entity[], since: Date) {
        calls.push([list.join(','), since.toISOString()]);
        const sinceSecond = (since.getTime() - Date.UTC(2026, 10, 23, 10, 0, 0)) / 1000;
        const customers = range(Math.max(1, sinceSecond), 1200).map(customer).slice(0, 1000);
        if (list.length > 1) return new Map<Entity, unknown[]>([['Customer', customers]]);
        return new Map<Entity, unknown[]>([
          [list[0]!, list[0] === 'Customer' ? customers : range(1, 5).map(invoice)],
        ]);
      },
    } as unknown as QuickbooksApi;
    const got = await cdcEvents(api, new Date(at(0)));
    expect(calls.map(([entities]) => entities)).toEqual([
      'Customer,Invoice',
      'Customer',
      'Customer',
      'Invoice',
    ]);
    expect(calls[2]![1]).toBe(at(1000));
    expect(got.filter((e) => e.type === 'Customer.Update')).toHaveLength(1200);
    expect(got.filter((e) => e.type === 'Invoice.Create')).toHaveLength(5);
  });

  it('a catch-up: records its time on the first run, then enqueues what changed since; one replica at a time', async () => {
    const state = memoryState();
    const enqueued: InboxEventInput[][] = [];
    const warnings: unknown[] = [];
    const deps = {
      workspace: 'w1',
      state,
      changeEvents: (since: Date) => source.changeEvents(since),
      enqueue: async (events: InboxEventInput[]) => {
        enqueued.push(events);
      },
      logger: { warn: (...args: unknown[]) => warnings.push(args) } as never,
    };
    const catchUp = createCdcCatchUp(deps);
    expect(await catchUp.run()).toBe(0);
    const stored = state.values.get(`w1/quickbooks/${CDC_SINCE_KEY}`)!;
    expect(Date.now() - Date.parse(stored)).toBeGreaterThanOrEqual(60_000);
    expect(enqueued).toEqual([]);

    const person = await source.createContact(newPerson(), { idempotencyKey: 'catch-1' });
    expect(await catchUp.run()).toBeGreaterThanOrEqual(1);
    expect(enqueued.flat().map((e) => e.changes)).toContainEqual([
      { kind: 'person', externalId: person.externalId, created: true },
    ]);

    // Another replica holding the lease: this one leaves it to them.
    await state.acquireLease('w1', 'quickbooks', 'cdc_lease', 'someone-else', 60_000);
    expect(await catchUp.run()).toBeNull();
    await state.releaseLease('w1', 'quickbooks', 'cdc_lease', 'someone-else');

    // Away for longer than CDC looks back: from as far back as it can, with a warning.
    await state.set('w1', 'quickbooks', CDC_SINCE_KEY, new Date(Date.now() - 40 * 86_400_000).toISOString());
    expect(await catchUp.run()).toBeGreaterThanOrEqual(0);
    expect(warnings).toHaveLength(1);
  });

  it('the module’s registration: a catch-up, the sandbox endpoint, then a catch-up every few minutes', async () => {
    const state = memoryState();
    const enqueued: InboxEventInput[] = [];
    const context = {
      workspace: 'w2',
      settings: quickbooks.settings.fromSandbox({
        name: 'quickbooks',
        url: sandbox.url,
        credentials: sandbox.credentials,
      }),
      source,
      state,
      channels: {} as WebhookContext<QuickbooksSettings, 'accounting'>['channels'],
      enqueue: async (events: InboxEventInput[]) => {
        enqueued.push(...events);
      },
      logger: pino({ enabled: false }),
    } satisfies WebhookContext<QuickbooksSettings, 'accounting'>;
    const publicUrl = receiver.url.replace(/\/webhooks\/quickbooks$/, '');
    const stop = await quickbooks.webhooks!.register!(
      {
        ...quickbooks.webhooks!.fromSandbox({
          name: 'quickbooks',
          url: sandbox.url,
          credentials: sandbox.credentials,
        }),
        catchUpEveryMs: 50,
      },
      publicUrl,
      context,
    );
    try {
      expect(state.values.get(`w2/quickbooks/${CDC_SINCE_KEY}`)).toBeDefined();
      expect((await admin('GET', 'webhooks/endpoint')).endpoint.url).toBe(`${publicUrl}/webhooks/quickbooks`);
      const person = await source.createContact(newPerson(), { idempotencyKey: 'register-1' });
      await vi.waitFor(
        () =>
          expect(enqueued.flatMap((e) => e.changes)).toContainEqual(
            expect.objectContaining({ externalId: person.externalId }),
          ),
        { timeout: 10_000, interval: 50 },
      );
      // The catch-up's event is the webhook's: the inbox stores the change once.
      const hook = (await received()).find((e) => e.type === 'Customer.Create')!;
      expect(enqueued.map((e) => e.eventId)).toContain(hook.eventId);
    } finally {
      if (typeof stop === 'function') stop();
    }
  });
});
