/**
 * Xero's consent page (login.xero.com/identity/connect/authorize) as a browser meets it, over real
 * HTTP: the page, Allow and Deny, the checks made before a redirect URI is trusted, and the code it
 * hands out exchanged at the token endpoint.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VendorSandbox } from '../../../src/sandbox/types.ts';
import { startXeroSandbox } from './server.ts';

let sandbox: VendorSandbox;
beforeAll(async () => {
  sandbox = await startXeroSandbox();
});
afterAll(() => sandbox.close());

const REDIRECT = 'http://127.0.0.1:4999/oauth/callback/xero';
const params = (overrides: Record<string, string> = {}) =>
  new URLSearchParams({
    response_type: 'code',
    client_id: sandbox.credentials.clientId!,
    redirect_uri: REDIRECT,
    scope: 'openid offline_access accounting.transactions accounting.contacts',
    state: 'st4te',
    ...overrides,
  });

const page = (query: URLSearchParams) =>
  fetch(`${sandbox.url}/identity/connect/authorize?${query}`, { redirect: 'manual' });
const decide = (decision: string, overrides: Record<string, string> = {}) =>
  fetch(`${sandbox.url}/identity/connect/authorize`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...Object.fromEntries(params(overrides)), decision }).toString(),
    redirect: 'manual',
  });

describe('the Xero consent page', () => {
  it('shows the organisation, the scopes and Allow / Deny', async () => {
    const res = await page(params());
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toContain('accounting.transactions');
    expect(html).toMatch(/<button[^>]*value="allow"[^>]*>Allow<\/button>/);
    expect(html).toMatch(/<button[^>]*value="deny"[^>]*>Deny<\/button>/);
  });

  it('refuses an unknown client or an untrusted redirect URI with a page, not a redirect', async () => {
    const client = await page(params({ client_id: 'nope' }));
    expect(client.status).toBe(400);
    expect(await client.text()).toContain('Unknown client_id');
    const plain = await page(params({ redirect_uri: 'http://evil.example/cb' }));
    expect(plain.status).toBe(400);
    expect(await plain.text()).toContain('must be an https URL');
  });

  it('sends an unknown scope back to the app as invalid_scope', async () => {
    const res = await page(params({ scope: 'openid payroll.everything' }));
    expect(res.status).toBe(302);
    const to = new URL(res.headers.get('location')!);
    expect(to.searchParams.get('error')).toBe('invalid_scope');
    expect(to.searchParams.get('state')).toBe('st4te');
  });

  it('Deny redirects with access_denied and the state', async () => {
    const res = await decide('deny');
    expect(res.status).toBe(302);
    const to = new URL(res.headers.get('location')!);
    expect(`${to.origin}${to.pathname}`).toBe(REDIRECT);
    expect(Object.fromEntries(to.searchParams)).toEqual({ error: 'access_denied', state: 'st4te' });
  });

  it('Allow redirects with a code the token endpoint exchanges once, for this redirect URI only', async () => {
    const res = await decide('allow');
    expect(res.status).toBe(302);
    const to = new URL(res.headers.get('location')!);
    expect(to.searchParams.get('state')).toBe('st4te');
    const code = to.searchParams.get('code')!;
    expect(code).toBeTruthy();
    const exchange = () =>
      fetch(`${sandbox.url}/connect/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${sandbox.credentials.clientId}:${sandbox.credentials.clientSecret}`).toString('base64')}`,
        },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          redirect_uri: REDIRECT,
        }).toString(),
      });
    const first = await exchange();
    expect(first.status).toBe(200);
    const tokens = (await first.json()) as Record<string, unknown>;
    expect(typeof tokens.access_token).toBe('string');
    expect(typeof tokens.refresh_token).toBe('string');
    expect((await exchange()).status).toBe(400);
  });
});
