import type { Money, SourceName } from '../../domain/model.ts';
import type { Hub } from '../../hub.ts';
import type { StepContext } from '../engine.ts';

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
