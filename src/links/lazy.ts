import DataLoader from 'dataloader';
import type { PersonRecord } from '../domain/model.ts';
import type { Hub } from '../hub.ts';
import type { Workspace } from '../domain/workspace.ts';
import type { CustomerRow } from '../store/links.ts';
import { systemLabel } from '../systems.ts';

/** How long a "not found in that system" answer stands before a request looks again. */
export const RECHECK_AFTER_MS = 60 * 60_000; // 1 hour

interface LoaderDeps {
  customer: DataLoader<string, CustomerRow | null>;
  paymentCustomersByEmail: DataLoader<string, PersonRecord[]>;
  accountingContactsByEmail: DataLoader<string, PersonRecord[]>;
}

/**
 * Lazy linking: a customer with no link to a system is looked up there by email (batched through
 * the by-email loaders) and the link stored when exactly one record matches. None found is
 * remembered for an hour; several found, or a record already linked elsewhere, become sync issues
 * and nothing is linked: conflicts are never guessed away.
 */
export function createLazyLinker(
  hub: Pick<Hub, 'links' | 'issues' | 'identity' | 'batching'>,
  { id: workspace, sources }: Workspace,
  loaders: LoaderDeps,
) {
  const make = (role: 'payments' | 'accounting', byEmail: DataLoader<string, PersonRecord[]>) => {
    const system = sources[role].name;
    return new DataLoader<string, string | null>(
      async (customerIds) => {
        const misses = await hub.links.lastMisses(workspace, 'customer', system, customerIds);
        const now = Date.now();
        const notFound: string[] = [];
        const results = await Promise.all(
          customerIds.map(async (customerId): Promise<string | null> => {
            const missedAt = misses.get(customerId);
            if (missedAt && now - missedAt.getTime() < RECHECK_AFTER_MS) return null;
            const customer = await loaders.customer.load(customerId);
            if (!customer?.email) return null;
            const records = await byEmail.load(customer.email);
            if (records.length === 0) {
              notFound.push(customerId);
              return null;
            }
            if (records.length > 1) {
              await hub.issues.raise(workspace, {
                customerId,
                kind: 'AMBIGUOUS_MATCH',
                field: 'email',
                systems: [system],
                details: { [system]: records.map((r) => r.externalId) },
                message: `${records.length} ${systemLabel(system)} records share the email ${customer.email}; none was linked.`,
              });
              notFound.push(customerId);
              return null;
            }
            const record = records[0] as PersonRecord;
            const outcome = await hub.identity.link(
              workspace,
              customerId,
              { role, system, externalId: record.externalId },
              { origin: 'lazy', because: `matches ${customer.email}` },
            );
            return outcome === 'conflict' ? null : record.externalId;
          }),
        );
        await hub.links.recordMisses(workspace, 'customer', system, notFound);
        return results;
      },
      { batch: hub.batching },
    );
  };
  return {
    payments: make('payments', loaders.paymentCustomersByEmail),
    accounting: make('accounting', loaders.accountingContactsByEmail),
  };
}
