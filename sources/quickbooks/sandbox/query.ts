/**
 * The query language (`GET query?query=...`, or `POST query` with the statement as an
 * `application/text` body): `SELECT * | count(*) | Field, ... FROM Entity [WHERE Cond [AND
 * Cond]...] [ORDERBY Field [ASC|DESC], ...] [STARTPOSITION n] [MAXRESULTS n]`, where `Cond` is
 * `Field =|<|>|<=|>= value`, `Field IN (v, ...)` or `Field LIKE '%x%'`. Keywords, entity and
 * property names and string values are case-insensitive; strings are single-quoted with `\'`
 * escapes; there is no OR, no parentheses, no joins. `Id` (and references such as `CustomerRef`)
 * take only `=` and `IN`. MAXRESULTS defaults to 100 and may not exceed 1000. Inactive names
 * (customers) are left out unless the where clause names `Active`.
 * Answers: `{"QueryResponse":{"Customer":[...],"startPosition":1,"maxResults":2},"time":...}`
 * (`maxResults` is how many came back), `{"QueryResponse":{},...}` when nothing matches, and
 * `{"QueryResponse":{"totalCount":5},...}` for `count(*)`. Errors: 4000 "Error parsing query"
 * (`QueryParserError: Encountered " <IDENTIFIER> "TxnDate "" at line 1, column 29.`) and 4001
 * "Invalid query" (`QueryValidationError: Property NoSuchField not found for Entity Purchase`),
 * both HTTP 400 ValidationFault (messages as a live QBO sandbox returns them).
 * Docs: https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/data-queries
 */
import type { Route } from '../../../src/sandbox/kit/http.ts';
import { api, ok, type EntityOps, type FieldSpec, type QboContext, type Rec } from './context.ts';
import { entityByName } from './entities.ts';
import { isDate, localDate, parseDateTime, requiredParam, validation } from './wire.ts';

type Kind = 'IDENTIFIER' | 'STRING' | 'INTEGER' | 'DECIMAL' | 'OP' | 'PUNCT' | 'EOF';

interface Token {
  kind: Kind;
  image: string;
  /** Decoded value of a STRING token. */
  value?: string;
  column: number;
}

type Literal =
  { kind: 'string'; text: string } | { kind: 'number'; text: string } | { kind: 'word'; text: string };

export interface Condition {
  field: string;
  op: '=' | '<' | '>' | '<=' | '>=' | 'IN' | 'LIKE';
  values: Literal[];
}

export interface ParsedQuery {
  select: { kind: 'all' } | { kind: 'count' } | { kind: 'fields'; fields: string[] };
  entity: string;
  where: Condition[];
  orderBy: Array<{ field: string; desc: boolean }>;
  startPosition?: number;
  maxResults?: number;
}

export const MAX_RESULTS = 1000;
export const DEFAULT_MAX_RESULTS = 100;

const KEYWORDS = new Set([
  'select',
  'from',
  'where',
  'and',
  'or',
  'orderby',
  'asc',
  'desc',
  'startposition',
  'maxresults',
  'in',
  'like',
  'count',
]);

export const parseError = (detail: string) =>
  validation('4000', 'Error parsing query', `QueryParserError: ${detail}`);
export const invalidQuery = (detail: string) =>
  validation('4001', 'Invalid query', `QueryValidationError: ${detail}`);

