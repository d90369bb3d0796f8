import type { Connected } from '../upstream/client.ts';
import type { PortOf, Role } from './source-module.ts';
import type { Schedule } from '../availability/schedule.ts';

/** Each role's adapter, connected: which vendor plays a role is the workspace's binding. */
export type WorkspaceSources = { [R in Role]: PortOf[R] & Connected };

/** One business with its own connections. A single-business install has one, `default`. */
export interface Workspace {
  id: string;
  name: string;
  /** ISO 4217 code totals are reported in when a customer has no records yet, e.g. GBP. */
  currency: string;
  sources: WorkspaceSources;
  /**
   * Made at run time from the console (`createWorkspace`), not by the environment: its systems use
   * only what was connected from the console, and each connection's account (Xero's organisation,
   * QuickBooks' company) is the one chosen on the consent page.
   */
  madeAtRunTime?: boolean;
  /** Its services and opening hours; absent: the hub's (the environment's), see `scheduleOf`. */
  schedule?: Schedule;
}
