import type { Kysely } from 'kysely';
import type { Money } from '../domain/model.ts';
import type { Database } from '../store/schema.ts';

/**
 * Deposit links as the hub keeps them: one row per link asked for, written with the operation that
 * makes it (before the payments system is called), filled in when the link exists, and settled by
 * the payments system's webhook (paid or expired). The row is how a webhook about a checkout session
 * finds its booking, and how `depositLinks` lists paid, open and abandoned links.
 */
export type DepositLinkState = 'PENDING' | 'OPEN' | 'PAID' | 'EXPIRED';

/** Who pays: enough to make the accounting contact the deposit's invoice is addressed to. */
export interface Payer {
  email: string;
  firstName: string;
  lastName: string;
  phone: string | null;
}

export interface DepositLinkRecord {
  workspace: string;
  id: string;
  bookingEventId: string;
  customerId: string | null;
  amount: Money;
  status: DepositLinkState;
  system: string | null;
  externalId: string | null;
  url: string | null;
  expiresAt: Date | null;
  holdsSlot: boolean;
  reference: string | null;
  payer: Payer;
  orderId: string | null;
  operationId: string;
  settledBy: string | null;
  paidAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

type Row = Database['deposit_links'];

const toRecord = (row: Row): DepositLinkRecord => ({
  workspace: row.workspace_id,
  id: row.id,
  bookingEventId: row.booking_event_id,
  customerId: row.customer_id,
  amount: { amount: Number(row.amount), currency: row.currency },
  status: row.status as DepositLinkState,
  system: row.system,
  externalId: row.external_id,
  url: row.url,
  expiresAt: row.expires_at ? new Date(row.expires_at) : null,
  holdsSlot: Number(row.holds_slot) === 1,
  reference: row.reference,
  payer: JSON.parse(row.payer) as Payer,
  orderId: row.order_id,
  operationId: row.operation_id,
  settledBy: row.settled_by,
  paidAt: row.paid_at ? new Date(row.paid_at) : null,
  createdAt: new Date(row.created_at),
  updatedAt: new Date(row.updated_at),
});

export function createDepositStore(db: Kysely<Database>) {
  return {
    /** A link asked for: PENDING until the payments step made it. Written in the operation's transaction. */
    async create(link: {
      workspace: string;
      id: string;
      bookingEventId: string;
      customerId: string | null;
      amount: Money;
      holdsSlot: boolean;
      reference: string | null;
      payer: Payer;
      operationId: string;
    }): Promise<void> {
      const now = new Date().toISOString();
      await db
        .insertInto('deposit_links')
        .values({
          workspace_id: link.workspace,
          id: link.id,
          booking_event_id: link.bookingEventId,
          customer_id: link.customerId,
          amount: link.amount.amount,
          currency: link.amount.currency,
          status: 'PENDING',
          system: null,
          external_id: null,
          url: null,
          expires_at: null,
          holds_slot: link.holdsSlot ? 1 : 0,
          reference: link.reference,
          payer: JSON.stringify(link.payer),
          order_id: null,
          operation_id: link.operationId,
          settled_by: null,
          paid_at: null,
          created_at: now,
          updated_at: now,
        })
        .execute();
    },

    /** The payments system made the link. A link settled already (its webhook came first) keeps its state. */
    async opened(
      workspace: string,
      id: string,
      link: { system: string; externalId: string; url: string; expiresAt: Date },
    ): Promise<void> {
      const now = new Date().toISOString();
      await db
        .updateTable('deposit_links')
        .set({
          system: link.system,
          external_id: link.externalId,
          url: link.url,
          expires_at: link.expiresAt.toISOString(),
          updated_at: now,
        })
        .where('workspace_id', '=', workspace)
        .where('id', '=', id)
        .execute();
      await db
        .updateTable('deposit_links')
        .set({ status: 'OPEN' })
        .where('workspace_id', '=', workspace)
        .where('id', '=', id)
        .where('status', '=', 'PENDING')
        .execute();
    },

    async get(workspace: string, id: string): Promise<DepositLinkRecord | null> {
      const row = await db
        .selectFrom('deposit_links')
        .selectAll()
        .where('workspace_id', '=', workspace)
        .where('id', '=', id)
        .executeTakeFirst();
      return row ? toRecord(row) : null;
    },

    /** The link the payments system knows by this id, if the hub made it. */
    async byExternalId(
      workspace: string,
      system: string,
      externalId: string,
    ): Promise<DepositLinkRecord | null> {
      const row = await db
        .selectFrom('deposit_links')
        .selectAll()
        .where('workspace_id', '=', workspace)
        .where('system', '=', system)
        .where('external_id', '=', externalId)
        .executeTakeFirst();
      return row ? toRecord(row) : null;
    },

    /** Every link asked for a booking, newest first. */
    async forBooking(workspace: string, bookingEventId: string): Promise<DepositLinkRecord[]> {
      const rows = await db
        .selectFrom('deposit_links')
        .selectAll()
        .where('workspace_id', '=', workspace)
        .where('booking_event_id', '=', bookingEventId)
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .execute();
      return rows.map(toRecord);
    },

    /** Links not settled yet (PENDING or OPEN) asked for since `since`, oldest first: what a sweep checks. */
    async unsettled(workspace: string, since: Date): Promise<DepositLinkRecord[]> {
      const rows = await db
        .selectFrom('deposit_links')
        .selectAll()
        .where('workspace_id', '=', workspace)
        .where('status', 'in', ['PENDING', 'OPEN'])
        .where('created_at', '>=', since.toISOString())
        .orderBy('created_at')
        .execute();
      return rows.map(toRecord);
    },

    async list(workspace: string, statuses: readonly DepositLinkState[] | null, first: number) {
      let query = db.selectFrom('deposit_links').selectAll().where('workspace_id', '=', workspace);
      if (statuses && statuses.length > 0) query = query.where('status', 'in', [...statuses]);
      const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(first).execute();
      return rows.map(toRecord);
    },

    /**
     * Settles a link once: PAID or EXPIRED from OPEN (or PENDING: the webhook may beat the step's
     * own write). Returns false when it was settled already, so the work it starts runs once.
     */
    async settle(
      workspace: string,
      id: string,
      outcome: { status: 'PAID' | 'EXPIRED'; orderId: string | null; settledBy: string | null },
    ): Promise<boolean> {
      const now = new Date().toISOString();
      const result = await db
        .updateTable('deposit_links')
        .set({
          status: outcome.status,
          order_id: outcome.orderId,
          settled_by: outcome.settledBy,
          paid_at: outcome.status === 'PAID' ? now : null,
          updated_at: now,
        })
        .where('workspace_id', '=', workspace)
        .where('id', '=', id)
        .where('status', 'in', ['PENDING', 'OPEN'])
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },
  };
}

export type DepositStore = ReturnType<typeof createDepositStore>;
