import type { VendorLimits } from '../../src/upstream/policy.ts';

/** The vendor's published limits (put its docs URL here). */
export const EXAMPLE_LIMITS: VendorLimits = {
  docs: 'https://example.com/docs/rate-limits',
  windows: [{ name: 'minute', limit: 100, windowMs: 60_000 }],
  concurrency: 5,
};
