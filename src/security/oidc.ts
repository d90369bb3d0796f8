import { createHash, createHmac, hkdfSync } from 'node:crypto';
import { request } from 'undici';
import { postCodeGrant } from '../upstream/oauth.ts';

/**
 * The hub as an OpenID Connect relying party, for the console's redirect sign-in
 * (src/console/sign-in.ts): the provider's endpoints from its discovery document, the PKCE pair, and
 * the authorization-code exchange. The access token it yields is checked by the hub's own JWT
 * verifier (src/security/jwt.ts), exactly as an API call's would be.
 */

/** Settings from SWITCHBOARD_OIDC_* (src/config.ts); the issuer is SWITCHBOARD_JWT_ISSUER. */
export interface OidcSettings {
  clientId: string;
  /** For a confidential client; a public client proves itself with PKCE alone. */
  clientSecret?: string;
  /** What the console's button says: "Sign in with <label>". */
  label: string;
  /** Space-separated scopes asked for; `openid` is always among them. */
  scopes: string;
}

/** The provider's endpoints, from `<issuer>/.well-known/openid-configuration`. */
export interface OidcProvider {
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
}

/** The provider could not be used: not reachable, a bad discovery document, a refused code. */
export class OidcError extends Error {
  constructor(
    message: string,
    /** The provider's `error` code, when it sent one. */
    readonly providerCode?: string,
  ) {
    super(message);
    this.name = 'OidcError';
  }
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** https, or http on a loopback host (a provider on the operator's own machine, the sandbox). */
export function secureEnough(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || (parsed.protocol === 'http:' && LOOPBACK.has(parsed.hostname));
  } catch {
    return false;
  }
}

export const discoveryUrl = (issuer: string) =>
  `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;

/**
 * Reads the provider's discovery document and checks it names the issuer the hub trusts (OpenID
 * Connect Discovery §4.3) and endpoints it may send a browser and a code to. Throws OidcError.
 * https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfigurationRequest
 */
export async function discoverOidc(issuer: string, timeoutMs = 5_000): Promise<OidcProvider> {
  const url = discoveryUrl(issuer);
  let status: number;
  let text: string;
  try {
    const res = await request(url, {
      headers: { accept: 'application/json' },
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    status = res.statusCode;
    text = await res.body.text();
  } catch (error) {
    const reason =
      error instanceof Error && /abort|timeout/i.test(`${error.name} ${error.message}`)
        ? `no answer within ${timeoutMs} ms`
        : error instanceof Error
          ? error.message
          : String(error);
    throw new OidcError(`the identity provider's discovery document (${url}) could not be read: ${reason}`);
  }
  if (status !== 200)
    throw new OidcError(`the identity provider's discovery document (${url}) answered HTTP ${status}`);
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new OidcError(`the identity provider's discovery document (${url}) is not JSON`);
  }
  if (doc.issuer !== issuer)
    throw new OidcError(
      `the discovery document at ${url} names the issuer "${String(doc.issuer)}", not SWITCHBOARD_JWT_ISSUER "${issuer}"`,
    );
  const endpoint = (name: string) => {
    const value = doc[name];
    if (typeof value !== 'string' || !secureEnough(value))
      throw new OidcError(
        `the discovery document at ${url} has no usable ${name} (an https URL, or http on localhost), got ${JSON.stringify(value)}`,
      );
    return value;
  };
  return {
    issuer,
    authorizationEndpoint: endpoint('authorization_endpoint'),
    tokenEndpoint: endpoint('token_endpoint'),
  };
}

/**
 * The per-sign-in secrets derived from its `state` with a key only the hub holds (HKDF of the
 * store's encryption key, which every replica shares): the PKCE verifier and the nonce. Nothing
 * but the state's hash is stored, and the state alone (which the provider and the browser see) does
 * not give the verifier, so a code intercepted with its state still cannot be exchanged.
 */
export function createFlowSecrets(encryptionKey: Buffer) {
  const key = Buffer.from(hkdfSync('sha256', encryptionKey, '', 'switchboard console sign-in', 32));
  const derive = (purpose: string, state: string) =>
    createHmac('sha256', key).update(`${purpose}\0${state}`).digest('base64url');
  return {
    /** RFC 7636 §4.1: 43 characters of base64url (256 bits). */
    verifier: (state: string) => derive('pkce', state),
    nonce: (state: string) => derive('nonce', state),
  };
}

/** RFC 7636 §4.2: `S256`, BASE64URL(SHA256(ASCII(code_verifier))). */
export const pkceChallenge = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

/**
 * The authorization code for tokens, with the PKCE verifier (RFC 6749 §4.1.3, RFC 7636 §4.5).
 * Returns the access token (a JWT the hub verifies) and the ID token when the provider sent one.
 * Throws OidcError saying what the provider answered.
 * https://openid.net/specs/openid-connect-core-1_0.html#TokenRequest
 */
export async function exchangeSignInCode(options: {
  provider: OidcProvider;
  settings: OidcSettings;
  code: string;
  redirectUri: string;
  codeVerifier: string;
  timeoutMs?: number;
}): Promise<{ accessToken: string; idToken?: string }> {
  const body = await postCodeGrant(
    {
      tokenUrl: options.provider.tokenEndpoint,
      clientId: options.settings.clientId,
      clientSecret: options.settings.clientSecret,
    },
    { code: options.code, redirect_uri: options.redirectUri, code_verifier: options.codeVerifier },
    options.timeoutMs,
    (failure) =>
      failure.kind === 'unreachable'
        ? new OidcError(`the identity provider's token endpoint did not answer (${failure.message})`)
        : new OidcError(
            `the identity provider refused the sign-in code (${failure.code}${failure.description ? `: ${failure.description}` : ''})`,
            failure.code,
          ),
  );
  if (typeof body.access_token !== 'string' || body.access_token === '')
    throw new OidcError("the identity provider's token endpoint answered without an access_token");
  return {
    accessToken: body.access_token,
    ...(typeof body.id_token === 'string' ? { idToken: body.id_token } : {}),
  };
}