function encountered(token: Token): ReturnType<typeof parseError> {
  if (token.kind === 'EOF') return parseError(`Encountered "<EOF>" at line 1, column ${token.column}.`);
  const lower = token.image.toLowerCase();
  const label =
    token.kind === 'IDENTIFIER' && KEYWORDS.has(lower)
      ? `"${lower}"`
      : token.kind === 'OP' || token.kind === 'PUNCT'
        ? `"${token.image}"`
        : `<${token.kind}>`;
  return parseError(`Encountered " ${label} "${token.image} "" at line 1, column ${token.column}.`);
}

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    const column = start + 1;
    if (c === "'") {
      let value = '';
      i++;
      while (i < input.length && input[i] !== "'") {
        if (input[i] === '\\' && i + 1 < input.length) i++;
        value += input[i];
        i++;
      }
      if (i >= input.length)
        throw parseError(
          `Lexical error at line 1, column ${input.length + 1}.  Encountered: <EOF> after : "${input.slice(start)}"`,
        );
      i++;
      tokens.push({ kind: 'STRING', image: input.slice(start, i), value, column });
    } else if (/[0-9]/.test(c) || (c === '-' && /[0-9]/.test(input[i + 1] ?? ''))) {
      i++;
      while (i < input.length && /[0-9]/.test(input[i] as string)) i++;
      let kind: Kind = 'INTEGER';
      if (input[i] === '.' && /[0-9]/.test(input[i + 1] ?? '')) {
        kind = 'DECIMAL';
        i++;
        while (i < input.length && /[0-9]/.test(input[i] as string)) i++;
      }
      tokens.push({ kind, image: input.slice(start, i), column });
    } else if (/[A-Za-z_]/.test(c)) {
      while (i < input.length && /[A-Za-z0-9_.]/.test(input[i] as string)) i++;
      tokens.push({ kind: 'IDENTIFIER', image: input.slice(start, i), column });
    } else if ('<>='.includes(c)) {
      const two = input.slice(i, i + 2);
      const op = two === '<=' || two === '>=' ? two : c;
      i += op.length;
      tokens.push({ kind: 'OP', image: op, column });
    } else if ('(),*'.includes(c)) {
      i++;
      tokens.push({ kind: 'PUNCT', image: c, column });
    } else {
      throw parseError(
        `Lexical error at line 1, column ${column}.  Encountered: "${c}" (${c.charCodeAt(0)}), after : ""`,
      );
    }
  }
  tokens.push({ kind: 'EOF', image: '', column: input.length + 1 });
  return tokens;
}

/** Parses a statement (syntax only: names are checked against the entity later). */
export function parseQuery(input: string): ParsedQuery {
  const tokens = tokenize(input);
  let at = 0;
  const peek = () => tokens[at] as Token;
  const next = () => tokens[at++] as Token;
  const isWord = (t: Token, word: string) => t.kind === 'IDENTIFIER' && t.image.toLowerCase() === word;
  const expectWord = (word: string) => {
    const t = next();
    if (!isWord(t, word)) throw encountered(t);
  };
  const expectPunct = (p: string) => {
    const t = next();
    if (t.kind !== 'PUNCT' || t.image !== p) throw encountered(t);
  };
  const name = () => {
    const t = next();
    if (t.kind !== 'IDENTIFIER' || KEYWORDS.has(t.image.toLowerCase())) throw encountered(t);
    return t.image;
  };
  const integer = () => {
    const t = next();
    if (t.kind !== 'INTEGER') throw encountered(t);
    return Number(t.image);
  };
  const literal = (): Literal => {
    const t = next();
    if (t.kind === 'STRING') return { kind: 'string', text: t.value ?? '' };
    if (t.kind === 'INTEGER' || t.kind === 'DECIMAL') return { kind: 'number', text: t.image };
    if (t.kind === 'IDENTIFIER' && !KEYWORDS.has(t.image.toLowerCase()))
      return { kind: 'word', text: t.image };
    throw encountered(t);
  };

  expectWord('select');
  let select: ParsedQuery['select'];
  if (isWord(peek(), 'count')) {
    next();
    expectPunct('(');
    expectPunct('*');
    expectPunct(')');
    select = { kind: 'count' };
  } else if (peek().kind === 'PUNCT' && peek().image === '*') {
    next();
    select = { kind: 'all' };
  } else {
    const fields = [name()];
    while (peek().kind === 'PUNCT' && peek().image === ',') {
      next();
      fields.push(name());
    }
    select = { kind: 'fields', fields };
  }
  expectWord('from');
  const entity = name();
  const query: ParsedQuery = { select, entity, where: [], orderBy: [] };

  if (isWord(peek(), 'where')) {
    next();
    for (;;) {
      const field = name();
      const t = next();
      if (t.kind === 'OP') {
        query.where.push({ field, op: t.image as Condition['op'], values: [literal()] });
      } else if (isWord(t, 'in')) {
        expectPunct('(');
        const values = [literal()];
        while (peek().kind === 'PUNCT' && peek().image === ',') {
          next();
          values.push(literal());
        }
        expectPunct(')');
        query.where.push({ field, op: 'IN', values });
      } else if (isWord(t, 'like')) {
        const value = next();
        if (value.kind !== 'STRING') throw encountered(value);
        query.where.push({ field, op: 'LIKE', values: [{ kind: 'string', text: value.value ?? '' }] });
      } else throw encountered(t);
      if (!isWord(peek(), 'and')) break;
      next();
    }
  }
  if (isWord(peek(), 'orderby')) {
    next();
    for (;;) {
      const field = name();
      let desc = false;
      if (isWord(peek(), 'asc')) next();
      else if (isWord(peek(), 'desc')) {
        next();
        desc = true;
      }
      query.orderBy.push({ field, desc });
      if (!(peek().kind === 'PUNCT' && peek().image === ',')) break;
      next();
    }
  }
  for (let round = 0; round < 2; round++) {
    if (isWord(peek(), 'startposition') && query.startPosition === undefined) {
      next();
      query.startPosition = integer();
    } else if (isWord(peek(), 'maxresults') && query.maxResults === undefined) {
      next();
      query.maxResults = integer();
    }
  }
  if (peek().kind !== 'EOF') throw encountered(peek());
  return query;
}

