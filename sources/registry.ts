/**
 * Every vendor the hub can connect, one module per folder. A workspace binds one module per role
 * (`SWITCHBOARD_<ROLE>=<id>`, default below); configuration, webhook routes, sandboxes, the banner,
 * the `SourceSystem` enum (schema/sources.generated.graphql) and the README's vendor tables come from
 * this list. Adding a vendor: `sources/_template/CHECKLIST.md`.
 */
import type { AnySourceModule, Role } from '../src/domain/source-module.ts';
import { googleCalendar } from './google-calendar/index.ts';
import { hubspot } from './hubspot/index.ts';
import { quickbooks } from './quickbooks/index.ts';
import { stripe } from './stripe/index.ts';
import { xero } from './xero/index.ts';

export const SOURCE_MODULES: readonly AnySourceModule[] = [hubspot, googleCalendar, stripe, xero, quickbooks];

/** The module each role gets when its `SWITCHBOARD_<ROLE>` is not set. */
export const DEFAULT_BINDINGS: Readonly<Record<Role, string>> = {
  crm: 'hubspot',
  calendar: 'google_calendar',
  payments: 'stripe',
  accounting: 'xero',
};

export function moduleById(id: string): AnySourceModule | undefined {
  return SOURCE_MODULES.find((m) => m.id === id);
}

export const modulesFor = (role: Role): AnySourceModule[] => SOURCE_MODULES.filter((m) => m.role === role);
