/**
 * The v4 associations API's read of one record's associations of one type, e.g. the notes on a
 * contact's timeline: `GET /crm/v4/objects/{objectType}/{objectId}/associations/{toObjectType}`.
 * Docs: https://developers.hubspot.com/docs/api/crm/associations (v4, "Retrieve associated records")
 */
import type { Route, SandboxRequest, SandboxResponse } from '../../../src/sandbox/kit/http.ts';
import type { HubspotContext } from './context.ts';
import { associationTypeId, resolveObjectType } from './schema.ts';
import { badRequest, fail } from './wire.ts';

/** v4 answers up to 500 associations a page. */
const PAGE_LIMIT = 500;

export function associationRoutes(ctx: HubspotContext): Route[] {
  const list = (req: SandboxRequest): SandboxResponse => {
    const from = resolveObjectType(req.params.objectType ?? '');
    const to = resolveObjectType(req.params.toObjectType ?? '');
    if (!from) badRequest(`Unable to infer object type from: ${req.params.objectType ?? ''}`);
    if (!to) badRequest(`Unable to infer object type from: ${req.params.toObjectType ?? ''}`);
    const id = req.params.objectId ?? '';
    const record = ctx.store.find(from.type, id);
    if (!record) fail(404, `No ${from.singular} with id ${id} exists.`, { category: 'OBJECT_NOT_FOUND' });
    const typeId = associationTypeId(from.type, to.type);

    const limitRaw = req.query.get('limit');
    const limit = limitRaw === null || limitRaw === '' ? PAGE_LIMIT : Number(limitRaw);
    if (!Number.isInteger(limit) || limit < 1 || limit > PAGE_LIMIT)
      badRequest(`"limit" must be an integer from 1 to ${PAGE_LIMIT}, got "${limitRaw ?? ''}".`);
    const afterRaw = req.query.get('after') || null;
    if (afterRaw !== null && !/^\d+$/.test(afterRaw))
      badRequest(`Unable to parse query parameter "after": "${afterRaw}" is not a valid paging cursor.`);
    const after = afterRaw === null ? 0 : Number(afterRaw);

    // Ids in ascending order, the cursor being the next id to return (as the object list routes).
    const ids = [...record.assoc[to.type]]
      .filter((other) => ctx.store.records[to.type].get(other)?.archived === false)
      .map(Number)
      .filter((other) => other >= after)
      .sort((a, b) => a - b);
    const page = ids.slice(0, limit);
    const body: Record<string, unknown> = {
      results: page.map((toObjectId) => ({
        toObjectId,
        associationTypes: typeId === undefined ? [] : [{ category: 'HUBSPOT_DEFINED', typeId, label: null }],
      })),
    };
    const next = ids[limit];
    if (next !== undefined) {
      const link = new URL(req.url.toString());
      link.searchParams.set('after', String(next));
      body.paging = { next: { after: String(next), link: link.toString() } };
    }
    return { status: 200, body };
  };

  return [
    {
      method: 'GET',
      path: '/crm/v4/objects/:objectType/:objectId/associations/:toObjectType',
      operation: 'associations.list',
      handler: list,
    },
  ];
}
