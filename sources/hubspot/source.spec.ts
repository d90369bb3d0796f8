import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SourceError } from '../../src/domain/errors.ts';
import { generateBusiness, customerAt } from '../../src/sandbox/seed/business.ts';
import type { VendorSandbox } from '../../src/sandbox/types.ts';
import { clearFaults, clearRequestLog, injectFault, requestLog } from '../../harness/sandbox-admin.ts';
import { startHubspotSandbox } from './sandbox/server.ts';
import { createHubspotSource, type HubspotSource } from './source.ts';
import { toCrmContact } from './mappers.ts';

const now = new Date('2026-11-23T00:00:00Z');
const business = generateBusiness({ now });
const inHubspot = business.customers.filter((c) => customerAt(c, 'hubspot'));

let sandbox: VendorSandbox;
let source: HubspotSource;

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

describe('HubSpot connector', () => {
  it('reads 150 contacts with two batch/read requests, in key order, with the missing one as an error in its slot', async () => {
    const ids = inHubspot.slice(0, 150).map((c) => c.ids.hubspotContactId);
    const keys = [...ids.slice(0, 70), '999999999', ...ids.slice(70)];
    const results = await source.getContacts(keys);
    expect(results).toHaveLength(151);
    expect(results[70]).toBeInstanceOf(SourceError);
    expect((results[70] as SourceError).code).toBe('NOT_FOUND');
    const first = results[0] as { externalId: string; email: string; url: string };
    const seed = customerAt(inHubspot[0]!, 'hubspot')!;
    expect(first.externalId).toBe(ids[0]);
    expect(first.email).toBe(seed.email);
    expect(first.url).toBe(
      `https://app.hubspot.com/contacts/${sandbox.credentials.portalId}/record/0-1/${ids[0]}`,
    );
    expect((await requestLog(sandbox.url)).byOperation).toEqual({ 'contacts.batchRead': 2 });
  });

  it('finds contacts by email case-insensitively, one search for up to 100 emails', async () => {
    const emails = inHubspot.slice(0, 40).map((c) => c.email.toUpperCase());
    const found = await source.findContactsByEmail([...emails, 'nobody@nowhere.test']);
    expect(found.slice(0, 40).every((r) => Array.isArray(r) && r.length === 1)).toBe(true);
    expect(found[40]).toEqual([]);
    expect((await requestLog(sandbox.url)).byOperation).toEqual({ 'contacts.search': 1 });
  });

  it('lists every contact a page of 100 at a time', async () => {
    const all = [];
    let after: string | undefined;
    do {
      const page = await source.listContacts(after);
      all.push(...page.items);
      after = page.next;
    } while (after);
    expect(all).toHaveLength(inHubspot.length);
    expect((await requestLog(sandbox.url)).total).toBe(Math.ceil(inHubspot.length / 100));
  });

  it('searches by free text', async () => {
    const target = inHubspot[3]!;
    const page = await source.searchContacts(target.lastName, 50);
    expect(page.items.some((c) => c.externalId === target.ids.hubspotContactId)).toBe(true);
  });

  it('maps faults to SourceErrors that say whether to retry', async () => {
    await injectFault(sandbox.url, { status: 429, retryAfterSeconds: 7, times: 1 });
    const limited = await source.getContacts(['51004']).catch((e: unknown) => e);
    expect(limited).toMatchObject({
      source: 'hubspot',
      code: 'RATE_LIMITED',
      retryable: true,
      retryAfterMs: 7_000,
    });

    await injectFault(sandbox.url, { status: 503, times: 1 });
    expect(await source.listContacts().catch((e: unknown) => e)).toMatchObject({
      code: 'UPSTREAM_ERROR',
      retryable: true,
      status: 503,
    });

    await injectFault(sandbox.url, { drop: true, times: 1 });
    expect(await source.listContacts().catch((e: unknown) => e)).toMatchObject({
      code: 'CONNECTION_FAILED',
      retryable: true,
    });
  });

  it('says UNAUTHENTICATED, not retryable, for a wrong token', async () => {
    const wrong = createHubspotSource({ baseUrl: sandbox.url, accessToken: 'pat-na1-wrong' });
    const error = await wrong.listContacts().catch((e: unknown) => e);
    await wrong.close();
    expect(error).toMatchObject({
      code: 'UNAUTHENTICATED',
      retryable: false,
      vendorCode: 'INVALID_AUTHENTICATION',
    });
  });

  it('rejects a contact without an id at the boundary, naming the field', () => {
    expect(() => toCrmContact({ properties: {} }, undefined)).toThrow(
      /hubspot sent an unexpected response: contact.id/,
    );
  });
});
