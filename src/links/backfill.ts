import type { PersonRecord } from '../domain/model.ts';
import { normaliseEmail, normalisePhone } from '../domain/model.ts';
import type { Page } from '../domain/ports.ts';
import type { Hub, Workspace } from '../hub.ts';
import type { SyncIssueInput, SyncIssueKind } from '../store/sync-issues.ts';
import { SYSTEM_LABEL } from './describe.ts';

type PeopleSystem = 'hubspot' | 'stripe' | 'xero';
const SYSTEMS: PeopleSystem[] = ['hubspot', 'stripe', 'xero'];

/** CRM stages of people who have not bought yet: they are expected to be in the CRM only. */
const PRE_SALE_STAGES = new Set([
  'subscriber',
  'lead',
  'marketingqualifiedlead',
  'salesqualifiedlead',
  'opportunity',
]);

export interface BackfillReport {
  workspace: string;
  records: Record<PeopleSystem, number>;
  /** Records without an email cannot be matched and are left unlinked. */
  withoutEmail: Record<PeopleSystem, number>;
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

const normaliseName = (r: PersonRecord): string | null => {
  const full = r.firstName || r.lastName ? `${r.firstName ?? ''} ${r.lastName ?? ''}` : (r.name ?? '');
  const clean = full.trim().replace(/\s+/g, ' ').toLowerCase();
  return clean || null;
};

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
  const { crm, payments, accounting } = workspace.sources;
  const [hubspot, stripe, xero] = await Promise.all([
    listAll(
      (after) => crm.listContacts(after),
      (n) => progress(`HubSpot: ${n} contacts read`),
    ),
    listAll(
      (after) => payments.listCustomers(after),
      (n) => progress(`Stripe: ${n} customers read`),
    ),
    listAll(
      (after) => accounting.listContacts(after),
      (n) => progress(`Xero: ${n} contacts read`),
    ),
  ]);
  const bySystem: Record<PeopleSystem, PersonRecord[]> = { hubspot, stripe, xero };

  const report: BackfillReport = {
    workspace: ws,
    records: { hubspot: hubspot.length, stripe: stripe.length, xero: xero.length },
    withoutEmail: { hubspot: 0, stripe: 0, xero: 0 },
    customers: 0,
    customersCreated: 0,
    linksCreated: 0,
    issuesRaised: 0,
    issuesByKind: {},
    durationMs: 0,
  };

  const groups = new Map<string, Record<PeopleSystem, PersonRecord[]>>();
  for (const system of SYSTEMS) {
    for (const record of bySystem[system]) {
      const email = normaliseEmail(record.email);
      if (!email) {
        report.withoutEmail[system]++;
        continue;
      }
      let group = groups.get(email);
      if (!group) groups.set(email, (group = { hubspot: [], stripe: [], xero: [] }));
      group[system].push(record);
    }
  }

  const existingByEmail = await hub.links.findCustomersByEmail(ws, [...groups.keys()]);
  const linkedBySystem = new Map<PeopleSystem, Map<string, string>>();
  for (const system of SYSTEMS) {
    linkedBySystem.set(
      system,
      await hub.links.entitiesFor(
        ws,
        'customer',
        system,
        bySystem[system].map((r) => r.externalId),
      ),
    );
  }

  const raise = async (issue: SyncIssueInput) => {
    const { created } = await hub.issues.raise(ws, issue);
    if (created) {
      report.issuesRaised++;
      report.issuesByKind[issue.kind] = (report.issuesByKind[issue.kind] ?? 0) + 1;
    }
  };

