/**
 * Batch: `POST batch` with `{"BatchItemRequest":[{"bId":"1","operation":"create","Customer":{...}},
 * {"bId":"2","Query":"select * from Invoice where ..."}, ...]}` runs up to 30 items and answers
 * `{"BatchItemResponse":[{"bId":"1","Customer":{...}},{"bId":"2","QueryResponse":{...}},
 * {"bId":"3","Fault":{"type":"ValidationFault","Error":[...]}}],"time":...}`: each item succeeds
 * or fails on its own (a failed item carries the `Fault` the single request would have got).
 * Operations: create, update, delete (and void for invoices); a query item has `Query` and no
 * operation. With a `requestid`, the whole batch is idempotent (requestid at most 36 characters,
 * each bId at most 10). More than 30 items is refused as a whole (HTTP 400).
 * Besides the 500 requests a minute every call counts against, the batch endpoint takes at most
 * 40 requests a minute per company (see limits.ts).
 * Docs: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/batch
 *       https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/batch
 */
import type { Route } from '../../../src/sandbox/kit/http.ts';
import { api, jsonBody, ok, type QboContext } from './context.ts';
import { ENTITIES, writeEntity, type WriteOperation } from './entities.ts';
import { runQuery } from './query.ts';
import {
  businessValidation,
  invalidProperty,
  isRecord,
  QboFault,
  requiredParam,
  str,
  validation,
} from './wire.ts';

export const MAX_BATCH_ITEMS = 30;
const OPERATIONS = new Set(['create', 'update', 'delete', 'void']);

export function runBatch(ctx: QboContext, body: unknown, requestId: string | null): Record<string, unknown> {
  if (!isRecord(body)) throw requiredParam('BatchItemRequest');
  const items = body.BatchItemRequest;
  if (items === undefined || items === null) throw requiredParam('BatchItemRequest');
  if (!Array.isArray(items)) throw invalidProperty('BatchItemRequest', 'BatchItemRequest');
  if (items.length === 0) throw requiredParam('BatchItemRequest');
  if (items.length > MAX_BATCH_ITEMS)
    throw validation(
      '2010',
      'Request has invalid or unsupported property',
      `Property Name:BatchItemRequest (${items.length} items; a batch takes at most ${MAX_BATCH_ITEMS}) specified is unsupported or invalid`,
      'BatchItemRequest',
    );
  const changes = ctx.changes();
  const seen = new Set<string>();
  const responses = items.map((item, index) => {
    const bId = isRecord(item) ? str(item.bId) : undefined;
    try {
      if (!isRecord(item)) throw invalidProperty(`BatchItemRequest[${index}]`, 'BatchItemRequest');
      if (!bId) throw requiredParam('bId', 'bId');
      if (seen.has(bId))
        throw businessValidation(`bId ${bId} is used by more than one item of this batch.`, 'bId');
      seen.add(bId);
      if (requestId && bId.length > 10)
        throw businessValidation(
          `With a requestid, batch ids may have at most 10 characters (bId ${bId} has ${bId.length}).`,
          'bId',
        );
      const operation = str(item.operation)?.toLowerCase();
      if (typeof item.Query === 'string' && (operation === undefined || operation === 'query'))
        return { bId, QueryResponse: runQuery(ctx, item.Query) };
      const entity = Object.values(ENTITIES).find((ops) => ops.name in item);
      if (!entity) throw requiredParam('Query or an entity (Customer, Invoice, Payment)', 'BatchItemRequest');
      if (!operation) throw requiredParam('operation', 'operation');
      if (!OPERATIONS.has(operation)) throw invalidProperty(`operation (${operation})`, 'operation');
      if (!entity.create) throw businessValidation(`${entity.name} is read-only in the sandbox.`);
      return {
        bId,
        ...writeEntity(ctx, entity, item[entity.name], operation as WriteOperation, changes, { include: [] }),
      };
    } catch (error) {
      if (error instanceof QboFault) return { ...(bId ? { bId } : {}), Fault: error.fault() };
      changes.discard();
      throw error;
    }
  });
  changes.commit();
  return { BatchItemResponse: responses };
}

export function batchRoute(ctx: QboContext): Route {
  return {
    method: 'POST',
    path: '/v3/company/:realmId/batch',
    operation: 'batch',
    handler: api(ctx, (req) => ok(ctx, runBatch(ctx, jsonBody(req), req.query.get('requestid')))),
  };
}
