import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { openTestStore, type TestStore } from '../../harness/stores.ts';
import { buildSchema } from '../graph/schema.ts';
import { createSecurity, type Security } from '../security/index.ts';
import { createFlowSecrets, pkceChallenge, type OidcProvider } from '../security/oidc.ts';
import { createConsoleSignIn, type ConsoleSignInOptions } from './sign-in.ts';

// The sign-in routes over HTTP without a browser or a provider: what they answer when redirect
// sign-in is off, the authorization request they build, and their refusals of malformed input.
// The whole flow in Chromium against the sandbox identity provider is test/console-sign-in.test.ts.

const KEY = Buffer.alloc(32, 9);
const JWT = {
  issuer: 'https://id.example.com',
  audience: 'switchboard',
  jwksUrl: 'https://id.example.com/jwks',
  scopesClaim: 'scope',
  workspaceClaim: 'switchboard_workspace',
};
const OIDC = { clientId: 'console', label: 'Example ID', scopes: 'openid operator' };
const PROVIDER: OidcProvider = {
  issuer: JWT.issuer,
  authorizationEndpoint: 'https://id.example.com/authorize?tenant=t1',
  tokenEndpoint: 'https://id.example.com/token',
};

let t: TestStore;
let security: Security;
const servers: Server[] = [];

beforeAll(async () => {
  t = await openTestStore('sqlite');
  security = createSecurity({
    store: t.store,
    schema: buildSchema(),
    mode: 'test',
    workspaces: new Map(),
    defaultWorkspace: 'default',
    logger: pino({ level: 'silent' }),
    settings: { rateLimits: { perPublicAddress: { points: 5, durationSec: 60 } } },
  });
});
afterAll(async () => {
  for (const server of servers) await new Promise<void>((resolve) => server.close(() => resolve()));
  await security?.close();
  await t?.drop();
});

/** The routes on a port of their own; anything they do not answer is a 404 `unrouted`. */
async function serve(options: Partial<ConsoleSignInOptions> = {}): Promise<string> {
  const signIn = createConsoleSignIn({
    db: t.store.db,
    secrets: t.store.secrets,
    encryptionKey: KEY,
    security,
    logger: pino({ level: 'silent' }),
    workspace: 'default',
    ...options,
  });
  const server = createServer((req, res) => {
    if (!signIn.handle(req, res, (req.url ?? '/').split('?')[0]!)) {
      res.writeHead(404);
      res.end('unrouted');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('console sign-in routes', () => {
  it('off without SWITCHBOARD_OIDC_CLIENT_ID: the page shows no button, /console/login says how to turn it on', async () => {
    const url = await serve();
    expect(await (await fetch(`${url}/console/login/config`)).json()).toEqual({
      enabled: false,
      label: null,
    });
    const start = await fetch(`${url}/console/login`, { redirect: 'manual' });
    expect(start.status).toBe(404);
    expect(await start.text()).toMatch(/set SWITCHBOARD_OIDC_CLIENT_ID/);
    expect((await fetch(`${url}/console/login`, { method: 'POST' })).status).toBe(405);
    expect(await (await fetch(`${url}/console/login/elsewhere`)).text()).toBe('unrouted');
  });

  it('sends the browser to the provider with state, PKCE S256 and a nonce, and binds the flow with a cookie', async () => {
    const url = await serve({
      oidc: OIDC,
      jwt: JWT,
      discover: async () => PROVIDER,
      publicUrl: 'https://hub.example.com',
    });
    expect(await (await fetch(`${url}/console/login/config`)).json()).toEqual({
      enabled: true,
      label: 'Example ID',
    });
    const start = await fetch(`${url}/console/login`, { redirect: 'manual' });
    expect(start.status).toBe(302);
    const location = new URL(start.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe('https://id.example.com/authorize');
    const params = Object.fromEntries(location.searchParams);
    const state = params.state!;
    const flow = createFlowSecrets(KEY);
    expect(params).toEqual({
      tenant: 't1',
      response_type: 'code',
      client_id: 'console',
      redirect_uri: 'https://hub.example.com/console/login/callback',
      scope: 'openid operator',
      state,
      nonce: flow.nonce(state),
      code_challenge: pkceChallenge(flow.verifier(state)),
      code_challenge_method: 'S256',
    });
    expect(start.headers.get('set-cookie')).toMatch(
      /^switchboard_sign_in=[A-Za-z0-9_-]{43}; Path=\/console\/login; Max-Age=600; HttpOnly; SameSite=Lax; Secure$/,
    );
    expect(start.headers.get('cache-control')).toBe('no-store');
    // Only the state's hash is stored, and nothing derived from it.
    const rows = await t.store.db.selectFrom('source_state').select(['key', 'value']).execute();
    const text = JSON.stringify(rows);
    expect(text).not.toContain(state);
    expect(text).not.toContain(flow.verifier(state));
  });

  it('a provider that cannot be read sends the browser back to the form with a code, not a 5xx', async () => {
    const url = await serve({
      oidc: OIDC,
      jwt: JWT,
      discover: () => Promise.reject(new Error('connect ECONNREFUSED')),
    });
    const start = await fetch(`${url}/console/login`, { redirect: 'manual' });
    expect(start.status).toBe(302);
    expect(start.headers.get('location')).toBe('/console#/signin?error=provider_unreachable');
    expect(start.headers.get('set-cookie')).toBeNull();
  });

  it('refuses a malformed session request saying what to send, and limits each address', async () => {
    const url = await serve({ oidc: OIDC, jwt: JWT, discover: async () => PROVIDER });
    const post = (body: string, type = 'application/json') =>
      fetch(`${url}/console/login/session`, { method: 'POST', headers: { 'content-type': type }, body });
    const form = await post('handle=x', 'application/x-www-form-urlencoded');
    expect(form.status).toBe(415);
    expect((await form.json()).error).toMatch(/as JSON/);
    const notJson = await post('{');
    expect(notJson.status).toBe(400);
    expect((await notJson.json()).error).toMatch(/Send `\{ "handle": "…" \}`/);
    // This address has used its 5 a minute by now (the limit counts every sign-in route).
    let last: Response | undefined;
    for (let i = 0; i < 6; i++) last = await post('{"handle":"x"}');
    expect(last!.status).toBe(429);
    expect(last!.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await last!.json()).error).toMatch(/each address signing in may make 5 a minute/);
  });
});
