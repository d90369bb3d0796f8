/**
 * Customer: read (`GET customer/{id}`), create and update (`POST customer`, full or
 * `"sparse": true`, `Id` + current `SyncToken`). Customers cannot be deleted, only made
 * inactive (`Active: false`); inactive customers are left out of queries unless the where clause
 * names `Active`.
 * Business rules (as the reference states them): DisplayName is unique; one of Title, GivenName,
 * MiddleName, FamilyName, Suffix or DisplayName is required; the email must be an address.
 * Docs: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/customer
 */
import {
  isSparse,
  metaData,
  wholeSeconds,
  type EntityOps,
  type FieldSpec,
  type QboContext,
  type Rec,
} from './context.ts';
import { customerBalance, type Address, type Customer } from './state.ts';
import type { ChangeBatch } from './webhooks.ts';
import {
  businessValidation,
  checkProperties,
  GBP,
  invalidProperty,
  isRecord,
  money,
  refValue,
  stringLength,
  validation,
} from './wire.ts';

/** Members the sandbox models. */
const MODELLED = [
  'Title',
  'GivenName',
  'MiddleName',
  'FamilyName',
  'Suffix',
  'DisplayName',
  'CompanyName',
  'PrintOnCheckName',
  'Active',
  'PrimaryPhone',
  'PrimaryEmailAddr',
  'BillAddr',
] as const;

/** Writable QBO members the sandbox keeps as given and echoes back. */
const KEPT = [
  'AlternatePhone',
  'Mobile',
  'Fax',
  'WebAddr',
  'OtherContactInfo',
  'ShipAddr',
  'Notes',
  'Taxable',
  'DefaultTaxCodeRef',
  'SalesTermRef',
  'PaymentMethodRef',
  'PreferredDeliveryMethod',
  'ResaleNum',
  'CustomerTypeRef',
  'PrimaryTaxIdentifier',
  'SecondaryTaxIdentifier',
  'BusinessNumber',
  'GSTIN',
  'GSTRegistrationType',
  'TaxExemptionReasonId',
  'ARAccountRef',
  'OpenBalanceDate',
  'Source',
] as const;

/** Read-only members clients echo back; QBO ignores them on writes. */
const READ_ONLY = [
  'Id',
  'SyncToken',
  'MetaData',
  'domain',
  'sparse',
  'FullyQualifiedName',
  'Level',
  'Balance',
  'BalanceWithJobs',
  'CurrencyRef',
  'Job',
  'BillWithParent',
  'ParentRef',
  'IsProject',
  'ClientEntityId',
  'V4IDPseudonym',
  'status',
];

const KNOWN = new Set<string>([...MODELLED, ...KEPT, ...READ_ONLY]);

const LIMITS: Record<string, number> = {
  Title: 16,
  GivenName: 100,
  MiddleName: 100,
  FamilyName: 100,
  Suffix: 16,
  DisplayName: 500,
  CompanyName: 100,
  PrintOnCheckName: 110,
};

const asCustomer = (rec: Rec) => rec as Customer;

export function customerToWire(ctx: QboContext, rec: Rec): Record<string, unknown> {
  const c = asCustomer(rec);
  const balance = money(customerBalance(ctx.company, c.id));
  return {
    ...(c.billAddr ? { BillAddr: { ...c.billAddr } } : {}),
    Job: false,
    BillWithParent: false,
    Balance: balance,
    BalanceWithJobs: balance,
    CurrencyRef: { ...GBP },
    PreferredDeliveryMethod: 'Print',
    IsProject: false,
    ClientEntityId: '0',
    domain: 'QBO',
    sparse: false,
    Id: c.id,
    SyncToken: String(c.syncToken),
    MetaData: metaData(ctx, c),
    ...(c.title ? { Title: c.title } : {}),
    ...(c.givenName ? { GivenName: c.givenName } : {}),
    ...(c.middleName ? { MiddleName: c.middleName } : {}),
    ...(c.familyName ? { FamilyName: c.familyName } : {}),
    ...(c.suffix ? { Suffix: c.suffix } : {}),
    FullyQualifiedName: c.displayName,
    ...(c.companyName ? { CompanyName: c.companyName } : {}),
    DisplayName: c.displayName,
    PrintOnCheckName: c.printOnCheckName ?? c.displayName,
    Active: c.active,
    ...(c.phone ? { PrimaryPhone: { FreeFormNumber: c.phone } } : {}),
    ...(c.email !== undefined ? { PrimaryEmailAddr: { Address: c.email } } : {}),
    ...structuredClone(c.extra),
  };
}

