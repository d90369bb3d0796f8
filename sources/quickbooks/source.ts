import type { AccountingInvoice, InvoiceStatus, PersonRecord } from '../../src/domain/model.ts';
import { normaliseEmail } from '../../src/domain/model.ts';
import { SourceError } from '../../src/domain/errors.ts';
import type { AccountingSource, CallOptions, InvoiceFilter, Page } from '../../src/domain/ports.ts';
import { createUpstreamClient, type Connected } from '../../src/upstream/client.ts';
import { chunk, createReader } from '../../src/upstream/validate.ts';
import type { Metrics } from '../../src/observability/metrics.ts';
import type { UpstreamPolicy } from '../../src/upstream/policy.ts';
import type { InboxEventInput } from '../../src/webhooks/types.ts';
import { createQuickbooksApi, literal, literals, MAX_BATCH_ITEMS, MAX_RESULTS } from './api.ts';
import { cdcEvents } from './cdc.ts';
import { STALE_OBJECT, toQuickbooksError } from './errors.ts';
import { createGate, type Gate } from '../../src/upstream/gate.ts';
import {
  customerUrl,
  invoiceUrl,
  linkedPaymentIds,
  toAccountingInvoice,
  toAppliedPayment,
  toPersonRecord,
  type AppliedPayment,
  type MapOptions,
} from './mappers.ts';
import { createQuickbooksWrites } from './writes.ts';

export interface QuickbooksConfig {
  /** The API's origin: `https://quickbooks.api.intuit.com` (a sandbox company: `https://sandbox-quickbooks.api.intuit.com`). */
  baseUrl: string;
  /** The company (realm) the token was issued for. */
  realmId: string;
  /** Asked before every request, so a rotating OAuth token provider plugs in here. */
  getAccessToken: () => Promise<string>;
  /** Called on a 401, so the provider forgets the token and refreshes next time. */
  onUnauthorized?: () => void;
  /** QuickBooks' web app, for record links. Default `https://app.qbo.intuit.com`. */
  appUrl?: string;
  /** The company's home currency, for records that name none. Default GBP (the sandbox company's). */
  homeCurrency?: string;
  /** Default 75: since August 2025 QBO answers anything lower as 75. */
  minorVersion?: number;
  /** Calls in flight at once without a rate budget; QBO allows 10 per company. */
  maxConcurrent?: number;
  /** Today, for the overdue filter (tests pin it). */
  now?: () => Date;
  /** Whose calendar "today" is in, for the overdue filter. Default UTC. */
  timeZone?: string;
  /** Name of the service Item invoice lines are sold as. Default `Services` (in every new QBO company). */
  salesItemName?: string;
  /** Tax code of invoice lines. Default `2` (20.0% S, a UK company's standard VAT rate). */
  salesTaxCode?: string;
  /** That code's rate in percent, to take it out of tax-inclusive unit amounts. Default 20. */
  salesTaxRate?: number;
  timeoutMs?: number;
  metrics?: Metrics;
  /** Rate budget, circuit breaker and retries (src/upstream/policy.ts); none when absent. */
  policy?: UpstreamPolicy;
}

export type QuickbooksSource = AccountingSource &
  Connected & {
    /** Change data capture since then, as the inbox events the webhooks would have brought (cdc.ts). */
    changeEvents(since: Date, options?: CallOptions): Promise<InboxEventInput[]>;
  };

const read = createReader('quickbooks');
/** Ids per `Id IN (…)`: the statement is POSTed, so this keeps queries modest, not URLs short. */
const ID_CHUNK = 100;
const ORDER = 'ORDERBY TxnDate DESC, Id DESC';
const NUMERIC_ID = /^\d+$/;

type QboStatus = Extract<InvoiceStatus, 'AUTHORISED' | 'PAID' | 'VOIDED'>;

/**
 * Where-clauses for each status QBO can hold (see `invoiceStatus` in mappers.ts). A zero-value
 * invoice that was not voided is AUTHORISED by that mapping but meets none of these: it shows up only
 * when no status is asked for.
 */
const STATUS_CLAUSES: Record<QboStatus, string[]> = {
  AUTHORISED: ['Balance > 0'],
  PAID: ['Balance = 0', 'TotalAmt > 0'],
  VOIDED: ['TotalAmt = 0', `PrivateNote LIKE ${literal('Voided%')}`],
};
const QBO_STATUSES = Object.keys(STATUS_CLAUSES) as QboStatus[];

