import {
  SourceError,
  codeForStatus,
  parseRetryAfter,
  type SourceErrorCode,
} from '../../src/domain/errors.ts';
import type { UpstreamResponse } from '../../src/upstream/client.ts';

/** Stripe's error envelope (https://docs.stripe.com/api/errors). */
export interface StripeErrorBody {
  error?: {
    type?: string;
    code?: string;
    decline_code?: string;
    message?: string;
    param?: string;
  };
}

/**
 * Stripe sends no Retry-After on most 429s (https://docs.stripe.com/rate-limits); its own SDKs start
 * their backoff at half a second, so that is the hint we give.
 */
const DEFAULT_RATE_LIMIT_WAIT_MS = 500;

const header = (response: UpstreamResponse, name: string): string | undefined => {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

function codeFor(status: number, type: string | undefined): SourceErrorCode {
  // A decline is a 402 that retrying with the same card will not fix.
  if (type === 'card_error') return 'INVALID_REQUEST';
  // Key reused with other parameters (400) or still in flight (409).
  if (type === 'idempotency_error') return 'CONFLICT';
  return codeForStatus(status);
}

/**
 * One mapping for every Stripe failure (https://docs.stripe.com/error-handling). `Stripe-Should-Retry`
 * is Stripe's own verdict (the header its SDKs obey, stripe-node#692) and wins over the code's
 * default: a 409 for an idempotency key still in flight is safe to retry, some 500s are not.
 */
export function toStripeError(response: UpstreamResponse, operation: string): SourceError {
  const envelope = (
    typeof response.body === 'object' && response.body !== null ? response.body : {}
  ) as StripeErrorBody;
  const error = typeof envelope.error === 'object' && envelope.error !== null ? envelope.error : {};
  const code = codeFor(response.status, error.type);
  const vendorCode = error.code ?? error.type;
  const requestId = header(response, 'request-id');
  const text =
    error.message ?? (typeof response.body === 'string' ? response.body.slice(0, 200) : 'no message');
  const message = `stripe ${operation} failed with ${response.status}${vendorCode ? ` ${vendorCode}` : ''}: ${text}${
    requestId ? ` (request ${requestId})` : ''
  }`;
  // A 409 means another request with the same idempotency key is still running: waiting and
  // retrying with that key is exactly right (stripe-node retries every 409), whether or not Stripe
  // said so in the header.
  const shouldRetry =
    header(response, 'stripe-should-retry') ?? (response.status === 409 ? 'true' : undefined);
  const retryAfterMs =
    parseRetryAfter(response.headers['retry-after']) ??
    (code === 'RATE_LIMITED' ? DEFAULT_RATE_LIMIT_WAIT_MS : undefined);
  return new SourceError('stripe', code, message, {
    status: response.status,
    vendorCode,
    operation,
    retryAfterMs,
    retryable: shouldRetry === 'true' ? true : shouldRetry === 'false' ? false : undefined,
  });
}
