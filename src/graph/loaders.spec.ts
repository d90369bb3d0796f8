import { afterEach, describe, expect, it } from 'vitest';
import { createHub, type Hub, type WorkspaceSources } from '../hub.ts';
import { openStore } from '../store/store.ts';
import { createLogger } from '../observability/logger.ts';
import { createLoaders } from './loaders.ts';

/** A CRM whose batch read answers fewer results than it was given keys. */
const shortCrm = {
  name: 'hubspot',
  getContacts: async (ids: readonly string[]) => ids.slice(1).map((id) => ({ id })),
  close: async () => {},
} as unknown as WorkspaceSources['crm'];

describe('vendor-backed loaders', () => {
  let hub: Hub | undefined;
  afterEach(async () => {
    await hub?.store.close();
  });

  it('refuse an adapter batch that gives fewer results than keys, instead of leaving gaps', async () => {
    const store = await openStore({ url: ':memory:' });
    await store.migrate();
    const unused = (name: string) => ({ name, close: async () => {} });
    const sources = {
      crm: shortCrm,
      calendar: unused('calendar'),
      payments: unused('payments'),
      accounting: unused('accounting'),
    } as unknown as WorkspaceSources;
    hub = createHub({
      store,
      workspaces: [{ id: 'w', name: 'w', currency: 'GBP', sources }],
      logger: createLogger({ level: 'silent' }),
    });
    const loaders = createLoaders(hub, hub.defaultWorkspace);
    const results = await Promise.allSettled([
      loaders.crmContact.load('1'),
      loaders.crmContact.load('2'),
      loaders.crmContact.load('3'),
    ]);
    for (const result of results) {
      expect(result.status).toBe('rejected');
      expect((result as PromiseRejectedResult).reason.message).toBe(
        'hubspot contact: a batch of 3 keys must give 3 results, one per key in key order; it gave 2',
      );
    }
    // Nothing of the short answer was cached as if it were right.
    expect(hub.cache.get('w', 'hubspot', 'contact', '2')).toBeUndefined();
  });
});
