import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore, storeKinds, type TestStore } from '../../harness/stores.ts';
import {
  createApiKeyRepository,
  isActive,
  keyPrefix,
  looksLikeKey,
  parseDuration,
  parseKeyText,
  type ApiKeyRecord,
  type ApiKeyRepository,
  type NewApiKey,
} from './keys.ts';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
/** A fresh workspace id, so each test lists only its own keys. */
const workspace = () => `ws_${randomBytes(4).toString('hex')}`;
/** `n` base62 characters (not uniformly random; enough for made-up ids and secrets). */
const base62 = (n: number) => Array.from(randomBytes(n), (b) => BASE62[b % 62]).join('');

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('parseKeyText and looksLikeKey', () => {
  it('reads kind, mode and id from the four prefixes and refuses anything else', () => {
    const id = 'Ab12Cd34Ef56';
    const secret = 'x'.repeat(43);
    expect(parseKeyText(`sb_test_${id}_${secret}`)).toEqual({ kind: 'secret', mode: 'test', id });
    expect(parseKeyText(`sb_live_${id}_${secret}`)).toEqual({ kind: 'secret', mode: 'live', id });
    expect(parseKeyText(`sbpk_test_${id}_${secret}`)).toEqual({ kind: 'publishable', mode: 'test', id });
    expect(parseKeyText(`sbpk_live_${id}_${secret}`)).toEqual({ kind: 'publishable', mode: 'live', id });
    for (const bad of [
      '',
      'sb_test_',
      `sb_prod_${id}_${secret}`,
      `sk_test_${id}_${secret}`,
      `SB_TEST_${id}_${secret}`,
      `sb_test_${id}_${secret}x`,
      `sb_test_${id}_${secret.slice(1)}`,
      `sb_test_${id}x_${secret}`,
      `sb_test_${id.slice(1)}_${secret}`,
      `sb_test_${id}_${'x'.repeat(42)}-`,
      ` sb_test_${id}_${secret}`,
      `sb_test_${id}_${secret}\n`,
    ]) {
      expect(parseKeyText(bad), bad).toBeUndefined();
    }
    expect(looksLikeKey(`sb_live_whatever`)).toBe(true);
    expect(looksLikeKey(`sbpk_test_`)).toBe(true);
    expect(looksLikeKey(`xsb_live_`)).toBe(false);
  });

  it('a 43-character base62 secret carries at least 256 bits', () => {
    expect(43 * Math.log2(62)).toBeGreaterThanOrEqual(256);
    expect(42 * Math.log2(62)).toBeLessThan(256);
  });
});

describe('parseDuration', () => {
  it.each([
    ['90d', 90 * DAY],
    ['12h', 12 * HOUR],
    ['30m', 30 * 60_000],
    ['45s', 45_000],
    ['0s', 0],
    [' 24h ', 24 * HOUR],
    ['7 d', 7 * DAY],
    ['999999s', 999_999_000],
  ])('%j is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '90', 'd', '1.5h', '-1h', '12H', '1w', '10ms', '1000000s', '1h30m', 'forever', '24 hours'])(
    '%j is not a duration',
    (text) => {
      expect(parseDuration(text)).toBeUndefined();
    },
  );
});

