/**
 * The entity endpoints under `/v3/company/{realmId}/`: `GET <entity>/{id}` reads, and
 * `POST <entity>` writes: with no `Id` it creates; with `Id` + `SyncToken` it updates (full, or
 * sparse with `"sparse": true`); `?operation=update|delete|void` names the operation explicitly
 * (node-quickbooks always does). An update, delete or void needs the record's current
 * `SyncToken`: a stale one is the 5010 Stale Object Error. Answers are `{"<Entity>":{...},
 * "time":"..."}`; a delete answers `{"<Entity>":{"status":"Deleted","domain":"QBO","Id":"..."}}`.
 * Also read-only: Item (the studio's services) and CompanyInfo.
 * Docs: https://developer.intuit.com/app/developer/qbo/docs/learn/rest-api-features
 *       https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/item
 *       https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/companyinfo
 */
import type { Route, SandboxRequest } from '../../../src/sandbox/kit/http.ts';
import {
  api,
  jsonBody,
  metaData,
  ok,
  wholeSeconds,
  type EntityOps,
  type FieldSpec,
  type QboContext,
  type Rec,
  type WriteOptions,
} from './context.ts';
import { customerOps } from './customers.ts';
import { invoiceOps } from './invoices.ts';
import { paymentOps } from './payments.ts';
import { STANDARD_RATE, type EntityName, type Item } from './state.ts';
import type { ChangeBatch } from './webhooks.ts';
import {
  isRecord,
  money,
  objectNotFound,
  requiredParam,
  staleObject,
  str,
  unsupportedOperation,
  validation,
} from './wire.ts';

const asItem = (rec: Rec) => rec as Item;

const itemFields: FieldSpec[] = [
  { name: 'Id', type: 'id', get: (_ctx, r) => r.id },
  { name: 'Name', type: 'string', get: (_ctx, r) => asItem(r).name },
  { name: 'Sku', type: 'string', get: (_ctx, r) => asItem(r).sku },
  { name: 'Type', type: 'string', get: () => 'Service' },
  { name: 'Active', type: 'bool', get: () => true },
  { name: 'MetaData.CreateTime', type: 'datetime', get: (_ctx, r) => wholeSeconds(r.createdAt) },
  { name: 'MetaData.LastUpdatedTime', type: 'datetime', get: (_ctx, r) => wholeSeconds(r.updatedAt) },
];

export const itemOps: EntityOps = {
  name: 'Item',
  fields: itemFields,
  properties: [
    'Description',
    'UnitPrice',
    'IncomeAccountRef',
    'SalesTaxCodeRef',
    'FullyQualifiedName',
    'Taxable',
  ],
  all: (ctx) => [...ctx.company.items.values()],
  find: (ctx, id) => ctx.company.items.get(id.trim()),
  toWire: (ctx, rec) => {
    const item = asItem(rec);
    return {
      Name: item.name,
      ...(item.description ? { Description: item.description } : {}),
      Active: true,
      FullyQualifiedName: item.name,
      Taxable: true,
      SalesTaxCodeRef: { value: STANDARD_RATE },
      UnitPrice: money(item.unitPrice),
      Type: 'Service',
      IncomeAccountRef: { value: '1', name: 'Sales' },
      ...(item.sku ? { Sku: item.sku } : {}),
      domain: 'QBO',
      sparse: false,
      Id: item.id,
      SyncToken: '0',
      MetaData: metaData(ctx, item),
    };
  },
  activeOnly: () => true,
};

/** Every entity the sandbox serves, by canonical name. */
export const ENTITIES: Record<EntityName, EntityOps> = {
  Customer: customerOps,
  Invoice: invoiceOps,
  Payment: paymentOps,
  Item: itemOps,
};

/** Entity names are case-insensitive in paths, queries, batch and CDC. */
export function entityByName(name: string): EntityOps | undefined {
  const wanted = name.trim().toLowerCase();
  return Object.values(ENTITIES).find((e) => e.name.toLowerCase() === wanted);
}

export type WriteOperation = 'create' | 'update' | 'delete' | 'void';

/**
 * One write, as the entity endpoint and batch items run it. Returns the body member
 * (`{Customer: {...}}`); throws a QboFault when QBO would refuse.
 */
export function writeEntity(
  ctx: QboContext,
  ops: EntityOps,
  input: unknown,
  operation: WriteOperation | undefined,
  changes: ChangeBatch,
  options: WriteOptions,
): Record<string, unknown> {
  if (!isRecord(input)) throw requiredParam(ops.name, ops.name);
  const id = str(input.Id)?.trim();
  const op: WriteOperation = operation ?? (id ? 'update' : 'create');
  if (op === 'create') {
    if (!ops.create) throw unsupportedOperation(`Create on ${ops.name}`);
    return { [ops.name]: ops.toWire(ctx, ops.create(ctx, input, changes, options)) };
  }
  const handler = op === 'update' ? ops.update : op === 'delete' ? ops.remove : ops.void;
  if (!handler) throw unsupportedOperation(`${op[0]!.toUpperCase()}${op.slice(1)}`);
  if (!id) throw requiredParam('Id', 'Id');
  const existing = ops.find(ctx, id);
  if (!existing) throw objectNotFound();
  const token = str(input.SyncToken)?.trim();
  if (token === undefined || token === '') throw requiredParam('SyncToken', 'SyncToken');
  if (!/^\d+$/.test(token) || Number(token) !== (existing as { syncToken: number }).syncToken)
    throw staleObject();
  if (op === 'delete') {
    ops.remove!(ctx, existing, changes);
    return { [ops.name]: { status: 'Deleted', domain: 'QBO', Id: existing.id } };
  }
  if (op === 'void') return { [ops.name]: ops.toWire(ctx, ops.void!(ctx, existing, changes)) };
  return { [ops.name]: ops.toWire(ctx, ops.update!(ctx, existing, input, changes, options)) };
}

