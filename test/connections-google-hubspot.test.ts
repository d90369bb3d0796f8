import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSwitchboard } from '../src/app.ts';
import { startSandboxHub, type SandboxHub } from '../harness/sandbox-hub.ts';
import type { Sandboxes } from '../src/sandbox/start.ts';
import { createSourceStateRepository } from '../src/store/source-state.ts';
import { decideConsent } from '../harness/sandbox-admin.ts';

// Google Calendar and HubSpot (the app install) connected through their consent pages over HTTP,
// as the console's Connect button and the vendor's page do it, against the sandbox hub: the
// sandboxes start on their fixed tokens (the "environment"), and a console connection replaces
// them. Which token a call used is read from each sandbox's OAuth counters (`GET /__sandbox`).

let app: RunningSwitchboard;
let sandboxes: Sandboxes;
let hub: SandboxHub;
const gql = (query: string, variables?: Record<string, unknown>) => hub.gql(query, variables);

const START = `mutation($system: SourceSystem!) { startConnection(system: $system) { authorizeUrl expiresAt } }`;
const CONNECTION = `{ sources { system connection { method canConnect connectedAt } token { state } } }`;
const DISCONNECT = `mutation($system: SourceSystem!) { disconnect(system: $system) { system connection { method } } }`;
const BOOKINGS = `query($from: DateTime!, $to: DateTime!) { bookings(from: $from, to: $to, first: 5) { totalCount } }`;
const CONTACTS = `{ customers(search: "a", first: 2) { edges { node { id } } } }`;

const window = () => {
  const from = new Date();
  return { from: from.toISOString(), to: new Date(from.getTime() + 30 * 86_400_000).toISOString() };
};
const readBookings = () => gql(BOOKINGS, window());
const readContacts = () => gql(CONTACTS);

/** Presses Connect, then `decision` on the sandbox's page; returns the page's HTML and the callback URL. */
async function consent(system: string, decision: 'allow' | 'deny') {
  const { data, errors } = await gql(START, { system });
  expect(errors).toBeUndefined();
  const { status, html, location } = await decideConsent(data.startConnection.authorizeUrl, decision);
  expect(status).toBe(200);
  expect(location).not.toBeNull();
  return { html, callback: location! };
}

const follow = (url: string) => fetch(url, { redirect: 'manual' });

async function oauthUses(role: 'calendar' | 'crm'): Promise<number> {
  const res = await fetch(`${sandboxes[role].url}/__sandbox`);
  const body = (await res.json()) as { oauth: { accessTokenUses: number } };
  return body.oauth.accessTokenUses;
}

async function connectionOf(system: string) {
  const { data, errors } = await gql(CONNECTION);
  expect(errors).toBeUndefined();
  return (
    data.sources as Array<{ system: string; connection: Record<string, unknown>; token: unknown }>
  ).find((s) => s.system === system)!;
}

const storedKeys = async (system: string, prefix: string) =>
  app.hub.store.db
    .selectFrom('source_state')
    .select(['key', 'value'])
    .where('system', '=', system)
    .where('key', 'like', `${prefix}%`)
    .execute();

beforeAll(async () => {
  hub = await startSandboxHub({
    SWITCHBOARD_CACHE: 'off',
    SWITCHBOARD_CRM: 'hubspot',
    SWITCHBOARD_CALENDAR: 'google_calendar',
  });
  ({ app, sandboxes } = hub);
}, 90_000);
afterAll(() => hub?.close());

describe('connecting HubSpot by installing its app', () => {
  it('can be connected from the console; until then the private-app token is used, with no OAuth token shown', async () => {
    const before = await connectionOf('HUBSPOT');
    expect(before.connection).toMatchObject({ method: 'environment', canConnect: true });
    expect(before.token).toBeNull();
    expect((await readContacts()).errors).toBeUndefined();
    expect(await oauthUses('crm')).toBe(0);
  });

  it('points at the install page with the client, the CRM scopes, the hub callback and no response_type', async () => {
    const { data } = await gql(START, { system: 'HUBSPOT' });
    const url = new URL(data.startConnection.authorizeUrl);
    expect(`${url.origin}${url.pathname}`).toBe(`${sandboxes.crm.url}/oauth/authorize`);
    expect(url.searchParams.get('client_id')).toBe(sandboxes.crm.credentials.clientId);
    expect(url.searchParams.get('redirect_uri')).toBe(`${app.url}/oauth/callback/hubspot`);
    expect(url.searchParams.get('scope')?.split(' ')).toEqual(
      expect.arrayContaining(['crm.objects.contacts.read', 'crm.objects.contacts.write']),
    );
    expect(url.searchParams.has('response_type')).toBe(false);
  });

  it('Allow stores the tokens sealed, and the CRM is then read with the installed app token', async () => {
    const { html, callback } = await consent('HUBSPOT', 'allow');
    expect(html).toMatch(/Connect to HubSpot/);
    const done = await follow(callback);
    expect(done.status).toBe(302);
    expect(done.headers.get('location')).toBe('/console#/connections?connected=HUBSPOT');
    const refresh = await storedKeys('hubspot', 'refresh_token:c-');
    expect(refresh).toHaveLength(1);
    expect(refresh[0]!.value).not.toMatch(/^na1-/); // HubSpot's refresh tokens, sealed at rest
    const access = await storedKeys('hubspot', 'access_token:c-');
    expect(access).toHaveLength(1);
    expect(access[0]!.value).not.toMatch(/accessToken/);

    const uses = await oauthUses('crm');
    expect((await readContacts()).errors).toBeUndefined();
    expect(await oauthUses('crm')).toBeGreaterThan(uses);
    const after = await connectionOf('HUBSPOT');
    expect(after.connection).toMatchObject({ method: 'oauth' });
    expect(after.token).toEqual({ state: 'VALID' });
  });

  it('a disconnect stops the CRM calls (the private-app token is not used either); a reinstall brings them back', async () => {
    const off = await gql(DISCONNECT, { system: 'HUBSPOT' });
    expect(off.data.disconnect.connection.method).toBe('none');
    const refused = await readContacts();
    expect(JSON.stringify(refused.errors)).toMatch(/HubSpot is not connected: connect it from the console/);

    await follow((await consent('HUBSPOT', 'allow')).callback);
    const uses = await oauthUses('crm');
    expect((await readContacts()).errors).toBeUndefined();
    expect(await oauthUses('crm')).toBeGreaterThan(uses);
  });
});

