/**
 * CRM objects basic and batch endpoints for contacts, deals and notes.
 * Docs: https://developers.hubspot.com/docs/api/crm/contacts (basic + batch),
 *       https://developers.hubspot.com/docs/api/crm/deals,
 *       https://developers.hubspot.com/docs/api/crm/notes
 */
import type { Route, SandboxRequest, SandboxResponse } from '../../../src/sandbox/kit/http.ts';
import type { HubspotContext } from './context.ts';
import { toWire, writtenProperties } from './format.ts';
import { OBJECT_TYPES, type ObjectType } from './schema.ts';
import type { Change, CrmRecord } from './state.ts';
import { searchRoute } from './search.ts';
import { badRequest, booleanParam, fail, isRecord, jsonObject, listParam, stringList } from './wire.ts';

const BATCH_LIMIT = 100;

const notFound = (id: string): never =>
  fail(404, 'Object not found.  objectId are usually numeric.', { context: { id: [id] } });

function intParam(query: URLSearchParams, name: string, fallback: number, max: number): number {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    badRequest(`Unable to parse query parameter "${name}": "${raw}" is not a positive integer.`);
  if (n > max) badRequest(`"${name}" must be at most ${max}, got ${n}.`);
  return n;
}

/** `{inputs: [...]}` with 1..100 entries, each an object. */
function batchInputs(body: Record<string, unknown>): Record<string, unknown>[] {
  const inputs = body.inputs;
  if (!Array.isArray(inputs)) badRequest('Invalid input JSON: "inputs" must be a list.');
  if (inputs.length > BATCH_LIMIT)
    badRequest(`Batch input size is ${inputs.length}; the maximum is ${BATCH_LIMIT}.`, {
      context: { limit: [String(BATCH_LIMIT)] },
    });
  inputs.forEach((input, i) => {
    if (!isRecord(input)) badRequest(`Invalid input JSON: inputs[${i}] must be an object.`);
  });
  return inputs as Record<string, unknown>[];
}

function inputId(input: Record<string, unknown>, i: number): string {
  const id = input.id;
  if (typeof id === 'number' && Number.isFinite(id)) return String(id);
  if (typeof id !== 'string' || id === '')
    badRequest(`Invalid input JSON: inputs[${i}].id must be a non-empty string.`);
  return id;
}

function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') badRequest(`Invalid input JSON: "${field}" must be a string.`);
  return value;
}

function rejectDuplicates(keys: string[]): void {
  const seen = new Set<string>();
  const dupes = keys.filter((k) => (seen.has(k) ? true : (seen.add(k), false)));
  if (dupes.length > 0)
    badRequest(`Duplicate IDs found in batch input: [${dupes.join(', ')}]. IDs must be unique.`, {
      context: { ids: dupes },
    });
}

/** Batch answers: 200/201 when everything worked, 207 with `errors` when some ids were missing. */
function batchResponse(
  okStatus: number,
  startedAt: Date,
  results: unknown[],
  errors: Array<Record<string, unknown>>,
): SandboxResponse {
  const base = {
    status: 'COMPLETE',
    results,
    startedAt: startedAt.toISOString(),
    completedAt: new Date().toISOString(),
  };
  if (errors.length === 0) return { status: okStatus, body: base };
  return { status: 207, body: { ...base, numErrors: errors.length, errors } };
}

const missingError = (type: ObjectType, ids: string[]) => ({
  status: 'error',
  category: 'OBJECT_NOT_FOUND',
  message: `Could not get some ${OBJECT_TYPES[type].errorName} objects, they may be deleted or not exist. Check that ids are valid.`,
  context: { ids },
});

