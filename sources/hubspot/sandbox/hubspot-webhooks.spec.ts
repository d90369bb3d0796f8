/**
 * Webhooks: registration through the SDK's webhooks API, deliveries to a real HTTP receiver,
 * verified with the SDK's own `Signature.isValid`, retries, duplicates and out-of-order delivery.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Signature, type Client } from '@hubspot/api-client';
import { SubscriptionCreateRequestEventTypeEnum as EventType } from '@hubspot/api-client/lib/codegen/webhooks/index.js';
import { generateBusiness, customerAt } from '../../../src/sandbox/seed/business.ts';
import type { VendorSandbox } from '../../../src/sandbox/types.ts';
import { startHubspotSandbox } from './server.ts';
import {
  admin,
  FIXED_NOW,
  sdkError,
  sdkFor,
  startReceiver,
  type Delivery,
  type Receiver,
} from './test-helpers.ts';
import type { WebhookEvent } from './webhooks.ts';

let sandbox: VendorSandbox;
let hubspot: Client;
let receiver: Receiver;
let appId: number;
const business = generateBusiness({ now: FIXED_NOW });
const seedContact = business.customers.find((c) => customerAt(c, 'hubspot'))!;

const events = (d: Delivery) => JSON.parse(d.body) as WebhookEvent[];

const header = (d: Delivery, name: string) => {
  const v = d.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0]! : (v ?? '');
};

function verify(d: Delivery, secret = sandbox.credentials.clientSecret!, body = d.body): boolean {
  return Signature.isValid({
    signatureVersion: 'v3',
    signature: header(d, 'X-HubSpot-Signature-v3'),
    clientSecret: secret,
    requestBody: body,
    method: d.method,
    url: d.url,
    timestamp: Number(header(d, 'X-HubSpot-Request-Timestamp')),
  });
}

/** Lets the batching window close and every delivery (with retries) finish. */
async function settle() {
  await new Promise((r) => setTimeout(r, 60));
  await sandbox.webhooks.idle();
}

beforeAll(async () => {
  receiver = await startReceiver();
  sandbox = await startHubspotSandbox({ business, webhooks: { retryBaseMs: 20 }, webhookBatchWindowMs: 30 });
  hubspot = sdkFor(sandbox);
  appId = Number(sandbox.credentials.appId);

  const settings = await hubspot.webhooks.settingsApi.configure(appId, {
    targetUrl: receiver.url,
    throttling: { maxConcurrentRequests: 10 },
  });
  expect(settings.targetUrl).toBe(receiver.url);
  const subscriptions = hubspot.webhooks.subscriptionsApi;
  await subscriptions.create(appId, { eventType: EventType.ContactCreation, active: true });
  await subscriptions.create(appId, { eventType: EventType.ContactDeletion, active: true });
  await subscriptions.create(appId, {
    eventType: EventType.ContactPropertyChange,
    propertyName: 'firstname',
    active: true,
  });
  await subscriptions.create(appId, {
    eventType: EventType.ContactPropertyChange,
    propertyName: 'email',
    active: true,
  });
  await subscriptions.create(appId, { eventType: EventType.DealCreation, active: true });
});

beforeEach(async () => {
  await settle();
  receiver.deliveries.length = 0;
  receiver.respond(() => 200);
  await admin(sandbox, 'webhooks/settings', { duplicate: 0, outOfOrder: false });
});

afterAll(async () => {
  await sandbox.close();
  await receiver.close();
});

describe('webhooks app API', () => {
  it('manages settings and subscriptions with the developer API key', async () => {
    const settings = await hubspot.webhooks.settingsApi.getAll(appId);
    expect(settings).toMatchObject({ targetUrl: receiver.url, throttling: { maxConcurrentRequests: 10 } });
    const list = await hubspot.webhooks.subscriptionsApi.getAll(appId);
    expect(list.results.map((s) => [s.eventType, s.propertyName, s.active])).toEqual([
      ['contact.creation', undefined, true],
      ['contact.deletion', undefined, true],
      ['contact.propertyChange', 'firstname', true],
      ['contact.propertyChange', 'email', true],
      ['deal.creation', undefined, true],
    ]);
    const paused = await hubspot.webhooks.subscriptionsApi.create(appId, {
      eventType: EventType.DealPropertyChange,
      propertyName: 'amount',
    });
    expect(paused.active).toBe(false);
    const activated = await hubspot.webhooks.subscriptionsApi.update(Number(paused.id), appId, {
      active: true,
    });
    expect(activated.active).toBe(true);
    await hubspot.webhooks.subscriptionsApi.archive(Number(paused.id), appId);
    expect((await sdkError(hubspot.webhooks.subscriptionsApi.getById(Number(paused.id), appId))).code).toBe(
      404,
    );

    const noProperty = await sdkError(
      hubspot.webhooks.subscriptionsApi.create(appId, { eventType: EventType.ContactPropertyChange }),
    );
    expect(noProperty.code).toBe(400);
    const duplicate = await sdkError(
      hubspot.webhooks.subscriptionsApi.create(appId, { eventType: EventType.ContactCreation, active: true }),
    );
    expect(duplicate.code).toBe(409);
    const badKey = await fetch(`${sandbox.url}/webhooks/v3/${appId}/subscriptions?hapikey=wrong`);
    expect(badKey.status).toBe(401);
    expect(await badKey.json()).toMatchObject({ status: 'error', category: 'INVALID_AUTHENTICATION' });
  });
});

