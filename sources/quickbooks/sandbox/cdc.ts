/**
 * Change data capture: `GET cdc?entities=Customer,Invoice,Payment&changedSince=<date-time>`
 * returns the full payload of every record of those entities changed since then, grouped by
 * entity and in order of last update, with records deleted in the window after them as
 * `{"domain":"QBO","status":"Deleted","Id":"979","MetaData":{"LastUpdatedTime":"..."}}`:
 * `{"CDCResponse":[{"QueryResponse":[{"Customer":[...],"startPosition":1,"maxResults":2},
 * ...]}],"time":"..."}`, or `{"CDCResponse":[{"QueryResponse":[{}]}],...}` when nothing changed.
 * The look-back is at most 30 days (older: "Operation cdc with changedSince date ... which is
 * older than fixed days is not supported."); one answer holds at most 1000 objects.
 * `changedSince` is ISO 8601 (`2015-12-23T10:00:00-07:00`, `...Z`, or a date); a `+` that
 * arrives as a space (an unencoded `+01:00` offset in a query string) is read as `+`.
 * Docs: https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/change-data-capture
 *       https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/changedatacapture
 */
import type { Route } from '../../../src/sandbox/kit/http.ts';
import { api, ok, wholeSeconds, type QboContext } from './context.ts';
import { entityByName } from './entities.ts';
import { dateTime, parseDateTime, requiredParam, unsupportedOperation, validation } from './wire.ts';

export const CDC_LOOKBACK_DAYS = 30;
export const CDC_MAX_OBJECTS = 1000;

export function runCdc(ctx: QboContext, entitiesParam: string | null, changedSinceParam: string | null) {
  if (!entitiesParam?.trim()) throw requiredParam('entities');
  if (!changedSinceParam?.trim()) throw requiredParam('changedSince');
  const names = entitiesParam
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const entities = names.map((name) => {
    const ops = entityByName(name);
    if (!ops)
      throw validation(
        '2010',
        'Request has invalid or unsupported property',
        `Property Name:entities (${name}) specified is unsupported or invalid`,
        'entities',
      );
    return ops;
  });
  const text = changedSinceParam.trim().replace(/ (\d{2}:?\d{2})$/, '+$1');
  const since = parseDateTime(text, ctx.company.timeZone);
  if (since === undefined)
    throw validation(
      '2010',
      'Request has invalid or unsupported property',
      `Property Name:changedSince (${changedSinceParam}) specified is unsupported or invalid`,
      'changedSince',
    );
  const now = ctx.clock.now();
  if (since < now - CDC_LOOKBACK_DAYS * 86_400_000)
    throw unsupportedOperation(
      `cdc with changedSince date ${changedSinceParam} which is older than fixed days`,
    );

  let budget = CDC_MAX_OBJECTS;
  const groups: Record<string, unknown>[] = [];
  const seen = new Set<string>();
  for (const ops of entities) {
    if (seen.has(ops.name)) continue;
    seen.add(ops.name);
    const changed = ops
      .all(ctx)
      .filter((r) => wholeSeconds(r.updatedAt) >= since)
      .sort((a, b) => a.updatedAt - b.updatedAt || Number(a.id) - Number(b.id))
      .map((r) => ops.toWire(ctx, r));
    const deleted = ctx.company.deleted
      .filter((t) => t.entity === ops.name && wholeSeconds(t.deletedAt) >= since)
      .sort((a, b) => a.deletedAt - b.deletedAt)
      .map((t) => ({
        domain: 'QBO',
        status: 'Deleted',
        Id: t.id,
        MetaData: { LastUpdatedTime: dateTime(t.deletedAt, ctx.company.timeZone) },
      }));
    const all = [...changed, ...deleted].slice(0, budget);
    budget -= all.length;
    if (all.length === 0) continue;
    groups.push({ [ops.name]: all, startPosition: 1, maxResults: all.length });
  }
  return { CDCResponse: [{ QueryResponse: groups.length > 0 ? groups : [{}] }] };
}

export function cdcRoute(ctx: QboContext): Route {
  return {
    method: 'GET',
    path: '/v3/company/:realmId/cdc',
    operation: 'cdc',
    handler: api(ctx, (req) =>
      ok(
        ctx,
        runCdc(
          ctx,
          req.query.get('entities'),
          req.query.get('changedSince') ?? req.query.get('changedsince'),
        ),
      ),
    ),
  };
}
