import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { isActive, parseKeyText, type ApiKeyRecord, type ApiKeyRepository, type KeyMode } from './keys.ts';
import { looksLikeJwt, type JwtVerifier } from './jwt.ts';
import type { ScopeCatalog } from './scopes.ts';

/** Who is calling, as every later check sees it. */
export interface Principal {
  kind: 'secret_key' | 'publishable_key' | 'jwt';
  /** The key id, or `jwt:<subject>`: what the audit log and the logs name. */
  actor: string;
  /** The key id, for revocation checks; undefined for tokens. */
  keyId?: string;
  /** Workspaces the caller may use; the first is used when a request names none. */
  workspaces: readonly string[];
  scopes: ReadonlySet<string>;
  /** Publishable keys: the origins whose pages may use the key. */
  allowedOrigins?: readonly string[];
  /** When the credential stops working; sockets are closed then. */
  expiresAt: Date | null;
}

/** Why a request was refused: the status, a code for `extensions.code`, and what to fix. */
export interface Refusal {
  status: 400 | 401 | 403 | 429;
  code: 'UNAUTHENTICATED' | 'FORBIDDEN' | 'BAD_REQUEST' | 'RATE_LIMITED';
  message: string;
  /** A short reason for the audit log (`KEY_REVOKED`, `ORIGIN_NOT_ALLOWED`, …). */
  reason: string;
  retryAfterMs?: number;
}

export type AuthResult = { ok: true; principal: Principal } | { ok: false; refusal: Refusal };

export interface AuthenticatorOptions {
  keys: ApiKeyRepository;
  /** `test` in sandbox mode: only test keys work; `live` otherwise. */
  mode: KeyMode;
  catalog: ScopeCatalog;
  /** Tokens from the business's identity provider; absent when none is configured. */
  jwt?: JwtVerifier;
  /** The workspace a token that names none may use. */
  defaultWorkspace: string;
  /** How long a key check is reused (revocations take effect within it on every replica). Default 2 s. */
  cacheTtlMs?: number;
  logger?: Logger;
}

export interface Authenticator {
  /**
   * Checks the `Authorization` header's credential (and, for publishable keys, the request's
   * `Origin`). Never throws: a store failure is logged and answered as "try again" (401 with reason
   * `STORE_UNAVAILABLE`), never as a success.
   */
  authenticate(request: { authorization: string | null; origin: string | null }): Promise<AuthResult>;
  /** Drops cached checks, so a revocation made on this replica is seen at once. */
  forget(): void;
}

const MAX_HEADER = 4_096;

const refuse = (
  status: Refusal['status'],
  code: Refusal['code'],
  reason: string,
  message: string,
): AuthResult => ({
  ok: false,
  refusal: { status, code, reason, message },
});

const unauthenticated = (reason: string, message: string) => refuse(401, 'UNAUTHENTICATED', reason, message);

/** Normalises an origin (`HTTPS://Example.com:443/` → `https://example.com`); undefined when it is not one. */
export function normaliseOrigin(text: string): string | undefined {
  try {
    const url = new URL(text);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
    if (url.pathname !== '/' || url.search || url.hash || url.username) return undefined;
    return url.origin;
  } catch {
    return undefined;
  }
}

