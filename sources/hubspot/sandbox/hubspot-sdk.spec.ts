/**
 * The official @hubspot/api-client against the sandbox: contacts and deals (basic, batch,
 * search), errors as the SDK surfaces them.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Client } from '@hubspot/api-client';
import {
  AssociationSpecAssociationCategoryEnum,
  FilterOperatorEnum,
  type SimplePublicObject,
} from '@hubspot/api-client/lib/codegen/crm/contacts/index.js';
import { customerAt, generateBusiness, type SeedBusiness } from '../../../src/sandbox/seed/business.ts';
import type { VendorSandbox } from '../../../src/sandbox/types.ts';
import { startHubspotSandbox } from './server.ts';
import { FIXED_NOW, sdkError, sdkFor } from './test-helpers.ts';

let business: SeedBusiness;
let sandbox: VendorSandbox;
let hubspot: Client;

const seedContacts = () =>
  business.customers.flatMap((c) => {
    const person = customerAt(c, 'hubspot');
    return person ? [{ customer: c, person, id: c.ids.hubspotContactId }] : [];
  });

beforeAll(async () => {
  business = generateBusiness({ now: FIXED_NOW });
  // Lots of searches in a row: lift the 5/s search limit here (limits have their own spec).
  sandbox = await startHubspotSandbox({
    business,
    limits: { tenSecondly: 100_000, searchPerSecond: 100_000 },
  });
  hubspot = sdkFor(sandbox);
});

beforeEach(async () => {
  await fetch(`${sandbox.url}/__sandbox/reset`, { method: 'POST' });
});

afterAll(async () => {
  await sandbox.close();
});

const raw = (path: string, init: RequestInit = {}) =>
  fetch(`${sandbox.url}${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${sandbox.credentials.accessToken}`,
      'content-type': 'application/json',
      ...init.headers,
    },
  });

describe('contacts basic API', () => {
  it('pages through every seed contact with `after`', async () => {
    const expected = seedContacts();
    const ids: string[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const page = await hubspot.crm.contacts.basicApi.getPage(100, after);
      pages++;
      ids.push(...page.results.map((r) => r.id));
      after = page.paging?.next?.after;
    } while (after);
    expect(pages).toBe(Math.ceil(expected.length / 100));
    expect(ids).toEqual(expected.map((e) => e.id));
    expect(new Set(ids).size).toBe(ids.length);
    // The SDK's own paging helper sees the same.
    const all = await hubspot.crm.contacts.getAll(37);
    expect(all.map((r) => r.id)).toEqual(ids);
  });

  it('returns the default properties only, with the seed values', async () => {
    const { person, id, customer } = seedContacts()[3]!;
    const contact = await hubspot.crm.contacts.basicApi.getById(id);
    expect(Object.keys(contact.properties).sort()).toEqual(
      ['createdate', 'email', 'firstname', 'hs_object_id', 'lastmodifieddate', 'lastname'].sort(),
    );
    expect(contact.properties).toMatchObject({
      firstname: person.firstName,
      lastname: person.lastName,
      email: person.email,
      hs_object_id: id,
    });
    expect(contact.createdAt.toISOString()).toBe(customer.createdAt.toISOString());
    expect(contact.archived).toBe(false);
  });

  it('getById with properties: SDK, repeated and comma-separated query forms agree', async () => {
    const { person, id, customer } = seedContacts()[5]!;
    const contact = await hubspot.crm.contacts.basicApi.getById(id, ['phone', 'city', 'nosuchproperty']);
    expect(contact.properties).toEqual({
      phone: person.phone,
      city: customer.city,
      createdate: customer.createdAt.toISOString(),
      lastmodifieddate: customer.createdAt.toISOString(),
      hs_object_id: id,
    });
    const repeated = await (
      await raw(`/crm/v3/objects/contacts/${id}?properties=phone&properties=city`)
    ).json();
    const comma = await (await raw(`/crm/v3/objects/contacts/${id}?properties=phone,city`)).json();
    expect(repeated).toEqual(comma);
    expect((repeated as { properties: unknown }).properties).toEqual(contact.properties);
  });

  it('finds a contact by email with idProperty=email, ignoring case', async () => {
    const { person, id } = seedContacts()[10]!;
    const contact = await hubspot.crm.contacts.basicApi.getById(
      person.email.toUpperCase(),
      ['firstname'],
      undefined,
      undefined,
      false,
      'email',
    );
    expect(contact.id).toBe(id);
    const missing = await sdkError(
      hubspot.crm.contacts.basicApi.getById(
        'nobody@example.com',
        undefined,
        undefined,
        undefined,
        false,
        'email',
      ),
    );
    expect(missing.code).toBe(404);
    expect(missing.body.category).toBe('OBJECT_NOT_FOUND');
  });

  it('creates, updates and archives a contact', async () => {
    const created = await hubspot.crm.contacts.basicApi.create({
      properties: {
        email: 'new.person@example.com',
        firstname: 'New',
        lifecyclestage: 'lead',
        next_booking_date: '2026-12-01',
      },
      associations: [],
    });
    expect(created.id).toMatch(/^\d+$/);
    expect(Number(created.id)).toBeGreaterThan(Math.max(...seedContacts().map((c) => Number(c.id))));
    expect(created.properties).toMatchObject({ email: 'new.person@example.com', hs_object_id: created.id });

    const updated = await hubspot.crm.contacts.basicApi.update(created.id, {
      properties: { firstname: 'Renamed', phone: '+44 7700 900123', switchboard_id: 'cus_abc' },
    });
    expect(updated.properties).toMatchObject({ firstname: 'Renamed', phone: '+44 7700 900123' });
    expect(updated.updatedAt.getTime()).toBeGreaterThanOrEqual(created.updatedAt.getTime());

    const bySwitchboardId = await hubspot.crm.contacts.basicApi.getById(
      'cus_abc',
      ['firstname', 'next_booking_date', 'lifecyclestage'],
      undefined,
      undefined,
      false,
      'switchboard_id',
    );
    expect(bySwitchboardId.properties).toMatchObject({
      firstname: 'Renamed',
      next_booking_date: '2026-12-01',
      lifecyclestage: 'lead',
    });

    await hubspot.crm.contacts.basicApi.archive(created.id);
    expect((await sdkError(hubspot.crm.contacts.basicApi.getById(created.id))).code).toBe(404);
    const archived = await hubspot.crm.contacts.basicApi.getById(
      created.id,
      undefined,
      undefined,
      undefined,
      true,
    );
    expect(archived.archived).toBe(true);
    expect(archived.archivedAt).toBeInstanceOf(Date);
    // The email is free again once the contact is archived.
    await hubspot.crm.contacts.basicApi.create({
      properties: { email: 'new.person@example.com' },
      associations: [],
    });
  });

  it('rejects a duplicate email (any case) with 409 CONFLICT naming the existing id', async () => {
    const { person, id } = seedContacts()[0]!;
    const error = await sdkError(
      hubspot.crm.contacts.basicApi.create({
        properties: { email: person.email.toUpperCase() },
        associations: [],
      }),
    );
    expect(error.code).toBe(409);
    expect(error.body).toMatchObject({
      status: 'error',
      category: 'CONFLICT',
      message: `Contact already exists. Existing ID: ${id}`,
    });
  });

  it('rejects unknown properties and bad values with VALIDATION_ERROR', async () => {
    const unknown = await sdkError(
      hubspot.crm.contacts.basicApi.create({ properties: { foo: 'bar' }, associations: [] }),
    );
    expect(unknown.code).toBe(400);
    expect(unknown.body.category).toBe('VALIDATION_ERROR');
    expect(unknown.body.message).toContain('Property values were not valid');
    expect(unknown.body.errors).toEqual([
      {
        message: 'Property "foo" does not exist',
        code: 'PROPERTY_DOESNT_EXIST',
        context: { propertyName: ['foo'] },
      },
    ]);
    const badStage = await sdkError(
      hubspot.crm.contacts.basicApi.update(seedContacts()[0]!.id, { properties: { lifecyclestage: 'vip' } }),
    );
    expect(badStage.code).toBe(400);
    expect(String(badStage.body.message)).toContain('INVALID_OPTION');
    const badEmail = await sdkError(
      hubspot.crm.contacts.basicApi.create({ properties: { email: 'not an email' }, associations: [] }),
    );
    expect(String(badEmail.body.message)).toContain('INVALID_EMAIL');
    const readOnly = await sdkError(
      hubspot.crm.contacts.basicApi.update(seedContacts()[0]!.id, { properties: { hs_object_id: '1' } }),
    );
    expect(String(readOnly.body.message)).toContain('READ_ONLY_VALUE');
  });

  it('validates query parameters', async () => {
    const tooMany = await sdkError(hubspot.crm.contacts.basicApi.getPage(101));
    expect(tooMany.code).toBe(400);
    const res = await raw('/crm/v3/objects/contacts?after=abc');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR' });
  });
});

describe('deals', () => {
  it('seeds one deal per invoice, associated with its contact', async () => {
    const deals = await hubspot.crm.deals.getAll(100, undefined, [
      'dealname',
      'amount',
      'dealstage',
      'pipeline',
    ]);
    expect(deals).toHaveLength(business.invoices.length);
    const invoice = business.invoices.find((i) => i.status === 'PAID')!;
    const deal = deals.find((d) => d.properties.dealname?.startsWith(`${invoice.number} `))!;
    expect(deal.properties).toMatchObject({
      amount: String(invoice.total / 100),
      dealstage: 'closedwon',
      pipeline: 'default',
    });
    const unpaid = business.invoices.find((i) => i.status !== 'PAID')!;
    expect(
      deals.find((d) => d.properties.dealname?.startsWith(`${unpaid.number} `))?.properties.dealstage,
    ).toBe('presentationscheduled');
    const withAssociations = await hubspot.crm.deals.basicApi.getById(deal.id, undefined, undefined, [
      'contacts',
    ]);
    const customer = business.customers.find((c) => c.key === invoice.customerKey)!;
    expect(withAssociations.associations?.contacts?.results).toEqual([
      { id: customer.ids.hubspotContactId, type: 'deal_to_contact' },
    ]);
  });

  it('creates a deal with a contact association and reads it from both sides', async () => {
    const contactId = seedContacts()[2]!.id;
    const deal = await hubspot.crm.deals.basicApi.create({
      properties: {
        dealname: 'Course of 6',
        amount: '330',
        dealstage: 'appointmentscheduled',
        pipeline: 'default',
      },
      associations: [
        {
          to: { id: contactId },
          types: [
            {
              associationCategory: AssociationSpecAssociationCategoryEnum.HubspotDefined,
              associationTypeId: 3,
            },
          ],
        },
      ],
    });
    expect(deal.properties).toMatchObject({ dealname: 'Course of 6', amount: '330', hs_object_id: deal.id });
    const read = await hubspot.crm.deals.basicApi.getById(deal.id, ['amount'], undefined, ['contacts']);
    expect(read.associations?.contacts?.results).toEqual([{ id: contactId, type: 'deal_to_contact' }]);
    expect(read.properties).toHaveProperty('hs_lastmodifieddate');
    const contact = await hubspot.crm.contacts.basicApi.getById(contactId, undefined, undefined, ['deals']);
    expect(contact.associations?.deals?.results).toContainEqual({ id: deal.id, type: 'contact_to_deal' });

    const badAssociation = await sdkError(
      hubspot.crm.deals.basicApi.create({
        properties: { dealname: 'x' },
        associations: [
          {
            to: { id: '999' },
            types: [
              {
                associationCategory: AssociationSpecAssociationCategoryEnum.HubspotDefined,
                associationTypeId: 3,
              },
            ],
          },
        ],
      }),
    );
    expect(badAssociation.code).toBe(400);
  });
});

describe('batch API', () => {
  it('batch read with one bad id answers 207 with one error and the other results', async () => {
    const ids = seedContacts()
      .slice(0, 4)
      .map((c) => c.id);
    const res = await hubspot.crm.contacts.batchApi.read({
      inputs: [...ids.slice(0, 2), '999999', ...ids.slice(2)].map((id) => ({ id })),
      properties: ['email'],
      propertiesWithHistory: [],
    });
    expect(res.results.map((r) => r.id).sort()).toEqual([...ids].sort());
    expect('numErrors' in res && res.numErrors).toBe(1);
    expect('errors' in res && res.errors).toEqual([
      {
        status: 'error',
        category: 'OBJECT_NOT_FOUND',
        message:
          'Could not get some CONTACT objects, they may be deleted or not exist. Check that ids are valid.',
        context: { ids: ['999999'] },
      },
    ]);
    // The raw status is 207.
    const rawRes = await raw('/crm/v3/objects/contacts/batch/read', {
      method: 'POST',
      body: JSON.stringify({ inputs: [{ id: ids[0] }, { id: '999999' }], properties: [] }),
    });
    expect(rawRes.status).toBe(207);
    const allFound = await raw('/crm/v3/objects/contacts/batch/read', {
      method: 'POST',
      body: JSON.stringify({ inputs: [{ id: ids[0] }], properties: ['email'] }),
    });
    expect(allFound.status).toBe(200);
    expect(await allFound.json()).toMatchObject({ status: 'COMPLETE', results: [{ id: ids[0] }] });
  });

  it('batch read by email and the 100-input limit', async () => {
    const sample = seedContacts().slice(0, 3);
    const res = await hubspot.crm.contacts.batchApi.read({
      idProperty: 'email',
      inputs: sample.map((c) => ({ id: c.person.email.trim().toUpperCase() })),
      properties: ['firstname'],
      propertiesWithHistory: [],
    });
    expect(res.results.map((r) => r.id).sort()).toEqual(sample.map((c) => c.id).sort());
    const tooMany = await sdkError(
      hubspot.crm.contacts.batchApi.read({
        inputs: Array.from({ length: 101 }, (_, i) => ({ id: String(i + 1) })),
        properties: [],
        propertiesWithHistory: [],
      }),
    );
    expect(tooMany.code).toBe(400);
    expect(tooMany.body.category).toBe('VALIDATION_ERROR');
  });

  it('batch create, update (with a missing id), upsert and archive', async () => {
    const created = await hubspot.crm.contacts.batchApi.create({
      inputs: [
        { properties: { email: 'b1@example.com', firstname: 'B1' }, associations: [] },
        { properties: { email: 'b2@example.com', firstname: 'B2' }, associations: [] },
      ],
    });
    expect(created.status).toBe('COMPLETE');
    const [b1, b2] = created.results as [SimplePublicObject, SimplePublicObject];
    expect([b1.properties.email, b2.properties.email]).toEqual(['b1@example.com', 'b2@example.com']);

    const duplicate = await sdkError(
      hubspot.crm.contacts.batchApi.create({
        inputs: [{ properties: { email: 'B1@example.com' }, associations: [] }],
      }),
    );
    expect(duplicate.code).toBe(409);

    const updated = await hubspot.crm.contacts.batchApi.update({
      inputs: [
        { id: b1.id, properties: { lastname: 'One' } },
        { id: '999999', properties: { lastname: 'Nobody' } },
      ],
    });
    expect(updated.results.map((r) => [r.id, r.properties.lastname])).toEqual([[b1.id, 'One']]);
    expect('errors' in updated && updated.errors?.[0]?.context).toEqual({ ids: ['999999'] });

    const upserted = await hubspot.crm.contacts.batchApi.upsert({
      inputs: [
        { id: 'B2@EXAMPLE.COM', idProperty: 'email', properties: { lastname: 'Two' } },
        { id: 'b3@example.com', idProperty: 'email', properties: { firstname: 'B3' } },
      ],
    });
    const byEmail = new Map(upserted.results.map((r) => [r.properties.email ?? r.id, r]));
    expect(upserted.results).toHaveLength(2);
    const two = upserted.results.find((r) => r.id === b2.id)!;
    expect(two._new).toBe(false);
    expect(two.properties.lastname).toBe('Two');
    const three = byEmail.get('b3@example.com')!;
    expect(three._new).toBe(true);
    expect(three.properties.firstname).toBe('B3');

    const viaSwitchboardId = await hubspot.crm.contacts.batchApi.upsert({
      inputs: [{ id: 'sw-1', idProperty: 'switchboard_id', properties: { email: 'sw1@example.com' } }],
    });
    expect(viaSwitchboardId.results[0]?._new).toBe(true);
    const again = await hubspot.crm.contacts.batchApi.upsert({
      inputs: [{ id: 'sw-1', idProperty: 'switchboard_id', properties: { firstname: 'Same' } }],
    });
    expect(again.results[0]).toMatchObject({ id: viaSwitchboardId.results[0]?.id, _new: false });

    const badUpsert = await sdkError(
      hubspot.crm.contacts.batchApi.upsert({
        inputs: [{ id: 'x', idProperty: 'firstname', properties: {} }],
      }),
    );
    expect(badUpsert.code).toBe(400);
    const badEmailUpsert = await sdkError(
      hubspot.crm.contacts.batchApi.upsert({
        inputs: [{ id: 'not-an-email', idProperty: 'email', properties: {} }],
      }),
    );
    expect(String(badEmailUpsert.body.message)).toContain('INVALID_EMAIL');

    await hubspot.crm.contacts.batchApi.archive({ inputs: [{ id: b1.id }, { id: three.id }] });
    const after = await hubspot.crm.contacts.batchApi.read({
      inputs: [{ id: b1.id }, { id: b2.id }, { id: three.id }],
      properties: [],
      propertiesWithHistory: [],
    });
    expect(after.results.map((r) => r.id)).toEqual([b2.id]);
    expect('errors' in after && after.errors?.[0]?.context).toEqual({ ids: [b1.id, three.id] });
  });
});

describe('search API', () => {
  const eq = FilterOperatorEnum.Eq;

  it('EQ on email ignores case', async () => {
    const { person, id } = seedContacts()[7]!;
    const res = await hubspot.crm.contacts.searchApi.doSearch({
      filterGroups: [
        { filters: [{ propertyName: 'email', operator: eq, value: person.email.trim().toUpperCase() }] },
      ],
      properties: ['email', 'phone'],
      limit: 10,
    });
    expect(res.total).toBe(1);
    expect(res.results[0]?.id).toBe(id);
    expect(res.results[0]?.properties.phone).toBe(person.phone);
    expect(res.paging).toBeUndefined();
  });

  it('GTE on createdate and IN on lifecyclestage match the seed', async () => {
    const since = new Date(FIXED_NOW.getTime() - 365 * 86_400_000);
    const expected = seedContacts().filter((c) => c.customer.createdAt >= since);
    const res = await hubspot.crm.contacts.searchApi.doSearch({
      filterGroups: [
        {
          filters: [
            { propertyName: 'createdate', operator: FilterOperatorEnum.Gte, value: String(since.getTime()) },
          ],
        },
      ],
      limit: 1,
    });
    expect(res.total).toBe(expected.length);

    const leads = seedContacts().filter((c) => c.customer.lifecycleStage === 'lead');
    const byStage = await hubspot.crm.contacts.searchApi.doSearch({
      filterGroups: [
        { filters: [{ propertyName: 'lifecyclestage', operator: FilterOperatorEnum.In, values: ['lead'] }] },
      ],
      limit: 200,
    });
    expect(byStage.total).toBe(leads.length);
    expect(byStage.results.map((r) => r.id).sort()).toEqual(leads.map((l) => l.id).sort());
  });

  it('OR of two filter groups, AND inside a group', async () => {
    const [a, b] = seedContacts();
    const res = await hubspot.crm.contacts.searchApi.doSearch({
      filterGroups: [
        { filters: [{ propertyName: 'email', operator: eq, value: a!.person.email.trim() }] },
        { filters: [{ propertyName: 'email', operator: eq, value: b!.person.email.trim() }] },
      ],
      limit: 10,
    });
    expect(res.results.map((r) => r.id).sort()).toEqual([a!.id, b!.id].sort());
    const both = await hubspot.crm.contacts.searchApi.doSearch({
      filterGroups: [
        {
          filters: [
            { propertyName: 'email', operator: eq, value: a!.person.email.trim() },
            { propertyName: 'firstname', operator: FilterOperatorEnum.Neq, value: a!.person.firstName },
          ],
        },
      ],
      limit: 10,
    });
    expect(both.total).toBe(0);
  });

  it('pages with `after` until `total` results, sorted as asked', async () => {
    const filterGroups = [{ filters: [{ propertyName: 'email', operator: FilterOperatorEnum.HasProperty }] }];
    const ids: string[] = [];
    let after: string | undefined;
    let total = -1;
    do {
      const page = await hubspot.crm.contacts.searchApi.doSearch({
        filterGroups,
        sorts: [{ propertyName: 'createdate', direction: 'DESCENDING' } as unknown as string],
        properties: ['createdate'],
        limit: 40,
        after,
      });
      total = page.total;
      ids.push(...page.results.map((r) => r.id));
      after = page.paging?.next?.after;
    } while (after);
    expect(total).toBe(seedContacts().length);
    expect(ids).toHaveLength(total);
    expect(new Set(ids).size).toBe(total);
    const expectedOrder = [...seedContacts()]
      .sort((x, y) => y.customer.createdAt.getTime() - x.customer.createdAt.getTime())
      .map((c) => c.id);
    expect(ids).toEqual(expectedOrder);
  });

  it('deals: BETWEEN on amount and CONTAINS_TOKEN on dealname', async () => {
    const expected = business.invoices.filter((i) => i.total >= 5000 && i.total <= 8000);
    const res = await hubspot.crm.deals.searchApi.doSearch({
      filterGroups: [
        {
          filters: [
            { propertyName: 'amount', operator: FilterOperatorEnum.Between, value: '50', highValue: '80' },
          ],
        },
      ],
      limit: 0,
    });
    expect(res.total).toBe(expected.length);
    const one = business.invoices[0]!;
    const byName = await hubspot.crm.deals.searchApi.doSearch({
      filterGroups: [
        {
          filters: [
            { propertyName: 'dealname', operator: FilterOperatorEnum.ContainsToken, value: one.number },
          ],
        },
      ],
      limit: 5,
    });
    expect(byName.total).toBe(1);
  });

  it('rejects more than 5 groups, 6 filters per group or a limit over 200', async () => {
    const filter = { propertyName: 'email', operator: FilterOperatorEnum.HasProperty };
    const tooManyGroups = await sdkError(
      hubspot.crm.contacts.searchApi.doSearch({
        filterGroups: Array.from({ length: 6 }, () => ({ filters: [filter] })),
      }),
    );
    expect(tooManyGroups.code).toBe(400);
    expect(tooManyGroups.body.category).toBe('VALIDATION_ERROR');
    const tooManyFilters = await sdkError(
      hubspot.crm.contacts.searchApi.doSearch({
        filterGroups: [{ filters: Array.from({ length: 7 }, () => filter) }],
      }),
    );
    expect(tooManyFilters.code).toBe(400);
    const tooMany = await sdkError(hubspot.crm.contacts.searchApi.doSearch({ filterGroups: [], limit: 201 }));
    expect(tooMany.code).toBe(400);
    const badOperator = await sdkError(
      hubspot.crm.contacts.searchApi.doSearch({
        filterGroups: [
          { filters: [{ propertyName: 'email', operator: 'LIKE' as FilterOperatorEnum, value: 'x' }] },
        ],
      }),
    );
    expect(badOperator.code).toBe(400);
  });
});

describe('errors', () => {
  it('wrong or missing token: 401 INVALID_AUTHENTICATION', async () => {
    const error = await sdkError(
      sdkFor(sandbox, { accessToken: 'pat-na1-wrong' }).crm.contacts.basicApi.getPage(1),
    );
    expect(error.code).toBe(401);
    expect(error.body).toMatchObject({
      status: 'error',
      category: 'INVALID_AUTHENTICATION',
      message:
        'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview',
    });
    expect(error.body.correlationId).toMatch(/^[0-9a-f-]{36}$/);
    const missing = await fetch(`${sandbox.url}/crm/v3/objects/contacts`);
    expect(missing.status).toBe(401);
  });

  it('unknown id: 404 OBJECT_NOT_FOUND', async () => {
    const error = await sdkError(hubspot.crm.contacts.basicApi.getById('123'));
    expect(error.code).toBe(404);
    expect(error.body).toMatchObject({ status: 'error', category: 'OBJECT_NOT_FOUND' });
    const update = await sdkError(hubspot.crm.deals.basicApi.update('123', { properties: { amount: '1' } }));
    expect(update.code).toBe(404);
  });

  it('malformed JSON and wrong shapes: 400 in HubSpot shape', async () => {
    const res = await raw('/crm/v3/objects/contacts', { method: 'POST', body: '{"properties": ' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ status: 'error', category: 'VALIDATION_ERROR' });
    const notObject = await raw('/crm/v3/objects/contacts/batch/read', { method: 'POST', body: '[1,2]' });
    expect(notObject.status).toBe(400);
    const badInputs = await raw('/crm/v3/objects/contacts/batch/update', {
      method: 'POST',
      body: JSON.stringify({ inputs: 'nope' }),
    });
    expect(badInputs.status).toBe(400);
    const badProps = await raw('/crm/v3/objects/contacts', {
      method: 'POST',
      body: JSON.stringify({ properties: ['a'] }),
    });
    expect(badProps.status).toBe(400);
    const unknownPath = await raw('/crm/v3/objects/widgets');
    expect(unknownPath.status).toBe(404);
    expect(await unknownPath.json()).toMatchObject({ status: 'error' });
  });

  it('counts requests per operation in the admin log', async () => {
    await hubspot.crm.contacts.basicApi.getPage(1);
    await hubspot.crm.contacts.searchApi.doSearch({ filterGroups: [], limit: 1 });
    const log = (await (await fetch(`${sandbox.url}/__sandbox/requests`)).json()) as {
      byOperation: Record<string, number>;
    };
    expect(log.byOperation).toMatchObject({ 'contacts.list': 1, 'contacts.search': 1 });
  });
});
