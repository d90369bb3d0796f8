import { afterEach, describe, expect, it } from 'vitest';
import { customerAt, generateBusiness, type SeedBusiness } from '../../src/sandbox/seed/business.ts';
import type { VendorSandbox } from '../../src/sandbox/types.ts';
import { startQuickbooksSandbox } from './sandbox/server.ts';
import { connect, FIXED_NOW, query } from './sandbox/testing.ts';
import { quickbooks } from './index.ts';
import { quickbooksSeedIds } from './seed-ids.ts';

let sandbox: VendorSandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

/** Everything the running sandbox serves of an entity, by Id (inactive customers too). */
async function served(token: string, statement: string, entity: string): Promise<Map<string, any>> {
  const answer = await query(sandbox!, token, `${statement} MAXRESULTS 1000`);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return new Map((answer.body.QueryResponse[entity] ?? []).map((r: any) => [r.Id, r]));
}

async function expectServedAsComputed(business: SeedBusiness) {
  sandbox = await startQuickbooksSandbox({ business });
  const token = (await connect(sandbox)).access_token;
  const ids = quickbooksSeedIds(business);
  const customers = await served(token, 'SELECT * FROM Customer WHERE Active IN (true, false)', 'Customer');
  const invoices = await served(token, 'SELECT * FROM Invoice', 'Invoice');

  // Every seed customer the books hold, and only those, under the id computed for it.
  expect(ids.people!.size).toBe(customers.size);
  for (const customer of business.customers) {
    const copy = customerAt(customer, 'xero');
    const id = ids.people!.get(customer.key);
    if (!copy) {
      expect(id).toBeUndefined();
      continue;
    }
    expect(customers.get(id!), customer.key).toMatchObject({
      GivenName: copy.firstName,
      FamilyName: copy.lastName,
      PrimaryEmailAddr: { Address: copy.email },
    });
  }
  expect(ids.invoices!.size).toBe(invoices.size);
  const seedByKey = new Map(business.invoices.map((i) => [i.key, i]));
  for (const [key, id] of ids.invoices!) {
    const seed = seedByKey.get(key)!;
    expect(invoices.get(id), key).toMatchObject({
      DocNumber: seed.number,
      CustomerRef: { value: ids.people!.get(seed.customerKey) },
    });
  }
}

describe('quickbooksSeedIds', () => {
  it('reproduces the ids the running sandbox serves for the default seed business', async () => {
    await expectServedAsComputed(generateBusiness({ now: FIXED_NOW }));
  });

  it('and for another seed and size', async () => {
    await expectServedAsComputed(generateBusiness({ now: FIXED_NOW, seed: 7, customers: 90 }));
  });

  it('is what the module publishes', () => {
    const business = generateBusiness({ now: FIXED_NOW, customers: 40 });
    expect(quickbooks.sandbox.seedIds(business)).toEqual(quickbooksSeedIds(business));
  });
});