const notFound = (what: string, id: string, operation: string) =>
  new SourceError('quickbooks', 'NOT_FOUND', `quickbooks has no ${what} ${id} (deleted or never existed)`, {
    status: 400,
    vendorCode: '610',
    operation,
  });

const badCursor = (operation: string, after: string) =>
  new SourceError(
    'quickbooks',
    'INVALID_REQUEST',
    `quickbooks ${operation}: "${after}" is not a cursor this source issued`,
    {
      operation,
    },
  );

/**
 * Runs every chunk in parallel and remembers which keys sat in a chunk that failed, so one failed
 * request fails only its own keys (DataLoader's contract). Rejects only when every chunk failed.
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

/** Newest first: TxnDate, then Id (QBO's order for the queries below). */
function newestFirst(a: unknown, b: unknown): number {
  const x = read.object(a, 'invoice');
  const y = read.object(b, 'invoice');
  const dx = read.optionalString(x, 'TxnDate') ?? '';
  const dy = read.optionalString(y, 'TxnDate') ?? '';
  if (dx !== dy) return dx < dy ? 1 : -1;
  return Number(read.optionalString(y, 'Id') ?? 0) - Number(read.optionalString(x, 'Id') ?? 0);
}

/** The calendar date in a zone (`2026-11-23`). */
function dateIn(date: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(date);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${part('year')}-${part('month')}-${part('day')}`;
}

export function createQuickbooksSource(config: QuickbooksConfig): QuickbooksSource {
  const { realmId } = config;
  const client = createUpstreamClient({
    source: 'quickbooks',
    baseUrl: config.baseUrl,
    headers: async () => ({
      authorization: `Bearer ${await config.getAccessToken()}`,
      accept: 'application/json',
    }),
    toError: (response, operation) => {
      const error = toQuickbooksError(response, operation, realmId);
      if (error.code === 'UNAUTHENTICATED') config.onUnauthorized?.();
      // The same request again carries the same SyncToken (and a requestid QBO replays): only a
      // re-read can help, which the writes do themselves, so the client must not resend it.
      if (error.vendorCode === STALE_OBJECT) {
        return new SourceError(error.source, error.code, error.message, {
          status: error.status,
          vendorCode: error.vendorCode,
          operation: error.operation,
          retryable: false,
        });
      }
      return error;
    },
    timeoutMs: config.timeoutMs,
    metrics: config.metrics,
    policy: config.policy,
  });
  // With a rate budget, its concurrency limit (which puts interactive calls first) replaces the gate.
  const gate: Gate = config.policy?.budget ? (task) => task() : createGate(config.maxConcurrent ?? 10);
  const api = createQuickbooksApi({ client, realmId, minorVersion: config.minorVersion ?? 75, gate });
  const mapOptions: MapOptions = {
    appUrl: (config.appUrl ?? 'https://app.qbo.intuit.com').replace(/\/+$/, ''),
    homeCurrency: (config.homeCurrency ?? 'GBP').toUpperCase(),
  };
  const today = () => dateIn(config.now?.() ?? new Date(), config.timeZone ?? 'UTC');
  const person = (raw: unknown) => toPersonRecord(raw, mapOptions);

  /**
   * Invoices with their payments: the Payment records their LinkedTxn names are read in one query
   * per hundred payments for the whole set (an invoice names payments, not what each paid).
   */
  const withPayments = async (raws: unknown[], signal?: AbortSignal): Promise<AccountingInvoice[]> => {
    const ids = [...new Set(raws.flatMap(linkedPaymentIds))].filter((id) => NUMERIC_ID.test(id));
    const payments = new Map<string, AppliedPayment>();
    await Promise.all(
      chunk(ids, ID_CHUNK).map(async (batch) => {
        // https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/payment#query-a-payment
        const records = await api.query(
          `SELECT * FROM Payment WHERE Id IN (${literals(batch)}) MAXRESULTS ${MAX_RESULTS}`,
          'Payment',
          'payments.query',
          signal,
        );
        for (const raw of records) {
          const payment = toAppliedPayment(raw);
          payments.set(payment.id, payment);
        }
      }),
    );
    return raws.map((raw) => toAccountingInvoice(raw, payments, mapOptions));
  };

  /** Ids QBO could hold (numeric strings), once each; others fail alone instead of the query. */
  const numericIds = (ids: readonly string[]) => [
    ...new Set(ids.map((id) => id.trim()).filter((id) => NUMERIC_ID.test(id))),
  ];

  const writes = createQuickbooksWrites({
    api,
    person,
    invoices: withPayments,
    settings: {
      salesItemName: config.salesItemName ?? 'Services',
      salesTaxCode: config.salesTaxCode ?? '2',
      salesTaxRate: config.salesTaxRate ?? 20,
      homeCurrency: mapOptions.homeCurrency,
    },
  });

  return {
    name: 'quickbooks',
    client,
    ...writes,
    recordUrl: (kind, id) =>
      kind === 'customer'
        ? customerUrl(mapOptions.appUrl, id)
        : kind === 'invoice'
          ? invoiceUrl(mapOptions.appUrl, id)
          : null,

    async getContacts(ids, options: CallOptions = {}) {
      const found = new Map<string, PersonRecord>();
      const failed = await settleChunks(chunk(numericIds(ids), ID_CHUNK), async (batch) => {
        // https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/customer#query-a-customer
        // Inactive customers (QBO's deleted ones) are still the person a link points at: naming
        // `Active` is what brings them back into a query.
        const records = await api.query(
          `SELECT * FROM Customer WHERE Id IN (${literals(batch)}) AND Active IN (true, false) MAXRESULTS ${MAX_RESULTS}`,
          'Customer',
          'customers.query',
          options.signal,
        );
        for (const raw of records) {
          const customer = person(raw);
          found.set(customer.externalId, customer);
        }
      });
      return ids.map((id) => {
        const key = id.trim();
        return failed.get(key) ?? found.get(key) ?? notFound('customer', id, 'customers.query');
      });
    },

    async findContactsByEmail(emails, options: CallOptions = {}) {
      const wanted = [...new Set(emails.map(normaliseEmail).filter((e): e is string => e !== null))];
      const byEmail = new Map<string, PersonRecord[]>();
      const failed = new Map<string, Error>();
      // QBO compares strings case-insensitively but keeps the spaces a bookkeeper typed around an
      // address, so `=` would miss " amelia@example.com ": LIKE '%…%' finds it, and only records
      // whose address normalises to the one asked for are kept. There is no OR, so it is one
      // statement per email: a single one is a plain query, more go 30 to a batch request.
      const statement = (email: string) =>
        `SELECT * FROM Customer WHERE PrimaryEmailAddr LIKE ${literal(`%${email}%`)} MAXRESULTS ${MAX_RESULTS}`;
      const keep = (email: string, records: unknown[]) => {
        const matches = records.map(person).filter((c) => normaliseEmail(c.email) === email);
        byEmail.set(email, matches);
      };
      if (wanted.length === 1) {
        const [email] = wanted as [string];
        // https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/data-queries
        keep(email, await api.query(statement(email), 'Customer', 'customers.query', options.signal));
      } else if (wanted.length > 1) {
        const more = await settleChunks(chunk(wanted, MAX_BATCH_ITEMS), async (batch) => {
          // https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/batch
          const results = await api.batchQueries(
            batch.map(statement),
            'Customer',
            'batch.customersByEmail',
            options.signal,
          );
          results.forEach((result, i) => {
            const email = batch[i] as string;
            if (result instanceof Error) failed.set(email, result);
            else keep(email, result);
          });
        });
        for (const [email, error] of more) failed.set(email, error);
      }
      return emails.map((email) => {
        const key = normaliseEmail(email) ?? '';
        return failed.get(key) ?? byEmail.get(key) ?? [];
      });
    },

    async listContacts(after, options: CallOptions = {}): Promise<Page<PersonRecord>> {
      const start = after === undefined ? 1 : Number(after);
      if (after !== undefined && (!/^\d+$/.test(after) || start < 1))
        throw badCursor('customers.query', after);
      // https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/customer#query-a-customer
      // Ordered by the immutable Id, so renames do not move customers between pages mid-backfill.
      const records = await api.query(
        `SELECT * FROM Customer ORDERBY Id STARTPOSITION ${start} MAXRESULTS ${MAX_RESULTS}`,
        'Customer',
        'customers.query',
        options.signal,
      );
      return {
        items: records.map(person),
        next: records.length >= MAX_RESULTS ? String(start + records.length) : undefined,
      };
    },

    async listInvoicesByContact(contactIds, options: CallOptions = {}) {
      const byContact = new Map<string, AccountingInvoice[]>();
      const failed = await settleChunks(chunk(numericIds(contactIds), ID_CHUNK), async (batch) => {
        // https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/invoice#query-an-invoice
        const raws = await api.queryAll(
          `SELECT * FROM Invoice WHERE CustomerRef IN (${literals(batch)}) ${ORDER}`,
          'Invoice',
          'invoices.query',
          options.signal,
        );
        for (const invoice of await withPayments(raws, options.signal)) {
          const key = invoice.contactExternalId;
          if (key) byContact.set(key, [...(byContact.get(key) ?? []), invoice]);
        }
      });
      return contactIds.map((id) => failed.get(id.trim()) ?? byContact.get(id.trim()) ?? []);
    },

    async getInvoices(ids, options: CallOptions = {}) {
      const found = new Map<string, AccountingInvoice>();
      const failed = await settleChunks(chunk(numericIds(ids), ID_CHUNK), async (batch) => {
        // https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/invoice#query-an-invoice
        const raws = await api.query(
          `SELECT * FROM Invoice WHERE Id IN (${literals(batch)}) MAXRESULTS ${MAX_RESULTS}`,
          'Invoice',
          'invoices.query',
          options.signal,
        );
        for (const invoice of await withPayments(raws, options.signal))
          found.set(invoice.externalId, invoice);
      });
      return ids.map((id) => {
        const key = id.trim();
        return failed.get(key) ?? found.get(key) ?? notFound('invoice', id, 'invoices.query');
      });
    },

    /**
     * A status filter QBO's query language cannot say in one statement (there is no OR) is run as
     * one statement per status, each paged on its own and merged newest first; the cursor holds
     * each statement's position (`12.3`).
     */
    async listInvoices(filter: InvoiceFilter, first, after, options: CallOptions = {}) {
      const operation = 'invoices.query';
      const pageSize = Math.min(Math.max(1, Math.floor(first)), 100);
      const asked = filter.statuses ? QBO_STATUSES.filter((s) => filter.statuses!.includes(s)) : QBO_STATUSES;
      let parts: string[][];
      if (filter.overdue) {
        // Only an invoice with money due can be overdue: AUTHORISED by the status mapping.
        parts = asked.includes('AUTHORISED') ? [['Balance > 0', `DueDate < ${literal(today())}`]] : [];
      } else if (asked.length === QBO_STATUSES.length) {
        parts = [[]];
      } else if (asked.length === 2 && !asked.includes('VOIDED')) {
        parts = [['TotalAmt > 0']]; // AUTHORISED or PAID: everything with a total
      } else {
        parts = asked.map((s) => STATUS_CLAUSES[s]);
      }
      if (parts.length === 0) return { items: [], total: 0 };

      const offsets = after === undefined ? parts.map(() => 0) : after.split('.').map(Number);
      if (
        offsets.length !== parts.length ||
        offsets.some((o) => !Number.isInteger(o) || o < 0) ||
        (after !== undefined && !/^\d+(\.\d+)*$/.test(after))
      ) {
        throw badCursor(operation, after ?? '');
      }
      const where = (clauses: string[]) => (clauses.length ? ` WHERE ${clauses.join(' AND ')}` : '');
      // https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/invoice#query-an-invoice
      const [pages, counts] = await Promise.all([
        Promise.all(
          parts.map((clauses, i) =>
            api.query(
              `SELECT * FROM Invoice${where(clauses)} ${ORDER} STARTPOSITION ${(offsets[i] ?? 0) + 1} MAXRESULTS ${pageSize}`,
              'Invoice',
              operation,
              options.signal,
            ),
          ),
        ),
        Promise.all(
          parts.map((clauses) =>
            api.count(`SELECT COUNT(*) FROM Invoice${where(clauses)}`, 'invoices.count', options.signal),
          ),
        ),
      ]);
      const merged = pages
        .flatMap((page, part) => page.map((raw) => ({ raw, part })))
        .sort((a, b) => newestFirst(a.raw, b.raw))
        .slice(0, pageSize);
      const nextOffsets = offsets.map((o, part) => o + merged.filter((m) => m.part === part).length);
      const total = counts.reduce((sum, n) => sum + n, 0);
      const seen = nextOffsets.reduce((sum, n) => sum + n, 0);
      return {
        items: await withPayments(
          merged.map((m) => m.raw),
          options.signal,
        ),
        next: merged.length > 0 && seen < total ? nextOffsets.join('.') : undefined,
        total,
      };
    },

    changeEvents: (since, options: CallOptions = {}) => cdcEvents(api, since, options.signal),

    close: () => client.close(),
  };
}
