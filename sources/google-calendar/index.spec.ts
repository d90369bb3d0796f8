import { describe, expect, it } from 'vitest';
import { googleCalendar } from './index.ts';

// What the environment must hold for Google Calendar now that it can also be connected from the
// console, and what Connect says when the OAuth client is missing.

const problems = (result: { settings: unknown } | { problems: string[] }) =>
  'problems' in result ? result.problems : [];
const REQUEST = { redirectUri: 'https://hub.example/oauth/callback/google_calendar', state: 'st' };

describe('Google Calendar settings', () => {
  it('the OAuth client with a refresh token or a fixed token; the client alone is not enough to start', () => {
    const client = { GOOGLE_CLIENT_ID: 'cid.apps.googleusercontent.com', GOOGLE_CLIENT_SECRET: 'secret' };
    expect(problems(googleCalendar.settings.fromEnv({ ...client, GOOGLE_REFRESH_TOKEN: '1//r' }))).toEqual(
      [],
    );
    expect(
      problems(googleCalendar.settings.fromEnv({ ...client, GOOGLE_CALENDAR_ACCESS_TOKEN: 'ya29.x' })),
    ).toEqual([]);
    expect(problems(googleCalendar.settings.fromEnv(client)).join()).toMatch(
      /GOOGLE_REFRESH_TOKEN \(or GOOGLE_CALENDAR_ACCESS_TOKEN until it is connected from the console\)/,
    );
  });

  it('without an OAuth client Connect says what to set; with one, the consent URL asks for offline access', () => {
    const fixed = googleCalendar.settings.fromEnv({ GOOGLE_CALENDAR_ACCESS_TOKEN: 'ya29.x' });
    if (!('settings' in fixed)) throw new Error(fixed.problems.join());
    expect(() => googleCalendar.consent!.authorizeUrl(fixed.settings, REQUEST)).toThrow(
      /set GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET/,
    );
    const read = googleCalendar.settings.fromEnv({
      GOOGLE_CLIENT_ID: 'cid',
      GOOGLE_CLIENT_SECRET: 'secret',
      GOOGLE_REFRESH_TOKEN: '1//r',
    });
    if (!('settings' in read)) throw new Error(read.problems.join());
    const url = new URL(googleCalendar.consent!.authorizeUrl(read.settings, REQUEST));
    expect(`${url.origin}${url.pathname}`).toBe('https://accounts.google.com/o/oauth2/v2/auth');
    expect(url.searchParams.get('access_type')).toBe('offline');
    expect(url.searchParams.get('prompt')).toBe('consent');
  });
});
