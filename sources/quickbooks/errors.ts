import {
  SourceError,
  codeForStatus,
  parseRetryAfter,
  type SourceErrorCode,
} from '../../src/domain/errors.ts';
import type { UpstreamResponse } from '../../src/upstream/client.ts';

/**
 * QuickBooks Online answers failures from two layers, in two spellings of one shape:
 * - the Accounting API: `{"Fault":{"Error":[{"Message","Detail","code","element"}],"type"},"time"}`,
 *   HTTP 400 for validation (and for an unknown id: 610 Object Not Found is a 400, not a 404),
 *   500 `SystemFault` 10000; a failed batch item carries the same `Fault` in its own entry;
 * - Intuit's gateway in front of it, for 401 (3200), 403 (3100) and 429 (3001), lowercase:
 *   `{"fault":{"error":[{"message":"message=ApplicationAuthorizationFailed; errorCode=003100;
 *   statusCode=403","detail":null,"code":"3100"}],"type":"SERVICE"},"time":<epoch ms>}`.
 * https://developer.intuit.com/app/developer/qbo/docs/develop/troubleshooting/error-codes
 * https://developer.intuit.com/app/developer/qbo/docs/learn/rest-api-features#limits-and-throttles
 */
export interface QuickbooksFaultError {
  Message?: string;
  Detail?: string;
  code?: string;
  element?: string;
}

/** Intuit documents no Retry-After on its 429 and says to wait a minute. */
export const THROTTLE_WAIT_MS = 60_000;

/** 5010 Stale Object Error: the SyncToken sent is not the record's current one. */
export const STALE_OBJECT = '5010';
/** 6240 Duplicate Name Exists: DisplayName is unique across customers, vendors and employees. */
export const DUPLICATE_NAME = '6240';
/** 6140 Duplicate Document Number. */
export const DUPLICATE_DOC_NUMBER = '6140';
/** 610 Object Not Found: an unknown or deleted id (answered as HTTP 400). */
export const OBJECT_NOT_FOUND = '610';

interface ReadError {
  code?: string;
  message?: string;
  detail?: string;
  /** The gateway's error name (`ApplicationAuthorizationFailed`, `AuthorizationFailed`, …). */
  name?: string;
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== ''
    ? value.trim()
    : typeof value === 'number'
      ? String(value)
      : undefined;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The first error of either spelling, or nothing when the body is neither (HTML, plain text). */
function firstError(fault: unknown): ReadError {
  if (!isRecord(fault)) return {};
  const list = fault.Error ?? fault.error;
  const first: unknown = Array.isArray(list) ? list[0] : undefined;
  if (!isRecord(first)) return {};
  const message = text(first.Message ?? first.message);
  return {
    code: text(first.code),
    message,
    detail: text(first.Detail ?? first.detail),
    name: message ? /message=([A-Za-z]+)/.exec(message)?.[1] : undefined,
  };
}

function describe(error: ReadError): string | undefined {
  const { message, detail, name } = error;
  // The gateway's message is a `key=value` list; its name says it better.
  const lead = name ?? message;
  if (!detail) return lead;
  if (!lead || detail.startsWith(lead)) return detail;
  return `${lead}: ${detail}`;
}

/**
 * One `Fault` (of a response or of a batch item) as a SourceError. `status` is the HTTP status of
 * the response; batch items have none of their own and pass 400, QBO's status for item failures.
 */
export function quickbooksFaultError(
  fault: unknown,
  options: {
    status: number;
    operation: string;
    realmId: string;
    retryAfter?: string | string[];
    fallbackMessage?: string;
  },
): SourceError {
  const { status, operation, realmId } = options;
  const error = firstError(fault);
  const vendorCode = error.code;
  let code: SourceErrorCode = codeForStatus(status);
  let retryable: boolean | undefined;
  let retryAfterMs: number | undefined;
  let message = describe(error) ?? options.fallbackMessage ?? 'no message';

  if (status === 401 || vendorCode === '3200') {
    code = 'UNAUTHENTICATED';
  } else if (status === 403 || vendorCode === '3100') {
    code = 'FORBIDDEN';
    if (error.name === 'AuthorizationFailed') {
      message = `the access token lacks the com.intuit.quickbooks.accounting scope: reconnect the app granting it (${message})`;
    } else {
      // ApplicationAuthorizationFailed: a good token for another company. The realm in the URL comes
      // from configuration, so that is where the fix is.
      message = `the token is not for realm ${realmId}: QUICKBOOKS_REALM_ID must be the company the refresh token was issued for (${message})`;
    }
  } else if (status === 429 || vendorCode === '3001') {
    code = 'RATE_LIMITED';
    retryAfterMs = parseRetryAfter(options.retryAfter) ?? THROTTLE_WAIT_MS;
  } else if (status >= 500) {
    code = 'UPSTREAM_ERROR';
  } else if (vendorCode === OBJECT_NOT_FOUND) {
    code = 'NOT_FOUND';
  } else if (vendorCode === STALE_OBJECT) {
    // Someone saved the record since it was read: read it again and retry with its SyncToken.
    code = 'CONFLICT';
    retryable = true;
  } else if (vendorCode === DUPLICATE_NAME || vendorCode === DUPLICATE_DOC_NUMBER) {
    code = 'CONFLICT';
  } else if (status >= 400 && status < 500 && status !== 408) {
    code = status === 404 ? 'NOT_FOUND' : status === 409 ? 'CONFLICT' : 'INVALID_REQUEST';
  }

  return new SourceError(
    'quickbooks',
    code,
    `quickbooks ${operation} failed with ${status}${vendorCode ? ` ${vendorCode}` : ''}: ${message}`,
    { status, vendorCode, operation, retryAfterMs, retryable },
  );
}

export function toQuickbooksError(
  response: UpstreamResponse,
  operation: string,
  realmId: string,
): SourceError {
  const body = response.body;
  const fault = isRecord(body) ? (body.Fault ?? body.fault) : undefined;
  const fallback =
    typeof body === 'string'
      ? text(body.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' '))?.slice(0, 200)
      : undefined;
  return quickbooksFaultError(fault, {
    status: response.status,
    operation,
    realmId,
    retryAfter: response.headers['retry-after'],
    fallbackMessage: fallback,
  });
}
