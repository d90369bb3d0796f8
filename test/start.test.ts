import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CUSTOMER_360_QUERY } from '../src/graph/example-queries.ts';
import { waitFor } from '../harness/wait.ts';
import { sandboxModules } from '../src/sandbox/start.ts';

// `npm start` as a newcomer runs it: a child process, no credentials, the embedded store, real sockets.
let child: ChildProcess;
let output = '';
let url = '';
/** The development key the banner prints (every scope, test mode). */
let key = '';
const dir = mkdtempSync(join(tmpdir(), 'switchboard-start-'));

async function start(): Promise<void> {
  output = '';
  child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: new URL('..', import.meta.url),
    env: {
      ...process.env,
      PORT: '0',
      DATABASE_URL: `sqlite:${join(dir, 'switchboard.db')}`,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  url = await waitFor(
    () =>
      /GraphQL \+ GraphiQL\s+(\S+)\/graphql/.exec(output)?.[1] ??
      (child.exitCode !== null ? 'exited' : undefined),
    () => `the banner; output so far:\n${output}`,
    60_000,
  );
  if (url === 'exited') throw new Error(`npm start exited early:\n${output}`);
  key = /Development key\s+(sb_test_\S+)/.exec(output)?.[1] ?? '';
}
const auth = () => ({ authorization: `Bearer ${key}` });
/** The modules `npm start` binds from this environment (`SWITCHBOARD_<ROLE>`), as the hub does. */
const bound = sandboxModules();
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

beforeAll(start, 90_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('npm start (sandbox mode)', () => {
  it('prints a banner with every URL and the backfill result', () => {
    expect(output).toMatch(/sandbox mode, store sqlite:/);
    expect(output).toMatch(/Health\s+http:\/\/127\.0\.0\.1:\d+\/healthz/);
    expect(output).toMatch(/Metrics\s+http:\/\/127\.0\.0\.1:\d+\/metrics/);
    expect(key).toMatch(/^sb_test_[0-9A-Za-z]{12}_[0-9A-Za-z]{43}$/);
    expect(output).toContain(`export SWITCHBOARD_KEY=${key}`);
    for (const module of Object.values(bound)) expect(output).toMatch(new RegExp(`${module.id}\\s+http://`));
    expect(output).toMatch(
      new RegExp(
        `Linked \\d+ customers across HubSpot \\(\\d+\\), Stripe \\(\\d+\\) and ${escape(bound.accounting.label)} \\(\\d+\\); \\d+ sync issues found`,
      ),
    );
  });

  it('answers the ready-made customer-360 query over HTTP with data from all four systems', async () => {
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth() },
      body: JSON.stringify({ query: CUSTOMER_360_QUERY, variables: { first: 25 } }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: any; errors?: unknown[] };
    expect(body.errors).toBeUndefined();
    const nodes = body.data.customers.edges.map((e: any) => e.node);
    expect(nodes).toHaveLength(25);
    const systems = new Set(nodes.flatMap((n: any) => n.links.map((l: any) => l.system)));
    expect([...systems].sort()).toEqual(['HUBSPOT', 'STRIPE', bound.accounting.id.toUpperCase()].sort());
    expect(nodes.some((n: any) => n.bookings.totalCount > 0)).toBe(true);
    expect(nodes.some((n: any) => n.orders.edges.length > 0)).toBe(true);
    expect(nodes.some((n: any) => n.invoices.edges.length > 0)).toBe(true);
  });

  it('serves GraphiQL with the development key in its headers, health, readiness and metrics', async () => {
    const graphiql = await fetch(`${url}/graphql`, { headers: { accept: 'text/html' } });
    expect(graphiql.status).toBe(200);
    const page = await graphiql.text();
    expect(page).toContain('Customer360');
    expect(page).toContain(`Bearer ${key}`);
    // Everything it loads is in the page: no script, style or worker from another host (it works offline).
    expect(page).not.toMatch(/<(script|link)[^>]+(src|href)="(https?:)?\/\//i);
    expect(page).not.toMatch(/unpkg\.com|jsdelivr|cdn\./i);
    expect(page).toContain('MonacoEnvironment');
    expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: 'ok' });
    // Without a key, readiness is a status only; the details are for operators.
    expect(await (await fetch(`${url}/readyz`)).json()).toEqual({ status: 'ready' });
    const ready = (await (await fetch(`${url}/readyz`, { headers: auth() })).json()) as {
      status: string;
      sources: Array<{ state: string }>;
    };
    expect(ready.status).toBe('ready');
    expect(ready.sources).toHaveLength(4);
    expect((await fetch(`${url}/metrics`)).status).toBe(401);
    const metrics = await (await fetch(`${url}/metrics`, { headers: auth() })).text();
    for (const name of [
      'switchboard_upstream_requests_total',
      'switchboard_upstream_request_duration_seconds',
      'switchboard_webhooks_received_total',
      'switchboard_operations_pending',
      'switchboard_failed_deliveries',
      'switchboard_subscriptions_active',
    ]) {
      expect(metrics).toContain(name);
    }
    expect(metrics).toMatch(
      /switchboard_upstream_requests_total\{source="hubspot",operation="contacts\.batchRead",status="200"\} \d+/,
    );
    expect((await fetch(`${url}/nope`)).status).toBe(404);
  });

  it('serves the example website with a publishable key kept in the data folder (0600)', async () => {
    expect(output).toContain(`Website              ${url}/website/`);
    const config = await (await fetch(`${url}/website/config.js`)).text();
    const kept = readFileSync(join(dir, 'website-key'), 'utf8').trim();
    expect(kept).toMatch(/^sbpk_test_/);
    expect(config).toContain(`export const publishableKey = "${kept}";`);
    expect(statSync(join(dir, 'website-key')).mode & 0o777).toBe(0o600);
  });

  it('keeps credentials out of its logs', () => {
    expect(output).not.toContain('sk_test_switchboard_sandbox');
    expect(output).not.toContain('pat-na1-switchboard-sandbox');
  });

  it('stops cleanly on SIGTERM', async () => {
    child.kill('SIGTERM');
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
  });

  it('starts again on the same store with the same development key and still reaches every system', async () => {
    const before = key;
    await start();
    expect(output).not.toMatch(/Linked \d+ customers/); // links are kept; no second backfill
    expect(key).toBe(before);
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth() },
      body: JSON.stringify({ query: CUSTOMER_360_QUERY, variables: { first: 5 } }),
    });
    const body = (await res.json()) as { data: any; errors?: unknown[] };
    expect(body.errors).toBeUndefined();
    expect(body.data.customers.totalCount).toBeGreaterThan(250);

    // Another port (PORT=0) is another origin: the website gets a key for it, and the old one is revoked.
    const websiteKey = readFileSync(join(dir, 'website-key'), 'utf8').trim();
    expect(await (await fetch(`${url}/website/config.js`)).text()).toContain(websiteKey);
    const { data } = (await (
      await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth() },
        body: JSON.stringify({
          query: `{ apiKeys(first: 50) { edges { node { kind active allowedOrigins } } } }`,
        }),
      })
    ).json()) as { data: any };
    const publishable = data.apiKeys.edges
      .map((e: any) => e.node)
      .filter((k: any) => k.kind === 'PUBLISHABLE');
    expect(publishable.filter((k: any) => k.active).map((k: any) => k.allowedOrigins)).toEqual([
      expect.arrayContaining([url]),
    ]);
  }, 90_000);
});
