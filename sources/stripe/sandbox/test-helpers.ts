import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import type { VendorSandbox } from '../../../src/sandbox/types.ts';

/** The official SDK pointed at the sandbox; retries off unless a test asks for them. */
export function sdkFor(
  sandbox: VendorSandbox,
  options: { apiKey?: string; maxNetworkRetries?: number } = {},
): Stripe {
  return new Stripe(options.apiKey ?? sandbox.credentials.apiKey ?? '', {
    host: '127.0.0.1',
    port: sandbox.port,
    protocol: 'http',
    maxNetworkRetries: options.maxNetworkRetries ?? 0,
  });
}

export async function admin(sandbox: VendorSandbox, path: string, body?: unknown) {
  const res = await fetch(`${sandbox.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export interface Delivery {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A real HTTP endpoint for webhooks; `status` decides each answer (default 200). */
export async function startReceiver() {
  const deliveries: Delivery[] = [];
  let status: (delivery: Delivery, index: number) => number = () => 200;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const delivery = {
        path: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      deliveries.push(delivery);
      res.statusCode = status(delivery, deliveries.length - 1);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    deliveries,
    at: (path: string) => deliveries.filter((d) => d.path === path),
    answer(fn: (delivery: Delivery, index: number) => number) {
      status = fn;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export async function waitFor(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
    await new Promise((r) => setTimeout(r, 10));
  }
}
