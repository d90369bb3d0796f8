import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Secrets at rest (refresh tokens, shared access tokens, webhook signing secrets, push channel
 * tokens) are sealed with AES-256-GCM before they reach the store:
 *
 *   enc:v1:<key id>:<base64url(iv (12 bytes) | tag (16 bytes) | ciphertext)>
 *
 * The key id is the first 8 hex characters of the key's SHA-256, so a value names the key that
 * opens it and rotation can keep old keys around until everything is resealed. The caller's
 * `context` (which row and column the value lives in) is bound in as additional authenticated
 * data: a sealed value copied to another row, workspace or column does not open.
 */

export const ENCRYPTION_KEY_VAR = 'SWITCHBOARD_ENCRYPTION_KEY';
export const PREVIOUS_KEYS_VAR = 'SWITCHBOARD_ENCRYPTION_KEYS_PREVIOUS';
/** The sandbox-mode key file, in the data directory. */
export const LOCAL_KEY_FILE = 'encryption.key';

const PREFIX = 'enc:';
const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const HOW_TO_MAKE_ONE = 'make one with: openssl rand -base64 32';

/** A value that could not be opened: wrong or missing key, tampering, or a value moved from another row. */
export class SecretOpenError extends Error {
  constructor(
    message: string,
    /**
     * `unknown-key`: sealed with a key not configured; `altered`: the key is known but the value
     * does not open with it (tampered, or sealed for another row); `format`: not a sealed value
     * this version reads.
     */
    readonly reason: 'unknown-key' | 'altered' | 'format',
    /** The key id the value names, when it names one. */
    readonly keyId?: string,
  ) {
    super(message);
    this.name = 'SecretOpenError';
  }
}

/**
 * Seals and opens secrets with the configured key (and, for rotation, previous keys). Created once
 * per store (`StoreOptions.secrets`) and kept for its life; holds no state besides the keys.
 */
export interface SecretBox {
  /** The current key's id (first 8 hex characters of its SHA-256); not secret, fit for logs. */
  readonly keyId: string;
  /**
   * Seals `plaintext` with the current key and a fresh random IV, so sealing one value twice gives
   * two different texts. `context` names where the value will live (e.g.
   * `source_state:<workspace>:<system>:<key>`); `open` needs the same context. Never throws.
   */
  seal(plaintext: string, context: string): string;
  /**
   * The plaintext of a value `seal` produced with the same `context`, by the current key or a
   * previous one. A value that does not start with `enc:` is legacy plaintext (stored before
   * encryption) and is returned as is. Throws `SecretOpenError`, naming the key id and the variable
   * to set but never any secret, when the key is unknown, the value was altered or sealed for
   * another context, or the format is not one this version reads.
   */
  open(stored: string, context: string): string;
  /**
   * True when `stored` should be (re)written: plaintext, or sealed with a previous key. False for a
   * value sealed with the current key, and for one sealed with an unknown key (nothing here can
   * open it; `open` says why). Never throws.
   */
  needsSealing(stored: string): boolean;
}

export interface SecretBoxOptions {
  /** 32 bytes: what seals, and opens what it sealed. */
  key: Buffer;
  /** Keys rotated out: they still open what they sealed, until `sealStoredSecrets` has resealed it. */
  previous?: readonly Buffer[];
}

/** The first 8 hex characters of the key's SHA-256: names the key without revealing it. */
export function encryptionKeyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/** True for a value `seal` produced (any version); false for legacy plaintext. */
export const isSealed = (stored: string): boolean => stored.startsWith(PREFIX);

/**
 * A SecretBox over `key` and `previous`. Throws when a key is not 32 bytes. A previous key equal
 * to the current one is ignored.
 */
export function createSecretBox(options: SecretBoxOptions): SecretBox {
  const check = (key: Buffer, what: string) => {
    if (key.length !== KEY_BYTES)
      throw new Error(`the ${what} encryption key must be ${KEY_BYTES} bytes, got ${key.length}`);
  };
  check(options.key, 'current');
  const current = { id: encryptionKeyId(options.key), key: Buffer.from(options.key) };
  const keys = new Map([[current.id, current.key]]);
  for (const [i, key] of (options.previous ?? []).entries()) {
    check(key, `previous (number ${i + 1})`);
    const id = encryptionKeyId(key);
    if (!keys.has(id)) keys.set(id, Buffer.from(key));
  }

  /** The key id and data of a sealed value; undefined for plaintext; throws for a malformed one. */
  const parse = (stored: string, context: string): { id: string; data: Buffer } | undefined => {
    if (!isSealed(stored)) return undefined;
    const [, version, id, data, ...rest] = stored.split(':');
    if (version !== VERSION)
      throw new SecretOpenError(
        `the secret for ${context} is sealed in format ${version ?? '(none)'}, which this version of ` +
          `Switchboard does not read (it reads ${VERSION}): upgrade Switchboard`,
        'format',
      );
    if (!id || !/^[0-9a-f]{8}$/.test(id) || data === undefined || rest.length > 0)
      throw new SecretOpenError(
        `the secret for ${context} is not a well-formed sealed value (enc:${VERSION}:<key id>:<data>)`,
        'format',
      );
    return { id, data: Buffer.from(data, 'base64url') };
  };

  return {
    keyId: current.id,
    seal(plaintext, context) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', current.key, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const data = Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64url');
      return `${PREFIX}${VERSION}:${current.id}:${data}`;
    },
    open(stored, context) {
      const sealed = parse(stored, context);
      if (!sealed) return stored;
      const key = keys.get(sealed.id);
      if (!key)
        throw new SecretOpenError(
          `the secret for ${context} was sealed with encryption key ${sealed.id}, which is not configured ` +
            `(${ENCRYPTION_KEY_VAR} is key ${current.id}): put the key it was sealed with in ` +
            `${PREVIOUS_KEYS_VAR} (or back in ${ENCRYPTION_KEY_VAR}; in sandbox mode it was the data ` +
            `directory's ${LOCAL_KEY_FILE}, unless that variable was set)`,
          'unknown-key',
          sealed.id,
        );
      const { data } = sealed;
      try {
        if (data.length < IV_BYTES + TAG_BYTES) throw new Error('too short');
        const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES), {
          authTagLength: TAG_BYTES,
        });
        decipher.setAAD(Buffer.from(context, 'utf8'));
        decipher.setAuthTag(data.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
        return Buffer.concat([
          decipher.update(data.subarray(IV_BYTES + TAG_BYTES)),
          decipher.final(),
        ]).toString('utf8');
      } catch {
        // Deliberately without the cause: it adds nothing and the stored text is not to be echoed.
        throw new SecretOpenError(
          `the secret for ${context} does not open with encryption key ${sealed.id}: it was altered, ` +
            `or copied from another row`,
          'altered',
          sealed.id,
        );
      }
    },
    needsSealing(stored) {
      if (!isSealed(stored)) return true;
      const id = stored.split(':')[2];
      return id !== current.id && id !== undefined && keys.has(id);
    },
  };
}

