import type { SourceName } from './model.ts';

/**
 * What went wrong upstream, split by what the caller should do about it. Every connector maps its
 * vendor's failures to one of these codes in one function (`toSourceError` in each
 * `sources/<vendor>/errors.ts`), so resolvers, retries and the breaker never look at vendor shapes.
 */
export type SourceErrorCode =
  /** Credentials missing, wrong or expired: fix the connection; retrying will not help. */
  | 'UNAUTHENTICATED'
  /** The credentials lack a scope or the tenant is not connected. */
  | 'FORBIDDEN'
  /** The record does not exist (or was deleted) in the vendor's system. */
  | 'NOT_FOUND'
  /** The vendor rejected the input; retrying the same request will fail the same way. */
  | 'INVALID_REQUEST'
  /** A conflict with the vendor's state (duplicate, stale ETag, idempotency key reuse). */
  | 'CONFLICT'
  /** Over the vendor's rate limit; retry after `retryAfterMs`. */
  | 'RATE_LIMITED'
  /** The vendor failed (5xx) or answered something unreadable; a retry may help. */
  | 'UPSTREAM_ERROR'
  /** No answer in time; a retry may help. */
  | 'TIMEOUT'
  /** The connection failed (refused, reset, dropped); a retry may help. */
  | 'CONNECTION_FAILED';

const RETRYABLE: ReadonlySet<SourceErrorCode> = new Set([
  'RATE_LIMITED',
  'UPSTREAM_ERROR',
  'TIMEOUT',
  'CONNECTION_FAILED',
]);

export interface SourceErrorOptions {
  status?: number;
  retryAfterMs?: number;
  /** The vendor's own error code or type, for logs and `extensions.vendorCode`. */
  vendorCode?: string;
  operation?: string;
  cause?: unknown;
  /** Overrides the default retryability of the code (e.g. a 409 that is safe to retry). */
  retryable?: boolean;
}

/** One base error for upstream trouble: names the source, a code, and whether a retry may help. */
export class SourceError extends Error {
  readonly source: SourceName;
  readonly code: SourceErrorCode;
  readonly retryable: boolean;
  readonly status?: number;
  readonly retryAfterMs?: number;
  readonly vendorCode?: string;
  readonly operation?: string;

  constructor(source: SourceName, code: SourceErrorCode, message: string, options: SourceErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = 'SourceError';
    this.source = source;
    this.code = code;
    this.retryable = options.retryable ?? RETRYABLE.has(code);
    this.status = options.status;
    this.retryAfterMs = options.retryAfterMs;
    this.vendorCode = options.vendorCode;
    this.operation = options.operation;
  }
}

/** The default mapping from an HTTP status to a code; vendors refine it with their error bodies. */
export function codeForStatus(status: number): SourceErrorCode {
  if (status === 401) return 'UNAUTHENTICATED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 404 || status === 410) return 'NOT_FOUND';
  if (status === 409 || status === 412) return 'CONFLICT';
  if (status === 429) return 'RATE_LIMITED';
  if (status === 408) return 'TIMEOUT';
  if (status >= 500) return 'UPSTREAM_ERROR';
  return 'INVALID_REQUEST';
}

/** `Retry-After` as seconds or an HTTP date, in milliseconds; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (!raw) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