type Comparable = string | number | boolean;

interface CompiledCondition {
  spec: FieldSpec;
  test(value: Comparable | undefined): boolean;
}

function resolveField(ops: EntityOps, field: string): FieldSpec {
  const lower = field.toLowerCase();
  const spec = ops.fields.find((f) => f.name.toLowerCase() === lower);
  if (spec) return spec;
  const top = lower.split('.')[0];
  if (ops.properties.some((p) => p.toLowerCase() === top))
    throw invalidQuery(`property '${field}' is not queryable`);
  throw invalidQuery(`Property ${field} not found for Entity ${ops.name}`);
}

function compileValue(ctx: QboContext, spec: FieldSpec, literal: Literal): Comparable {
  const bad = () => invalidQuery(`Invalid value for property ${spec.name}: ${literal.text}`);
  switch (spec.type) {
    case 'id':
    case 'ref':
    case 'string':
      if (literal.kind === 'word') throw bad();
      return literal.text;
    case 'bool': {
      const text = literal.text.toLowerCase();
      if (text !== 'true' && text !== 'false') throw bad();
      return text === 'true';
    }
    case 'number': {
      const n = Number(literal.text);
      if (literal.kind === 'word' || literal.text.trim() === '' || !Number.isFinite(n)) throw bad();
      return n;
    }
    case 'date': {
      if (literal.kind === 'word' && literal.text.toUpperCase() === 'CURRENT_DATE')
        return localDate(ctx.clock.now(), ctx.company.timeZone);
      const text = literal.text.slice(0, 10);
      if (literal.kind !== 'string' || !isDate(text)) throw bad();
      return text;
    }
    case 'datetime': {
      if (literal.kind !== 'string') throw bad();
      const ms = parseDateTime(literal.text, ctx.company.timeZone);
      if (ms === undefined) throw bad();
      return ms;
    }
  }
}

const fold = (v: Comparable) => (typeof v === 'string' ? v.toLowerCase() : v);