export const findCustomer = (ctx: QboContext, id: string): Customer | undefined =>
  ctx.company.customers.get(id.trim());

const nameKey = (name: string) => name.trim().toLowerCase();

export const duplicateName = () =>
  validation(
    '6240',
    'Duplicate Name Exists Error',
    'The name supplied already exists. : Another customer, vendor or employee is already using this name. Please use a different name.',
  );

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function text(input: Record<string, unknown>, key: string): string | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidProperty(`${key}`, key);
  const limit = LIMITS[key];
  if (limit !== undefined && value.length > limit) throw stringLength(key, limit, value.length);
  return value;
}

function address(value: unknown, id: string): Address | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) throw invalidProperty('BillAddr', 'BillAddr');
  const out: Address = { Id: id };
  for (const key of ['Line1', 'Line2', 'City', 'CountrySubDivisionCode', 'PostalCode', 'Country'] as const) {
    const v = value[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string') throw invalidProperty(`BillAddr.${key}`, `BillAddr.${key}`);
    out[key] = v;
  }
  return out;
}

/**
 * Creates (no `existing`) or updates a customer. A full update (no `sparse: true`) clears the
 * writable members it leaves out, as QBO's full update does; a sparse one changes only those given.
 */
export function applyCustomer(
  ctx: QboContext,
  input: Record<string, unknown>,
  existing: Customer | undefined,
  changes: ChangeBatch,
): Customer {
  checkProperties('Customer', input, KNOWN);
  const sparse = existing !== undefined && isSparse(input);
  const keep = (key: string) => sparse && !(key in input);
  const currency = refValue(input.CurrencyRef);
  if (!existing && currency && currency !== 'GBP')
    throw businessValidation(
      `You can only use the home currency (GBP): multicurrency is turned off for this company.`,
      'CurrencyRef',
    );
  const pick = (key: string, current: string | undefined) => (keep(key) ? current : text(input, key));
  const title = pick('Title', existing?.title);
  const givenName = pick('GivenName', existing?.givenName);
  const middleName = pick('MiddleName', existing?.middleName);
  const familyName = pick('FamilyName', existing?.familyName);
  const suffix = pick('Suffix', existing?.suffix);
  const companyName = pick('CompanyName', existing?.companyName);
  const printOnCheckName = pick('PrintOnCheckName', existing?.printOnCheckName);
  let displayName = pick('DisplayName', existing?.displayName)?.trim();
  if (!displayName) {
    const composed = [title, givenName, middleName, familyName, suffix].filter(Boolean).join(' ').trim();
    displayName = composed || companyName?.trim() || undefined;
  }
  if (!displayName)
    throw validation(
      '6080',
      'No Name Provided',
      'Title, GivenName, MiddleName, FamilyName, DisplayName, Suffix - one of these must be non-empty',
    );
  if (/[:\t\n]/.test(displayName))
    throw businessValidation('Names cannot contain a colon (:), a tab, or a new line.', 'DisplayName');
  const clash = [...ctx.company.customers.values()].find(
    (c) => c.id !== existing?.id && nameKey(c.displayName) === nameKey(displayName),
  );
  if (clash) throw duplicateName();

  let email = existing?.email;
  if (!keep('PrimaryEmailAddr')) {
    const raw = input.PrimaryEmailAddr;
    if (raw === undefined || raw === null) email = undefined;
    else {
      if (!isRecord(raw) || (raw.Address !== undefined && typeof raw.Address !== 'string'))
        throw invalidProperty('PrimaryEmailAddr', 'PrimaryEmailAddr');
      email = raw.Address as string | undefined;
      if (email !== undefined && email.trim() !== '' && !EMAIL.test(email.trim()))
        throw validation(
          '2210',
          'Email Address does not conform to the syntax rules of RFC 822.',
          `Email Address does not conform to the syntax rules of RFC 822. Supplied value:${email}`,
          'PrimaryEmailAddr',
        );
      if (email?.trim() === '') email = undefined;
    }
  }
  let phone = existing?.phone;
  if (!keep('PrimaryPhone')) {
    const raw = input.PrimaryPhone;
    if (raw === undefined || raw === null) phone = undefined;
    else {
      if (!isRecord(raw) || (raw.FreeFormNumber !== undefined && typeof raw.FreeFormNumber !== 'string'))
        throw invalidProperty('PrimaryPhone', 'PrimaryPhone');
      phone = (raw.FreeFormNumber as string | undefined) || undefined;
    }
  }
  let active = existing?.active ?? true;
  if (!keep('Active') && input.Active !== undefined) {
    if (typeof input.Active !== 'boolean') throw invalidProperty('Active', 'Active');
    active = input.Active;
  } else if (!sparse && existing && input.Active === undefined) active = true;
  const company = ctx.company;
  const id = existing?.id ?? String(company.nextNameId);
  const billAddr = keep('BillAddr')
    ? existing?.billAddr
    : address(input.BillAddr, existing?.billAddr?.Id ?? String(1000 + Number(id)));
  const extra: Record<string, unknown> = sparse ? structuredClone(existing?.extra ?? {}) : {};
  for (const key of KEPT) if (key in input) extra[key] = structuredClone(input[key]);

  const now = ctx.clock.now();
  const customer: Customer = existing ?? {
    id,
    syncToken: 0,
    displayName,
    active: true,
    extra: {},
    createdAt: now,
    updatedAt: now,
  };
  if (!existing) company.nextNameId++;
  Object.assign(customer, {
    title,
    givenName,
    middleName,
    familyName,
    suffix,
    companyName,
    printOnCheckName,
    displayName,
    email,
    phone,
    billAddr,
    active,
    extra,
  });
  if (existing) customer.syncToken++;
  customer.updatedAt = now;
  company.customers.set(customer.id, customer);
  changes.add('Customer', existing ? 'Update' : 'Create', customer.id, now);
  return customer;
}

