import type { Money } from '../../domain/model.ts';
import type { PeopleRole } from '../../cache/keys.ts';
import type { StepContext, StepDefinition, SubmitOptions } from '../engine.ts';
import type { OrderInput } from '../../domain/ports.ts';

/**
 * What a write stores, built by its kind's `prepare…` function from checked arguments: the
 * operation's input (its steps' contract, so it is shaped here and nowhere else) and rows written in
 * the same transaction. Resolvers check arguments, call `prepare…`, and map the operation.
 */
export type Prepared<I> = { input: I } & Pick<SubmitOptions, 'alsoWrite' | 'invalidates'>;

/** A customer's record in each people role's system, where they have one. */
export interface PeopleRecords {
  crm: string | null;
  payments: string | null;
  accounting: string | null;
}

/** Dates travel through the outbox as ISO strings (the input is stored as JSON). */
export type IsoDate = string;

export interface PersonFields {
  firstName: string;
  lastName: string;
  email: string;
  phone: string | null;
  company: string | null;
}

export interface LineFields {
  description: string;
  quantity: number;
  /** Minor units, tax included. */
  unitAmount: number;
}

export const orderTotal = (lines: LineFields[], currency: string): Money => ({
  amount: lines.reduce((sum, line) => sum + line.quantity * line.unitAmount, 0),
  currency,
});

/** Remembers a person record the hub just wrote as linked to the customer; a clash becomes a sync issue. */
export async function linkWritten(
  ctx: StepContext<unknown>,
  role: PeopleRole,
  customerId: string,
  externalId: string,
): Promise<void> {
  await ctx.identity.link(
    ctx.workspace.id,
    customerId,
    { role, system: ctx.workspace.sources[role].name, externalId },
    {
      origin: 'write',
      because: `written for this customer by operation ${ctx.operation.id}`,
      details: { operation: ctx.operation.id },
    },
  );
}

export const DAY_MS = 86_400_000;

/**
 * A payment for the customer, created with the step's idempotency key and cancelled when a later
 * step fails for good; its id goes into the operation's context under `resultKey`.
 */
export function createOrderStep<I extends { paymentsCustomerId: string | null }>(
  resultKey: string,
  build: (ctx: StepContext<I>) => Omit<OrderInput, 'customerId'>,
): StepDefinition<I> {
  return {
    role: 'payments',
    async run(ctx) {
      const order = await ctx.workspace.sources.payments.createOrder(
        { customerId: ctx.operation.input.paymentsCustomerId, ...build(ctx) },
        { idempotencyKey: ctx.step.idempotencyKey },
      );
      return { [resultKey]: order.externalId };
    },
    async compensate(ctx, result) {
      await ctx.workspace.sources.payments.cancelOrder(String(result[resultKey]), {
        idempotencyKey: ctx.step.idempotencyKey,
      });
    },
    invalidates: (ctx, r) => ctx.keys.orderChanged(ctx.operation.input.paymentsCustomerId, r[resultKey]),
  };
}
