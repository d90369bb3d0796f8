import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore, storeKinds, type TestStore } from '../../harness/stores.ts';
import { createSecretBox, SecretOpenError, type SecretBox } from '../security/secrets.ts';
import { createChannelStore } from '../webhooks/channels.ts';
import { createSourceStateRepository } from './source-state.ts';
import {
  isSecretStateKey,
  pushChannelContext,
  sealStoredSecrets,
  sourceStateContext,
} from './secrets-at-rest.ts';
import { storeSecrets } from './store.ts';

const T0 = new Date('2026-11-23T10:00:00.000Z');

describe.each(storeKinds)('secrets at rest on %s', (kind) => {
  let t: TestStore;
  beforeAll(async () => {
    t = await openTestStore(kind);
  });
  afterAll(() => t.drop());

  /** Rows as stored, by key, for one workspace. */
  const rawState = async (workspace: string) =>
    new Map(
      (
        await t.store.db
          .selectFrom('source_state')
          .select(['key', 'value'])
          .where('workspace_id', '=', workspace)
          .execute()
      ).map((r) => [r.key, r.value]),
    );
  const rawToken = async (workspace: string, channelId: string) =>
    (
      await t.store.db
        .selectFrom('push_channels')
        .select('token')
        .where('workspace_id', '=', workspace)
        .where('channel_id', '=', channelId)
        .executeTakeFirstOrThrow()
    ).token;

  it('stores refresh tokens, access tokens and the webhook secret sealed, everything else plain', async () => {
    const state = createSourceStateRepository(t.store);
    const tokens = state.tokenStore('ws-seal', 'xero', 'lin1');
    await tokens.save('rt-secret-1');
    await tokens.shared!.save('{"accessToken":"at-secret-1"}');
    await state.set('ws-seal', 'stripe', 'webhook_secret', 'whsec_secret1');
    await state.set('ws-seal', 'google_calendar', 'sync_token', 'sync-1');
    expect(await tokens.shared!.acquireLease('me', 15_000, T0)).toBe(true);

    const raw = await rawState('ws-seal');
    for (const [key, plaintext] of [
      ['refresh_token:lin1', 'rt-secret-1'],
      ['access_token:lin1', 'at-secret-1'],
      ['webhook_secret', 'whsec_secret1'],
    ] as const) {
      expect(raw.get(key)).toMatch(new RegExp(`^enc:v1:${t.store.secrets.keyId}:`));
      expect(raw.get(key)).not.toContain(plaintext);
    }
    expect(raw.get('sync_token')).toBe('sync-1');
    expect(JSON.parse(raw.get('refresh_lock:lin1')!)).toMatchObject({ holder: 'me' });

    // Read back opened, by a repository made from the handle alone too (the store's key is found).
    for (const repo of [state, createSourceStateRepository(t.store.db)]) {
      expect(await repo.tokenStore('ws-seal', 'xero', 'lin1').load()).toBe('rt-secret-1');
      expect(await repo.get('ws-seal', 'xero', 'access_token:lin1')).toBe('{"accessToken":"at-secret-1"}');
      expect(await repo.get('ws-seal', 'stripe', 'webhook_secret')).toBe('whsec_secret1');
    }
    // Leases still work on their plain rows: another holder is refused, the holder gives it back.
    expect(await tokens.shared!.acquireLease('other', 15_000, T0)).toBe(false);
    await tokens.shared!.releaseLease('me');
    expect(await tokens.shared!.acquireLease('other', 15_000, T0)).toBe(true);
    await expect(state.acquireLease('ws-seal', 'xero', 'refresh_token:lin1', 'me', 1_000)).rejects.toThrow(
      /holds a secret, not a lease/,
    );
  });

  it('a sealed value moved to another row, or read with another key, does not open', async () => {
    const state = createSourceStateRepository(t.store);
    await state.set('ws-move', 'stripe', 'webhook_secret', 'whsec_a');
    const sealed = (await rawState('ws-move')).get('webhook_secret')!;
    await insertPlain(t, 'ws-move2', 'stripe', 'webhook_secret', sealed);
    await expect(state.get('ws-move2', 'stripe', 'webhook_secret')).rejects.toThrow(
      /does not open with encryption key .*copied from another row/,
    );
    await t.store.db.deleteFrom('source_state').where('workspace_id', '=', 'ws-move2').execute();
    const stranger = createSourceStateRepository({
      db: t.store.db,
      secrets: createSecretBox({ key: randomBytes(32) }),
    });
    await expect(stranger.get('ws-move', 'stripe', 'webhook_secret')).rejects.toThrow(SecretOpenError);
  });

  it('push channel tokens are sealed, and a notification is checked against the opened token', async () => {
    const channels = createChannelStore(t.store, 'ws-chan', 'google_calendar');
    const expiresAt = new Date(Date.now() + 3_600_000);
    await channels.save({ channelId: 'ch-1', token: 'channel-token-1', resourceId: 'res-1', expiresAt });
    const raw = await rawToken('ws-chan', 'ch-1');
    expect(raw).toMatch(/^enc:v1:/);
    expect(raw).not.toContain('channel-token-1');
    expect(await channels.registry.find('ch-1')).toEqual({
      token: 'channel-token-1',
      resourceId: 'res-1',
      expiresAt,
    });
    expect(
      await createChannelStore(t.store.db, 'ws-chan', 'google_calendar').registry.find('ch-1'),
    ).toMatchObject({
      token: 'channel-token-1',
    });
    expect(await channels.current()).toMatchObject({ channelId: 'ch-1' });
  });

  it('legacy plaintext rows are read as they are, then sealed by sealStoredSecrets (once)', async () => {
    const ws = `ws-legacy-${kind}`;
    await insertPlain(t, ws, 'xero', 'refresh_token:old', 'rt-legacy');
    await insertPlain(t, ws, 'xero', 'access_token:old', '{"accessToken":"at-legacy"}');
    await insertPlain(t, ws, 'stripe', 'webhook_secret', 'whsec_legacy');
    await insertPlain(t, ws, 'google_calendar', 'sync_token', 'sync-legacy');
    await insertPlain(
      t,
      ws,
      'xero',
      'refresh_lock:old',
      JSON.stringify({ holder: 'h', expiresAt: T0.toISOString() }),
    );
    await t.store.db
      .insertInto('push_channels')
      .values({
        workspace_id: ws,
        source: 'google_calendar',
        channel_id: 'ch-legacy',
        token: 'channel-legacy',
        resource_id: null,
        expires_at: new Date(Date.now() + 3_600_000).toISOString(),
        created_at: T0.toISOString(),
      })
      .execute();
    const state = createSourceStateRepository(t.store);
    expect(await state.tokenStore(ws, 'xero', 'old').load()).toBe('rt-legacy');
    expect(await state.get(ws, 'stripe', 'webhook_secret')).toBe('whsec_legacy');
    expect((await createChannelStore(t.store, ws, 'google_calendar').registry.find('ch-legacy'))?.token).toBe(
      'channel-legacy',
    );

    // Other tests' rows are sealed already: only these four are plaintext.
    const report = await sealStoredSecrets(t.store);
    expect(report).toEqual({ sealed: 4, resealed: 0 });
    expect(await sealStoredSecrets(t.store)).toEqual({ sealed: 0, resealed: 0 });

    const raw = await rawState(ws);
    for (const [key, value] of raw) {
      if (isSecretStateKey(key)) expect(value).toMatch(new RegExp(`^enc:v1:${t.store.secrets.keyId}:`));
      else expect(value).not.toMatch(/^enc:/);
    }
    expect(raw.get('sync_token')).toBe('sync-legacy');
    expect(await rawToken(ws, 'ch-legacy')).toMatch(/^enc:v1:/);
    expect(await state.tokenStore(ws, 'xero', 'old').load()).toBe('rt-legacy');
    expect(await state.get(ws, 'xero', 'access_token:old')).toBe('{"accessToken":"at-legacy"}');
    expect(await state.get(ws, 'stripe', 'webhook_secret')).toBe('whsec_legacy');
    expect((await createChannelStore(t.store, ws, 'google_calendar').registry.find('ch-legacy'))?.token).toBe(
      'channel-legacy',
    );
  });

  it('key rotation: the new key opens what the old one sealed, and sealStoredSecrets reseals it all', async () => {
    // A store of its own, so the counts are this test's.
    const r = await openTestStore(kind);
    try {
      const oldKey = randomBytes(32);
      const newKey = randomBytes(32);
      const before = { db: r.store.db, secrets: createSecretBox({ key: oldKey }) };
      const state = createSourceStateRepository(before);
      await state.tokenStore('ws', 'xero', 'lin').save('rt-rotate');
      await state.tokenStore('ws', 'xero', 'lin').shared!.save('{"accessToken":"at-rotate"}');
      await state.set('ws', 'stripe', 'webhook_secret', 'whsec_rotate');
      await createChannelStore(before, 'ws', 'google_calendar').save({
        channelId: 'ch',
        token: 'channel-rotate',
        resourceId: null,
        expiresAt: new Date(Date.now() + 3_600_000),
      });
      await insertPlain(r, 'ws', 'xero', 'refresh_token:plain', 'rt-plain');

      // Without the old key, nothing sealed with it opens, and the pass says which key is missing.
      const withoutOld: { db: typeof r.store.db; secrets: SecretBox } = {
        db: r.store.db,
        secrets: createSecretBox({ key: newKey }),
      };
      const oldId = before.secrets.keyId;
      await expect(
        createSourceStateRepository(withoutOld).get('ws', 'stripe', 'webhook_secret'),
      ).rejects.toThrow(`sealed with encryption key ${oldId}, which is not configured`);
      // It still seals the plaintext one, and reports the rest.
      await expect(sealStoredSecrets(withoutOld)).rejects.toThrow(
        new RegExp(
          `^4 secret\\(s\\) in the store could not be opened \\(sealed with key ${oldId}, not configured\\)`,
        ),
      );

      const after = { db: r.store.db, secrets: createSecretBox({ key: newKey, previous: [oldKey] }) };
      const rotated = createSourceStateRepository(after);
      expect(await rotated.get('ws', 'stripe', 'webhook_secret')).toBe('whsec_rotate');
      expect(await sealStoredSecrets(after)).toEqual({ sealed: 0, resealed: 4 });
      expect(await sealStoredSecrets(after)).toEqual({ sealed: 0, resealed: 0 });

      // Now the new key alone is enough.
      const newOnly = { db: r.store.db, secrets: createSecretBox({ key: newKey }) };
      const state2 = createSourceStateRepository(newOnly);
      expect(await state2.tokenStore('ws', 'xero', 'lin').load()).toBe('rt-rotate');
      expect(await state2.get('ws', 'xero', 'access_token:lin')).toBe('{"accessToken":"at-rotate"}');
      expect(await state2.get('ws', 'stripe', 'webhook_secret')).toBe('whsec_rotate');
      expect(await state2.tokenStore('ws', 'xero', 'plain').load()).toBe('rt-plain');
      expect((await createChannelStore(newOnly, 'ws', 'google_calendar').registry.find('ch'))?.token).toBe(
        'channel-rotate',
      );
      const keyIds = (await r.store.db.selectFrom('source_state').select('value').execute())
        .map((row) => row.value)
        .filter((v) => v.startsWith('enc:'))
        .map((v) => v.split(':')[2]);
      expect(new Set(keyIds)).toEqual(new Set([newOnly.secrets.keyId]));
    } finally {
      await r.drop();
    }
  });

  it('contexts name the table and row, and a colon in a part cannot make two rows alike', () => {
    expect(sourceStateContext('ws1', 'xero', 'refresh_token:abc')).toBe(
      'source_state:ws1:xero:refresh_token%3Aabc',
    );
    expect(sourceStateContext('a:b', 'xero', 'k')).not.toBe(sourceStateContext('a', 'b:xero', 'k'));
    expect(pushChannelContext('ws1', 'google_calendar', 'ch')).toBe('push_channels:ws1:google_calendar:ch');
  });

  it('a handle that did not come from openStore is refused rather than written in clear', async () => {
    await t.store.db.transaction().execute(async (trx) => {
      expect(() => createSourceStateRepository(trx)).toThrow(/did not come from openStore/);
    });
    expect(storeSecrets(t.store.db).secrets).toBe(t.store.secrets);
  });
});

/** A row written as an install before encryption wrote it (or as it is copied around). */
async function insertPlain(t: TestStore, workspace: string, system: string, key: string, value: string) {
  await t.store.db
    .insertInto('source_state')
    .values({ workspace_id: workspace, system, key, value, updated_at: T0.toISOString() })
    .execute();
}