const fields: FieldSpec[] = [
  { name: 'Id', type: 'id', get: (_ctx, r) => r.id },
  { name: 'DisplayName', type: 'string', get: (_ctx, r) => asCustomer(r).displayName },
  { name: 'GivenName', type: 'string', get: (_ctx, r) => asCustomer(r).givenName },
  { name: 'MiddleName', type: 'string', get: (_ctx, r) => asCustomer(r).middleName },
  { name: 'FamilyName', type: 'string', get: (_ctx, r) => asCustomer(r).familyName },
  { name: 'CompanyName', type: 'string', get: (_ctx, r) => asCustomer(r).companyName },
  { name: 'FullyQualifiedName', type: 'string', get: (_ctx, r) => asCustomer(r).displayName },
  { name: 'PrintOnCheckName', type: 'string', get: (_ctx, r) => asCustomer(r).printOnCheckName },
  { name: 'PrimaryEmailAddr', type: 'string', get: (_ctx, r) => asCustomer(r).email },
  { name: 'Active', type: 'bool', get: (_ctx, r) => asCustomer(r).active },
  { name: 'Balance', type: 'number', get: (ctx, r) => money(customerBalance(ctx.company, r.id)) },
  { name: 'MetaData.CreateTime', type: 'datetime', get: (_ctx, r) => wholeSeconds(r.createdAt) },
  { name: 'MetaData.LastUpdatedTime', type: 'datetime', get: (_ctx, r) => wholeSeconds(r.updatedAt) },
];

export const customerOps: EntityOps = {
  name: 'Customer',
  fields,
  properties: [...KNOWN, 'PrimaryPhone'],
  all: (ctx) => [...ctx.company.customers.values()],
  find: findCustomer,
  toWire: customerToWire,
  activeOnly: (rec) => asCustomer(rec).active,
  create: (ctx, input, changes) => applyCustomer(ctx, input, undefined, changes),
  update: (ctx, existing, input, changes) => applyCustomer(ctx, input, asCustomer(existing), changes),
};
