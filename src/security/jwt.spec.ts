import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestStore, type TestStore } from '../../harness/stores.ts';
import { buildSchema } from '../graph/schema.ts';
import { createAuthenticator, type Authenticator } from './authenticate.ts';
import { createJwtVerifier, looksLikeJwt, type JwtSettings, type JwtVerdict } from './jwt.ts';
import { createApiKeyRepository } from './keys.ts';
import { readScopeCatalog } from './scopes.ts';

const ISSUER = 'https://id.example.com/';
const AUDIENCE = 'https://switchboard.example.com';

interface Jwks {
  server: Server;
  url: string;
  /** How many times the keys were fetched. */
  fetches: number;
  /** Answer 503 while true. */
  down: boolean;
  keys: JWK[];
}

async function startJwks(keys: JWK[]): Promise<Jwks> {
  const jwks: Jwks = { server: undefined as unknown as Server, url: '', fetches: 0, down: false, keys };
  jwks.server = createServer((_request, response) => {
    jwks.fetches++;
    if (jwks.down) {
      response.writeHead(503).end('down');
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: jwks.keys }));
  });
  await new Promise<void>((resolve) => jwks.server.listen(0, '127.0.0.1', resolve));
  jwks.url = `http://127.0.0.1:${(jwks.server.address() as AddressInfo).port}/.well-known/jwks.json`;
  return jwks;
}

const stop = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

/** The reason of a verdict that must be a refusal. */
function reasonOf(verdict: JwtVerdict): string {
  if (verdict.ok) throw new Error(`expected a refusal, got a token for ${verdict.subject}`);
  return verdict.reason;
}

