import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  SecretOpenError,
  createSecretBox,
  encryptionFromEnv,
  encryptionKeyId,
  loadOrCreateLocalKey,
  parseEncryptionKey,
} from './secrets.ts';

const key = () => randomBytes(32);
const CONTEXT = 'source_state:ws1:xero:refresh_token:abc';
const SECRET = 'rt-0123456789-the-refresh-token';

/** `stored` with one byte of its sealed data flipped. */
function tamper(stored: string, at: number): string {
  const [prefix, version, id, data] = stored.split(':') as [string, string, string, string];
  const bytes = Buffer.from(data, 'base64url');
  bytes[at] = (bytes[at] as number) ^ 0x01;
  return [prefix, version, id, bytes.toString('base64url')].join(':');
}

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-secrets-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('secret box', () => {
  it('seals as enc:v1:<key id>:<data> and opens what it sealed', () => {
    const k = key();
    const box = createSecretBox({ key: k });
    const sealed = box.seal(SECRET, CONTEXT);
    expect(box.keyId).toBe(encryptionKeyId(k));
    expect(box.keyId).toMatch(/^[0-9a-f]{8}$/);
    expect(sealed).toMatch(new RegExp(`^enc:v1:${box.keyId}:[A-Za-z0-9_-]+$`));
    expect(sealed).not.toContain(SECRET);
    // iv (12) + tag (16) + one byte per ASCII character.
    expect(Buffer.from(sealed.split(':')[3] as string, 'base64url')).toHaveLength(12 + 16 + SECRET.length);
    expect(box.open(sealed, CONTEXT)).toBe(SECRET);
    expect(box.open(box.seal('', CONTEXT), CONTEXT)).toBe('');
    expect(box.open(box.seal('€ ünïcode', CONTEXT), CONTEXT)).toBe('€ ünïcode');
    expect(box.needsSealing(sealed)).toBe(false);
  });

  it('seals one value differently each time (a fresh IV)', () => {
    const box = createSecretBox({ key: key() });
    const a = box.seal(SECRET, CONTEXT);
    const b = box.seal(SECRET, CONTEXT);
    expect(a).not.toBe(b);
    expect(a.split(':')[3]?.slice(0, 16)).not.toBe(b.split(':')[3]?.slice(0, 16));
    expect([box.open(a, CONTEXT), box.open(b, CONTEXT)]).toEqual([SECRET, SECRET]);
  });

  it('refuses a tampered value (IV, tag or ciphertext), another row, and an unknown key, naming no secret', () => {
    const box = createSecretBox({ key: key() });
    const sealed = box.seal(SECRET, CONTEXT);
    for (const at of [0, 12, 28, 28 + SECRET.length - 1]) {
      expect(() => box.open(tamper(sealed, at), CONTEXT)).toThrow(SecretOpenError);
    }
    expect(() => box.open(tamper(sealed, 30), CONTEXT)).toThrow(/altered, or copied from another row/);
    expect(() => box.open(sealed, 'source_state:ws2:xero:refresh_token:abc')).toThrow(
      /does not open with encryption key/,
    );
    expect(() => box.open(sealed.slice(0, 30), CONTEXT)).toThrow(SecretOpenError);

    const other = createSecretBox({ key: key() });
    let error: unknown;
    try {
      other.open(sealed, CONTEXT);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SecretOpenError);
    expect((error as SecretOpenError).keyId).toBe(box.keyId);
    const message = (error as Error).message;
    expect(message).toContain(`sealed with encryption key ${box.keyId}`);
    expect(message).toContain('SWITCHBOARD_ENCRYPTION_KEYS_PREVIOUS');
    expect(message).toContain(CONTEXT);
    expect(message).not.toContain(sealed.split(':')[3]);
    // Nothing here can reseal it, so it does not count as needing it.
    expect(other.needsSealing(sealed)).toBe(false);
  });

  it('refuses malformed sealed values and formats it does not know', () => {
    const box = createSecretBox({ key: key() });
    expect(() => box.open('enc:v2:abcdef01:AAAA', CONTEXT)).toThrow(/format v2.*upgrade/);
    expect(() => box.open('enc:v1:nothex!!:AAAA', CONTEXT)).toThrow(/not a well-formed sealed value/);
    expect(() => box.open('enc:v1:abcdef01', CONTEXT)).toThrow(/not a well-formed sealed value/);
    expect(() => box.open(`${box.seal(SECRET, CONTEXT)}:extra`, CONTEXT)).toThrow(SecretOpenError);
  });

  it('returns legacy plaintext as is, and says it needs sealing', () => {
    const box = createSecretBox({ key: key() });
    expect(box.open('whsec_plain', CONTEXT)).toBe('whsec_plain');
    expect(box.open('{"accessToken":"at"}', CONTEXT)).toBe('{"accessToken":"at"}');
    expect(box.needsSealing('whsec_plain')).toBe(true);
    expect(box.needsSealing('')).toBe(true);
  });

  it('opens with a previous key, and says what that key sealed needs resealing', () => {
    const old = key();
    const before = createSecretBox({ key: old });
    const sealed = before.seal(SECRET, CONTEXT);
    const after = createSecretBox({ key: key(), previous: [old] });
    expect(after.open(sealed, CONTEXT)).toBe(SECRET);
    expect(after.needsSealing(sealed)).toBe(true);
    const resealed = after.seal(after.open(sealed, CONTEXT), CONTEXT);
    expect(resealed.split(':')[2]).toBe(after.keyId);
    expect(after.needsSealing(resealed)).toBe(false);
    // The old key alone cannot open what the new one sealed.
    expect(() => before.open(resealed, CONTEXT)).toThrow(SecretOpenError);
    // A previous key equal to the current one changes nothing.
    const same = createSecretBox({ key: old, previous: [old] });
    expect(same.needsSealing(sealed)).toBe(false);
  });

  it('takes only 32-byte keys', () => {
    expect(() => createSecretBox({ key: randomBytes(16) })).toThrow(/32 bytes, got 16/);
    expect(() => createSecretBox({ key: key(), previous: [randomBytes(31)] })).toThrow(/previous/);
  });
});

