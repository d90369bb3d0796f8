import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSwitchboard, type RunningSwitchboard } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { startSandboxHub, type SandboxHub } from '../harness/sandbox-hub.ts';
import { clearRequestLog, decideConsent, requestLog } from '../harness/sandbox-admin.ts';
import { keyWith } from './support/security.ts';
import { waitFor } from '../harness/wait.ts';

// A workspace made at run time on the sandbox-mode hub, over HTTP: made by the studio's operator,
// nothing of the first business reachable from it, its accounting package connected through the
// consent page (whichever the run binds: Xero or QuickBooks), its payments by key.

let hub: SandboxHub;
let accounting: string;
let operatorKey: string;

const CREATE = `mutation($input: WorkspaceInput!) {
  createWorkspace(input: $input) { operatorKey workspace { id name currency origin current createdAt systems { system role connected account } } }
}`;
const LIST = `{ workspaces { id name origin current systems { system connected account } } }`;
const INVOICES = `{ invoices(first: 3) { edges { node { number } } } }`;

const codeOf = (errors: any[] | undefined) => errors?.[0]?.extensions?.code;

/** Connect pressed as `key`, Allow on the vendor's page, the browser sent back: the callback's redirect. */
async function consent(system: string, key: string): Promise<Response> {
  const start = await hub.gql(
    `mutation($s: SourceSystem!) { startConnection(system: $s) { authorizeUrl } }`,
    { s: system },
    key,
  );
  expect(start.errors).toBeUndefined();
  const { location } = await decideConsent(start.data.startConnection.authorizeUrl, 'allow');
  return fetch(location!, { redirect: 'manual' });
}

beforeAll(async () => {
  hub = await startSandboxHub({ SWITCHBOARD_CACHE: 'off' });
  accounting = hub.sandboxes.accounting.system.toUpperCase();
}, 90_000);
afterAll(() => hub?.close());