export function objectRoutes(ctx: HubspotContext, type: ObjectType): Route[] {
  const base = `/crm/v3/objects/${type}`;
  // Writes through the API come from the private app the token belongs to.
  const emit = (changes: Change[]) => ctx.emit(changes, 'INTEGRATION');

  const list = (req: SandboxRequest): SandboxResponse => {
    const limit = intParam(req.query, 'limit', 10, 100);
    const afterRaw = req.query.get('after') || null;
    if (afterRaw !== null && !/^\d+$/.test(afterRaw))
      badRequest(`Unable to parse query parameter "after": "${afterRaw}" is not a valid paging cursor.`);
    const after = afterRaw === null ? 0 : Number(afterRaw);
    const archived = booleanParam(req.query, 'archived');
    const properties = listParam(req.query, 'properties');
    const associations = listParam(req.query, 'associations');
    const page: CrmRecord[] = [];
    let more = false;
    // Records are kept in id order, and the cursor is the next id to return.
    for (const record of ctx.store.records[type].values()) {
      if (record.archived !== archived || Number(record.id) < after) continue;
      if (page.length === limit) {
        more = true;
        break;
      }
      page.push(record);
    }
    const body: Record<string, unknown> = {
      results: page.map((r) => toWire(ctx.store, r, { properties, associations })),
    };
    const last = page[page.length - 1];
    if (more && last) {
      const next = String(Number(last.id) + 1);
      const link = new URL(`${req.url.origin}${base}`);
      link.searchParams.set('after', next);
      body.paging = { next: { after: next, link: link.toString() } };
    }
    return { status: 200, body };
  };

  const get = (req: SandboxRequest): SandboxResponse => {
    const id = req.params.id ?? '';
    const record = ctx.store.find(
      type,
      id,
      req.query.get('idProperty') ?? undefined,
      booleanParam(req.query, 'archived'),
    );
    if (!record) return notFound(id);
    return {
      status: 200,
      body: toWire(ctx.store, record, {
        properties: listParam(req.query, 'properties'),
        associations: listParam(req.query, 'associations'),
      }),
    };
  };

  const create = (req: SandboxRequest): SandboxResponse => {
    const body = jsonObject(req);
    const props = ctx.store.validate(type, body.properties);
    const associations = ctx.store.validateAssociations(type, body.associations);
    const { record, changes } = ctx.store.create(type, props, associations);
    emit(changes);
    return {
      status: 201,
      body: toWire(ctx.store, record, { properties: writtenProperties(type, props.keys()) }),
    };
  };

  const update = (req: SandboxRequest): SandboxResponse => {
    const id = req.params.id ?? '';
    const body = jsonObject(req);
    const record = ctx.store.find(type, id, req.query.get('idProperty') ?? undefined);
    if (!record) return notFound(id);
    const props = ctx.store.validate(type, body.properties);
    // An ignored write (an earlier lifecycle stage) still shows the property, with its kept value.
    emit(ctx.store.update(record, ctx.store.forwardOnly(record, props)));
    return {
      status: 200,
      body: toWire(ctx.store, record, { properties: writtenProperties(type, props.keys()) }),
    };
  };

  const archive = (req: SandboxRequest): SandboxResponse => {
    // HubSpot answers 204 whether or not the record existed.
    const record = ctx.store.find(type, req.params.id ?? '');
    if (record) emit(ctx.store.archive(record));
    return { status: 204 };
  };

  const batchRead = (req: SandboxRequest): SandboxResponse => {
    const startedAt = new Date();
    const body = jsonObject(req);
    const inputs = batchInputs(body);
    const properties = stringList(body.properties, 'properties');
    const idProperty = optionalString(body.idProperty, 'idProperty');
    const archived = booleanParam(req.query, 'archived');
    const results = new Map<string, CrmRecord>();
    const missing: string[] = [];
    inputs.forEach((input, i) => {
      const id = inputId(input, i);
      const record = ctx.store.find(type, id, idProperty, archived);
      if (record) results.set(record.id, record);
      else if (!missing.includes(id)) missing.push(id);
    });
    return batchResponse(
      200,
      startedAt,
      [...results.values()].map((r) => toWire(ctx.store, r, { properties })),
      missing.length > 0 ? [missingError(type, missing)] : [],
    );
  };

  const batchCreate = (req: SandboxRequest): SandboxResponse => {
    const startedAt = new Date();
    const inputs = batchInputs(jsonObject(req));
    // Everything is checked before anything is written: one bad input fails the whole batch.
    const prepared = inputs.map((input) => ({
      props: ctx.store.validate(type, input.properties),
      associations: ctx.store.validateAssociations(type, input.associations),
    }));
    for (const def of OBJECT_TYPES[type].properties.values()) {
      if (!def.unique) continue;
      const values = prepared.map((p) => p.props.get(def.name)).filter((v): v is string => !!v);
      const keys = values.map((v) => (def.name === 'email' ? v.trim().toLowerCase() : v.trim()));
      if (new Set(keys).size !== keys.length)
        badRequest(`Duplicate values for unique property "${def.name}" in batch input.`);
    }
    for (const p of prepared) ctx.store.checkUnique(type, p.props);
    const results = prepared.map((p) => {
      const { record, changes } = ctx.store.create(type, p.props, p.associations);
      emit(changes);
      return toWire(ctx.store, record, { properties: writtenProperties(type, p.props.keys()) });
    });
    return batchResponse(201, startedAt, results, []);
  };

  const batchUpdate = (req: SandboxRequest): SandboxResponse => {
    const startedAt = new Date();
    const inputs = batchInputs(jsonObject(req));
    const prepared = inputs.map((input, i) => ({
      id: inputId(input, i),
      idProperty: optionalString(input.idProperty, `inputs[${i}].idProperty`),
      props: ctx.store.validate(type, input.properties),
    }));
    rejectDuplicates(prepared.map((p) => p.id));
    const missing: string[] = [];
    const found = prepared.flatMap((p) => {
      const record = ctx.store.find(type, p.id, p.idProperty);
      if (!record) missing.push(p.id);
      return record ? [{ record, props: p.props }] : [];
    });
    for (const f of found) ctx.store.checkUnique(type, f.props, f.record.id);
    const results = found.map(({ record, props }) => {
      emit(ctx.store.update(record, ctx.store.forwardOnly(record, props)));
      return toWire(ctx.store, record, { properties: writtenProperties(type, props.keys()) });
    });
    return batchResponse(200, startedAt, results, missing.length > 0 ? [missingError(type, missing)] : []);
  };

  const batchUpsert = (req: SandboxRequest): SandboxResponse => {
    const startedAt = new Date();
    const inputs = batchInputs(jsonObject(req));
    const prepared = inputs.map((input, i) => {
      const idProperty = optionalString(input.idProperty, `inputs[${i}].idProperty`);
      const def = idProperty ? OBJECT_TYPES[type].properties.get(idProperty) : undefined;
      if (!idProperty || !def?.unique)
        badRequest(
          `inputs[${i}].idProperty must name a unique value property (e.g. ${type === 'contacts' ? 'email or ' : ''}switchboard_id), got ${JSON.stringify(idProperty ?? null)}.`,
        );
      const id = inputId(input, i);
      const props = ctx.store.validate(type, input.properties);
      return {
        id,
        idProperty,
        props,
        key: `${idProperty}:${idProperty === 'email' ? id.toLowerCase() : id}`,
      };
    });
    rejectDuplicates(prepared.map((p) => p.key));
    const plans = prepared.map((p) => {
      const existing = ctx.store.find(type, p.id, p.idProperty);
      // A new record gets the id value as its unique property, checked like any other value.
      const props = existing
        ? p.props
        : new Map([...p.props, ...ctx.store.validate(type, { [p.idProperty]: p.id })]);
      ctx.store.checkUnique(type, props, existing?.id);
      return { existing, props };
    });
    const results = plans.map(({ existing, props }) => {
      let record = existing;
      if (record) emit(ctx.store.update(record, ctx.store.forwardOnly(record, props)));
      else {
        const created = ctx.store.create(type, props);
        record = created.record;
        emit(created.changes);
      }
      return {
        ...toWire(ctx.store, record, { properties: writtenProperties(type, props.keys()) }),
        new: !existing,
      };
    });
    return batchResponse(200, startedAt, results, []);
  };

  const batchArchive = (req: SandboxRequest): SandboxResponse => {
    const inputs = batchInputs(jsonObject(req));
    const records = inputs.map((input, i) => ctx.store.find(type, inputId(input, i)));
    for (const record of records) if (record) emit(ctx.store.archive(record));
    return { status: 204 };
  };

  return [
    { method: 'GET', path: base, operation: `${type}.list`, handler: list },
    { method: 'POST', path: base, operation: `${type}.create`, handler: create },
    { method: 'POST', path: `${base}/search`, operation: `${type}.search`, handler: searchRoute(ctx, type) },
    { method: 'POST', path: `${base}/batch/read`, operation: `${type}.batchRead`, handler: batchRead },
    { method: 'POST', path: `${base}/batch/create`, operation: `${type}.batchCreate`, handler: batchCreate },
    { method: 'POST', path: `${base}/batch/update`, operation: `${type}.batchUpdate`, handler: batchUpdate },
    { method: 'POST', path: `${base}/batch/upsert`, operation: `${type}.batchUpsert`, handler: batchUpsert },
    {
      method: 'POST',
      path: `${base}/batch/archive`,
      operation: `${type}.batchArchive`,
      handler: batchArchive,
    },
    { method: 'GET', path: `${base}/:id`, operation: `${type}.get`, handler: get },
    { method: 'PATCH', path: `${base}/:id`, operation: `${type}.update`, handler: update },
    { method: 'DELETE', path: `${base}/:id`, operation: `${type}.archive`, handler: archive },
  ];
}
