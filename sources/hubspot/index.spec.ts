import { describe, expect, it } from 'vitest';
import { hubspot } from './index.ts';

// What the environment must hold for HubSpot now that its app can also be installed from the
// console, and what Connect says when the app client is missing.

const problems = (result: { settings: unknown } | { problems: string[] }) =>
  'problems' in result ? result.problems : [];
const REQUEST = { redirectUri: 'https://hub.example/oauth/callback/x', state: 'st' };

describe('HubSpot settings', () => {
  it('a private-app token alone, as before: no app client, so nothing to connect with', () => {
    const read = hubspot.settings.fromEnv({ HUBSPOT_ACCESS_TOKEN: 'pat-na1-x' });
    expect(read).toEqual({
      settings: {
        baseUrl: 'https://api.hubapi.com',
        accessToken: 'pat-na1-x',
        portalId: undefined,
        oauth: undefined,
      },
    });
    expect(() => hubspot.consent!.authorizeUrl({ baseUrl: 'https://api.hubapi.com' }, REQUEST)).toThrow(
      /set HUBSPOT_CLIENT_ID and HUBSPOT_CLIENT_SECRET/,
    );
  });

  it('the app client with a private-app token or a refresh token; without either, says what to set', () => {
    const app = { HUBSPOT_CLIENT_ID: 'cid', HUBSPOT_CLIENT_SECRET: 'secret' };
    expect(problems(hubspot.settings.fromEnv({ ...app, HUBSPOT_REFRESH_TOKEN: 'na1-r' }))).toEqual([]);
    expect(problems(hubspot.settings.fromEnv({ ...app, HUBSPOT_ACCESS_TOKEN: 'pat' }))).toEqual([]);
    expect(problems(hubspot.settings.fromEnv(app)).join()).toMatch(
      /HUBSPOT_ACCESS_TOKEN.*until the app is installed from the console \(or set HUBSPOT_REFRESH_TOKEN\)/,
    );
    expect(
      problems(hubspot.settings.fromEnv({ HUBSPOT_CLIENT_ID: 'cid', HUBSPOT_ACCESS_TOKEN: 'pat' })).join(),
    ).toMatch(/HUBSPOT_CLIENT_SECRET/);
  });

  it('the install URL: client, scopes, redirect URI and state, no response_type; EU accounts by setting', () => {
    const read = hubspot.settings.fromEnv({
      HUBSPOT_CLIENT_ID: 'cid',
      HUBSPOT_CLIENT_SECRET: 'secret',
      HUBSPOT_ACCESS_TOKEN: 'pat',
      HUBSPOT_AUTHORIZE_URL: 'https://app-eu1.hubspot.com/oauth/authorize',
    });
    if (!('settings' in read)) throw new Error(read.problems.join());
    const url = new URL(hubspot.consent!.authorizeUrl(read.settings, REQUEST));
    expect(`${url.origin}${url.pathname}`).toBe('https://app-eu1.hubspot.com/oauth/authorize');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: 'cid',
      redirect_uri: REQUEST.redirectUri,
      state: 'st',
      scope: 'oauth crm.objects.contacts.read crm.objects.contacts.write',
    });
  });
});
