/**
 * "No token or secret in clear in the store", end to end: a hub on the vendor sandboxes refreshes
 * the accounting system's OAuth token (Xero or QuickBooks: twice, the second time with the rotated
 * refresh token it stored) and
 * registers its webhooks (learning Stripe's signing secret, opening a Google push channel); then
 * every text in every table of the store, SQLite and PostgreSQL, is searched for each real secret.
 * A second webhook receiver on the same store (as another replica would) still verifies Stripe and
 * Google deliveries with the secrets it opens from the store.
 */
import { createHmac } from 'node:crypto';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxes, type Sandboxes } from '../src/sandbox/start.ts';
import { sourceStateContext } from '../src/store/secrets-at-rest.ts';
import type { Store } from '../src/store/store.ts';
import { connectWebhooks } from '../src/webhooks/connect.ts';
import { CHANGES_CURSOR } from '../src/webhooks/cursor.ts';
import { sandboxBindings } from '../src/sources.ts';
import type { StripeSource } from '../sources/stripe/source.ts';
import { startTestHub } from './support/hub.ts';
import { withOwnBooksGrant } from './support/books.ts';
import { storeKinds } from '../harness/stores.ts';

let sandboxes: Sandboxes;
beforeAll(async () => {
  sandboxes = await startSandboxes({ relaxed: true });
}, 60_000);
afterAll(() => sandboxes?.close());

const silent = pino({ level: 'silent' });
const UNREACHABLE = 'http://127.0.0.1:9/hub';

