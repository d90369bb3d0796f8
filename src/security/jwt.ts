import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';

export interface JwtSettings {
  /** The identity provider's issuer, exactly as in its tokens' `iss`. */
  issuer: string;
  /** This hub's audience, as the identity provider puts it in `aud`. */
  audience: string;
  /** Where the provider publishes its signing keys (JWKS); fetched when a token names a key not seen yet. */
  jwksUrl: string;
  /** The claim holding scopes: a space-separated string (`scope`, RFC 8693) or a list (`scp`). */
  scopesClaim: string;
  /** The claim naming the workspace(s) the subject may use; without it, the hub's default workspace. */
  workspaceClaim: string;
  /** Asymmetric algorithms accepted; never `none`, never HMAC (the keys come from a public JWKS). */
  algorithms?: string[];
  /** Leeway for `exp` and `nbf`, in seconds. */
  clockToleranceSec?: number;
}

export type JwtVerdict =
  | {
      ok: true;
      subject: string;
      scopes: string[];
      /** Empty when the token names none. */
      workspaces: string[];
      expiresAt: Date | null;
    }
  | { ok: false; reason: string; message: string };

export interface JwtVerifier {
  /** Checks signature, algorithm, issuer, audience, `exp` and `nbf`. Never throws. */
  verify(token: string): Promise<JwtVerdict>;
}

const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

const fail = (reason: string, message: string): JwtVerdict => ({ ok: false, reason, message });

const listClaim = (value: unknown): string[] =>
  typeof value === 'string'
    ? value.split(/\s+/).filter(Boolean)
    : Array.isArray(value)
      ? value.filter((v): v is string => typeof v === 'string')
      : [];

/** Tokens from the business's own identity provider, verified with jose against its published keys. */
export function createJwtVerifier(settings: JwtSettings): JwtVerifier {
  // https://github.com/panva/jose/blob/main/docs/jwks/remote/functions/createRemoteJWKSet.md
  const keys = createRemoteJWKSet(new URL(settings.jwksUrl), {
    timeoutDuration: 5_000,
    cooldownDuration: 30_000,
  });
  const algorithms = settings.algorithms ?? ASYMMETRIC;
  return {
    async verify(token) {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keys, {
          issuer: settings.issuer,
          audience: settings.audience,
          algorithms,
          clockTolerance: settings.clockToleranceSec ?? 30,
          requiredClaims: ['sub', 'exp'],
        }));
      } catch (error) {
        return explain(error, algorithms);
      }
      return {
        ok: true,
        subject: payload.sub!,
        scopes: listClaim(payload[settings.scopesClaim]),
        workspaces: listClaim(payload[settings.workspaceClaim]),
        expiresAt: typeof payload.exp === 'number' ? new Date(payload.exp * 1000) : null,
      };
    },
  };
}

/** jose's failure as a reason for the audit log and a message that says what to fix. */
function explain(error: unknown, algorithms: string[]): JwtVerdict {
  if (error instanceof errors.JWTExpired)
    return fail('JWT_EXPIRED', 'The token has expired; get a new one from your identity provider.');
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf')
      return fail('JWT_NOT_YET_VALID', 'The token is not valid yet (its `nbf` is in the future).');
    if (error.claim === 'iss')
      return fail('JWT_WRONG_ISSUER', 'The token was issued by an issuer this hub does not trust.');
    if (error.claim === 'aud')
      return fail('JWT_WRONG_AUDIENCE', 'The token is meant for another audience, not this hub.');
    return fail('JWT_CLAIM_INVALID', `The token's \`${error.claim}\` claim is missing or not valid.`);
  }
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return fail(
      'JWT_ALGORITHM',
      `The token's algorithm is not accepted; use one of ${algorithms.join(', ')}.`,
    );
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return fail('JWT_BAD_SIGNATURE', 'The token signature does not verify.');
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return fail(
      'JWT_UNKNOWN_KEY',
      "The token is signed with a key the identity provider's JWKS does not list.",
    );
  }
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) {
    return fail(
      'JWKS_UNAVAILABLE',
      "The identity provider's signing keys could not be fetched; try again shortly.",
    );
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
    return fail('JWT_MALFORMED', 'The token is not a well-formed signed JWT.');
  }
  // A JWKS fetch that failed at the network level surfaces as a plain error.
  return fail(
    'JWKS_UNAVAILABLE',
    "The identity provider's signing keys could not be fetched; try again shortly.",
  );
}

/** Looks like a compact JWS (three base64url parts, the first a JSON header). */
export const looksLikeJwt = (text: string) => /^eyJ[\w-]*\.[\w-]*\.[\w-]*$/.test(text);
