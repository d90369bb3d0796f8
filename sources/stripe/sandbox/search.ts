import { invalidRequest, missingParam } from './errors.ts';

/**
 * Stripe's Search Query Language (https://docs.stripe.com/search#search-query-language):
 * clauses `field:value` (exact, case-insensitive), `field~value` (substring, 3+ characters),
 * `field>n` / `<` / `>=` / `<=` on numeric fields, `metadata['key']:'value'`, `-` to negate,
 * `null` for "not set", joined by `AND` or by `OR` (not both), at most 10 clauses.
 */
export type FieldKind = 'text' | 'token' | 'number';

export interface SearchResource<T> {
  /** Resource name used in Stripe's messages and docs anchors: `customers`, `payment_intents`. */
  name: string;
  fields: Record<string, { kind: FieldKind; get(item: T): string | number | null }>;
  metadata(item: T): Record<string, string>;
}

type Operator = ':' | '~' | '>' | '<' | '>=' | '<=';

export interface Clause {
  field: string;
  metadataKey?: string;
  op: Operator;
  /** `null` for the bare `null` literal. */
  value: string | null;
  negate: boolean;
}

export interface ParsedQuery {
  clauses: Clause[];
  joiner: 'AND' | 'OR';
}

const badQuery = (message: string) => invalidRequest(message, { param: 'query' });

