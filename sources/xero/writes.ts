import { createHash } from 'node:crypto';
import type { PersonRecord } from '../../src/domain/model.ts';
import { normaliseEmail } from '../../src/domain/model.ts';
import { SourceError } from '../../src/domain/errors.ts';
import type {
  AccountingWrites,
  InvoiceInput,
  PersonChanges,
  PersonInput,
  WriteOptions,
} from '../../src/domain/ports.ts';
import type { UpstreamClient } from '../../src/upstream/client.ts';
import { createReader } from '../../src/upstream/validate.ts';
import type { Gate } from '../../src/upstream/gate.ts';
import {
  parseXeroDate,
  toAccountingInvoice,
  toMoney,
  toPersonRecord,
  toXeroAmount,
  toXeroDate,
  type XeroPhone,
} from './mappers.ts';

/** Chart-of-accounts codes and tax type the writes use; each organisation configures its own. */
export interface XeroWriteSettings {
  /** BANK account payments are recorded to (the demo company's and the sandbox's `090`). */
  paymentAccountCode: string;
  /** REVENUE account of invoice lines (`200` Sales). */
  salesAccountCode: string;
  /** Tax type of invoice lines (`OUTPUT2`, 20% VAT on income). */
  salesTaxType: string;
}

export interface XeroWriteDeps {
  client: UpstreamClient;
  gate: Gate;
  settings: XeroWriteSettings;
}

const read = createReader('xero');
const API = '/api.xro/2.0';
/** Xero keeps an Idempotency-Key (per tenant) for 24 hours and refuses keys over 128 characters. */
const MAX_KEY_LENGTH = 128;
/** Xero's ContactNumber holds up to 50 characters. */
const MAX_CONTACT_NUMBER = 50;
const NAME_TAKEN = /already assigned to another contact/i;
/** Printable ASCII: anything else is not a safe header value. */
const HEADER_SAFE = /^[\x21-\x7e]+$/;

type Resource = 'Contacts' | 'Invoices' | 'Payments';

/**
 * The key as sent: the hub's key when Xero accepts it as it is, else a SHA-256 of it (the same on
 * every retry, so the replay still works).
 */
export function xeroIdempotencyKey(key: string): string {
  if (key.length === 0)
    throw new SourceError('xero', 'INVALID_REQUEST', 'xero: an idempotency key is required');
  if (key.length <= MAX_KEY_LENGTH && HEADER_SAFE.test(key)) return key;
  return `sha256-${createHash('sha256').update(key).digest('hex')}`;
}

/** A second request of the same step (e.g. the create retried under a unique name) gets its own key. */
export const deriveKey = (key: string, suffix: string): string => xeroIdempotencyKey(`${key}:${suffix}`);

