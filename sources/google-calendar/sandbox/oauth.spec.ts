import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { decideConsent } from '../../../harness/sandbox-admin.ts';
import type { VendorSandbox } from '../../../src/sandbox/types.ts';
import { CodeExchangeError, exchangeAuthorizationCode } from '../../../src/upstream/oauth.ts';
import { startGoogleCalendarSandbox } from './server.ts';

// Google's OAuth for web server apps in the sandbox, over real HTTP: the consent page, the token
// endpoint's grants and error bodies, revocation, and which tokens the Calendar API takes.

let sandbox: VendorSandbox;
let clientId: string;
let clientSecret: string;
const REDIRECT = 'http://127.0.0.1:4000/oauth/callback/google_calendar';
const SCOPE = 'https://www.googleapis.com/auth/calendar';

beforeAll(async () => {
  sandbox = await startGoogleCalendarSandbox({ seed: { now: new Date('2026-11-23T00:00:00Z') } });
  ({ clientId, clientSecret } = sandbox.credentials as { clientId: string; clientSecret: string });
});
afterAll(() => sandbox.close());
beforeEach(() => fetch(`${sandbox.url}/__sandbox/reset`, { method: 'POST' }));

const authorizeUrl = (params: Record<string, string> = {}) =>
  `${sandbox.url}/o/oauth2/v2/auth?${new URLSearchParams({
    response_type: 'code',
    client_id: clientId,
    redirect_uri: REDIRECT,
    scope: SCOPE,
    state: 'st-1',
    access_type: 'offline',
    prompt: 'consent',
    ...params,
  }).toString()}`;

/** Allow on the page; the code from the redirect. */
async function code(params: Record<string, string> = {}): Promise<string> {
  const { location } = await decideConsent(authorizeUrl(params), 'allow');
  const back = new URL(location!);
  expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
  expect(back.searchParams.get('state')).toBe('st-1');
  return back.searchParams.get('code')!;
}

