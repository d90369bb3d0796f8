import type { BoundSandbox, SandboxEndpoints } from '../../src/sources.ts';
import { newBooksGrant } from './books.ts';

/** An invoice as the books show it, whichever vendor keeps them. Amounts in minor units. */
export interface BooksInvoice {
  id: string;
  number: string | null;
  status: 'DRAFT' | 'SUBMITTED' | 'AUTHORISED' | 'PAID' | 'VOIDED' | 'DELETED';
  total: number;
  amountDue: number;
  contactId: string | null;
  /** Where the hub keeps the payment it belongs to (Xero: `Reference`; QuickBooks: `PrivateNote`). */
  reference: string | null;
}

/** A contact (Xero) or customer (QuickBooks) in the books. */
export interface BooksContact {
  id: string;
  email: string | null;
  name: string;
}

/** Reads of the books, the same for every accounting vendor. */
export interface BooksReader {
  /** The invoice with this id; undefined when the books have none. */
  accountingInvoice(id: string): Promise<BooksInvoice | undefined>;
  /** The contact with this id, archived or inactive too; undefined when the books have none. */
  accountingContact(id: string): Promise<BooksContact | undefined>;
  /** Invoices whose payment reference is `reference`. */
  accountingInvoicesByReference(reference: string): Promise<BooksInvoice[]>;
  /** Contacts with this email address. */
  accountingContactsByEmail(email: string): Promise<BooksContact[]>;
  /** Invoices changed at or after `since`, in every status. */
  accountingInvoicesModifiedSince(since: Date): Promise<BooksInvoice[]>;
  /** Contacts changed at or after `since`, archived or inactive ones included. */
  accountingContactsModifiedSince(since: Date): Promise<BooksContact[]>;
}

const pence = (pounds: unknown) => Math.round(Number(pounds ?? 0) * 100);

