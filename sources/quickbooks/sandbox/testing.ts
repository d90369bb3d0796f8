/**
 * Helpers shared by the QuickBooks sandbox specs: tokens, plain HTTP calls to the API, the
 * node-quickbooks client pointed at the sandbox, and a webhook receiver that verifies
 * `intuit-signature`.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- a spec helper: it hands untyped JSON from a real server to the specs, where eslint.config.js allows `any` for that reason */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { QuickBooks as QuickBooksClient } from 'node-quickbooks';
import { expect } from 'vitest';
import type { VendorSandbox } from '../../../src/sandbox/types.ts';

export const FIXED_NOW = new Date('2026-11-23T00:00:00Z');

export async function admin(sandbox: VendorSandbox, method: string, path: string, body?: unknown) {
  const res = await fetch(`${sandbox.url}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

export async function tokenRequest(
  sandbox: VendorSandbox,
  form: Record<string, string>,
  options: { id?: string; secret?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: Record<string, any> }> {
  const id = options.id ?? sandbox.credentials.clientId;
  const secret = options.secret ?? sandbox.credentials.clientSecret;
  const res = await fetch(`${sandbox.url}/oauth2/v1/tokens/bearer`, {
    method: 'POST',
    headers: {
      Authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
      'Content-Type': 'application/x-www-form-urlencoded',
      Accept: 'application/json',
      ...options.headers,
    },
    body: new URLSearchParams(form),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

/** A fresh grant through the admin consent step and the code exchange. */
export async function connect(
  sandbox: VendorSandbox,
  scopes?: string[],
): Promise<{ access_token: string; refresh_token: string; [key: string]: any }> {
  const { body } = await admin(sandbox, 'POST', '/__sandbox/authorize', scopes ? { scopes } : {});
  const exchange = await tokenRequest(sandbox, { grant_type: 'authorization_code', code: body.code });
  if (exchange.status !== 200) throw new Error(`code exchange failed: ${JSON.stringify(exchange.body)}`);
  return exchange.body as { access_token: string; refresh_token: string };
}

export interface ApiAnswer {
  status: number;
  body: any;
  headers: Headers;
}

/**
 * A plain HTTP call to `/v3/company/{realmId}{path}` with QBO's headers; `minorversion=75` is
 * added unless the path names one.
 */
export async function qbo(
  sandbox: VendorSandbox,
  token: string,
  method: string,
  path: string,
  body?: unknown,
  options: { realmId?: string; headers?: Record<string, string> } = {},
): Promise<ApiAnswer> {
  const realm = options.realmId ?? sandbox.credentials.realmId;
  const url = new URL(`${sandbox.url}/v3/company/${realm}${path}`);
  if (!url.searchParams.has('minorversion')) url.searchParams.set('minorversion', '75');
  const res = await fetch(url, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      Accept: 'application/json',
      ...(body !== undefined
        ? { 'Content-Type': typeof body === 'string' ? 'application/text' : 'application/json' }
        : {}),
      ...options.headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON (413 pages and the like)
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** Expects a QBO `Fault` envelope with this status and error code; returns the first error. */
export function expectFault(
  answer: ApiAnswer,
  status: number,
  code: string,
): { Message: string; Detail: string; code: string } {
  expect(answer.status, JSON.stringify(answer.body)).toBe(status);
  expect(answer.body.Fault.type).toBe(status >= 500 ? 'SystemFault' : 'ValidationFault');
  expect(answer.body.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}[+-]\d{2}:\d{2}$/);
  const error = answer.body.Fault.Error[0];
  expect(error.code).toBe(code);
  return error;
}

/** Expects the gateway's lowercase envelope for 401/403/429. */
export function expectGateway(answer: ApiAnswer, status: number, code: string) {
  expect(answer.status, JSON.stringify(answer.body)).toBe(status);
  const error = answer.body.fault.error[0];
  expect(error.code).toBe(code);
  expect(error.message).toMatch(new RegExp(`errorCode=00${code}; statusCode=${status}$`));
  expect(typeof answer.body.time).toBe('number');
  return error as { message: string; detail: string | null };
}

export const query = (sandbox: VendorSandbox, token: string, statement: string) =>
  qbo(sandbox, token, 'GET', `/query?query=${encodeURIComponent(statement)}`);

// node-quickbooks -------------------------------------------------------------------------------

const require = createRequire(import.meta.url);
export const QuickBooks = require('node-quickbooks') as typeof QuickBooksClient;

/**
 * Points node-quickbooks at the sandbox. The SDK builds every API URL as
 * `endpoint + realmId + '/customer'` (and the like), where the instance's `endpoint` is copied
 * from the class constant `QuickBooks.V3_ENDPOINT_BASE_URL` (default
 * `https://sandbox-quickbooks.api.intuit.com/v3/company/`) when the client is constructed; its
 * token refresh and revoke calls post to `QuickBooks.TOKEN_URL` and `QuickBooks.REVOKE_URL`.
 * Those three class constants are all that changes. Returns the function that restores them.
 */
export function pointNodeQuickbooksAt(sandbox: VendorSandbox): () => void {
  const before = {
    V3_ENDPOINT_BASE_URL: QuickBooks.V3_ENDPOINT_BASE_URL,
    TOKEN_URL: QuickBooks.TOKEN_URL,
    REVOKE_URL: QuickBooks.REVOKE_URL,
  };
  QuickBooks.V3_ENDPOINT_BASE_URL = `${sandbox.url}/v3/company/`;
  QuickBooks.TOKEN_URL = `${sandbox.url}/oauth2/v1/tokens/bearer`;
  QuickBooks.REVOKE_URL = `${sandbox.url}/v2/oauth2/tokens/revoke`;
  return () => Object.assign(QuickBooks, before);
}

/** An OAuth 2.0 client as node-quickbooks' README builds one (constructed after pointNodeQuickbooksAt). */
export function nodeQuickbooks(
  sandbox: VendorSandbox,
  accessToken: string,
  refreshToken?: string,
): QuickBooksClient {
  const { clientId, clientSecret, realmId } = sandbox.credentials;
  return new QuickBooks(
    clientId!,
    clientSecret!,
    accessToken,
    false, // no token secret with OAuth 2.0
    realmId!,
    true, // useSandbox: take V3_ENDPOINT_BASE_URL as it is
    false, // debug
    '75', // minorversion
    '2.0',
    refreshToken ?? null,
  );
}

export class SdkError extends Error {
  constructor(
    readonly original: unknown,
    readonly body: any,
    readonly status: number | undefined,
  ) {
    super(`node-quickbooks call failed (${status ?? 'no status'}): ${JSON.stringify(body)}`);
  }
}

/** Runs a node-quickbooks callback method as a promise; failures reject with an SdkError (status, body). */
export function sdk<T = any>(
  start: (callback: (err: any, data?: any, res?: any) => void) => void,
): Promise<T> {
  return new Promise((resolve, reject) =>
    start((err, data, res) => {
      if (!err) return resolve(data as T);
      const response = (res ?? err?.response) as { status?: number; data?: unknown } | undefined;
      reject(new SdkError(err, response?.data ?? data ?? err, response?.status));
    }),
  );
}

export async function sdkFailure(call: Promise<unknown>): Promise<SdkError> {
  try {
    await call;
  } catch (error) {
    if (error instanceof SdkError) return error;
    throw error;
  }
  throw new Error('expected the SDK call to fail');
}

// Webhooks -------------------------------------------------------------------------------------

/** Intuit's verification: base64 HMAC-SHA256 of the raw body with the verifier token, compared in constant time. */
export function verifyIntuitSignature(rawBody: Buffer, signature: string | undefined, verifierToken: string) {
  if (!signature) return false;
  const expected = Buffer.from(createHmac('sha256', verifierToken).update(rawBody).digest('base64'));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export interface Delivery {
  headers: IncomingHttpHeaders;
  raw: Buffer;
  json: {
    eventNotifications: Array<{
      realmId: string;
      dataChangeEvent: {
        entities: Array<{ name: string; id: string; operation: string; lastUpdated: string }>;
      };
    }>;
  };
  valid: boolean;
}

/** A webhook endpoint; answers 500 to the first `failFirst` deliveries, then 200. */
export async function startReceiver(verifierToken: string, failFirst = 0) {
  const deliveries: Delivery[] = [];
  let failures = failFirst;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const valid = verifyIntuitSignature(
        raw,
        req.headers['intuit-signature'] as string | undefined,
        verifierToken,
      );
      deliveries.push({
        headers: req.headers,
        raw,
        json: JSON.parse(raw.toString('utf8')) as Delivery['json'],
        valid,
      });
      if (failures > 0) {
        failures--;
        return res.writeHead(500).end();
      }
      res.writeHead(valid ? 200 : 401).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks/quickbooks`,
    deliveries,
    /** Every entity change received, flattened. */
    entities: () =>
      deliveries.flatMap((d) => d.json.eventNotifications.flatMap((n) => n.dataChangeEvent.entities)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
