import { createHash } from 'node:crypto';
import type { AccountingInvoice, PersonRecord } from '../../src/domain/model.ts';
import { normaliseEmail } from '../../src/domain/model.ts';
import { SourceError } from '../../src/domain/errors.ts';
import type {
  AccountingWrites,
  InvoiceInput,
  InvoiceLineInput,
  PersonChanges,
  PersonInput,
  WriteOptions,
} from '../../src/domain/ports.ts';
import { createReader } from '../../src/upstream/validate.ts';
import { literal, type QuickbooksApi } from './api.ts';
import { DUPLICATE_NAME, STALE_OBJECT } from './errors.ts';
import {
  currencyDigits,
  isVoided,
  parseQuickbooksDate,
  toAppliedPayment,
  toMoney,
  toQuickbooksAmount,
  toQuickbooksDate,
} from './mappers.ts';

/** What invoice lines are sold as; each company configures its own. */
export interface QuickbooksWriteSettings {
  /** Name of the service Item on every line (QBO requires an item; the line's description says what it was). */
  salesItemName: string;
  /** TaxCodeRef of every line (a UK company refuses a sales line without one). */
  salesTaxCode: string;
  /** That code's rate in percent: the hub's unit amounts include tax, QBO's lines exclude it. */
  salesTaxRate: number;
  homeCurrency: string;
}

export interface QuickbooksWriteDeps {
  api: QuickbooksApi;
  person(raw: unknown): PersonRecord;
  /** Invoices with their payments, mapped as the reads map them. */
  invoices(raws: unknown[], signal?: AbortSignal): Promise<AccountingInvoice[]>;
  settings: QuickbooksWriteSettings;
}

const read = createReader('quickbooks');

/** QBO keeps a requestid up to 50 characters. */
export const MAX_REQUEST_ID = 50;
/** What a hub key may hold to be sent as it is: `~` stays free as the separator below. */
const PLAIN_KEY = /^[A-Za-z0-9._:-]+$/;

/**
 * The requestid of one request of a write step: `<purpose>~<key>`, or `<purpose>~~<hash>` when that
 * would be over 50 characters or the key holds other characters (SHA-256 of purpose and key,
 * base64url, cut to fit: the same on every retry, so QBO still replays). The purpose keeps apart the
 * requests one key may make (QBO replays a requestid whatever the body: a void sent with the key of
 * the create it undoes must not get the create's answer).
 */
export function quickbooksRequestId(purpose: string, key: string): string {
  if (key.length === 0)
    throw new SourceError('quickbooks', 'INVALID_REQUEST', 'quickbooks: an idempotency key is required');
  const plain = `${purpose}~${key}`;
  if (plain.length <= MAX_REQUEST_ID && PLAIN_KEY.test(key)) return plain;
  const hash = createHash('sha256').update(`${purpose}\n${key}`).digest('base64url');
  return `${purpose}~~${hash}`.slice(0, MAX_REQUEST_ID);
}

const invalid = (operation: string, message: string) =>
  new SourceError('quickbooks', 'INVALID_REQUEST', `quickbooks ${operation}: ${message}`, { operation });

const isCode = (error: unknown, code: string): error is SourceError =>
  error instanceof SourceError && error.vendorCode === code;

/** Stale twice in a row: the step may try again later, from a fresh read. */
const stillStale = (error: SourceError) =>
  new SourceError('quickbooks', 'CONFLICT', `${error.message} (again after reading it anew)`, {
    status: error.status,
    vendorCode: error.vendorCode,
    operation: error.operation,
    retryable: true,
  });

const fullName = (first: string | null | undefined, last: string | null | undefined) =>
  [first?.trim(), last?.trim()].filter(Boolean).join(' ');

