import type { CrmContact, PersonRecord, SourceName } from '../domain/model.ts';
import { normaliseEmail } from '../domain/model.ts';
import { compareRecords, missingIssue } from './compare.ts';
import type { Page } from '../domain/ports.ts';
import type { Hub, Workspace } from '../hub.ts';
import type { SyncIssueInput, SyncIssueKind } from '../store/sync-issues.ts';
import { PEOPLE_ROLES, type PeopleRole } from '../cache/keys.ts';
import { systemLabel } from '../systems.ts';

export interface BackfillReport {
  workspace: string;
  /** People read per system (module id). */
  records: Record<SourceName, number>;
  /** Records without an email cannot be matched and are left unlinked. */
  withoutEmail: Record<SourceName, number>;
  customers: number;
  customersCreated: number;
  linksCreated: number;
  issuesRaised: number;
  issuesByKind: Partial<Record<SyncIssueKind, number>>;
  durationMs: number;
}

export interface BackfillOptions {
  onProgress?: (message: string) => void;
}

async function listAll(
  list: (after?: string) => Promise<Page<PersonRecord>>,
  onPage: (count: number) => void,
): Promise<PersonRecord[]> {
  const out: PersonRecord[] = [];
  let after: string | undefined;
  do {
    const page = await list(after);
    out.push(...page.items);
    onPage(out.length);
    after = page.next;
  } while (after);
  return out;
}

/**
 * Matches the people in the CRM, the payment provider and the accounting package by normalised
 * email, creates one Switchboard customer per email with a link to each system's record, and
 * records every disagreement as a sync issue: missing from a system, email written differently,
 * different name or phone, several records for one email. Safe to run again: existing customers
 * and links are kept, open issues are not raised twice.
 */
export async function backfillLinks(
  hub: Hub,
  workspace: Workspace,
  options: BackfillOptions = {},
): Promise<BackfillReport> {
  const started = performance.now();
  const progress = options.onProgress ?? (() => {});
  const ws = workspace.id;
  const { sources } = workspace;
  const system = (role: PeopleRole) => sources[role].name;
  const label = (role: PeopleRole) => systemLabel(system(role));
  const lists = {
    crm: (after?: string) => sources.crm.listContacts(after),
    payments: (after?: string) => sources.payments.listCustomers(after),
    accounting: (after?: string) => sources.accounting.listContacts(after),
  } satisfies Record<PeopleRole, (after?: string) => Promise<Page<PersonRecord>>>;
  const read = await Promise.all(
    PEOPLE_ROLES.map((role) => listAll(lists[role], (n) => progress(`${label(role)}: ${n} people read`))),
  );
  const byRole = Object.fromEntries(PEOPLE_ROLES.map((role, i) => [role, read[i]!])) as Record<
    PeopleRole,
    PersonRecord[]
  >;

  const report: BackfillReport = {
    workspace: ws,
    records: Object.fromEntries(PEOPLE_ROLES.map((role) => [system(role), byRole[role].length])),
    withoutEmail: Object.fromEntries(PEOPLE_ROLES.map((role) => [system(role), 0])),
    customers: 0,
    customersCreated: 0,
    linksCreated: 0,
    issuesRaised: 0,
    issuesByKind: {},
    durationMs: 0,
  };

  const emptyGroup = (): Record<PeopleRole, PersonRecord[]> => ({ crm: [], payments: [], accounting: [] });
  const groups = new Map<string, Record<PeopleRole, PersonRecord[]>>();
  for (const role of PEOPLE_ROLES) {
    for (const record of byRole[role]) {
      const email = normaliseEmail(record.email);
      if (!email) {
        report.withoutEmail[system(role)]!++;
        continue;
      }
      let group = groups.get(email);
      if (!group) groups.set(email, (group = emptyGroup()));
      group[role].push(record);
    }
  }

  const existingByEmail = await hub.links.findCustomersByEmail(ws, [...groups.keys()]);
  const linkedByRole = new Map<PeopleRole, Map<string, string>>();
  for (const role of PEOPLE_ROLES) {
    linkedByRole.set(
      role,
      await hub.identity.customersOf(
        ws,
        system(role),
        byRole[role].map((r) => r.externalId),
      ),
    );
  }

  const count = (kind: SyncIssueKind) => {
    report.issuesRaised++;
    report.issuesByKind[kind] = (report.issuesByKind[kind] ?? 0) + 1;
  };
  const raise = async (issue: SyncIssueInput) => {
    const { created } = await hub.issues.raise(ws, issue);
    if (created) count(issue.kind);
  };
  /** The records of one customer, each with the system that holds it, in role order. */
  const bySystem = (records: Partial<Record<PeopleRole, PersonRecord>>) =>
    PEOPLE_ROLES.flatMap((role) => {
      const record = records[role];
      return record ? [{ system: system(role), record }] : [];
    });

  let done = 0;
  for (const [email, group] of groups) {
    // An existing customer is found through any record already linked, else by email.
    const linkedId = PEOPLE_ROLES.flatMap((role) =>
      group[role].map((r) => linkedByRole.get(role)?.get(r.externalId)),
    ).find(Boolean);
    let customerId = linkedId ?? existingByEmail.get(email)?.[0]?.id;
    if (!customerId) {
      const named = group.crm[0] ?? group.payments[0] ?? group.accounting[0];
      const created = await hub.links.createCustomer(ws, { email, displayName: named?.name ?? null });
      customerId = created.id;
      report.customersCreated++;
    }
    report.customers++;

    const single: Partial<Record<PeopleRole, PersonRecord>> = {};
    const absent: PeopleRole[] = [];
    for (const role of PEOPLE_ROLES) {
      const records = group[role];
      if (records.length === 0) {
        absent.push(role);
        continue;
      }
      if (records.length > 1) {
        await raise({
          customerId,
          kind: 'AMBIGUOUS_MATCH',
          field: 'email',
          systems: [system(role)],
          details: { [system(role)]: records.map((r) => r.externalId) },
          message: `${records.length} ${label(role)} records share the email ${email}; none was linked.`,
        });
        continue;
      }
      const record = records[0] as PersonRecord;
      single[role] = record;
      const outcome = await hub.identity.link(
        ws,
        customerId,
        { role, system: system(role), externalId: record.externalId },
        { origin: 'backfill', because: email, onIssue: (created) => created && count('LINK_CONFLICT') },
      );
      if (outcome === 'created') report.linksCreated++;
    }

    const crmContact = group.crm[0] as CrmContact | undefined;
    const preSaleOnlyInCrm = absent.length === 2 && !absent.includes('crm') && crmContact?.preSale === true;
    if (absent.length > 0) {
      for (const role of absent) await hub.links.recordMisses(ws, 'customer', system(role), [customerId]);
      if (!preSaleOnlyInCrm) {
        const present = PEOPLE_ROLES.filter((r) => !absent.includes(r)).map(system);
        for (const role of absent) await raise(missingIssue(customerId, email, present, system(role)));
      }
    }

    for (const issue of compareRecords(customerId, bySystem(single))) await raise(issue);

    if (++done % 100 === 0) progress(`linked ${done} of ${groups.size} customers`);
  }
  report.durationMs = Math.round(performance.now() - started);
  progress(
    `backfill done: ${report.customers} customers (${report.customersCreated} new), ${report.linksCreated} links, ${report.issuesRaised} new sync issues`,
  );
  return report;
}
