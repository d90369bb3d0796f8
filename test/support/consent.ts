import { expect } from 'vitest';

/**
 * What the user does on a vendor's consent page (the sandbox's, from `src/sandbox/kit/oauth.ts`):
 * presses Allow or Deny on the page `authorizeUrl` shows. Returns where the vendor sends the browser
 * back: the hub's `/oauth/callback/<system>?…` URL.
 */
export async function decideOnConsentPage(authorizeUrl: string, decision: 'allow' | 'deny'): Promise<string> {
  const authorize = new URL(authorizeUrl);
  const form = new URLSearchParams(authorize.search);
  form.set('decision', decision);
  const res = await fetch(`${authorize.origin}${authorize.pathname}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
    redirect: 'manual',
  });
  expect(res.status).toBe(302);
  return res.headers.get('location')!;
}
