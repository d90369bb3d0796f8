/**
 * Invoices: GET list/one (by InvoiceID or InvoiceNumber), PUT (create), POST (create or update),
 * POST /Invoices/{id} (update, including status changes: approve, void, delete).
 * Docs: https://developer.xero.com/documentation/api/accounting/invoices
 */
import { ResponseError, type Route, type SandboxRequest } from '../../../src/sandbox/kit/http.ts';
import { runBatch, type ElementResult, type XeroContext } from './context.ts';
import type { ChangeBatch } from './webhooks.ts';
import { applyContact, findActiveByName, findContact } from './contacts.ts';
import {
  amountDue,
  amountPaid,
  computeTotals,
  TAX_RATES,
  type Invoice,
  type InvoiceStatus,
  type LineAmountTypes,
  type LineItem,
} from './state.ts';
import { boolParam, commaList, compileOrder, compileWhere, guidList, paginate, param } from './query.ts';
import {
  batchItems,
  dateString,
  envelope,
  isGuid,
  isRecord,
  money,
  msDate,
  notFound,
  parseIfModifiedSince,
  parseXeroDate,
  postDataInvalid,
  startOfUtcDay,
  str,
  toMinor,
  utcString,
} from './wire.ts';

const BASE = '/api.xro/2.0';

export const INVOICE_FIELDS = [
  'Type',
  'InvoiceID',
  'InvoiceNumber',
  'Reference',
  'Contact',
  'Date',
  'DueDate',
  'Status',
  'LineAmountTypes',
  'LineItems',
  'SubTotal',
  'TotalTax',
  'Total',
  'AmountDue',
  'AmountPaid',
  'AmountCredited',
  'CurrencyCode',
  'CurrencyRate',
  'FullyPaidOnDate',
  'UpdatedDateUTC',
  'SentToContact',
  'HasAttachments',
  'IsDiscounted',
  'Payments',
  'Url',
  'BrandingThemeID',
  'ExpectedPaymentDate',
  'PlannedPaymentDate',
] as const;

const STATUSES: InvoiceStatus[] = ['DRAFT', 'SUBMITTED', 'AUTHORISED', 'PAID', 'VOIDED', 'DELETED'];
const LINE_AMOUNT_TYPES: LineAmountTypes[] = ['Exclusive', 'Inclusive', 'NoTax'];

/** Status changes Xero allows through the API; PAID only ever comes from payments. */
const TRANSITIONS: Record<InvoiceStatus, InvoiceStatus[]> = {
  DRAFT: ['DRAFT', 'SUBMITTED', 'AUTHORISED', 'DELETED'],
  SUBMITTED: ['DRAFT', 'SUBMITTED', 'AUTHORISED', 'DELETED'],
  AUTHORISED: ['AUTHORISED', 'VOIDED'],
  PAID: ['PAID'],
  VOIDED: ['VOIDED'],
  DELETED: ['DELETED'],
};

export function paymentSummaries(ctx: XeroContext, invoice: Invoice): Record<string, unknown>[] {
  return [...ctx.books.payments.values()]
    .filter((p) => p.invoiceId === invoice.id && p.status === 'AUTHORISED')
    .sort((a, b) => a.date - b.date)
    .map((p) => ({
      PaymentID: p.id,
      Date: msDate(p.date),
      Amount: money(p.amount),
      Reference: p.reference,
      CurrencyRate: 1,
      HasAccount: false,
      HasValidationErrors: false,
    }));
}

