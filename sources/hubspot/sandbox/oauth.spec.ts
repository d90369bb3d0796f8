import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { decideConsent } from '../../../harness/sandbox-admin.ts';
import type { VendorSandbox } from '../../../src/sandbox/types.ts';
import { SourceError } from '../../../src/domain/errors.ts';
import {
  createConnectableTokenProvider,
  createOAuthTokenProvider,
  exchangeAuthorizationCode,
  type RefreshTokenStore,
} from '../../../src/upstream/oauth.ts';
import { startHubspotSandbox } from './server.ts';
import { FIXED_NOW } from './test-helpers.ts';

// HubSpot's app install in the sandbox, over real HTTP: the install page, the token endpoint (form
// credentials only, HubSpot's error bodies), token info and uninstall, which tokens the CRM takes,
// and the hub's token providers against it (credentials in the body, a fixed token a connection replaces).

let sandbox: VendorSandbox;
let clientId: string;
let clientSecret: string;
const REDIRECT = 'http://localhost:4000/oauth/callback/hubspot';
const SCOPES = 'oauth crm.objects.contacts.read crm.objects.contacts.write';

beforeAll(async () => {
  sandbox = await startHubspotSandbox({ seed: { now: FIXED_NOW } });
  ({ clientId, clientSecret } = sandbox.credentials as { clientId: string; clientSecret: string });
});
afterAll(() => sandbox.close());
beforeEach(() => fetch(`${sandbox.url}/__sandbox/reset`, { method: 'POST' }));

const installUrl = (params: Record<string, string> = {}) =>
  `${sandbox.url}/oauth/authorize?${new URLSearchParams({
    client_id: clientId,
    scope: SCOPES,
    redirect_uri: REDIRECT,
    state: 'st-9',
    ...params,
  }).toString()}`;

async function code(params: Record<string, string> = {}): Promise<string> {
  const { location } = await decideConsent(installUrl(params), 'allow');
  const back = new URL(location!);
  expect(back.searchParams.get('state')).toBe('st-9');
  return back.searchParams.get('code')!;
}

