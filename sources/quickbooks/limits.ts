import type { VendorLimits } from '../../src/upstream/policy.ts';

/**
 * Operation names of the adapter's calls to the batch endpoint (`POST batch`). Intuit counts them
 * twice: against the 500 requests a minute like every call, and against a budget of 40 batch
 * requests a minute of their own, which is the scarcer one, so the adapter batches only where one
 * batch replaces several requests (email lookups, up to 30 statements each) and never for a single
 * statement.
 */
export const BATCH_OPERATIONS = ['batch.customersByEmail'] as const;

/**
 * Per company (realm) and app: 500 requests in any minute, 10 at once, and 40 batch requests a
 * minute. Intuit sends no rate-limit headers and no Retry-After on its 429 (it says to wait 60 s),
 * so there is nothing to observe: the budget keeps the hub under the limits by its own count.
 */
export const QUICKBOOKS_LIMITS: VendorLimits = {
  docs: 'https://developer.intuit.com/app/developer/qbo/docs/learn/rest-api-features#limits-and-throttles',
  windows: [
    { name: 'minute', limit: 500, windowMs: 60_000 },
    { name: 'batch-minute', limit: 40, windowMs: 60_000, operations: BATCH_OPERATIONS },
  ],
  concurrency: 10,
};
