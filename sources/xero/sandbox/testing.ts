/** Helpers shared by the Xero sandbox specs: an SDK client pointed at the sandbox, tokens, a webhook receiver. */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { XeroClient } from 'xero-node';
import type { VendorSandbox } from '../../../src/sandbox/types.ts';

export const FIXED_NOW = new Date('2026-11-23T00:00:00Z');

export async function tokenRequest(
  sandbox: VendorSandbox,
  form: Record<string, string>,
  auth: { id?: string; secret?: string } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const id = auth.id ?? sandbox.credentials.clientId;
  const secret = auth.secret ?? sandbox.credentials.clientSecret;
  const res = await fetch(`${sandbox.url}/connect/token`, {
    method: 'POST',
    headers: {
      Authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
      'Content-Type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams(form),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** A fresh access token from the custom-connection grant (not rate limited, independent of other tests). */
export async function accessToken(sandbox: VendorSandbox): Promise<string> {
  const { status, body } = await tokenRequest(sandbox, { grant_type: 'client_credentials' });
  if (status !== 200) throw new Error(`token request failed: ${status} ${JSON.stringify(body)}`);
  return body.access_token as string;
}

/** The official SDK with only its base path changed. */
export function sdkClient(sandbox: VendorSandbox, token: string): XeroClient {
  const xero = new XeroClient({
    clientId: sandbox.credentials.clientId!,
    clientSecret: sandbox.credentials.clientSecret!,
    redirectUris: ['http://localhost:5000/callback'],
    scopes: ['openid', 'offline_access', 'accounting.transactions', 'accounting.contacts'],
  });
  xero.accountingApi.basePath = `${sandbox.url}/api.xro/2.0`;
  xero.setTokenSet({ access_token: token, token_type: 'Bearer', expires_in: 1800 });
  return xero;
}

export interface SdkFailure {
  statusCode: number;
  body: unknown;
  headers: Record<string, string>;
}

/** xero-node rejects with a JSON string `{response:{statusCode, body, headers}, body}`. */
export async function sdkFailure(call: Promise<unknown>): Promise<SdkFailure> {
  try {
    await call;
  } catch (error) {
    const parsed = (typeof error === 'string' ? JSON.parse(error) : error) as { response: SdkFailure };
    return parsed.response;
  }
  throw new Error('expected the SDK call to fail');
}

export async function admin(sandbox: VendorSandbox, method: string, path: string, body?: unknown) {
  const res = await fetch(`${sandbox.url}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Xero's published verification: base64 HMAC-SHA256 of the raw body with the webhook key, compared in constant time. */
export function verifyXeroSignature(
  rawBody: Buffer,
  signature: string | undefined,
  webhookKey: string,
): boolean {
  if (!signature) return false;
  const expected = Buffer.from(createHmac('sha256', webhookKey).update(rawBody).digest('base64'));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export interface Delivery {
  headers: IncomingHttpHeaders;
  raw: Buffer;
  json: {
    events: Array<Record<string, string>>;
    firstEventSequence: number;
    lastEventSequence: number;
    entropy: string;
  };
  valid: boolean;
}

/**
 * A real webhook endpoint. `correct` verifies signatures as Xero requires (200 with an empty body,
 * or 401); `always200` accepts anything (and so fails intent-to-receive). `failFirst` answers 500
 * to that many event deliveries before behaving.
 */
export async function startReceiver(webhookKey: string, mode: 'correct' | 'always200', failFirst = 0) {
  const deliveries: Delivery[] = [];
  let failures = failFirst;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const valid = verifyXeroSignature(
        raw,
        req.headers['x-xero-signature'] as string | undefined,
        webhookKey,
      );
      const json = JSON.parse(raw.toString('utf8')) as Delivery['json'];
      deliveries.push({ headers: req.headers, raw, json, valid });
      if (mode === 'always200') return res.writeHead(200).end();
      if (!valid) return res.writeHead(401).end();
      if (json.events.length > 0 && failures > 0) {
        failures--;
        return res.writeHead(500).end();
      }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks/xero`,
    deliveries,
    /** Deliveries that carried events (intent-to-receive probes have none). */
    events: () => deliveries.filter((d) => d.json.events.length > 0),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