describe('JWT verification against a JWKS', () => {
  let rsa: { privateKey: CryptoKey; publicKey: CryptoKey };
  let ec: { privateKey: CryptoKey; publicKey: CryptoKey };
  let impostor: { privateKey: CryptoKey; publicKey: CryptoKey };
  let jwks: Jwks;
  let settings: JwtSettings;

  beforeAll(async () => {
    rsa = await generateKeyPair('RS256');
    ec = await generateKeyPair('ES256');
    impostor = await generateKeyPair('RS256');
    jwks = await startJwks([
      { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
      { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
    ]);
    settings = {
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUrl: jwks.url,
      scopesClaim: 'scope',
      workspaceClaim: 'https://switchboard.example.com/workspaces',
    };
  });
  afterAll(() => stop(jwks.server));

  /** A token signed with `key` (the RSA key by default), valid for 5 minutes unless changed. */
  const sign = (
    payload: JWTPayload,
    options: {
      key?: CryptoKey | Uint8Array;
      alg?: string;
      kid?: string;
      issuer?: string;
      audience?: string;
      subject?: string | null;
      expiresAt?: number | null;
      notBefore?: number;
    } = {},
  ) => {
    let jwt = new SignJWT(payload)
      .setProtectedHeader({ alg: options.alg ?? 'RS256', kid: options.kid ?? 'rsa-1', typ: 'JWT' })
      .setIssuer(options.issuer ?? ISSUER)
      .setAudience(options.audience ?? AUDIENCE)
      .setIssuedAt();
    if (options.subject !== null) jwt = jwt.setSubject(options.subject ?? 'alice');
    if (options.expiresAt !== null) jwt = jwt.setExpirationTime(options.expiresAt ?? now() + 300);
    if (options.notBefore !== undefined) jwt = jwt.setNotBefore(options.notBefore);
    return jwt.sign(options.key ?? rsa.privateKey);
  };

  it('accepts a valid RS256 token: subject, scopes from a space-separated `scope`, workspaces, expiry', async () => {
    const verifier = createJwtVerifier(settings);
    const exp = now() + 300;
    const token = await sign(
      {
        scope: 'customers:read  bookings:read',
        'https://switchboard.example.com/workspaces': ['ws1', 'ws2'],
      },
      { expiresAt: exp },
    );
    expect(looksLikeJwt(token)).toBe(true);
    expect(await verifier.verify(token)).toEqual({
      ok: true,
      subject: 'alice',
      scopes: ['customers:read', 'bookings:read'],
      workspaces: ['ws1', 'ws2'],
      expiresAt: new Date(exp * 1000),
    });
  });

  it('accepts an ES256 token, with scopes from a list claim (`scp`) and one workspace as a string', async () => {
    const verifier = createJwtVerifier({ ...settings, scopesClaim: 'scp', workspaceClaim: 'ws' });
    const token = await sign(
      { scp: ['orders:read', 'invoices:read', 42, null], scope: 'operator', ws: 'ws3' },
      { key: ec.privateKey, alg: 'ES256', kid: 'ec-1', subject: 'bob' },
    );
    expect(await verifier.verify(token)).toMatchObject({
      ok: true,
      subject: 'bob',
      scopes: ['orders:read', 'invoices:read'],
      workspaces: ['ws3'],
    });
  });

  it('no scopes and no workspace claim: empty lists', async () => {
    const verdict = await createJwtVerifier(settings).verify(await sign({}));
    expect(verdict).toMatchObject({ ok: true, subject: 'alice', scopes: [], workspaces: [] });
  });

  it('expired (beyond the 30 s leeway): JWT_EXPIRED; within it: accepted', async () => {
    const verifier = createJwtVerifier(settings);
    expect(reasonOf(await verifier.verify(await sign({}, { expiresAt: now() - 120 })))).toBe('JWT_EXPIRED');
    expect((await verifier.verify(await sign({}, { expiresAt: now() - 5 }))).ok).toBe(true);
    const strict = createJwtVerifier({ ...settings, clockToleranceSec: 0 });
    expect(reasonOf(await strict.verify(await sign({}, { expiresAt: now() - 5 })))).toBe('JWT_EXPIRED');
  });

  it('`nbf` in the future: JWT_NOT_YET_VALID', async () => {
    const verdict = await createJwtVerifier(settings).verify(await sign({}, { notBefore: now() + 600 }));
    expect(reasonOf(verdict)).toBe('JWT_NOT_YET_VALID');
  });

  it('another issuer: JWT_WRONG_ISSUER; another audience: JWT_WRONG_AUDIENCE', async () => {
    const verifier = createJwtVerifier(settings);
    expect(reasonOf(await verifier.verify(await sign({}, { issuer: 'https://evil.example.com/' })))).toBe(
      'JWT_WRONG_ISSUER',
    );
    // Trailing-slash differences are different issuers.
    expect(reasonOf(await verifier.verify(await sign({}, { issuer: 'https://id.example.com' })))).toBe(
      'JWT_WRONG_ISSUER',
    );
    expect(reasonOf(await verifier.verify(await sign({}, { audience: 'https://other.example.com' })))).toBe(
      'JWT_WRONG_AUDIENCE',
    );
  });

  it('no `sub` or no `exp`: JWT_CLAIM_INVALID', async () => {
    const verifier = createJwtVerifier(settings);
    expect(reasonOf(await verifier.verify(await sign({}, { subject: null })))).toBe('JWT_CLAIM_INVALID');
    expect(reasonOf(await verifier.verify(await sign({}, { expiresAt: null })))).toBe('JWT_CLAIM_INVALID');
  });

  it('signed by a key the JWKS does not hold, under a kid it does: JWT_BAD_SIGNATURE', async () => {
    // jose picks the JWKS key by kid (rsa-1, the real one) and the signature does not verify with it.
    const verdict = await createJwtVerifier(settings).verify(await sign({}, { key: impostor.privateKey }));
    expect(reasonOf(verdict)).toBe('JWT_BAD_SIGNATURE');
  });

  it('a kid the JWKS does not list: JWT_UNKNOWN_KEY', async () => {
    const verdict = await createJwtVerifier(settings).verify(
      await sign({}, { key: impostor.privateKey, kid: 'rsa-2' }),
    );
    expect(reasonOf(verdict)).toBe('JWT_UNKNOWN_KEY');
  });

  it('a tampered payload: JWT_BAD_SIGNATURE', async () => {
    const token = await sign({ scope: 'customers:read' });
    const [header, , signature] = token.split('.');
    const forged = `${header}.${b64url({ sub: 'alice', iss: ISSUER, aud: AUDIENCE, exp: now() + 300, scope: 'operator' })}.${signature}`;
    expect(reasonOf(await createJwtVerifier(settings).verify(forged))).toBe('JWT_BAD_SIGNATURE');
  });

  it('`alg: none` (an unsecured JWT, built by hand): refused as JWT_ALGORITHM', async () => {
    const payload = { sub: 'mallory', iss: ISSUER, aud: AUDIENCE, exp: now() + 300, scope: 'operator' };
    const verifier = createJwtVerifier(settings);
    for (const header of [{ alg: 'none' }, { alg: 'none', typ: 'JWT' }, { alg: 'None' }, { alg: 'NONE' }]) {
      const token = `${b64url(header)}.${b64url(payload)}.`;
      expect(looksLikeJwt(token)).toBe(true);
      expect(reasonOf(await verifier.verify(token)), JSON.stringify(header)).toBe('JWT_ALGORITHM');
    }
  });

  it('an HS256 token (whatever its secret): JWT_ALGORITHM', async () => {
    const verifier = createJwtVerifier(settings);
    const secret = new TextEncoder().encode('a shared secret of at least thirty-two bytes');
    const token = await sign({ scope: 'operator' }, { key: secret, alg: 'HS256' });
    expect(reasonOf(await verifier.verify(token))).toBe('JWT_ALGORITHM');
    // The classic confusion: the provider's public key (as text) used as the HMAC secret.
    const publicJwk = new TextEncoder().encode(JSON.stringify(jwks.keys[0]));
    const confused = await sign({ scope: 'operator' }, { key: publicJwk, alg: 'HS256' });
    expect(reasonOf(await verifier.verify(confused))).toBe('JWT_ALGORITHM');
  });

  it('an algorithm outside a narrowed list: JWT_ALGORITHM', async () => {
    const verifier = createJwtVerifier({ ...settings, algorithms: ['ES256'] });
    const verdict = await verifier.verify(await sign({}));
    expect(reasonOf(verdict)).toBe('JWT_ALGORITHM');
    expect(verdict.ok ? '' : verdict.message).toContain('ES256');
  });

  it('malformed tokens: JWT_MALFORMED', async () => {
    const verifier = createJwtVerifier(settings);
    const good = await sign({});
    const [header, payload] = good.split('.');
    for (const token of [
      '',
      'garbage',
      'a.b',
      'a.b.c.d',
      `${b64url('not an object')}.${payload}.c2ln`,
      `${Buffer.from('{not json').toString('base64url')}.${payload}.c2ln`,
      `${header}.${payload}`,
    ]) {
      expect(reasonOf(await verifier.verify(token)), token).toBe('JWT_MALFORMED');
    }
  });

  it('a payload that is not JSON, under a good signature: JWT_MALFORMED', async () => {
    const { CompactSign } = await import('jose');
    const token = await new CompactSign(new TextEncoder().encode('not json'))
      .setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' })
      .sign(rsa.privateKey);
    expect(reasonOf(await createJwtVerifier(settings).verify(token))).toBe('JWT_MALFORMED');
  });

  it('the JWKS server down (refusing connections, or answering 503): JWKS_UNAVAILABLE, not thrown', async () => {
    const gone = await startJwks([]);
    const url = gone.url;
    await stop(gone.server);
    const token = await sign({});
    const refused = await createJwtVerifier({ ...settings, jwksUrl: url }).verify(token);
    expect(reasonOf(refused)).toBe('JWKS_UNAVAILABLE');

    const flaky = await startJwks(jwks.keys);
    try {
      flaky.down = true;
      const verifier = createJwtVerifier({ ...settings, jwksUrl: flaky.url });
      expect(reasonOf(await verifier.verify(token))).toBe('JWKS_UNAVAILABLE');
      // A failed fetch starts no cool-down: the next token fetches again and succeeds.
      flaky.down = false;
      expect((await verifier.verify(token)).ok).toBe(true);
      expect(flaky.fetches).toBe(2);
    } finally {
      await stop(flaky.server);
    }
  });

  it('fetches the JWKS once for many tokens', async () => {
    const counted = await startJwks(jwks.keys);
    try {
      const verifier = createJwtVerifier({ ...settings, jwksUrl: counted.url });
      const tokens = await Promise.all([
        sign({}),
        sign({}, { subject: 'bob' }),
        sign({}, { key: ec.privateKey, alg: 'ES256', kid: 'ec-1' }),
      ]);
      for (const token of tokens) expect((await verifier.verify(token)).ok).toBe(true);
      expect(counted.fetches).toBe(1);
    } finally {
      await stop(counted.server);
    }
  });

  describe('through the authenticator', () => {
    let t: TestStore;
    let auth: Authenticator;
    beforeAll(async () => {
      t = await openTestStore('sqlite');
      auth = createAuthenticator({
        keys: createApiKeyRepository(t.store.db),
        mode: 'test',
        catalog: readScopeCatalog(buildSchema()),
        jwt: createJwtVerifier(settings),
        defaultWorkspace: 'default',
      });
    });
    afterAll(() => t.drop());

    it('a JWT principal: actor jwt:<sub>, known scopes only, the default workspace when none is named', async () => {
      const exp = now() + 300;
      const token = await sign(
        { scope: 'customers:read admin superuser customers:pii bookings:read:all' },
        { subject: 'user|42', expiresAt: exp },
      );
      const result = await auth.authenticate({ authorization: `Bearer ${token}`, origin: null });
      expect(result).toEqual({
        ok: true,
        principal: {
          kind: 'jwt',
          actor: 'jwt:user|42',
          workspaces: ['default'],
          scopes: new Set(['customers:read', 'customers:pii']),
          expiresAt: new Date(exp * 1000),
        },
      });
    });

    it("with a workspace claim, the token's workspaces", async () => {
      const token = await sign({
        'https://switchboard.example.com/workspaces': 'ws1 ws2',
        scope: 'operator',
      });
      const result = await auth.authenticate({ authorization: `Bearer ${token}`, origin: null });
      expect(result.ok && result.principal.workspaces).toEqual(['ws1', 'ws2']);
      expect(result.ok && [...result.principal.scopes]).toEqual(['operator']);
    });

    it('refusals keep their reason and are 401 UNAUTHENTICATED', async () => {
      const token = await sign({}, { expiresAt: now() - 120 });
      const result = await auth.authenticate({ authorization: `Bearer ${token}`, origin: null });
      expect(result).toMatchObject({
        ok: false,
        refusal: { status: 401, code: 'UNAUTHENTICATED', reason: 'JWT_EXPIRED' },
      });
      const none = `${b64url({ alg: 'none' })}.${b64url({ sub: 'x', iss: ISSUER, aud: AUDIENCE, exp: now() + 60 })}.`;
      expect(await auth.authenticate({ authorization: `Bearer ${none}`, origin: null })).toMatchObject({
        ok: false,
        refusal: { status: 401, reason: 'JWT_ALGORITHM' },
      });
    });
  });
});
