import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Database } from '../store/schema.ts';
import type { SecretBox } from '../security/secrets.ts';
import type { Security } from '../security/index.ts';
import type { JwtSettings } from '../security/jwt.ts';
import type { Refusal } from '../security/authenticate.ts';
import {
  createSingleUseValues,
  type SingleUseRedeemed,
  type SingleUseRefusal,
} from '../security/single-use.ts';
import {
  createFlowSecrets,
  discoverOidc,
  exchangeSignInCode,
  OidcError,
  pkceChallenge,
  type OidcProvider,
  type OidcSettings,
} from '../security/oidc.ts';

/**
 * The console's sign-in through the business's identity provider: the OpenID Connect
 * authorization-code flow with PKCE, run by the hub so the page's CSP stays same-origin and no
 * token is ever in a URL.
 *
 * - `GET /console/login/config` → `{ enabled, label }`: whether the page shows "Sign in with <label>".
 * - `GET /console/login` → 302 to the provider's authorization endpoint, with a single-use `state`
 *   (10 minutes), the PKCE challenge and a nonce, and a cookie binding the flow to this browser.
 * - `GET /console/login/callback?code&state` → the state checked and used up, the code exchanged,
 *   the access token checked by the hub's own guard (issuer, audience, signature, expiry, workspace:
 *   what an API call with it would face) and for the `operator` scope; then kept, sealed, under a
 *   single-use handle (60 s), and the browser sent to `/console#/signin/<handle>`. The fragment never
 *   leaves the browser. A refusal by the provider (`?error=access_denied`) or the hub goes back to
 *   `/console#/signin?error=<code>`: the page says the reason from the code, never from text in the
 *   URL, so a crafted link cannot put words on the hub's page.
 * - `POST /console/login/session` `{ handle }` (JSON, same browser) → `{ token, expiresAt }`, once.
 *
 * A forged, replayed or expired state or handle gets a page (or JSON) saying so, is audited, and
 * counts as a failed authentication from its address; every route is rate limited per address.
 */
export interface ConsoleSignIn {
  /** Answers the paths under `/console/login`; false for any other path. Never throws. */
  handle(req: IncomingMessage, res: ServerResponse, path: string): boolean;
}

export interface ConsoleSignInOptions {
  db: Kysely<Database>;
  /** Seals the token while it waits for the page to collect it. */
  secrets: SecretBox;
  /** The store's encryption key: the PKCE verifier and nonce are derived from it (src/security/oidc.ts). */
  encryptionKey: Buffer;
  security: Security;
  logger: Pick<Logger, 'error' | 'warn' | 'info'>;
  /** Absent: redirect sign-in is off and only `/console/login/config` answers (`enabled: false`). */
  oidc?: OidcSettings;
  jwt?: JwtSettings;
  /** Where the rows live (the hub's default workspace). */
  workspace: string;
  /** The hub's public URL for the redirect URI; the request's Host when unset. */
  publicUrl?: string;
  /** Reads the provider's endpoints; tests may pass their own. */
  discover?: (issuer: string) => Promise<OidcProvider>;
}

export const SIGN_IN_STATE_TTL_MS = 10 * 60_000; // 10 minutes: time to sign in at the provider
export const HANDLE_TTL_MS = 60_000; // 1 minute: the page collects it at once
const COOKIE = 'switchboard_sign_in';
const SYSTEM = 'console';
const SEAL_CONTEXT = 'console_sign_in:token';
/** RFC 6749 §4.1.2.1 error codes: the only ones shown by name; anything else is "the provider refused". */
const PROVIDER_ERRORS = new Set([
  'access_denied',
  'invalid_request',
  'unauthorized_client',
  'unsupported_response_type',
  'invalid_scope',
  'server_error',
  'temporarily_unavailable',
  'login_required',
  'consent_required',
  'interaction_required',
]);

/** The redirect URI registered with the provider: the same in the request and the exchange. */
export const signInRedirectUri = (publicUrl: string) =>
  `${publicUrl.replace(/\/+$/, '')}/console/login/callback`;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const sameHash = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const REFUSALS: Record<SingleUseRefusal | 'missing' | 'other_browser', string> = {
  missing: 'This link has no state, so it cannot be tied to a sign-in started from the console.',
  unknown: 'This link was not made by this hub (its state is unknown): it may have been forged or altered.',
  expired: 'This link has expired: a sign-in must be completed within 10 minutes of pressing the button.',
  used: 'This link has already been used: each sign-in link works once.',
  other_system: 'This link was made for something else than signing in to the console.',
  other_browser:
    'This sign-in was started in another browser, or a newer sign-in in this browser replaced it: start again from the console.',
};

