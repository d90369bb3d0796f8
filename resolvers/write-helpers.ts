import type { GraphContext } from '../src/graph/context.ts';
import type { CustomerModel } from '../src/graph/models.ts';
import { expectGlobalId, splitSourceId } from '../src/graph/ids.ts';
import { badInput } from '../src/graph/errors.ts';
import { linkedId, linkedIn } from './customer.ts';

/** The customer a write names, or a clear error before anything is stored or sent. */
export async function customerFor(
  ctx: GraphContext,
  id: string,
  argument = 'customerId',
): Promise<CustomerModel> {
  const customer = await ctx.loaders.customer.load(expectGlobalId(id, 'Customer', argument));
  if (!customer) throw badInput(`"${argument}" names no customer of this workspace: ${id}`, argument);
  return customer;
}

/**
 * The customer's record in each people role's system (payments and accounting looked up lazily by
 * email when not linked yet).
 */
export async function recordsOf(ctx: GraphContext, customer: CustomerModel) {
  const [crm, payments, accounting] = await Promise.all([
    linkedIn(customer, 'crm', ctx),
    linkedId(customer, 'payments', ctx),
    linkedId(customer, 'accounting', ctx),
  ]);
  return { crm, payments, accounting };
}

/** The vendor id inside a Booking, Order or Invoice global id of this workspace's adapter. */
export function externalIdOf(
  ctx: GraphContext,
  id: string,
  type: 'Booking' | 'Order' | 'Invoice',
  argument: string,
): string {
  const parsed = splitSourceId(expectGlobalId(id, type, argument));
  const expected = {
    Booking: ctx.workspace.sources.calendar.name,
    Order: ctx.workspace.sources.payments.name,
    Invoice: ctx.workspace.sources.accounting.name,
  }[type];
  if (!parsed || parsed.system !== expected)
    throw badInput(`"${argument}" is not a ${type} of this workspace: ${id}`, argument);
  return parsed.externalId;
}

/** Loads a record for a write's checks; an unknown id is the caller's mistake, not a vendor failure. */
export async function mustExist<T>(load: Promise<T>, what: string, argument: string): Promise<T> {
  try {
    return await load;
  } catch (error) {
    if ((error as { code?: string }).code === 'NOT_FOUND') throw badInput(`${what} does not exist`, argument);
    throw error;
  }
}

/** A record that may be gone (a payload read after the write, a node by id): null instead of an error. */
export const orNull = <T>(promise: Promise<T>): Promise<T | null> =>
  promise.catch((error: unknown) => {
    if ((error as { code?: string }).code === 'NOT_FOUND') return null;
    throw error;
  });
