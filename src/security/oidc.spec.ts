import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { startSandboxIdp, type SandboxIdp } from '../sandbox/idp/index.ts';
import {
  createFlowSecrets,
  discoverOidc,
  exchangeSignInCode,
  OidcError,
  pkceChallenge,
  secureEnough,
  type OidcProvider,
} from './oidc.ts';

describe('PKCE and the per-sign-in secrets', () => {
  it('makes the S256 challenge of RFC 7636 appendix B', () => {
    expect(pkceChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
  });

  it('derives the verifier and nonce from the state with the key: the same on every replica, nothing without the key', () => {
    const key = Buffer.alloc(32, 1);
    const a = createFlowSecrets(key);
    const b = createFlowSecrets(Buffer.from(key));
    const state = 'S'.repeat(43);
    expect(a.verifier(state)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(b.verifier(state)).toBe(a.verifier(state));
    expect(a.nonce(state)).not.toBe(a.verifier(state));
    expect(a.verifier('T'.repeat(43))).not.toBe(a.verifier(state));
    expect(createFlowSecrets(Buffer.alloc(32, 2)).verifier(state)).not.toBe(a.verifier(state));
  });

  it('takes https, and http only on a loopback host', () => {
    expect(secureEnough('https://id.example.com/authorize')).toBe(true);
    expect(secureEnough('http://127.0.0.1:9000/authorize')).toBe(true);
    expect(secureEnough('http://localhost/authorize')).toBe(true);
    expect(secureEnough('http://id.example.com/authorize')).toBe(false);
    expect(secureEnough('javascript:alert(1)')).toBe(false);
  });
});

describe('against the sandbox identity provider', () => {
  let idp: SandboxIdp;
  let confidential: SandboxIdp;
  beforeAll(async () => {
    idp = await startSandboxIdp();
    confidential = await startSandboxIdp({ clientSecret: 'sandbox-secret' });
  });
  afterAll(async () => {
    await idp?.close();
    await confidential?.close();
  });

  /** Allow on the provider's page as `user`, as the browser would post it; the code it redirects with. */
  const allow = async (provider: SandboxIdp, challenge: string, user = 'olivia') => {
    const res = await fetch(`${provider.url}/authorize`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: provider.clientId,
        redirect_uri: 'http://127.0.0.1:4000/console/login/callback',
        response_type: 'code',
        scope: 'openid operator',
        state: 'st',
        nonce: 'n-1',
        code_challenge: challenge,
        code_challenge_method: 'S256',
        decision: 'allow',
        user,
      }).toString(),
    });
    expect(res.status).toBe(302);
    return new URL(res.headers.get('location')!).searchParams.get('code')!;
  };
  const exchange = (found: OidcProvider, code: string, codeVerifier: string, clientSecret?: string) =>
    exchangeSignInCode({
      provider: found,
      settings: { clientId: 'switchboard-console', clientSecret, label: 'x', scopes: 'openid' },
      code,
      redirectUri: 'http://127.0.0.1:4000/console/login/callback',
      codeVerifier,
    });

  it('discovers the endpoints, and exchanges a code with its verifier once', async () => {
    const found = await discoverOidc(idp.url);
    expect(found).toEqual({
      issuer: idp.url,
      authorizationEndpoint: `${idp.url}/authorize`,
      tokenEndpoint: `${idp.url}/token`,
    });
    const verifier = createFlowSecrets(Buffer.alloc(32, 3)).verifier('s'.repeat(43));
    const code = await allow(idp, pkceChallenge(verifier));
    const tokens = await exchange(found, code, verifier);
    expect(decodeJwt(tokens.accessToken)).toMatchObject({
      iss: idp.url,
      sub: 'olivia',
      aud: 'switchboard',
      scope: 'operator',
    });
    expect(decodeJwt(tokens.idToken!)).toMatchObject({ aud: 'switchboard-console', nonce: 'n-1' });
    const again = await exchange(found, code, verifier).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(OidcError);
    expect((again as OidcError).providerCode).toBe('invalid_grant');
  });

  it('is refused a code with the wrong verifier, and a confidential client without its secret', async () => {
    const found = await discoverOidc(idp.url);
    const verifier = createFlowSecrets(Buffer.alloc(32, 4)).verifier('v'.repeat(43));
    const code = await allow(idp, pkceChallenge(verifier));
    await expect(exchange(found, code, `${verifier.slice(0, -1)}x`)).rejects.toThrow(
      /refused the sign-in code \(invalid_grant: code_verifier does not match/,
    );
    const other = await discoverOidc(confidential.url);
    const secretCode = await allow(confidential, pkceChallenge(verifier));
    await expect(exchange(other, secretCode, verifier)).rejects.toThrow(/invalid_client/);
    const tokens = await exchange(
      other,
      await allow(confidential, pkceChallenge(verifier)),
      verifier,
      'sandbox-secret',
    );
    expect(tokens.accessToken).toMatch(/^eyJ/);
  });

  it('says what is wrong with a provider it cannot use', async () => {
    await expect(discoverOidc(`${idp.url}/other`)).rejects.toThrow(/answered HTTP 404/);
    // A document naming another issuer (OpenID Connect Discovery §4.3), and one with an http endpoint.
    const documents: Record<string, unknown>[] = [];
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(documents.shift()));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      documents.push({ issuer: 'https://elsewhere.example.com' });
      await expect(discoverOidc(url)).rejects.toThrow(/names the issuer "https:\/\/elsewhere.example.com"/);
      documents.push({
        issuer: url,
        authorization_endpoint: 'http://id.example.com/a',
        token_endpoint: `${url}/t`,
      });
      await expect(discoverOidc(url)).rejects.toThrow(/no usable authorization_endpoint/);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    const closed = await discoverOidc(url).catch((e: unknown) => e);
    expect(closed).toBeInstanceOf(OidcError);
    expect((closed as Error).message).toMatch(
      /discovery document \(.*\/.well-known\/openid-configuration\) could not be read/,
    );
  });
});