export function invoiceToWire(
  ctx: XeroContext,
  invoice: Invoice,
  options: { lineItems?: boolean; summaryOnly?: boolean; fullContact?: boolean } = {},
): Record<string, unknown> {
  const contact = ctx.books.contacts.get(invoice.contactId);
  const paid = amountPaid(ctx.books, invoice.id);
  const wire: Record<string, unknown> = {
    Type: invoice.type,
    InvoiceID: invoice.id,
    InvoiceNumber: invoice.number,
    Reference: invoice.reference,
    AmountDue: money(amountDue(ctx.books, invoice)),
    AmountPaid: money(paid),
    AmountCredited: 0,
    CurrencyRate: 1,
    IsDiscounted: false,
    HasAttachments: false,
    HasErrors: false,
    Contact: {
      ContactID: invoice.contactId,
      Name: contact?.name ?? '',
      ...(options.fullContact && contact
        ? {
            ContactStatus: contact.status,
            ...(contact.firstName !== undefined ? { FirstName: contact.firstName } : {}),
            ...(contact.lastName !== undefined ? { LastName: contact.lastName } : {}),
            ...(contact.email !== undefined ? { EmailAddress: contact.email } : {}),
          }
        : {}),
      Addresses: [],
      Phones: [],
      ContactGroups: [],
      ContactPersons: [],
      HasValidationErrors: false,
    },
    DateString: dateString(invoice.date),
    Date: msDate(invoice.date),
    ...(invoice.dueDate !== undefined
      ? { DueDateString: dateString(invoice.dueDate), DueDate: msDate(invoice.dueDate) }
      : {}),
    Status: invoice.status,
    LineAmountTypes: invoice.lineAmountTypes,
    SubTotal: money(invoice.subTotal),
    TotalTax: money(invoice.totalTax),
    Total: money(invoice.total),
    UpdatedDateUTC: msDate(invoice.updatedAt),
    UpdatedDateUTCString: utcString(invoice.updatedAt),
    CurrencyCode: invoice.currency,
    SentToContact: invoice.sentToContact,
    ...(invoice.fullyPaidOn !== undefined ? { FullyPaidOnDate: msDate(invoice.fullyPaidOn) } : {}),
    ...(invoice.url ? { Url: invoice.url } : {}),
  };
  if (options.summaryOnly) return wire;
  return {
    ...wire,
    Payments: paymentSummaries(ctx, invoice),
    CreditNotes: [],
    Prepayments: [],
    Overpayments: [],
    // Lists without `page` carry no line items; single GETs and paged lists do.
    LineItems: options.lineItems
      ? invoice.lines.map((l) => ({
          LineItemID: l.id,
          Description: l.description,
          Quantity: l.quantity,
          UnitAmount: money(l.unitAmount),
          ...(l.itemCode ? { ItemCode: l.itemCode } : {}),
          AccountCode: l.accountCode,
          TaxType: l.taxType,
          TaxAmount: money(l.taxAmount),
          LineAmount: money(l.lineAmount),
          ...(l.discountRate !== undefined ? { DiscountRate: l.discountRate } : {}),
          Tracking: [],
        }))
      : [],
  };
}

export function findInvoice(ctx: XeroContext, idOrNumber: string): Invoice | undefined {
  if (isGuid(idOrNumber)) return ctx.books.invoices.get(idOrNumber.toLowerCase());
  return [...ctx.books.invoices.values()].find((i) => i.number === idOrNumber);
}

const nextNumber = (ctx: XeroContext): string => {
  const taken = new Set([...ctx.books.invoices.values()].map((i) => i.number));
  let number = `INV-${String(ctx.books.nextInvoiceNumber).padStart(4, '0')}`;
  while (taken.has(number)) number = `INV-${String(++ctx.books.nextInvoiceNumber).padStart(4, '0')}`;
  ctx.books.nextInvoiceNumber++;
  return number;
};

function parseLines(
  ctx: XeroContext,
  value: unknown,
  existing: LineItem[] | undefined,
  errors: string[],
): LineItem[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value))
    throw postDataInvalid('JSON for post data was invalid: "LineItems" must be an array.');
  return value.map((raw, i) => {
    if (!isRecord(raw))
      throw postDataInvalid(`JSON for post data was invalid: LineItems[${i}] must be an object.`);
    const numberOf = (key: string, fallback: number): number => {
      const v = raw[key];
      if (v === undefined || v === null) return fallback;
      const n = typeof v === 'string' ? Number(v) : v;
      if (typeof n !== 'number' || !Number.isFinite(n)) {
        throw postDataInvalid(`JSON for post data was invalid: LineItems[${i}].${key} must be a number.`);
      }
      return n;
    };
    const accountCode = str(raw.AccountCode) ?? '';
    const account = ctx.books.accounts.find((a) => a.code === accountCode);
    if (accountCode && (!account || account.type !== 'REVENUE'))
      errors.push(`Account code '${accountCode}' is not a valid code for this document.`);
    const taxType = str(raw.TaxType) ?? account?.taxType ?? 'OUTPUT2';
    if (!(taxType in TAX_RATES))
      errors.push(
        `The TaxType code '${taxType}' does not exist or cannot be used for this type of transaction.`,
      );
    const discountRate = raw.DiscountRate === undefined ? undefined : numberOf('DiscountRate', 0);
    const id = str(raw.LineItemID);
    const previous = id ? existing?.find((l) => l.id === id) : undefined;
    return {
      id: previous?.id ?? ctx.ids.uuid(),
      description: str(raw.Description) ?? '',
      quantity: numberOf('Quantity', 1),
      unitAmount: toMinor(numberOf('UnitAmount', 0)) ?? 0,
      ...(discountRate !== undefined ? { discountRate } : {}),
      accountCode,
      taxType,
      ...(str(raw.ItemCode) ? { itemCode: str(raw.ItemCode) } : {}),
      lineAmount: 0,
      taxAmount: 0,
    };
  });
}