describe('deliveries', () => {
  it('a contact created through the API arrives as one signed batch; tampering is detected', async () => {
    const created = await hubspot.crm.contacts.basicApi.create({
      properties: { email: 'hook@example.com', firstname: 'Hook', lastname: 'Test' },
      associations: [],
    });
    const [delivery] = await receiver.waitFor(1);
    const batch = events(delivery!);
    expect(batch.map((e) => [e.subscriptionType, e.propertyName ?? null, e.propertyValue ?? null])).toEqual([
      ['contact.creation', null, null],
      ['contact.propertyChange', 'email', 'hook@example.com'],
      ['contact.propertyChange', 'firstname', 'Hook'],
    ]);
    for (const e of batch) {
      expect(e).toMatchObject({
        objectId: Number(created.id),
        portalId: Number(sandbox.credentials.portalId),
        appId,
        attemptNumber: 0,
        changeSource: 'INTEGRATION',
      });
      expect(typeof e.eventId).toBe('number');
      expect(typeof e.subscriptionId).toBe('number');
    }
    expect(batch[0]?.changeFlag).toBe('CREATED');
    expect(new Set(batch.map((e) => e.eventId)).size).toBe(3);

    expect(delivery!.method).toBe('POST');
    expect(header(delivery!, 'content-type')).toBe('application/json');
    expect(verify(delivery!)).toBe(true);
    expect(verify(delivery!, 'wrong-secret')).toBe(false);
    expect(verify(delivery!, undefined, delivery!.body.replace('hook@example.com', 'evil@example.com'))).toBe(
      false,
    );
    // The older v1 signature is sent too.
    expect(header(delivery!, 'X-HubSpot-Signature-Version')).toBe('v1');
    expect(
      Signature.isValid({
        signatureVersion: 'v1',
        signature: header(delivery!, 'X-HubSpot-Signature'),
        clientSecret: sandbox.credentials.clientSecret!,
        requestBody: delivery!.body,
      }),
    ).toBe(true);
  });

  it('admin edit-contact emits one propertyChange per changed subscribed property, from CRM_UI', async () => {
    const id = seedContact.ids.hubspotContactId;
    const res = await admin(sandbox, 'actions/edit-contact', {
      id,
      properties: { firstname: 'Edited', phone: '+44 7000 000000' },
    });
    expect(res.status).toBe(200);
    const [delivery] = await receiver.waitFor(1);
    expect(verify(delivery!)).toBe(true);
    expect(events(delivery!)).toEqual([
      expect.objectContaining({
        subscriptionType: 'contact.propertyChange',
        objectId: Number(id),
        propertyName: 'firstname',
        propertyValue: 'Edited',
        changeSource: 'CRM_UI',
      }),
    ]);
    // Writing the same value again changes nothing and sends nothing.
    await admin(sandbox, 'actions/edit-contact', { id, properties: { firstname: 'Edited' } });
    await settle();
    expect(receiver.deliveries).toHaveLength(1);
    const contact = await hubspot.crm.contacts.basicApi.getById(id, ['firstname', 'phone']);
    expect(contact.properties).toMatchObject({ firstname: 'Edited', phone: '+44 7000 000000' });
  });

  it('admin create-contact and API deletion emit creation and deletion events', async () => {
    const created = await admin(sandbox, 'actions/create-contact', {
      properties: { email: 'ui@example.com' },
    });
    expect(created.status).toBe(201);
    const id = (created.body.contact as { id: string }).id;
    await receiver.waitFor(1);
    await hubspot.crm.contacts.basicApi.archive(id);
    const [, deletion] = await receiver.waitFor(2);
    expect(events(deletion!)).toEqual([
      expect.objectContaining({
        subscriptionType: 'contact.deletion',
        objectId: Number(id),
        changeFlag: 'DELETED',
      }),
    ]);
    const bad = await admin(sandbox, 'actions/edit-contact', { id: '1', properties: {} });
    expect(bad.status).toBe(404);
    const badProps = await admin(sandbox, 'actions/create-contact', { properties: { nope: 1 } });
    expect(badProps.status).toBe(400);
    expect(String(badProps.body.error)).toContain('does not exist');
  });

  it('events of one write share a request of at most 100 events; unsubscribed changes send nothing', async () => {
    await hubspot.crm.contacts.batchApi.create({
      inputs: [1, 2, 3].map((n) => ({ properties: { lastname: `Batch${n}` }, associations: [] })),
    });
    await settle();
    expect(receiver.deliveries).toHaveLength(1);
    expect(events(receiver.deliveries[0]!).map((e) => e.subscriptionType)).toEqual([
      'contact.creation',
      'contact.creation',
      'contact.creation',
    ]);

    // 100 contacts with a first name: 200 events, sent as two full requests.
    receiver.deliveries.length = 0;
    await hubspot.crm.contacts.batchApi.create({
      inputs: Array.from({ length: 100 }, (_, n) => ({
        properties: { firstname: `Many${n}` },
        associations: [],
      })),
    });
    await settle();
    expect(receiver.deliveries.map((d) => events(d).length)).toEqual([100, 100]);
    expect(receiver.deliveries.every((d) => verify(d))).toBe(true);

    receiver.deliveries.length = 0;
    await hubspot.crm.deals.basicApi.create({ properties: { dealname: 'Hooked deal' }, associations: [] });
    await hubspot.crm.contacts.basicApi.update(seedContact.ids.hubspotContactId, {
      properties: { city: 'Truro' },
    });
    await settle();
    const sent = receiver.deliveries.flatMap(events);
    expect(sent.map((e) => e.subscriptionType)).toEqual(['deal.creation']);
  });

  it('retries after a 500, re-signed with the next attemptNumber', async () => {
    receiver.respond((i) => (i === 0 ? 500 : 200));
    await hubspot.crm.contacts.basicApi.update(seedContact.ids.hubspotContactId, {
      properties: { firstname: 'Retry' },
    });
    const [first, second] = await receiver.waitFor(2);
    expect(first!.status).toBe(500);
    expect(second!.status).toBe(200);
    const [a, b] = [events(first!)[0]!, events(second!)[0]!];
    expect(b.eventId).toBe(a.eventId);
    expect([a.attemptNumber, b.attemptNumber]).toEqual([0, 1]);
    expect(verify(first!)).toBe(true);
    expect(verify(second!)).toBe(true);
    await settle();
    const log = await admin(sandbox, 'webhooks');
    const record = (log.body.deliveries as Array<{ attempts: number; state: string }>).at(-1);
    expect(record).toMatchObject({ attempts: 2, state: 'delivered' });
  });

  it('sends duplicates when asked, with the same event ids', async () => {
    await admin(sandbox, 'webhooks/settings', { duplicate: 1 });
    await hubspot.crm.contacts.basicApi.update(seedContact.ids.hubspotContactId, {
      properties: { firstname: 'Twice' },
    });
    const [one, two] = await receiver.waitFor(2);
    expect(events(one!).map((e) => e.eventId)).toEqual(events(two!).map((e) => e.eventId));
    expect(verify(one!) && verify(two!)).toBe(true);
  });

  it('releases held deliveries newest first in out-of-order mode', async () => {
    await admin(sandbox, 'webhooks/settings', { outOfOrder: true });
    const id = seedContact.ids.hubspotContactId;
    await hubspot.crm.contacts.basicApi.update(id, { properties: { firstname: 'First' } });
    await settle();
    await hubspot.crm.contacts.basicApi.update(id, { properties: { firstname: 'Second' } });
    await settle();
    expect(receiver.deliveries).toHaveLength(0);
    await admin(sandbox, 'webhooks/flush', {});
    const [a, b] = await receiver.waitFor(2);
    expect([events(a!)[0]?.propertyValue, events(b!)[0]?.propertyValue]).toEqual(['Second', 'First']);
    expect(events(a!)[0]!.eventId).toBeGreaterThan(events(b!)[0]!.eventId);
  });

  it('keeps the app configuration across a data reset', async () => {
    await fetch(`${sandbox.url}/__sandbox/reset`, { method: 'POST' });
    await hubspot.crm.contacts.basicApi.create({ properties: { firstname: 'AfterReset' }, associations: [] });
    const [delivery] = await receiver.waitFor(1);
    expect(events(delivery!)[0]?.subscriptionType).toBe('contact.creation');
  });
});
