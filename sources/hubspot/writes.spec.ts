import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SourceError } from '../../src/domain/errors.ts';
import type { WriteOptions } from '../../src/domain/ports.ts';
import { customerAt, generateBusiness } from '../../src/sandbox/seed/business.ts';
import type { VendorSandbox } from '../../src/sandbox/types.ts';
import { clearFaults, clearRequestLog, injectFault, requestLog } from '../../harness/sandbox-admin.ts';
import { startHubspotSandbox } from './sandbox/server.ts';
import { createHubspotSource, type HubspotSource } from './source.ts';

const now = new Date('2026-11-23T00:00:00Z');
const business = generateBusiness({ now });
const inHubspot = business.customers.filter((c) => customerAt(c, 'hubspot'));

let sandbox: VendorSandbox;
let source: HubspotSource;
let counter = 0;

beforeAll(async () => {
  sandbox = await startHubspotSandbox({ business, limits: { tenSecondly: 10_000, searchPerSecond: 1_000 } });
  source = createHubspotSource({
    baseUrl: sandbox.url,
    accessToken: sandbox.credentials.accessToken as string,
    portalId: sandbox.credentials.portalId,
  });
});
afterAll(async () => {
  await source.close();
  await sandbox.close();
});
beforeEach(async () => {
  await clearFaults(sandbox.url);
  await clearRequestLog(sandbox.url);
});

/** A fresh person (and the step's idempotency key) per test. */
function person() {
  counter++;
  return {
    input: {
      email: `Writer.${counter}@Example.test`,
      firstName: 'Wren',
      lastName: `Writer${counter}`,
      phone: '+44 7700 900' + String(100 + counter),
      company: null,
      switchboardId: `sb_person_${counter}`,
    },
    options: { idempotencyKey: `op_${counter}:hubspot` } satisfies WriteOptions,
  };
}

/** The sandbox's own view of a contact, straight from its HubSpot API. */
async function hubspotContact(id: string, idProperty?: string): Promise<Record<string, string | null>> {
  const url = new URL(`${sandbox.url}/crm/v3/objects/contacts/${encodeURIComponent(id)}`);
  url.searchParams.set(
    'properties',
    'email,firstname,lastname,phone,company,lifecyclestage,switchboard_id,next_booking_date',
  );
  if (idProperty) url.searchParams.set('idProperty', idProperty);
  const res = await fetch(url, {
    headers: { authorization: `Bearer ${sandbox.credentials.accessToken as string}` },
  });
  if (res.status !== 200) throw new Error(`GET contact ${id} answered ${res.status}`);
  return ((await res.json()) as { properties: Record<string, string | null> }).properties;
}

/** How many contacts have this email (any case), through the sandbox's search. */
async function contactsWithEmail(email: string): Promise<number> {
  const res = await fetch(`${sandbox.url}/crm/v3/objects/contacts/search`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${sandbox.credentials.accessToken as string}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({
      filterGroups: [{ filters: [{ propertyName: 'email', operator: 'EQ', value: email.toLowerCase() }] }],
    }),
  });
  return ((await res.json()) as { total: number }).total;
}

async function contactCount(): Promise<number> {
  const res = await fetch(`${sandbox.url}/__sandbox`);
  return ((await res.json()) as { records: { contacts: number } }).records.contacts;
}

async function editInHubspotUi(id: string, properties: Record<string, string>): Promise<void> {
  const res = await fetch(`${sandbox.url}/__sandbox/actions/edit-contact`, {
    method: 'POST',
    body: JSON.stringify({ id, properties }),
  });
  expect(res.status).toBe(200);
}

