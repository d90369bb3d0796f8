import type { AccountingInvoice, InvoiceStatus, PersonRecord } from '../../src/domain/model.ts';
import { normaliseEmail } from '../../src/domain/model.ts';
import { SourceError } from '../../src/domain/errors.ts';
import type { AccountingSource, CallOptions, InvoiceFilter, Page } from '../../src/domain/ports.ts';
import { createUpstreamClient, type Connected, type QueryValue } from '../../src/upstream/client.ts';
import { chunk, createReader } from '../../src/upstream/validate.ts';
import type { Metrics } from '../../src/observability/metrics.ts';
import type { UpstreamPolicy } from '../../src/upstream/policy.ts';
import { toXeroError } from './errors.ts';
import { createGate, type Gate } from '../../src/upstream/gate.ts';
import { contactUrl, invoiceUrl, toAccountingInvoice, toPersonRecord } from './mappers.ts';
import { createXeroWrites } from './writes.ts';

export interface XeroConfig {
  /** `https://api.xero.com` for the real Xero; the sandbox's URL otherwise. */
  baseUrl: string;
  /** The organisation (`xero-tenant-id`), from `GET /connections`. */
  tenantId: string;
  /** Asked before every request, so a rotating OAuth token provider plugs in here. */
  getAccessToken: () => Promise<string>;
  /** Called on a 401 that says the token is bad, so the provider forgets it and refreshes next time. */
  onUnauthorized?: () => void;
  /** Calls in flight at once; Xero allows 5 per tenant. */
  maxConcurrent?: number;
  /** Today, for the overdue filter (tests pin it to the seed's date). */
  now?: () => Date;
  timeoutMs?: number;
  metrics?: Metrics;
  /** Rate budget, circuit breaker and retries (src/upstream/policy.ts); none when absent. */
  policy?: UpstreamPolicy;
  /**
   * Code of the BANK account card payments are recorded to. Default `090` (the demo company's and the
   * sandbox's "Business Bank Account"); a real organisation sets its own (e.g. a Stripe clearing account).
   */
  paymentAccountCode?: string;
  /** Code of the REVENUE account invoice lines go to. Default `200` (Sales). */
  salesAccountCode?: string;
  /** Tax type of invoice lines, whose unit amounts include it. Default `OUTPUT2` (UK 20% VAT on income). */
  salesTaxType?: string;
}

export type XeroSource = AccountingSource & Connected;

const read = createReader('xero');
const API = '/api.xro/2.0';
/** GUIDs per `IDs=`/`ContactIDs=`: 50 keeps the URL near 2 KB, well inside what proxies accept. */
const ID_CHUNK = 50;
/** `EmailAddress=="…"` clauses per `where`: ~25 keeps the encoded URL at a similar length. */
const EMAIL_CHUNK = 25;
/** Xero's largest page; asking for `page` is also what makes invoice lists carry their LineItems. */
const PAGE_SIZE = 1000;
/** Xero's per-tenant limit on concurrent calls. */
const XERO_CONCURRENCY = 5;
/** Every status but DELETED: a deleted draft never existed as far as the customer is concerned. */
const LIVE_STATUSES: InvoiceStatus[] = ['DRAFT', 'SUBMITTED', 'AUTHORISED', 'PAID', 'VOIDED'];
/** Sales invoices only; ACCPAY bills share the endpoint. */
const SALES = 'Type=="ACCREC"';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface XeroPagination {
  page?: number;
  pageSize?: number;
  pageCount?: number;
  itemCount?: number;
}

interface ListPage {
  items: unknown[];
  pagination?: XeroPagination;
}

