/**
 * The CRM object types and properties the sandbox portal has: HubSpot's default contact, deal and
 * note properties that Switchboard touches, plus the portal's custom ones (`switchboard_id`,
 * `next_booking_date`, `switchboard_idempotency_key`).
 * Property docs: https://developers.hubspot.com/docs/api/crm/properties
 */

export type ObjectType = 'contacts' | 'deals' | 'notes';

/** Every object type the sandbox portal has, in a fixed order. */
export const OBJECT_TYPE_NAMES: readonly ObjectType[] = ['contacts', 'deals', 'notes'];

export type PropertyType = 'string' | 'number' | 'date' | 'datetime' | 'enumeration';

export interface PropertyDef {
  name: string;
  type: PropertyType;
  /** Allowed values of an enumeration. */
  options?: readonly string[];
  /** "Unique value" property: usable as `idProperty` and for upsert; no two records share a value. */
  unique?: boolean;
  /** Set by HubSpot only; a write is a VALIDATION_ERROR. */
  readOnly?: boolean;
}

export interface ObjectTypeDef {
  type: ObjectType;
  /** Singular name used in webhook subscription types (`contact.creation`). */
  singular: 'contact' | 'deal' | 'note';
  /** HubSpot's object type id (`0-1` contacts, `0-3` deals, `0-46` notes). */
  objectTypeId: string;
  /** Upper-case name HubSpot uses in batch error messages ("Could not get some CONTACT objects"). */
  errorName: string;
  properties: Map<string, PropertyDef>;
  /** Returned when a read names no `properties`. */
  defaultProperties: readonly string[];
  /** Always returned, whatever was asked for. */
  alwaysProperties: readonly string[];
  /** Name of the "last modified" property: contacts and deals differ. */
  modifiedProperty: string;
  /** Name of the "created" property: `createdate`, but `hs_createdate` on activities (notes). */
  createdProperty: string;
  /** Properties a create must set (HubSpot: a note's `hs_timestamp`). */
  requiredOnCreate?: readonly string[];
  /** Properties the search `query` looks in. */
  queryProperties: readonly string[];
}

/**
 * The default lifecycle stages in their order (the property's option display order). Through the
 * API a stage only moves forward along it: a write of an earlier stage is ignored (200, value left
 * as it was) unless the property was cleared first.
 * https://knowledge.hubspot.com/object-settings/create-and-customize-lifecycle-stages
 */
export const LIFECYCLE_STAGES = [
  'subscriber',
  'lead',
  'marketingqualifiedlead',
  'salesqualifiedlead',
  'opportunity',
  'customer',
  'evangelist',
  'other',
] as const;

/** Stages of the portal's default ("Sales Pipeline") deal pipeline. */
export const DEAL_STAGES = [
  'appointmentscheduled',
  'qualifiedtobuy',
  'presentationscheduled',
  'decisionmakerboughtin',
  'contractsent',
  'closedwon',
  'closedlost',
] as const;

const defs = (list: PropertyDef[]) => new Map(list.map((p) => [p.name, p]));

export const CONTACTS: ObjectTypeDef = {
  type: 'contacts',
  singular: 'contact',
  objectTypeId: '0-1',
  errorName: 'CONTACT',
  properties: defs([
    { name: 'firstname', type: 'string' },
    { name: 'lastname', type: 'string' },
    { name: 'email', type: 'string', unique: true },
    { name: 'phone', type: 'string' },
    { name: 'company', type: 'string' },
    { name: 'lifecyclestage', type: 'enumeration', options: LIFECYCLE_STAGES },
    { name: 'city', type: 'string' },
    { name: 'zip', type: 'string' },
    { name: 'address', type: 'string' },
    { name: 'createdate', type: 'datetime' },
    { name: 'lastmodifieddate', type: 'datetime', readOnly: true },
    { name: 'hs_object_id', type: 'number', readOnly: true },
    // Custom properties of this portal.
    { name: 'switchboard_id', type: 'string', unique: true },
    { name: 'next_booking_date', type: 'date' },
  ]),
  defaultProperties: ['firstname', 'lastname', 'email', 'createdate', 'lastmodifieddate', 'hs_object_id'],
  alwaysProperties: ['createdate', 'lastmodifieddate', 'hs_object_id'],
  modifiedProperty: 'lastmodifieddate',
  createdProperty: 'createdate',
  queryProperties: ['firstname', 'lastname', 'email', 'phone', 'company'],
};

