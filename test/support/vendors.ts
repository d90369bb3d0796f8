import type { SandboxEndpoints } from '../../src/sources.ts';

/**
 * Reads each vendor's data through the sandbox's own API (as the vendor's UI or SDK would show it),
 * so write tests check what really landed in each system, not what the hub believes. Takes the
 * sandboxes in this process (`startSandboxes`) or in child processes (`startSandboxProcess`).
 */
export function vendorApis(sandboxes: SandboxEndpoints) {
  const { payments: stripe, crm: hubspot, calendar: googleCalendar, accounting: xero } = sandboxes;
  let xeroToken: string | undefined;
  const json = async (res: Response) => ({
    status: res.status,
    body: (await res.json().catch(() => null)) as any,
  });

  const xeroGet = async (path: string, headers: Record<string, string> = {}) => {
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
          ...headers,
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

  /** Every page of a Stripe search (`/v1/<resource>/search`). */
  const stripeSearchAll = async (resource: string, query: string) => {
    const all: any[] = [];
    let page: string | undefined;
    do {
      const { status, body } = await stripeGet(
        `/v1/${resource}/search?limit=100&query=${encodeURIComponent(query)}${page ? `&page=${encodeURIComponent(page)}` : ''}`,
      );
      if (status !== 200) throw new Error(`Stripe ${resource} search "${query}" answered ${status}`);
      all.push(...body.data);
      page = body.has_more ? body.next_page : undefined;
    } while (page);
    return all;
  };

  return {
    /** Stripe customers created at or after `since` (Stripe's `created` is in whole seconds). */
    stripeCustomersCreatedSince: (since: Date) =>
      stripeSearchAll('customers', `created>=${Math.floor(since.getTime() / 1000)}`),
    /** Stripe payment intents created at or after `since`. */
    stripePaymentIntentsCreatedSince: (since: Date) =>
      stripeSearchAll('payment_intents', `created>=${Math.floor(since.getTime() / 1000)}`),
    /** HubSpot contacts created at or after `since`, with their email. */
    hubspotContactsCreatedSince: async (since: Date) => {
      const all: any[] = [];
      let after: string | undefined;
      do {
        const res = await fetch(`${hubspot.url}/crm/v3/objects/contacts/search`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${hubspot.credentials.accessToken}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify({
            filterGroups: [
              { filters: [{ propertyName: 'createdate', operator: 'GTE', value: String(since.getTime()) }] },
            ],
            properties: ['email', 'createdate'],
            limit: 200,
            ...(after ? { after } : {}),
          }),
        });
        if (res.status !== 200) throw new Error(`HubSpot contact search answered ${res.status}`);
        const body = (await res.json()) as { results: any[]; paging?: { next?: { after: string } } };
        all.push(...body.results);
        after = body.paging?.next?.after;
      } while (after);
      return all;
    },
    /** Xero contacts changed after `since` (If-Modified-Since), archived ones included. */
    xeroContactsModifiedSince: async (since: Date) =>
      (
        (await xeroGet('/Contacts?includeArchived=true', { 'if-modified-since': since.toISOString() }))
          .body as { Contacts: any[] }
      ).Contacts,
    /** Xero invoices changed after `since` (If-Modified-Since), in every status. */
    xeroInvoicesModifiedSince: async (since: Date) =>
      (
        (await xeroGet('/Invoices', { 'if-modified-since': since.toISOString() })).body as {
          Invoices: any[];
        }
      ).Invoices,
    /** Google events changed at or after `since`, cancelled ones included (`updatedMin`). */
    googleEventsUpdatedSince: async (since: Date) => {
      const all: any[] = [];
      let pageToken: string | undefined;
      do {
        const { status, body } = await googleGet(
          `/events?maxResults=2500&showDeleted=true&updatedMin=${encodeURIComponent(since.toISOString())}${pageToken ? `&pageToken=${encodeURIComponent(pageToken)}` : ''}`,
        );
        if (status !== 200) throw new Error(`Google events list answered ${status}`);
        all.push(...body.items);
        pageToken = body.nextPageToken;
      } while (pageToken);
      return all;
    },
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
