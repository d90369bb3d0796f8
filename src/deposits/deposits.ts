import { randomBytes } from 'node:crypto';
import type { Money, PaymentLink } from '../domain/model.ts';
import type { Workspace } from '../domain/workspace.ts';
import type { Engine } from '../operations/engine.ts';
import type { Identity } from '../links/identity.ts';
import type { Logger } from 'pino';
import type { DepositLinkInput } from '../operations/kinds/deposit.ts';
import type { DepositPaidInput, ReleaseHoldInput } from '../operations/kinds/deposit.ts';
import { createDepositStore, type DepositLinkRecord, type DepositStore, type Payer } from './store.ts';
import type { Store } from '../store/store.ts';

/**
 * How long a deposit link stays open, in minutes (SWITCHBOARD_DEPOSIT_MINUTES). Stripe takes an
 * `expires_at` 30 minutes to 24 hours ahead of the request that makes the session; the five minutes
 * over 30 leave room to retry that request after a timeout with the same `expires_at`.
 */
export const DEFAULT_DEPOSIT_MINUTES = 35;

/** The writes the payments system's webhook starts (settling a deposit link), for the connection map. */
export const SETTLEMENT_OPERATIONS: Readonly<Record<string, string>> = {
  depositPaid: 'payments webhook (or the deposit sweep): a deposit link the hub made was paid',
  releaseHold:
    'payments webhook (or the deposit sweep): a deposit link holding a slot expired unpaid, or was never made',
};

/** `dep_` and 24 hex digits: the hub's id of a deposit link, made before the payments system is called. */
export const newDepositId = () => `dep_${randomBytes(12).toString('hex')}`;

/** What the operation that makes a deposit link stores: fixed now, so a retried request is the same request. */
export function depositLinkInput(d: {
  bookingEventId: string;
  amount: Money;
  description: string;
  paymentsCustomerId: string | null;
  customerEmail: string;
  customerId: string | null;
  reference: string;
  returnUrl: string;
  minutes: number;
  now: Date;
}): DepositLinkInput {
  return {
    depositId: newDepositId(),
    bookingEventId: d.bookingEventId,
    amount: d.amount,
    description: d.description,
    paymentsCustomerId: d.paymentsCustomerId,
    customerEmail: d.customerEmail,
    customerId: d.customerId,
    reference: d.reference,
    returnUrl: d.returnUrl,
    expiresAt: new Date(d.now.getTime() + d.minutes * 60_000).toISOString(),
  };
}

/** The row written with the operation that makes the link (its `alsoWrite`). */
export const recordDepositLink =
  (workspace: string, input: DepositLinkInput, extra: { holdsSlot: boolean; payer: Payer }) =>
  (trx: Store['db'], operationId: string) =>
    createDepositStore(trx).create({
      workspace,
      id: input.depositId,
      bookingEventId: input.bookingEventId,
      customerId: input.customerId,
      amount: input.amount,
      holdsSlot: extra.holdsSlot,
      reference: input.reference,
      payer: extra.payer,
      operationId,
    });

/**
 * Settles the deposit links a payments webhook reported, as they stand now (read back from the
 * payments system, never from the webhook's body). A paid link submits `depositPaid` (booking
 * confirmed, deposit invoiced and paid, CRM contact moved on), an expired one that held a slot
 * submits `releaseHold`; each under a key made from the link, so however often and in whatever
 * order the events arrive, each runs once. Links the hub did not make are left alone.
 */