const HANDLE_REFUSALS: Record<SingleUseRefusal | 'other_browser', string> = {
  unknown: 'This sign-in handle was not made by this hub: start again from the sign-in page.',
  expired: 'This sign-in handle has expired (it lasts a minute): start again from the sign-in page.',
  used: 'This sign-in handle has already been used: start again from the sign-in page.',
  other_system: 'This sign-in handle was made for something else: start again from the sign-in page.',
  other_browser: 'This sign-in was started in another browser: start again from the sign-in page.',
};

const NO_STORE = {
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

function page(res: ServerResponse, status: number, title: string, lines: string[]) {
  res.writeHead(status, {
    ...NO_STORE,
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': "default-src 'none'; base-uri 'none'; form-action 'none'",
  });
  res.end(
    `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body>` +
      `<h1>${escapeHtml(title)}</h1>${lines.map((l) => `<p>${escapeHtml(l)}</p>`).join('')}` +
      `<p><strong>You are not signed in.</strong> <a href="/console">Back to the console's sign-in</a></p></body></html>`,
  );
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...NO_STORE,
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

function cookieOf(req: IncomingMessage): string | undefined {
  for (const part of String(req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === COOKIE) return value.join('=');
  }
  return undefined;
}

/** Reads a small JSON body; undefined when it is not one (or too large). */
async function readJson(req: IncomingMessage, max = 4_096): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) return undefined;
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

export function createConsoleSignIn(options: ConsoleSignInOptions): ConsoleSignIn {
  const { db, secrets, security, logger, oidc, jwt, workspace } = options;
  const states = createSingleUseValues<{ binding: string }>(db, {
    prefix: 'console_login_state:',
    ttlMs: SIGN_IN_STATE_TTL_MS,
  });
  const handles = createSingleUseValues<{ binding: string; subject: string }>(db, {
    prefix: 'console_login_handle:',
    ttlMs: HANDLE_TTL_MS,
  });
  const flow = createFlowSecrets(options.encryptionKey);
  const discover = options.discover ?? ((issuer: string) => discoverOidc(issuer));
  let provider: Promise<OidcProvider> | undefined;
  /** Read once and kept; a failure is forgotten so the next sign-in tries again. */
  const providerOf = (issuer: string) => {
    const found = (provider ??= discover(issuer));
    found.catch(() => {
      if (provider === found) provider = undefined;
    });
    return found;
  };
  const idTokenKeys = jwt ? createRemoteJWKSet(new URL(jwt.jwksUrl), { timeoutDuration: 5_000 }) : undefined;
  const secure = options.publicUrl?.startsWith('https:') ? '; Secure' : '';
  const publicUrlOf = (req: IncomingMessage) =>
    options.publicUrl ?? `http://${req.headers.host ?? 'localhost'}`;

  const audit = (
    req: IncomingMessage,
    outcome: 'SUCCEEDED' | 'FAILED' | 'REJECTED' | 'FORBIDDEN',
    actor: string,
    detail: Record<string, unknown>,
  ) =>
    security.audit
      .record({
        workspace,
        actor,
        action: 'console.signIn',
        outcome,
        address: security.addressOf(req),
        detail,
      })
      .catch((error: unknown) => logger.error({ err: error }, 'auditing a console sign-in failed'));

  /** Back to the console's sign-in form, which says why from the code. */
  const backToConsole = (res: ServerResponse, error: string, reason?: string) => {
    const query = new URLSearchParams({ error, ...(reason ? { reason } : {}) });
    res.writeHead(302, { ...NO_STORE, location: `/console#/signin?${query}` });
    res.end();
  };

  const limited = (res: ServerResponse, refusal: Refusal, asJson: boolean) => {
    const headers = refusal.retryAfterMs
      ? { 'retry-after': String(Math.ceil(refusal.retryAfterMs / 1000)) }
      : undefined;
    if (asJson) return json(res, 429, { error: refusal.message, code: refusal.code }, headers);
    res.writeHead(429, {
      ...NO_STORE,
      ...headers,
      'content-type': 'text/plain; charset=utf-8',
    });
    res.end(refusal.message);
  };

  const start = async (req: IncomingMessage, res: ServerResponse) => {
    if (!oidc || !jwt) {
      page(res, 404, 'Sign-in with an identity provider is not set up', [
        'This hub signs in to the console with an operator key only. To add "Sign in with …", set SWITCHBOARD_OIDC_CLIENT_ID (and the SWITCHBOARD_JWT_* variables) and restart.',
      ]);
      return;
    }
    let found: OidcProvider;
    try {
      found = await providerOf(jwt.issuer);
    } catch (error) {
      logger.error(
        { err: error instanceof OidcError ? { message: error.message } : error },
        "the console's sign-in could not read the identity provider's discovery document",
      );
      backToConsole(res, 'provider_unreachable');
      return;
    }
    const binding = randomBytes(32).toString('base64url');
    const { value: state } = await states.issue({
      workspace,
      system: SYSTEM,
      data: { binding: sha256(binding) },
    });
    // https://openid.net/specs/openid-connect-core-1_0.html#AuthRequest (RFC 7636 §4.3 for PKCE)
    const url = new URL(found.authorizationEndpoint);
    const params = {
      response_type: 'code',
      client_id: oidc.clientId,
      redirect_uri: signInRedirectUri(publicUrlOf(req)),
      scope: oidc.scopes,
      state,
      nonce: flow.nonce(state),
      code_challenge: pkceChallenge(flow.verifier(state)),
      code_challenge_method: 'S256',
    };
    for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
    res.writeHead(302, {
      ...NO_STORE,
      location: url.toString(),
      // Lax: sent on the provider's top-level redirect back, never on another site's requests.
      'set-cookie': `${COOKIE}=${binding}; Path=/console/login; Max-Age=${SIGN_IN_STATE_TTL_MS / 1000}; HttpOnly; SameSite=Lax${secure}`,
    });
    res.end();
  };

  const callback = async (req: IncomingMessage, res: ServerResponse) => {
    if (!oidc || !jwt) return start(req, res);
    const query = new URL(req.url ?? '/', 'http://hub.invalid').searchParams;
    const state = query.get('state') ?? '';
    const redeemed: SingleUseRedeemed<{ binding: string }> | { ok: false; reason: 'missing' } = state
      ? await states.redeem(SYSTEM, state)
      : { ok: false, reason: 'missing' };
    const refuse = async (reason: keyof typeof REFUSALS) => {
      await audit(req, 'REJECTED', 'anonymous', { reason });
      const slowed = await security.failedAttempt(security.addressOf(req));
      if (slowed) return limited(res, slowed, false);
      page(res, 400, 'You were not signed in', [REFUSALS[reason]]);
    };
    if (!redeemed.ok) return refuse(redeemed.reason);
    const cookie = cookieOf(req);
    if (!cookie || !sameHash(sha256(cookie), redeemed.data.binding)) return refuse('other_browser');

    const providerError = query.get('error');
    if (providerError) {
      const code = PROVIDER_ERRORS.has(providerError) ? providerError : 'provider_error';
      await audit(req, 'FAILED', 'anonymous', { providerError: code });
      return backToConsole(res, code);
    }
    const code = query.get('code');
    if (!code) {
      await audit(req, 'REJECTED', 'anonymous', { reason: 'no_code' });
      return backToConsole(res, 'no_code');
    }
    let tokens: { accessToken: string; idToken?: string };
    try {
      tokens = await exchangeSignInCode({
        provider: await providerOf(jwt.issuer),
        settings: oidc,
        code,
        redirectUri: signInRedirectUri(publicUrlOf(req)),
        codeVerifier: flow.verifier(state),
      });
    } catch (error) {
      const providerCode = error instanceof OidcError ? error.providerCode : undefined;
      logger.warn(
        { err: error instanceof OidcError ? { message: error.message } : error },
        "the console's sign-in code exchange failed",
      );
      await audit(req, 'FAILED', 'anonymous', { reason: 'exchange', providerCode: providerCode ?? null });
      return backToConsole(res, 'exchange_failed');
    }
    // The ID token, when sent, must be this flow's (its nonce): a token replayed from another flow is not.
    if (tokens.idToken && idTokenKeys) {
      try {
        const { payload } = await jwtVerify(tokens.idToken, idTokenKeys, {
          issuer: jwt.issuer,
          audience: oidc.clientId,
          clockTolerance: 30,
        });
        if (payload.nonce !== flow.nonce(state)) throw new Error('nonce');
      } catch {
        await audit(req, 'REJECTED', 'anonymous', { reason: 'id_token' });
        return backToConsole(res, 'id_token_invalid');
      }
    }
    const checked = await security.guard.check({
      headers: new Headers({ authorization: `Bearer ${tokens.accessToken}` }),
      url: '/console/login/callback',
      address: security.addressOf(req),
      action: 'console.signIn',
    });
    if (!checked.ok) return backToConsole(res, 'token_refused', checked.refusal.reason);
    const { principal } = checked.caller;
    if (!principal.scopes.has('operator')) {
      await audit(req, 'FORBIDDEN', principal.actor, {
        reason: 'MISSING_SCOPE',
        missingScopes: ['operator'],
      });
      return backToConsole(res, 'not_operator');
    }
    const { value: handle } = await handles.issue({
      workspace,
      system: SYSTEM,
      data: { binding: redeemed.data.binding, subject: principal.actor },
      secret: secrets.seal(tokens.accessToken, SEAL_CONTEXT),
    });
    await audit(req, 'SUCCEEDED', principal.actor, { method: 'oidc' });
    res.writeHead(302, { ...NO_STORE, location: `/console#/signin/${handle}` });
    res.end();
  };

  const session = async (req: IncomingMessage, res: ServerResponse) => {
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
      req.resume();
      return json(res, 415, {
        error: 'Send `{ "handle": "…" }` as JSON (`Content-Type: application/json`).',
      });
    }
    const body = await readJson(req);
    const handle =
      typeof body === 'object' && body !== null ? (body as Record<string, unknown>).handle : undefined;
    if (typeof handle !== 'string')
      return json(res, 400, {
        error: 'Send `{ "handle": "…" }`: the handle from /console#/signin/<handle>.',
      });
    const refuse = async (reason: keyof typeof HANDLE_REFUSALS) => {
      await audit(req, 'REJECTED', 'anonymous', { reason: `handle_${reason}` });
      const slowed = await security.failedAttempt(security.addressOf(req));
      if (slowed) return limited(res, slowed, true);
      json(res, 400, { error: HANDLE_REFUSALS[reason], code: 'SIGN_IN_REFUSED', reason });
    };
    const redeemed = await handles.redeem(SYSTEM, handle);
    if (!redeemed.ok) return refuse(redeemed.reason);
    const cookie = cookieOf(req);
    if (!cookie || !sameHash(sha256(cookie), redeemed.data.binding)) return refuse('other_browser');
    const token = secrets.open(redeemed.secret ?? '', SEAL_CONTEXT);
    const verdict = await security.authenticator.authenticate({
      authorization: `Bearer ${token}`,
      origin: null,
    });
    json(
      res,
      200,
      {
        token,
        subject: redeemed.data.subject,
        expiresAt: verdict.ok ? (verdict.principal.expiresAt?.toISOString() ?? null) : null,
      },
      { 'set-cookie': `${COOKIE}=; Path=/console/login; Max-Age=0; HttpOnly; SameSite=Lax${secure}` },
    );
  };

  type Route = { method: 'GET' | 'POST'; run: (req: IncomingMessage, res: ServerResponse) => Promise<void> };
  const routes: Record<string, Route> = {
    '/console/login': { method: 'GET', run: start },
    '/console/login/callback': { method: 'GET', run: callback },
    '/console/login/session': { method: 'POST', run: session },
  };

  return {
    handle(req, res, path) {
      if (path === '/console/login/config') {
        if (req.method !== 'GET' && req.method !== 'HEAD') return false;
        json(res, 200, oidc && jwt ? { enabled: true, label: oidc.label } : { enabled: false, label: null });
        return true;
      }
      const route = routes[path];
      if (!route) return false;
      if (req.method !== route.method) {
        req.resume();
        json(res, 405, { error: `${path} takes ${route.method}.` }, { allow: route.method });
        return true;
      }
      const asJson = route.method === 'POST';
      security
        .limitAnonymous(security.addressOf(req))
        .then((refusal) => (refusal ? limited(res, refusal, asJson) : route.run(req, res)))
        .catch((error: unknown) => {
          logger.error({ err: error, path }, "the console's sign-in failed");
          if (res.headersSent) return;
          if (asJson) json(res, 503, { error: 'The hub could not sign you in just now; try again.' });
          else page(res, 503, 'The hub could not sign you in just now', ['Try again in a moment.']);
        });
      return true;
    },
  };
}