/** A string literal for Xero's `where` (Dynamic LINQ): quotes and backslashes escaped. */
const literal = (value: string) => `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

const notFound = (what: string, id: string, operation: string, why = 'deleted or never existed') =>
  new SourceError('xero', 'NOT_FOUND', `xero has no ${what} ${id} (${why})`, { status: 404, operation });

/**
 * Runs every chunk, in parallel, and remembers which keys sat in a chunk that failed, so one failed
 * request fails only its own keys (DataLoader's contract). Rejects only when every chunk failed:
 * then the whole call did.
 */
async function settleChunks<K>(chunks: K[][], run: (batch: K[]) => Promise<void>): Promise<Map<K, Error>> {
  const results = await Promise.allSettled(chunks.map(run));
  const failed = new Map<K, Error>();
  results.forEach((result, i) => {
    if (result.status === 'fulfilled') return;
    const error = result.reason instanceof Error ? result.reason : new Error(String(result.reason));
    for (const key of chunks[i] ?? []) failed.set(key, error);
  });
  const [first] = results;
  if (first?.status === 'rejected' && results.every((r) => r.status === 'rejected')) throw first.reason;
  return failed;
}

export function createXeroSource(config: XeroConfig): XeroSource {
  const client = createUpstreamClient({
    source: 'xero',
    baseUrl: config.baseUrl,
    headers: async () => ({
      authorization: `Bearer ${await config.getAccessToken()}`,
      'xero-tenant-id': config.tenantId,
      accept: 'application/json',
    }),
    toError: (response, operation) => {
      const error = toXeroError(response, operation);
      if (error.code === 'UNAUTHENTICATED') config.onUnauthorized?.();
      return error;
    },
    timeoutMs: config.timeoutMs,
    metrics: config.metrics,
    policy: config.policy,
  });
  // With a rate budget, its concurrency limit (which puts interactive calls first) replaces the gate.
  const gate: Gate = config.policy?.budget
    ? (task) => task()
    : createGate(config.maxConcurrent ?? XERO_CONCURRENCY);
  const today = config.now ?? (() => new Date());

  const listPage = async (
    operation: string,
    resource: 'Contacts' | 'Invoices',
    query: Record<string, QueryValue>,
    page: number,
    pageSize: number,
    signal?: AbortSignal,
  ): Promise<ListPage> => {
    const res = await gate(() =>
      client.request({
        operation,
        method: 'GET',
        path: `${API}/${resource}`,
        query: { ...query, page, pageSize },
        signal,
      }),
    );
    const body = read.object(res.body, `${resource} list`);
    const pagination =
      body.pagination === undefined || body.pagination === null
        ? undefined
        : (read.object(body.pagination, `${resource} list.pagination`) as XeroPagination);
    return { items: read.array(body[resource] ?? [], `${resource} list.${resource}`), pagination };
  };

  /**
   * Every page of a filtered list. Page 1 says how many pages there are, so the rest go out
   * together; without a pagination block the rule is Xero's own: a full page may have a successor.
   */
  const listAll = async (
    operation: string,
    resource: 'Contacts' | 'Invoices',
    query: Record<string, QueryValue>,
    signal?: AbortSignal,
  ): Promise<unknown[]> => {
    const first = await listPage(operation, resource, query, 1, PAGE_SIZE, signal);
    const pageCount = first.pagination?.pageCount;
    if (typeof pageCount === 'number') {
      const rest = await Promise.all(
        Array.from({ length: Math.max(0, pageCount - 1) }, (_, i) =>
          listPage(operation, resource, query, i + 2, PAGE_SIZE, signal),
        ),
      );
      return [first, ...rest].flatMap((p) => p.items);
    }
    const items = [...first.items];
    for (let page = 2, last = first; last.items.length >= PAGE_SIZE; page++) {
      last = await listPage(operation, resource, query, page, PAGE_SIZE, signal);
      items.push(...last.items);
    }
    return items;
  };

  /** Ids Xero would reject the whole request for (`IDs` must be GUIDs) fail alone instead. */
  const guids = (ids: readonly string[]) => [
    ...new Set(ids.filter((id) => GUID.test(id)).map((id) => id.toLowerCase())),
  ];

  const nextCursor = (page: number, pageSize: number, got: ListPage): string | undefined => {
    const pageCount = got.pagination?.pageCount;
    if (typeof pageCount === 'number') return page < pageCount ? String(page + 1) : undefined;
    return got.items.length >= pageSize ? String(page + 1) : undefined;
  };

  const pageFromCursor = (after: string | undefined, operation: string): number => {
    if (after === undefined) return 1;
    if (!/^\d+$/.test(after) || Number(after) < 1) {
      const message = `xero ${operation}: "${after}" is not a cursor this source issued`;
      throw new SourceError('xero', 'INVALID_REQUEST', message, { operation });
    }
    return Number(after);
  };

  const writes = createXeroWrites({
    client,
    gate,
    settings: {
      paymentAccountCode: config.paymentAccountCode ?? '090',
      salesAccountCode: config.salesAccountCode ?? '200',
      salesTaxType: config.salesTaxType ?? 'OUTPUT2',
    },
  });

  return {
    name: 'xero',
    client,
    ...writes,
    recordUrl: (kind, id) =>
      kind === 'customer' ? contactUrl(id) : kind === 'invoice' ? invoiceUrl(id) : null,

    async getContacts(ids, options: CallOptions = {}) {
      const found = new Map<string, PersonRecord>();
      const failed = await settleChunks(chunk(guids(ids), ID_CHUNK), async (batch) => {
        // https://developer.xero.com/documentation/api/accounting/contacts#get-contacts (IDs=…)
        // Archived contacts are still the person a link points at, so ask for them too.
        const items = await listAll(
          'contacts.list',
          'Contacts',
          { IDs: batch.join(','), includeArchived: true },
          options.signal,
        );
        for (const raw of items) {
          const contact = toPersonRecord(raw);
          found.set(contact.externalId.toLowerCase(), contact);
        }
      });
      return ids.map(
        (id) =>
          failed.get(id.toLowerCase()) ??
          found.get(id.toLowerCase()) ??
          notFound('contact', id, 'contacts.list'),
      );
    },

    async findContactsByEmail(emails, options: CallOptions = {}) {
      const wanted = [...new Set(emails.map(normaliseEmail).filter((e): e is string => e !== null))];
      const byEmail = new Map<string, PersonRecord[]>();
      const failed = await settleChunks(chunk(wanted, EMAIL_CHUNK), async (batch) => {
        // https://developer.xero.com/documentation/api/accounting/contacts (where, optimised filters)
        // EmailAddress is one of the fields Xero optimises `where` for, and Xero compares strings
        // case-insensitively (so does the sandbox), so no ToLower(), which the sandbox accepts but
        // which would turn an indexed lookup into a scan. Matches are grouped by normalised email here.
        const where = batch.map((email) => `EmailAddress==${literal(email)}`).join(' OR ');
        const items = await listAll('contacts.list', 'Contacts', { where }, options.signal);
        for (const raw of items) {
          const contact = toPersonRecord(raw);
          const key = normaliseEmail(contact.email);
          if (key) byEmail.set(key, [...(byEmail.get(key) ?? []), contact]);
        }
      });
      return emails.map((email) => {
        const key = normaliseEmail(email) ?? '';
        return failed.get(key) ?? byEmail.get(key) ?? [];
      });
    },

    async listContacts(after, options: CallOptions = {}): Promise<Page<PersonRecord>> {
      const page = pageFromCursor(after, 'contacts.list');
      // https://developer.xero.com/documentation/api/accounting/contacts#get-contacts (page, pageSize ≤ 1000)
      // Ordered by the immutable ContactID so renames do not move contacts between pages mid-backfill.
      const got = await listPage(
        'contacts.list',
        'Contacts',
        { order: 'ContactID ASC' },
        page,
        PAGE_SIZE,
        options.signal,
      );
      return { items: got.items.map(toPersonRecord), next: nextCursor(page, PAGE_SIZE, got) };
    },

    async listInvoicesByContact(contactIds, options: CallOptions = {}) {
      const byContact = new Map<string, AccountingInvoice[]>();
      const failed = await settleChunks(chunk(guids(contactIds), ID_CHUNK), async (batch) => {
        // https://developer.xero.com/documentation/api/accounting/invoices#get-invoices (ContactIDs=…, Statuses=…)
        const items = await listAll(
          'invoices.list',
          'Invoices',
          {
            ContactIDs: batch.join(','),
            Statuses: LIVE_STATUSES.join(','),
            where: SALES,
            order: 'Date DESC',
          },
          options.signal,
        );
        for (const raw of items) {
          if (read.object(raw, 'invoice').Type !== 'ACCREC') continue;
          const invoice = toAccountingInvoice(raw);
          const key = invoice.contactExternalId?.toLowerCase();
          if (key) byContact.set(key, [...(byContact.get(key) ?? []), invoice]);
        }
      });
      return contactIds.map((id) => failed.get(id.toLowerCase()) ?? byContact.get(id.toLowerCase()) ?? []);
    },

    async getInvoices(ids, options: CallOptions = {}) {
      const found = new Map<string, AccountingInvoice | Error>();
      const failed = await settleChunks(chunk(guids(ids), ID_CHUNK), async (batch) => {
        // https://developer.xero.com/documentation/api/accounting/invoices#get-invoices (IDs=…)
        const items = await listAll('invoices.list', 'Invoices', { IDs: batch.join(',') }, options.signal);
        for (const raw of items) {
          const record = read.object(raw, 'invoice');
          const id = read.string(record, 'InvoiceID', 'invoice');
          found.set(
            id.toLowerCase(),
            record.Type === 'ACCREC'
              ? toAccountingInvoice(record)
              : notFound('sales invoice', id, 'invoices.list', `it is a ${String(record.Type)} bill`),
          );
        }
      });
      return ids.map(
        (id) =>
          failed.get(id.toLowerCase()) ??
          found.get(id.toLowerCase()) ??
          notFound('invoice', id, 'invoices.list'),
      );
    },

    async listInvoices(filter: InvoiceFilter, first, after, options: CallOptions = {}) {
      const page = pageFromCursor(after, 'invoices.list');
      const pageSize = Math.min(Math.max(1, Math.floor(first)), 100);
      // Deleted invoices only when asked for by name, as in listInvoicesByContact.
      let statuses = filter.statuses ?? LIVE_STATUSES;
      const clauses = [SALES];
      if (filter.overdue) {
        // Only approved invoices can be overdue; a due date before today (UTC) has passed.
        statuses = statuses.filter((s) => s === 'AUTHORISED');
        const d = today();
        clauses.push(
          'AmountDue>0',
          `DueDate<DateTime(${d.getUTCFullYear()},${d.getUTCMonth() + 1},${d.getUTCDate()})`,
        );
      }
      if (statuses.length === 0) return { items: [], total: 0 };
      // https://developer.xero.com/documentation/api/accounting/invoices#get-invoices (page, pageSize, order, where)
      const got = await listPage(
        'invoices.list',
        'Invoices',
        { Statuses: statuses.join(','), where: clauses.join(' AND '), order: 'Date DESC' },
        page,
        pageSize,
        options.signal,
      );
      const itemCount = got.pagination?.itemCount;
      return {
        items: got.items
          .filter((raw) => read.object(raw, 'invoice').Type === 'ACCREC')
          .map(toAccountingInvoice),
        next: nextCursor(page, pageSize, got),
        ...(typeof itemCount === 'number' ? { total: itemCount } : {}),
      };
    },

    close: () => client.close(),
  };
}