export function readEntity(ctx: QboContext, ops: EntityOps, id: string): Record<string, unknown> {
  const rec = ops.find(ctx, id);
  if (!rec) throw objectNotFound();
  return { [ops.name]: ops.toWire(ctx, rec) };
}

export const includeOf = (req: SandboxRequest): string[] =>
  (req.query.get('include') ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);

const OPERATIONS = new Set<string>(['create', 'update', 'delete', 'void']);

export function entityRoutes(ctx: QboContext): Route[] {
  const base = '/v3/company/:realmId';
  const routes: Route[] = [];
  for (const ops of Object.values(ENTITIES)) {
    const resource = ops.name.toLowerCase();
    const plural = `${resource}s`;
    routes.push({
      method: 'GET',
      path: `${base}/${resource}/:id`,
      operation: `${plural}.read`,
      handler: api(ctx, (req) => ok(ctx, readEntity(ctx, ops, req.params.id ?? ''))),
    });
    routes.push({
      method: 'POST',
      path: `${base}/${resource}`,
      operation: `${plural}.write`,
      handler: api(ctx, (req) => {
        const name = req.query.get('operation')?.trim().toLowerCase();
        if (name !== undefined && !OPERATIONS.has(name)) throw unsupportedOperation(`${name} on ${ops.name}`);
        if (!ops.create) throw unsupportedOperation(`${name ?? 'Create'} on ${ops.name}`);
        const changes = ctx.changes();
        try {
          const body = writeEntity(ctx, ops, jsonBody(req), name as WriteOperation | undefined, changes, {
            include: includeOf(req),
          });
          changes.commit();
          return ok(ctx, body);
        } catch (error) {
          changes.discard();
          throw error;
        }
      }),
    });
  }
  routes.push({
    method: 'GET',
    path: `${base}/companyinfo/:id`,
    operation: 'companyinfo.read',
    handler: api(ctx, (req) => {
      if (req.params.id !== ctx.realmId) throw objectNotFound();
      return ok(ctx, { CompanyInfo: companyInfo(ctx) });
    }),
  });
  return routes;
}

export function companyInfo(ctx: QboContext): Record<string, unknown> {
  const company = ctx.company;
  return {
    CompanyName: company.name,
    LegalName: company.name,
    CompanyAddr: { Id: '1', Line1: '12 Harbour Lane', City: 'Bristol', PostalCode: 'BS1 4RN', Country: 'GB' },
    CustomerCommunicationAddr: { Id: '1', Line1: '12 Harbour Lane', City: 'Bristol', PostalCode: 'BS1 4RN' },
    LegalAddr: { Id: '1', Line1: '12 Harbour Lane', City: 'Bristol', PostalCode: 'BS1 4RN', Country: 'GB' },
    PrimaryPhone: {},
    CompanyStartDate: new Date(company.createdAt).toISOString().slice(0, 10),
    FiscalYearStartMonth: 'April',
    Country: 'GB',
    Email: { Address: company.email },
    WebAddr: {},
    SupportedLanguages: 'en',
    DefaultTimeZone: company.timeZone,
    NameValue: [
      { Name: 'NeoEnabled', Value: 'true' },
      { Name: 'IsQbdtMigrated', Value: 'false' },
      { Name: 'SubscriptionStatus', Value: 'PAID' },
      { Name: 'OfferingSku', Value: 'QuickBooks Online Plus' },
      { Name: 'PayrollFeature', Value: 'false' },
      { Name: 'AccountantFeature', Value: 'false' },
      { Name: 'ItemCategoriesFeature', Value: 'true' },
    ],
    domain: 'QBO',
    sparse: false,
    Id: '1',
    SyncToken: '0',
    MetaData: metaData(ctx, { createdAt: company.createdAt, updatedAt: company.createdAt }),
  };
}

/** Anything else under the company path: QBO's "could not find resource" answer. */
export function unknownResourceRoute(ctx: QboContext, method: string): Route {
  return {
    method,
    path: '/v3/company/:realmId/*rest',
    operation: 'api.unsupported',
    handler: api(ctx, (req) => {
      throw validation(
        '500',
        'Unsupported Operation',
        `Operation Could not find resource for relative : ${req.path} of full path: ${req.url.href} is not supported.`,
      );
    }),
  };
}
