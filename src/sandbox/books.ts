/**
 * What tests need of an accounting sandbox beyond the hub's port: reading the books over the
 * vendor's own API, and making and retiring OAuth grants. Each accounting module's sandbox folder
 * implements it (`sources/<id>/sandbox/books.ts`, loaded through `SourceModule.sandbox.books`), so
 * the end-to-end suite runs unchanged with whichever adapter keeps the books.
 */
import type { SandboxEndpoint } from '../domain/source-module.ts';

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

export interface BooksKit {
  reader(sandbox: SandboxEndpoint): BooksReader;
  /** The OAuth token endpoint's path; it takes HTTP Basic client authentication. */
  tokenPath: string;
  /** A well-formed id of the books' kind that no record of theirs has. */
  unknownId: string;
  /**
   * Makes the refresh token the sandbox was started with unusable, without touching the connection
   * a hub has since rotated it into (vendors differ: see each implementation).
   */
  retireConfiguredRefreshToken(sandbox: SandboxEndpoint): Promise<void>;
}

/** POSTs a form to the sandbox's OAuth token endpoint with its client credentials. */
export function tokenRequest(
  sandbox: SandboxEndpoint,
  tokenPath: string,
  form: Record<string, string>,
): Promise<Response> {
  const { clientId, clientSecret } = sandbox.credentials;
  return fetch(`${sandbox.url}${tokenPath}`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: new URLSearchParams(form).toString(),
  });
}

/**
 * A new connection, as a second consent in the vendor's UI gives one: the sandbox's consent step
 * without a browser (`POST /__sandbox/authorize`), then the code exchange.
 */
export async function newGrant(
  sandbox: SandboxEndpoint,
  tokenPath: string,
): Promise<{ accessToken: string; refreshToken: string }> {
  const authorize = await fetch(`${sandbox.url}/__sandbox/authorize`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  if (!authorize.ok)
    throw new Error(
      `${sandbox.url}/__sandbox/authorize answered ${authorize.status}: ${await authorize.text()}`,
    );
  const { code } = (await authorize.json()) as { code: string };
  const res = await tokenRequest(sandbox, tokenPath, { grant_type: 'authorization_code', code });
  const body = (await res.json()) as { access_token?: string; refresh_token?: string };
  if (res.status !== 200 || !body.access_token || !body.refresh_token)
    throw new Error(
      `code exchange at ${sandbox.url}${tokenPath} answered ${res.status}: ${JSON.stringify(body)}`,
    );
  return { accessToken: body.access_token, refreshToken: body.refresh_token };
}
