import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore, storeKinds, type TestStore } from '../../harness/stores.ts';
import { createSingleUseValues } from './single-use.ts';

// What the consent state's own spec (src/connections/states.spec.ts) does not cover: the secret kept
// only until use (the console's sign-in handle), the data returned, and rows from before this module.
describe.each(storeKinds)('single-use values on %s', (kind) => {
  let t: TestStore;
  beforeAll(async () => {
    t = await openTestStore(kind);
  });
  afterAll(() => t.drop());

  const values = () =>
    createSingleUseValues<{ binding: string }>(t.store.db, { prefix: 'test_value:', ttlMs: 60_000 });
  const rows = () => t.store.db.selectFrom('source_state').select(['key', 'value']).execute();

  it('gives its data and secret back once; the secret leaves the row when used', async () => {
    const { value } = await values().issue({
      workspace: 'default',
      system: 'console',
      data: { binding: 'b1' },
      secret: 'enc:sealed-token',
    });
    expect((await rows()).some((r) => r.value.includes('enc:sealed-token'))).toBe(true);
    expect(await values().redeem('console', value)).toEqual({
      ok: true,
      workspace: 'default',
      data: { binding: 'b1' },
      secret: 'enc:sealed-token',
    });
    expect((await rows()).some((r) => r.value.includes('enc:sealed-token'))).toBe(false);
    expect(await values().redeem('console', value)).toMatchObject({
      ok: false,
      reason: 'used',
      data: { binding: 'b1' },
    });
  });

  it('expires after its TTL and refuses another system, keeping the secret out of the answer', async () => {
    const old = await values().issue({
      workspace: 'default',
      system: 'console',
      data: { binding: 'b2' },
      secret: 'enc:x',
      now: new Date(Date.now() - 61_000),
    });
    const expired = await values().redeem('console', old.value);
    expect(expired).toMatchObject({ ok: false, reason: 'expired' });
    expect(expired).not.toHaveProperty('secret');
    const other = await values().issue({ workspace: 'default', system: 'xero', data: { binding: 'b3' } });
    expect(await values().redeem('console', other.value)).toMatchObject({
      ok: false,
      reason: 'other_system',
    });
  });

  it('reads a consent state written before it (data beside expiresAt)', async () => {
    const consent = createSingleUseValues<{ actor: string }>(t.store.db, {
      prefix: 'legacy_state:',
      ttlMs: 60_000,
    });
    const { value } = await consent.issue({ workspace: 'default', system: 'xero', data: { actor: 'key_1' } });
    // Rewritten as the previous version stored it.
    const expiresAt = new Date(Date.now() + 60_000).toISOString();
    await t.store.db
      .updateTable('source_state')
      .set({ value: JSON.stringify({ actor: 'key_1', expiresAt }) })
      .where('key', 'like', 'legacy_state:%')
      .execute();
    expect(await consent.redeem('xero', value)).toEqual({
      ok: true,
      workspace: 'default',
      data: { actor: 'key_1' },
    });
  });
});
