import type { Money, SourceName } from '../../domain/model.ts';
import type { Hub } from '../../hub.ts';
import type { CacheTarget } from '../../cache/keys.ts';
import type { StepContext, StepDefinition } from '../engine.ts';
import type { OrderInput } from '../../domain/ports.ts';

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

/** Remembers a record the hub just wrote as linked to the customer; a clash becomes a sync issue. */
export async function linkWritten(
  hub: Hub,
  ctx: StepContext<unknown>,
  customerId: string,
  system: SourceName,
  externalId: string,
): Promise<void> {
  const workspace = ctx.workspace.id;
  const outcome = await hub.links.link(workspace, 'customer', customerId, system, externalId, 'write');
  if (outcome === 'conflict') {
    await hub.issues.raise(workspace, {
      customerId,
      kind: 'LINK_CONFLICT',
      field: null,
      systems: [system],
      details: { [system]: externalId, operation: ctx.operation.id },
      message: `${system} record ${externalId}, written for this customer by operation ${ctx.operation.id}, is linked to another customer.`,
    });
  }
}

export const DAY_MS = 86_400_000;

/** The cached reads a change to a customer's payment makes stale. */
export const ordersChanged = (stripeCustomerId: string | null, orderId: unknown): CacheTarget[] => [
  { source: 'stripe', resource: 'orders-by-customer', key: stripeCustomerId ?? undefined },
  { source: 'stripe', resource: 'order', key: String(orderId) },
];

/**
 * A payment intent for the customer, created with the step's idempotency key and cancelled when a
 * later step fails for good; its id goes into the operation's context under `resultKey`.
 */
export function createOrderStep<I extends { stripeCustomerId: string | null }>(
  resultKey: string,
  build: (ctx: StepContext<I>) => Omit<OrderInput, 'customerId'>,
): StepDefinition<I> {
  return {
    system: 'stripe',
    async run(ctx) {
      const order = await ctx.workspace.sources.payments.createOrder(
        { customerId: ctx.operation.input.stripeCustomerId, ...build(ctx) },
        { idempotencyKey: ctx.step.idempotencyKey },
      );
      return { [resultKey]: order.externalId };
    },
    async compensate(ctx, result) {
      await ctx.workspace.sources.payments.cancelOrder(String(result[resultKey]), {
        idempotencyKey: ctx.step.idempotencyKey,
      });
    },
    invalidates: (ctx, r) => ordersChanged(ctx.operation.input.stripeCustomerId, r[resultKey]),
  };
}
