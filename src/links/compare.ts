import type { PersonRecord, SourceName } from '../domain/model.ts';
import { normalisePhone } from '../domain/model.ts';
import type { SyncIssueInput, SyncIssueKind } from '../store/sync-issues.ts';
import { systemLabel } from '../systems.ts';

/** One customer's record in one system. */
export interface HeldRecord {
  system: SourceName;
  record: PersonRecord;
}

/** The kinds of issue a comparison of one customer's records decides, so it may also close them. */
export const COMPARED_KINDS: readonly SyncIssueKind[] = [
  'FIELD_MISMATCH',
  'EMAIL_FORMAT_MISMATCH',
  'MISSING_IN_SYSTEM',
];

/** The name as people compare it: first and last name (or the full name), trimmed, spaces collapsed, any case. */
export function comparableName(r: PersonRecord): string | null {
  const full = r.firstName || r.lastName ? `${r.firstName ?? ''} ${r.lastName ?? ''}` : (r.name ?? '');
  const clean = full.trim().replace(/\s+/g, ' ').toLowerCase();
  return clean || null;
}

/**
 * The disagreements between one customer's records (email, name, phone), in role order, as the
 * backfill and reconciliation raise them. Emails are compared as written: they matched after
 * normalising, so any difference left is EMAIL_FORMAT_MISMATCH. A system holding no value for a
 * field takes no side.
 */
export function compareRecords(customerId: string, records: readonly HeldRecord[]): SyncIssueInput[] {
  const out: SyncIssueInput[] = [];
  const push = (issue: SyncIssueInput | null) => issue && out.push(issue);
  push(
    compareField(
      customerId,
      'email',
      records,
      (r) => r.email,
      (r) => r.email,
    ),
  );
  push(compareField(customerId, 'name', records, comparableName, (r) => r.name ?? comparableName(r)));
  push(
    compareField(
      customerId,
      'phone',
      records,
      (r) => normalisePhone(r.phone),
      (r) => r.phone,
    ),
  );
  return out;
}

/** The MISSING_IN_SYSTEM issue of a customer held in `present` but not in `absent`. */
export function missingIssue(
  customerId: string,
  email: string,
  present: readonly SourceName[],
  absent: SourceName,
): SyncIssueInput {
  return {
    customerId,
    kind: 'MISSING_IN_SYSTEM',
    field: null,
    systems: [absent],
    details: { email, presentIn: [...present] },
    message: `${email} is in ${present.map(systemLabel).join(' and ')} but not in ${systemLabel(absent)}.`,
  };
}

function compareField(
  customerId: string,
  field: 'email' | 'name' | 'phone',
  records: readonly HeldRecord[],
  comparable: (r: PersonRecord) => string | null,
  shown: (r: PersonRecord) => string | null,
): SyncIssueInput | null {
  const values = records.flatMap(({ system, record }) => {
    const value = comparable(record);
    return value !== null ? [{ system, value, shown: shown(record) }] : [];
  });
  if (new Set(values.map((v) => v.value)).size <= 1) return null;
  const details = Object.fromEntries(values.map((v) => [v.system, v.shown]));
  const list = values.map((v) => `${systemLabel(v.system)} has ${JSON.stringify(v.shown)}`).join(', ');
  return {
    customerId,
    kind: field === 'email' ? 'EMAIL_FORMAT_MISMATCH' : 'FIELD_MISMATCH',
    field,
    systems: values.map((v) => v.system),
    details,
    message: `${field === 'email' ? 'Email is written differently' : `The ${field} differs`}: ${list}.`,
  };
}
