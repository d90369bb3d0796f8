/**
 * Contacts: GET list/one, PUT (create), POST (create or update), POST /Contacts/{id} (update).
 * Docs: https://developer.xero.com/documentation/api/accounting/contacts
 */
import { ResponseError, type Route, type SandboxRequest } from '../../../src/sandbox/kit/http.ts';
import { runBatch, type ElementResult, type XeroContext } from './context.ts';
import type { ChangeBatch } from './webhooks.ts';
import {
  amountDue,
  type Address,
  type Contact,
  type ContactStatus,
  type Invoice,
  type Phone,
} from './state.ts';
import { boolParam, compileOrder, compileWhere, guidList, paginate, param } from './query.ts';
import {
  batchItems,
  envelope,
  isGuid,
  isRecord,
  money,
  msDate,
  notFound,
  parseIfModifiedSince,
  postDataInvalid,
  str,
} from './wire.ts';

const BASE = '/api.xro/2.0';

/** Top-level fields `where` and `order` may name. */
export const CONTACT_FIELDS = [
  'ContactID',
  'ContactNumber',
  'AccountNumber',
  'ContactStatus',
  'Name',
  'FirstName',
  'LastName',
  'EmailAddress',
  'BankAccountDetails',
  'TaxNumber',
  'Addresses',
  'Phones',
  'UpdatedDateUTC',
  'ContactGroups',
  'IsSupplier',
  'IsCustomer',
  'DefaultCurrency',
  'ContactPersons',
  'HasAttachments',
  'Balances',
] as const;

const STATUSES: ContactStatus[] = ['ACTIVE', 'ARCHIVED', 'GDPRREQUEST'];
const PHONE_TYPES: Phone['PhoneType'][] = ['DEFAULT', 'DDI', 'MOBILE', 'FAX'];
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function contactToWire(
  ctx: XeroContext,
  contact: Contact,
  options: { summaryOnly?: boolean; invoicesByContact?: Map<string, Invoice[]> } = {},
): Record<string, unknown> {
  const books = ctx.books;
  const invoices =
    options.invoicesByContact?.get(contact.id) ??
    [...books.invoices.values()].filter((i) => i.contactId === contact.id);
  const wire: Record<string, unknown> = {
    ContactID: contact.id,
    ...(contact.contactNumber ? { ContactNumber: contact.contactNumber } : {}),
    ...(contact.accountNumber ? { AccountNumber: contact.accountNumber } : {}),
    ContactStatus: contact.status,
    Name: contact.name,
    ...(contact.firstName !== undefined ? { FirstName: contact.firstName } : {}),
    ...(contact.lastName !== undefined ? { LastName: contact.lastName } : {}),
    ...(contact.email !== undefined ? { EmailAddress: contact.email } : {}),
    BankAccountDetails: '',
    UpdatedDateUTC: msDate(contact.updatedAt),
    IsSupplier: contact.isSupplier || invoices.some((i) => i.type === 'ACCPAY'),
    // Xero flags a contact as a customer once it has a sales invoice.
    IsCustomer: invoices.some((i) => i.type === 'ACCREC' && i.status !== 'DELETED'),
    DefaultCurrency: 'GBP',
    HasAttachments: false,
    HasValidationErrors: false,
  };
  if (options.summaryOnly) return wire;
  const now = ctx.clock.now();
  let outstanding = 0;
  let overdue = 0;
  for (const invoice of invoices) {
    if (invoice.type !== 'ACCREC' || invoice.status !== 'AUTHORISED') continue;
    const due = amountDue(books, invoice);
    outstanding += due;
    if (invoice.dueDate !== undefined && invoice.dueDate < now) overdue += due;
  }
  return {
    ...wire,
    Addresses: contact.addresses.map((a) => ({ ...a })),
    Phones: contact.phones.map((p) => ({ ...p })),
    ContactGroups: [],
    ContactPersons: [],
    SalesTrackingCategories: [],
    PurchasesTrackingCategories: [],
    Balances: {
      AccountsReceivable: { Outstanding: money(outstanding), Overdue: money(overdue) },
      AccountsPayable: { Outstanding: 0, Overdue: 0 },
    },
  };
}

const nameKey = (name: string) => name.trim().toLowerCase();

/** Finds a contact by ContactID, or by ContactNumber when the value is not a GUID. */
export function findContact(ctx: XeroContext, idOrNumber: string): Contact | undefined {
  if (isGuid(idOrNumber)) return ctx.books.contacts.get(idOrNumber.toLowerCase());
  return [...ctx.books.contacts.values()].find((c) => c.contactNumber === idOrNumber);
}

export function findActiveByName(ctx: XeroContext, name: string): Contact | undefined {
  const key = nameKey(name);
  return [...ctx.books.contacts.values()].find((c) => c.status === 'ACTIVE' && nameKey(c.name) === key);
}

export const uniqueNameMessage = (name: string) =>
  `The contact name ${name} is already assigned to another contact. The contact name must be unique across all active contacts.`;

