/**
 * The books as QuickBooks Online's Accounting API v3 shows them, for the end-to-end suite
 * (`src/sandbox/books.ts`): what really landed in QuickBooks, not what the hub believes.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- test support: it maps untyped JSON from a real server into the typed BooksReader, where eslint.config.js allows `any` for that reason */
import type { SandboxEndpoint } from '../../../src/domain/source-module.ts';
import {
  newGrant,
  type BooksContact,
  type BooksInvoice,
  type BooksKit,
  type BooksReader,
} from '../../../src/sandbox/books.ts';

const TOKEN_PATH = '/oauth2/v1/tokens/bearer';
const pence = (amount: unknown) => Math.round(Number(amount ?? 0) * 100);

/** A string literal of QBO's query language. */
const literal = (text: string) => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** QBO compares times at whole seconds. */
const seconds = (since: Date) =>
  new Date(Math.floor(since.getTime() / 1000) * 1000).toISOString().replace('.000', '');

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

/**
 * With an access token of a connection of its own: the hub's refresh token rotates on every use, and
 * QBO's old one stops working at once, so the reader must not spend it.
 */
function reader(qbo: SandboxEndpoint): BooksReader {
  let token: Promise<string> | undefined;
  const base = `${qbo.url}/v3/company/${qbo.credentials.realmId}`;
  const get = async (path: string): Promise<any> => {
    for (let attempt = 0; ; attempt++) {
      token ??= newGrant(qbo, TOKEN_PATH).then((g) => g.accessToken);
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
  /**
   * Every page of `select * from <entity> where …` (QBO answers at most 1,000 a page).
   * https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/data-queries
   */
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
  // Inactive customers only come back when the where clause names Active.
  const anyActive = 'Active in (true, false)';
  return {
    accountingInvoice: async (id) => {
      const [found] = await query('Invoice', `Id = ${literal(id)}`);
      return found ? invoice(found) : undefined;
    },
    accountingContact: async (id) => {
      const [found] = await query('Customer', `Id = ${literal(id)} and ${anyActive}`);
      return found ? contact(found) : undefined;
    },
    accountingInvoicesByReference: async (reference) =>
      (await query('Invoice', `PrivateNote = ${literal(reference)}`)).map(invoice),
    accountingContactsByEmail: async (email) =>
      (await query('Customer', `PrimaryEmailAddr = ${literal(email)} and ${anyActive}`)).map(contact),
    accountingInvoicesModifiedSince: async (since) =>
      (await query('Invoice', `MetaData.LastUpdatedTime >= ${literal(seconds(since))}`)).map(invoice),
    accountingContactsModifiedSince: async (since) =>
      (
        await query('Customer', `MetaData.LastUpdatedTime >= ${literal(seconds(since))} and ${anyActive}`)
      ).map(contact),
  };
}

export const books: BooksKit = {
  reader,
  tokenPath: TOKEN_PATH,
  unknownId: '999999999',
  // QuickBooks refuses a replaced refresh token at once, so the hub's first refresh already spent
  // the configured one. Revoking it would revoke the whole grant, the hub's current tokens with it.
  // https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/faq
  retireConfiguredRefreshToken: async () => {},
};
