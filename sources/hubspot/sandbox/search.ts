/**
 * CRM search: `POST /crm/v3/objects/{type}/search`.
 * Docs: https://developers.hubspot.com/docs/api/crm/search
 * Filter groups are OR'ed, filters inside a group AND'ed; at most 5 groups, 6 filters per group
 * and 18 filters in all; `limit` up to 200; paging stops at 10,000 results.
 */
import type { SandboxRequest, SandboxResponse } from '../../../src/sandbox/kit/http.ts';
import type { HubspotContext } from './context.ts';
import { toWire } from './format.ts';
import { OBJECT_TYPES, type ObjectType, type ObjectTypeDef, type PropertyDef } from './schema.ts';
import type { CrmRecord } from './state.ts';
import { badRequest, isRecord, jsonObject, stringList } from './wire.ts';

const OPERATORS = [
  'EQ',
  'NEQ',
  'LT',
  'LTE',
  'GT',
  'GTE',
  'BETWEEN',
  'IN',
  'NOT_IN',
  'HAS_PROPERTY',
  'NOT_HAS_PROPERTY',
  'CONTAINS_TOKEN',
  'NOT_CONTAINS_TOKEN',
] as const;
type Operator = (typeof OPERATORS)[number];

const MAX_GROUPS = 5;
const MAX_FILTERS_PER_GROUP = 6;
const MAX_FILTERS = 18;
const MAX_LIMIT = 200;
const MAX_RESULTS = 10_000;

interface Filter {
  prop: PropertyDef;
  operator: Operator;
  value?: string;
  highValue?: string;
  values?: string[];
}

/** A comparable form of a value: numbers and instants as numbers, text lower-cased. */
type Comparable = number | string;

function comparable(prop: PropertyDef, raw: string, fromFilter: boolean): Comparable {
  if (prop.type === 'number') {
    const n = Number(raw);
    if (fromFilter && (raw.trim() === '' || !Number.isFinite(n)))
      badRequest(`Filter value "${raw}" for property "${prop.name}" is not a number.`);
    return n;
  }
  if (prop.type === 'datetime' || prop.type === 'date') {
    const ms = /^-?\d+$/.test(raw)
      ? Number(raw)
      : Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(raw) ? `${raw}T00:00:00Z` : raw);
    if (fromFilter && Number.isNaN(ms))
      badRequest(
        `Filter value "${raw}" for property "${prop.name}" is not a date (use epoch milliseconds or ISO 8601).`,
      );
    return ms;
  }
  return raw.trim().toLowerCase();
}

const compare = (a: Comparable, b: Comparable): number => (a < b ? -1 : a > b ? 1 : 0);