/**
 * A 32-byte key from `text`: base64 (44 characters, or 43 base64url without padding) or hex (64
 * characters), surrounding whitespace ignored. Throws an Error naming `name` (the variable or file
 * it came from) and how to make a key; the text itself is never echoed.
 */
export function parseEncryptionKey(text: string, name: string): Buffer {
  const value = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex');
  if (/^[A-Za-z0-9+/]{43}=$/.test(value)) return Buffer.from(value, 'base64');
  if (/^[A-Za-z0-9_-]{43}$/.test(value)) return Buffer.from(value, 'base64url');
  throw new Error(
    `${name} must be a 32-byte key as base64 (44 characters) or hex (64 characters), got ` +
      `${value.length === 0 ? 'nothing' : `${value.length} characters that are neither`}; ${HOW_TO_MAKE_ONE}`,
  );
}

/**
 * Sandbox mode's key: read from `path`, or, when there is no such file, a new random key written
 * there (directory created, file mode 0600) and returned. Safe against another process creating
 * the file at the same moment (both end up with the one that landed first). Throws when the file
 * exists but holds no valid key, or cannot be read or written.
 */
export function loadOrCreateLocalKey(path: string): Buffer {
  const read = () => parseEncryptionKey(readFileSync(path, 'utf8'), `the encryption key file ${path}`);
  try {
    return read();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const key = randomBytes(KEY_BYTES);
  // Written whole under another name, then linked into place: a link never replaces an existing
  // file, and a reader never sees it half written.
  const temporary = join(
    dirname(path),
    `.${LOCAL_KEY_FILE}.${process.pid}.${randomBytes(4).toString('hex')}`,
  );
  writeFileSync(temporary, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(temporary, path);
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return read();
  } finally {
    unlinkSync(temporary);
  }
}

/** Where the store's key comes from: the environment (live mode, or set on purpose) or the sandbox key file. */
export interface EncryptionSettings {
  key: Buffer;
  previous: Buffer[];
  source: 'env' | 'file';
}

/**
 * The encryption keys from the environment: `SWITCHBOARD_ENCRYPTION_KEY` (required in live mode),
 * `SWITCHBOARD_ENCRYPTION_KEYS_PREVIOUS` (comma-separated, optional), and in sandbox mode without
 * the first, the key in `<dataDir>/encryption.key` (created on first use). Never throws: every
 * problem comes back as a line in `problems`, naming the variable and how to fix it.
 */
export function encryptionFromEnv(
  env: NodeJS.ProcessEnv,
  options: { mode: 'sandbox' | 'live'; dataDir: string },
): EncryptionSettings | { problems: string[] } {
  const problems: string[] = [];
  const attempt = <T>(parse: () => T): T | undefined => {
    try {
      return parse();
    } catch (error) {
      problems.push(error instanceof Error ? error.message : String(error));
      return undefined;
    }
  };

  let key: Buffer | undefined;
  let source: EncryptionSettings['source'] = 'env';
  const configured = env[ENCRYPTION_KEY_VAR];
  if (configured) {
    key = attempt(() => parseEncryptionKey(configured, ENCRYPTION_KEY_VAR));
  } else if (options.mode === 'live') {
    problems.push(
      `${ENCRYPTION_KEY_VAR} is required in live mode (it encrypts refresh tokens and webhook secrets ` +
        `in the store); ${HOW_TO_MAKE_ONE}`,
    );
  } else {
    source = 'file';
    const path = join(options.dataDir, LOCAL_KEY_FILE);
    key = attempt(() => {
      try {
        return loadOrCreateLocalKey(path);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new Error(`sandbox mode could not use its encryption key file ${path}: ${reason}`);
      }
    });
  }

  const previous: Buffer[] = [];
  (env[PREVIOUS_KEYS_VAR] ?? '')
    .split(',')
    .map((part) => part.trim())
    .forEach((part, i) => {
      if (part === '') return;
      const parsed = attempt(() => parseEncryptionKey(part, `${PREVIOUS_KEYS_VAR} (entry ${i + 1})`));
      if (parsed) previous.push(parsed);
    });

  if (problems.length > 0 || !key) return { problems };
  return { key, previous, source };
}