/** A string literal for Xero's `where` (Dynamic LINQ): quotes and backslashes escaped. */
const literal = (value: string) => `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

const isNameClash = (error: unknown): error is SourceError =>
  error instanceof SourceError && error.code === 'INVALID_REQUEST' && NAME_TAKEN.test(error.message);

const isKeyReused = (error: unknown): boolean =>
  error instanceof SourceError && error.vendorCode === 'IdempotencyKeyReused';

const invalid = (operation: string, message: string) =>
  new SourceError('xero', 'INVALID_REQUEST', `xero ${operation}: ${message}`, { operation });

const fullName = (first: string | null | undefined, last: string | null | undefined) =>
  [first?.trim(), last?.trim()].filter(Boolean).join(' ');

/** The name with the email, the way a bookkeeper tells two people of one name apart. */
const uniqueName = (name: string, email: string) => `${name} (${email})`;

const phoneEntry = (type: XeroPhone['PhoneType'], number: string): XeroPhone => ({
  PhoneType: type,
  PhoneNumber: number,
  // The whole number goes in PhoneNumber, so stale area or country codes must not be joined to it.
  PhoneAreaCode: '',
  PhoneCountryCode: '',
});

const fingerprint = (body: unknown) =>
  createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 16);

export function createXeroWrites({ client, gate, settings }: XeroWriteDeps): AccountingWrites {
  /** A PUT or POST carrying the step's Idempotency-Key; returns the first element Xero answers with. */
  const send = async (
    operation: string,
    method: 'PUT' | 'POST',
    path: string,
    resource: Resource,
    body: Record<string, unknown>,
    key: string,
    signal?: AbortSignal,
  ): Promise<unknown> => {
    const res = await gate(() =>
      client.request({
        operation,
        method,
        path: `${API}${path}`,
        headers: { 'Idempotency-Key': xeroIdempotencyKey(key) },
        body,
        signal,
      }),
    );
    const items = read.array(
      read.object(res.body, `${operation} response`)[resource],
      `${operation}.${resource}`,
    );
    if (items.length === 0) {
      throw new SourceError(
        'xero',
        'UPSTREAM_ERROR',
        `xero sent an unexpected response: ${operation} returned no ${resource}`,
        {
          operation,
        },
      );
    }
    return items[0];
  };

  const getOne = async (
    operation: string,
    resource: 'Contacts' | 'Invoices',
    id: string,
    signal?: AbortSignal,
  ): Promise<Record<string, unknown>> => {
    const res = await gate(() =>
      client.request({
        operation,
        method: 'GET',
        path: `${API}/${resource}/${encodeURIComponent(id)}`,
        signal,
      }),
    );
    const items = read.array(
      read.object(res.body, `${operation} response`)[resource],
      `${operation}.${resource}`,
    );
    const [first] = items;
    if (first === undefined) {
      throw new SourceError(
        'xero',
        'NOT_FOUND',
        `xero has no ${resource === 'Contacts' ? 'contact' : 'invoice'} ${id}`,
        {
          status: 404,
          operation,
        },
      );
    }
    return read.object(first, resource === 'Contacts' ? 'contact' : 'invoice');
  };

  /** The active contacts holding this name (Xero compares names case-insensitively). */
  const contactsNamed = async (name: string, signal?: AbortSignal): Promise<Record<string, unknown>[]> => {
    // https://developer.xero.com/documentation/api/accounting/contacts#get-contacts (where: Name=="…")
    const res = await gate(() =>
      client.request({
        operation: 'contacts.list',
        method: 'GET',
        path: `${API}/Contacts`,
        query: { where: `Name==${literal(name)}`, page: 1 },
        signal,
      }),
    );
    const body = read.object(res.body, 'Contacts list');
    return read.array(body.Contacts ?? [], 'Contacts list.Contacts').map((c) => read.object(c, 'contact'));
  };

  /**
   * Sends a contact with `name`, and on a name clash once more with the name made unique by the
   * email (and a key of its own, so both requests stay replayable). `accept` decides whether the
   * contact already holding a name is the one being written (then it is the answer).
   */
  const withUniqueName = async (
    name: string,
    email: string | null,
    key: string,
    sendNamed: (name: string, key: string) => Promise<unknown>,
    accept: ((holder: Record<string, unknown>) => boolean) | null,
    signal?: AbortSignal,
  ): Promise<PersonRecord> => {
    const attempts = [{ name, key }];
    if (email) attempts.push({ name: uniqueName(name, email), key: deriveKey(key, 'unique-name') });
    let clash: SourceError | undefined;
    for (const attempt of attempts) {
      try {
        return toPersonRecord(await sendNamed(attempt.name, attempt.key));
      } catch (error) {
        if (!isNameClash(error)) throw error;
        clash = error;
        const holder = accept && (await contactsNamed(attempt.name, signal)).find(accept);
        if (holder) return toPersonRecord(holder);
      }
    }
    throw clash as SourceError;
  };

  return {
    async createContact(input: PersonInput & { switchboardId: string }, options: WriteOptions) {
      const email = normaliseEmail(input.email);
      const name = fullName(input.firstName, input.lastName) || email;
      if (!name) throw invalid('contacts.create', 'a contact needs a name or an email');
      const phone = input.phone?.trim();
      const switchboardId = input.switchboardId.trim();
      const fields: Record<string, unknown> = {
        FirstName: input.firstName.trim(),
        LastName: input.lastName.trim(),
        EmailAddress: input.email.trim(),
        ...(phone ? { Phones: [phoneEntry('MOBILE', phone)] } : {}),
        // Xero's field for an external system's id; an id too long for it is simply not stamped.
        ...(switchboardId && switchboardId.length <= MAX_CONTACT_NUMBER
          ? { ContactNumber: switchboardId }
          : {}),
      };
      // Xero has no company field on a person's contact (its Name is the person here, as in the seed).
      /** The contact holding the name is this person when it has their email or their switchboard id. */
      const samePerson = (holder: Record<string, unknown>) =>
        (email !== null && normaliseEmail(read.optionalString(holder, 'EmailAddress')) === email) ||
        (switchboardId !== '' && read.optionalString(holder, 'ContactNumber') === switchboardId);
      return withUniqueName(
        name,
        email,
        options.idempotencyKey,
        // https://developer.xero.com/documentation/api/accounting/contacts#put-contacts
        (Name, key) =>
          send(
            'contacts.create',
            'PUT',
            '/Contacts',
            'Contacts',
            { Contacts: [{ Name, ...fields }] },
            key,
            options.signal,
          ),
        samePerson,
        options.signal,
      );
    },

    async updateContact(id: string, changes: PersonChanges, options: WriteOptions) {
      const naming = changes.firstName !== undefined || changes.lastName !== undefined;
      const phoning = changes.phone !== undefined;
      // What the body depends on besides `changes` (the name part not being changed, the email for a
      // unique name, which phone the reads show) is not altered by this write, so a retry after a lost
      // answer builds the same body and Xero replays the first answer for its key.
      // Without anything Xero holds to change (e.g. only `company`), the contact as it is is the answer.
      // https://developer.xero.com/documentation/api/accounting/contacts#get-contacts (GET /Contacts/{ContactID})
      const current =
        naming || phoning || changes.email === undefined
          ? await getOne('contacts.get', 'Contacts', id, options.signal)
          : undefined;
      const element: Record<string, unknown> = {
        ContactID: current ? read.string(current, 'ContactID', 'contact') : id,
      };
      if (changes.firstName !== undefined) element.FirstName = changes.firstName.trim();
      if (changes.lastName !== undefined) element.LastName = changes.lastName.trim();
      if (changes.email !== undefined) element.EmailAddress = changes.email.trim();
      if (phoning) {
        const number = changes.phone?.trim() ?? '';
        const phones =
          current?.Phones === undefined || current.Phones === null
            ? []
            : read.array(current.Phones, 'contact.Phones');
        const defaultInUse = phones.some((p) => {
          const phone = read.object(p, 'contact.Phones[]');
          return phone.PhoneType === 'DEFAULT' && read.optionalString(phone, 'PhoneNumber') !== null;
        });
        // Reads show the DEFAULT phone when it has a number, else the MOBILE one: write the one they
        // show; no phone clears both.
        element.Phones = number
          ? [phoneEntry(defaultInUse ? 'DEFAULT' : 'MOBILE', number)]
          : [phoneEntry('DEFAULT', ''), phoneEntry('MOBILE', '')];
      }
      if (Object.keys(element).length === 1)
        return toPersonRecord(current ?? (await getOne('contacts.get', 'Contacts', id, options.signal)));

      const contactId = String(element.ContactID);
      // https://developer.xero.com/documentation/api/accounting/contacts#post-contacts (POST /Contacts/{ContactID})
      const post = async (body: Record<string, unknown>, key: string) => {
        try {
          return await send(
            'contacts.update',
            'POST',
            `/Contacts/${encodeURIComponent(contactId)}`,
            'Contacts',
            body,
            key,
            options.signal,
          );
        } catch (error) {
          // Someone edited the contact between a lost answer and this retry, so the body differs from
          // the first one: setting fields is idempotent by nature, so send it under a key of its own.
          if (!isKeyReused(error)) throw error;
          return send(
            'contacts.update',
            'POST',
            `/Contacts/${encodeURIComponent(contactId)}`,
            'Contacts',
            body,
            deriveKey(key, fingerprint(body)),
            options.signal,
          );
        }
      };
      if (!naming) return toPersonRecord(await post({ Contacts: [element] }, options.idempotencyKey));

      const name = fullName(
        changes.firstName ?? read.optionalString(current ?? {}, 'FirstName'),
        changes.lastName ?? read.optionalString(current ?? {}, 'LastName'),
      );
      if (!name) throw invalid('contacts.update', 'a contact name cannot be empty');
      const email = normaliseEmail(changes.email ?? read.optionalString(current ?? {}, 'EmailAddress'));
      return withUniqueName(
        name,
        email,
        options.idempotencyKey,
        (Name, key) => post({ Contacts: [{ ...element, Name }] }, key),
        // A rename never turns this contact into another one: a clash always means a unique name.
        null,
        options.signal,
      );
    },

    async createInvoice(input: InvoiceInput, options: WriteOptions) {
      const currency = input.currency.trim().toUpperCase();
      const odd = input.lines.find((l) => l.unitAmount.currency.toUpperCase() !== currency);
      if (odd) {
        throw invalid(
          'invoices.create',
          `line "${odd.description}" is in ${odd.unitAmount.currency}, the invoice in ${currency}`,
        );
      }
      const invoice = {
        Type: 'ACCREC',
        Contact: { ContactID: input.contactId },
        Date: toXeroDate(input.issuedOn),
        DueDate: toXeroDate(input.dueOn),
        Status: input.status,
        // Unit amounts include tax, so the invoice total is what the customer paid by card.
        LineAmountTypes: 'Inclusive',
        CurrencyCode: currency,
        ...(input.reference ? { Reference: input.reference } : {}),
        LineItems: input.lines.map((line) => ({
          Description: line.description,
          Quantity: line.quantity,
          UnitAmount: toXeroAmount(line.unitAmount),
          AccountCode: settings.salesAccountCode,
          TaxType: settings.salesTaxType,
        })),
      };
      // https://developer.xero.com/documentation/api/accounting/invoices#put-invoices
      const raw = await send(
        'invoices.create',
        'PUT',
        '/Invoices',
        'Invoices',
        { Invoices: [invoice] },
        options.idempotencyKey,
        options.signal,
      );
      return toAccountingInvoice(raw);
    },

    async voidInvoice(id: string, options: WriteOptions) {
      const path = `/Invoices/${encodeURIComponent(id)}`;
      const setStatus = async (status: 'VOIDED' | 'DELETED', key: string) =>
        // https://developer.xero.com/documentation/api/accounting/invoices#post-invoices (POST /Invoices/{InvoiceID}, Status)
        toAccountingInvoice(
          await send(
            'invoices.update',
            'POST',
            path,
            'Invoices',
            { Invoices: [{ InvoiceID: id, Status: status }] },
            key,
            options.signal,
          ),
        );
      try {
        return await setStatus('VOIDED', options.idempotencyKey);
      } catch (error) {
        if (!(error instanceof SourceError) || error.code !== 'INVALID_REQUEST') throw error;
        // Refused: see what the invoice is now.
        // https://developer.xero.com/documentation/api/accounting/invoices#get-invoices (GET /Invoices/{InvoiceID})
        const current = toAccountingInvoice(await getOne('invoices.get', 'Invoices', id, options.signal));
        if (current.status === 'VOIDED' || current.status === 'DELETED') return current;
        // Xero voids only approved invoices; a draft (or one awaiting approval) is deleted instead.
        if (current.status === 'DRAFT' || current.status === 'SUBMITTED')
          return setStatus('DELETED', deriveKey(options.idempotencyKey, 'delete'));
        throw error;
      }
    },

    async recordPayment(input, options: WriteOptions) {
      const payment = {
        Invoice: { InvoiceID: input.invoiceId },
        Account: { Code: settings.paymentAccountCode },
        Date: toXeroDate(input.paidOn),
        Amount: toXeroAmount(input.amount),
        ...(input.reference ? { Reference: input.reference } : {}),
      };
      // https://developer.xero.com/documentation/api/accounting/payments#put-payments
      const raw = read.object(
        await send(
          'payments.create',
          'PUT',
          '/Payments',
          'Payments',
          { Payments: [payment] },
          options.idempotencyKey,
          options.signal,
        ),
        'payment',
      );
      const id = read.string(raw, 'PaymentID', 'payment');
      const invoice =
        raw.Invoice === undefined || raw.Invoice === null
          ? {}
          : read.object(raw.Invoice, `payment ${id}.Invoice`);
      const currency = (read.optionalString(invoice, 'CurrencyCode') ?? input.amount.currency).toUpperCase();
      const date = parseXeroDate(raw.Date);
      if (!date) {
        throw new SourceError(
          'xero',
          'UPSTREAM_ERROR',
          `xero sent an unexpected response: payment ${id}.Date should be a date`,
          {
            operation: 'payments.create',
          },
        );
      }
      return { externalId: id, amount: toMoney(read.number(raw, 'Amount', `payment ${id}`), currency), date };
    },
  };
}
