/**
 * The list query parameters the Accounting API shares: `where` (a Dynamic LINQ expression such
 * as `Status=="AUTHORISED" AND AmountDue>0`, `Name.Contains("Smith")`,
 * `Date>=DateTime(2026,01,01)`, `Contact.ContactID==Guid("...")`), `order` (`Name ASC, Date
 * DESC`), `page`/`pageSize`, `IDs`-style comma lists and `If-Modified-Since`.
 * Filters run against the wire form of a record, so field names are Xero's own.
 * Docs: https://developer.xero.com/documentation/api/accounting/requests-and-responses
 */
import { isGuid, queryParseError } from './wire.ts';

type Value = string | number | boolean | null | undefined | { date: number };

type Node =
  | { kind: 'and' | 'or'; left: Node; right: Node }
  | { kind: 'not'; operand: Node }
  | { kind: 'compare'; op: string; left: Node; right: Node }
  | { kind: 'literal'; value: Value }
  | { kind: 'path'; path: string[] }
  | { kind: 'call'; target: Node; method: string; args: Node[] };

interface Token {
  type: 'ident' | 'string' | 'number' | 'op' | 'punct' | 'end';
  text: string;
  pos: number;
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
    if (c === '"') {
      let text = '';
      i++;
      while (i < input.length && input[i] !== '"') {
        if (input[i] === '\\' && i + 1 < input.length) i++;
        text += input[i];
        i++;
      }
      if (i >= input.length) throw queryParseError(`Unterminated string literal (at index ${start})`);
      i++;
      tokens.push({ type: 'string', text, pos: start });
    } else if (/[0-9]/.test(c) || (c === '-' && /[0-9]/.test(input[i + 1] ?? ''))) {
      i++;
      while (i < input.length && /[0-9.]/.test(input[i] as string)) i++;
      tokens.push({ type: 'number', text: input.slice(start, i), pos: start });
    } else if (/[A-Za-z_]/.test(c)) {
      while (i < input.length && /[A-Za-z0-9_]/.test(input[i] as string)) i++;
      tokens.push({ type: 'ident', text: input.slice(start, i), pos: start });
    } else {
      const two = input.slice(i, i + 2);
      if (['==', '!=', '>=', '<=', '&&', '||', '<>'].includes(two)) {
        tokens.push({ type: 'op', text: two, pos: start });
        i += 2;
      } else if ('<>=!'.includes(c)) {
        tokens.push({ type: 'op', text: c, pos: start });
        i++;
      } else if ('(),.'.includes(c)) {
        tokens.push({ type: 'punct', text: c, pos: start });
        i++;
      } else throw queryParseError(`Syntax error '${c}' (at index ${start})`);
    }
  }
  tokens.push({ type: 'end', text: '', pos: input.length });
  return tokens;
}

