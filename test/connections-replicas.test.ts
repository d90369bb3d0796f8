import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HubProcess } from '../harness/hub-process.ts';
import { startReplicas, type Replicas } from './support/replicas.ts';
import { decideConsent } from '../harness/sandbox-admin.ts';

// Two replicas (processes) on PostgreSQL and Redis: a connection changed on one is used at once by
// the other, whose token provider still held an access token of the previous credentials.
let replicas: Replicas;
let a: HubProcess;
let b: HubProcess;

const gql = async (hub: HubProcess, query: string, key = hub.key) => {
  const res = await fetch(`${hub.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query }),
  });
  return (await res.json()) as { data?: any; errors?: any[] };
};
const INVOICES = `{ invoices(first: 2) { edges { node { number } } } }`;

beforeAll(async () => {
  replicas = await startReplicas(['connect-a', 'connect-b'], { SWITCHBOARD_CACHE: 'off' });
  [a, b] = replicas.hubs as [HubProcess, HubProcess];
}, 120_000);
afterAll(() => replicas?.close());

describe('console connections across replicas', () => {
  it('a disconnect on one replica stops the other at once; a reconnect there brings it back', async () => {
    // Whichever accounting package is bound (CI runs the suite with Xero and with QuickBooks).
    const system = replicas.sandboxes.endpoints.accounting.system.toUpperCase();
    expect((await gql(b, INVOICES)).errors).toBeUndefined(); // B now holds an access token

    const off = await gql(a, `mutation { disconnect(system: ${system}) { connection { method } } }`);
    expect(off.data?.disconnect.connection.method).toBe('none');
    expect(JSON.stringify((await gql(b, INVOICES)).errors)).toMatch(
      /not connected: connect it from the console/,
    );

    const start = await gql(a, `mutation { startConnection(system: ${system}) { authorizeUrl } }`);
    const { location } = await decideConsent(start.data.startConnection.authorizeUrl, 'allow');
    const callback = await fetch(location!, { redirect: 'manual' });
    expect(callback.headers.get('location')).toBe(`/console#/connections?connected=${system}`);
    expect((await gql(b, INVOICES)).errors).toBeUndefined();
  });

  it('a workspace made on one replica is served by the other at once', async () => {
    const made = await gql(
      a,
      `mutation { createWorkspace(input: { id: "replica-studio", name: "Replica Studio" }) { operatorKey } }`,
    );
    expect(made.errors).toBeUndefined();
    const key = made.data.createWorkspace.operatorKey as string;
    const seen = await gql(b, `{ workspaces { id current systems { connected } } }`, key);
    expect(seen.errors).toBeUndefined();
    expect(seen.data.workspaces).toEqual([
      { id: 'replica-studio', current: true, systems: Array(4).fill({ connected: false }) },
    ]);
  });
});