export function createDepositSettlement(deps: {
  store: Store;
  engine: Pick<Engine, 'submit' | 'run'>;
  identity: Pick<Identity, 'recordsIn'>;
  logger: Logger;
  /** How long a deposit link lives (the hub's `deposits.minutes`), read when a sweep runs. */
  minutes: () => number;
}) {
  const deposits: DepositStore = createDepositStore(deps.store.db);

  async function submit(workspace: Workspace, kind: string, input: Record<string, unknown>, key: string) {
    // The key's identity is the link alone: a later delivery builds its input afresh (another
    // `paidOn`), and must find the first operation, not be refused as a reused key.
    const { operation, created } = await deps.engine.submit(workspace.id, kind, input, {
      clientKey: key,
      clientArgs: { key },
    });
    if (created) {
      void deps.engine.run(workspace.id, operation.id).catch((error: unknown) => {
        deps.logger.warn(
          { err: error, operation: operation.id },
          `${kind} did not finish; the worker retries it`,
        );
      });
    }
    return operation.id;
  }

  /**
   * A link that ended unpaid (expired, or never made): settled EXPIRED, and the slot it held, if it
   * held one, let go.
   */
  async function expire(workspace: Workspace, row: DepositLinkRecord): Promise<void> {
    let operationId: string | null = null;
    if (row.holdsSlot) {
      const input: ReleaseHoldInput = { depositId: row.id, bookingEventId: row.bookingEventId };
      operationId = await submit(workspace, 'releaseHold', input, `deposit-expired:${row.id}`);
    }
    await deposits.settle(workspace.id, row.id, { status: 'EXPIRED', orderId: null, settledBy: operationId });
  }

  const settlement = {
    /**
     * Checks the links not settled yet against the payments system itself, for when its webhook
     * never came (an endpoint misconfigured, a delivery it gave up on): a link paid is settled as if
     * the webhook had said so, one expired lets its hold go. A hold whose link was never made is let
     * go once the time it would have expired at has passed (the step that makes the link sees that
     * and makes none). Runs every few minutes on every replica (`start`); each settlement is keyed,
     * so replicas sweeping together act once. Links asked for over two days ago are left to the
     * operator (Stripe expires a checkout session within 24 hours).
     */
    async sweep(workspace: Workspace, now = new Date()): Promise<{ checked: number; settled: number }> {
      const rows = await deposits.unsettled(workspace.id, new Date(now.getTime() - 2 * 86_400_000));
      const made = rows.filter((r) => r.externalId && r.system === workspace.sources.payments.name);
      let settled = 0;
      for (const row of rows) {
        if (row.externalId || !row.holdsSlot) continue;
        // Made when asked for, plus the minutes the link would have lived (`minutes` in the hub's settings).
        const wouldExpire = row.createdAt.getTime() + deps.minutes() * 60_000;
        if (wouldExpire > now.getTime()) continue;
        await expire(workspace, row);
        settled += 1;
      }
      if (made.length === 0) return { checked: 0, settled };
      const links = await workspace.sources.payments.getPaymentLinks(made.map((r) => r.externalId as string));
      const found = links.filter((l): l is PaymentLink => !(l instanceof Error));
      await settlement.settle(workspace, found);
      settled += found.filter((l) => l.status !== 'OPEN').length;
      return { checked: made.length, settled };
    },

    /** Sweeps every workspace every `intervalMs`; a failure is logged and the next sweep tries again. */
    start(workspaces: () => Iterable<Workspace>, intervalMs: number): { stop(): void } {
      const timer = setInterval(() => {
        void (async () => {
          for (const workspace of workspaces()) {
            try {
              await settlement.sweep(workspace);
            } catch (error) {
              deps.logger.warn(
                { err: error, workspace: workspace.id },
                'deposit sweep failed; the next one tries again',
              );
            }
          }
        })();
      }, intervalMs);
      timer.unref();
      return { stop: () => clearInterval(timer) };
    },

    async settle(workspace: Workspace, links: readonly PaymentLink[]): Promise<void> {
      for (const link of links) {
        if (link.status === 'OPEN') continue;
        const row = await deposits.byExternalId(workspace.id, link.source, link.externalId);
        if (!row) continue;
        if (link.status === 'PAID') {
          const [crm, accounting] = row.customerId
            ? await Promise.all(
                (['crm', 'accounting'] as const).map(async (role) =>
                  (
                    await deps.identity.recordsIn(workspace.id, workspace.sources[role].name, [
                      row.customerId as string,
                    ])
                  ).get(row.customerId as string),
                ),
              )
            : [undefined, undefined];
          const input: DepositPaidInput = {
            depositId: row.id,
            bookingEventId: row.bookingEventId,
            orderId: link.orderExternalId,
            amount: row.amount,
            description: `Deposit ${row.reference ?? row.id}`,
            reference: row.reference ?? row.id,
            customerId: row.customerId,
            payer: row.payer,
            crmContactId: crm ?? null,
            accountingContactId: accounting ?? null,
            paidOn: new Date().toISOString(),
          };
          const operationId = await submit(workspace, 'depositPaid', input, `deposit-paid:${row.id}`);
          await deposits.settle(workspace.id, row.id, {
            status: 'PAID',
            orderId: link.orderExternalId,
            settledBy: operationId,
          });
        } else if (row.status === 'PENDING' || row.status === 'OPEN') {
          await expire(workspace, row);
        }
      }
    },
  };
  return settlement;
}

export type DepositSettlement = ReturnType<typeof createDepositSettlement>;
