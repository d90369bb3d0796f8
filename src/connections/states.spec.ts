import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore, storeKinds, type TestStore } from '../../harness/stores.ts';
import { createConsentStates, STATE_TTL_MS } from './states.ts';

// The consent state on both stores: forged, expired, replayed, or shown at another system's callback.
describe.each(storeKinds)('consent states on %s', (kind) => {
  let t: TestStore;
  beforeAll(async () => {
    t = await openTestStore(kind);
  });
  afterAll(() => t.drop());

  const issue = (system = 'xero', now = new Date()) =>
    createConsentStates(t.store.db).issue({ workspace: 'ws1', system, actor: 'key_op', now });
  const redeem = (system: string, state: string, now?: Date) =>
    createConsentStates(t.store.db).redeem(system, state, now);

  it('works once, for its workspace, system and caller', async () => {
    const { state, expiresAt } = await issue();
    expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(expiresAt.getTime() - Date.now()).toBeGreaterThan(STATE_TTL_MS - 60_000);
    expect(await redeem('xero', state)).toEqual({ ok: true, workspace: 'ws1', actor: 'key_op' });
    expect(await redeem('xero', state)).toMatchObject({ ok: false, reason: 'used', workspace: 'ws1' });
  });

  it('is stored hashed, never as given', async () => {
    const { state } = await issue();
    const rows = await t.store.db.selectFrom('source_state').select(['key', 'value']).execute();
    expect(rows.some((r) => r.key.includes(state) || r.value.includes(state))).toBe(false);
  });

  it('refuses a forged or malformed state without using anything up', async () => {
    const { state } = await issue();
    const forged = `${state.slice(0, -1)}${state.endsWith('A') ? 'B' : 'A'}`;
    expect(await redeem('xero', forged)).toEqual({ ok: false, reason: 'unknown' });
    expect(await redeem('xero', 'not a state')).toEqual({ ok: false, reason: 'unknown' });
    expect(await redeem('xero', state)).toMatchObject({ ok: true });
  });

  it('refuses an expired state', async () => {
    const { state } = await issue('xero', new Date(Date.now() - STATE_TTL_MS - 1000));
    expect(await redeem('xero', state)).toMatchObject({ ok: false, reason: 'expired', actor: 'key_op' });
  });

  it('refuses a state made for another system, and burns it', async () => {
    const { state } = await issue('xero');
    expect(await redeem('quickbooks', state)).toMatchObject({ ok: false, reason: 'other_system' });
    expect(await redeem('xero', state)).toMatchObject({ ok: false, reason: 'used' });
  });

  it('lets exactly one of two racing callbacks through', async () => {
    const { state } = await issue();
    const results = await Promise.all([redeem('xero', state), redeem('xero', state)]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
  });
});