function parse(input: string): Node {
  const tokens = tokenize(input);
  let at = 0;
  const peek = () => tokens[at] as Token;
  const next = () => tokens[at++] as Token;
  const isWord = (t: Token, word: string) => t.type === 'ident' && t.text.toUpperCase() === word;
  const expect = (text: string) => {
    const t = next();
    if (t.text !== text) throw queryParseError(`'${text}' expected (at index ${t.pos})`);
  };

  const orExpr = (): Node => {
    let left = andExpr();
    while (isWord(peek(), 'OR') || peek().text === '||') {
      next();
      left = { kind: 'or', left, right: andExpr() };
    }
    return left;
  };
  const andExpr = (): Node => {
    let left = unary();
    while (isWord(peek(), 'AND') || peek().text === '&&') {
      next();
      left = { kind: 'and', left, right: unary() };
    }
    return left;
  };
  const unary = (): Node => {
    if (isWord(peek(), 'NOT') || peek().text === '!') {
      next();
      return { kind: 'not', operand: unary() };
    }
    return comparison();
  };
  const comparison = (): Node => {
    const left = operand();
    const t = peek();
    if (t.type === 'op' && !['&&', '||', '!'].includes(t.text)) {
      next();
      const op = t.text === '=' ? '==' : t.text === '<>' ? '!=' : t.text;
      return { kind: 'compare', op, left, right: operand() };
    }
    return left;
  };
  const operand = (): Node => {
    const t = next();
    if (t.type === 'punct' && t.text === '(') {
      const inner = orExpr();
      expect(')');
      return inner;
    }
    if (t.type === 'string') return { kind: 'literal', value: t.text };
    if (t.type === 'number') {
      const n = Number(t.text);
      if (!Number.isFinite(n)) throw queryParseError(`Invalid number '${t.text}' (at index ${t.pos})`);
      return { kind: 'literal', value: n };
    }
    if (t.type !== 'ident') throw queryParseError(`Expression expected (at index ${t.pos})`);
    const word = t.text;
    if (/^(true|false)$/i.test(word)) return { kind: 'literal', value: word.toLowerCase() === 'true' };
    if (/^null$/i.test(word)) return { kind: 'literal', value: null };
    if ((word === 'DateTime' || word === 'DateTimeOffset') && peek().text === '(') return dateLiteral();
    if (word === 'Guid' && peek().text === '(') {
      expect('(');
      const s = next();
      if (s.type !== 'string' || !isGuid(s.text))
        throw queryParseError(`Guid should contain 32 digits with 4 dashes (at index ${s.pos})`);
      expect(')');
      return { kind: 'literal', value: s.text.toLowerCase() };
    }
    let node: Node = { kind: 'path', path: [word] };
    while (peek().text === '.') {
      next();
      const member = next();
      if (member.type !== 'ident') throw queryParseError(`Identifier expected (at index ${member.pos})`);
      if (peek().text === '(') {
        next();
        const args: Node[] = [];
        while (peek().text !== ')') {
          args.push(orExpr());
          if (peek().text === ',') next();
          else if (peek().text !== ')') throw queryParseError(`')' or ',' expected (at index ${peek().pos})`);
        }
        next();
        node = { kind: 'call', target: node, method: member.text, args };
      } else if (node.kind === 'path') node = { kind: 'path', path: [...node.path, member.text] };
      else
        throw queryParseError(`Member access on a method result is not supported (at index ${member.pos})`);
    }
    return node;
  };
  const dateLiteral = (): Node => {
    expect('(');
    const parts: number[] = [];
    while (peek().text !== ')') {
      const n = next();
      if (n.type !== 'number') throw queryParseError(`Integer expected in DateTime (at index ${n.pos})`);
      parts.push(Number(n.text));
      if (peek().text === ',') next();
    }
    next();
    if (parts.length < 3 || parts.length > 6)
      throw queryParseError('DateTime takes 3 to 6 integers: DateTime(2026,01,31)');
    const [y, mo, d, h = 0, mi = 0, s = 0] = parts as [number, number, number, number?, number?, number?];
    const ms = Date.UTC(y, mo - 1, d, h, mi, s);
    if (Number.isNaN(ms) || mo < 1 || mo > 12 || d < 1 || d > 31)
      throw queryParseError('Invalid DateTime value');
    return { kind: 'literal', value: { date: ms } };
  };

  const tree = orExpr();
  if (peek().type !== 'end') throw queryParseError(`Syntax error (at index ${peek().pos})`);
  return tree;
}

const MS_DATE = /^\/Date\((-?\d+)([+-]\d{4})?\)\/$/;

/** Field values as comparable primitives: `/Date(...)/` strings become dates. */
function normalise(value: unknown): Value {
  if (typeof value === 'string') {
    const m = MS_DATE.exec(value);
    return m ? { date: Number(m[1]) } : value;
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined)
    return value;
  return undefined;
}

function compare(op: string, a: Value, b: Value): boolean {
  if (op === '==' || op === '!=') {
    const equal = equals(a, b);
    return op === '==' ? equal : !equal;
  }
  const x = ordinal(a);
  const y = ordinal(b);
  if (x === undefined || y === undefined) return false;
  switch (op) {
    case '>':
      return x > y;
    case '>=':
      return x >= y;
    case '<':
      return x < y;
    default:
      return x <= y;
  }
}

