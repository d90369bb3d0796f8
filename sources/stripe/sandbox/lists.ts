import { invalidRequest, noSuch } from './errors.ts';
import type { RangeFilter } from './form.ts';
import type { StripeState } from './state.ts';

/** Parameters every list endpoint takes (https://docs.stripe.com/api/pagination). */
export const LIST_SPECS = {
  limit: { type: 'integer', min: 1, max: 100 },
  starting_after: { type: 'string' },
  ending_before: { type: 'string' },
  expand: { type: 'expand' },
} as const;

/** The parameters of every `/search` endpoint (https://docs.stripe.com/search). */
export const SEARCH_SPECS = {
  query: { type: 'string' },
  limit: LIST_SPECS.limit,
  page: { type: 'string' },
  expand: { type: 'expand' },
} as const;

export const CREATED_SPEC = { created: { type: 'range' } } as const;

export interface ListEnvelope<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
  url: string;
}

export function inRange(value: number, range: RangeFilter | undefined): boolean {
  if (!range) return true;
  if (range.gt !== undefined && !(value > range.gt)) return false;
  if (range.gte !== undefined && !(value >= range.gte)) return false;
  if (range.lt !== undefined && !(value < range.lt)) return false;
  if (range.lte !== undefined && !(value <= range.lte)) return false;
  return true;
}

/** Newest first: maps hold records oldest first (see StripeState). */
export const newestFirst = <T>(map: Map<string, T>): T[] => [...map.values()].reverse();

/**
 * One page of `all` (newest first, unfiltered, so cursors may name records the filter drops),
 * keeping those `keep` accepts. `ending_before` returns the `limit` records just newer than the
 * cursor, still newest first, as Stripe does (the SDK walks such pages backwards).
 */
export function paginate<T extends { id: string }>(options: {
  all: T[];
  keep: (item: T) => boolean;
  params: { limit?: number; starting_after?: string; ending_before?: string };
  url: string;
  objectName: string;
}): ListEnvelope<T> {
  const { all, keep, params, url, objectName } = options;
  const limit = params.limit ?? 10;
  if (params.starting_after !== undefined && params.ending_before !== undefined) {
    throw invalidRequest('You may only specify one of these parameters: ending_before, starting_after.');
  }
  const cursor = params.starting_after ?? params.ending_before;
  const position = cursor === undefined ? -1 : all.findIndex((item) => item.id === cursor);
  if (cursor !== undefined && position === -1) {
    throw noSuch(
      objectName,
      cursor,
      params.starting_after !== undefined ? 'starting_after' : 'ending_before',
      400,
    );
  }
  if (params.ending_before !== undefined) {
    const newer = all.slice(0, position).filter(keep);
    return { object: 'list', data: newer.slice(-limit), has_more: newer.length > limit, url };
  }
  const rest = all.slice(position + 1);
  const data: T[] = [];
  let hasMore = false;
  for (const item of rest) {
    if (!keep(item)) continue;
    if (data.length === limit) {
      hasMore = true;
      break;
    }
    data.push(item);
  }
  return { object: 'list', data, has_more: hasMore, url };
}

// ---------------------------------------------------------------------------------------------
// Expansion (https://docs.stripe.com/api/expanding_objects)

export type Kind =
  | 'customer'
  | 'payment_intent'
  | 'charge'
  | 'refund'
  | 'payment_method'
  | 'event'
  | 'webhook_endpoint'
  | 'checkout_session';

const EXPANDABLE: Record<Kind, Record<string, Kind>> = {
  customer: {},
  payment_intent: { customer: 'customer', latest_charge: 'charge', payment_method: 'payment_method' },
  charge: { customer: 'customer', payment_intent: 'payment_intent' },
  refund: { charge: 'charge', payment_intent: 'payment_intent' },
  payment_method: { customer: 'customer' },
  event: {},
  webhook_endpoint: {},
  checkout_session: { customer: 'customer', payment_intent: 'payment_intent' },
};

function lookup(state: StripeState, kind: Kind, id: string): unknown {
  switch (kind) {
    case 'customer':
      if (state.deletedCustomers.has(id)) return { id, object: 'customer', deleted: true };
      return state.customers.get(id);
    case 'payment_intent':
      return state.paymentIntents.get(id);
    case 'charge':
      return state.charges.get(id);
    case 'refund':
      return state.refunds.get(id);
    case 'payment_method':
      return state.paymentMethods.get(id);
    default:
      return undefined;
  }
}

function expandPath(
  state: StripeState,
  obj: Record<string, unknown>,
  kind: Kind,
  parts: string[],
  full: string,
) {
  const [field, ...rest] = parts as [string, ...string[]];
  const target = EXPANDABLE[kind][field];
  if (!target) throw invalidRequest(`This property cannot be expanded (${field}).`, { param: 'expand' });
  let value = obj[field];
  if (typeof value === 'string') {
    const found = lookup(state, target, value);
    value = found === undefined ? value : structuredClone(found);
    obj[field] = value;
  }
  if (rest.length > 0 && value !== null && typeof value === 'object') {
    expandPath(state, value as Record<string, unknown>, target, rest, full);
  }
}

function checkDepth(path: string): string[] {
  const parts = path.split('.');
  if (parts.length > 4) {
    throw invalidRequest(`You cannot expand more than 4 levels of a property (${path}).`, {
      param: 'expand',
    });
  }
  return parts;
}

/** A copy of `obj` with the `expand` paths replaced by the objects they name. */
export function expandObject<T>(state: StripeState, obj: T, kind: Kind, paths: string[] | undefined): T {
  if (!paths || paths.length === 0) return obj;
  const copy = structuredClone(obj) as Record<string, unknown>;
  for (const path of paths) expandPath(state, copy, kind, checkDepth(path), path);
  return copy as T;
}

/** Lists and search results take `data.`-prefixed paths, and `total_count`. */
export function expandList<T>(
  state: StripeState,
  items: T[],
  kind: Kind,
  paths: string[] | undefined,
): { data: T[]; totalCount: boolean } {
  const inner: string[] = [];
  let totalCount = false;
  for (const path of paths ?? []) {
    if (path === 'total_count') totalCount = true;
    else if (path.startsWith('data.')) inner.push(path.slice(5));
    else {
      throw invalidRequest(
        `This property cannot be expanded (${path}). You may want to try expanding 'data.${path}' instead.`,
        { param: 'expand' },
      );
    }
  }
  return { data: items.map((item) => expandObject(state, item, kind, inner)), totalCount };
}
