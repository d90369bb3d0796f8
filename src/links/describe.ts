import type { SourceName } from '../domain/model.ts';

/** System names as people write them, for messages. */
export const SYSTEM_LABEL: Record<SourceName, string> = {
  hubspot: 'HubSpot',
  google_calendar: 'Google Calendar',
  stripe: 'Stripe',
  xero: 'Xero',
};
