import {
  SourceError,
  codeForStatus,
  parseRetryAfter,
  type SourceErrorCode,
} from '../../src/domain/errors.ts';
import type { UpstreamResponse } from '../../src/upstream/client.ts';

/**
 * Google's JSON error envelope: `{error: {code, message, errors: [{domain, reason, message}], status?}}`.
 * The `reason` of the first item is the stable, documented code; `status` (a gRPC-style name)
 * only appears on some errors, such as the 401.
 * https://developers.google.com/calendar/api/guides/errors
 */
export interface GoogleErrorEnvelope {
  error?: {
    code?: number;
    message?: string;
    status?: string;
    errors?: Array<{ reason?: string; domain?: string; message?: string }>;
  };
}

/** Google signals per-user and per-project rate limits with 403 as often as with 429. */
const RATE_LIMIT_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded']);

export function toGoogleCalendarError(response: UpstreamResponse, operation: string): SourceError {
  const envelope = (
    typeof response.body === 'object' && response.body !== null ? response.body : {}
  ) as GoogleErrorEnvelope;
  const error = typeof envelope.error === 'object' && envelope.error !== null ? envelope.error : {};
  const first = Array.isArray(error.errors) ? error.errors[0] : undefined;
  const reason = typeof first?.reason === 'string' ? first.reason : undefined;
  const vendorCode = reason ?? (typeof error.status === 'string' ? error.status : undefined);

  let code: SourceErrorCode = codeForStatus(response.status);
  let retryable: boolean | undefined;
  if (response.status === 429 || (response.status === 403 && reason && RATE_LIMIT_REASONS.has(reason))) {
    code = 'RATE_LIMITED';
  } else if (reason === 'fullSyncRequired') {
    // Not a missing record: the sync token is stale and only a full listing gets a new one, so the
    // same request will never succeed.
    code = 'CONFLICT';
    retryable = false;
  }

  const detail =
    typeof error.message === 'string'
      ? error.message
      : typeof response.body === 'string'
        ? response.body.slice(0, 200)
        : 'no message';
  return new SourceError(
    'google_calendar',
    code,
    `google_calendar ${operation} failed with ${response.status}${vendorCode ? ` ${vendorCode}` : ''}: ${detail}`,
    {
      status: response.status,
      vendorCode,
      operation,
      retryable,
      // Google sends Retry-After only sometimes; without it the caller's backoff policy decides.
      retryAfterMs: parseRetryAfter(response.headers['retry-after']),
    },
  );
}
