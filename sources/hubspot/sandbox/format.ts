/**
 * Records as HubSpot's v3 CRM API returns them: only the requested properties (unset ones as
 * null; unknown names silently dropped), plus the ones HubSpot always adds.
 * https://developers.hubspot.com/docs/api/crm/understanding-the-crm#properties
 */
import { associationLabel, OBJECT_TYPES, resolveObjectType, type ObjectType } from './schema.ts';
import type { CrmRecord, Store } from './state.ts';

export interface WireObject {
  id: string;
  properties: Record<string, string | null>;
  createdAt: string;
  updatedAt: string;
  archived: boolean;
  archivedAt?: string;
  associations?: Record<string, { results: Array<{ id: string; type: string }> }>;
}

export interface FormatOptions {
  /** Names asked for; the type's defaults when absent. */
  properties?: string[];
  /** `associations=` names (`contacts`, `deal`, `0-1`, ...). */
  associations?: string[];
}

export function toWire(store: Store, record: CrmRecord, options: FormatOptions = {}): WireObject {
  const def = OBJECT_TYPES[record.type];
  const names = new Set([...(options.properties ?? def.defaultProperties), ...def.alwaysProperties]);
  const properties: Record<string, string | null> = {};
  for (const name of [...names].sort()) {
    if (def.properties.has(name)) properties[name] = record.props.get(name) ?? null;
  }
  const wire: WireObject = {
    id: record.id,
    properties,
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
    archived: record.archived,
  };
  if (record.archivedAt) wire.archivedAt = record.archivedAt.toISOString();
  const associations = associationsOf(store, record, options.associations ?? []);
  if (associations) wire.associations = associations;
  return wire;
}

function associationsOf(
  store: Store,
  record: CrmRecord,
  names: string[],
): WireObject['associations'] | undefined {
  const out: NonNullable<WireObject['associations']> = {};
  for (const name of names) {
    const other = resolveObjectType(name);
    if (!other || other.type === record.type) continue;
    const results = [...record.assoc[other.type]]
      .filter((id) => store.records[other.type].get(id)?.archived === false)
      .sort((a, b) => Number(a) - Number(b))
      .map((id) => ({ id, type: associationLabel(record.type, other.type) }));
    // HubSpot leaves out association types with no associated records.
    if (results.length > 0) out[other.type] = { results };
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The properties a write response shows: what was written plus the always-present ones. */
export const writtenProperties = (type: ObjectType, written: Iterable<string>): string[] => [
  ...written,
  ...OBJECT_TYPES[type].alwaysProperties,
];