/** QBO names hold no colon (its sub-customer separator), tab or newline. */
const safeName = (name: string) =>
  name
    .replace(/[:\t\r\n]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();

/** The name with the email, the way a bookkeeper tells two people of one name apart. */
const uniqueName = (name: string, email: string) => `${name} (${email})`;

const ref = (value: unknown, what: string): string | null =>
  value === undefined || value === null ? null : read.optionalString(read.object(value, what), 'value');

/**
 * Net (tax-exclusive) line amounts in minor units whose total plus the tax QBO will add is the
 * gross the hub asked for. QBO works the tax out once per tax code on the lines' total, rounded
 * half up, so the net total is the one that comes closest (exact wherever one exists: at 20% one in
 * six pence totals cannot be reached, and comes out a penny off); it is shared among the lines by
 * largest remainder, so the lines add up to it exactly.
 */
export function netLines(grossLines: readonly number[], ratePercent: number): number[] {
  const taxOf = (net: number) => Math.sign(net) * Math.round((Math.abs(net) * ratePercent) / 100);
  const gross = grossLines.reduce((sum, g) => sum + g, 0);
  const ideal = (gross * 100) / (100 + ratePercent);
  let net = Math.round(ideal);
  for (const candidate of [net, net - 1, net + 1, net - 2, net + 2]) {
    if (candidate + taxOf(candidate) === gross) {
      net = candidate;
      break;
    }
  }
  const shares = grossLines.map((g) => (g * 100) / (100 + ratePercent));
  const floors = shares.map(Math.floor);
  let rest = net - floors.reduce((sum, f) => sum + f, 0);
  const order = shares.map((s, i) => ({ i, frac: s - Math.floor(s) })).sort((a, b) => b.frac - a.frac);
  const out = [...floors];
  for (let k = 0; rest > 0 && order.length > 0; k = (k + 1) % order.length, rest--) out[order[k]!.i]! += 1;
  for (
    let k = order.length - 1;
    rest < 0 && order.length > 0;
    k = (k - 1 + order.length) % order.length, rest++
  )
    out[order[k]!.i]! -= 1;
  return out;
}

export function createQuickbooksWrites({
  api,
  person,
  invoices,
  settings,
}: QuickbooksWriteDeps): AccountingWrites {
  let salesItem: Promise<string> | undefined;

  /** The Id of the configured service item, looked up once per source. */
  const salesItemId = (signal?: AbortSignal): Promise<string> => {
    salesItem ??= (async () => {
      // https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/item#query-an-item
      const [item] = await api.query(
        `SELECT * FROM Item WHERE Name = ${literal(settings.salesItemName)} MAXRESULTS 1`,
        'Item',
        'items.query',
        signal,
      );
      if (item === undefined) {
        throw invalid(
          'invoices.create',
          `the company has no item named "${settings.salesItemName}": set QUICKBOOKS_SALES_ITEM to the name of a service item`,
        );
      }
      return read.string(read.object(item, 'item'), 'Id', 'item');
    })();
    // A failed look-up is not kept: the next invoice asks again.
    salesItem.catch(() => (salesItem = undefined));
    return salesItem;
  };

  /** The active customers holding a DisplayName (QBO compares names case-insensitively). */
  const customersNamed = async (name: string, signal?: AbortSignal) =>
    // https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/customer#query-a-customer
    (
      await api.query(
        `SELECT * FROM Customer WHERE DisplayName = ${literal(name)}`,
        'Customer',
        'customers.query',
        signal,
      )
    ).map((c) => read.object(c, 'customer'));

  /**
   * Sends with `name`, and on a 6240 (the name is taken) once more with the name made unique by the
   * email, under a requestid of its own, so both requests stay replayable. `accept` says whether the
   * customer already holding a name is the one being written (then it is the answer).
   */
  const withUniqueName = async (
    name: string,
    email: string | null,
    send: (name: string, purposeSuffix: string) => Promise<Record<string, unknown>>,
    accept: ((holder: Record<string, unknown>) => boolean) | null,
    signal?: AbortSignal,
  ): Promise<PersonRecord> => {
    const attempts = [{ name, suffix: '' }];
    if (email) attempts.push({ name: uniqueName(name, email), suffix: '.unique' });
    let clash: SourceError | undefined;
    for (const attempt of attempts) {
      try {
        return person(await send(attempt.name, attempt.suffix));
      } catch (error) {
        if (!isCode(error, DUPLICATE_NAME)) throw error;
        clash = error;
        const holder = accept && (await customersNamed(attempt.name, signal)).find(accept);
        if (holder) return person(holder);
      }
    }
    throw clash as SourceError;
  };

  // https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/invoice#read-an-invoice
  const readInvoice = (id: string, signal?: AbortSignal) => api.get('invoice', id, 'invoices.get', signal);

  return {
    async createContact(input: PersonInput & { switchboardId: string }, options: WriteOptions) {
      const email = normaliseEmail(input.email);
      const name = safeName(fullName(input.firstName, input.lastName) || (email ?? ''));
      if (!name) throw invalid('customers.create', 'a customer needs a name or an email');
      const phone = input.phone?.trim();
      const company = input.company?.trim();
      const fields: Record<string, unknown> = {
        ...(input.firstName.trim() ? { GivenName: input.firstName.trim() } : {}),
        ...(input.lastName.trim() ? { FamilyName: input.lastName.trim() } : {}),
        PrimaryEmailAddr: { Address: input.email.trim() },
        ...(phone ? { PrimaryPhone: { FreeFormNumber: phone } } : {}),
        ...(company ? { CompanyName: company } : {}),
      };
      /** The customer holding the name is this person when it has their email. */
      const samePerson = (holder: Record<string, unknown>) =>
        email !== null &&
        normaliseEmail(
          read.optionalString(
            holder.PrimaryEmailAddr === undefined || holder.PrimaryEmailAddr === null
              ? {}
              : read.object(holder.PrimaryEmailAddr, 'customer.PrimaryEmailAddr'),
            'Address',
          ),
        ) === email;
      return withUniqueName(
        name,
        email,
        // https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/customer#create-a-customer
        (DisplayName, suffix) =>
          api.write(
            'customer',
            { DisplayName, ...fields },
            {
              operation: 'customers.create',
              requestId: quickbooksRequestId(`cust.create${suffix}`, options.idempotencyKey),
              signal: options.signal,
            },
          ),
        samePerson,
        options.signal,
      );
    },

    async updateContact(id: string, changes: PersonChanges, options: WriteOptions) {
      const naming = changes.firstName !== undefined || changes.lastName !== undefined;
      // https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/customer#read-a-customer
      const readCurrent = () => api.get('customer', id, 'customers.get', options.signal);

      const attempt = async (current: Record<string, unknown>, purpose: string) => {
        const given = read.optionalString(current, 'GivenName');
        const family = read.optionalString(current, 'FamilyName');
        const display = read.optionalString(current, 'DisplayName') ?? '';
        // Sparse: only the members sent change, so a concurrent edit of others survives.
        const body: Record<string, unknown> = {
          Id: read.string(current, 'Id', 'customer'),
          SyncToken: read.string(current, 'SyncToken', 'customer'),
          sparse: true,
        };
        if (changes.firstName !== undefined) body.GivenName = changes.firstName.trim();
        if (changes.lastName !== undefined) body.FamilyName = changes.lastName.trim();
        if (changes.email !== undefined) body.PrimaryEmailAddr = { Address: changes.email.trim() };
        if (changes.phone !== undefined) body.PrimaryPhone = { FreeFormNumber: changes.phone?.trim() ?? '' };
        if (changes.company !== undefined) body.CompanyName = changes.company?.trim() ?? '';
        if (Object.keys(body).length === 3) return person(current);

        // https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/customer#sparse-update-a-customer
        const send = (extra: Record<string, unknown>, suffix: string) =>
          api.write(
            'customer',
            { ...body, ...extra },
            {
              operation: 'customers.update',
              action: 'update',
              requestId: quickbooksRequestId(`${purpose}${suffix}`, options.idempotencyKey),
              signal: options.signal,
            },
          );
        const oldName = fullName(given, family);
        // The DisplayName follows the name only where it was the name (as the hub and the seed make
        // it, possibly made unique): a name a bookkeeper chose, e.g. a business's, is left alone.
        const derived =
          oldName !== '' &&
          (display.toLowerCase() === oldName.toLowerCase() ||
            display.toLowerCase().startsWith(`${oldName.toLowerCase()} (`));
        if (!naming || !derived) return person(await send({}, ''));
        const name = safeName(fullName(changes.firstName ?? given, changes.lastName ?? family));
        if (!name) throw invalid('customers.update', 'a customer name cannot be empty');
        if (name.toLowerCase() === oldName.toLowerCase()) return person(await send({}, ''));
        const email = normaliseEmail(
          changes.email ??
            read.optionalString(
              current.PrimaryEmailAddr === undefined || current.PrimaryEmailAddr === null
                ? {}
                : read.object(current.PrimaryEmailAddr, 'customer.PrimaryEmailAddr'),
              'Address',
            ),
        );
        return withUniqueName(
          name,
          email,
          (DisplayName, suffix) => send({ DisplayName }, suffix),
          // A rename never turns this customer into another one: a clash always means a unique name.
          null,
          options.signal,
        );
      };

      try {
        return await attempt(await readCurrent(), 'cust.update');
      } catch (error) {
        if (!isCode(error, STALE_OBJECT)) throw error;
        // Saved by someone else between the read and the write: once more on what is there now, under
        // a requestid naming that SyncToken (the first one's stale answer is what QBO would replay).
        const current = await readCurrent();
        try {
          return await attempt(current, `cust.update.s${read.string(current, 'SyncToken', 'customer')}`);
        } catch (again) {
          throw isCode(again, STALE_OBJECT) ? stillStale(again) : again;
        }
      }
    },

    async createInvoice(input: InvoiceInput, options: WriteOptions) {
      const operation = 'invoices.create';
      if (input.status === 'DRAFT') {
        throw invalid(operation, 'QuickBooks Online has no draft invoices: create it AUTHORISED');
      }
      const currency = input.currency.trim().toUpperCase();
      const odd = input.lines.find((l) => l.unitAmount.currency.toUpperCase() !== currency);
      if (odd) {
        throw invalid(
          operation,
          `line "${odd.description}" is in ${odd.unitAmount.currency}, the invoice in ${currency}`,
        );
      }
      if (input.lines.length === 0) throw invalid(operation, 'an invoice needs at least one line');
      const itemId = await salesItemId(options.signal);
      const rate = settings.salesTaxRate;
      const scale = 10 ** currencyDigits(currency);
      const gross = input.lines.map((l: InvoiceLineInput) => Math.round(l.quantity * l.unitAmount.amount));
      const nets = netLines(gross, rate);
      const invoice = {
        CustomerRef: { value: input.contactId },
        TxnDate: toQuickbooksDate(input.issuedOn),
        DueDate: toQuickbooksDate(input.dueOn),
        CurrencyRef: { value: currency },
        // The hub's unit amounts include tax; the company enters lines without it and QBO adds the
        // tax, so the total comes out at what the customer paid (netLines).
        GlobalTaxCalculation: 'TaxExcluded',
        ...(input.reference ? { PrivateNote: input.reference } : {}),
        Line: input.lines.map((line, i) => {
          const net = nets[i] ?? 0;
          const unit =
            line.quantity === 0 ? (line.unitAmount.amount * 100) / (100 + rate) : net / line.quantity;
          return {
            DetailType: 'SalesItemLineDetail',
            Description: line.description,
            Amount: toQuickbooksAmount(net, currency),
            SalesItemLineDetail: {
              ItemRef: { value: itemId },
              Qty: line.quantity,
              // QBO keeps unit prices to seven places and checks Amount = Qty × UnitPrice.
              UnitPrice: Number((unit / scale).toFixed(7)),
              TaxCodeRef: { value: settings.salesTaxCode },
            },
          };
        }),
      };
      // https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/invoice#create-an-invoice
      const raw = await api.write('invoice', invoice, {
        operation,
        requestId: quickbooksRequestId('inv.create', options.idempotencyKey),
        signal: options.signal,
      });
      const [created] = await invoices([raw], options.signal);
      return created as AccountingInvoice;
    },

    async voidInvoice(id: string, options: WriteOptions) {
      // https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/invoice#void-an-invoice
      const voidOnce = async (current: Record<string, unknown>, purpose: string) => {
        if (isVoided(current)) return current;
        return api.write(
          'invoice',
          {
            Id: read.string(current, 'Id', 'invoice'),
            SyncToken: read.string(current, 'SyncToken', 'invoice'),
          },
          {
            operation: 'invoices.void',
            action: 'void',
            requestId: quickbooksRequestId(purpose, options.idempotencyKey),
            signal: options.signal,
          },
        );
      };
      let raw: Record<string, unknown>;
      try {
        // https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/invoice#read-an-invoice
        raw = await voidOnce(await readInvoice(id, options.signal), 'inv.void');
      } catch (error) {
        if (!isCode(error, STALE_OBJECT)) throw error;
        const current = await readInvoice(id, options.signal);
        try {
          raw = await voidOnce(current, `inv.void.s${read.string(current, 'SyncToken', 'invoice')}`);
        } catch (again) {
          throw isCode(again, STALE_OBJECT) ? stillStale(again) : again;
        }
      }
      const [invoice] = await invoices([raw], options.signal);
      return invoice as AccountingInvoice;
    },

    async recordPayment(input, options: WriteOptions) {
      const operation = 'payments.create';
      // A payment names its customer: the invoice's.
      // https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/invoice#read-an-invoice
      const invoice = await readInvoice(input.invoiceId, options.signal);
      const what = `invoice ${input.invoiceId}`;
      const currency = (
        ref(invoice.CurrencyRef, `${what}.CurrencyRef`) ?? settings.homeCurrency
      ).toUpperCase();
      if (input.amount.currency.toUpperCase() !== currency) {
        throw invalid(operation, `the payment is in ${input.amount.currency}, ${what} in ${currency}`);
      }
      const customerId = ref(invoice.CustomerRef, `${what}.CustomerRef`);
      if (!customerId) throw invalid(operation, `${what} names no customer`);
      const amount = toQuickbooksAmount(input.amount.amount, currency);
      const reference = input.reference?.trim();
      const payment = {
        CustomerRef: { value: customerId },
        CurrencyRef: { value: currency },
        TotalAmt: amount,
        TxnDate: toQuickbooksDate(input.paidOn),
        Line: [{ Amount: amount, LinkedTxn: [{ TxnId: input.invoiceId, TxnType: 'Invoice' }] }],
        // PaymentRefNum is the payment's "reference no." (21 characters); the private note keeps it whole.
        ...(reference ? { PrivateNote: reference } : {}),
        ...(reference && reference.length <= 21 ? { PaymentRefNum: reference } : {}),
      };
      // https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/payment#create-a-payment
      const raw = await api.write('payment', payment, {
        operation,
        requestId: quickbooksRequestId('pay.create', options.idempotencyKey),
        signal: options.signal,
      });
      const applied = toAppliedPayment(raw);
      const date = parseQuickbooksDate(read.object(raw, 'payment').TxnDate) ?? applied.date;
      return {
        externalId: applied.id,
        amount: toMoney(
          applied.applied.get(input.invoiceId) ?? read.number(raw, 'TotalAmt', 'payment'),
          currency,
        ),
        date,
      };
    },
  };
}
