// Signing in through the business's identity provider. The hub runs the whole OpenID Connect flow
// (src/console/sign-in.ts): the button is a plain link to /console/login, and the provider's answer
// comes back as `#/signin/<handle>` (the handle, POSTed once, gives the token) or as
// `#/signin?error=<code>` (the reason, said here from the code: no text from the URL is shown).

/** Whether the hub offers redirect sign-in, and the provider's name for the button. */
export async function redirectSignIn(): Promise<{ enabled: boolean; label: string | null }> {
  try {
    const res = await fetch('/console/login/config', { headers: { accept: 'application/json' } });
    if (!res.ok) return { enabled: false, label: null };
    return (await res.json()) as { enabled: boolean; label: string | null };
  } catch {
    return { enabled: false, label: null };
  }
}

/** The handle from the callback for the token, once; throws with the hub's reason. */
export async function collectToken(handle: string): Promise<{ token: string; expiresAt: string | null }> {
  let res: Response;
  try {
    res = await fetch('/console/login/session', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ handle }),
      credentials: 'same-origin',
    });
  } catch {
    throw new Error('The hub cannot be reached. Is it running?');
  }
  const body = (await res.json().catch(() => ({}))) as {
    token?: string;
    expiresAt?: string | null;
    error?: string;
  };
  if (!res.ok || !body.token) throw new Error(body.error ?? `The hub answered ${res.status}.`);
  return { token: body.token, expiresAt: body.expiresAt ?? null };
}

const PROVIDER = 'the identity provider';

/** What a `#/signin?error=<code>&reason=<reason>` means, for the sign-in form. */
export function signInFailure(params: URLSearchParams, label: string | null): string {
  const who = label ?? PROVIDER;
  const code = params.get('error') ?? '';
  const reason = (params.get('reason') ?? '').replace(/[^A-Z_]/g, '').slice(0, 40);
  switch (code) {
    case 'access_denied':
      return `${who} did not sign you in: access was denied there (access_denied). Try again, or sign in with an operator key.`;
    case 'not_operator':
      return `You signed in at ${who}, but your account does not have the \`operator\` scope the console needs. Ask whoever runs ${who} to grant it, or sign in with an operator key.`;
    case 'token_refused':
      return `The hub refused the token ${who} gave${reason ? ` (${reason})` : ''}: its issuer, audience or keys do not match the hub's SWITCHBOARD_JWT_* settings. The hub's audit log has the details.`;
    case 'provider_unreachable':
      return `${who} could not be reached just now (the hub's log says why). Try again shortly, or sign in with an operator key.`;
    case 'exchange_failed':
      return `${who} did not accept the sign-in code (the hub's log says why). Try again.`;
    case 'id_token_invalid':
      return `${who} answered with an ID token that is not for this sign-in. Try again.`;
    case 'no_code':
      return `${who} sent you back without a sign-in code. Try again.`;
    case 'login_required':
    case 'consent_required':
    case 'interaction_required':
      return `${who} needs you to sign in there first (${code}). Try again.`;
    case 'temporarily_unavailable':
    case 'server_error':
      return `${who} could not sign you in just now (${code}). Try again shortly.`;
    default:
      return `${who} did not sign you in${/^[a-z_]{1,40}$/.test(code) ? ` (${code})` : ''}. Try again, or sign in with an operator key.`;
  }
}
