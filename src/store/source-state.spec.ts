import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore, storeKinds, type TestStore } from '../../harness/stores.ts';
import { createSourceStateRepository, type SourceStateRepository } from './source-state.ts';

const T0 = new Date('2026-11-23T10:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

describe.each(storeKinds)('source state on %s', (kind) => {
  let t: TestStore;
  let state: SourceStateRepository;
  beforeAll(async () => {
    t = await openTestStore(kind);
    state = createSourceStateRepository(t.store);
  });
  afterAll(() => t.drop());

  it('keeps one value per workspace, system and key', async () => {
    await state.set('ws1', 'xero', 'k', 'one');
    await state.set('ws1', 'xero', 'k', 'two');
    await state.set('ws2', 'xero', 'k', 'other');
    expect(await state.get('ws1', 'xero', 'k')).toBe('two');
    expect(await state.get('ws2', 'xero', 'k')).toBe('other');
    expect(await state.get('ws1', 'google_calendar', 'k')).toBeUndefined();
  });

  it('a lease: one holder at a time until it is given back or expires', async () => {
    const key = 'lease:a';
    expect(await state.acquireLease('ws1', 'xero', key, 'A', 15_000, T0)).toBe(true);
    expect(await state.acquireLease('ws1', 'xero', key, 'B', 15_000, at(1_000))).toBe(false);
    // The holder may renew its own lease.
    expect(await state.acquireLease('ws1', 'xero', key, 'A', 15_000, at(2_000))).toBe(true);
    // Another holder cannot give it back.
    await state.releaseLease('ws1', 'xero', key, 'B');
    expect(await state.acquireLease('ws1', 'xero', key, 'B', 15_000, at(3_000))).toBe(false);
    await state.releaseLease('ws1', 'xero', key, 'A');
    expect(await state.get('ws1', 'xero', key)).toBeUndefined();
    expect(await state.acquireLease('ws1', 'xero', key, 'B', 15_000, at(3_000))).toBe(true);
    // B took it at +3 s for 15 s and crashed: its lease runs out at +18 s.
    expect(await state.acquireLease('ws1', 'xero', key, 'C', 15_000, at(17_999))).toBe(false);
    expect(await state.acquireLease('ws1', 'xero', key, 'C', 15_000, at(18_001))).toBe(true);
    // B, back late, neither takes it nor removes C's.
    expect(await state.acquireLease('ws1', 'xero', key, 'B', 15_000, at(18_002))).toBe(false);
    await state.releaseLease('ws1', 'xero', key, 'B');
    expect(JSON.parse((await state.get('ws1', 'xero', key)) as string)).toMatchObject({ holder: 'C' });
  });

  it('an unreadable lease row does not block for ever', async () => {
    await state.set('ws1', 'xero', 'lease:garbled', 'not json');
    expect(await state.acquireLease('ws1', 'xero', 'lease:garbled', 'A', 15_000, T0)).toBe(true);
  });

  it('of 20 racing for a free lease, exactly one gets it; of 20 racing for an expired one, too', async () => {
    const race = (key: string, now: Date) =>
      Promise.all(
        Array.from({ length: 20 }, (_, i) => state.acquireLease('ws1', 'xero', key, `h${i}`, 15_000, now)),
      );
    expect((await race('lease:race', T0)).filter(Boolean)).toHaveLength(1);
    expect((await race('lease:race', at(16_000))).filter(Boolean)).toHaveLength(1);
  });

  it('token store: refresh token, shared access-token state and lease under the lineage', async () => {
    const tokens = state.tokenStore('ws1', 'xero', 'abc123');
    expect(await tokens.load()).toBeUndefined();
    await tokens.save('rt-2');
    expect(await tokens.load()).toBe('rt-2');
    expect(await state.get('ws1', 'xero', 'refresh_token:abc123')).toBe('rt-2');
    await tokens.shared!.save('{"accessToken":"at"}');
    expect(await state.get('ws1', 'xero', 'access_token:abc123')).toBe('{"accessToken":"at"}');
    expect(await tokens.shared!.acquireLease('me', 15_000, T0)).toBe(true);
    expect(await state.get('ws1', 'xero', 'refresh_lock:abc123')).toContain('"holder":"me"');
    expect(await tokens.shared!.acquireLease('other', 15_000, T0)).toBe(false);
    await tokens.shared!.releaseLease('me');
    expect(await state.get('ws1', 'xero', 'refresh_lock:abc123')).toBeUndefined();
    // Another connection (another configured token) shares nothing with it.
    expect(await state.tokenStore('ws1', 'xero', 'def456').load()).toBeUndefined();
  });
});
