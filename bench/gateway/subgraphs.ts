/**
 * The Mesh side of the "gateway" benchmark, composed as a GraphQL Mesh user would: one JSON Schema
 * source per vendor (`@omnigraph/json-schema`) describing just the REST operations the customer-360
 * page needs, composed by `@graphql-mesh/compose-cli` into a supergraph that Hive Gateway serves.
 * Credentials are not written into the supergraph: its operation headers read them from the
 * gateway's environment (`{env.…}`), as Mesh's docs suggest.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { getComposedSchemaFromConfig, type MeshComposeCLIConfig } from '@graphql-mesh/compose-cli';
import { loadJSONSchemaSubgraph, type JSONSchemaOperationResponseConfig } from '@omnigraph/json-schema';
import type { SandboxEndpoints } from '../../src/sources.ts';

/** Contact properties both sides ask HubSpot for (Switchboard's `CONTACT_PROPERTIES`). */
export const HUBSPOT_PROPERTIES = ['email', 'firstname', 'lastname', 'phone', 'company'];

/** The environment the gateway process reads its vendor credentials from. */
export const CREDENTIAL_VARS = {
  hubspot: 'MESH_HUBSPOT_TOKEN',
  google: 'MESH_GOOGLE_TOKEN',
  stripe: 'MESH_STRIPE_KEY',
  xero: 'MESH_XERO_TOKEN',
  xeroTenant: 'MESH_XERO_TENANT',
} as const;

type JSONSchemaObject = Exclude<JSONSchemaOperationResponseConfig['responseSchema'], string | undefined>;

const bearer = (variable: string) => `Bearer {env.${variable}}`;

const str: JSONSchemaObject = { type: 'string' };
const int: JSONSchemaObject = { type: 'integer' };
const num: JSONSchemaObject = { type: 'number' };
const bool: JSONSchemaObject = { type: 'boolean' };
const object = (title: string, properties: Record<string, JSONSchemaObject>): JSONSchemaObject => ({
  title,
  type: 'object',
  properties,
});
const list = (items: JSONSchemaObject): JSONSchemaObject => ({ type: 'array', items });

const hubspotContact = object('HubSpotContact', {
  id: str,
  properties: object(
    'HubSpotContactProperties',
    Object.fromEntries(HUBSPOT_PROPERTIES.map((name) => [name, str])),
  ),
  createdAt: str,
  updatedAt: str,
  archived: bool,
});

const stripeCharge = object('StripeCharge', { id: str, amount: int, amount_refunded: int, refunded: bool });
const stripeCustomer = object('StripeCustomer', {
  id: str,
  email: str,
  name: str,
  phone: str,
  created: int,
});
const stripePaymentIntent = object('StripePaymentIntent', {
  id: str,
  customer: str,
  description: str,
  amount: int,
  amount_received: int,
  currency: str,
  status: str,
  created: int,
  latest_charge: stripeCharge,
});
const stripeSearch = (title: string, item: JSONSchemaObject) =>
  object(title, { object: str, data: list(item), has_more: bool, next_page: str, url: str });

const calendarTime = object('CalendarEventTime', { date: str, dateTime: str, timeZone: str });
const calendarEvent = object('CalendarEvent', {
  id: str,
  status: str,
  summary: str,
  start: calendarTime,
  end: calendarTime,
  attendees: list(object('CalendarAttendee', { email: str, responseStatus: str })),
});

const xeroContact = object('XeroContact', {
  ContactID: str,
  Name: str,
  FirstName: str,
  LastName: str,
  EmailAddress: str,
  ContactStatus: str,
});
const xeroInvoice = object('XeroInvoice', {
  InvoiceID: str,
  InvoiceNumber: str,
  Type: str,
  Status: str,
  Date: str,
  DueDate: str,
  Total: num,
  AmountDue: num,
  AmountPaid: num,
  CurrencyCode: str,
  Contact: object('XeroInvoiceContact', { ContactID: str, Name: str }),
});

