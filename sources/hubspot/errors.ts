import { SourceError, codeForStatus, parseRetryAfter } from '../../src/domain/errors.ts';
import type { UpstreamResponse } from '../../src/upstream/client.ts';

/**
 * HubSpot error bodies: `{status:'error', message, correlationId, category, errors?}`; rate limits
 * add `errorType:'RATE_LIMIT'` and `policyName`.
 * https://developers.hubspot.com/docs/api/error-handling
 */
export function toHubspotError(response: UpstreamResponse, operation: string): SourceError {
  const body = (typeof response.body === 'object' && response.body !== null ? response.body : {}) as {
    message?: string;
    category?: string;
    errorType?: string;
    policyName?: string;
    correlationId?: string;
  };
  const code = codeForStatus(response.status);
  const vendorCode = body.errorType ?? body.category;
  const message = `hubspot ${operation} failed with ${response.status}${vendorCode ? ` ${vendorCode}` : ''}: ${
    body.message ?? (typeof response.body === 'string' ? response.body.slice(0, 200) : 'no message')
  }`;
  // HubSpot's 429s name the window (TEN_SECONDLY_ROLLING, DAILY); only the daily one is worth waiting hours for.
  const retryAfterMs =
    parseRetryAfter(response.headers['retry-after']) ??
    (response.status === 429
      ? Number(response.headers['x-hubspot-ratelimit-interval-milliseconds'] ?? 10_000)
      : undefined);
  return new SourceError('hubspot', code, message, {
    status: response.status,
    vendorCode,
    operation,
    retryAfterMs,
    retryable: response.status === 429 ? body.policyName !== 'DAILY' : undefined,
  });
}