  let done = 0;
  for (const [email, group] of groups) {
    // An existing customer is found through any record already linked, else by email.
    const linkedId = SYSTEMS.flatMap((s) =>
      group[s].map((r) => linkedBySystem.get(s)?.get(r.externalId)),
    ).find(Boolean);
    let customerId = linkedId ?? existingByEmail.get(email)?.[0]?.id;
    if (!customerId) {
      const named = group.hubspot[0] ?? group.stripe[0] ?? group.xero[0];
      const created = await hub.links.createCustomer(ws, { email, displayName: named?.name ?? null });
      customerId = created.id;
      report.customersCreated++;
    }
    report.customers++;

    const single: Partial<Record<PeopleSystem, PersonRecord>> = {};
    const absent: PeopleSystem[] = [];
    for (const system of SYSTEMS) {
      const records = group[system];
      if (records.length === 0) {
        absent.push(system);
        continue;
      }
      if (records.length > 1) {
        await raise({
          customerId,
          kind: 'AMBIGUOUS_MATCH',
          field: 'email',
          systems: [system],
          details: { [system]: records.map((r) => r.externalId) },
          message: `${records.length} ${SYSTEM_LABEL[system]} records share the email ${email}; none was linked.`,
        });
        continue;
      }
      const record = records[0] as PersonRecord;
      single[system] = record;
      const outcome = await hub.links.link(ws, 'customer', customerId, system, record.externalId, 'backfill');
      if (outcome === 'created') report.linksCreated++;
      if (outcome === 'conflict') {
        await raise({
          customerId,
          kind: 'LINK_CONFLICT',
          field: null,
          systems: [system],
          details: { [system]: record.externalId },
          message: `${SYSTEM_LABEL[system]} record ${record.externalId} (${email}) is linked to another customer.`,
        });
      }
    }

    const stage = (group.hubspot[0] as { lifecycleStage?: string | null } | undefined)?.lifecycleStage;
    const preSaleOnlyInCrm =
      absent.length === 2 && !absent.includes('hubspot') && stage != null && PRE_SALE_STAGES.has(stage);
    if (absent.length > 0) {
      for (const system of absent) await hub.links.recordMisses(ws, 'customer', system, [customerId]);
      if (!preSaleOnlyInCrm) {
        const present = SYSTEMS.filter((s) => !absent.includes(s));
        for (const system of absent) {
          await raise({
            customerId,
            kind: 'MISSING_IN_SYSTEM',
            field: null,
            systems: [system],
            details: { email, presentIn: present },
            message: `${email} is in ${present.map((s) => SYSTEM_LABEL[s]).join(' and ')} but not in ${SYSTEM_LABEL[system]}.`,
          });
        }
      }
    }

    // Emails matched after normalising; any difference left is in how they are written.
    await compareField(
      'email',
      single,
      (r) => r.email,
      (r) => r.email,
      raise,
      customerId,
    );
    await compareField('name', single, normaliseName, (r) => r.name ?? normaliseName(r), raise, customerId);
    await compareField(
      'phone',
      single,
      (r) => normalisePhone(r.phone),
      (r) => r.phone,
      raise,
      customerId,
    );

    if (++done % 100 === 0) progress(`linked ${done} of ${groups.size} customers`);
  }
  report.durationMs = Math.round(performance.now() - started);
  progress(
    `backfill done: ${report.customers} customers (${report.customersCreated} new), ${report.linksCreated} links, ${report.issuesRaised} new sync issues`,
  );
  return report;
}

/**
 * Raises one issue when the systems that hold a value for `field` disagree. Emails that differ only
 * in case or surrounding spaces are EMAIL_FORMAT_MISMATCH (they matched; someone should tidy them).
 */
async function compareField(
  field: 'email' | 'name' | 'phone',
  records: Partial<Record<PeopleSystem, PersonRecord>>,
  comparable: (r: PersonRecord) => string | null,
  shown: (r: PersonRecord) => string | null,
  raise: (issue: SyncIssueInput) => Promise<void>,
  customerId: string,
): Promise<void> {
  const values = SYSTEMS.flatMap((system) => {
    const record = records[system];
    const value = record ? comparable(record) : null;
    return record && value !== null ? [{ system, value, shown: shown(record) }] : [];
  });
  if (new Set(values.map((v) => v.value)).size <= 1) return;
  const details = Object.fromEntries(values.map((v) => [v.system, v.shown]));
  const list = values.map((v) => `${SYSTEM_LABEL[v.system]} has ${JSON.stringify(v.shown)}`).join(', ');
  await raise({
    customerId,
    kind: field === 'email' ? 'EMAIL_FORMAT_MISMATCH' : 'FIELD_MISMATCH',
    field,
    systems: values.map((v) => v.system),
    details,
    message: `${field === 'email' ? 'Email is written differently' : `The ${field} differs`}: ${list}.`,
  });
}
