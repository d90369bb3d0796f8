import type { VendorLimits } from '../../src/upstream/policy.ts';

/**
 * 100 operations per second in live mode and 25 in test mode, per account. Stripe sends no
 * remaining-count headers; a 429 (with `Stripe-Should-Retry`) is the only signal.
 */
export function stripeLimits(apiKey: string): VendorLimits {
  const test = /^(sk|rk)_test_/.test(apiKey);
  return {
    docs: 'https://docs.stripe.com/rate-limits',
    windows: [{ name: 'second', limit: test ? 25 : 100, windowMs: 1_000 }],
  };
}