describe('parseEncryptionKey', () => {
  it('reads 32 bytes as base64, base64url or hex', () => {
    const k = key();
    expect(parseEncryptionKey(k.toString('base64'), 'X').equals(k)).toBe(true);
    expect(parseEncryptionKey(`  ${k.toString('base64')}\n`, 'X').equals(k)).toBe(true);
    expect(parseEncryptionKey(k.toString('base64url'), 'X').equals(k)).toBe(true);
    expect(parseEncryptionKey(k.toString('hex'), 'X').equals(k)).toBe(true);
    expect(parseEncryptionKey(k.toString('hex').toUpperCase(), 'X').equals(k)).toBe(true);
  });

  it('says what is wrong and how to make a key, without echoing the text', () => {
    const tooShort = randomBytes(16).toString('base64');
    expect(() => parseEncryptionKey(tooShort, 'SWITCHBOARD_ENCRYPTION_KEY')).toThrow(
      /SWITCHBOARD_ENCRYPTION_KEY must be a 32-byte key as base64 \(44 characters\) or hex \(64 characters\), got 24 characters.*openssl rand -base64 32/,
    );
    try {
      parseEncryptionKey(tooShort, 'K');
    } catch (error) {
      expect((error as Error).message).not.toContain(tooShort);
    }
    expect(() => parseEncryptionKey('', 'K')).toThrow(/got nothing/);
    expect(() => parseEncryptionKey(randomBytes(33).toString('hex'), 'K')).toThrow(/K must be/);
    expect(() => parseEncryptionKey(`${'g'.repeat(64)}`, 'K')).toThrow(/K must be/);
    expect(() => parseEncryptionKey(`${'A'.repeat(42)}==`, 'K')).toThrow(/K must be/);
  });
});

