import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { startGoogleCalendarSandbox } from './sandbox/server.ts';
import type { VendorSandbox } from '../../src/sandbox/types.ts';
import { openTestStore, type TestStore } from '../../harness/stores.ts';
import { connectWebhooks } from '../../src/webhooks/connect.ts';
import { CHANGES_CURSOR } from '../../src/webhooks/cursor.ts';
import { googleCalendar } from './index.ts';
import { hubspot } from '../hubspot/index.ts';
import { stripe } from '../stripe/index.ts';
import { xero } from '../xero/index.ts';

let sandbox: VendorSandbox;
let t: TestStore;

beforeAll(async () => {
  sandbox = await startGoogleCalendarSandbox();
  t = await openTestStore('sqlite');
});
afterAll(async () => {
  await sandbox.close();
  await t.drop();
});

describe('Google push channels', () => {
  it('are opened on registration and renewed before they expire, the old one stopped', async () => {
    const settings = googleCalendar.settings.fromSandbox({ ...sandbox, name: 'Google Calendar' });
    const calendar = googleCalendar.connect(settings, {
      workspace: 'default',
      timeZone: 'Europe/London',
      policy: () => ({}),
      tokenStore: () => undefined,
    }).source;
    // Only the calendar takes webhooks here; the other adapters are never called.
    const without = <M>(module: M) => ({ module, settings: {}, webhooks: undefined });
    const webhooks = connectWebhooks({
      workspace: 'default',
      db: t.store.db,
      bindings: {
        crm: without(hubspot),
        payments: without(stripe),
        accounting: without(xero),
        calendar: { module: googleCalendar, settings, webhooks: { register: true, ttlSeconds: 2 } },
      },
      sources: { calendar } as never,
      logger: pino({ level: 'silent' }),
    });
    const channels = () =>
      t.store.db.selectFrom('push_channels').select(['channel_id', 'resource_id', 'expires_at']).execute();
    await webhooks.register('http://127.0.0.1:9/unreachable');
    const first = await channels();
    expect(first).toHaveLength(1);
    expect(first[0]?.resource_id).toBeTruthy();
    const syncToken = await t.store.db
      .selectFrom('source_state')
      .select('value')
      .where('key', '=', CHANGES_CURSOR)
      .executeTakeFirst();
    expect(syncToken?.value).toBeTruthy();

    // 90% of a 2-second life: renewed after about 1.8 s.
    await new Promise((r) => setTimeout(r, 2_600));
    const second = await channels();
    expect(second).toHaveLength(1);
    expect(second[0]?.channel_id).not.toBe(first[0]?.channel_id);
    const stops = (await (await fetch(`${sandbox.url}/__sandbox/requests`)).json()) as {
      byOperation: Record<string, number>;
    };
    expect(stops.byOperation['events.watch']).toBeGreaterThanOrEqual(2);
    expect(stops.byOperation['channels.stop']).toBeGreaterThanOrEqual(1);
    await webhooks.stop();
    await calendar.close();
  });
});
