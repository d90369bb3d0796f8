import { arch, cpus, platform, release, totalmem } from 'node:os';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { Logger } from 'pino';
import type { Hub } from '../src/hub.ts';
import type { RecordCacheOptions } from '../src/cache/record-cache.ts';
import type { ResponseCacheOptions } from '../src/cache/response-cache.ts';
import { createLogger } from '../src/observability/logger.ts';
import { sandboxBindings, type SandboxEndpoints } from '../src/sources.ts';
import { composeHub } from '../src/compose.ts';
import type { Store } from '../src/store/store.ts';
import { buildSchema } from '../src/graph/schema.ts';
import { secureHub, type Security, type SecuritySettings } from '../src/security/index.ts';
import { createSwitchboardServer, type SwitchboardServer } from '../src/server.ts';

/** Percentile of a list of numbers (nearest rank). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(0, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[rank] as number;
}

export const median = (values: number[]) => percentile(values, 50);

export function machine(): string {
  const cpu = cpus();
  return [
    `${cpu[0]?.model ?? 'unknown CPU'} × ${cpu.length}`,
    `${Math.round(totalmem() / 2 ** 30)} GiB`,
    `${platform()} ${release()} ${arch()}`,
    `Node ${process.version}`,
  ].join(', ');
}

export const ms = (value: number) => (Number.isFinite(value) ? `${value.toFixed(1)} ms` : 'n/a');

export function table(header: string[], rows: Array<Array<string | number>>): string {
  const lines = [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`];
  for (const row of rows) lines.push(`| ${row.join(' | ')} |`);
  return lines.join('\n');
}

/** A hub over real sockets: its base URL and a key with every scope. */
export interface HubTarget {
  url: string;
  key: string;
}

/**
 * graphql-ws subscribers over real WebSockets (one socket each, as separate browser tabs would
 * be), all running `query`; `onData` gets every payload with the moment it arrived.
 */
export function subscriberPool(
  hub: HubTarget,
  query: string,
  onData: (data: Record<string, unknown>, at: number) => void,
) {
  const clients: Client[] = [];
  const url = `${hub.url.replace(/^http/, 'ws')}/graphql`;
  const open = () =>
    new Promise<Client>((resolve, reject) => {
      const client = createClient({
        url,
        webSocketImpl: WebSocket,
        lazy: false,
        retryAttempts: 0,
        connectionParams: { authorization: `Bearer ${hub.key}` },
        // Failures reject below; graphql-ws would also print each to stderr.
        onNonLazyError: () => {},
      });
      client.on('connected', () => resolve(client));
      client.on('error', (error) => reject(error instanceof Error ? error : new Error(String(error))));
      // A socket the hub closes before it is acknowledged (a cap, a refused key) is a failure too.
      client.on('closed', (event) => {
        const { code, reason } = event as { code?: number; reason?: string };
        reject(new Error(`the hub closed a subscriber's socket: ${code} ${reason}`));
      });
      client.subscribe(
        { query },
        {
          next: (value) => {
            const at = performance.now();
            if (value.errors) console.error('subscriber got errors:', JSON.stringify(value.errors));
            if (value.data) onData(value.data, at);
          },
          error: (error) => console.error('subscription failed:', error),
          complete: () => {},
        },
      );
    });
  return {
    get size() {
      return clients.length;
    },
    /** Opens subscribers until there are `total` (50 handshakes at a time, not a connection storm). */
    async growTo(total: number): Promise<void> {
      while (clients.length < total) {
        const batch = Math.min(50, total - clients.length);
        clients.push(...(await Promise.all(Array.from({ length: batch }, open))));
      }
    },
    async close(): Promise<void> {
      await Promise.all(clients.splice(0).map((c) => c.dispose()));
    },
  };
}

/** One sample of a Prometheus text exposition: `name` (labels ignored unless given, e.g. `{source="stripe"}`). */
export async function scrape(hub: HubTarget, name: string): Promise<number> {
  const text = await (
    await fetch(`${hub.url}/metrics`, { headers: { authorization: `Bearer ${hub.key}` } })
  ).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1).split(' ')[0]) : NaN;
}

/** Polls until `check` is true, or throws after `timeoutMs` naming `what`. */
export async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

export const sleep = (msToWait: number) => new Promise<void>((resolve) => setTimeout(resolve, msToWait));

/** A hub's HTTP app behind the real security layer, with a key holding every scope. */
export interface SecuredApp {
  app: SwitchboardServer;
  key: string;
  security: Security;
}

export async function securedServer(hub: Hub, settings?: SecuritySettings): Promise<SecuredApp> {
  const schema = buildSchema();
  const { security, keys } = await secureHub(hub, { schema, settings });
  return {
    app: createSwitchboardServer(hub, { security, schema }),
    key: keys.get(hub.defaultWorkspace.id)!,
    security,
  };
}

/** POSTs a GraphQL request through yoga's fetch (no socket), authenticated with the app's key. */
export function postGraphQL(
  target: Pick<SecuredApp, 'app' | 'key'>,
  query: string,
  variables?: Record<string, unknown>,
) {
  return target.app.yoga.fetch('http://bench/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${target.key}` },
    body: JSON.stringify({ query, variables }),
  });
}

/**
 * A hub on `store` over the vendor sandboxes at `endpoints`, one workspace (`default`), with its own
 * metrics and record cache; the vendors' rate budgets are on unless `limits: false`.
 */
export function sandboxHub(
  endpoints: SandboxEndpoints,
  store: Store,
  options: {
    limits?: false;
    batching?: boolean;
    cache?: RecordCacheOptions;
    responses?: ResponseCacheOptions;
    logger?: Logger;
  } = {},
): Hub {
  return composeHub({
    store,
    workspaces: [{ id: 'default', name: 'Default', bindings: sandboxBindings(endpoints) }],
    upstream: options.limits === false ? { limits: false } : {},
    batching: options.batching,
    cache: options.cache,
    responses: options.responses,
    logger: options.logger ?? createLogger({ level: process.env.LOG_LEVEL ?? 'silent' }),
  }).hub;
}

/** Closes the vendor connections of a hub from `sandboxHub` (the store is the caller's). */
export const closeSources = (hub: Hub) =>
  Promise.all(Object.values(hub.defaultWorkspace.sources).map((s) => s.close()));
