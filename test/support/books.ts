/**
 * The accounting role, whichever vendor plays it (`SWITCHBOARD_ACCOUNTING`): the ids the seed's
 * books have in the bound vendor's sandbox, where to inject a fault into one kind of its calls, and
 * OAuth grants of its own for a hub, all from the bound module (`SourceModule.sandbox`). Tests name
 * the books through these, never through one vendor, so a new accounting adapter needs no change here.
 */
import type { FaultTarget, Role } from '../../src/domain/source-module.ts';
import type { BoundSandbox } from '../../src/sources.ts';
import { customerAt, type SeedBusiness, type SeedCustomer } from '../../src/sandbox/seed/business.ts';
import { moduleById } from '../../sources/registry.ts';
import { newGrant, tokenRequest, type BooksKit } from '../../src/sandbox/books.ts';

function moduleOf(system: string) {
  const module = moduleById(system);
  if (!module) throw new Error(`no source module "${system}"`);
  return module;
}

/**
 * Whether the business keeps this customer in its books. The seed names its accounting copy of a
 * person `xero` (`SeedCustomer.variants`), and every accounting sandbox loads the books from it.
 */
export const inBooks = (customer: SeedCustomer) => customerAt(customer, 'xero') !== undefined;

/** The role each of the seed's per-vendor variants (`SeedCustomer.variants`, `mess` suffixes) stands for. */
export const VARIANT_ROLE: Readonly<Record<string, Role>> = {
  hubspot: 'crm',
  stripe: 'payments',
  xero: 'accounting',
  calendar: 'calendar',
};

/** The ids the seed's people and invoices have in the bound books (`SourceModule.sandbox.seedIds`). */
export function booksSeedIds(system: string, business: SeedBusiness) {
  const ids = moduleOf(system).sandbox.seedIds(business);
  const people = ids.people ?? new Map<string, string>();
  const invoices = ids.invoices ?? new Map<string, string>();
  return {
    people,
    invoices,
    /** The id of a seed customer's contact in the books (throws when the books do not hold them). */
    person(customerKey: string): string {
      const id = people.get(customerKey);
      if (id === undefined) throw new Error(`the ${system} books hold no contact for ${customerKey}`);
      return id;
    },
    /** The id of a seed invoice in the books (throws when the books do not hold it). */
    invoice(invoiceKey: string): string {
      const id = invoices.get(invoiceKey);
      if (id === undefined) throw new Error(`the ${system} books hold no invoice ${invoiceKey}`);
      return id;
    },
  };
}

/** What tests need of the bound books beyond the hub's port (`SourceModule.sandbox.books`). */
export async function booksKit(system: string): Promise<BooksKit> {
  const load = moduleOf(system).sandbox.books;
  if (!load) throw new Error(`the ${system} module has no sandbox/books.ts: it is not an accounting module`);
  return load();
}

/** A well-formed id of the books' kind that no record of theirs has. */
export const unknownBooksId = async (system: string): Promise<string> => (await booksKit(system)).unknownId;

/**
 * A fault selector (`POST /__sandbox/faults`) for one kind of call to the books: a port method
 * (`createContact`, `createInvoice`, …), `token` (the OAuth token endpoint) or `api` (every API call).
 */
export function booksFault(system: string, call: string): FaultTarget {
  const target = moduleOf(system).sandbox.faults[call];
  if (!target) throw new Error(`the ${system} module names no fault target for "${call}"`);
  return target;
}

/** Whether a request-log entry's operation and path fall under a fault selector. */
export const matchesFault = (target: FaultTarget, entry: { operation: string; path: string }) =>
  (target.operations === undefined || target.operations.includes(entry.operation)) &&
  (target.pathPrefix === undefined || entry.path.startsWith(target.pathPrefix));

/** POSTs a form to the books' OAuth token endpoint with the sandbox's client credentials. */
export async function booksTokenRequest(
  sandbox: BoundSandbox,
  form: Record<string, string>,
): Promise<Response> {
  return tokenRequest(sandbox, (await booksKit(sandbox.system)).tokenPath, form);
}

/** A new connection to the books, as a second consent in the vendor's UI gives one. */
export async function newBooksGrant(sandbox: BoundSandbox) {
  return newGrant(sandbox, (await booksKit(sandbox.system)).tokenPath);
}

/**
 * The sandboxes, with the books' refresh token replaced by one of a grant of its own. A refresh
 * token rotates on use, and QuickBooks' old one stops working at once (Xero's after a grace): every
 * hub a test starts on sandboxes that another hub (or workspace) already used needs its own
 * connection, as each deployment of the hub has. Everything else (URLs, faults) is shared.
 */
export async function withOwnBooksGrant<S extends { accounting: BoundSandbox }>(sandboxes: S): Promise<S> {
  const { refreshToken } = await newBooksGrant(sandboxes.accounting);
  return {
    ...sandboxes,
    accounting: {
      ...sandboxes.accounting,
      credentials: { ...sandboxes.accounting.credentials, refreshToken },
    },
  };
}

/**
 * Makes the refresh token a sandbox was started with unusable, without touching the connection a
 * hub has since rotated it into (`BooksKit.retireConfiguredRefreshToken`).
 */
export async function retireConfiguredRefreshToken(sandbox: BoundSandbox): Promise<void> {
  await (await booksKit(sandbox.system)).retireConfiguredRefreshToken(sandbox);
}
