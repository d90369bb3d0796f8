import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VendorSandbox } from '../../src/sandbox/types.ts';
import { generateBusiness } from '../../src/sandbox/seed/business.ts';
import { example } from './index.ts';

/** The template stays a working starting point: its module connects to its sandbox and reads. */
let sandbox: VendorSandbox;
const business = generateBusiness({ customers: 5 });
beforeAll(async () => {
  sandbox = await example.sandbox.start({ business });
});
afterAll(() => sandbox?.close());

describe('the vendor template', () => {
  it('reads its settings from the sandbox and the environment, naming what is missing', () => {
    const endpoint = { ...sandbox, name: example.label };
    expect(example.settings.fromEnv(example.settings.envFromSandbox(endpoint))).toEqual({
      settings: example.settings.fromSandbox(endpoint),
    });
    expect(example.settings.fromEnv({})).toEqual({
      problems: ['EXAMPLE_API_KEY is required to connect Example'],
    });
  });

  it('connects and reads a batch in key order, an unknown id failing alone', async () => {
    const { source } = example.connect(example.settings.fromSandbox({ ...sandbox, name: example.label }), {
      workspace: 'w',
      timeZone: 'Europe/London',
      policy: () => ({}),
      tokenStore: () => undefined,
    });
    const ids = [...example.sandbox.seedIds(business).people!.values()];
    const [first, missing, second] = await source.getContacts([ids[0]!, '999', ids[1]!]);
    expect(first).toMatchObject({ externalId: ids[0], email: business.customers[0]!.email });
    expect(missing).toMatchObject({ code: 'NOT_FOUND' });
    expect(second).toMatchObject({ externalId: ids[1] });
    await source.close();
  });
});
