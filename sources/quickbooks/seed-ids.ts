import type { SeedIds } from '../../src/domain/source-module.ts';
import { customerAt, type SeedBusiness } from '../../src/sandbox/seed/business.ts';

/**
 * The ids the QuickBooks sandbox gives the seed business's records, by seed key. QBO numbers ids
 * itself, so they cannot be carried in the seed like other vendors' ids; this follows the order in
 * which the sandbox loads the books (sandbox/state.ts `loadCompany`):
 * - customers: the seed customers the books hold (`customerAt(customer, 'xero')`), in seed order,
 *   numbered from 1;
 * - invoices: in seed order, those of customers in the books and not DRAFT (QBO has no drafts),
 *   numbered from 1 in the sequence transactions share: each invoice's seed payments take the ids
 *   right after it.
 */
export function quickbooksSeedIds(business: SeedBusiness): SeedIds {
  const people = new Map<string, string>();
  let nextNameId = 1;
  for (const customer of business.customers) {
    if (!customerAt(customer, 'xero')) continue;
    people.set(customer.key, String(nextNameId++));
  }
  const invoices = new Map<string, string>();
  let nextTxnId = 1;
  for (const invoice of business.invoices) {
    if (!people.has(invoice.customerKey) || invoice.status === 'DRAFT') continue;
    invoices.set(invoice.key, String(nextTxnId++));
    nextTxnId += invoice.payments.length;
  }
  return { people, invoices };
}