function ordinal(v: Value): number | string | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return v.toLowerCase();
  if (v && typeof v === 'object') return v.date;
  return undefined;
}

function equals(a: Value, b: Value): boolean {
  const isNull = (v: Value) => v === null || v === undefined;
  if (isNull(a) || isNull(b)) return isNull(a) && isNull(b);
  if (typeof a === 'object' || typeof b === 'object') return ordinal(a) === ordinal(b);
  // String comparisons in Xero's filters are case-insensitive (SQL collation).
  if (typeof a === 'string' && typeof b === 'string') return a.toLowerCase() === b.toLowerCase();
  return a === b;
}

export interface WhereFilter {
  (record: Record<string, unknown>): boolean;
}

/**
 * Compiles a `where` expression for records of `typeName`, whose top-level fields are `fields`.
 * Throws Xero's QueryParseException (400) on syntax errors and unknown fields.
 */
export function compileWhere(input: string, typeName: string, fields: readonly string[]): WhereFilter {
  const tree = parse(input);
  const known = new Map(fields.map((f) => [f.toLowerCase(), f]));
  const check = (node: Node): void => {
    switch (node.kind) {
      case 'and':
      case 'or':
        check(node.left);
        check(node.right);
        break;
      case 'not':
        check(node.operand);
        break;
      case 'compare':
        check(node.left);
        check(node.right);
        break;
      case 'call':
        if (!['contains', 'startswith', 'endswith', 'tolower', 'toupper'].includes(node.method.toLowerCase()))
          throw queryParseError(`No applicable method '${node.method}' exists in type 'String'`);
        check(node.target);
        node.args.forEach(check);
        break;
      case 'path': {
        const head = node.path[0] as string;
        const canonical = known.get(head.toLowerCase());
        if (!canonical) throw queryParseError(`No property or field '${head}' exists in type '${typeName}'`);
        node.path[0] = canonical;
        break;
      }
      default:
        break;
    }
  };
  check(tree);

  const evaluate = (node: Node, record: Record<string, unknown>): Value => {
    switch (node.kind) {
      case 'literal':
        return node.value;
      case 'path': {
        let current: unknown = record;
        for (const key of node.path) {
          if (typeof current !== 'object' || current === null) return undefined;
          const obj = current as Record<string, unknown>;
          const actual = Object.keys(obj).find((k) => k.toLowerCase() === key.toLowerCase());
          current = actual === undefined ? undefined : obj[actual];
        }
        return normalise(current);
      }
      case 'call': {
        const target = evaluate(node.target, record);
        const text = typeof target === 'string' ? target.toLowerCase() : undefined;
        const method = node.method.toLowerCase();
        if (method === 'tolower' || method === 'toupper')
          return typeof target === 'string' ? target : undefined;
        const arg = evaluate(node.args[0] ?? { kind: 'literal', value: undefined }, record);
        if (text === undefined || typeof arg !== 'string') return false;
        const needle = arg.toLowerCase();
        if (method === 'contains') return text.includes(needle);
        if (method === 'startswith') return text.startsWith(needle);
        return text.endsWith(needle);
      }
      case 'compare':
        return compare(node.op, evaluate(node.left, record), evaluate(node.right, record));
      case 'not':
        return !truthy(evaluate(node.operand, record));
      case 'and':
        return truthy(evaluate(node.left, record)) && truthy(evaluate(node.right, record));
      case 'or':
        return truthy(evaluate(node.left, record)) || truthy(evaluate(node.right, record));
    }
  };
  return (record) => truthy(evaluate(tree, record));
}

const truthy = (v: Value): boolean => v === true;

