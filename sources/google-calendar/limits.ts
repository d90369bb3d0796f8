import type { VendorLimits } from '../../src/upstream/policy.ts';

/**
 * Calendar API quota: 600 queries per minute per user (and a per-project cap the project's console
 * shows). No remaining-count headers; over the quota Google answers 403 or 429 `rateLimitExceeded`.
 */
export const GOOGLE_CALENDAR_LIMITS: VendorLimits = {
  docs: 'https://developers.google.com/workspace/calendar/api/guides/quota',
  windows: [{ name: 'minute', limit: 600, windowMs: 60_000 }],
};
