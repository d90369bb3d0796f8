import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { POSTGRES_URL, storeKinds } from '../../harness/stores.ts';
import { openStore, type Store } from './store.ts';
import { createEngine, type EngineDeps } from '../operations/engine.ts';
import { operationKinds } from '../operations/kinds/index.ts';
import { createLinkRepository } from './links.ts';
import { roleKeyed, roleStepName } from '../operations/legacy.ts';

async function openFresh(
  kind: (typeof storeKinds)[number],
): Promise<{ store: Store; drop(): Promise<void> }> {
  if (kind === 'sqlite') {
    const store = await openStore({ url: ':memory:' });
    return { store, drop: () => store.close() };
  }
  const schema = `sb_test_${randomBytes(6).toString('hex')}`;
  const store = await openStore({ url: POSTGRES_URL, schema });
  return {
    store,
    drop: async () => {
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(store.db);
      await store.close();
    },
  };
}

describe('legacy names', () => {
  it('map vendor-named steps, keys and links to their roles, and leave role names alone', () => {
    expect(roleStepName('stripe.createDeposit')).toBe('payments.createDeposit');
    expect(roleStepName('google.createEvent')).toBe('calendar.createEvent');
    expect(roleStepName('xero.recordPayment')).toBe('accounting.recordPayment');
    expect(roleStepName('crm.upsertContact')).toBe('crm.upsertContact');
    expect(
      roleKeyed({
        hubspotContactId: '51',
        stripeCustomerId: 'cus_1',
        xeroContactId: 'c-1',
        depositOrderId: 'pi_1',
        invoiceId: 'i',
        links: { hubspot: '51', xero: 'c-1' },
      }),
    ).toEqual({
      crmContactId: '51',
      paymentsCustomerId: 'cus_1',
      accountingContactId: 'c-1',
      depositOrderId: 'pi_1',
      invoiceId: 'i',
      links: { crm: '51', accounting: 'c-1' },
    });
  });
});

describe.each(storeKinds)('migration 0005 (roles) on %s', (kind) => {
  it('rewrites an operation in flight so the engine finishes it, gives links their role, and keeps the calendar cursor', async () => {
    const { store, drop } = await openFresh(kind);
    try {
      await store.migrate('0004_security');
      const now = new Date().toISOString();
      const db = store.db;
      await db
        .insertInto('customers')
        .values({
          workspace_id: 'w',
          id: 'c1',
          email: 'a@example.com',
          display_name: 'A',
          created_at: now,
          updated_at: now,
        })
        .execute();
      // The shape of 0004: no role column yet, so the row is written without one.
      await sql`insert into links (workspace_id, entity_type, entity_id, system, external_id, origin, created_at)
        values ('w', 'customer', 'c1', 'xero', 'xc-1', 'backfill', ${now})`.execute(db);
      await db
        .insertInto('operations')
        .values({
          workspace_id: 'w',
          id: 'op1',
          kind: 'issueInvoice',
          state: 'PENDING',
          input: JSON.stringify({
            customerId: 'c1',
            xeroContactId: 'xc-1',
            lines: [{ description: 'Massage', quantity: 1, unitAmount: 6500 }],
            currency: 'GBP',
            dueOn: now,
            reference: null,
          }),
          input_hash: 'v2:x',
          client_key: null,
          context: '{}',
          error: null,
          next_run_at: now,
          locked_by: null,
          locked_until: null,
          created_at: now,
          updated_at: now,
        })
        .execute();
      await db
        .insertInto('operation_steps')
        .values({
          workspace_id: 'w',
          operation_id: 'op1',
          position: 0,
          name: 'xero.createInvoice',
          system: 'xero',
          state: 'PENDING',
          idempotency_key: 'op1-0',
          attempts: 1,
          result: null,
          last_error: 'timeout',
          last_error_code: 'xero:TIMEOUT',
          next_attempt_at: null,
          updated_at: now,
        })
        .execute();
      await db
        .insertInto('source_state')
        .values({
          workspace_id: 'w',
          system: 'google_calendar',
          key: 'sync_token',
          value: 'tok-1',
          updated_at: now,
        })
        .execute();

      await store.migrate();

      const links = await createLinkRepository(db).linksFor('w', 'customer', ['c1']);
      expect(links.get('c1')).toEqual([expect.objectContaining({ system: 'xero', role: 'accounting' })]);
      const step = await db.selectFrom('operation_steps').selectAll().executeTakeFirstOrThrow();
      expect(step).toMatchObject({
        name: 'accounting.createInvoice',
        system: 'xero',
        state: 'PENDING',
        attempts: 1,
      });
      const op = await db.selectFrom('operations').selectAll().executeTakeFirstOrThrow();
      expect(JSON.parse(op.input)).toMatchObject({ accountingContactId: 'xc-1' });
      expect(JSON.parse(op.input)).not.toHaveProperty('xeroContactId');
      const cursor = await db.selectFrom('source_state').selectAll().executeTakeFirstOrThrow();
      expect(cursor).toMatchObject({ key: 'changes_cursor', value: 'tok-1' });

      // The engine of this version takes the step over and finishes it, with the stored idempotency key.
      const calls: unknown[] = [];
      const accounting = {
        name: 'xero',
        createInvoice: async (input: unknown, options: unknown) => {
          calls.push({ input, options });
          return { externalId: 'inv-1', number: 'INV-1' };
        },
      };
      const engine = createEngine(
        {
          store,
          workspaces: new Map([['w', { id: 'w', sources: { accounting } }]]),
          logger: { warn() {}, error() {}, info() {} },
          bus: { invalidate: async () => {} },
          identity: {},
        } as unknown as EngineDeps,
        operationKinds,
      );
      const done = await engine.run('w', 'op1');
      expect(done?.state).toBe('COMPLETED');
      expect(calls).toEqual([
        {
          input: expect.objectContaining({ contactId: 'xc-1', currency: 'GBP' }),
          options: { idempotencyKey: 'op1-0' },
        },
      ]);
      expect(done?.context).toMatchObject({ invoiceId: 'inv-1' });
    } finally {
      await drop();
    }
  });
});
