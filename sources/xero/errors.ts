import {
  SourceError,
  codeForStatus,
  parseRetryAfter,
  type SourceErrorCode,
} from '../../src/domain/errors.ts';
import type { UpstreamResponse } from '../../src/upstream/client.ts';

/**
 * Xero answers failures in three shapes:
 * - the gateway's problem details `{Type, Title, Status, Detail, Instance}` for 401/403/429/5xx,
 *   where `Detail` starts with a code (`TokenExpired: token expired at …`, `AuthenticationUnsuccessful`,
 *   `AuthorizationUnsuccessful`);
 * - the Accounting API's ApiException `{ErrorNumber, Type, Message, Elements?}` for 400s, with the
 *   per-element `ValidationErrors[].Message` carrying what was actually wrong;
 * - plain text for 404 ("The resource you're looking for cannot be found").
 * https://developer.xero.com/documentation/api/accounting/responsecodes
 * https://developer.xero.com/documentation/guides/oauth2/limits
 */
export interface XeroProblem {
  Type?: string | null;
  Title?: string;
  Status?: number;
  Detail?: string;
}

export interface XeroApiException {
  ErrorNumber?: number;
  Type?: string;
  Message?: string;
  Elements?: Array<{ ValidationErrors?: Array<{ Message?: string }> }>;
}

/** Which of Xero's limits refused the call (`X-Rate-Limit-Problem`). */
export type XeroRateLimitProblem = 'minute' | 'daily' | 'concurrent' | 'appminute';

/** https://developer.xero.com/documentation/guides/idempotent-requests/idempotency/ */
const IDEMPOTENCY_KEY = /idempotency[- ]?key/i;
const KEY_REUSED = /already (been )?used|different request/i;

const header = (response: UpstreamResponse, name: string): string | undefined => {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;

function validationMessages(body: XeroApiException): string[] {
  if (!Array.isArray(body.Elements)) return [];
  return body.Elements.flatMap((element) =>
    Array.isArray(element?.ValidationErrors)
      ? element.ValidationErrors.map((e) => text(e?.Message)).filter((m): m is string => m !== undefined)
      : [],
  );
}

export function toXeroError(response: UpstreamResponse, operation: string): SourceError {
  const { status } = response;
  const body = (
    typeof response.body === 'object' && response.body !== null ? response.body : {}
  ) as XeroProblem & XeroApiException;
  let code: SourceErrorCode = codeForStatus(status);
  let retryable: boolean | undefined;
  let retryAfterMs: number | undefined;

  const detail = text(body.Detail);
  // The gateway's auth failures lead with a CamelCase code (`TokenExpired: …`); other Details are prose.
  let vendorCode = detail ? /^([A-Z][a-z]+(?:[A-Z][a-z]+)+)(?::|$)/.exec(detail)?.[1] : undefined;
  let message = detail ?? text(body.Title);

  if (status === 400) {
    vendorCode = text(body.Type) ?? vendorCode;
    const details = validationMessages(body);
    message = [text(body.Message), ...details].filter(Boolean).join(': ') || message;
    // The step's key was already spent on a different request: no retry with it can ever succeed,
    // and nothing about the input was wrong, so it is a conflict, not a validation error.
    if (message && IDEMPOTENCY_KEY.test(message) && KEY_REUSED.test(message)) {
      code = 'CONFLICT';
      vendorCode = 'IdempotencyKeyReused';
    }
  } else if (
    status === 409 &&
    message &&
    (IDEMPOTENCY_KEY.test(message) || /being processed/i.test(message))
  ) {
    // The first request with this Idempotency-Key is still running: retry shortly and get its answer.
    vendorCode = 'IdempotencyKeyInUse';
    retryable = true;
    retryAfterMs = parseRetryAfter(response.headers['retry-after']) ?? 1_000;
  } else if (status === 401 && vendorCode === 'AuthorizationUnsuccessful') {
    // The token is fine but lacks the scope for this endpoint: a reconnect with more scopes, not a refresh.
    code = 'FORBIDDEN';
  } else if (status === 429) {
    const problem = header(response, 'x-rate-limit-problem')?.toLowerCase() as
      XeroRateLimitProblem | undefined;
    vendorCode = problem ? `RateLimit:${problem}` : 'RateLimit';
    retryAfterMs =
      parseRetryAfter(response.headers['retry-after']) ?? (problem === 'concurrent' ? 1_000 : 60_000);
    // The daily budget is rolling 24 h: the Retry-After can be hours away, so the call is not worth
    // holding or retrying in the background loop today.
    if (problem === 'daily') retryable = false;
  }
  if (!message && typeof response.body === 'string') message = text(response.body)?.slice(0, 200);

  return new SourceError(
    'xero',
    code,
    `xero ${operation} failed with ${status}${vendorCode ? ` ${vendorCode}` : ''}: ${message ?? 'no message'}`,
    { status, vendorCode, operation, retryAfterMs, retryable },
  );
}
