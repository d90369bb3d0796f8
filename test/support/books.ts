/**
 * The accounting role, whichever vendor plays it (`SWITCHBOARD_ACCOUNTING`): the ids the seed's
 * books have in the bound vendor's sandbox, where to inject a fault into one kind of its calls, and
 * OAuth grants of its own for a hub. Tests name the books through these, not through one vendor.
 */
import type { FaultTarget, Role } from '../../src/domain/source-module.ts';
import type { BoundSandbox } from '../../src/sources.ts';
import { customerAt, type SeedBusiness, type SeedCustomer } from '../../src/sandbox/seed/business.ts';
import { moduleById } from '../../sources/registry.ts';
import { sandboxAction } from '../../harness/sandbox-admin.ts';

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

/** A well-formed id of the books' kind that no record of theirs has. */
export function unknownBooksId(system: string): string {
  const ids: Record<string, string> = {
    xero: '00000000-0000-4000-8000-000000000000',
    quickbooks: '999999999',
  };
  const id = ids[system];
  if (!id) throw new Error(`no unknown id known for ${system}`);
  return id;
}

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

/** The OAuth token endpoint of each accounting sandbox (both take HTTP Basic client authentication). */
const TOKEN_PATHS: Readonly<Record<string, string>> = {
  xero: '/connect/token',
  quickbooks: '/oauth2/v1/tokens/bearer',
};

/** POSTs a form to the books' OAuth token endpoint with the sandbox's client credentials. */
export function booksTokenRequest(sandbox: BoundSandbox, form: Record<string, string>): Promise<Response> {
  const path = TOKEN_PATHS[sandbox.system];
  if (!path) throw new Error(`no token endpoint known for ${sandbox.system}`);
  const { clientId, clientSecret } = sandbox.credentials;
  return fetch(`${sandbox.url}${path}`, {
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
 * A new connection to the books, as a second consent in the vendor's UI gives one: the sandbox's
 * consent step without a browser (`/__sandbox/authorize`), then the code exchange.
 */
export async function newBooksGrant(
  sandbox: BoundSandbox,
): Promise<{ accessToken: string; refreshToken: string }> {
  const { code } = (await sandboxAction(`${sandbox.url}/__sandbox/authorize`, {})) as { code: string };
  const res = await booksTokenRequest(sandbox, { grant_type: 'authorization_code', code });
  const body = (await res.json()) as { access_token?: string; refresh_token?: string };
  if (res.status !== 200 || !body.access_token || !body.refresh_token)
    throw new Error(`${sandbox.system} code exchange answered ${res.status}: ${JSON.stringify(body)}`);
  return { accessToken: body.access_token, refreshToken: body.refresh_token };
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
 * hub has since rotated it into. Xero keeps a replaced refresh token working for a grace period, so
 * it is revoked (Xero revokes just that token). QuickBooks refuses a replaced one at once, so the
 * hub's first refresh already spent it; revoking it there would revoke the whole grant, the hub's
 * current tokens with it.
 */
export async function retireConfiguredRefreshToken(sandbox: BoundSandbox): Promise<void> {
  const token = sandbox.credentials.refreshToken!;
  if (sandbox.system === 'xero') {
    const { clientId, clientSecret } = sandbox.credentials;
    const res = await fetch(`${sandbox.url}/connect/revocation`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token }).toString(),
    });
    if (res.status !== 200) throw new Error(`Xero revocation answered ${res.status}`);
  } else if (sandbox.system !== 'quickbooks') {
    throw new Error(`no way known to retire a ${sandbox.system} refresh token`);
  }
}