/** Xero's Accounting API, through a custom connection's token (client credentials). */
function xeroBooks(xero: BoundSandbox): BooksReader {
  let token: string | undefined;
  const get = async (path: string, headers: Record<string, string> = {}) => {
    if (!token) {
      const res = await fetch(`${xero.url}/connect/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${xero.credentials.clientId}:${xero.credentials.clientSecret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ grant_type: 'client_credentials' }).toString(),
      });
      token = ((await res.json()) as { access_token: string }).access_token;
    }
    const res = await fetch(`${xero.url}/api.xro/2.0${path}`, {
      headers: {
        authorization: `Bearer ${token}`,
        'xero-tenant-id': xero.credentials.tenantId!,
        accept: 'application/json',
        ...headers,
      },
    });
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw new Error(`Xero GET ${path} answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as any;
  };
  const invoice = (i: any): BooksInvoice => ({
    id: i.InvoiceID,
    number: i.InvoiceNumber ?? null,
    status: i.Status,
    total: pence(i.Total),
    amountDue: pence(i.AmountDue),
    contactId: i.Contact?.ContactID ?? null,
    reference: i.Reference || null,
  });
  const contact = (c: any): BooksContact => ({
    id: c.ContactID,
    email: c.EmailAddress || null,
    name: c.Name,
  });
  return {
    accountingInvoice: async (id) => {
      const found = (await get(`/Invoices/${id}`))?.Invoices?.[0];
      return found ? invoice(found) : undefined;
    },
    accountingContact: async (id) => {
      const found = (await get(`/Contacts/${id}`))?.Contacts?.[0];
      return found ? contact(found) : undefined;
    },
    accountingInvoicesByReference: async (reference) =>
      (
        (await get(`/Invoices?page=1&where=${encodeURIComponent(`Reference=="${reference}"`)}`))
          .Invoices as any[]
      ).map(invoice),
    accountingContactsByEmail: async (email) =>
      (
        (await get(`/Contacts?where=${encodeURIComponent(`EmailAddress=="${email}"`)}`)).Contacts as any[]
      ).map(contact),
    // If-Modified-Since: Xero's own way to ask what changed.
    accountingInvoicesModifiedSince: async (since) =>
      ((await get('/Invoices', { 'if-modified-since': since.toISOString() })).Invoices as any[]).map(invoice),
    accountingContactsModifiedSince: async (since) =>
      (
        (await get('/Contacts?includeArchived=true', { 'if-modified-since': since.toISOString() }))
          .Contacts as any[]
      ).map(contact),
  };
}

/** A string literal of QBO's query language. */
const qboLiteral = (text: string) => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/**
 * QuickBooks Online's Accounting API v3, with an access token of a connection of its own (the
 * hub's refresh token rotates on every use, and QBO's old one stops working at once: the test must
 * not spend it).
 */
function quickbooksBooks(qbo: BoundSandbox): BooksReader {
  let token: Promise<string> | undefined;
  const base = `${qbo.url}/v3/company/${qbo.credentials.realmId}`;
  const get = async (path: string): Promise<any> => {
    for (let attempt = 0; ; attempt++) {
      token ??= newBooksGrant(qbo).then((g) => g.accessToken);
      const access = await token.catch((error: unknown) => {
        token = undefined;
        throw error;
      });
      const url = new URL(`${base}${path}`);
      url.searchParams.set('minorversion', '75');
      const res = await fetch(url, {
        headers: { authorization: `Bearer ${access}`, accept: 'application/json' },
      });
      // An access token lives an hour on the sandbox's clock, which a test may have moved on.
      if (res.status === 401 && attempt === 0) {
        token = undefined;
        continue;
      }
      if (res.status !== 200)
        throw new Error(`QuickBooks GET ${path} answered ${res.status}: ${await res.text()}`);
      return res.json();
    }
  };
  /** Every page of `select * from <entity> where …` (QBO answers at most 1,000 a page). */
  const query = async (entity: 'Invoice' | 'Customer', where: string) => {
    const all: any[] = [];
    for (let start = 1; ; start += 1000) {
      const statement = `select * from ${entity} where ${where} startposition ${start} maxresults 1000`;
      const page = ((await get(`/query?query=${encodeURIComponent(statement)}`)).QueryResponse?.[entity] ??
        []) as any[];
      all.push(...page);
      if (page.length < 1000) return all;
    }
  };
  const invoice = (i: any): BooksInvoice => {
    // QBO has no status member: a void zeroes the amounts and replaces the private note with "Voided".
    const voided = Number(i.TotalAmt) === 0 && /^voided\b/i.test(String(i.PrivateNote ?? '').trim());
    const total = pence(i.TotalAmt);
    const due = pence(i.Balance);
    return {
      id: i.Id,
      number: i.DocNumber ?? null,
      status: voided ? 'VOIDED' : due === 0 && total > 0 ? 'PAID' : 'AUTHORISED',
      total,
      amountDue: due,
      contactId: i.CustomerRef?.value ?? null,
      reference: voided ? null : i.PrivateNote || null,
    };
  };
  const contact = (c: any): BooksContact => ({
    id: c.Id,
    email: c.PrimaryEmailAddr?.Address || null,
    name: c.DisplayName,
  });
  // QBO compares times at whole seconds.
  const secondsOf = (since: Date) =>
    new Date(Math.floor(since.getTime() / 1000) * 1000).toISOString().replace('.000', '');
  return {
    accountingInvoice: async (id) => {
      const res = await get(
        `/query?query=${encodeURIComponent(`select * from Invoice where Id = ${qboLiteral(id)}`)}`,
      );
      const found = res.QueryResponse?.Invoice?.[0];
      return found ? invoice(found) : undefined;
    },
    accountingContact: async (id) => {
      const [found] = await query('Customer', `Id = ${qboLiteral(id)} and Active in (true, false)`);
      return found ? contact(found) : undefined;
    },
    accountingInvoicesByReference: async (reference) =>
      (await query('Invoice', `PrivateNote = ${qboLiteral(reference)}`)).map(invoice),
    // Inactive customers only come back when the where clause names Active.
    accountingContactsByEmail: async (email) =>
      (await query('Customer', `PrimaryEmailAddr = ${qboLiteral(email)} and Active in (true, false)`)).map(
        contact,
      ),
    accountingInvoicesModifiedSince: async (since) =>
      (await query('Invoice', `MetaData.LastUpdatedTime >= ${qboLiteral(secondsOf(since))}`)).map(invoice),
    accountingContactsModifiedSince: async (since) =>
      (
        await query(
          'Customer',
          `MetaData.LastUpdatedTime >= ${qboLiteral(secondsOf(since))} and Active in (true, false)`,
        )
      ).map(contact),
  };
}

/** The reader for the books a sandbox keeps, by the system it stands in for. */
export function booksReader(sandbox: BoundSandbox): BooksReader {
  switch (sandbox.system) {
    case 'xero':
      return xeroBooks(sandbox);
    case 'quickbooks':
      return quickbooksBooks(sandbox);
    default:
      throw new Error(`no books reader for ${sandbox.system}`);
  }
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
