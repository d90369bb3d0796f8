import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { calendar, type calendar_v3 } from '@googleapis/calendar';
import { OAuth2Client } from 'google-auth-library';
import type { VendorSandbox } from '../../../src/sandbox/types.ts';

/** Test helpers for the Google Calendar sandbox specs (not loaded by the sandbox itself). */

export const NOW = new Date('2026-11-23T00:00:00Z');

/** The official SDK pointed at the sandbox: only `rootUrl` and the token differ from production use. */
export function sdk(
  sandbox: VendorSandbox,
  options: { token?: string; retry?: boolean } = {},
): calendar_v3.Calendar {
  const auth = new OAuth2Client();
  auth.setCredentials({ access_token: options.token ?? sandbox.credentials.accessToken });
  return calendar({
    version: 'v3',
    rootUrl: `${sandbox.url}/`,
    auth,
    ...(options.retry === false ? { retry: false } : {}),
  });
}

export async function admin(sandbox: VendorSandbox, path: string, body?: unknown) {
  const res = await fetch(`${sandbox.url}/__sandbox/${path}`, {
    method: body === undefined && path !== 'reset' ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export const reset = (sandbox: VendorSandbox) =>
  fetch(`${sandbox.url}/__sandbox/reset`, { method: 'POST' }).then((r) => r.arrayBuffer());

/** What a failed SDK call threw: gaxios' error with Google's envelope in `response.data`. */
export interface SdkError {
  status?: number;
  code?: number | string;
  message: string;
  response?: {
    status: number;
    headers: Headers;
    data: {
      error: { code: number; message: string; errors: Array<Record<string, string>>; status?: string };
    };
  };
}

export async function sdkError(promise: Promise<unknown>): Promise<SdkError> {
  try {
    await promise;
  } catch (error) {
    return error as SdkError;
  }
  throw new Error('expected the SDK call to fail');
}

export const reasonOf = (e: SdkError) => e.response?.data.error.errors[0]?.reason;

export interface Delivery {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A real HTTP endpoint registered as a push channel address. */
export async function startReceiver(status: (attempt: number) => number = () => 200) {
  const received: Delivery[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.statusCode = status(received.length);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks/google-calendar`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Everything an events.list query returns, page by page. */
export async function listAll(
  cal: calendar_v3.Calendar,
  params: calendar_v3.Params$Resource$Events$List,
): Promise<{ pages: calendar_v3.Schema$Events[]; items: calendar_v3.Schema$Event[] }> {
  const pages: calendar_v3.Schema$Events[] = [];
  let pageToken: string | undefined;
  do {
    const res = await cal.events.list({ ...params, pageToken });
    pages.push(res.data);
    pageToken = res.data.nextPageToken ?? undefined;
  } while (pageToken);
  return { pages, items: pages.flatMap((p) => p.items ?? []) };
}
