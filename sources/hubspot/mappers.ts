import type { CrmContact } from '../../src/domain/model.ts';
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

export function toCrmContact(raw: unknown, portalId: string | undefined): CrmContact {
  const contact = read.object(raw, 'contact');
  const id = read.string(contact, 'id', 'contact');
  const props = read.object(contact.properties ?? {}, `contact ${id}.properties`);
  const firstName = read.optionalString(props, 'firstname');
  const lastName = read.optionalString(props, 'lastname');
  return {
    source: 'hubspot',
    externalId: id,
    email: read.optionalString(props, 'email'),
    firstName,
    lastName,
    name: [firstName, lastName].filter(Boolean).join(' ') || null,
    phone: read.optionalString(props, 'phone'),
    company: read.optionalString(props, 'company'),
    lifecycleStage: read.optionalString(props, 'lifecyclestage'),
    createdAt: read.optionalDate(contact.createdAt ?? props.createdate),
    updatedAt: read.optionalDate(contact.updatedAt ?? props.lastmodifieddate),
    url: portalId ? `https://app.hubspot.com/contacts/${portalId}/record/0-1/${id}` : null,
  };
}