async function token(form: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await fetch(`${sandbox.url}/oauth/v1/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
const withClient = (form: Record<string, string>) => ({
  ...form,
  client_id: clientId,
  client_secret: clientSecret,
});

const contacts = (accessToken: string) =>
  fetch(`${sandbox.url}/crm/v3/objects/contacts?limit=1`, {
    headers: { authorization: `Bearer ${accessToken}` },
  });

describe('the install page', () => {
  it('takes no response_type, lists the optional scopes, and redirects with a code and the state', async () => {
    const { html, location } = await decideConsent(
      installUrl({ optional_scope: 'crm.objects.deals.read' }),
      'allow',
    );
    expect(html).toMatch(
      /Connect to HubSpot[\s\S]*crm\.objects\.contacts\.write[\s\S]*if you allow them[\s\S]*crm\.objects\.deals\.read/,
    );
    const back = new URL(location!);
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
    expect(back.searchParams.get('code')).toMatch(/^[0-9a-f-]{36}$/);
    const denied = await decideConsent(installUrl(), 'deny');
    expect(new URL(denied.location!).searchParams.get('error')).toBe('access_denied');
  });
});

describe('the token endpoint', () => {
  it('exchanges a code for tokens with the credentials in the form, and refreshes without rotating', async () => {
    const first = await token(
      withClient({ grant_type: 'authorization_code', code: await code(), redirect_uri: REDIRECT }),
    );
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ token_type: 'bearer', expires_in: 1800 });
    expect(first.body.refresh_token).toMatch(/^na1-/);
    const again = await token(
      withClient({ grant_type: 'refresh_token', refresh_token: first.body.refresh_token as string }),
    );
    expect(again.body.refresh_token).toBe(first.body.refresh_token);
    expect(again.body.access_token).not.toBe(first.body.access_token);
  });

  it("refuses in HubSpot's shape: Basic credentials, a used code, a wrong redirect URI, an unknown refresh token, a bad grant type", async () => {
    const basic = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
    const viaBasic = await token(
      { grant_type: 'authorization_code', code: await code(), redirect_uri: REDIRECT },
      { authorization: basic },
    );
    expect(viaBasic).toMatchObject({
      status: 400,
      body: { status: 'BAD_CLIENT_ID', message: 'missing or unknown client id' },
    });
    expect(viaBasic.body.correlationId).toMatch(/^[0-9a-f-]{36}$/);

    const once = await code();
    expect(
      (await token(withClient({ grant_type: 'authorization_code', code: once, redirect_uri: REDIRECT })))
        .status,
    ).toBe(200);
    expect(
      (await token(withClient({ grant_type: 'authorization_code', code: once, redirect_uri: REDIRECT }))).body
        .status,
    ).toBe('BAD_AUTH_CODE');
    const elsewhere = await token(
      withClient({
        grant_type: 'authorization_code',
        code: await code(),
        redirect_uri: 'https://x.example/cb',
      }),
    );
    expect(elsewhere.body.status).toBe('BAD_REDIRECT_URI');
    expect(
      (await token(withClient({ grant_type: 'refresh_token', refresh_token: 'na1-nope' }))).body.status,
    ).toBe('BAD_REFRESH_TOKEN');
    expect(
      (
        await token({
          ...withClient({ grant_type: 'refresh_token', refresh_token: 'x' }),
          client_secret: 'wrong',
        })
      ).body.status,
    ).toBe('BAD_CLIENT_SECRET');
    expect((await token(withClient({ grant_type: 'password' }))).body.status).toBe('BAD_GRANT_TYPE');
  });
});

describe('tokens and the CRM', () => {
  it('the CRM takes minted tokens and the private-app token; token info says what a token is for; an uninstall revokes', async () => {
    const granted = await token(
      withClient({ grant_type: 'authorization_code', code: await code(), redirect_uri: REDIRECT }),
    );
    const access = granted.body.access_token as string;
    expect((await contacts(access)).status).toBe(200);
    expect((await contacts(sandbox.credentials.accessToken!)).status).toBe(200);
    expect((await contacts('C-unknown')).status).toBe(401);

    const info = await fetch(`${sandbox.url}/oauth/v1/access-tokens/${access}`);
    expect(await info.json()).toMatchObject({
      token: access,
      hub_id: Number(sandbox.credentials.portalId),
      app_id: Number(sandbox.credentials.appId),
      scopes: SCOPES.split(' '),
      token_type: 'access',
    });

    const uninstall = await fetch(
      `${sandbox.url}/oauth/v1/refresh-tokens/${granted.body.refresh_token as string}`,
      {
        method: 'DELETE',
      },
    );
    expect(uninstall.status).toBe(204);
    const refused = await contacts(access);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ status: 'error', category: 'INVALID_AUTHENTICATION' });
  });

  it('expired access tokens are refused; a refresh gets a working one', async () => {
    const granted = await token(
      withClient({ grant_type: 'authorization_code', code: await code(), redirect_uri: REDIRECT }),
    );
    await fetch(`${sandbox.url}/__sandbox/clock`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ advanceSeconds: 1800 }),
    });
    expect((await contacts(granted.body.access_token as string)).status).toBe(401);
    const renewed = await token(
      withClient({ grant_type: 'refresh_token', refresh_token: granted.body.refresh_token as string }),
    );
    expect((await contacts(renewed.body.access_token as string)).status).toBe(200);
  });
});

describe("the hub's token providers against it", () => {
  const client = () => ({
    source: 'hubspot',
    tokenUrl: `${sandbox.url}/oauth/v1/token`,
    clientId,
    clientSecret,
    clientAuthentication: 'body' as const,
  });

  it('exchange and refresh with the credentials in the body; a dead refresh token is UNAUTHENTICATED with a reconnect hint', async () => {
    const tokens = await exchangeAuthorizationCode({
      ...client(),
      code: await code(),
      redirectUri: REDIRECT,
    });
    expect(tokens.expiresInMs).toBe(1_800_000);
    const provider = createOAuthTokenProvider({ ...client(), refreshToken: tokens.refreshToken });
    expect((await contacts(await provider.getAccessToken())).status).toBe(200);

    const refused = exchangeAuthorizationCode({ ...client(), code: 'made-up', redirectUri: REDIRECT });
    await expect(refused).rejects.toMatchObject({ vendorCode: 'BAD_AUTH_CODE' });
    const dead = createOAuthTokenProvider({ ...client(), refreshToken: 'na1-dead' });
    const error = await dead.getAccessToken().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({ code: 'UNAUTHENTICATED', vendorCode: 'BAD_REFRESH_TOKEN' });
    expect((error as Error).message).toMatch(/BAD_REFRESH_TOKEN \(.*reconnect\)/);
  });

  it('a fixed token is used (state null) until a refresh token is stored, then OAuth; a refusing store fails calls', async () => {
    let stored: string | undefined;
    let refusing = false;
    const store: RefreshTokenStore = {
      load: () => (refusing ? Promise.reject(new Error('not connected')) : Promise.resolve(stored)),
      save: (value) => {
        stored = value;
        return Promise.resolve();
      },
    };
    const provider = createConnectableTokenProvider({
      ...client(),
      fixedAccessToken: sandbox.credentials.accessToken!,
      store,
    });
    expect(await provider.getAccessToken()).toBe(sandbox.credentials.accessToken);
    expect(provider.state()).toBeNull();

    stored = (await exchangeAuthorizationCode({ ...client(), code: await code(), redirectUri: REDIRECT }))
      .refreshToken;
    // Still the fixed token: the store is read again only when told a connection changed.
    expect(await provider.getAccessToken()).toBe(sandbox.credentials.accessToken);
    provider.reset();
    const access = await provider.getAccessToken();
    expect(access).not.toBe(sandbox.credentials.accessToken);
    expect((await contacts(access)).status).toBe(200);
    expect(provider.state()).toMatchObject({ state: 'valid', refreshes: 1 });

    refusing = true;
    provider.reset();
    await expect(provider.getAccessToken()).rejects.toThrow('not connected');
  });
});
