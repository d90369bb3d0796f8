import type { PersonRecord, SourceName } from '../domain/model.ts';
import { normaliseEmail } from '../domain/model.ts';
import type { Role } from '../domain/source-module.ts';
import type { LinkOrigin, LinkRepository } from '../store/links.ts';
import type { SyncIssueRepository } from '../store/sync-issues.ts';
import { systemLabel } from '../systems.ts';

/** A record of one system, as the identity service links it. */
export interface RecordRef {
  role: Role;
  system: SourceName;
  externalId: string;
}

/**
 * Linking a vendor record to a Switchboard customer, in one place for every path that does it:
 * the backfill, lazy linking on read, the webhook processor, write steps and the CRM search. A
 * record claimed by another customer (or a customer already linked to another record of that
 * system) is never re-pointed: it becomes a LINK_CONFLICT sync issue, and the link is left out.
 */
export function createIdentity(deps: { links: LinkRepository; issues: SyncIssueRepository }) {
  const { links, issues } = deps;

  async function link(
    workspace: string,
    customerId: string,
    record: RecordRef,
    how: {
      origin: LinkOrigin;
      /** Why the hub thinks they belong together, for the conflict's message ("matches a@b.c"). */
      because?: string;
      details?: Record<string, unknown>;
      /** Raised issues are counted by the backfill's report. */
      onIssue?: (created: boolean) => void;
    },
  ): Promise<'created' | 'exists' | 'conflict'> {
    const { role, system, externalId } = record;
    const outcome = await links.link(
      workspace,
      'customer',
      customerId,
      { role, system },
      externalId,
      how.origin,
    );
    if (outcome === 'conflict') {
      const { created } = await issues.raise(workspace, {
        customerId,
        kind: 'LINK_CONFLICT',
        field: null,
        systems: [system],
        details: { [system]: externalId, ...how.details },
        message: `${systemLabel(system)} record ${externalId}${how.because ? ` (${how.because})` : ''} is linked to another customer.`,
      });
      how.onIssue?.(created);
    }
    return outcome;
  }

  return {
    link,

    /** The customer each record of `system` is linked to; unlinked ones are absent. */
    customersOf: (workspace: string, system: SourceName, externalIds: readonly string[]) =>
      links.entitiesFor(workspace, 'customer', system, externalIds),

    /**
     * The customer a person record belongs to: the one it is linked to; else the one customer with
     * its email, now linked; else a new customer, linked. A conflicting link leaves the customer
     * found (or made) without it and raises the issue.
     */
    async customerFor(
      workspace: string,
      record: PersonRecord & { role: Role },
      how: { origin: LinkOrigin; because?: string },
    ): Promise<string> {
      const linked = (await links.entitiesFor(workspace, 'customer', record.source, [record.externalId])).get(
        record.externalId,
      );
      if (linked) return linked;
      const email = normaliseEmail(record.email);
      const byEmail = email ? (await links.findCustomersByEmail(workspace, [email])).get(email) : undefined;
      const customerId =
        byEmail?.length === 1
          ? (byEmail[0]?.id as string)
          : (await links.createCustomer(workspace, { email, displayName: record.name })).id;
      await link(
        workspace,
        customerId,
        { role: record.role, system: record.source, externalId: record.externalId },
        { origin: how.origin, because: how.because ?? email ?? 'no email' },
      );
      return customerId;
    },

    /** Each customer's record in `system`, where linked. */
    async recordsIn(
      workspace: string,
      system: SourceName,
      customerIds: readonly string[],
    ): Promise<Map<string, string>> {
      const all = await links.linksFor(workspace, 'customer', customerIds);
      const out = new Map<string, string>();
      for (const [customerId, rows] of all) {
        const found = rows.find((l) => l.system === system);
        if (found) out.set(customerId, found.externalId);
      }
      return out;
    },
  };
}

export type Identity = ReturnType<typeof createIdentity>;