/** HubSpot tokenises on whitespace and punctuation such as `@`; `*` is a wildcard. */
function containsToken(actual: string, needle: string): boolean {
  const value = actual.trim().toLowerCase();
  const token = needle.trim().toLowerCase();
  const tokens = [value, ...value.split(/[\s,;@]+/).filter(Boolean)];
  if (token.includes('*')) {
    const pattern = new RegExp(`^${token.split('*').map(escapeRegExp).join('.*')}$`);
    return tokens.some((t) => pattern.test(t));
  }
  return tokens.includes(token);
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function matches(record: CrmRecord, filter: Filter): boolean {
  const { prop, operator } = filter;
  const actual = record.props.get(prop.name);
  const has = actual !== undefined && actual !== '';
  const cmp = (raw: string) => compare(comparable(prop, actual ?? '', false), comparable(prop, raw, true));
  switch (operator) {
    case 'HAS_PROPERTY':
      return has;
    case 'NOT_HAS_PROPERTY':
      return !has;
    case 'EQ':
      return has && cmp(filter.value ?? '') === 0;
    case 'NEQ':
      return !has || cmp(filter.value ?? '') !== 0;
    case 'LT':
      return has && cmp(filter.value ?? '') < 0;
    case 'LTE':
      return has && cmp(filter.value ?? '') <= 0;
    case 'GT':
      return has && cmp(filter.value ?? '') > 0;
    case 'GTE':
      return has && cmp(filter.value ?? '') >= 0;
    case 'BETWEEN':
      return has && cmp(filter.value ?? '') >= 0 && cmp(filter.highValue ?? '') <= 0;
    case 'IN':
      return has && (filter.values ?? []).some((v) => cmp(v) === 0);
    case 'NOT_IN':
      return !has || !(filter.values ?? []).some((v) => cmp(v) === 0);
    case 'CONTAINS_TOKEN':
      return has && containsToken(actual, filter.value ?? '');
    case 'NOT_CONTAINS_TOKEN':
      return !has || !containsToken(actual, filter.value ?? '');
  }
}

const scalar = (v: unknown): v is string | number | boolean =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

function parseFilter(def: ObjectTypeDef, input: unknown, where: string): Filter {
  if (!isRecord(input)) badRequest(`Invalid input JSON: ${where} must be an object.`);
  const { propertyName, operator } = input;
  if (typeof propertyName !== 'string')
    badRequest(`Invalid input JSON: ${where}.propertyName must be a string.`);
  const prop = def.properties.get(propertyName);
  if (!prop)
    badRequest(
      `There was a problem with the request: property "${propertyName}" does not exist on ${def.type}.`,
    );
  if (typeof operator !== 'string' || !(OPERATORS as readonly string[]).includes(operator))
    badRequest(
      `Invalid input JSON: ${where}.operator must be one of ${OPERATORS.join(', ')}, got ${JSON.stringify(operator)}.`,
    );
  const filter: Filter = { prop, operator: operator as Operator };
  const op = filter.operator;
  if (op === 'IN' || op === 'NOT_IN') {
    const values = input.values;
    if (!Array.isArray(values) || values.length === 0 || !values.every(scalar))
      badRequest(`${where}: operator ${op} needs "values", a non-empty list.`);
    filter.values = values.map(String);
  } else if (op !== 'HAS_PROPERTY' && op !== 'NOT_HAS_PROPERTY') {
    if (!scalar(input.value)) badRequest(`${where}: operator ${op} needs a "value".`);
    filter.value = String(input.value);
    if (op === 'BETWEEN') {
      if (!scalar(input.highValue)) badRequest(`${where}: operator BETWEEN needs a "highValue".`);
      filter.highValue = String(input.highValue);
    }
  }
  return filter;
}

function parseFilterGroups(def: ObjectTypeDef, input: unknown): Filter[][] {
  if (input === undefined || input === null) return [];
  if (!Array.isArray(input)) badRequest('Invalid input JSON: "filterGroups" must be a list.');
  if (input.length > MAX_GROUPS)
    badRequest(`Too many filter groups: ${input.length}. The maximum is ${MAX_GROUPS}.`, {
      context: { maxFilterGroups: [String(MAX_GROUPS)] },
    });
  const groups = input.map((group: unknown, g) => {
    const filters = isRecord(group) ? group.filters : undefined;
    if (!Array.isArray(filters)) badRequest(`Invalid input JSON: filterGroups[${g}].filters must be a list.`);
    if (filters.length > MAX_FILTERS_PER_GROUP)
      badRequest(
        `Too many filters in filterGroups[${g}]: ${filters.length}. The maximum is ${MAX_FILTERS_PER_GROUP}.`,
      );
    return filters.map((f: unknown, i) => parseFilter(def, f, `filterGroups[${g}].filters[${i}]`));
  });
  const total = groups.reduce((n, g) => n + g.length, 0);
  if (total > MAX_FILTERS)
    badRequest(`Too many filters: ${total}. The maximum across all groups is ${MAX_FILTERS}.`);
  return groups;
}

function parseSort(
  def: ObjectTypeDef,
  input: unknown,
): { prop: PropertyDef; descending: boolean } | undefined {
  if (input === undefined || input === null) return undefined;
  if (!Array.isArray(input)) badRequest('Invalid input JSON: "sorts" must be a list.');
  if (input.length === 0) return undefined;
  if (input.length > 1) badRequest('Only one sort is supported per search request.');
  const sort: unknown = input[0];
  // The SDK types `sorts` as strings ("createdate", "-createdate"); the API documents objects.
  const name =
    typeof sort === 'string' ? sort.replace(/^-/, '') : isRecord(sort) ? sort.propertyName : undefined;
  const descending =
    typeof sort === 'string' ? sort.startsWith('-') : isRecord(sort) && sort.direction === 'DESCENDING';
  if (
    isRecord(sort) &&
    sort.direction !== undefined &&
    sort.direction !== 'ASCENDING' &&
    sort.direction !== 'DESCENDING'
  )
    badRequest('Invalid input JSON: sort direction must be ASCENDING or DESCENDING.');
  const prop = typeof name === 'string' ? def.properties.get(name) : undefined;
  if (!prop)
    badRequest(`Invalid sort: property ${JSON.stringify(name ?? sort)} does not exist on ${def.type}.`);
  return { prop, descending };
}

export function searchRoute(ctx: HubspotContext, type: ObjectType) {
  const def = OBJECT_TYPES[type];
  return (req: SandboxRequest): SandboxResponse => {
    const body = jsonObject(req);
    const groups = parseFilterGroups(def, body.filterGroups);
    const sort = parseSort(def, body.sorts);
    const properties = stringList(body.properties, 'properties');
    const query = body.query;
    if (query !== undefined && query !== null && typeof query !== 'string')
      badRequest('Invalid input JSON: "query" must be a string.');
    const limit = body.limit ?? 10;
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0 || limit > MAX_LIMIT)
      badRequest(`"limit" must be an integer from 0 to ${MAX_LIMIT}, got ${JSON.stringify(limit)}.`);
    const afterRaw = body.after ?? '0';
    const offset = typeof afterRaw === 'number' ? afterRaw : Number(afterRaw);
    if (!Number.isInteger(offset) || offset < 0 || (typeof afterRaw === 'string' && !/^\d+$/.test(afterRaw)))
      badRequest(
        `"after" must be a paging cursor from a previous response, got ${JSON.stringify(afterRaw)}.`,
      );
    if (offset + limit > MAX_RESULTS)
      badRequest(`Paging through search results is limited to ${MAX_RESULTS} results; narrow the filters.`);

    const terms = typeof query === 'string' ? query.toLowerCase().split(/\s+/).filter(Boolean) : [];
    const hits = [...ctx.store.records[type].values()].filter(
      (r) =>
        !r.archived &&
        (groups.length === 0 || groups.some((filters) => filters.every((f) => matches(r, f)))) &&
        terms.every((term) => def.queryProperties.some((p) => r.props.get(p)?.toLowerCase().includes(term))),
    );
    if (sort) {
      const { prop, descending } = sort;
      hits.sort((a, b) => {
        const va = a.props.get(prop.name);
        const vb = b.props.get(prop.name);
        if (va === undefined || vb === undefined) return va === vb ? 0 : va === undefined ? 1 : -1;
        const c = compare(comparable(prop, va, false), comparable(prop, vb, false));
        return (descending ? -c : c) || Number(a.id) - Number(b.id);
      });
    }
    const page = hits.slice(offset, offset + limit);
    const response: Record<string, unknown> = {
      total: hits.length,
      results: page.map((r) => toWire(ctx.store, r, { properties })),
    };
    if (offset + limit < hits.length && limit > 0)
      response.paging = { next: { after: String(offset + limit) } };
    return { status: 200, body: response };
  };
}