describe.each(storeKinds)('API keys on %s', (kind) => {
  let t: TestStore;
  let keys: ApiKeyRepository;
  beforeAll(async () => {
    t = await openTestStore(kind);
    keys = createApiKeyRepository(t.store.db);
  });
  afterAll(() => t.drop());

  const make = (input: Partial<NewApiKey> = {}) =>
    keys.create({
      workspace: 'ws1',
      kind: 'secret',
      mode: 'test',
      name: 'test key',
      scopes: ['customers:read'],
      ...input,
    });

  const rawRow = (id: string) =>
    t.store.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  it('makes sb_test_, sb_live_, sbpk_test_ and sbpk_live_ keys with a 12-character id and a 43-character secret', async () => {
    const cases = [
      ['secret', 'test', 'sb_test_'],
      ['secret', 'live', 'sb_live_'],
      ['publishable', 'test', 'sbpk_test_'],
      ['publishable', 'live', 'sbpk_live_'],
    ] as const;
    for (const [keyKind, mode, prefix] of cases) {
      const { key, text } = await make({ kind: keyKind, mode });
      expect(text.startsWith(prefix)).toBe(true);
      const [id, secret] = text.slice(prefix.length).split('_') as [string, string];
      expect(id).toMatch(/^[0-9A-Za-z]{12}$/);
      expect(secret).toMatch(/^[0-9A-Za-z]{43}$/);
      expect(key.id).toBe(id);
      expect(parseKeyText(text)).toEqual({ kind: keyKind, mode, id: key.id });
      expect(keyPrefix(key)).toBe(`${prefix}${id}`);
      expect(text.startsWith(keyPrefix(key))).toBe(true);
    }
  });

  it('draws ids and secrets from all 62 characters, never the same twice', async () => {
    const texts: string[] = [];
    for (let i = 0; i < 50; i++) texts.push((await make({ workspace: workspace() })).text);
    expect(new Set(texts).size).toBe(50);
    expect(new Set(texts.map((text) => parseKeyText(text)!.id)).size).toBe(50);
    const used = new Set(texts.flatMap((text) => [...text.split('_').slice(2).join('')]));
    // 50 × 55 characters: the chance that one of 62 is missing by luck is below 1e-13.
    expect([...used].sort().join('')).toBe([...BASE62].sort().join(''));
  });

  it('keeps everything about the key but its text, of which only a SHA-256 hash is stored', async () => {
    const expiresAt = new Date(Date.now() + 90 * DAY);
    const { key, text } = await make({
      kind: 'publishable',
      name: 'booking website',
      scopes: ['availability:read', 'enquiries:write', 'availability:read'],
      allowedOrigins: ['https://www.example.com', 'https://www.example.com'],
      expiresAt,
      createdBy: 'cli',
    });
    expect(key).toEqual({
      id: key.id,
      workspace: 'ws1',
      kind: 'publishable',
      mode: 'test',
      name: 'booking website',
      scopes: ['availability:read', 'enquiries:write'],
      allowedOrigins: ['https://www.example.com'],
      createdAt: expect.any(Date),
      createdBy: 'cli',
      lastUsedAt: null,
      expiresAt,
      revokedAt: null,
      replacedBy: null,
    } satisfies ApiKeyRecord);
    expect(await keys.get(key.id)).toEqual(key);

    const row = await rawRow(key.id);
    expect(row.token_hash).toBe(sha256(text));
    const secret = text.split('_')[3]!;
    const stored = JSON.stringify(row);
    expect(stored).not.toContain(text);
    expect(stored).not.toContain(secret);
    // Nor any long piece of the secret (a prefix, a suffix) in any column.
    for (const value of Object.values(row)) {
      for (let i = 0; i + 16 <= secret.length; i++)
        expect(String(value)).not.toContain(secret.slice(i, i + 16));
    }
  });

  it('verify: the right text gives the key; a wrong secret, an unknown id or garbage give undefined', async () => {
    const { key, text } = await make({ workspace: workspace() });
    expect(await keys.verify(text)).toEqual(key);
    const [prefix, mode, id] = text.split('_') as [string, string, string, string];
    // A wrong secret for an id that exists, and the right secret under a mode it was not made for.
    expect(await keys.verify(`${prefix}_${mode}_${id}_${base62(43)}`)).toBeUndefined();
    expect(await keys.verify(text.replace('sb_test_', 'sb_live_'))).toBeUndefined();
    expect(await keys.verify(text.replace('sb_test_', 'sbpk_test_'))).toBeUndefined();
    // The secret with one character changed.
    const last = text.at(-1) === 'a' ? 'b' : 'a';
    expect(await keys.verify(text.slice(0, -1) + last)).toBeUndefined();
    // An id no key has, with the real secret.
    expect(await keys.verify(`${prefix}_${mode}_${base62(12)}_${text.split('_')[3]}`)).toBeUndefined();
    for (const garbage of [
      '',
      'sb_test_',
      'Bearer ' + text,
      text + ' ',
      'x'.repeat(100_000),
      "' or 1=1 --",
      '\u0000',
    ]) {
      await expect(keys.verify(garbage)).resolves.toBeUndefined();
    }
  });

  it('verify returns revoked and expired keys as they are (the caller decides)', async () => {
    const revoked = await make({ workspace: workspace() });
    const revokedAt = new Date(Date.now() - 1_000);
    await keys.revoke(revoked.key.id, revokedAt);
    const verified = await keys.verify(revoked.text);
    expect(verified?.id).toBe(revoked.key.id);
    expect(verified?.revokedAt).toEqual(revokedAt);
    expect(isActive(verified!)).toBe(false);

    const expiresAt = new Date(Date.now() - 60_000);
    const expired = await make({ workspace: workspace(), expiresAt });
    const verifiedExpired = await keys.verify(expired.text);
    expect(verifiedExpired?.id).toBe(expired.key.id);
    expect(verifiedExpired?.expiresAt).toEqual(expiresAt);
    expect(verifiedExpired?.revokedAt).toBeNull();
    expect(isActive(verifiedExpired!)).toBe(false);
  });

  it('isActive: neither revoked nor past its expiry', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    expect(isActive({ revokedAt: null, expiresAt: null }, now)).toBe(true);
    expect(isActive({ revokedAt: null, expiresAt: new Date(now.getTime() + 1) }, now)).toBe(true);
    expect(isActive({ revokedAt: null, expiresAt: now }, now)).toBe(false);
    expect(isActive({ revokedAt: new Date(now.getTime() + DAY), expiresAt: null }, now)).toBe(false);
  });

  it('revoke sets revokedAt once: revoking again keeps the first time; an unknown id is undefined', async () => {
    const { key } = await make({ workspace: workspace() });
    const first = new Date('2026-03-01T10:00:00.000Z');
    expect((await keys.revoke(key.id, first))?.revokedAt).toEqual(first);
    expect((await keys.revoke(key.id, new Date('2026-03-02T10:00:00.000Z')))?.revokedAt).toEqual(first);
    expect((await keys.get(key.id))?.revokedAt).toEqual(first);
    expect(await keys.revoke('NoSuchKey123')).toBeUndefined();
  });

  it('rotate: a new key like the old one; the old one works until now + overlap and names its replacement', async () => {
    const ws = workspace();
    const old = await make({
      workspace: ws,
      kind: 'publishable',
      name: 'shop',
      scopes: ['availability:read', 'enquiries:write'],
      allowedOrigins: ['https://shop.example.com'],
      expiresAt: new Date(Date.now() + 90 * DAY),
      createdBy: 'cli',
    });
    const lifetime = old.key.expiresAt!.getTime() - old.key.createdAt.getTime();
    const now = new Date(Date.now() + 1_000);
    const rotated = await keys.rotate(old.key.id, 2 * HOUR, 'operator-key', now);
    expect(rotated).toBeDefined();
    const { key, text, previous } = rotated!;
    expect(key.id).not.toBe(old.key.id);
    expect(text).not.toBe(old.text);
    expect(parseKeyText(text)).toEqual({ kind: 'publishable', mode: 'test', id: key.id });
    expect(key).toMatchObject({
      workspace: ws,
      kind: 'publishable',
      mode: 'test',
      name: 'shop',
      scopes: ['availability:read', 'enquiries:write'],
      allowedOrigins: ['https://shop.example.com'],
      createdBy: 'operator-key',
      revokedAt: null,
      replacedBy: null,
      lastUsedAt: null,
    });
    // The same lifetime, counted from the rotation.
    expect(key.expiresAt).toEqual(new Date(now.getTime() + lifetime));

    expect(previous.id).toBe(old.key.id);
    expect(previous.expiresAt).toEqual(new Date(now.getTime() + 2 * HOUR));
    expect(previous.replacedBy).toBe(key.id);
    const stored = await keys.get(old.key.id);
    expect(stored).toEqual(previous);
    expect(stored?.revokedAt).toBeNull();

    // Both work now; the old one stops at the end of the overlap.
    expect((await keys.verify(old.text))?.id).toBe(old.key.id);
    expect((await keys.verify(text))?.id).toBe(key.id);
    expect(isActive(stored!, now)).toBe(true);
    expect(isActive(stored!, new Date(now.getTime() + 2 * HOUR - 1))).toBe(true);
    expect(isActive(stored!, new Date(now.getTime() + 2 * HOUR))).toBe(false);
  });

  it('rotate with no overlap stops the old key at once; a key that expires sooner keeps its expiry', async () => {
    const a = await make({ workspace: workspace() });
    const now = new Date();
    const rotated = await keys.rotate(a.key.id, 0, null, now);
    expect(rotated?.previous.expiresAt).toEqual(now);
    expect(rotated?.key.expiresAt).toBeNull();
    expect(rotated?.key.createdBy).toBeNull();
    expect(isActive((await keys.get(a.key.id))!)).toBe(false);
    expect(isActive((await keys.get(rotated!.key.id))!)).toBe(true);

    const soon = new Date(Date.now() + HOUR);
    const b = await make({ workspace: workspace(), expiresAt: soon });
    const later = await keys.rotate(b.key.id, DAY, null);
    expect(later?.previous.expiresAt).toEqual(soon);
    expect((await keys.get(b.key.id))?.expiresAt).toEqual(soon);

    expect(await keys.rotate('NoSuchKey123', HOUR, null)).toBeUndefined();
  });

  it('list: newest first, active only unless asked, one workspace or all, in pages', async () => {
    const ws = workspace();
    const made: ApiKeyRecord[] = [];
    for (let i = 0; i < 5; i++) {
      made.push((await make({ workspace: ws, name: `k${i}` })).key);
      await sleep(3); // distinct creation times
    }
    const other = (await make({ workspace: workspace(), name: 'other' })).key;
    await keys.revoke(made[1]!.id);
    await keys.rotate(made[3]!.id, 0, null); // expires k3 now, makes k3 again (newest)

    const names = (list: ApiKeyRecord[]) => list.map((k) => k.name);
    const active = await keys.list({ workspace: ws });
    expect(names(active)).toEqual(['k3', 'k4', 'k2', 'k0']);
    const all = await keys.list({ workspace: ws, includeInactive: true });
    expect(names(all)).toEqual(['k3', 'k4', 'k3', 'k2', 'k1', 'k0']);
    expect(all.every((k) => k.workspace === ws)).toBe(true);

    // Pages of two, each after the last key of the previous one.
    const pages: string[][] = [];
    let after: { createdAt: Date; id: string } | undefined;
    for (;;) {
      const page = await keys.list({ workspace: ws, includeInactive: true, first: 2, after });
      if (page.length === 0) break;
      pages.push(page.map((k) => k.id));
      const last = page.at(-1)!;
      after = { createdAt: last.createdAt, id: last.id };
    }
    expect(pages.map((p) => p.length)).toEqual([2, 2, 2]);
    expect(pages.flat()).toEqual(all.map((k) => k.id));

    // Without a workspace: every workspace's keys.
    const everything = await keys.list({ includeInactive: true, first: 10_000 });
    const ids = everything.map((k) => k.id);
    expect(ids).toEqual(expect.arrayContaining([...all.map((k) => k.id), other.id]));
    for (let i = 1; i < everything.length; i++) {
      const [a, b] = [everything[i - 1]!, everything[i]!];
      expect(
        a.createdAt.getTime() > b.createdAt.getTime() ||
          (a.createdAt.getTime() === b.createdAt.getTime() && a.id > b.id),
      ).toBe(true);
    }
  });

  it('list pages through keys made in the same millisecond without losing or repeating one', async () => {
    const ws = workspace();
    const made = await Promise.all(
      Array.from({ length: 7 }, (_, i) => make({ workspace: ws, name: `p${i}` })),
    );
    const seen: string[] = [];
    let after: { createdAt: Date; id: string } | undefined;
    for (let guard = 0; guard < 10; guard++) {
      const page = await keys.list({ workspace: ws, first: 3, after });
      if (page.length === 0) break;
      seen.push(...page.map((k) => k.id));
      after = { createdAt: page.at(-1)!.createdAt, id: page.at(-1)!.id };
    }
    expect(seen).toHaveLength(7);
    expect(new Set(seen)).toEqual(new Set(made.map((m) => m.key.id)));
  });

  it('touch records the last use', async () => {
    const { key } = await make({ workspace: workspace() });
    const at = new Date('2026-05-05T05:05:05.005Z');
    await keys.touch(key.id, at);
    expect((await keys.get(key.id))?.lastUsedAt).toEqual(at);
    await keys.touch('NoSuchKey123', at); // nothing to record, nothing thrown
  });

  it('states: revocation and expiry of many keys at once (past the 500-id chunk), unknown ids left out', async () => {
    const ws = workspace();
    const plain = await make({ workspace: ws });
    const revoked = await make({ workspace: ws });
    const expiresAt = new Date(Date.now() + DAY);
    const expiring = await make({ workspace: ws, expiresAt });
    const revokedAt = new Date('2026-02-02T02:02:02.002Z');
    await keys.revoke(revoked.key.id, revokedAt);

    const unknown = Array.from({ length: 1_100 }, () => base62(12));
    // One known id in each of the three chunks of 500.
    const ids = [
      plain.key.id,
      ...unknown.slice(0, 600),
      revoked.key.id,
      ...unknown.slice(600),
      expiring.key.id,
    ];
    expect(ids.indexOf(revoked.key.id)).toBeGreaterThanOrEqual(500);
    expect(ids.indexOf(expiring.key.id)).toBeGreaterThanOrEqual(1_000);

    const states = await keys.states(ids);
    expect(states.size).toBe(3);
    expect(states.get(plain.key.id)).toEqual({ revokedAt: null, expiresAt: null });
    expect(states.get(revoked.key.id)).toEqual({ revokedAt, expiresAt: null });
    expect(states.get(expiring.key.id)).toEqual({ revokedAt: null, expiresAt });
    expect((await keys.states([])).size).toBe(0);
  });

  it('states for more than 500 real keys', async () => {
    const ws = workspace();
    const now = new Date().toISOString();
    const rows = Array.from({ length: 520 }, (_, i) => ({
      id: `${base62(8)}${String(i).padStart(4, '0')}`,
      workspace_id: ws,
      kind: 'secret' as const,
      mode: 'test' as const,
      name: `bulk ${i}`,
      scopes: '[]',
      allowed_origins: '[]',
      token_hash: sha256(`bulk ${ws} ${i}`),
      created_at: now,
      created_by: null,
      last_used_at: null,
      expires_at: null,
      revoked_at: i % 2 === 0 ? now : null,
      replaced_by: null,
    }));
    await t.store.db.insertInto('api_keys').values(rows).execute();
    const states = await keys.states(rows.map((r) => r.id));
    expect(states.size).toBe(520);
    expect([...states.values()].filter((s) => s.revokedAt !== null)).toHaveLength(260);
    expect(states.get(rows[519]!.id)).toEqual({ revokedAt: null, expiresAt: null });
    expect(states.get(rows[518]!.id)).toEqual({ revokedAt: new Date(now), expiresAt: null });
  });
});