function compare(spec: FieldSpec, a: Comparable, b: Comparable): number {
  if (spec.type === 'id' || spec.type === 'ref') {
    const x = Number(a);
    const y = Number(b);
    if (Number.isFinite(x) && Number.isFinite(y)) return x - y;
  }
  const x = fold(a);
  const y = fold(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function likeRegex(pattern: string): RegExp {
  const escaped = pattern
    .toLowerCase()
    .split('%')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${escaped}$`, 's');
}

function compileCondition(ctx: QboContext, ops: EntityOps, cond: Condition): CompiledCondition {
  const spec = resolveField(ops, cond.field);
  const exactOnly = spec.type === 'id' || spec.type === 'ref' || spec.type === 'bool';
  if (exactOnly && cond.op !== '=' && cond.op !== 'IN')
    throw invalidQuery(`Operator ${cond.op} is not supported for property ${spec.name}`);
  if (cond.op === 'LIKE' && spec.type !== 'string')
    throw invalidQuery(`Operator LIKE is not supported for property ${spec.name}`);
  if (cond.op === 'LIKE') {
    const regex = likeRegex(cond.values[0]?.text ?? '');
    return { spec, test: (v) => typeof v === 'string' && regex.test(v.toLowerCase()) };
  }
  const values = cond.values.map((l) => compileValue(ctx, spec, l));
  const test = (v: Comparable | undefined): boolean => {
    if (v === undefined) return false;
    const first = values[0] as Comparable;
    switch (cond.op) {
      case '=':
        return compare(spec, v, first) === 0;
      case 'IN':
        return values.some((x) => compare(spec, v, x) === 0);
      case '<':
        return compare(spec, v, first) < 0;
      case '>':
        return compare(spec, v, first) > 0;
      case '<=':
        return compare(spec, v, first) <= 0;
      case '>=':
        return compare(spec, v, first) >= 0;
      default:
        return false;
    }
  };
  return { spec, test };
}

/** Runs a statement; returns the `QueryResponse` member. Throws 4000/4001 faults. */
export function runQuery(ctx: QboContext, text: string): Record<string, unknown> {
  const parsed = parseQuery(text);
  const ops = entityByName(parsed.entity);
  if (!ops) throw invalidQuery(`Entity ${parsed.entity} not found`);
  const conditions = parsed.where.map((c) => compileCondition(ctx, ops, c));
  const order = parsed.orderBy.map((o) => ({ spec: resolveField(ops, o.field), desc: o.desc }));
  const fields = parsed.select.kind === 'fields' ? parsed.select.fields.map((f) => resolveField(ops, f)) : [];
  if (parsed.maxResults !== undefined && (parsed.maxResults < 1 || parsed.maxResults > MAX_RESULTS))
    throw invalidQuery(`MAXRESULTS must be between 1 and ${MAX_RESULTS}, got ${parsed.maxResults}`);

  const namesActive = conditions.some((c) => c.spec.name === 'Active');
  let records: Rec[] = ops.all(ctx);
  if (ops.activeOnly && !namesActive) records = records.filter(ops.activeOnly);
  records = records.filter((rec) => conditions.every((c) => c.test(c.spec.get(ctx, rec))));
  if (parsed.select.kind === 'count') return { totalCount: records.length };

  const idSpec = ops.fields.find((f) => f.name === 'Id') as FieldSpec;
  records.sort((a, b) => {
    for (const { spec, desc } of order) {
      const x = spec.get(ctx, a);
      const y = spec.get(ctx, b);
      if (x === undefined && y === undefined) continue;
      if (x === undefined) return desc ? 1 : -1;
      if (y === undefined) return desc ? -1 : 1;
      const c = compare(spec, x, y);
      if (c !== 0) return desc ? -c : c;
    }
    return compare(idSpec, a.id, b.id);
  });
  const start = Math.max(1, parsed.startPosition ?? 1);
  const max = parsed.maxResults ?? DEFAULT_MAX_RESULTS;
  const page = records.slice(start - 1, start - 1 + max);
  if (page.length === 0) return {};
  let items = page.map((rec) => ops.toWire(ctx, rec));
  if (fields.length > 0) {
    const keep = new Set(['Id', ...fields.map((f) => f.name.split('.')[0] as string)]);
    items = items.map((wire) => ({
      ...Object.fromEntries(Object.entries(wire).filter(([k]) => keep.has(k))),
      domain: 'QBO',
      sparse: true,
    }));
  }
  return { [ops.name]: items, startPosition: start, maxResults: items.length };
}

export function queryRoutes(ctx: QboContext): Route[] {
  const run = (text: string | null | undefined) => {
    if (!text?.trim()) throw requiredParam('query', 'query');
    return ok(ctx, { QueryResponse: runQuery(ctx, text) });
  };
  return [
    {
      method: 'GET',
      path: '/v3/company/:realmId/query',
      operation: 'query',
      handler: api(ctx, (req) => run(req.query.get('query'))),
    },
    {
      // The statement as the body (Content-Type: application/text), for ones too long for a URL.
      method: 'POST',
      path: '/v3/company/:realmId/query',
      operation: 'query',
      handler: api(ctx, (req) =>
        run(req.rawBody.length > 0 ? req.rawBody.toString('utf8') : req.query.get('query')),
      ),
    },
  ];
}