/** Creates (no `existing`) or updates an invoice; validates everything before changing the books. */
export function applyInvoice(
  ctx: XeroContext,
  input: Record<string, unknown>,
  existing: Invoice | undefined,
  changes: ChangeBatch,
): ElementResult {
  const errors: string[] = [];
  const text = (key: string) => {
    const v = input[key];
    if (v === undefined || v === null) return undefined;
    const s = str(v);
    if (s === undefined) throw postDataInvalid(`JSON for post data was invalid: "${key}" must be a string.`);
    return s;
  };
  const date = (key: string) => {
    const v = input[key];
    if (v === undefined || v === null || v === '') return undefined;
    const ms = parseXeroDate(v);
    if (ms === undefined)
      throw postDataInvalid(`JSON for post data was invalid: "${key}" is not a valid date.`);
    return startOfUtcDay(ms);
  };

  const type = text('Type')?.toUpperCase() ?? existing?.type;
  if (!type) errors.push('Invoice Type must be specified.');
  else if (type !== 'ACCREC' && type !== 'ACCPAY') errors.push(`'${type}' is not a valid invoice Type.`);

  const requested = text('Status')?.toUpperCase() as InvoiceStatus | undefined;
  if (requested !== undefined && !STATUSES.includes(requested))
    errors.push(`'${requested}' is not a valid invoice Status.`);
  const status: InvoiceStatus = requested ?? existing?.status ?? 'DRAFT';
  if (!existing && !['DRAFT', 'SUBMITTED', 'AUTHORISED'].includes(status))
    errors.push('Invoice not of valid status for creation');
  if (existing && !TRANSITIONS[existing.status].includes(status)) {
    if (status === 'PAID')
      errors.push('An invoice becomes PAID when payments cover it; apply a payment instead.');
    else if (status === 'DELETED' && existing.status === 'AUTHORISED')
      errors.push('Invoice of status AUTHORISED cannot be deleted. Void it instead.');
    else if (status === 'VOIDED' && (existing.status === 'DRAFT' || existing.status === 'SUBMITTED'))
      errors.push(`Invoice of status ${existing.status} cannot be voided. Delete it instead.`);
    else errors.push(`Invoice not of valid status for modification (${existing.status} to ${status}).`);
  }
  const paid = existing ? amountPaid(ctx.books, existing.id) : 0;
  if (existing && status === 'VOIDED' && existing.status !== 'VOIDED' && paid > 0)
    errors.push('Payments have been applied to this invoice. Remove the payments before voiding it.');

  // Contact: by ContactID, ContactNumber, or by Name (a new name creates the contact, as in Xero).
  let contactId = existing?.contactId;
  let newContact: Record<string, unknown> | undefined;
  if (input.Contact !== undefined) {
    if (!isRecord(input.Contact))
      throw postDataInvalid('JSON for post data was invalid: "Contact" must be an object.');
    const ref = str(input.Contact.ContactID) ?? str(input.Contact.ContactNumber);
    const name = str(input.Contact.Name);
    if (ref) {
      const found = findContact(ctx, ref);
      if (found) contactId = found.id;
      else errors.push(`The contact with ContactID ${ref} could not be found.`);
    } else if (name) {
      const found = findActiveByName(ctx, name);
      if (found) contactId = found.id;
      else newContact = input.Contact;
    } else errors.push('A Contact must be specified for this type of transaction');
  } else if (!existing) errors.push('A Contact must be specified for this type of transaction');

  const lines = parseLines(ctx, input.LineItems, existing?.lines, errors);
  const lineAmountTypesRaw = text('LineAmountTypes');
  const lineAmountTypes = lineAmountTypesRaw
    ? LINE_AMOUNT_TYPES.find((t) => t.toLowerCase() === lineAmountTypesRaw.toLowerCase())
    : (existing?.lineAmountTypes ?? 'Exclusive');
  if (!lineAmountTypes) errors.push(`'${lineAmountTypesRaw}' is not a valid LineAmountTypes value.`);
  const currency = text('CurrencyCode');
  if (currency && currency.toUpperCase() !== 'GBP')
    errors.push(`The currency ${currency} is not enabled for this organisation (base currency GBP).`);
  const number = text('InvoiceNumber')?.trim();
  if (number && type === 'ACCREC') {
    const clash = [...ctx.books.invoices.values()].find((i) => i.number === number && i.type === 'ACCREC');
    if (clash && clash.id !== existing?.id) errors.push('Invoice # must be unique.');
  }
  const invoiceDate = date('Date') ?? existing?.date ?? startOfUtcDay(ctx.clock.now());
  const dueDate = date('DueDate') ?? existing?.dueDate;
  const finalLines = lines ?? existing?.lines ?? [];

  if (existing && paid > 0) {
    const edits = ['LineItems', 'Contact', 'Date', 'DueDate', 'LineAmountTypes', 'CurrencyCode'].filter(
      (k) => input[k] !== undefined,
    );
    if (edits.length > 0)
      errors.push('This document cannot be edited as it has a payment or credit note allocated to it.');
  }
  if (
    existing &&
    (existing.status === 'VOIDED' || existing.status === 'DELETED') &&
    Object.keys(input).some((k) => !['InvoiceID', 'Status', 'InvoiceNumber'].includes(k))
  )
    errors.push(`This document cannot be edited as it is ${existing.status}.`);
  if (status === 'SUBMITTED' || status === 'AUTHORISED') {
    if (finalLines.length === 0) errors.push('The invoice must have at least one line item to be approved.');
    if (finalLines.some((l) => !l.accountCode))
      errors.push('Account code must be specified for every line of an approved invoice.');
    if (dueDate === undefined) errors.push('Due Date must be specified for an approved invoice.');
  }
  if (errors.length > 0) return { errors };

  if (newContact) {
    const created = applyContact(
      ctx,
      { Name: newContact.Name, EmailAddress: newContact.EmailAddress },
      undefined,
      changes,
    );
    if ('errors' in created) return created;
    contactId = created.id;
  }
  const now = ctx.clock.now();
  const invoice: Invoice = existing ?? {
    id: ctx.ids.uuid(),
    type: type as Invoice['type'],
    number: number || (type === 'ACCREC' ? nextNumber(ctx) : ''),
    reference: '',
    contactId: contactId as string,
    status,
    date: invoiceDate,
    lineAmountTypes: lineAmountTypes as LineAmountTypes,
    lines: [],
    currency: 'GBP',
    subTotal: 0,
    totalTax: 0,
    total: 0,
    sentToContact: false,
    createdByApp: true,
    updatedAt: now,
  };
  invoice.type = type as Invoice['type'];
  if (number) invoice.number = number;
  const reference = text('Reference');
  if (reference !== undefined) invoice.reference = reference;
  const url = text('Url');
  if (url !== undefined) invoice.url = url;
  if (typeof input.SentToContact === 'boolean') invoice.sentToContact = input.SentToContact;
  invoice.contactId = contactId as string;
  invoice.date = invoiceDate;
  if (dueDate !== undefined) invoice.dueDate = dueDate;
  invoice.lineAmountTypes = lineAmountTypes as LineAmountTypes;
  invoice.lines = finalLines;
  Object.assign(invoice, computeTotals(invoice));
  invoice.status = status;
  // An approved invoice with nothing to pay is settled at once, as in Xero.
  if (status === 'AUTHORISED' && invoice.total - paid <= 0) {
    invoice.status = 'PAID';
    invoice.fullyPaidOn = invoice.date;
  }
  invoice.updatedAt = now;
  ctx.books.invoices.set(invoice.id, invoice);
  changes.add('INVOICE', existing ? 'UPDATE' : 'CREATE', invoice.id);
  return { id: invoice.id };
}

