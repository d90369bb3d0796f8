/**
 * The sandbox's notes object, v4 association reads and lifecycle stage rule, over HTTP in
 * HubSpot's wire format (the shapes the adapter and the official SDK read).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerAt, generateBusiness } from '../../../src/sandbox/seed/business.ts';
import type { VendorSandbox } from '../../../src/sandbox/types.ts';
import { decodeState, encodeState } from '../../../src/sandbox/kit/persist.ts';
import { startHubspotSandbox } from './server.ts';
import { FIXED_NOW, sdkError, sdkFor } from './test-helpers.ts';
import { AssociationSpecAssociationCategoryEnum } from '@hubspot/api-client/lib/codegen/crm/objects/notes/index.js';

const business = generateBusiness({ now: FIXED_NOW });
const contactId = business.customers.find((c) => customerAt(c, 'hubspot'))!.ids.hubspotContactId;

let sandbox: VendorSandbox;
beforeAll(async () => {
  sandbox = await startHubspotSandbox({ business, limits: { tenSecondly: 10_000 } });
});
afterAll(async () => {
  await sandbox.close();
});

async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(`${sandbox.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${sandbox.credentials.accessToken as string}`,
      'content-type': 'application/json',
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as any };
}

const toContact = (id: string) => [
  { to: { id }, types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: 202 }] },
];

describe('HubSpot sandbox notes', () => {
  it('creates a note on a contact, reads it by id and by its unique key, and lists it on the contact', async () => {
    const created = await call('POST', '/crm/v3/objects/notes', {
      properties: {
        hs_note_body: 'Wants a Saturday slot',
        hs_timestamp: '2026-11-23T09:30:00Z',
        switchboard_idempotency_key: 'op_notes_1',
      },
      associations: toContact(contactId),
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: expect.stringMatching(/^\d+$/),
      archived: false,
      properties: {
        hs_note_body: 'Wants a Saturday slot',
        hs_timestamp: '2026-11-23T09:30:00.000Z',
        hs_object_id: created.body.id,
      },
    });
    expect(created.body.properties.hs_createdate).toBeTruthy();
    const id = created.body.id as string;

    const byKey = await call(
      'GET',
      '/crm/v3/objects/notes/op_notes_1?idProperty=switchboard_idempotency_key&properties=hs_note_body',
    );
    expect(byKey).toMatchObject({
      status: 200,
      body: { id, properties: { hs_note_body: 'Wants a Saturday slot' } },
    });

    const listed = await call('GET', `/crm/v4/objects/contacts/${contactId}/associations/notes`);
    expect(listed.status).toBe(200);
    expect(listed.body.results).toContainEqual({
      toObjectId: Number(id),
      associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId: 201, label: null }],
    });
    const back = await call('GET', `/crm/v4/objects/notes/${id}/associations/contacts`);
    expect(back.body.results).toEqual([
      {
        toObjectId: Number(contactId),
        associationTypes: [{ category: 'HUBSPOT_DEFINED', typeId: 202, label: null }],
      },
    ]);
    const v3 = await call('GET', `/crm/v3/objects/contacts/${contactId}?associations=notes`);
    expect(v3.body.associations.notes.results).toContainEqual({ id, type: 'contact_to_note' });
  });

  it('refuses a second note with the same key (409), a note without hs_timestamp and one on a missing contact (400)', async () => {
    const properties = {
      hs_note_body: 'x',
      hs_timestamp: '1764000000000',
      switchboard_idempotency_key: 'op_dup',
    };
    expect((await call('POST', '/crm/v3/objects/notes', { properties })).status).toBe(201);
    const dup = await call('POST', '/crm/v3/objects/notes', { properties });
    expect(dup).toMatchObject({ status: 409, body: { status: 'error', category: 'CONFLICT' } });
    expect(dup.body.message).toMatch(/^Note already exists\. Existing ID: \d+$/);

    const untimed = await call('POST', '/crm/v3/objects/notes', { properties: { hs_note_body: 'x' } });
    expect(untimed).toMatchObject({ status: 400, body: { category: 'VALIDATION_ERROR' } });
    expect(untimed.body.message).toContain('hs_timestamp');

    const nobody = await call('POST', '/crm/v3/objects/notes', {
      properties: { hs_note_body: 'x', hs_timestamp: '1764000000000' },
      associations: toContact('999999999'),
    });
    expect(nobody).toMatchObject({
      status: 400,
      body: { category: 'VALIDATION_ERROR', subCategory: 'crm.associations.INVALID_OBJECT_IDS' },
    });
  });

  it('pages v4 associations with after and answers 404 for a missing record', async () => {
    const contact = await call('POST', '/crm/v3/objects/contacts', {
      properties: { email: 'paging.notes@example.test' },
    });
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const note = await call('POST', '/crm/v3/objects/notes', {
        properties: { hs_note_body: `n${i}`, hs_timestamp: '1764000000000' },
        associations: toContact(contact.body.id),
      });
      ids.push(note.body.id);
    }
    const first = await call('GET', `/crm/v4/objects/contacts/${contact.body.id}/associations/notes?limit=2`);
    expect(first.body.results.map((r: { toObjectId: number }) => String(r.toObjectId))).toEqual(
      ids.slice(0, 2),
    );
    const after = first.body.paging.next.after as string;
    const second = await call(
      'GET',
      `/crm/v4/objects/contacts/${contact.body.id}/associations/notes?limit=2&after=${after}`,
    );
    expect(second.body.results.map((r: { toObjectId: number }) => String(r.toObjectId))).toEqual(
      ids.slice(2),
    );
    expect(second.body.paging).toBeUndefined();
    expect((await call('GET', '/crm/v4/objects/contacts/1/associations/notes')).status).toBe(404);
  });
});

describe('HubSpot sandbox notes through the official SDK', () => {
  it('creates, reads and lists a note with @hubspot/api-client, and surfaces the 409 as an ApiException', async () => {
    const client = sdkFor(sandbox);
    const input = {
      properties: {
        hs_note_body: 'From the SDK',
        hs_timestamp: '2026-11-23T10:00:00Z',
        switchboard_idempotency_key: 'op_sdk',
      },
      associations: [
        {
          to: { id: contactId },
          types: [
            {
              associationCategory: AssociationSpecAssociationCategoryEnum.HubspotDefined,
              associationTypeId: 202,
            },
          ],
        },
      ],
    };
    const note = await client.crm.objects.notes.basicApi.create(input);
    expect(note.properties.hs_note_body).toBe('From the SDK');
    expect(note.createdAt).toBeInstanceOf(Date);

    const read = await client.crm.objects.notes.basicApi.getById(note.id, ['hs_note_body', 'hs_timestamp']);
    expect(read.properties).toMatchObject({
      hs_note_body: 'From the SDK',
      hs_timestamp: '2026-11-23T10:00:00.000Z',
    });

    const page = await client.crm.associations.v4.basicApi.getPage('contacts', contactId, 'notes');
    const mine = page.results.find((r) => String(r.toObjectId) === note.id);
    expect(mine?.associationTypes).toEqual([
      expect.objectContaining({ category: 'HUBSPOT_DEFINED', typeId: 201 }),
    ]);

    const dup = await sdkError(client.crm.objects.notes.basicApi.create(input));
    expect(dup.code).toBe(409);
    expect(dup.body).toMatchObject({
      category: 'CONFLICT',
      message: `Note already exists. Existing ID: ${note.id}`,
    });
  });
});

describe('HubSpot sandbox lifecycle stage', () => {
  const stageOf = async (id: string) =>
    (await call('GET', `/crm/v3/objects/contacts/${id}?properties=lifecyclestage`)).body.properties
      .lifecyclestage as string | null;

  it('moves forward through the API, ignores an earlier stage with a 200, and moves back once cleared', async () => {
    const created = await call('POST', '/crm/v3/objects/contacts', {
      properties: { email: 'stages@example.test', lifecyclestage: 'lead' },
    });
    const id = created.body.id as string;
    const patch = (lifecyclestage: string) =>
      call('PATCH', `/crm/v3/objects/contacts/${id}`, { properties: { lifecyclestage } });

    expect((await patch('customer')).body.properties.lifecyclestage).toBe('customer');
    const back = await patch('lead');
    expect(back.status).toBe(200);
    expect(back.body.properties.lifecyclestage).toBe('customer');
    expect(await stageOf(id)).toBe('customer');

    const upsert = await call('POST', '/crm/v3/objects/contacts/batch/upsert', {
      inputs: [
        { id: 'stages@example.test', idProperty: 'email', properties: { lifecyclestage: 'opportunity' } },
      ],
    });
    expect(upsert.status).toBe(200);
    expect(await stageOf(id)).toBe('customer');

    await patch('');
    expect(await stageOf(id)).toBeNull();
    await patch('lead');
    expect(await stageOf(id)).toBe('lead');
  });

  it('lets a user in the HubSpot UI set any stage', async () => {
    const created = await call('POST', '/crm/v3/objects/contacts', {
      properties: { email: 'ui.stages@example.test', lifecyclestage: 'customer' },
    });
    const res = await fetch(`${sandbox.url}/__sandbox/actions/edit-contact`, {
      method: 'POST',
      body: JSON.stringify({ id: created.body.id, properties: { lifecyclestage: 'subscriber' } }),
    });
    expect(res.status).toBe(200);
    expect(await stageOf(created.body.id)).toBe('subscriber');
  });
});

describe('HubSpot sandbox state', () => {
  it('keeps notes and their associations across a snapshot and restore', async () => {
    const note = await call('POST', '/crm/v3/objects/notes', {
      properties: {
        hs_note_body: 'kept',
        hs_timestamp: '1764000000000',
        switchboard_idempotency_key: 'op_kept',
      },
      associations: toContact(contactId),
    });
    const saved = decodeState(encodeState(sandbox.state!.snapshot()));
    await fetch(`${sandbox.url}/__sandbox/reset`, { method: 'POST' });
    expect((await call('GET', `/crm/v3/objects/notes/${note.body.id}`)).status).toBe(404);
    sandbox.state!.restore(saved);
    expect(
      (await call('GET', '/crm/v3/objects/notes/op_kept?idProperty=switchboard_idempotency_key')).body.id,
    ).toBe(note.body.id);
    const listed = await call('GET', `/crm/v4/objects/contacts/${contactId}/associations/notes`);
    expect(listed.body.results.map((r: { toObjectId: number }) => String(r.toObjectId))).toContain(
      note.body.id,
    );
  });

  it('restores state saved before the sandbox had notes, with none', async () => {
    const saved = decodeState(encodeState(sandbox.state!.snapshot())) as {
      store: {
        records: Record<string, unknown>;
        lastId: Record<string, unknown>;
        idRandom: Record<string, unknown>;
      };
    };
    delete saved.store.records.notes;
    delete saved.store.lastId.notes;
    delete saved.store.idRandom.notes;
    sandbox.state!.restore(saved);
    const listed = await call('GET', `/crm/v4/objects/contacts/${contactId}/associations/notes`);
    expect(listed).toMatchObject({ status: 200, body: { results: [] } });
    const note = await call('POST', '/crm/v3/objects/notes', {
      properties: { hs_note_body: 'after restore', hs_timestamp: '1764000000000' },
      associations: toContact(contactId),
    });
    expect(note.status).toBe(201);
  });
});
