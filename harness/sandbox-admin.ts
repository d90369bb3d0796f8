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

/**
 * A person at a sandbox's consent page (`consentRoutes` in src/sandbox/kit/oauth.ts): opens
 * `authorizeUrl`, then posts the page's own form (its hidden fields, as a browser would) with
 * `decision`. The page's HTML and where the sandbox redirects (the app's redirect URI with a code or
 * an error); `status` is the page's (302 when it sent an error back without asking), `location` null
 * when it refused to redirect at all (an unknown client or redirect URI).
 */
export async function decideConsent(
  authorizeUrl: string,
  decision: 'allow' | 'deny',
): Promise<{ status: number; html: string; location: string | null }> {
  const authorize = new URL(authorizeUrl);
  const page = await fetch(authorize, { redirect: 'manual' });
  const html = await page.text();
  // An error the page sends back to the app at once (a bad scope), or one it shows (a bad client).
  if (page.status !== 200) return { status: page.status, html, location: page.headers.get('location') };
  const form = new URLSearchParams(
    [...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map(
      ([, name, value]) =>
        [
          name!,
          value!
            .replace(/&quot;/g, '"')
            .replace(/&#39;/g, "'")
            .replace(/&lt;/g, '<')
            .replace(/&gt;/g, '>')
            .replace(/&amp;/g, '&'),
        ] as [string, string],
    ),
  );
  form.set('decision', decision);
  const res = await fetch(`${authorize.origin}${authorize.pathname}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
    redirect: 'manual',
  });
  return { status: page.status, html, location: res.headers.get('location') };
}
