import type { Tracer } from '@opentelemetry/api';
import type { TokenStatus } from './oauth.ts';
import type { CircuitBreaker } from './breaker.ts';
import type { RateBudget, RateLimits } from './rate-budget.ts';
import type { RetryPolicy } from './retry.ts';

export type ResponseHeaders = Record<string, string | string[] | undefined>;

/** A vendor's published limits, and how to read its rate-limit headers back into the budget. */
export interface VendorLimits extends RateLimits {
  /** Where the limits are published. */
  docs: string;
  /** Feeds the vendor's own count of what is left (response headers) into the budget. */
  observe?(headers: ResponseHeaders, budget: RateBudget): void;
}

/**
 * Everything between a connector and the wire, per workspace and vendor: the rate budget, the
 * circuit breaker, retries, and the token state shown to operators. Each part is optional, so a
 * connector test can run with none of it.
 */
export interface UpstreamPolicy {
  retry?: RetryPolicy;
  budget?: RateBudget;
  breaker?: CircuitBreaker;
  /** Reads rate-limit headers into the budget (from `VendorLimits.observe`). */
  observe?(headers: ResponseHeaders): void;
  /** The OAuth token's state, for sources with a refreshing token; null while a fixed credential is used. */
  token?(): TokenStatus | null;
  /** Asked before each call (and its retries); throws the refusal. A workspace's "not connected". */
  admit?(): Promise<void>;
  /** A CLIENT span per call, retries as its events (src/observability/tracing.ts); absent when tracing is off. */
  tracer?: Tracer;
}

/** A header as one number, or undefined when absent or not a number. */
export function headerNumber(headers: ResponseHeaders, name: string): number | undefined {
  const raw = headers[name.toLowerCase()];
  const value = Number(Array.isArray(raw) ? raw[0] : raw);
  return raw === undefined || raw === '' || !Number.isFinite(value) ? undefined : value;
}
