import type { BoundSandbox, SandboxEndpoints } from '../../src/sources.ts';
import type { BooksReader } from '../../src/sandbox/books.ts';
import { booksKit } from './books.ts';

/**
 * The bound books' reader (`sources/<id>/sandbox/books.ts`), loaded on first use: reads the books over
 * the vendor's own API, whichever vendor keeps them.
 */
function booksReader(sandbox: BoundSandbox): BooksReader {
  let reader: Promise<BooksReader> | undefined;
  const read = () => (reader ??= booksKit(sandbox.system).then((kit) => kit.reader(sandbox)));
  return {
    accountingInvoice: async (id) => (await read()).accountingInvoice(id),
    accountingContact: async (id) => (await read()).accountingContact(id),
    accountingInvoicesByReference: async (reference) =>
      (await read()).accountingInvoicesByReference(reference),
    accountingContactsByEmail: async (email) => (await read()).accountingContactsByEmail(email),
    accountingInvoicesModifiedSince: async (since) => (await read()).accountingInvoicesModifiedSince(since),
    accountingContactsModifiedSince: async (since) => (await read()).accountingContactsModifiedSince(since),
  };
}

/**
 * Reads each vendor's data through the sandbox's own API (as the vendor's UI or SDK would show it),
 * so write tests check what really landed in each system, not what the hub believes. Takes the
 * sandboxes in this process (`startSandboxes`) or in child processes (`startSandboxProcess`). The
 * books are read through `accounting…` readers, whichever vendor keeps them.
 */
export function vendorApis(sandboxes: SandboxEndpoints) {
  const { payments: stripe, crm: hubspot, calendar: googleCalendar } = sandboxes;
  const json = async (res: Response) => ({
    status: res.status,
    body: (await res.json().catch(() => null)) as any,
  });

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
    ...booksReader(sandboxes.accounting),
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
    /** The bodies of the notes on a contact's timeline: the v4 association list, then each note. */
    hubspotNotes: async (contactId: string): Promise<string[]> => {
      const { body } = await hubspotGet(`/crm/v4/objects/contacts/${contactId}/associations/notes?limit=500`);
      const ids = ((body?.results ?? []) as Array<{ toObjectId: number | string }>).map((r) =>
        String(r.toObjectId),
      );
      const notes = await Promise.all(
        ids.map((id) => hubspotGet(`/crm/v3/objects/notes/${id}?properties=hs_note_body`)),
      );
      return notes.map((n) => String(n.body?.properties?.hs_note_body ?? ''));
    },
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
    googleEvent: (id: string) => googleGet(`/events/${id}`),
  };
}