function listInvoices(ctx: XeroContext, req: SandboxRequest) {
  const q = req.query;
  const ids = guidList(q, 'IDs');
  const contactIds = guidList(q, 'ContactIDs');
  const numbers = commaList(q, 'InvoiceNumbers');
  const statuses = commaList(q, 'Statuses')?.map((s) => s.toUpperCase());
  const where = param(q, 'where');
  const summaryOnly = boolParam(q, 'summaryOnly') ?? false;
  const createdByMyApp = boolParam(q, 'createdByMyApp') ?? false;
  boolParam(q, 'includeArchived');
  const searchTerm = param(q, 'searchTerm')?.trim().toLowerCase();
  const since = parseIfModifiedSince(req.headers['if-modified-since']);
  const filter = where ? compileWhere(where, 'Invoice', INVOICE_FIELDS) : undefined;
  const sort = compileOrder(param(q, 'order') ?? 'UpdatedDateUTC ASC', 'Invoice', INVOICE_FIELDS);
  const paged = param(q, 'page') !== undefined;

  let invoices = [...ctx.books.invoices.values()];
  if (ids) {
    const wanted = new Set(ids);
    invoices = invoices.filter((i) => wanted.has(i.id));
  }
  if (contactIds) {
    const wanted = new Set(contactIds);
    invoices = invoices.filter((i) => wanted.has(i.contactId));
  }
  if (numbers) {
    const wanted = new Set(numbers);
    invoices = invoices.filter((i) => wanted.has(i.number));
  }
  if (statuses) invoices = invoices.filter((i) => statuses.includes(i.status));
  if (createdByMyApp) invoices = invoices.filter((i) => i.createdByApp);
  if (since !== undefined) invoices = invoices.filter((i) => i.updatedAt > since);
  if (searchTerm)
    invoices = invoices.filter((i) =>
      [i.number, i.reference].some((f) => f.toLowerCase().includes(searchTerm)),
    );
  let wires = invoices.map((i) => invoiceToWire(ctx, i, { lineItems: paged, summaryOnly }));
  if (filter) wires = wires.filter(filter);
  wires.sort((a, b) => sort(a, b) || String(a.InvoiceID).localeCompare(String(b.InvoiceID)));
  const page = paginate(wires, q);
  return {
    status: 200,
    body: envelope(req, ctx.clock.now(), {
      ...(page.pagination ? { pagination: page.pagination } : {}),
      Invoices: page.items,
    }),
  };
}

