/**
 * Webhooks: a registered endpoint gets QBO's notification payload for changes made in
 * QuickBooks (the admin actions) and through the API, signed with `intuit-signature` (checked
 * here by recomputing the HMAC), retried byte for byte, duplicated or delivered out of order on
 * request, and only while the company is connected.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateBusiness } from '../../../src/sandbox/seed/business.ts';
import type { VendorSandbox } from '../../../src/sandbox/types.ts';
import { startQuickbooksSandbox } from './server.ts';
import { admin, connect, FIXED_NOW, qbo, startReceiver } from './testing.ts';

const business = generateBusiness({ now: FIXED_NOW, customers: 80 });
let sandbox: VendorSandbox;
let verifier: string;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  sandbox = await startQuickbooksSandbox({ business, webhooks: { retryBaseMs: 20, retryMaxMs: 200 } });
  verifier = sandbox.credentials.webhookVerifierToken!;
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(async () => {
  await admin(sandbox, 'POST', '/__sandbox/reset');
  receiver = await startReceiver(verifier);
  await admin(sandbox, 'POST', '/__sandbox/webhooks/endpoint', { url: receiver.url });
  return async () => {
    await sandbox.webhooks.idle();
    await admin(sandbox, 'DELETE', '/__sandbox/webhooks/endpoint');
    await receiver.close();
  };
});

describe('notifications', () => {
  it('editing a customer in QuickBooks sends a signed Customer Update', async () => {
    const edited = await admin(sandbox, 'POST', '/__sandbox/actions/edit-customer', {
      customerId: '3',
      email: 'new.address@example.com',
    });
    expect(edited.status).toBe(200);
    expect(edited.body.customer).toMatchObject({
      Id: '3',
      SyncToken: '1',
      PrimaryEmailAddr: { Address: 'new.address@example.com' },
    });
    await sandbox.webhooks.idle();
    expect(receiver.deliveries).toHaveLength(1);
    const [delivery] = receiver.deliveries;
    // Intuit's check: base64 HMAC-SHA256 of the raw body, keyed with the verifier token.
    const expected = createHmac('sha256', verifier).update(delivery!.raw).digest('base64');
    expect(delivery!.headers['intuit-signature']).toBe(expected);
    expect(delivery!.valid).toBe(true);
    expect(delivery!.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(delivery!.headers['intuit-notification-schema-version']).toBe('0.1');
    expect(delivery!.headers['intuit-t-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(delivery!.json).toEqual({
      eventNotifications: [
        {
          realmId: sandbox.credentials.realmId,
          dataChangeEvent: {
            entities: [{ name: 'Customer', id: '3', operation: 'Update', lastUpdated: expect.any(String) }],
          },
        },
      ],
    });
    const lastUpdated = delivery!.json.eventNotifications[0]!.dataChangeEvent.entities[0]!.lastUpdated;
    expect(lastUpdated).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{4}$/);
    expect(Math.abs(Date.parse(lastUpdated) - Date.now())).toBeLessThan(5_000);

    // What the notification names can be read with the API.
    const token = (await connect(sandbox)).access_token;
    const read = await qbo(sandbox, token, 'GET', '/customer/3');
    expect(read.body.Customer.PrimaryEmailAddr.Address).toBe('new.address@example.com');
  });

  it('raising and paying an invoice: Invoice Create, then Payment Create with Invoice Update', async () => {
    const raised = await admin(sandbox, 'POST', '/__sandbox/actions/raise-invoice', {
      customerId: '5',
      serviceCode: 'DEEP-90',
      quantity: 2,
    });
    expect(raised.status).toBe(200);
    const invoice = raised.body.invoice;
    expect(invoice).toMatchObject({ TotalAmt: 180, Balance: 180, CustomerRef: { value: '5' } });
    const paid = await admin(sandbox, 'POST', '/__sandbox/actions/pay-invoice', {
      invoiceId: invoice.DocNumber,
    });
    expect(paid.status).toBe(200);
    expect(paid.body.invoice.Balance).toBe(0);
    await sandbox.webhooks.idle();
    const [first, second] = receiver.deliveries;
    expect(first!.json.eventNotifications[0]!.dataChangeEvent.entities).toEqual([
      expect.objectContaining({ name: 'Invoice', id: invoice.Id, operation: 'Create' }),
    ]);
    expect(second!.json.eventNotifications[0]!.dataChangeEvent.entities).toEqual([
      expect.objectContaining({ name: 'Payment', id: paid.body.payment.Id, operation: 'Create' }),
      expect.objectContaining({ name: 'Invoice', id: invoice.Id, operation: 'Update' }),
    ]);
    expect(receiver.deliveries.every((d) => d.valid)).toBe(true);
  });

  it('API writes notify too: one notification per request (a batch included); failed writes none', async () => {
    const token = (await connect(sandbox)).access_token;
    const created = await qbo(sandbox, token, 'POST', '/customer', { DisplayName: 'Hooked Customer' });
    await qbo(sandbox, token, 'POST', '/customer', { DisplayName: 'Hooked Customer' }); // 6240: no event
    await qbo(sandbox, token, 'POST', '/batch', {
      BatchItemRequest: [
        { bId: 'a', operation: 'create', Customer: { DisplayName: 'Batch One' } },
        { bId: 'b', operation: 'create', Customer: { DisplayName: 'Batch Two' } },
        { bId: 'c', Query: 'select * from Customer maxresults 1' },
      ],
    });
    await sandbox.webhooks.idle();
    expect(receiver.deliveries).toHaveLength(2);
    expect(receiver.deliveries[0]!.json.eventNotifications[0]!.dataChangeEvent.entities).toEqual([
      expect.objectContaining({ name: 'Customer', id: created.body.Customer.Id, operation: 'Create' }),
    ]);
    expect(
      receiver.deliveries[1]!.json.eventNotifications[0]!.dataChangeEvent.entities.map((e) => e.operation),
    ).toEqual(['Create', 'Create']);
  });

  it('voiding and deleting are Void and Delete; an endpoint hears only the entities it chose', async () => {
    await admin(sandbox, 'POST', '/__sandbox/webhooks/endpoint', {
      url: receiver.url,
      entities: ['Invoice'],
    });
    await admin(sandbox, 'POST', '/__sandbox/actions/edit-customer', {
      customerId: '2',
      phone: '+44 7000 111222',
    });
    const raised = (await admin(sandbox, 'POST', '/__sandbox/actions/raise-invoice', { customerId: '2' }))
      .body.invoice;
    await admin(sandbox, 'POST', '/__sandbox/actions/void-invoice', { invoiceId: raised.Id });
    const token = (await connect(sandbox)).access_token;
    const again = (await admin(sandbox, 'POST', '/__sandbox/actions/raise-invoice', { customerId: '2' })).body
      .invoice;
    await qbo(sandbox, token, 'POST', '/invoice?operation=delete', {
      Id: again.Id,
      SyncToken: again.SyncToken,
    });
    await sandbox.webhooks.idle();
    expect(receiver.entities().map((e) => `${e.name}:${e.operation}`)).toEqual([
      'Invoice:Create',
      'Invoice:Void',
      'Invoice:Create',
      'Invoice:Delete',
    ]);
  });
});

describe('delivery', () => {
  it('retries a notification the endpoint answered with 500, byte for byte', async () => {
    await receiver.close();
    receiver = await startReceiver(verifier, 1);
    await admin(sandbox, 'POST', '/__sandbox/webhooks/endpoint', { url: receiver.url });
    await admin(sandbox, 'POST', '/__sandbox/actions/edit-customer', { customerId: '4', Notes: 'retry me' });
    await sandbox.webhooks.idle();
    const attempts = receiver.deliveries;
    expect(attempts).toHaveLength(2);
    expect(attempts[1]!.raw.equals(attempts[0]!.raw)).toBe(true);
    expect(attempts[1]!.headers['intuit-signature']).toBe(attempts[0]!.headers['intuit-signature']);
    const log = (await admin(sandbox, 'GET', '/__sandbox/webhooks')).body.deliveries as Array<
      Record<string, unknown>
    >;
    expect(log.at(-1)).toMatchObject({
      attempts: 2,
      state: 'delivered',
      lastStatus: 200,
      type: 'Customer.Update',
    });
  });

  it('out of order: held notifications are released newest first; lastUpdated orders them', async () => {
    await admin(sandbox, 'POST', '/__sandbox/webhooks/settings', { outOfOrder: true });
    for (const id of ['6', '7', '8']) {
      await admin(sandbox, 'POST', '/__sandbox/actions/edit-customer', {
        customerId: id,
        Notes: `note ${id}`,
      });
      await admin(sandbox, 'POST', '/__sandbox/clock', { advanceSeconds: 2 }); // lastUpdated has whole seconds
    }
    expect(receiver.deliveries).toHaveLength(0);
    await admin(sandbox, 'POST', '/__sandbox/webhooks/flush');
    await sandbox.webhooks.idle();
    const events = receiver.entities();
    expect(events.map((e) => e.id)).toEqual(['8', '7', '6']);
    const sorted = [...events].sort((a, b) => Date.parse(a.lastUpdated) - Date.parse(b.lastUpdated));
    expect(sorted.map((e) => e.id)).toEqual(['6', '7', '8']);
  });

  it('duplicates: the same notification twice, identical', async () => {
    await admin(sandbox, 'POST', '/__sandbox/webhooks/settings', { duplicate: 1 });
    await admin(sandbox, 'POST', '/__sandbox/actions/edit-customer', { customerId: '9', Notes: 'twice' });
    await sandbox.webhooks.idle();
    expect(receiver.deliveries).toHaveLength(2);
    expect(receiver.deliveries[0]!.raw.equals(receiver.deliveries[1]!.raw)).toBe(true);
  });

  it('a company nobody is connected to sends nothing: revoking its last grant disconnects it', async () => {
    // A sandbox of its own, whose only grant is the pre-issued refresh token's.
    const lone = await startQuickbooksSandbox({ business });
    const hooks = await startReceiver(verifier);
    try {
      await admin(lone, 'POST', '/__sandbox/webhooks/endpoint', { url: hooks.url });
      await admin(lone, 'POST', '/__sandbox/actions/edit-customer', { customerId: '1', Notes: 'heard' });
      await lone.webhooks.idle();
      expect(hooks.deliveries).toHaveLength(1);
      const revoked = await fetch(`${lone.url}/v2/oauth2/tokens/revoke`, {
        method: 'POST',
        headers: {
          Authorization: `Basic ${Buffer.from(`${lone.credentials.clientId}:${lone.credentials.clientSecret}`).toString('base64')}`,
          'Content-Type': 'application/json',
          Accept: 'application/json',
        },
        body: JSON.stringify({ token: lone.credentials.refreshToken }),
      });
      expect(revoked.status).toBe(200);
      expect((await admin(lone, 'GET', '/__sandbox/webhooks/endpoint')).body.connected).toBe(false);
      await admin(lone, 'POST', '/__sandbox/actions/edit-customer', { customerId: '1', Notes: 'unheard' });
      await lone.webhooks.idle();
      expect(hooks.deliveries).toHaveLength(1);
    } finally {
      await hooks.close();
      await lone.close();
    }
  });
});
