import type { Change, Store } from './state.ts';

/** Where a change came from, as webhook events report it (`changeSource`). */
export type ChangeSource = 'INTEGRATION' | 'CRM_UI';

/** What route handlers share. `store` is replaced on reset, so read it per request. */
export interface HubspotContext {
  store: Store;
  emit(changes: Change[], source: ChangeSource): void;
}
