import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSwitchboard } from '../src/app.ts';
import { startSandboxHub, type SandboxHub } from '../harness/sandbox-hub.ts';
import type { Sandboxes } from '../src/sandbox/start.ts';
import { keyWith } from './support/security.ts';
import { decideConsent } from '../harness/sandbox-admin.ts';

// The consent flow over HTTP without a browser, with Xero (the default accounting package): what
// the console's Connect button and the vendor's page do, step by step, and what the store keeps.

let app: RunningSwitchboard;
let sandboxes: Sandboxes;

let hub: SandboxHub;
const gql = (query: string, variables?: Record<string, unknown>, key?: string) =>
  hub.gql(query, variables, key);

const START = `mutation($system: SourceSystem!) { startConnection(system: $system) { authorizeUrl expiresAt } }`;

/** Presses Connect, then `decision` on the sandbox's page; returns the callback URL the vendor sends the browser to. */
async function consent(decision: 'allow' | 'deny', system = 'XERO'): Promise<string> {
  const { data, errors } = await gql(START, { system });
  expect(errors).toBeUndefined();
  const { status, location } = await decideConsent(data.startConnection.authorizeUrl, decision);
  expect(status).toBe(200);
  return location!;
}

const follow = (url: string) => fetch(url, { redirect: 'manual' });

const rows = async (prefix: string) =>
  (
    await app.hub.store.db
      .selectFrom('source_state')
      .select(['key', 'value'])
      .where('system', '=', 'xero')
      .where('key', 'like', `${prefix}%`)
      .execute()
  ).map((r) => r.key);

beforeAll(async () => {
  // Xero by name, whatever the run binds (QuickBooks' flow is test/console-connect.test.ts).
  hub = await startSandboxHub({ SWITCHBOARD_CACHE: 'off', SWITCHBOARD_ACCOUNTING: 'xero' });
  ({ app, sandboxes } = hub);
}, 90_000);
afterAll(() => hub?.close());

describe('connecting Xero through its consent', () => {
  it('points at the sandbox consent page with the hub callback, the scopes and a fresh state each time', async () => {
    const a = new URL((await gql(START, { system: 'XERO' })).data.startConnection.authorizeUrl);
    const b = new URL((await gql(START, { system: 'XERO' })).data.startConnection.authorizeUrl);
    expect(`${a.origin}${a.pathname}`).toBe(`${sandboxes.accounting.url}/identity/connect/authorize`);
    expect(a.searchParams.get('redirect_uri')).toBe(`${app.url}/oauth/callback/xero`);
    expect(a.searchParams.get('client_id')).toBe(sandboxes.accounting.credentials.clientId);
    expect(a.searchParams.get('scope')).toContain('offline_access');
    expect(a.searchParams.get('state')).not.toBe(b.searchParams.get('state'));
  });

  it('is for operators only, and refuses a system without a consent flow or not bound here', async () => {
    const reader = await keyWith(app.security, ['customers:read']);
    const refused = await gql(START, { system: 'XERO' }, reader.text);
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const stripe = await gql(START, { system: 'STRIPE' });
    expect(stripe.errors?.[0]?.message).toMatch(/connected with a key: use connectWithKey/);
    const qbo = await gql(START, { system: 'QUICKBOOKS' });
    expect(qbo.errors?.[0]?.message).toMatch(/QUICKBOOKS plays no role in workspace "default"/);
  });

  it('Allow stores the tokens sealed under a new lineage; a reconnect replaces them and drops the old ones', async () => {
    const callback = await consent('allow');
    const done = await follow(callback);
    expect(done.status).toBe(302);
    expect(done.headers.get('location')).toBe('/console#/connections?connected=XERO');
    const first = await rows('refresh_token:c-');
    expect(first).toHaveLength(1);
    const sealed = await app.hub.store.db
      .selectFrom('source_state')
      .select('value')
      .where('key', '=', first[0]!)
      .executeTakeFirstOrThrow();
    expect(sealed.value).not.toMatch(/^[0-9a-f]{64}$/); // Xero's refresh tokens are 64 hex characters
    const invoices = await gql(`{ invoices(first: 2) { edges { node { number } } } }`);
    expect(invoices.errors).toBeUndefined();

    await follow(await consent('allow'));
    const second = await rows('refresh_token:c-');
    expect(second).toHaveLength(1);
    expect(second[0]).not.toBe(first[0]);
    expect(await rows('access_token:c-')).toHaveLength(1);
    expect((await gql(`{ invoices(first: 2) { edges { node { number } } } }`)).errors).toBeUndefined();
  });

  it('a state shown at another system callback is refused, audited, and burnt', async () => {
    const callback = new URL(await consent('allow'));
    const elsewhere = await follow(`${app.url}/oauth/callback/quickbooks${callback.search}`);
    expect(elsewhere.status).toBe(400);
    expect(await elsewhere.text()).toMatch(/another system[\s\S]*Nothing was changed/);
    const again = await follow(callback.toString());
    expect(await again.text()).toMatch(/already been used/);
    const audit = await app.security.audit.list('default', { action: 'connection.callback', first: 2 });
    expect(audit.map((e) => e.detail)).toEqual([{ reason: 'used' }, { reason: 'other_system' }]);
  });
});
