import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxServer, type RunningSandbox } from './http.ts';
import { authorizeRoute, clientCredentials } from './oauth.ts';

// The consent step and client authentication the OAuth sandboxes share, over real HTTP.
const minted: Array<{ scopes: string[]; redirectUri?: string }> = [];
let sandbox: RunningSandbox;

beforeAll(async () => {
  sandbox = await startSandboxServer({
    name: 'kit_oauth',
    routes: [
      {
        method: 'POST',
        path: '/token',
        operation: 'token',
        handler: (req) => ({
          status: 200,
          body: clientCredentials(req, new URLSearchParams(req.rawBody.toString('utf8'))),
        }),
      },
    ],
    adminRoutes: [
      authorizeRoute({
        authorize: (scopes, redirectUri) => (minted.push({ scopes, redirectUri }), `code-${minted.length}`),
        defaultScopes: ['openid', 'accounting'],
        example: '{"scopes":["openid"]}',
        extra: () => ({ realmId: '123' }),
      }),
    ],
    reset: () => {},
    errorResponse: (status, message) => ({ status, body: { error: message } }),
  });
});
afterAll(() => sandbox.close());

const post = async (path: string, body: string, headers: Record<string, string> = {}) => {
  const res = await fetch(`${sandbox.url}${path}`, { method: 'POST', headers, body });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};
const json = { 'content-type': 'application/json' };
const form = { 'content-type': 'application/x-www-form-urlencoded' };

describe('authorizeRoute', () => {
  it('mints a code for the default scopes, given ones, or a space-separated list, with what the redirect carries', async () => {
    expect(await post('/__sandbox/authorize', '{}', json)).toEqual({
      status: 200,
      body: {
        code: 'code-1',
        realmId: '123',
        scopes: ['openid', 'accounting'],
        redirectUri: null,
        expiresInSeconds: 300,
      },
    });
    const given = await post('/__sandbox/authorize', '{"scopes":"a b","redirectUri":"https://x/cb"}', json);
    expect(given.body).toMatchObject({ scopes: ['a', 'b'], redirectUri: 'https://x/cb' });
    expect(minted.at(-1)).toEqual({ scopes: ['a', 'b'], redirectUri: 'https://x/cb' });
  });

  it('refuses a body that is not an object, bad scopes and a bad redirect URI, minting nothing', async () => {
    const before = minted.length;
    const cases: Array<[string, RegExp]> = [
      ['[]', /JSON object, e\.g\. \{"scopes":\["openid"\]\}/],
      ['{"scopes":[1]}', /"scopes" must be a list of strings/],
      ['{"redirectUri":5}', /"redirectUri" must be a string/],
    ];
    for (const [body, error] of cases) {
      const refused = await post('/__sandbox/authorize', body, json);
      expect(refused.status).toBe(400);
      expect(refused.body.error).toMatch(error);
    }
    expect(minted).toHaveLength(before);
  });
});

describe('clientCredentials', () => {
  const basic = (text: string) => ({
    ...form,
    authorization: `Basic ${Buffer.from(text).toString('base64')}`,
  });

  it('reads HTTP Basic, each part form-urlencoded, or the form fields', async () => {
    expect((await post('/token', '', basic('my%20id:s%3Acret'))).body).toEqual({
      id: 'my id',
      secret: 's:cret',
    });
    expect((await post('/token', 'client_id=a&client_secret=b', form)).body).toEqual({
      id: 'a',
      secret: 'b',
    });
  });

  it('gives neither for a malformed Basic header, instead of failing the request', async () => {
    expect(await post('/token', '', basic('%E0%A4%A:x'))).toEqual({ status: 200, body: {} });
  });
});