export function invoiceRoutes(ctx: XeroContext): Route[] {
  const one = (req: SandboxRequest) => {
    const invoice = findInvoice(ctx, req.params.id ?? '');
    if (!invoice) throw new ResponseError(notFound());
    return invoice;
  };
  const wire = (id: string) =>
    invoiceToWire(ctx, ctx.books.invoices.get(id) as Invoice, { lineItems: true, fullContact: true });
  return [
    {
      method: 'GET',
      path: `${BASE}/Invoices`,
      operation: 'invoices.list',
      handler: (req) => listInvoices(ctx, req),
    },
    {
      method: 'GET',
      path: `${BASE}/Invoices/:id`,
      operation: 'invoices.get',
      handler: (req) => ({
        status: 200,
        body: envelope(req, ctx.clock.now(), { Invoices: [wire(one(req).id)] }),
      }),
    },
    {
      method: 'PUT',
      path: `${BASE}/Invoices`,
      operation: 'invoices.create',
      handler: (req) =>
        runBatch(
          ctx,
          req,
          'Invoices',
          batchItems(req.json(), 'Invoices'),
          (item, changes) => {
            const id = str(item.InvoiceID);
            return applyInvoice(ctx, item, id ? findInvoice(ctx, id) : undefined, changes);
          },
          wire,
          'HasErrors',
        ),
    },
    {
      method: 'POST',
      path: `${BASE}/Invoices`,
      operation: 'invoices.upsert',
      handler: (req) =>
        runBatch(
          ctx,
          req,
          'Invoices',
          batchItems(req.json(), 'Invoices'),
          (item, changes) => {
            const id = str(item.InvoiceID);
            if (id) {
              const existing = findInvoice(ctx, id);
              if (!existing) return { errors: [`The invoice with InvoiceID ${id} could not be found.`] };
              return applyInvoice(ctx, item, existing, changes);
            }
            // Sales invoice numbers are unique, so POST matches on them.
            const number = str(item.InvoiceNumber);
            const byNumber = number
              ? [...ctx.books.invoices.values()].find((i) => i.number === number && i.type === 'ACCREC')
              : undefined;
            return applyInvoice(ctx, item, byNumber, changes);
          },
          wire,
          'HasErrors',
        ),
    },
    {
      method: 'POST',
      path: `${BASE}/Invoices/:id`,
      operation: 'invoices.update',
      handler: (req) => {
        const existing = one(req);
        return runBatch(
          ctx,
          req,
          'Invoices',
          batchItems(req.json(), 'Invoices').slice(0, 1),
          (item, changes) => applyInvoice(ctx, item, ctx.books.invoices.get(existing.id), changes),
          wire,
          'HasErrors',
        );
      },
    },
  ];
}
