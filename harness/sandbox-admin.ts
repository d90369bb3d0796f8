/** Helpers for tests that drive a sandbox's admin surface (`/__sandbox/...`). */
import type { LoggedRequest } from '../src/sandbox/kit/request-log.ts';

export interface RequestSummary {
  total: number;
  byOperation: Record<string, number>;
}

export async function requestLog(baseUrl: string): Promise<RequestSummary> {
  const res = await fetch(`${baseUrl}/__sandbox/requests?limit=0`);
  if (!res.ok) throw new Error(`GET ${baseUrl}/__sandbox/requests answered ${res.status}`);
  return (await res.json()) as RequestSummary;
}

/** The last `limit` requests a sandbox logged (method, path, operation, status), oldest first. */
export async function requestEntries(baseUrl: string, limit = 5_000): Promise<LoggedRequest[]> {
  const res = await fetch(`${baseUrl}/__sandbox/requests?limit=${limit}`);
  if (!res.ok) throw new Error(`GET ${baseUrl}/__sandbox/requests answered ${res.status}`);
  return ((await res.json()) as { entries: LoggedRequest[] }).entries;
}

export async function clearRequestLog(...baseUrls: string[]): Promise<void> {
  await Promise.all(baseUrls.map((url) => fetch(`${url}/__sandbox/requests`, { method: 'DELETE' })));
}

export async function injectFault(baseUrl: string, rule: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${baseUrl}/__sandbox/faults`, { method: 'POST', body: JSON.stringify(rule) });
  if (res.status !== 201) throw new Error(`fault rule refused (${res.status}): ${await res.text()}`);
}

export async function clearFaults(...baseUrls: string[]): Promise<void> {
  await Promise.all(baseUrls.map((url) => fetch(`${url}/__sandbox/faults`, { method: 'DELETE' })));
}

/** POSTs JSON to an admin route (`…/__sandbox/actions/move-booking`); the sandbox's JSON answer. */
export async function sandboxAction(url: string, body: unknown): Promise<any> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${url} answered ${res.status}: ${await res.text()}`);
  return res.json();
}