describe('HubSpot upsertContact', () => {
  it('creates a contact by email, stamps switchboard_id and returns it mapped like the reads', async () => {
    const { input, options } = person();
    const before = await contactCount();
    const contact = await source.upsertContact(input, options);
    expect(contact).toMatchObject({
      source: 'hubspot',
      email: input.email.toLowerCase(),
      firstName: 'Wren',
      lastName: input.lastName,
      name: `Wren ${input.lastName}`,
      phone: input.phone,
      company: null,
      url: `https://app.hubspot.com/contacts/${sandbox.credentials.portalId}/record/0-1/${contact.externalId}`,
    });
    expect(contact.createdAt).toBeInstanceOf(Date);
    // The upsert answer holds only the written properties, so the contact is read back once.
    expect((await requestLog(sandbox.url)).byOperation).toEqual({
      'contacts.batchUpsert': 1,
      'contacts.get': 1,
    });
    expect(await contactCount()).toBe(before + 1);
    const stored = await hubspotContact(input.switchboardId, 'switchboard_id');
    expect(stored).toMatchObject({
      email: input.email.toLowerCase(),
      switchboard_id: input.switchboardId,
      company: null,
    });
  });

  it('returns the same contact and creates nothing when called again with the same key', async () => {
    const { input, options } = person();
    const first = await source.upsertContact(input, options);
    const count = await contactCount();
    const again = await source.upsertContact(input, options);
    expect(again.externalId).toBe(first.externalId);
    expect(again).toEqual({ ...first, updatedAt: again.updatedAt });
    expect(await contactCount()).toBe(count);
    expect(await contactsWithEmail(input.email)).toBe(1);
  });

  it('a retry after a 503 that HubSpot answered only after creating the contact leaves exactly one contact', async () => {
    const { input, options } = person();
    const before = await contactCount();
    await injectFault(sandbox.url, {
      status: 503,
      phase: 'after',
      times: 1,
      operations: ['contacts.batchUpsert'],
    });
    const lost = await source.upsertContact(input, options).catch((e: unknown) => e);
    expect(lost).toMatchObject({ code: 'UPSTREAM_ERROR', retryable: true, status: 503 });
    // The sandbox did the work: the contact exists although the answer was lost.
    expect(await contactCount()).toBe(before + 1);

    const retried = await source.upsertContact(input, options);
    expect(retried.email).toBe(input.email.toLowerCase());
    expect(await contactCount()).toBe(before + 1);
    expect(await contactsWithEmail(input.email)).toBe(1);
    expect((await hubspotContact(input.switchboardId, 'switchboard_id')).email).toBe(
      input.email.toLowerCase(),
    );
    expect((await requestLog(sandbox.url)).byOperation['contacts.batchUpsert']).toBe(2);
  });

  it('a retry after a lost answer on any request (dropped connection, failed read-back) still makes one contact', async () => {
    const { input, options } = person();
    const before = await contactCount();
    await injectFault(sandbox.url, { drop: true, phase: 'after', times: 1 });
    expect(await source.upsertContact(input, options).catch((e: unknown) => e)).toMatchObject({
      code: 'CONNECTION_FAILED',
      retryable: true,
    });
    await injectFault(sandbox.url, { status: 503, times: 1, operations: ['contacts.get'] });
    expect(await source.upsertContact(input, options).catch((e: unknown) => e)).toMatchObject({
      code: 'UPSTREAM_ERROR',
      retryable: true,
    });
    const contact = await source.upsertContact(input, options);
    expect(await contactCount()).toBe(before + 1);
    expect((await hubspotContact(contact.externalId)).switchboard_id).toBe(input.switchboardId);
  });

  it('updates the existing contact whose email matches in another case, keeping what it omits', async () => {
    const customer = inHubspot[5]!;
    const seed = customerAt(customer, 'hubspot')!;
    const id = customer.ids.hubspotContactId;
    const before = await contactCount();
    const { options } = person();
    const contact = await source.upsertContact(
      {
        email: seed.email.toUpperCase(),
        firstName: seed.firstName,
        lastName: seed.lastName,
        phone: null,
        company: undefined,
        switchboardId: `sb_${customer.key}`,
      },
      options,
    );
    expect(contact.externalId).toBe(id);
    expect(contact.lifecycleStage).toBe(customer.lifecycleStage);
    expect(contact.phone).toBe(seed.phone ?? null);
    expect(await contactCount()).toBe(before);
    expect(await hubspotContact(id)).toMatchObject({
      switchboard_id: `sb_${customer.key}`,
      phone: seed.phone ?? null,
      company: seed.company ?? null,
    });
  });

  it('a retry after the email was changed in HubSpot returns the contact stamped with this switchboard_id', async () => {
    const { input, options } = person();
    const first = await source.upsertContact(input, options);
    await editInHubspotUi(first.externalId, { email: `changed.${counter}@example.test` });
    const count = await contactCount();
    const retried = await source.upsertContact(input, options);
    expect(retried.externalId).toBe(first.externalId);
    expect(retried.email).toBe(`changed.${counter}@example.test`);
    expect(await contactCount()).toBe(count);
    expect(await contactsWithEmail(input.email)).toBe(0);
  });

  it("says INVALID_REQUEST, not retryable, with HubSpot's message for a value HubSpot refuses", async () => {
    const { input, options } = person();
    const error = await source
      .upsertContact({ ...input, email: 'not-an-email@nowhere' }, options)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({
      code: 'INVALID_REQUEST',
      retryable: false,
      status: 400,
      vendorCode: 'VALIDATION_ERROR',
    });
    expect((error as Error).message).toContain('Email address not-an-email@nowhere is invalid');
    expect(
      await source.upsertContact({ ...input, email: '  ' }, options).catch((e: unknown) => e),
    ).toMatchObject({ code: 'INVALID_REQUEST', retryable: false });
  });

  it('passes rate limits on as retryable', async () => {
    const { input, options } = person();
    await injectFault(sandbox.url, { status: 429, retryAfterSeconds: 3, times: 1 });
    expect(await source.upsertContact(input, options).catch((e: unknown) => e)).toMatchObject({
      code: 'RATE_LIMITED',
      retryable: true,
      retryAfterMs: 3_000,
    });
  });
});

