/**
 * The books as Xero's Accounting API shows them, for the end-to-end suite (`src/sandbox/books.ts`):
 * what really landed in Xero, not what the hub believes.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- test support: it maps untyped JSON from a real server into the typed BooksReader, where eslint.config.js allows `any` for that reason */
import type { SandboxEndpoint } from '../../../src/domain/source-module.ts';
import {
  tokenRequest,
  type BooksContact,
  type BooksInvoice,
  type BooksKit,
  type BooksReader,
} from '../../../src/sandbox/books.ts';

const TOKEN_PATH = '/connect/token';
const pence = (pounds: unknown) => Math.round(Number(pounds ?? 0) * 100);

const invoice = (i: any): BooksInvoice => ({
  id: i.InvoiceID,
  number: i.InvoiceNumber ?? null,
  status: i.Status,
  total: pence(i.Total),
  amountDue: pence(i.AmountDue),
  contactId: i.Contact?.ContactID ?? null,
  reference: i.Reference || null,
});

const contact = (c: any): BooksContact => ({ id: c.ContactID, email: c.EmailAddress || null, name: c.Name });

/** Through a custom connection's token (client credentials), so the hub's grant is not spent. */
function reader(xero: SandboxEndpoint): BooksReader {
  let token: string | undefined;
  // https://developer.xero.com/documentation/api/accounting/overview
  const get = async (path: string, headers: Record<string, string> = {}) => {
    if (!token) {
      const res = await tokenRequest(xero, TOKEN_PATH, { grant_type: 'client_credentials' });
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
  const where = (clause: string) => encodeURIComponent(clause);
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
      ((await get(`/Invoices?page=1&where=${where(`Reference=="${reference}"`)}`)).Invoices as any[]).map(
        invoice,
      ),
    accountingContactsByEmail: async (email) =>
      ((await get(`/Contacts?where=${where(`EmailAddress=="${email}"`)}`)).Contacts as any[]).map(contact),
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

export const books: BooksKit = {
  reader,
  tokenPath: TOKEN_PATH,
  unknownId: '00000000-0000-4000-8000-000000000000',
  // Xero keeps a replaced refresh token working for a grace period, so it is revoked; Xero revokes
  // just that token, not the grant the hub rotated it into.
  // https://developer.xero.com/documentation/guides/oauth2/auth-flow/#revoking-tokens
  retireConfiguredRefreshToken: async (xero) => {
    const res = await tokenRequest(xero, '/connect/revocation', { token: xero.credentials.refreshToken! });
    if (res.status !== 200) throw new Error(`Xero revocation answered ${res.status}`);
  },
};
