import type { CrmContact, CrmStage } from '../../src/domain/model.ts';
import { createReader } from '../../src/upstream/validate.ts';

/** A contact as HubSpot's CRM v3 objects API returns it. */
export interface HubspotContact {
  id: string;
  properties: Record<string, string | null>;
  createdAt?: string;
  updatedAt?: string;
  archived?: boolean;
}

/** The contact properties the hub reads; HubSpot returns only those asked for. */
export const CONTACT_PROPERTIES = [
  'email',
  'firstname',
  'lastname',
  'phone',
  'company',
  'lifecyclestage',
  'createdate',
  'lastmodifieddate',
] as const;

const read = createReader('hubspot');

/** HubSpot's default lifecycle stages before a purchase: such contacts are expected in the CRM only. */
const PRE_SALE_STAGES = new Set([
  'subscriber',
  'lead',
  'marketingqualifiedlead',
  'salesqualifiedlead',
  'opportunity',
]);

/**
 * HubSpot's default lifecycle stages in their order. A contact only moves forward along it (HubSpot
 * ignores an API write of an earlier stage); `other` and a portal's custom stages have no place in
 * it. https://knowledge.hubspot.com/object-settings/create-and-customize-lifecycle-stages
 */
const STAGE_ORDER = [
  'subscriber',
  'lead',
  'marketingqualifiedlead',
  'salesqualifiedlead',
  'opportunity',
  'customer',
  'evangelist',
] as const;

/** The hub's stages as HubSpot's default lifecycle stage values. */
export const HUBSPOT_STAGE: Record<CrmStage, (typeof STAGE_ORDER)[number]> = {
  LEAD: 'lead',
  OPPORTUNITY: 'opportunity',
  CUSTOMER: 'customer',
};

/**
 * Whether writing `target` moves a contact on from `current`: yes from no stage or an earlier
 * default one; never back, and never off `other` or a custom stage, whose place in the order the
 * hub does not know (a person set aside as `other` by hand stays there).
 */
export function movesOn(current: string | null, target: string): boolean {
  if (current === null || current === '') return true;
  const from = (STAGE_ORDER as readonly string[]).indexOf(current);
  const to = (STAGE_ORDER as readonly string[]).indexOf(target);
  return from !== -1 && to > from;
}

export function toCrmContact(raw: unknown, portalId: string | undefined): CrmContact {
  const contact = read.object(raw, 'contact');
  const id = read.string(contact, 'id', 'contact');
  const props = read.object(contact.properties ?? {}, `contact ${id}.properties`);
  const firstName = read.optionalString(props, 'firstname');
  const lastName = read.optionalString(props, 'lastname');
  const stage = read.optionalString(props, 'lifecyclestage');
  return {
    source: 'hubspot',
    externalId: id,
    email: read.optionalString(props, 'email'),
    firstName,
    lastName,
    name: [firstName, lastName].filter(Boolean).join(' ') || null,
    phone: read.optionalString(props, 'phone'),
    company: read.optionalString(props, 'company'),
    lifecycleStage: stage,
    preSale: stage !== null && PRE_SALE_STAGES.has(stage),
    createdAt: read.optionalDate(contact.createdAt ?? props.createdate),
    updatedAt: read.optionalDate(contact.updatedAt ?? props.lastmodifieddate),
    url: portalId ? `https://app.hubspot.com/contacts/${portalId}/record/0-1/${id}` : null,
  };
}

/** Contact properties the hub writes, by domain field. */
const WRITE_PROPERTY = {
  email: 'email',
  firstName: 'firstname',
  lastName: 'lastname',
  phone: 'phone',
  company: 'company',
} as const;

export interface ContactWrite {
  email?: string;
  firstName?: string;
  lastName?: string;
  phone?: string | null;
  company?: string | null;
}

/**
 * Domain fields to HubSpot contact properties. `clear: false` (upsert) leaves out null, undefined
 * and blank values, so an upsert never wipes what the CRM holds; `clear: true` (update) sends null
 * as `''`, which is how HubSpot clears a property, and leaves out only undefined.
 */
export function toContactProperties(input: ContactWrite, clear: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [field, property] of Object.entries(WRITE_PROPERTY)) {
    const value = input[field as keyof ContactWrite];
    if (value === undefined) continue;
    if (value === null || value.trim() === '') {
      if (clear) out[property] = '';
      continue;
    }
    out[property] = field === 'email' ? value.trim().toLowerCase() : value;
  }
  return out;
}

/**
 * A HubSpot `date` property value: the calendar day of `at` in `timeZone`, as `YYYY-MM-DD` (HubSpot
 * stores date properties as midnight UTC of that day and accepts the ISO date form).
 * https://developers.hubspot.com/docs/api/crm/properties#date-and-datetime-properties
 */
export function toHubspotDate(at: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(at);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}
