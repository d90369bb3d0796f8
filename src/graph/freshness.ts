import { SourceError } from '../domain/errors.ts';
import type { SourceName } from '../domain/model.ts';
import { CIRCUIT_OPEN, RATE_BUDGET } from '../upstream/client.ts';

/**
 * What a response's data owes to trouble upstream, per source, for `extensions.sources`:
 * `{ "xero": { "stale": true, "ageSeconds": 42, "reason": "CIRCUIT_OPEN", "message": "…" } }`.
 * `stale: true` means cached data was served because the vendor failed (stale-if-error);
 * `stale: false` means the vendor failed and nothing was cached, so its fields are null with errors.
 */
export interface SourceNotice {
  stale: boolean;
  /** Age of the oldest stale record served. */
  ageSeconds?: number;
  /** `CIRCUIT_OPEN`, `RATE_BUDGET` (the hub held the call back), or the failure's code (`TIMEOUT`, …). */
  reason: string;
  message: string;
}

export interface Freshness {
  stale(source: SourceName, ageMs: number, error: SourceError): void;
  failed(source: SourceName, error: SourceError): void;
  /** Undefined when every source answered. */
  notices(): Record<string, SourceNotice> | undefined;
}

/** The short reason for a failure: the hub's own refusals by name, otherwise the code. */
export function failureReason(error: SourceError): string {
  return error.vendorCode === CIRCUIT_OPEN || error.vendorCode === RATE_BUDGET
    ? error.vendorCode
    : error.code;
}

/** Failures worth answering from cache: the vendor may be fine again later (5xx, timeouts, limits). */
export function servesStale(error: unknown): error is SourceError {
  return error instanceof SourceError && error.retryable;
}

export function createFreshness(): Freshness {
  const bySource = new Map<SourceName, SourceNotice>();
  return {
    stale(source, ageMs, error) {
      const ageSeconds = Math.round(ageMs / 1000);
      const seen = bySource.get(source);
      if (seen?.stale && (seen.ageSeconds ?? 0) >= ageSeconds) return;
      bySource.set(source, { stale: true, ageSeconds, reason: failureReason(error), message: error.message });
    },
    failed(source, error) {
      if (bySource.get(source)?.stale) return;
      bySource.set(source, { stale: false, reason: failureReason(error), message: error.message });
    },
    notices: () => (bySource.size ? Object.fromEntries(bySource) : undefined),
  };
}
