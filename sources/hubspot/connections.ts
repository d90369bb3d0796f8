import type { VendorConnections } from '../../src/domain/connections.ts';
import { HUBSPOT_LIMITS } from './limits.ts';
import { SUBSCRIPTIONS } from './webhooks.ts';

const CONTACTS_DOCS = 'https://developers.hubspot.com/docs/api/crm/contacts';
const NOTES_DOCS = 'https://developers.hubspot.com/docs/api/crm/notes';

/** How HubSpot connects (docs/CONNECTIONS.md); paths are checked against `toCrmContact`. */
export const hubspotConnections: VendorConnections<'crm'> = {
  records: {
    person: {
      externalId: 'id',
      email: 'properties.email',
      firstName: 'properties.firstname',
      lastName: 'properties.lastname',
      name: { from: ['properties.firstname', 'properties.lastname'], how: 'first and last name joined' },
      phone: 'properties.phone',
      company: 'properties.company',
      lifecycleStage: 'properties.lifecyclestage',
      preSale: { from: ['properties.lifecyclestage'], how: 'a stage before a purchase (lead, opportunity…)' },
      createdAt: { from: ['createdAt', 'properties.createdate'], how: 'the first present' },
      updatedAt: { from: ['updatedAt', 'properties.lastmodifieddate'], how: 'the first present' },
      url: { adapter: 'app.hubspot.com contact record, from the portal id and the contact id' },
    },
  },
  writes: {
    upsertContact: {
      requests: [
        { method: 'POST', path: '/crm/v3/objects/contacts/batch/upsert', docs: CONTACTS_DOCS },
        { method: 'GET', path: '/crm/v3/objects/contacts/{id}', docs: CONTACTS_DOCS },
        { method: 'PATCH', path: '/crm/v3/objects/contacts/{id}', docs: CONTACTS_DOCS },
      ],
      idempotency:
        'upsert keyed by email (a unique property); `switchboard_id` is unique too, so a retry updates the contact the first attempt made (no Idempotency-Key header exists); the contact is read back when the answer is partial, and `lifecyclestage` PATCHed only when the stage moves on',
    },
    updateContact: {
      requests: [
        { method: 'PATCH', path: '/crm/v3/objects/contacts/{id}', docs: CONTACTS_DOCS },
        { method: 'GET', path: '/crm/v3/objects/contacts/{id}', docs: CONTACTS_DOCS },
      ],
      idempotency:
        'a PATCH of absolute property values: repeating it changes nothing; `lifecyclestage` only when the stage moves on',
    },
    addNote: {
      requests: [
        { method: 'POST', path: '/crm/v3/objects/notes', docs: NOTES_DOCS },
        {
          method: 'GET',
          path: '/crm/v3/objects/notes/{key}?idProperty=switchboard_idempotency_key',
          docs: NOTES_DOCS,
        },
      ],
      idempotency:
        "the note carries the hub's idempotency key in `switchboard_idempotency_key`, a unique-value property: a repeat is refused with 409 and the first note is read by that key",
    },
  },
  webhooks: {
    subscription:
      "the app's webhook subscriptions (registered by the hub against the sandbox; set in HubSpot's app settings live); v3 signature with the client secret",
    events: [
      { event: 'contact.creation', changes: ['person'], flags: ['created'] },
      { event: 'contact.deletion', changes: ['person'], flags: ['deleted'] },
      {
        event: 'contact.propertyChange',
        changes: ['person'],
        note: `the property that changed; subscribed for ${SUBSCRIPTIONS.flatMap((s) => s.propertyName ?? []).join(', ')}`,
      },
      {
        event: 'contact.privacyDeletion',
        changes: ['person'],
        flags: ['deleted'],
        note: 'taken when sent; not subscribed',
      },
      { event: 'contact.restore', changes: ['person'], note: 'taken when sent; not subscribed' },
      {
        event: 'contact.merge',
        changes: ['person'],
        flags: ['deleted'],
        note: 'the surviving contact changed, the merged ones deleted (taken when sent; not subscribed)',
      },
    ],
  },
  limits: [{ when: 'private app, Free or Starter', limits: HUBSPOT_LIMITS }],
};
