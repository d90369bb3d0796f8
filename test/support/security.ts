import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { Hub } from '../../src/hub.ts';
import { buildSchema } from '../../src/graph/schema.ts';
import { createSwitchboardServer, type SwitchboardServer } from '../../src/server.ts';
import { secureHub, type Security, type SecuritySettings } from '../../src/security/index.ts';
import type { KeyKind, KeyMode } from '../../src/security/keys.ts';
import { clearRequestLog, requestLog } from '../../harness/sandbox-admin.ts';

/** Listens a node:http server on 127.0.0.1 and a free port; returns its base URL. */
export async function listen(server: Server): Promise<string> {
  if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Stops a server that `listen` started (and every connection it still holds). */
export async function unlisten(server: Server | undefined): Promise<void> {
  if (!server?.listening) return;
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

/** Vendor requests the sandboxes at `urls` have received since their logs were last cleared. */
export async function vendorCalls(urls: readonly string[]): Promise<number> {
  const totals = await Promise.all(urls.map(async (url) => (await requestLog(url)).total));
  return totals.reduce((sum, n) => sum + n, 0);
}

/** Clears the sandboxes' request logs, runs `work`, and returns its result with the vendor calls it made. */
export async function countingVendorCalls<T>(
  urls: readonly string[],
  work: () => Promise<T>,
): Promise<{ result: T; calls: number }> {
  await clearRequestLog(...urls);
  const result = await work();
  return { result, calls: await vendorCalls(urls) };
}

/** A key made straight in the store (as the CLI does), with only the given scopes. */
export async function keyWith(
  security: Security,
  scopes: readonly string[],
  options: {
    workspace?: string;
    kind?: KeyKind;
    mode?: KeyMode;
    allowedOrigins?: string[];
    expiresAt?: Date | null;
    name?: string;
  } = {},
): Promise<{ id: string; text: string }> {
  const { key, text } = await security.keys.create({
    workspace: options.workspace ?? 'default',
    kind: options.kind ?? 'secret',
    mode: options.mode ?? security.mode,
    name: options.name ?? `test: ${scopes.join(' ')}`,
    scopes,
    allowedOrigins: options.allowedOrigins,
    expiresAt: options.expiresAt,
  });
  return { id: key.id, text };
}

export interface GraphQLAnswer {
  status: number;
  headers: Headers;
  body: any;
}

/** POSTs GraphQL through a yoga instance's fetch (no port) with the given credential and headers. */
export async function post(
  app: SwitchboardServer,
  key: string | undefined,
  query: string,
  variables?: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<GraphQLAnswer> {
  const res = await app.yoga.fetch('http://switchboard.test/graphql', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...headers,
    },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, headers: res.headers, body };
}

/**
 * Another security layer (its own settings, keys and limits) over a hub a test already started, with
 * its own app: rate limits, trusted documents or introspection off without starting another hub.
 */
export async function securedApp(hub: Hub, settings: SecuritySettings, mode: KeyMode = 'test') {
  const schema = buildSchema();
  const { security, keys } = await secureHub(hub, { schema, settings, mode });
  const app = createSwitchboardServer(hub, { security, schema });
  const key = keys.get(hub.defaultWorkspace.id)!;
  return {
    app,
    security,
    key,
    post: (query: string, variables?: Record<string, unknown>, headers?: Record<string, string>, as = key) =>
      post(app, as, query, variables, headers),
    async close() {
      // Sockets first: a server does not finish closing while a WebSocket is still open on it.
      await app.closeSockets();
      await unlisten(app.server);
      await security.close();
    },
  };
}

export interface AuditRow {
  actor: string;
  action: string;
  target: string | null;
  outcome: string;
  address: string | null;
  origin: string | null;
  detail: Record<string, any> | null;
  suppressed: number;
}

export const AUDIT_QUERY = /* GraphQL */ `
  query Audit($action: String, $actor: String, $outcomes: [AuditOutcome!]) {
    auditLog(action: $action, actor: $actor, outcomes: $outcomes, first: 500) {
      edges {
        node {
          actor
          action
          target
          outcome
          address
          origin
          detail
          suppressed
        }
      }
    }
  }
`;

/**
 * One graphql-ws connection for tests of the socket rules: how it was closed, whether it was
 * acknowledged, and subscriptions that report their errors and events.
 */
export function wsConnection(
  url: string,
  options: { key?: string; authorization?: string; origin?: string; params?: Record<string, unknown> } = {},
) {
  const closes: Array<{ code: number; reason: string }> = [];
  let connected = false;
  const headers = options.origin ? { origin: options.origin } : undefined;
  class Socket extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols, { headers });
    }
  }
  const authorization = options.authorization ?? (options.key ? `Bearer ${options.key}` : undefined);
  const client: Client = createClient({
    url: `${url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: Socket,
    lazy: false,
    retryAttempts: 0,
    connectionParams: { ...(authorization ? { authorization } : {}), ...options.params },
    on: {
      connected: () => (connected = true),
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string };
        closes.push({ code, reason: String(reason) });
      },
    },
    onNonLazyError: () => {},
  });
  return {
    client,
    closes,
    get connected() {
      return connected;
    },
    /** Starts a subscription (or any operation) and collects what comes back. */
    subscribe(query: string, variables: Record<string, unknown> = {}) {
      const received: any[] = [];
      const errors: any[] = [];
      let completed = false;
      const stop = client.subscribe(
        { query, variables },
        {
          next: (value) => {
            if (value.errors) errors.push(...value.errors);
            if (value.data) received.push(value.data);
          },
          error: (error) => errors.push(...(Array.isArray(error) ? error : [error])),
          complete: () => (completed = true),
        },
      );
      return {
        received,
        errors,
        get completed() {
          return completed;
        },
        stop,
      };
    },
    close: () => client.dispose(),
  };
}

/** A raw WebSocket upgrade to /graphql: the HTTP status when the server refuses it, or 101. */
export function upgradeStatus(url: string, origin?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws', {
      headers: origin ? { origin } : undefined,
    });
    socket.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('open', () => {
      resolve(101);
      socket.close();
    });
    socket.once('error', (error) => reject(error));
  });
}