describe('workspaces made at run time', () => {
  it('the studio makes one and gets its operator key; nothing in it is connected', async () => {
    const made = await hub.gql(CREATE, {
      input: { id: 'second-studio', name: 'Second Studio', currency: 'eur' },
    });
    expect(made.errors).toBeUndefined();
    const { workspace } = made.data.createWorkspace;
    operatorKey = made.data.createWorkspace.operatorKey;
    expect(operatorKey).toMatch(/^sb_test_/);
    expect(workspace).toMatchObject({
      id: 'second-studio',
      name: 'Second Studio',
      currency: 'EUR',
      origin: 'CONSOLE',
      current: false,
    });
    expect(workspace.systems.map((s: any) => s.connected)).toEqual([false, false, false, false]);

    const listed = await hub.gql(LIST);
    expect(listed.data.workspaces.map((w: any) => [w.id, w.origin, w.current])).toEqual([
      ['default', 'ENVIRONMENT', true],
      ['second-studio', 'CONSOLE', false],
    ]);
    expect(listed.data.workspaces[0].systems.every((s: any) => s.connected)).toBe(true);

    // Its own operator sees only it, as current, and every system "none" until connected.
    const own = await hub.gql(LIST, {}, operatorKey);
    expect(own.data.workspaces.map((w: any) => [w.id, w.current])).toEqual([['second-studio', true]]);
    const sources = await hub.gql(`{ sources { system connection { method canConnect } } }`, {}, operatorKey);
    expect(sources.data.sources.map((s: any) => s.connection.method)).toEqual([
      'none',
      'none',
      'none',
      'none',
    ]);
  });

  it('refuses a bad id, a taken id, a bad currency, a workspace operator and a key without operator', async () => {
    const bad = await hub.gql(CREATE, { input: { id: 'Second Studio!', name: 'x' } });
    expect(codeOf(bad.errors)).toBe('BAD_USER_INPUT');
    expect(bad.errors![0].message).toMatch(/lower-case letters, digits and hyphens/);
    for (const id of ['second-studio', 'default']) {
      const taken = await hub.gql(CREATE, { input: { id, name: 'Again' } });
      expect(codeOf(taken.errors)).toBe('CONFLICT');
      expect(taken.errors![0].message).toMatch(`A workspace "${id}" already exists`);
    }
    const money = await hub.gql(CREATE, { input: { id: 'third-studio', name: 'Third', currency: 'pounds' } });
    expect(money.errors![0].message).toMatch(/ISO 4217/);

    const nested = await hub.gql(CREATE, { input: { id: 'third-studio', name: 'Third' } }, operatorKey);
    expect(codeOf(nested.errors)).toBe('FORBIDDEN');
    expect(nested.errors![0].message).toMatch(/Only operators of the hub's own workspace \("default"\)/);

    const reader = await keyWith(hub.app.security, ['customers:read']);
    const refused = await hub.gql(CREATE, { input: { id: 'third-studio', name: 'Third' } }, reader.text);
    expect(refused.data ?? null).toBeNull();
    expect(refused.errors?.length).toBeGreaterThan(0);
    expect((await hub.gql(LIST)).data.workspaces).toHaveLength(2);
  });

  it("never calls a vendor with the first business's credentials: not connected means no request", async () => {
    const url = hub.sandboxes.accounting.url;
    await clearRequestLog(url);
    const answer = await hub.gql(INVOICES, {}, operatorKey);
    expect(JSON.stringify(answer.errors)).toMatch(/is not connected: connect it from the console/);
    expect((await requestLog(url)).total).toBe(0);
  });

  it('connects its accounting package through the consent page, for the account chosen there', async () => {
    const callback = await consent(accounting, operatorKey);
    expect(callback.headers.get('location')).toBe(`/console#/connections?connected=${accounting}`);

    const own = await hub.gql(LIST, {}, operatorKey);
    const books = own.data.workspaces[0].systems.find((s: any) => s.system === accounting);
    expect(books.connected).toBe(true);
    expect(books.account).toEqual(expect.any(String));

    const invoices = await hub.gql(INVOICES, {}, operatorKey);
    expect(invoices.errors).toBeUndefined();
    expect(invoices.data.invoices.edges.length).toBeGreaterThan(0);

    // The first business's connection is its environment's, untouched.
    const home = await hub.gql(`{ sources { system connection { method } } }`);
    expect(home.data.sources.every((s: any) => s.connection.method === 'environment')).toBe(true);
  });

  it('connects its payments by key', async () => {
    const payments = hub.sandboxes.payments;
    const key = String(payments.credentials.apiKey);
    const made = await hub.gql(
      `mutation($k: String!) { connectWithKey(system: STRIPE, key: $k) { connection { method } } }`,
      { k: key },
      operatorKey,
    );
    expect(made.errors).toBeUndefined();
    expect(made.data.connectWithKey.connection.method).toBe('key');
    const own = await hub.gql(LIST, {}, operatorKey);
    expect(own.data.workspaces[0].systems.find((s: any) => s.system === 'STRIPE').connected).toBe(true);
  });
});

describe('a workspace made at run time, its CRM connected last', () => {
  it('links its customers once CRM, payments and accounting are all connected', async () => {
    const CUSTOMERS = `{ customers(first: 5) { totalCount edges { node { email } } } }`;
    expect((await hub.gql(CUSTOMERS, {}, operatorKey)).data.customers.totalCount).toBe(0);
    const crm = hub.sandboxes.crm.system.toUpperCase();
    const callback = await consent(crm, operatorKey);
    expect(callback.headers.get('location')).toBe(`/console#/connections?connected=${crm}`);
    // The backfill runs in the background on this replica, as at a first start.
    const linked = await waitFor(
      async () => {
        const page = await hub.gql(CUSTOMERS, {}, operatorKey);
        return page.data?.customers.totalCount > 0 ? page : undefined;
      },
      () => "the new workspace's customers linked",
    );
    expect(linked.errors).toBeUndefined();
    const home = await hub.gql(CUSTOMERS);
    expect(linked.data.customers.totalCount).toBe(home.data.customers.totalCount);
  });
});

describe('a workspace made at run time, after a restart', () => {
  let dir: string;
  let app: RunningSwitchboard | undefined;
  afterAll(async () => {
    await app?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('is served again with its key; sandbox mode forgets its connections as it does the first one', async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-workspaces-'));
    const config = loadConfig({
      PORT: '0',
      LOG_LEVEL: 'silent',
      SWITCHBOARD_DATA_DIR: dir,
      DATABASE_URL: `sqlite:${join(dir, 'hub.db')}`,
    });
    const options = { sandboxOptions: { relaxed: true } };
    app = await startSwitchboard(config, options);
    const gql = async (query: string, variables: Record<string, unknown>, key: string) => {
      const res = await fetch(`${app!.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ query, variables }),
      });
      return (await res.json()) as { data?: any; errors?: any[] };
    };
    const made = await gql(
      CREATE,
      { input: { id: 'kept-studio', name: 'Kept Studio' } },
      app.developmentKey!,
    );
    expect(made.errors).toBeUndefined();
    const key = made.data.createWorkspace.operatorKey as string;
    const stripeKey = String(app.sandboxes!.payments.credentials.apiKey);
    const connected = await gql(
      `mutation($k: String!) { connectWithKey(system: STRIPE, key: $k) { connection { method } } }`,
      { k: stripeKey },
      key,
    );
    expect(connected.data?.connectWithKey.connection.method).toBe('key');
    await app.close();
    app = undefined;

    app = await startSwitchboard(config, options);
    const own = await gql(LIST, {}, key);
    expect(own.errors).toBeUndefined();
    expect(own.data.workspaces).toEqual([
      expect.objectContaining({ id: 'kept-studio', name: 'Kept Studio', origin: 'CONSOLE', current: true }),
    ]);
    // The sandboxes' keys and grants are not the hub's to keep in sandbox mode (see README).
    expect(own.data.workspaces[0].systems.some((s: any) => s.connected)).toBe(false);
  }, 60_000);
});
