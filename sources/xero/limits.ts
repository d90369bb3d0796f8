import { headerNumber, type VendorLimits } from '../../src/upstream/policy.ts';

/**
 * Per tenant: 60 calls per rolling minute, 5,000 per rolling day, 5 at once. Every response says
 * what is left of the minute and the day (`X-MinLimit-Remaining`, `X-DayLimit-Remaining`), which
 * also counts calls other apps made on the same tenant.
 */
export const XERO_LIMITS: VendorLimits = {
  docs: 'https://developer.xero.com/documentation/guides/oauth2/limits',
  windows: [
    { name: 'minute', limit: 60, windowMs: 60_000 },
    { name: 'day', limit: 5_000, windowMs: 86_400_000 },
  ],
  concurrency: 5,
  observe(headers, budget) {
    const minute = headerNumber(headers, 'x-minlimit-remaining');
    if (minute !== undefined) budget.observeRemaining('minute', minute);
    const day = headerNumber(headers, 'x-daylimit-remaining');
    if (day !== undefined) budget.observeRemaining('day', day);
  },
};