/**
 * Creates (no `existing`) or updates a contact from a submitted element. Validates everything
 * before touching the books, so a failed element leaves no trace.
 */
export function applyContact(
  ctx: XeroContext,
  input: Record<string, unknown>,
  existing: Contact | undefined,
  changes: ChangeBatch,
): ElementResult {
  const errors: string[] = [];
  const text = (key: string): string | undefined => {
    const value = input[key];
    if (value === undefined || value === null) return undefined;
    const s = str(value);
    if (s === undefined) throw postDataInvalid(`JSON for post data was invalid: "${key}" must be a string.`);
    return s;
  };
  const name = text('Name')?.trim();
  const email = text('EmailAddress')?.trim();
  const status = text('ContactStatus');
  if (!existing && !name) errors.push('The contact name must be specified.');
  if (name !== undefined && name === '' && existing) errors.push('The contact name must be specified.');
  if (name && name.length > 255) errors.push('The contact name must be 255 characters or fewer.');
  if (email && !EMAIL.test(email)) errors.push('Email address must be valid.');
  if (status !== undefined && !STATUSES.includes(status as ContactStatus))
    errors.push(`ContactStatus must be one of ${STATUSES.join(', ')}.`);
  const finalStatus = (status as ContactStatus | undefined) ?? existing?.status ?? 'ACTIVE';
  const finalName = name || existing?.name || '';
  if (finalName && finalStatus === 'ACTIVE') {
    const clash = findActiveByName(ctx, finalName);
    if (clash && clash.id !== existing?.id) errors.push(uniqueNameMessage(finalName));
  }
  const phones = parsePhones(input.Phones, errors);
  const addresses = parseAddresses(input.Addresses, errors);
  if (errors.length > 0) return { errors };

  const now = ctx.clock.now();
  const contact: Contact = existing ?? {
    id: ctx.ids.uuid(),
    status: 'ACTIVE',
    name: finalName,
    phones: (['DEFAULT', 'DDI', 'FAX', 'MOBILE'] as const).map((PhoneType) => ({
      PhoneType,
      PhoneNumber: '',
      PhoneAreaCode: '',
      PhoneCountryCode: '',
    })),
    addresses: [
      { AddressType: 'POBOX', City: '', Region: '', PostalCode: '', Country: '' },
      { AddressType: 'STREET', City: '', Region: '', PostalCode: '', Country: '' },
    ],
    isSupplier: false,
    updatedAt: now,
  };
  contact.name = finalName;
  contact.status = finalStatus;
  const firstName = text('FirstName');
  const lastName = text('LastName');
  const contactNumber = text('ContactNumber');
  const accountNumber = text('AccountNumber');
  if (firstName !== undefined) contact.firstName = firstName;
  if (lastName !== undefined) contact.lastName = lastName;
  if (email !== undefined) contact.email = email;
  if (contactNumber !== undefined) contact.contactNumber = contactNumber;
  if (accountNumber !== undefined) contact.accountNumber = accountNumber;
  for (const phone of phones) {
    const at = contact.phones.findIndex((p) => p.PhoneType === phone.PhoneType);
    if (at >= 0) contact.phones[at] = phone;
    else contact.phones.push(phone);
  }
  for (const address of addresses) {
    const at = contact.addresses.findIndex((a) => a.AddressType === address.AddressType);
    if (at >= 0) contact.addresses[at] = address;
    else contact.addresses.push(address);
  }
  contact.updatedAt = now;
  ctx.books.contacts.set(contact.id, contact);
  changes.add('CONTACT', existing ? 'UPDATE' : 'CREATE', contact.id);
  return { id: contact.id };
}

function parsePhones(value: unknown, errors: string[]): Phone[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value))
    throw postDataInvalid('JSON for post data was invalid: "Phones" must be an array.');
  return value.flatMap((p) => {
    if (!isRecord(p)) throw postDataInvalid('JSON for post data was invalid: each phone must be an object.');
    const type = String(p.PhoneType ?? 'DEFAULT').toUpperCase() as Phone['PhoneType'];
    if (!PHONE_TYPES.includes(type)) {
      errors.push(`PhoneType must be one of ${PHONE_TYPES.join(', ')}.`);
      return [];
    }
    return [
      {
        PhoneType: type,
        PhoneNumber: str(p.PhoneNumber) ?? '',
        PhoneAreaCode: str(p.PhoneAreaCode) ?? '',
        PhoneCountryCode: str(p.PhoneCountryCode) ?? '',
      },
    ];
  });
}

function parseAddresses(value: unknown, errors: string[]): Address[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value))
    throw postDataInvalid('JSON for post data was invalid: "Addresses" must be an array.');
  return value.flatMap((a) => {
    if (!isRecord(a))
      throw postDataInvalid('JSON for post data was invalid: each address must be an object.');
    const type = String(a.AddressType ?? 'POBOX').toUpperCase();
    if (type !== 'POBOX' && type !== 'STREET') {
      errors.push('AddressType must be POBOX or STREET.');
      return [];
    }
    return [
      {
        AddressType: type,
        ...(str(a.AddressLine1) !== undefined ? { AddressLine1: str(a.AddressLine1) } : {}),
        City: str(a.City) ?? '',
        Region: str(a.Region) ?? '',
        PostalCode: str(a.PostalCode) ?? '',
        Country: str(a.Country) ?? '',
      },
    ];
  });
}

