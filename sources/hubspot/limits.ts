import { headerNumber, type VendorLimits } from '../../src/upstream/policy.ts';

/**
 * Private apps on Free and Starter: 100 requests per rolling 10 seconds and 250,000 a day
 * (Professional and Enterprise allow more; the `X-HubSpot-RateLimit-Max` header says which, and the
 * budget follows it). CRM search has its own limit of 5 requests per second and its responses carry
 * no rate-limit headers.
 */
export const HUBSPOT_LIMITS: VendorLimits = {
  docs: 'https://developers.hubspot.com/docs/api/usage-details',
  windows: [
    { name: '10s', limit: 100, windowMs: 10_000 },
    { name: 'day', limit: 250_000, windowMs: 86_400_000 },
    // https://developers.hubspot.com/docs/api/crm/search#limitations
    { name: 'search', limit: 5, windowMs: 1_000, operations: ['contacts.search'] },
  ],
  observe(headers, budget) {
    const remaining = headerNumber(headers, 'x-hubspot-ratelimit-remaining');
    const max = headerNumber(headers, 'x-hubspot-ratelimit-max');
    if (remaining !== undefined) budget.observeRemaining('10s', remaining, max);
  },
};