describe('connecting Google Calendar through its consent', () => {
  it('points at the consent page with offline access, the consent prompt and the calendar scope', async () => {
    const { data } = await gql(START, { system: 'GOOGLE_CALENDAR' });
    const url = new URL(data.startConnection.authorizeUrl);
    expect(`${url.origin}${url.pathname}`).toBe(`${sandboxes.calendar.url}/o/oauth2/v2/auth`);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: sandboxes.calendar.credentials.clientId,
      redirect_uri: `${app.url}/oauth/callback/google_calendar`,
      scope: 'https://www.googleapis.com/auth/calendar',
      access_type: 'offline',
      prompt: 'consent',
    });
  });

  it('Deny comes back to the console as refused, and nothing is stored', async () => {
    const { callback } = await consent('GOOGLE_CALENDAR', 'deny');
    expect(new URL(callback).searchParams.get('error')).toBe('access_denied');
    const back = await follow(callback);
    expect(back.headers.get('location')).toBe('/console#/connections?refused=GOOGLE_CALENDAR');
    expect(await storedKeys('google_calendar', 'refresh_token:c-')).toHaveLength(0);
    expect((await connectionOf('GOOGLE_CALENDAR')).connection).toMatchObject({ method: 'environment' });
  });

  it('a forged state is refused; Allow then connects once, and the same callback replayed is refused', async () => {
    const { callback } = await consent('GOOGLE_CALENDAR', 'allow');
    const url = new URL(callback);
    const forged = new URL(callback);
    forged.searchParams.set('state', `${url.searchParams.get('state')!.slice(0, -4)}AAAA`);
    const refused = await follow(forged.toString());
    expect(refused.status).toBe(400);
    expect(await refused.text()).toMatch(/not made by this hub[\s\S]*Nothing was changed/);
    expect(await storedKeys('google_calendar', 'refresh_token:c-')).toHaveLength(0);

    const done = await follow(callback);
    expect(done.headers.get('location')).toBe('/console#/connections?connected=GOOGLE_CALENDAR');
    const replay = await follow(callback);
    expect(replay.status).toBe(400);
    expect(await replay.text()).toMatch(/already been used/);
    const stored = await storedKeys('google_calendar', 'refresh_token:c-');
    expect(stored).toHaveLength(1);
    expect(stored[0]!.value).not.toMatch(/^1\/\//); // Google's refresh tokens, sealed at rest
  });

  it('reads go with the connected token: the sandbox counts it, and it is sealed at rest', async () => {
    const uses = await oauthUses('calendar');
    expect((await readBookings()).errors).toBeUndefined();
    expect(await oauthUses('calendar')).toBeGreaterThan(uses);
    const [row] = await storedKeys('google_calendar', 'access_token:c-');
    expect(row!.value).not.toMatch(/ya29\./);
  });

  it('after the grant is revoked at Google the hub asks for a reconnect (no fallback to the static token); a reconnect brings reads back', async () => {
    // As the account owner can at Google: revoke the token the hub holds (read unsealed here).
    const [row] = await storedKeys('google_calendar', 'access_token:c-');
    const held = await createSourceStateRepository(app.hub.store).get('default', 'google_calendar', row!.key);
    const { accessToken } = JSON.parse(held!) as { accessToken: string };
    const revoked = await fetch(`${sandboxes.calendar.url}/revoke?token=${encodeURIComponent(accessToken)}`, {
      method: 'POST',
    });
    expect(revoked.status).toBe(200);
    // The first call meets the 401 and drops the token; the next one's refresh is refused.
    expect((await readBookings()).errors).toBeDefined();
    const failed = await readBookings();
    expect(JSON.stringify(failed.errors)).toMatch(/token refresh failed: invalid_grant \(.*reconnect\)/);

    await follow((await consent('GOOGLE_CALENDAR', 'allow')).callback);
    expect((await readBookings()).errors).toBeUndefined();
    expect((await connectionOf('GOOGLE_CALENDAR')).connection).toMatchObject({ method: 'oauth' });
  });
});