describe('loadOrCreateLocalKey', () => {
  it('creates a random key file (mode 0600, directory created) and reuses it', () => {
    const path = join(tempDir(), 'nested', 'data', 'encryption.key');
    const first = loadOrCreateLocalKey(path);
    expect(first).toHaveLength(32);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(parseEncryptionKey(readFileSync(path, 'utf8'), 'file').equals(first)).toBe(true);
    expect(loadOrCreateLocalKey(path).equals(first)).toBe(true);
    // No temporary file left behind.
    expect(readdirSync(dirname(path))).toEqual(['encryption.key']);
    expect(loadOrCreateLocalKey(join(tempDir(), 'encryption.key')).equals(first)).toBe(false);
  });

  it('refuses a key file that holds no key, naming the file', () => {
    const path = join(tempDir(), 'encryption.key');
    writeFileSync(path, 'not a key\n');
    expect(() => loadOrCreateLocalKey(path)).toThrow(`the encryption key file ${path} must be a 32-byte key`);
  });
});

describe('encryptionFromEnv', () => {
  const k = key();
  const old = key();

  it('live mode: the key and previous keys from the environment', () => {
    const result = encryptionFromEnv(
      {
        SWITCHBOARD_ENCRYPTION_KEY: k.toString('base64'),
        SWITCHBOARD_ENCRYPTION_KEYS_PREVIOUS: ` ${old.toString('hex')}, ,${k.toString('base64url')}`,
      },
      { mode: 'live', dataDir: tempDir() },
    );
    expect(result).toEqual({ key: k, previous: [old, k], source: 'env' });
  });

  it('live mode without a key, or with bad ones: every problem, saying how to fix it', () => {
    const missing = encryptionFromEnv({}, { mode: 'live', dataDir: tempDir() });
    expect(missing).toEqual({
      problems: [
        expect.stringMatching(/SWITCHBOARD_ENCRYPTION_KEY is required in live mode.*openssl rand -base64 32/),
      ],
    });
    const bad = encryptionFromEnv(
      {
        SWITCHBOARD_ENCRYPTION_KEY: 'short',
        SWITCHBOARD_ENCRYPTION_KEYS_PREVIOUS: `${k.toString('hex')},nope`,
      },
      { mode: 'live', dataDir: tempDir() },
    );
    expect(bad).toEqual({
      problems: [
        expect.stringMatching(/^SWITCHBOARD_ENCRYPTION_KEY must be/),
        expect.stringMatching(/^SWITCHBOARD_ENCRYPTION_KEYS_PREVIOUS \(entry 2\) must be/),
      ],
    });
  });

  it('sandbox mode: the key file in the data directory, made on first start; the environment still wins', () => {
    const dataDir = tempDir();
    const first = encryptionFromEnv({}, { mode: 'sandbox', dataDir });
    expect(first).toMatchObject({ source: 'file', previous: [] });
    expect(statSync(join(dataDir, 'encryption.key')).mode & 0o777).toBe(0o600);
    const again = encryptionFromEnv({}, { mode: 'sandbox', dataDir });
    expect('key' in again && 'key' in first && again.key.equals(first.key)).toBe(true);
    expect(
      encryptionFromEnv({ SWITCHBOARD_ENCRYPTION_KEY: k.toString('hex') }, { mode: 'sandbox', dataDir }),
    ).toEqual({ key: k, previous: [], source: 'env' });
    writeFileSync(join(dataDir, 'encryption.key'), 'garbage');
    expect(encryptionFromEnv({}, { mode: 'sandbox', dataDir })).toEqual({
      problems: [
        expect.stringMatching(/^sandbox mode could not use its encryption key file .*encryption\.key/),
      ],
    });
  });
});