/** The supergraph for the sandboxes at `endpoints`, written to `dir`; returns its path. */
export async function composeSupergraph(endpoints: SandboxEndpoints, dir: string): Promise<string> {
  const calendarId = endpoints.calendar.credentials.calendarId ?? 'primary';
  const config: MeshComposeCLIConfig = {
    subgraphs: [
      {
        sourceHandler: loadJSONSchemaSubgraph('HubSpot', {
          endpoint: endpoints.crm.url,
          operationHeaders: { authorization: bearer(CREDENTIAL_VARS.hubspot) },
          operations: [
            {
              // https://developers.hubspot.com/docs/api/crm/contacts (list: up to 100 a page, `paging.next.after`)
              type: 'Query',
              field: 'hubspotContacts',
              path: `/crm/v3/objects/contacts?properties=${HUBSPOT_PROPERTIES.join(',')}`,
              method: 'GET',
              argTypeMap: { limit: int, after: str },
              queryParamArgMap: { limit: 'limit', after: 'after' },
              responseSchema: object('HubSpotContactPage', {
                results: list(hubspotContact),
                paging: object('HubSpotPaging', {
                  next: object('HubSpotNextPage', { after: str, link: str }),
                }),
              }),
            },
          ],
        }),
      },
      {
        sourceHandler: loadJSONSchemaSubgraph('Stripe', {
          endpoint: endpoints.payments.url,
          operationHeaders: {
            authorization: bearer(CREDENTIAL_VARS.stripe),
            // The version Switchboard pins (sources/stripe/source.ts), so both read the same shapes.
            'stripe-version': '2026-10-28.endive',
          },
          operations: [
            {
              // https://docs.stripe.com/api/customers/search (at most 10 clauses; email match is case-insensitive)
              type: 'Query',
              field: 'stripeCustomerSearch',
              path: '/v1/customers/search?limit=100',
              method: 'GET',
              argTypeMap: { query: str },
              requiredArgs: ['query'],
              queryParamArgMap: { query: 'query' },
              responseSchema: stripeSearch('StripeCustomerSearchResult', stripeCustomer),
            },
            {
              // https://docs.stripe.com/api/payment_intents/search (with the latest charge expanded, for refunds)
              type: 'Query',
              field: 'stripePaymentIntentSearch',
              path: '/v1/payment_intents/search?limit=100&expand%5B%5D=data.latest_charge',
              method: 'GET',
              argTypeMap: { query: str },
              requiredArgs: ['query'],
              queryParamArgMap: { query: 'query' },
              responseSchema: stripeSearch('StripePaymentIntentSearchResult', stripePaymentIntent),
            },
          ],
        }),
      },
      {
        sourceHandler: loadJSONSchemaSubgraph('GoogleCalendar', {
          endpoint: endpoints.calendar.url,
          operationHeaders: { authorization: bearer(CREDENTIAL_VARS.google) },
          operations: [
            {
              // https://developers.google.com/calendar/api/v3/reference/events/list (2,500 a page at most)
              type: 'Query',
              field: 'calendarEvents',
              path: `/calendar/v3/calendars/${encodeURIComponent(calendarId)}/events?singleEvents=true`,
              method: 'GET',
              argTypeMap: {
                timeMin: str,
                timeMax: str,
                showDeleted: bool,
                maxResults: int,
                pageToken: str,
                fields: str,
              },
              queryParamArgMap: {
                timeMin: 'timeMin',
                timeMax: 'timeMax',
                showDeleted: 'showDeleted',
                maxResults: 'maxResults',
                pageToken: 'pageToken',
                fields: 'fields',
              },
              responseSchema: object('CalendarEventList', {
                timeZone: str,
                nextPageToken: str,
                items: list(calendarEvent),
              }),
            },
          ],
        }),
      },
      {
        sourceHandler: loadJSONSchemaSubgraph('Xero', {
          endpoint: `${endpoints.accounting.url}/api.xro/2.0`,
          operationHeaders: {
            authorization: bearer(CREDENTIAL_VARS.xero),
            'xero-tenant-id': `{env.${CREDENTIAL_VARS.xeroTenant}}`,
            accept: 'application/json',
          },
          operations: [
            {
              // https://developer.xero.com/documentation/api/accounting/contacts#get-contacts (`where`, `IDs`)
              type: 'Query',
              field: 'xeroContacts',
              path: '/Contacts',
              method: 'GET',
              argTypeMap: { where: str, IDs: str },
              queryParamArgMap: { where: 'where', IDs: 'IDs' },
              responseSchema: object('XeroContactList', { Contacts: list(xeroContact) }),
            },
            {
              // https://developer.xero.com/documentation/api/accounting/invoices#get-invoices (`ContactIDs`, `Statuses`)
              type: 'Query',
              field: 'xeroInvoices',
              path: '/Invoices',
              method: 'GET',
              argTypeMap: { ContactIDs: str, Statuses: str, where: str, order: str },
              queryParamArgMap: {
                ContactIDs: 'ContactIDs',
                Statuses: 'Statuses',
                where: 'where',
                order: 'order',
              },
              responseSchema: object('XeroInvoiceList', { Invoices: list(xeroInvoice) }),
            },
          ],
        }),
      },
    ],
  };
  const supergraph = await getComposedSchemaFromConfig(config, quietLogger);
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'supergraph.graphql');
  await writeFile(path, supergraph);
  return path;
}

/** Compose's progress lines would go to the benchmark's output; warnings and errors still do. */
const quietLogger = {
  log: () => {},
  debug: () => {},
  info: () => {},
  warn: (...args: unknown[]) => console.warn('mesh compose:', ...args),
  error: (...args: unknown[]) => console.error('mesh compose:', ...args),
  child() {
    return quietLogger;
  },
  addPrefix() {
    return quietLogger;
  },
};