export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const { keys, mode, catalog, jwt, defaultWorkspace, cacheTtlMs = 2_000, logger } = options;
  // Key checks by a hash of the header: valid, revoked and unknown alike, so a flood of bad keys does
  // not become a flood of queries. Expiry is checked again on every use.
  const cache = new LRUCache<string, { record?: ApiKeyRecord; jwt?: AuthResult }>({
    max: 10_000,
    ttl: cacheTtlMs,
  });
  const touched = new Map<string, number>();
  const otherMode = mode === 'live' ? 'test' : 'live';
  const missing = unauthenticated(
    'MISSING_CREDENTIAL',
    `Send a key or token in the Authorization header: \`Authorization: Bearer sb_${mode}_…\` (a key from \`npm run keys -- create\`) or a JWT from your identity provider.`,
  );

  const touch = (record: ApiKeyRecord, now: number) => {
    const last = touched.get(record.id) ?? record.lastUsedAt?.getTime() ?? 0;
    if (now - last < 60_000) return;
    touched.set(record.id, now);
    keys
      .touch(record.id, new Date(now))
      .catch((error: unknown) => logger?.warn({ err: error }, 'recording a key use failed'));
  };

  const fromKey = (record: ApiKeyRecord | undefined, origin: string | null): AuthResult => {
    const now = Date.now();
    if (!record) {
      return unauthenticated(
        'KEY_UNKNOWN',
        'The key is not valid: check that it was copied whole. A lost key cannot be shown again; make a new one (`npm run keys -- create`).',
      );
    }
    if (record.revokedAt)
      return unauthenticated('KEY_REVOKED', 'The key has been revoked; ask an operator for a new one.');
    if (!isActive(record, new Date(now))) {
      return unauthenticated(
        'KEY_EXPIRED',
        `The key expired at ${record.expiresAt?.toISOString()}; use its replacement or make a new one.`,
      );
    }
    let scopes = record.scopes;
    if (record.kind === 'publishable') {
      if (!origin) {
        return refuse(
          403,
          'FORBIDDEN',
          'ORIGIN_MISSING',
          'A publishable key works only from a web page on one of its allowed origins; servers and scripts need a secret key (sb_…).',
        );
      }
      const normal = normaliseOrigin(origin);
      if (!normal || !record.allowedOrigins.includes(normal)) {
        return refuse(
          403,
          'FORBIDDEN',
          'ORIGIN_NOT_ALLOWED',
          `This publishable key may not be used from ${normal ?? 'this origin'}; add the origin to the key's allowed origins.`,
        );
      }
      // Only public scopes, whatever was stored: the schema decides what a browser may do.
      scopes = scopes.filter((s) => catalog.publishable.has(s));
    }
    touch(record, now);
    return {
      ok: true,
      principal: {
        kind: record.kind === 'secret' ? 'secret_key' : 'publishable_key',
        actor: record.id,
        keyId: record.id,
        workspaces: [record.workspace],
        scopes: new Set(scopes),
        allowedOrigins: record.kind === 'publishable' ? record.allowedOrigins : undefined,
        expiresAt: record.expiresAt,
      },
    };
  };

  const fromJwt = async (token: string): Promise<AuthResult> => {
    if (!jwt) {
      return unauthenticated(
        'JWT_NOT_CONFIGURED',
        'This hub does not accept JWTs (no identity provider is configured); use an API key.',
      );
    }
    const verdict = await jwt.verify(token);
    if (!verdict.ok) return unauthenticated(verdict.reason, verdict.message);
    const known = new Set(catalog.all);
    return {
      ok: true,
      principal: {
        kind: 'jwt',
        actor: `jwt:${verdict.subject}`,
        workspaces: verdict.workspaces.length > 0 ? verdict.workspaces : [defaultWorkspace],
        scopes: new Set(verdict.scopes.filter((s) => known.has(s))),
        expiresAt: verdict.expiresAt,
      },
    };
  };

  return {
    async authenticate({ authorization, origin }) {
      if (!authorization) return missing;
      if (authorization.length > MAX_HEADER) {
        return unauthenticated(
          'MALFORMED_CREDENTIAL',
          `The Authorization header is over ${MAX_HEADER} characters.`,
        );
      }
      const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
      if (!match) {
        return unauthenticated(
          'MALFORMED_CREDENTIAL',
          'The Authorization header must be `Bearer <key or token>`, e.g. `Authorization: Bearer sb_live_…`.',
        );
      }
      const credential = match[1]!;
      const cacheKey = createHash('sha256').update(credential).digest('base64url');
      const parsed = parseKeyText(credential);
      if (parsed) {
        if (parsed.mode !== mode) {
          return unauthenticated(
            'KEY_WRONG_MODE',
            `This hub runs in ${mode === 'test' ? 'sandbox' : 'live'} mode and takes ${mode} keys (…_${mode}_…); this is a ${otherMode} key.`,
          );
        }
        let entry = cache.get(cacheKey);
        if (!entry) {
          try {
            entry = { record: await keys.verify(credential) };
          } catch (error) {
            logger?.error({ err: error }, 'checking a key failed');
            return unauthenticated(
              'STORE_UNAVAILABLE',
              'The key could not be checked just now; try again shortly.',
            );
          }
          cache.set(cacheKey, entry);
        }
        return fromKey(entry.record, origin);
      }
      if (looksLikeJwt(credential)) {
        const cached = cache.get(cacheKey)?.jwt;
        if (
          cached &&
          (!cached.ok || !cached.principal.expiresAt || cached.principal.expiresAt.getTime() > Date.now())
        ) {
          return cached;
        }
        const result = await fromJwt(credential);
        // A failure to fetch the provider's keys is worth retrying at once; other verdicts are stable.
        if (result.ok || result.refusal.reason !== 'JWKS_UNAVAILABLE') cache.set(cacheKey, { jwt: result });
        return result;
      }
      return unauthenticated(
        'MALFORMED_CREDENTIAL',
        'The credential is neither a Switchboard key (sb_…, sbpk_…) nor a JWT.',
      );
    },
    forget: () => cache.clear(),
  };
}