/** `order=Name ASC, UpdatedDateUTC DESC` as a comparator over wire records. */
export function compileOrder(
  input: string,
  typeName: string,
  fields: readonly string[],
): (a: Record<string, unknown>, b: Record<string, unknown>) => number {
  const known = new Map(fields.map((f) => [f.toLowerCase(), f]));
  const keys = input
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const m = /^([A-Za-z_][A-Za-z0-9_.]*)(?:\s+(ASC|DESC))?$/i.exec(part);
      if (!m) throw queryParseError(`Syntax error in order '${part}'`);
      const path = (m[1] as string).split('.');
      const canonical = known.get((path[0] as string).toLowerCase());
      if (!canonical) throw queryParseError(`No property or field '${path[0]}' exists in type '${typeName}'`);
      path[0] = canonical;
      return { path, desc: (m[2] ?? 'ASC').toUpperCase() === 'DESC' };
    });
  const read = (record: Record<string, unknown>, path: string[]) => {
    let current: unknown = record;
    for (const key of path)
      current =
        typeof current === 'object' && current !== null
          ? (current as Record<string, unknown>)[key]
          : undefined;
    return ordinal(normalise(current));
  };
  return (a, b) => {
    for (const { path, desc } of keys) {
      const x = read(a, path);
      const y = read(b, path);
      if (x === y) continue;
      if (x === undefined) return 1;
      if (y === undefined) return -1;
      const cmp = x < y ? -1 : 1;
      return desc ? -cmp : cmp;
    }
    return 0;
  };
}

/** A comma list parameter (`IDs=a,b`), trimmed, without empties; undefined when absent. */
export function commaList(query: URLSearchParams, name: string): string[] | undefined {
  const raw = [...query.entries()].filter(([k]) => k.toLowerCase() === name.toLowerCase()).map(([, v]) => v);
  if (raw.length === 0) return undefined;
  return raw
    .flatMap((v) => v.split(','))
    .map((v) => v.trim().replace(/^"(.*)"$/, '$1'))
    .filter(Boolean);
}

export function guidList(query: URLSearchParams, name: string): string[] | undefined {
  const list = commaList(query, name);
  if (!list) return undefined;
  for (const id of list) if (!isGuid(id)) throw queryParseError(`'${id}' in ${name} is not a valid Guid`);
  return list.map((id) => id.toLowerCase());
}

/** Case-insensitive query parameter (Xero accepts `Page`, `page`, `PAGE`). */
export function param(query: URLSearchParams, name: string): string | undefined {
  for (const [k, v] of query.entries()) if (k.toLowerCase() === name.toLowerCase()) return v;
  return undefined;
}

export function intParam(query: URLSearchParams, name: string, min: number): number | undefined {
  const raw = param(query, name);
  if (raw === undefined || raw === '') return undefined;
  if (!/^-?\d+$/.test(raw.trim())) throw queryParseError(`The value '${raw}' is not valid for ${name}.`);
  const n = Number(raw);
  if (n < min) throw queryParseError(`${name} must be ${min} or more, got ${n}.`);
  return n;
}

export function boolParam(query: URLSearchParams, name: string): boolean | undefined {
  const raw = param(query, name);
  if (raw === undefined || raw === '') return undefined;
  if (/^true$/i.test(raw)) return true;
  if (/^false$/i.test(raw)) return false;
  throw queryParseError(`The value '${raw}' is not valid for ${name}.`);
}

export interface Page<T> {
  items: T[];
  pagination?: { page: number; pageSize: number; pageCount: number; itemCount: number };
}

/**
 * Without `page` Xero returns every match; with it, `pageSize` (default 100, at most 1000) per
 * page and a `pagination` block.
 */
export function paginate<T>(items: T[], query: URLSearchParams): Page<T> {
  const page = intParam(query, 'page', 1);
  const requestedSize = intParam(query, 'pageSize', 1);
  if (page === undefined) return { items };
  const pageSize = Math.min(requestedSize ?? 100, 1000);
  return {
    items: items.slice((page - 1) * pageSize, page * pageSize),
    pagination: { page, pageSize, pageCount: Math.ceil(items.length / pageSize), itemCount: items.length },
  };
}
