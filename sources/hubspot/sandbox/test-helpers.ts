/** Shared by the HubSpot sandbox specs: a real webhook receiver and small SDK helpers. */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@hubspot/api-client';
import type { VendorSandbox } from '../../../src/sandbox/types.ts';

export const FIXED_NOW = new Date('2026-11-23T00:00:00Z');

export interface Delivery {
  method: string;
  /** The full URL as the receiver saw it (what HubSpot signs). */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

export interface Receiver {
  url: string;
  deliveries: Delivery[];
  /** Status to answer for the nth delivery (0-based); 200 by default. */
  respond(fn: (index: number) => number): void;
  /** Resolves once `count` deliveries arrived (rejects after `timeoutMs`). */
  waitFor(count: number, timeoutMs?: number): Promise<Delivery[]>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const deliveries: Delivery[] = [];
  let statusFor = (_index: number) => 200;
  let waiters: Array<() => void> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = statusFor(deliveries.length);
      deliveries.push({
        method: req.method ?? '',
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${req.url ?? '/'}`,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        status,
      });
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status === 200 ? 'ok' : 'nope');
      const ready = waiters;
      waiters = [];
      for (const w of ready) w();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/webhooks/hubspot`,
    deliveries,
    respond(fn) {
      statusFor = fn;
    },
    waitFor(count, timeoutMs = 5_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`expected ${count} deliveries, got ${deliveries.length}`)),
          timeoutMs,
        );
        const check = () => {
          if (deliveries.length >= count) {
            clearTimeout(timer);
            resolve(deliveries.slice(0, count));
          } else waiters.push(check);
        };
        check();
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The official SDK pointed at the sandbox, with its own retries off so faults are observed. */
export function sdkFor(sandbox: VendorSandbox, overrides: { accessToken?: string } = {}): Client {
  return new Client({
    accessToken: overrides.accessToken ?? sandbox.credentials.accessToken,
    developerApiKey: sandbox.credentials.developerApiKey,
    basePath: sandbox.url,
    numberOfApiCallRetries: 0,
  });
}

export interface SdkError {
  code: number;
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

/** Runs an SDK call that must fail and returns its ApiException fields. */
export async function sdkError(call: Promise<unknown>): Promise<SdkError> {
  try {
    await call;
  } catch (error) {
    const e = error as Partial<SdkError>;
    if (typeof e.code !== 'number') throw error;
    return { code: e.code, body: (e.body ?? {}) as Record<string, unknown>, headers: e.headers ?? {} };
  }
  throw new Error('expected the SDK call to fail');
}

export async function admin(sandbox: VendorSandbox, path: string, body?: unknown) {
  const res = await fetch(`${sandbox.url}/__sandbox/${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
