import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore, type TestStore } from '../../harness/stores.ts';
import { createApiKeyRepository, type ApiKeyRepository } from '../security/keys.ts';
import { ensureWebsiteKey } from './key.ts';
import { websiteOrigin } from './serve.ts';

describe('websiteOrigin', () => {
  it("is the hub's own origin, loopback for a hub on every address, and PUBLIC_URL's when set", () => {
    expect(websiteOrigin('http://127.0.0.1:4000')).toBe('http://127.0.0.1:4000');
    expect(websiteOrigin('http://[::1]:4000')).toBe('http://[::1]:4000');
    expect(websiteOrigin('http://0.0.0.0:4000')).toBe('http://127.0.0.1:4000');
    expect(websiteOrigin('http://[::]:4000')).toBe('http://127.0.0.1:4000');
    expect(websiteOrigin('http://0.0.0.0:4000', 'https://book.example.com/hub/')).toBe(
      'https://book.example.com',
    );
  });
});

describe('ensureWebsiteKey', () => {
  let t: TestStore;
  let keys: ApiKeyRepository;
  let dir: string;
  beforeAll(async () => {
    t = await openTestStore('sqlite');
    keys = createApiKeyRepository(t.store.db);
    dir = mkdtempSync(join(tmpdir(), 'website-key-'));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await t.drop();
  });

  it('makes a publishable key for the origins, keeps it in a 0600 file, reuses it for the same origins and replaces it for others', async () => {
    const file = join(dir, 'website-key');
    const origins = ['http://127.0.0.1:4000', 'https://book.example.com'];
    const first = await ensureWebsiteKey(keys, { file, workspace: 'default', origins });
    expect(first.made).toBe(true);
    expect(first.text).toMatch(/^sbpk_test_/);
    expect(readFileSync(file, 'utf8').trim()).toBe(first.text);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const record = await keys.verify(first.text);
    expect(record).toMatchObject({ kind: 'publishable', workspace: 'default', revokedAt: null });
    expect(record?.scopes.sort()).toEqual(['availability:read', 'enquiries:write']);
    expect(record?.allowedOrigins.sort()).toEqual([...origins].sort());

    // A restart on the same port: the same key, in any order of origins.
    const again = await ensureWebsiteKey(keys, {
      file,
      workspace: 'default',
      origins: [...origins].reverse(),
    });
    expect(again).toEqual({ text: first.text, made: false });

    // Another port: a new key, and the old one revoked rather than left allowing a dead origin.
    const moved = await ensureWebsiteKey(keys, {
      file,
      workspace: 'default',
      origins: ['http://127.0.0.1:4001'],
    });
    expect(moved.made).toBe(true);
    expect(moved.text).not.toBe(first.text);
    expect((await keys.verify(first.text))?.revokedAt).not.toBeNull();
    expect(readFileSync(file, 'utf8').trim()).toBe(moved.text);

    // A revoked kept key is replaced too.
    const current = await keys.verify(moved.text);
    await keys.revoke(current!.id);
    const replaced = await ensureWebsiteKey(keys, {
      file,
      workspace: 'default',
      origins: ['http://127.0.0.1:4001'],
    });
    expect(replaced.made).toBe(true);
  });

  it('keeps nothing on disk for a store in memory', async () => {
    const made = await ensureWebsiteKey(keys, {
      file: undefined,
      workspace: 'default',
      origins: ['http://x.test'],
    });
    expect(made.made).toBe(true);
  });
});
