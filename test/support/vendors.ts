import type { Sandboxes } from '../../src/sandbox/start.ts';

/**
 * Reads each vendor's data through the sandbox's own API (as the vendor's UI or SDK would show it),
 * so write tests check what really landed in each system, not what the hub believes.
 */
export function vendorApis(sandboxes: Sandboxes) {
  const { stripe, hubspot, googleCalendar, xero } = sandboxes;
  let xeroToken: string | undefined;
  const json = async (res: Response) => ({
    status: res.status,
    body: (await res.json().catch(() => null)) as any,
  });

  const xeroGet = async (path: string) => {
    if (!xeroToken) {
      const res = await fetch(`${xero.url}/connect/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${xero.credentials.clientId}:${xero.credentials.clientSecret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ grant_type: 'client_credentials' }).toString(),
      });
      xeroToken = ((await res.json()) as { access_token: string }).access_token;
    }
    return json(
      await fetch(`${xero.url}/api.xro/2.0${path}`, {
        headers: {
          authorization: `Bearer ${xeroToken}`,
          'xero-tenant-id': xero.credentials.tenantId!,
          accept: 'application/json',
        },
      }),
    );
  };
  const stripeGet = async (path: string) =>
    json(
      await fetch(`${stripe.url}${path}`, {
        headers: { authorization: `Bearer ${stripe.credentials.apiKey}` },
      }),
    );
  const hubspotGet = async (path: string) =>
    json(
      await fetch(`${hubspot.url}${path}`, {
        headers: { authorization: `Bearer ${hubspot.credentials.accessToken}` },
      }),
    );
  const googleGet = async (path: string) =>
    json(
      await fetch(`${googleCalendar.url}/calendar/v3/calendars/primary${path}`, {
        headers: { authorization: `Bearer ${googleCalendar.credentials.accessToken}` },
      }),
    );

  return {
    hubspotContact: (email: string) =>
      hubspotGet(
        `/crm/v3/objects/contacts/${encodeURIComponent(email)}?idProperty=email&properties=email,firstname,lastname,phone,switchboard_id,next_booking_date`,
      ),
    hubspotContactsByEmail: async (email: string) => {
      const res = await fetch(`${hubspot.url}/crm/v3/objects/contacts/search`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${hubspot.credentials.accessToken}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          filterGroups: [{ filters: [{ propertyName: 'email', operator: 'EQ', value: email }] }],
        }),
      });
      return ((await res.json()) as { results: unknown[] }).results;
    },
    stripeCustomersByEmail: async (email: string) =>
      (
        (await stripeGet(`/v1/customers?limit=100&email=${encodeURIComponent(email)}`)).body as {
          data: any[];
        }
      ).data,
    stripePaymentIntent: (id: string) => stripeGet(`/v1/payment_intents/${id}?expand[]=latest_charge`),
    stripePaymentIntentsSearch: async (query: string) =>
      (
        (await stripeGet(`/v1/payment_intents/search?limit=100&query=${encodeURIComponent(query)}`)).body as {
          data: any[];
        }
      ).data,
    xeroContactsByEmail: async (email: string) =>
      (
        (await xeroGet(`/Contacts?where=${encodeURIComponent(`EmailAddress=="${email}"`)}`)).body as {
          Contacts: any[];
        }
      ).Contacts,
    xeroInvoice: async (id: string) =>
      ((await xeroGet(`/Invoices/${id}`)).body as { Invoices: any[] }).Invoices[0],
    xeroInvoicesByReference: async (reference: string) =>
      (
        (await xeroGet(`/Invoices?page=1&where=${encodeURIComponent(`Reference=="${reference}"`)}`)).body as {
          Invoices: any[];
        }
      ).Invoices,
    googleEvent: (id: string) => googleGet(`/events/${id}`),
  };
}
