import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore, type TestStore } from '../../harness/stores.ts';
import { SourceError } from '../domain/errors.ts';
import { createConnections } from './connections.ts';

// Console connections over a real store: the token store the providers are given follows the
// connection (environment, new lineage, disconnected), and keys are sealed.
let t: TestStore;
beforeAll(async () => {
  t = await openTestStore('sqlite');
});
afterAll(() => t.drop());

const TOKENS = { accessToken: 'at-1', refreshToken: 'rt-1', expiresInMs: 1_800_000 };

describe('connections', () => {
  it('the token store reads the environment lineage until a connection, then only the connection', async () => {
    const connections = createConnections(t.store);
    const configured = {
      load: () => Promise.resolve('env-rotated'),
      save: () => Promise.resolve(),
    };
    const store = connections.tokenStore('ws1', 'xero', configured);
    expect(await store.load()).toBe('env-rotated');
    let changes = 0;
    connections.onChange('ws1', 'xero', () => changes++);
    await connections.saveTokens('ws1', 'xero', TOKENS, 'key_1');
    expect(changes).toBe(1);
    expect(await store.load()).toBe('rt-1');
    expect(JSON.parse((await store.shared!.load())!)).toMatchObject({ accessToken: 'at-1' });
    await store.save('rt-2');
    expect(await store.load()).toBe('rt-2');
  });

  it('a rotation read before a reconnect is written to the lineage it came from, never the new one', async () => {
    const connections = createConnections(t.store);
    await connections.saveTokens('ws2', 'xero', TOKENS, 'key_1');
    const store = connections.tokenStore('ws2', 'xero', undefined);
    expect(await store.load()).toBe('rt-1');
    await connections.saveTokens('ws2', 'xero', { ...TOKENS, refreshToken: 'rt-new' }, 'key_1');
    await store.save('rt-1-rotated'); // the refresh that started before the reconnect
    expect(await store.load()).toBe('rt-new');
  });

  it('after a disconnect, refreshes and keys fail with "not connected"', async () => {
    const connections = createConnections(t.store);
    await connections.saveKey('ws3', 'stripe', 'rk_test_abc', 'key_1');
    expect(await connections.apiKey('ws3', 'stripe', 'sk_env')).toBe('rk_test_abc');
    const raw = await t.store.db
      .selectFrom('source_state')
      .select(['key', 'value'])
      .where('workspace_id', '=', 'ws3')
      .execute();
    expect(raw.some((r) => r.value.includes('rk_test_abc'))).toBe(false);
    await connections.disconnect('ws3', 'stripe', 'key_1');
    await expect(connections.apiKey('ws3', 'stripe', 'sk_env')).rejects.toThrow(
      /not connected: connect it from the console/,
    );
    const store = connections.tokenStore('ws3', 'stripe', undefined);
    await expect(store.load()).rejects.toBeInstanceOf(SourceError);
    expect(
      (
        await t.store.db.selectFrom('source_state').select('key').where('workspace_id', '=', 'ws3').execute()
      ).map((r) => r.key),
    ).toEqual(['connection']);
  });

  it('forgetAll brings back the environment (sandbox mode at start)', async () => {
    const connections = createConnections(t.store);
    await connections.disconnect('ws4', 'stripe', 'key_1');
    expect(await connections.forgetAll()).toBeGreaterThan(0);
    expect(await connections.apiKey('ws4', 'stripe', 'sk_env')).toBe('sk_env');
    expect(await connections.current('ws1', 'xero')).toBeUndefined();
  });
});