/** Every text value in every table of the store (the migrations' bookkeeping too), with where it is. */
async function dumpStore(store: Store): Promise<Array<{ where: string; text: string }>> {
  const tables =
    store.dialect === 'sqlite'
      ? (
          await sql<{
            name: string;
          }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`.execute(
            store.db,
          )
        ).rows.map((r) => r.name)
      : (
          await sql<{
            name: string;
          }>`select table_name as name from information_schema.tables where table_schema = current_schema()`.execute(
            store.db,
          )
        ).rows.map((r) => r.name);
  expect(tables).toEqual(expect.arrayContaining(['source_state', 'push_channels', 'webhook_inbox']));
  const texts: Array<{ where: string; text: string }> = [];
  for (const table of tables) {
    const rows = (await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(store.db))
      .rows;
    rows.forEach((row, i) => {
      for (const [column, value] of Object.entries(row)) {
        if (value !== null && value !== undefined)
          texts.push({ where: `${table}[${i}].${column}`, text: String(value) });
      }
    });
  }
  return texts;
}

/** The plaintext of the one `source_state` secret of `system` under a key starting with `prefix`. */
async function openState(store: Store, system: string, prefix: string): Promise<string> {
  const rows = await store.db
    .selectFrom('source_state')
    .selectAll()
    .where('workspace_id', '=', 'default')
    .where('system', '=', system)
    .execute();
  const row = rows.find((r) => r.key.startsWith(prefix));
  if (!row) throw new Error(`no ${system} ${prefix} row in the store`);
  expect(row.value).toMatch(/^enc:v1:/);
  return store.secrets.open(row.value, sourceStateContext(row.workspace_id, row.system, row.key));
}

describe.each(storeKinds)('secrets at rest in a %s store', (kind) => {
  it('no token or secret is in clear anywhere in the store, and a second receiver still verifies with them', async () => {
    // A connection of this hub's own: the other store kind's hub rotated the refresh token the
    // sandbox was started with (QuickBooks refuses a rotated one at once).
    const connected = await withOwnBooksGrant(sandboxes);
    const t = await startTestHub({
      store: kind,
      workspaces: [{ id: 'default', sandboxes: connected }],
      backfill: false,
    });
    const { store } = t.hub;
    const stops: Array<() => Promise<void>> = [];
    try {
      const workspace = t.hub.defaultWorkspace;
      const accounting = t.tokens.get('default')!.accounting!;
      const system = sandboxes.accounting.system;

      // A read that hits the books: the hub refreshes its OAuth token, storing the rotated refresh token.
      await workspace.sources.accounting.listContacts();
      const configuredRefreshToken = connected.accounting.credentials.refreshToken!;
      const firstRotation = await openState(store, system, 'refresh_token:');
      const firstAccessToken = JSON.parse(await openState(store, system, 'access_token:')).accessToken;
      expect(firstRotation).not.toBe(configuredRefreshToken);
      // Again, after the vendor refused the access token: this refresh presents the refresh token as
      // the store gives it back (opened), and the vendor accepts it.
      accounting.invalidate();
      await workspace.sources.accounting.listContacts();
      expect(accounting.state()).toMatchObject({ state: 'valid', refreshes: 2, lastError: null });
      const secondRotation = await openState(store, system, 'refresh_token:');
      const accessToken = await accounting.getAccessToken();
      expect(secondRotation).not.toBe(firstRotation);
      expect(accessToken).not.toBe(firstAccessToken);
      expect(JSON.parse(await openState(store, system, 'access_token:')).accessToken).toBe(accessToken);

      // Webhook registration: Stripe tells its signing secret once, Google gets a channel token.
      const sources = workspace.sources;
      const payments0 = sources.payments as unknown as StripeSource;
      let stripeSecret: string | undefined;
      const payments: StripeSource = {
        ...payments0,
        ensureWebhookEndpoint: async (...args) => {
          const endpoint = await payments0.ensureWebhookEndpoint(...args);
          stripeSecret = endpoint.secret;
          return endpoint;
        },
      };
      // Stripe's and Google's webhooks only, registered as sandbox mode does.
      const bound = sandboxBindings(connected);
      const paymentsAndCalendar = (register: boolean) => ({
        ...bound,
        crm: { ...bound.crm, webhooks: undefined },
        accounting: { ...bound.accounting, webhooks: undefined },
        payments: { ...bound.payments, webhooks: { register } },
        calendar: { ...bound.calendar, webhooks: { register } },
      });
      const webhooks = connectWebhooks({
        workspace: 'default',
        db: store.db,
        bindings: paymentsAndCalendar(true),
        sources: { ...sources, payments },
        logger: silent,
      });
      stops.push(() => webhooks.stop());
      await webhooks.register(UNREACHABLE);
      expect(stripeSecret).toMatch(/^whsec_/);
      expect(await openState(store, 'stripe', 'webhook_secret')).toBe(stripeSecret);
      const listed = (await (await fetch(`${sandboxes.calendar.url}/__sandbox/channels`)).json()) as {
        channels: Array<{ id: string; token?: string; resourceId: string; address: string }>;
      };
      // The sandboxes serve every store kind in turn: this hub's channel is the one in its store.
      const stored = await store.db.selectFrom('push_channels').selectAll().execute();
      expect(stored).toHaveLength(1);
      expect(stored[0]?.token).toMatch(/^enc:v1:/);
      const channel = listed.channels.find((c) => c.id === stored[0]?.channel_id);
      expect(channel?.address.startsWith(UNREACHABLE)).toBe(true);
      expect(channel?.token).toBeTruthy();

      const secrets = {
        [`configured ${system} refresh token`]: configuredRefreshToken,
        [`first rotated ${system} refresh token`]: firstRotation,
        [`rotated ${system} refresh token`]: secondRotation,
        [`first ${system} access token`]: firstAccessToken,
        [`${system} access token`]: accessToken,
        'Stripe webhook secret': stripeSecret!,
        'Google channel token': channel!.token!,
      };
      for (const value of Object.values(secrets)) expect(value.length).toBeGreaterThanOrEqual(16);
      const dump = await dumpStore(store);
      // The dump sees what is there: the sealed rows, and the calendar's (plain) cursor row.
      expect(dump.filter((d) => d.text.startsWith('enc:v1:')).length).toBeGreaterThanOrEqual(4);
      expect(dump.some((d) => d.where.startsWith('source_state') && d.text === CHANGES_CURSOR)).toBe(true);
      const inClear = Object.entries(secrets).flatMap(([name, value]) =>
        dump.filter((d) => d.text.includes(value)).map((d) => `${name} in ${d.where}`),
      );
      expect(inClear).toEqual([]);

      // Another receiver on the store (a replica that registered nothing) verifies with what it opens.
      const replica = connectWebhooks({
        workspace: 'default',
        db: store.db,
        bindings: paymentsAndCalendar(false),
        sources,
        logger: silent,
      });
      stops.push(() => replica.stop());
      const now = new Date();
      const body = Buffer.from(
        JSON.stringify({
          id: 'evt_secrets_at_rest',
          object: 'event',
          type: 'balance.available',
          created: Math.floor(now.getTime() / 1000),
          data: { object: { object: 'balance' } },
        }),
      );
      const stripeDelivery = (secret: string) => {
        const timestamp = Math.floor(now.getTime() / 1000);
        const v1 = createHmac('sha256', secret)
          .update(`${timestamp}.${body.toString('utf8')}`)
          .digest('hex');
        return {
          method: 'POST',
          url: `${UNREACHABLE}/webhooks/stripe`,
          headers: { 'stripe-signature': `t=${timestamp},v1=${v1}` },
          rawBody: body,
          now,
        };
      };
      expect(await replica.verifierFor('stripe')!.verify(stripeDelivery(stripeSecret!))).toMatchObject({
        ok: true,
      });
      expect(await replica.verifierFor('stripe')!.verify(stripeDelivery('whsec_wrong'))).toMatchObject({
        ok: false,
      });
      const googleDelivery = (token: string) => ({
        method: 'POST',
        url: `${UNREACHABLE}/webhooks/google-calendar`,
        headers: {
          'x-goog-channel-id': channel!.id,
          'x-goog-channel-token': token,
          'x-goog-resource-id': channel!.resourceId,
          'x-goog-resource-state': 'sync',
          'x-goog-message-number': '1',
        },
        rawBody: Buffer.alloc(0),
        now,
      });
      expect(await replica.verifierFor('google_calendar')!.verify(googleDelivery(channel!.token!))).toEqual({
        ok: true,
        events: [],
      });
      expect(await replica.verifierFor('google_calendar')!.verify(googleDelivery('forged'))).toMatchObject({
        ok: false,
        status: 400,
      });
    } finally {
      for (const stop of stops) await stop();
      await t.close();
    }
  }, 60_000);
});