describe('HubSpot updateContact', () => {
  it('PATCHes only the given properties and returns the whole contact', async () => {
    const { input, options } = person();
    const created = await source.upsertContact({ ...input, company: 'Acme Ltd' }, options);
    await clearRequestLog(sandbox.url);
    const updated = await source.updateContact(
      created.externalId,
      { phone: '+44 7700 900999', nextBookingAt: new Date('2026-12-01T10:30:00Z') },
      options,
    );
    expect(updated).toMatchObject({
      externalId: created.externalId,
      email: input.email.toLowerCase(),
      firstName: 'Wren',
      phone: '+44 7700 900999',
      company: 'Acme Ltd',
    });
    expect((await requestLog(sandbox.url)).byOperation).toEqual({ 'contacts.update': 1, 'contacts.get': 1 });
    expect(await hubspotContact(created.externalId)).toMatchObject({
      phone: '+44 7700 900999',
      company: 'Acme Ltd',
      next_booking_date: '2026-12-01',
      lastname: input.lastName,
    });
  });

  it('clears the next booking date and other properties given as null', async () => {
    const { input, options } = person();
    const created = await source.upsertContact({ ...input, company: 'Acme Ltd' }, options);
    await source.updateContact(
      created.externalId,
      { nextBookingAt: new Date('2027-01-05T09:00:00Z') },
      options,
    );
    expect((await hubspotContact(created.externalId)).next_booking_date).toBe('2027-01-05');
    const cleared = await source.updateContact(
      created.externalId,
      { nextBookingAt: null, company: null },
      options,
    );
    expect(cleared.company).toBeNull();
    expect(await hubspotContact(created.externalId)).toMatchObject({
      next_booking_date: null,
      company: null,
      phone: input.phone,
    });
  });

  it("writes the booking's calendar day in the configured time zone", async () => {
    const london = createHubspotSource({
      baseUrl: sandbox.url,
      accessToken: sandbox.credentials.accessToken as string,
      timeZone: 'Europe/London',
    });
    try {
      const { input, options } = person();
      const created = await source.upsertContact(input, options);
      // 23:30 UTC on 1 June is 00:30 on 2 June in London (BST).
      await london.updateContact(
        created.externalId,
        { nextBookingAt: new Date('2027-06-01T23:30:00Z') },
        options,
      );
      expect((await hubspotContact(created.externalId)).next_booking_date).toBe('2027-06-02');
      await source.updateContact(
        created.externalId,
        { nextBookingAt: new Date('2027-06-01T23:30:00Z') },
        options,
      );
      expect((await hubspotContact(created.externalId)).next_booking_date).toBe('2027-06-01');
    } finally {
      await london.close();
    }
    expect(() =>
      createHubspotSource({ baseUrl: sandbox.url, accessToken: 'x', timeZone: 'Mars/Olympus_Mons' }),
    ).toThrow(RangeError);
  });

  it('a retry after a 503 that came after the PATCH was applied gives the same contact', async () => {
    const { input, options } = person();
    const created = await source.upsertContact(input, options);
    const count = await contactCount();
    await injectFault(sandbox.url, {
      status: 503,
      phase: 'after',
      times: 1,
      operations: ['contacts.update'],
    });
    const changes = { lastName: 'Renamed', nextBookingAt: new Date('2026-12-24T00:00:00Z') };
    expect(
      await source.updateContact(created.externalId, changes, options).catch((e: unknown) => e),
    ).toMatchObject({ code: 'UPSTREAM_ERROR', retryable: true });
    expect((await hubspotContact(created.externalId)).lastname).toBe('Renamed');
    const retried = await source.updateContact(created.externalId, changes, options);
    expect(retried).toMatchObject({
      externalId: created.externalId,
      lastName: 'Renamed',
      name: 'Wren Renamed',
    });
    expect(await hubspotContact(created.externalId)).toMatchObject({
      lastname: 'Renamed',
      next_booking_date: '2026-12-24',
    });
    expect(await contactCount()).toBe(count);
  });

  it('says NOT_FOUND for a contact HubSpot does not have', async () => {
    const error = await source
      .updateContact('999999999', { firstName: 'Nobody' }, { idempotencyKey: 'op_missing:hubspot' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'NOT_FOUND', retryable: false, status: 404 });
  });

  it("says INVALID_REQUEST with HubSpot's message for a refused value", async () => {
    const id = inHubspot[7]!.ids.hubspotContactId;
    const error = await source
      .updateContact(id, { email: 'broken' }, { idempotencyKey: 'op_bad:hubspot' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INVALID_REQUEST', retryable: false, status: 400 });
    expect((error as Error).message).toContain('Email address broken is invalid');
    expect(
      await source
        .updateContact(id, { nextBookingAt: new Date('nope') }, { idempotencyKey: 'op_bad:hubspot' })
        .catch((e: unknown) => e),
    ).toMatchObject({ code: 'INVALID_REQUEST', retryable: false });
  });

  it('with nothing to change, reads the contact and writes nothing', async () => {
    const customer = inHubspot[9]!;
    const contact = await source.updateContact(
      customer.ids.hubspotContactId,
      {},
      { idempotencyKey: 'op_noop:hubspot' },
    );
    expect(contact.email).toBe(customerAt(customer, 'hubspot')!.email);
    expect((await requestLog(sandbox.url)).byOperation).toEqual({ 'contacts.get': 1 });
  });
});

/** The ids of the notes on a contact's timeline, through HubSpot's v4 associations read. */
async function notesOf(contactId: string): Promise<string[]> {
  const res = await fetch(`${sandbox.url}/crm/v4/objects/contacts/${contactId}/associations/notes`, {
    headers: { authorization: `Bearer ${sandbox.credentials.accessToken as string}` },
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { results: Array<{ toObjectId: number }> };
  return body.results.map((r) => String(r.toObjectId));
}

async function hubspotNote(id: string): Promise<Record<string, string | null>> {
  const res = await fetch(
    `${sandbox.url}/crm/v3/objects/notes/${id}?properties=hs_note_body,hs_timestamp,switchboard_idempotency_key`,
    { headers: { authorization: `Bearer ${sandbox.credentials.accessToken as string}` } },
  );
  expect(res.status).toBe(200);
  return ((await res.json()) as { properties: Record<string, string | null> }).properties;
}

describe('HubSpot lifecycle stages', () => {
  it('upsert with a stage creates the contact at it, moves it on, and never back', async () => {
    const { input, options } = person();
    const created = await source.upsertContact({ ...input, stage: 'LEAD' }, options);
    expect(created).toMatchObject({ lifecycleStage: 'lead', preSale: true });
    expect((await hubspotContact(created.externalId)).lifecyclestage).toBe('lead');

    const moved = await source.upsertContact({ ...input, stage: 'CUSTOMER' }, options);
    expect(moved).toMatchObject({
      externalId: created.externalId,
      lifecycleStage: 'customer',
      preSale: false,
    });

    await clearRequestLog(sandbox.url);
    const kept = await source.upsertContact({ ...input, stage: 'OPPORTUNITY' }, options);
    expect(kept.lifecycleStage).toBe('customer');
    // An earlier stage is not even written: the upsert and its read-back, no stage PATCH.
    expect((await requestLog(sandbox.url)).byOperation).toEqual({
      'contacts.batchUpsert': 1,
      'contacts.get': 1,
    });
    expect((await hubspotContact(created.externalId)).lifecyclestage).toBe('customer');
  });

  it('updateContact moves the stage on with other changes, or alone', async () => {
    const { input, options } = person();
    const created = await source.upsertContact(input, options);
    expect(created.lifecycleStage).toBeNull();
    const opportunity = await source.updateContact(
      created.externalId,
      { company: 'Acme Ltd', stage: 'OPPORTUNITY' },
      options,
    );
    expect(opportunity).toMatchObject({ company: 'Acme Ltd', lifecycleStage: 'opportunity' });
    const customer = await source.updateContact(created.externalId, { stage: 'CUSTOMER' }, options);
    expect(customer.lifecycleStage).toBe('customer');
    const still = await source.updateContact(created.externalId, { stage: 'LEAD' }, options);
    expect(still.lifecycleStage).toBe('customer');
    expect((await hubspotContact(created.externalId)).lifecyclestage).toBe('customer');
  });

  it('leaves a contact set to `other` in HubSpot where it is', async () => {
    const { input, options } = person();
    const created = await source.upsertContact(input, options);
    await editInHubspotUi(created.externalId, { lifecyclestage: 'other' });
    const contact = await source.updateContact(created.externalId, { stage: 'CUSTOMER' }, options);
    expect(contact.lifecycleStage).toBe('other');
    expect((await hubspotContact(created.externalId)).lifecyclestage).toBe('other');
  });

  it('refuses an unknown stage before calling HubSpot', async () => {
    const { input, options } = person();
    const error = await source
      .upsertContact({ ...input, stage: 'PROSPECT' as never }, options)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({ code: 'INVALID_REQUEST' });
    expect((error as Error).message).toContain('stage must be one of LEAD, OPPORTUNITY, CUSTOMER');
    expect((await requestLog(sandbox.url)).total).toBe(0);
  });
});

describe('HubSpot addNote', () => {
  it("puts the note on the contact's timeline, with the key in switchboard_idempotency_key", async () => {
    const { input, options } = person();
    const contact = await source.upsertContact(input, options);
    const note = await source.addNote(contact.externalId, 'Asked about a Saturday slot.', options);
    expect(note.externalId).toMatch(/^\d+$/);
    expect(await notesOf(contact.externalId)).toEqual([note.externalId]);
    const stored = await hubspotNote(note.externalId);
    expect(stored).toMatchObject({
      hs_note_body: 'Asked about a Saturday slot.',
      switchboard_idempotency_key: options.idempotencyKey,
    });
    expect(Date.parse(stored.hs_timestamp ?? '')).not.toBeNaN();
  });

  it('a retry with the same key returns the first note and adds none', async () => {
    const { input, options } = person();
    const contact = await source.upsertContact(input, options);
    const first = await source.addNote(contact.externalId, 'Enquiry: deep tissue', options);
    const again = await source.addNote(contact.externalId, 'Enquiry: deep tissue', options);
    expect(again.externalId).toBe(first.externalId);
    expect(await notesOf(contact.externalId)).toEqual([first.externalId]);
    const other = await source.addNote(contact.externalId, 'Second enquiry', {
      idempotencyKey: `${options.idempotencyKey}:2`,
    });
    expect(other.externalId).not.toBe(first.externalId);
    expect(await notesOf(contact.externalId)).toHaveLength(2);
  });

  it('a retry after an answer lost once HubSpot made the note leaves exactly one note', async () => {
    const { input, options } = person();
    const contact = await source.upsertContact(input, options);
    await injectFault(sandbox.url, { status: 503, phase: 'after', times: 1, operations: ['notes.create'] });
    expect(
      await source.addNote(contact.externalId, 'Lost answer', options).catch((e: unknown) => e),
    ).toMatchObject({ code: 'UPSTREAM_ERROR', retryable: true });
    expect(await notesOf(contact.externalId)).toHaveLength(1);
    await clearRequestLog(sandbox.url);
    const retried = await source.addNote(contact.externalId, 'Lost answer', options);
    expect(await notesOf(contact.externalId)).toEqual([retried.externalId]);
    expect((await requestLog(sandbox.url)).byOperation).toMatchObject({ 'notes.create': 1, 'notes.get': 1 });
  });

  it('a note for a contact HubSpot does not have fails as a bad request, not a retry', async () => {
    const { options } = person();
    const error = await source.addNote('999999999', 'Nobody', options).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'INVALID_REQUEST', retryable: false, status: 400 });
  });

  it('refuses an empty body, a non-numeric contact id or an empty key before calling HubSpot', async () => {
    const { options } = person();
    await expect(source.addNote('123', '  ', options)).rejects.toThrow('the note body is empty');
    await expect(source.addNote('abc', 'Hi', options)).rejects.toThrow(
      'contactId must be a HubSpot contact id',
    );
    await expect(source.addNote('123', 'Hi', { idempotencyKey: ' ' })).rejects.toThrow(
      'an idempotency key is needed',
    );
    expect((await requestLog(sandbox.url)).total).toBe(0);
  });
});