export const DEALS: ObjectTypeDef = {
  type: 'deals',
  singular: 'deal',
  objectTypeId: '0-3',
  errorName: 'DEAL',
  properties: defs([
    { name: 'dealname', type: 'string' },
    { name: 'amount', type: 'number' },
    { name: 'dealstage', type: 'enumeration', options: DEAL_STAGES },
    { name: 'pipeline', type: 'enumeration', options: ['default'] },
    { name: 'closedate', type: 'datetime' },
    { name: 'description', type: 'string' },
    { name: 'createdate', type: 'datetime' },
    { name: 'hs_lastmodifieddate', type: 'datetime', readOnly: true },
    { name: 'hs_object_id', type: 'number', readOnly: true },
    { name: 'switchboard_id', type: 'string', unique: true },
  ]),
  defaultProperties: [
    'dealname',
    'amount',
    'dealstage',
    'pipeline',
    'closedate',
    'createdate',
    'hs_lastmodifieddate',
    'hs_object_id',
  ],
  alwaysProperties: ['createdate', 'hs_lastmodifieddate', 'hs_object_id'],
  modifiedProperty: 'hs_lastmodifieddate',
  createdProperty: 'createdate',
  queryProperties: ['dealname', 'description'],
};

/** Notes (an activity object): https://developers.hubspot.com/docs/api/crm/notes */
export const NOTES: ObjectTypeDef = {
  type: 'notes',
  singular: 'note',
  objectTypeId: '0-46',
  errorName: 'NOTE',
  properties: defs([
    { name: 'hs_note_body', type: 'string' },
    { name: 'hs_timestamp', type: 'datetime' },
    { name: 'hubspot_owner_id', type: 'string' },
    { name: 'hs_attachment_ids', type: 'string' },
    { name: 'hs_createdate', type: 'datetime', readOnly: true },
    { name: 'hs_lastmodifieddate', type: 'datetime', readOnly: true },
    { name: 'hs_object_id', type: 'number', readOnly: true },
    // Custom property of this portal: the hub's idempotency key, so a retried write finds its note.
    { name: 'switchboard_idempotency_key', type: 'string', unique: true },
  ]),
  defaultProperties: ['hs_createdate', 'hs_lastmodifieddate', 'hs_object_id'],
  alwaysProperties: ['hs_createdate', 'hs_lastmodifieddate', 'hs_object_id'],
  modifiedProperty: 'hs_lastmodifieddate',
  createdProperty: 'hs_createdate',
  requiredOnCreate: ['hs_timestamp'],
  queryProperties: ['hs_note_body'],
};

export const OBJECT_TYPES: Record<ObjectType, ObjectTypeDef> = {
  contacts: CONTACTS,
  deals: DEALS,
  notes: NOTES,
};

/** `contacts`, `contact` and `0-1` all name the contact type in paths and `associations=`. */
export function resolveObjectType(name: string): ObjectTypeDef | undefined {
  const n = name.toLowerCase();
  if (n === 'contacts' || n === 'contact' || n === '0-1') return CONTACTS;
  if (n === 'deals' || n === 'deal' || n === '0-3') return DEALS;
  if (n === 'notes' || n === 'note' || n === '0-46') return NOTES;
  return undefined;
}

/**
 * HubSpot-defined association type ids (v4 associations API / `associations` on create):
 * 3 = deal to contact, 4 = contact to deal, 202 = note to contact, 201 = contact to note, 214 =
 * note to deal, 213 = deal to note. Labels are the v3 read `type` names.
 * https://developers.hubspot.com/docs/api/crm/associations#association-type-id-values
 */
export const ASSOCIATION_TYPES: Record<number, { from: ObjectType; to: ObjectType; label: string }> = {
  3: { from: 'deals', to: 'contacts', label: 'deal_to_contact' },
  4: { from: 'contacts', to: 'deals', label: 'contact_to_deal' },
  201: { from: 'contacts', to: 'notes', label: 'contact_to_note' },
  202: { from: 'notes', to: 'contacts', label: 'note_to_contact' },
  213: { from: 'deals', to: 'notes', label: 'deal_to_note' },
  214: { from: 'notes', to: 'deals', label: 'note_to_deal' },
};

/** The HubSpot-defined type id of associations from one object type to another. */
export function associationTypeId(from: ObjectType, to: ObjectType): number | undefined {
  const found = Object.entries(ASSOCIATION_TYPES).find(([, t]) => t.from === from && t.to === to);
  return found ? Number(found[0]) : undefined;
}

export const associationLabel = (from: ObjectType, to: ObjectType): string =>
  `${OBJECT_TYPES[from].singular}_to_${OBJECT_TYPES[to].singular}`;