export function parseQuery<T>(text: string, resource: SearchResource<T>): ParsedQuery {
  let pos = 0;
  const clauses: Clause[] = [];
  const joiners = new Set<'AND' | 'OR'>();
  const skipSpace = () => {
    while (pos < text.length && /\s/.test(text[pos] as string)) pos++;
  };
  const fail = (what: string): never => {
    throw badQuery(
      `Invalid search query: ${what} at position ${pos} of \`${text}\`. Use the format \`field:'value'\`, joined by AND or OR; see https://stripe.com/docs/search#search-query-language.`,
    );
  };
  const quoted = (): string => {
    const quote = text[pos];
    pos++;
    let out = '';
    while (pos < text.length && text[pos] !== quote) {
      if (text[pos] === '\\' && pos + 1 < text.length) pos++;
      out += text[pos];
      pos++;
    }
    if (pos >= text.length) fail(`unterminated string starting with ${quote}`);
    pos++;
    return out;
  };

  skipSpace();
  if (pos >= text.length)
    throw badQuery(
      'The search query is empty. Provide at least one clause, e.g. `email:"jenny@example.com"`.',
    );
  for (;;) {
    skipSpace();
    const negate = text[pos] === '-';
    if (negate) pos++;
    const name = /^[a-z_]+/.exec(text.slice(pos))?.[0];
    if (!name) fail('expected a field name');
    pos += name!.length;
    let metadataKey: string | undefined;
    if (name === 'metadata') {
      if (text[pos] !== '[') fail("expected ['key'] after metadata");
      pos++;
      if (text[pos] !== "'" && text[pos] !== '"') fail('expected a quoted metadata key');
      metadataKey = quoted();
      if (text[pos] !== ']') fail("expected ']' after the metadata key");
      pos++;
    }
    const op = (['>=', '<=', ':', '~', '>', '<'] as const).find((o) => text.startsWith(o, pos));
    if (!op) fail(`expected an operator (:, ~, >, <, >=, <=) after '${name}'`);
    pos += op!.length;
    let value: string | null;
    if (text[pos] === "'" || text[pos] === '"') value = quoted();
    else {
      const bare = /^[^\s'"]+/.exec(text.slice(pos))?.[0];
      if (!bare) fail(`expected a value after '${name}${op}'`);
      pos += bare!.length;
      value = bare === 'null' ? null : bare!;
    }
    clauses.push(checkClause({ field: name!, metadataKey, op: op!, value, negate }, resource));
    skipSpace();
    if (pos >= text.length) break;
    const word = /^(AND|OR)\s/.exec(text.slice(pos))?.[1] as 'AND' | 'OR' | undefined;
    if (!word) fail('expected AND or OR between clauses (they must be upper case)');
    joiners.add(word!);
    pos += word!.length;
  }
  if (joiners.size > 1) {
    throw badQuery('Invalid search query: a query cannot mix AND and OR; use only one of them.');
  }
  if (clauses.length > 10) throw badQuery('Invalid search query: a query can have at most 10 clauses.');
  return { clauses, joiner: joiners.has('OR') ? 'OR' : 'AND' };
}

function checkClause<T>(clause: Clause, resource: SearchResource<T>): Clause {
  if (clause.field === 'metadata') {
    if (clause.op !== ':')
      throw badQuery(`Field 'metadata' supports only the ':' operator, not '${clause.op}'.`);
    return clause;
  }
  const field = resource.fields[clause.field];
  if (!field) {
    throw badQuery(
      `Field '${clause.field}' is an unsupported search field for resource ${resource.name}. See https://stripe.com/docs/search#query-fields-for-${resource.name.replace(/_/g, '-')} for a list of supported fields.`,
    );
  }
  const numeric = ['>', '<', '>=', '<='].includes(clause.op);
  if (numeric && field.kind !== 'number') {
    throw badQuery(`Field '${clause.field}' does not support the '${clause.op}' operator; use ':' instead.`);
  }
  if (clause.op === '~') {
    if (field.kind !== 'text')
      throw badQuery(`Field '${clause.field}' does not support substring search (~).`);
    if ((clause.value ?? '').length < 3) {
      throw badQuery(`Substring search (~) needs at least 3 characters, got '${clause.value ?? ''}'.`);
    }
  }
  if (field.kind === 'number' && clause.value !== null && !/^-?\d+$/.test(clause.value)) {
    throw badQuery(`Field '${clause.field}' is numeric; '${clause.value}' is not an integer.`);
  }
  return clause;
}

function matchesClause<T>(item: T, clause: Clause, resource: SearchResource<T>): boolean {
  const actual =
    clause.field === 'metadata'
      ? (resource.metadata(item)[clause.metadataKey ?? ''] ?? null)
      : resource.fields[clause.field]!.get(item);
  let result: boolean;
  if (clause.value === null) result = actual === null || actual === '';
  else if (actual === null) result = false;
  else if (typeof actual === 'number') {
    const n = Number(clause.value);
    result =
      clause.op === ':'
        ? actual === n
        : clause.op === '>'
          ? actual > n
          : clause.op === '<'
            ? actual < n
            : clause.op === '>='
              ? actual >= n
              : actual <= n;
  } else {
    const a = actual.trim().toLowerCase();
    const v = clause.value.toLowerCase();
    result = clause.op === '~' ? a.includes(v) : a === v;
  }
  return clause.negate ? !result : result;
}

export function matches<T>(item: T, query: ParsedQuery, resource: SearchResource<T>): boolean {
  return query.joiner === 'OR'
    ? query.clauses.some((c) => matchesClause(item, c, resource))
    : query.clauses.every((c) => matchesClause(item, c, resource));
}

export interface SearchPage<T> {
  object: 'search_result';
  data: T[];
  has_more: boolean;
  next_page: string | null;
  url: string;
  total_count?: number;
}

/** Page tokens are opaque to clients; here they carry the offset and the query they belong to. */
const encodePage = (query: string, offset: number) =>
  Buffer.from(JSON.stringify({ q: query, o: offset })).toString('base64url');

function decodePage(token: string, query: string): number {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {
      q?: unknown;
      o?: unknown;
    };
    if (parsed.q === query && typeof parsed.o === 'number' && Number.isInteger(parsed.o) && parsed.o >= 0) {
      return parsed.o;
    }
  } catch {
    // fall through to the 400 below
  }
  throw invalidRequest(`Invalid page: '${token}' is not a page token for this query.`, { param: 'page' });
}

export function search<T>(options: {
  all: T[];
  resource: SearchResource<T>;
  params: { query?: string; limit?: number; page?: string };
  url: string;
}): { page: SearchPage<T>; total: number } {
  const { all, resource, params, url } = options;
  if (params.query === undefined) throw missingParam('query');
  const parsed = parseQuery(params.query, resource);
  const hits = all.filter((item) => matches(item, parsed, resource));
  const offset = params.page === undefined ? 0 : decodePage(params.page, params.query);
  const limit = params.limit ?? 10;
  const data = hits.slice(offset, offset + limit);
  const hasMore = offset + limit < hits.length;
  return {
    page: {
      object: 'search_result',
      data,
      has_more: hasMore,
      next_page: hasMore ? encodePage(params.query, offset + limit) : null,
      url,
    },
    total: hits.length,
  };
}