function listContacts(ctx: XeroContext, req: SandboxRequest) {
  const q = req.query;
  const ids = guidList(q, 'IDs');
  const where = param(q, 'where');
  const order = param(q, 'order');
  const includeArchived = boolParam(q, 'includeArchived') ?? false;
  const summaryOnly = boolParam(q, 'summaryOnly') ?? false;
  const searchTerm = param(q, 'searchTerm')?.trim().toLowerCase();
  const since = parseIfModifiedSince(req.headers['if-modified-since']);
  const filter = where ? compileWhere(where, 'Contact', CONTACT_FIELDS) : undefined;
  const sort = compileOrder(order ?? 'Name ASC', 'Contact', CONTACT_FIELDS);

  let contacts = [...ctx.books.contacts.values()];
  if (ids) {
    const wanted = new Set(ids);
    contacts = contacts.filter((c) => wanted.has(c.id));
  }
  if (!includeArchived) contacts = contacts.filter((c) => c.status !== 'ARCHIVED');
  if (since !== undefined) contacts = contacts.filter((c) => c.updatedAt > since);
  if (searchTerm) {
    contacts = contacts.filter((c) =>
      [c.name, c.firstName, c.lastName, c.contactNumber, c.email].some((f) =>
        f?.toLowerCase().includes(searchTerm),
      ),
    );
  }
  const invoicesByContact = new Map<string, Invoice[]>();
  for (const invoice of ctx.books.invoices.values()) {
    const list = invoicesByContact.get(invoice.contactId) ?? [];
    list.push(invoice);
    invoicesByContact.set(invoice.contactId, list);
  }
  let wires = contacts.map((c) => contactToWire(ctx, c, { summaryOnly, invoicesByContact }));
  if (filter) wires = wires.filter(filter);
  wires.sort((a, b) => sort(a, b) || String(a.ContactID).localeCompare(String(b.ContactID)));
  const page = paginate(wires, q);
  return {
    status: 200,
    body: envelope(req, ctx.clock.now(), {
      ...(page.pagination ? { pagination: page.pagination } : {}),
      Contacts: page.items,
    }),
  };
}

export function contactRoutes(ctx: XeroContext): Route[] {
  const one = (req: SandboxRequest) => {
    const contact = findContact(ctx, req.params.id ?? '');
    if (!contact) throw new ResponseError(notFound());
    return contact;
  };
  const wire = (id: string) => contactToWire(ctx, ctx.books.contacts.get(id) as Contact);
  return [
    {
      method: 'GET',
      path: `${BASE}/Contacts`,
      operation: 'contacts.list',
      handler: (req) => listContacts(ctx, req),
    },
    {
      method: 'GET',
      path: `${BASE}/Contacts/:id`,
      operation: 'contacts.get',
      handler: (req) => ({
        status: 200,
        body: envelope(req, ctx.clock.now(), { Contacts: [contactToWire(ctx, one(req))] }),
      }),
    },
    {
      method: 'PUT',
      path: `${BASE}/Contacts`,
      operation: 'contacts.create',
      handler: (req) =>
        runBatch(
          ctx,
          req,
          'Contacts',
          batchItems(req.json(), 'Contacts'),
          (item, changes) => {
            const id = str(item.ContactID);
            const existing = id ? findContact(ctx, id) : undefined;
            return applyContact(ctx, item, existing, changes);
          },
          wire,
          'HasValidationErrors',
        ),
    },
    {
      method: 'POST',
      path: `${BASE}/Contacts`,
      operation: 'contacts.upsert',
      handler: (req) =>
        runBatch(
          ctx,
          req,
          'Contacts',
          batchItems(req.json(), 'Contacts'),
          (item, changes) => {
            const id = str(item.ContactID);
            if (id) {
              const existing = findContact(ctx, id);
              if (!existing) return { errors: [`The contact with ContactID ${id} could not be found.`] };
              return applyContact(ctx, item, existing, changes);
            }
            // POST matches an existing active contact by name and updates it.
            const name = str(item.Name);
            return applyContact(ctx, item, name ? findActiveByName(ctx, name) : undefined, changes);
          },
          wire,
          'HasValidationErrors',
        ),
    },
    {
      method: 'POST',
      path: `${BASE}/Contacts/:id`,
      operation: 'contacts.update',
      handler: (req) => {
        const existing = one(req);
        return runBatch(
          ctx,
          req,
          'Contacts',
          batchItems(req.json(), 'Contacts').slice(0, 1),
          (item, changes) => applyContact(ctx, item, ctx.books.contacts.get(existing.id), changes),
          wire,
          'HasValidationErrors',
        );
      },
    },
  ];
}