async function token(form: Record<string, string>, basic = false) {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  const body = new URLSearchParams(form);
  if (basic) headers.authorization = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
  else {
    body.set('client_id', clientId);
    body.set('client_secret', clientSecret);
  }
  const res = await fetch(`${sandbox.url}/token`, { method: 'POST', headers, body: body.toString() });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const events = (accessToken: string) =>
  fetch(`${sandbox.url}/calendar/v3/calendars/primary/events?maxResults=1`, {
    headers: { authorization: `Bearer ${accessToken}` },
  });

describe('the consent page', () => {
  it('shows the scopes with Allow and Deny; Deny goes back with access_denied and the state', async () => {
    const { html, location } = await decideConsent(authorizeUrl(), 'deny');
    expect(html).toMatch(/Connect to Google[\s\S]*auth\/calendar[\s\S]*Allow[\s\S]*Deny/);
    expect(html).toContain('name="access_type" value="offline"');
    const back = new URL(location!);
    expect(Object.fromEntries(back.searchParams)).toEqual({ error: 'access_denied', state: 'st-1' });
  });

  it('refuses an unknown client without redirecting, and an unknown scope back at the redirect URI', async () => {
    const unknown = await decideConsent(authorizeUrl({ client_id: 'someone-else' }), 'allow');
    expect(unknown.status).toBe(400);
    expect(unknown.location).toBeNull();
    const scope = await decideConsent(
      authorizeUrl({ scope: 'https://www.googleapis.com/auth/drive' }),
      'allow',
    );
    expect(new URL(scope.location!).searchParams.get('error')).toBe('invalid_scope');
  });
});

describe('the token endpoint', () => {
  it('exchanges a code once, with a refresh token only for offline access (credentials in Basic or the form)', async () => {
    const offline = await token(
      { grant_type: 'authorization_code', code: await code(), redirect_uri: REDIRECT },
      true,
    );
    expect(offline.status).toBe(200);
    expect(offline.body).toMatchObject({ expires_in: 3599, token_type: 'Bearer', scope: SCOPE });
    expect(offline.body.access_token).toMatch(/^ya29\./);
    expect(offline.body.refresh_token).toMatch(/^1\/\//);

    const online = await token({
      grant_type: 'authorization_code',
      code: await code({ access_type: 'online' }),
      redirect_uri: REDIRECT,
    });
    expect(online.status).toBe(200);
    expect(online.body.refresh_token).toBeUndefined();
  });

  it("refuses a used code, a wrong redirect URI, a wrong secret and an unknown grant type in Google's error shape", async () => {
    const first = await code();
    expect(
      (await token({ grant_type: 'authorization_code', code: first, redirect_uri: REDIRECT })).status,
    ).toBe(200);
    expect(await token({ grant_type: 'authorization_code', code: first, redirect_uri: REDIRECT })).toEqual({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Bad Request' },
    });
    const other = await token({
      grant_type: 'authorization_code',
      code: await code(),
      redirect_uri: 'http://127.0.0.1/x',
    });
    expect(other).toEqual({
      status: 400,
      body: { error: 'redirect_uri_mismatch', error_description: 'Bad Request' },
    });

    const res = await fetch(`${sandbox.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: 'x',
        client_id: clientId,
        client_secret: 'wrong',
      }).toString(),
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'invalid_client', error_description: 'Unauthorized' });
    expect(await token({ grant_type: 'password' })).toEqual({
      status: 400,
      body: { error: 'unsupported_grant_type', error_description: 'Invalid grant_type: password' },
    });
  });

  it('refreshes without rotating: a new access token, no refresh token in the answer', async () => {
    const first = await token({
      grant_type: 'authorization_code',
      code: await code(),
      redirect_uri: REDIRECT,
    });
    const refresh = first.body.refresh_token as string;
    const again = await token({ grant_type: 'refresh_token', refresh_token: refresh });
    expect(again.status).toBe(200);
    expect(again.body.refresh_token).toBeUndefined();
    expect(again.body.access_token).not.toBe(first.body.access_token);
    expect((await token({ grant_type: 'refresh_token', refresh_token: refresh })).status).toBe(200);
    expect(await token({ grant_type: 'refresh_token', refresh_token: '1//0unknown' })).toEqual({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' },
    });
  });

  it("is what the hub's code exchange speaks: tokens, and the vendor's reason when refused", async () => {
    const tokens = await exchangeAuthorizationCode({
      tokenUrl: `${sandbox.url}/token`,
      clientId,
      clientSecret,
      code: await code(),
      redirectUri: REDIRECT,
    });
    expect(tokens).toMatchObject({ expiresInMs: 3_599_000, scope: SCOPE });
    const online = exchangeAuthorizationCode({
      tokenUrl: `${sandbox.url}/token`,
      clientId,
      clientSecret,
      code: await code({ access_type: 'online' }),
      redirectUri: REDIRECT,
    });
    await expect(online).rejects.toThrow(/no refresh token \(was offline access asked for/);
    const reused = exchangeAuthorizationCode({
      tokenUrl: `${sandbox.url}/token`,
      clientId,
      clientSecret,
      code: 'made-up',
      redirectUri: REDIRECT,
    });
    await expect(reused).rejects.toBeInstanceOf(CodeExchangeError);
    await expect(reused).rejects.toMatchObject({ vendorCode: 'invalid_grant' });
  });
});

describe('the Calendar API', () => {
  it("takes minted access tokens and the fixed one; refuses unknown, expired and revoked ones with Google's 401", async () => {
    const granted = await token({
      grant_type: 'authorization_code',
      code: await code(),
      redirect_uri: REDIRECT,
    });
    const access = granted.body.access_token as string;
    expect((await events(access)).status).toBe(200);
    expect((await events(sandbox.credentials.accessToken!)).status).toBe(200);
    const unknown = await events('ya29.unknown');
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toMatchObject({ error: { code: 401, status: 'UNAUTHENTICATED' } });

    await fetch(`${sandbox.url}/__sandbox/clock`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ advanceSeconds: 3600 }),
    });
    expect((await events(access)).status).toBe(401);
    const renewed = await token({
      grant_type: 'refresh_token',
      refresh_token: granted.body.refresh_token as string,
    });
    const fresh = renewed.body.access_token as string;
    expect((await events(fresh)).status).toBe(200);

    // Revoking the access token revokes the grant: the refresh token dies with it.
    const revoke = await fetch(`${sandbox.url}/revoke?token=${encodeURIComponent(fresh)}`, {
      method: 'POST',
    });
    expect(revoke.status).toBe(200);
    expect((await events(fresh)).status).toBe(401);
    expect(
      (await token({ grant_type: 'refresh_token', refresh_token: granted.body.refresh_token as string })).body
        .error,
    ).toBe('invalid_grant');
    const twice = await fetch(`${sandbox.url}/revoke?token=${encodeURIComponent(fresh)}`, { method: 'POST' });
    expect(twice.status).toBe(400);
    expect(await twice.json()).toEqual({
      error: 'invalid_token',
      error_description: 'Token expired or revoked',
    });
  });
});
