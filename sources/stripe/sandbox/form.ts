import { invalidRequest, missingParam } from './errors.ts';

/**
 * Stripe v1 parameters (https://docs.stripe.com/api/request_ids and the SDKs' encoders): form
 * encoding with bracketed nesting, `metadata[k]=v`, `expand[]=x` or `expand[0]=x`,
 * `created[gte]=1700000000`, in the body of POSTs and the query string of GETs and DELETEs. An
 * empty string unsets a field. Decoding is two steps: `decodeForm` builds a tree of strings
 * without knowing the endpoint; `readParams` checks the tree against the endpoint's spec, so
 * unknown or mistyped parameters get Stripe's 400s.
 */
export type FormValue = string | FormTree;
export type FormTree = Map<string, FormValue>;

/** Keys `[]` (append) get this prefix, so they never collide with `[0]` or a metadata key. */
const APPEND = '\u0000';

function decodeComponent(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    throw invalidRequest(
      `Invalid request: the parameters could not be decoded (bad percent-encoding in '${text.slice(0, 40)}').`,
    );
  }
}

function splitKey(key: string): string[] {
  const open = key.indexOf('[');
  if (open === -1) return [key];
  const parts = [key.slice(0, open)];
  let rest = key.slice(open);
  while (rest.length > 0) {
    const match = /^\[([^[\]]*)\]/.exec(rest);
    if (!match || parts[0] === '') {
      throw invalidRequest(`Invalid request: malformed parameter name '${key}'.`);
    }
    parts.push(match[1] as string);
    rest = rest.slice(match[0].length);
  }
  return parts;
}

export function decodeForm(text: string): FormTree {
  const root: FormTree = new Map();
  if (text.trim() === '') return root;
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decodeComponent(eq === -1 ? pair : pair.slice(0, eq));
    const value = eq === -1 ? '' : decodeComponent(pair.slice(eq + 1));
    if (key === '') throw invalidRequest('Invalid request: a parameter has an empty name.');
    const parts = splitKey(key);
    let node = root;
    parts.forEach((raw, i) => {
      const part = raw === '' ? `${APPEND}${node.size}` : raw;
      const last = i === parts.length - 1;
      const existing = node.get(part);
      if (last) {
        if (existing instanceof Map) throw conflict(parts.slice(0, i + 1));
        node.set(part, value);
        return;
      }
      if (typeof existing === 'string') throw conflict(parts.slice(0, i + 1));
      const child: FormTree = existing ?? new Map();
      node.set(part, child);
      node = child;
    });
  }
  return root;
}

const conflict = (parts: string[]) =>
  invalidRequest(`Invalid request: parameter '${paramName(parts)}' is given both as a value and as a hash.`);

/** `['metadata', 'k']` -> `metadata[k]`, as Stripe names nested params in its errors. */
export function paramName(parts: string[]): string {
  const [head = '', ...rest] = parts;
  return head + rest.map((p) => `[${p.startsWith(APPEND) ? '' : p}]`).join('');
}

/** A stable fingerprint of the parameters, for idempotency comparisons (order-insensitive). */
export function fingerprint(tree: FormTree): string {
  const plain = (v: FormValue): unknown =>
    typeof v === 'string'
      ? v
      : Object.fromEntries(
          [...v.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, x]) => [k, plain(x)]),
        );
  return JSON.stringify(plain(tree));
}

// ---------------------------------------------------------------------------------------------
// Endpoint specs

export type Spec =
  | { type: 'string'; required?: boolean; nullable?: boolean; enum?: readonly string[]; max?: number }
  | { type: 'integer'; required?: boolean; min?: number; max?: number }
  | { type: 'boolean'; required?: boolean }
  | { type: 'metadata' }
  | { type: 'expand' }
  | { type: 'range' }
  | { type: 'strings'; required?: boolean; enum?: readonly string[] }
  | { type: 'object'; fields: Record<string, Spec>; required?: boolean; nullable?: boolean }
  /** A list of hashes: `line_items[0][quantity]=1` (or `line_items[][…]`), each checked against `fields`. */
  | { type: 'objects'; fields: Record<string, Spec>; required?: boolean };

/** `null` unsets all metadata; a `null` value deletes one key. */
export type MetadataPatch = Record<string, string | null> | null;
export interface RangeFilter {
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
}

type Nullable<S> = S extends { nullable: true } ? null : never;
export type Infer<S> = S extends { type: 'string' }
  ? string | Nullable<S>
  : S extends { type: 'integer' }
    ? number
    : S extends { type: 'boolean' }
      ? boolean
      : S extends { type: 'metadata' }
        ? MetadataPatch
        : S extends { type: 'expand' | 'strings' }
          ? string[]
          : S extends { type: 'range' }
            ? RangeFilter
            : S extends { type: 'object'; fields: infer F }
              ? Params<F> | Nullable<S>
              : S extends { type: 'objects'; fields: infer F }
                ? Array<Params<F>>
                : never;

type RequiredKeys<F> = { [K in keyof F]: F[K] extends { required: true } ? K : never }[keyof F];
export type Params<F> = { -readonly [K in RequiredKeys<F>]: Infer<F[K]> } & {
  -readonly [K in Exclude<keyof F, RequiredKeys<F>>]?: Infer<F[K]>;
};

/** Checks `tree` against `specs`; throws Stripe's 400 for the first problem. */
export function readParams<F extends Record<string, Spec>>(tree: FormTree, specs: F): Params<F> {
  return readObject(tree, specs, []) as Params<F>;
}

function readObject(tree: FormTree, specs: Record<string, Spec>, path: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of tree.keys()) {
    if (!(key in specs)) {
      const name = paramName([...path, key]);
      throw invalidRequest(`Received unknown parameter: ${name}`, { param: name, code: 'parameter_unknown' });
    }
  }
  for (const [key, spec] of Object.entries(specs)) {
    const value = tree.get(key);
    if (value === undefined) {
      if ('required' in spec && spec.required) throw missingParam(paramName([...path, key]));
      continue;
    }
    out[key] = readValue(value, spec, [...path, key]);
  }
  return out;
}

function readValue(value: FormValue, spec: Spec, path: string[]): unknown {
  const name = paramName(path);
  const scalar = (): string => {
    if (typeof value !== 'string') {
      throw invalidRequest(`Invalid ${spec.type}: ${name} must be a single value, not a hash`, {
        param: name,
      });
    }
    return value;
  };
  switch (spec.type) {
    case 'string': {
      const text = scalar();
      if (text === '') {
        if (spec.nullable) return null;
        throw invalidRequest(
          `You passed an empty string for '${name}'. We assume empty values are an attempt to unset a parameter; however '${name}' cannot be unset. You should remove '${name}' from your request or supply a non-empty value.`,
          { param: name, code: 'parameter_invalid_empty' },
        );
      }
      if (spec.enum && !spec.enum.includes(text)) throw badEnum(name, spec.enum);
      if (spec.max !== undefined && text.length > spec.max) {
        throw invalidRequest(`Invalid ${name}: must be at most ${spec.max} characters`, {
          param: name,
          code: 'parameter_invalid_string_too_long',
        });
      }
      return text;
    }
    case 'integer':
      return readInteger(scalar(), name, spec.min, spec.max);
    case 'boolean': {
      const text = scalar();
      if (text !== 'true' && text !== 'false') {
        throw invalidRequest(`Invalid boolean: ${text}`, { param: name });
      }
      return text === 'true';
    }
    case 'metadata':
      return readMetadata(value, name);
    case 'expand':
    case 'strings': {
      const list = readArray(value, name);
      for (const [i, item] of list.entries()) {
        if (typeof item !== 'string' || item === '') {
          throw invalidRequest(`Invalid ${name}[${i}]: must be a non-empty string`, {
            param: `${name}[${i}]`,
          });
        }
        if (spec.type === 'strings' && spec.enum && !spec.enum.includes(item)) {
          throw badEnum(`${name}[${i}]`, spec.enum);
        }
      }
      return list;
    }
    case 'range': {
      if (typeof value === 'string') return { gte: readInteger(value, name), lte: readInteger(value, name) };
      const range = readObject(
        value,
        {
          gt: { type: 'integer' },
          gte: { type: 'integer' },
          lt: { type: 'integer' },
          lte: { type: 'integer' },
        },
        path,
      );
      return range;
    }
    case 'objects':
      return readArray(value, name).map((item, i) => {
        if (typeof item === 'string') {
          throw invalidRequest(`Invalid object: ${name}[${i}] must be a hash`, { param: `${name}[${i}]` });
        }
        return readObject(item, spec.fields, [...path, String(i)]);
      });
    case 'object': {
      if (typeof value === 'string') {
        if (value === '' && spec.nullable) return null;
        throw invalidRequest('Invalid object', { param: name });
      }
      return readObject(value, spec.fields, path);
    }
  }
}

function badEnum(name: string, values: readonly string[]) {
  const list =
    values.length > 1
      ? `${values.slice(0, -1).join(', ')}, or ${values[values.length - 1]}`
      : values.join('');
  return invalidRequest(`Invalid ${name}: must be one of ${list}`, { param: name });
}

function readInteger(text: string, name: string, min?: number, max?: number): number {
  if (!/^-?\d{1,15}$/.test(text)) {
    throw invalidRequest(`Invalid integer: ${text}`, { param: name, code: 'parameter_invalid_integer' });
  }
  const n = Number(text);
  if (min !== undefined && n < min) {
    throw invalidRequest(`This value must be greater than or equal to ${min}.`, { param: name });
  }
  if (max !== undefined && n > max) {
    throw invalidRequest(`This value must be less than or equal to ${max}.`, { param: name });
  }
  return n;
}

/** Arrays arrive as `a[]=x` (append) or `a[0]=x` (indexed); both become a map here. */
function readArray(value: FormValue, name: string): FormValue[] {
  if (typeof value === 'string') {
    if (value === '') return [];
    throw invalidRequest('Invalid array', { param: name });
  }
  const entries = [...value.entries()];
  const indexed = entries.map(([k, v]) => {
    if (k.startsWith(APPEND)) return { index: Number(k.slice(1)), v };
    if (!/^\d+$/.test(k)) throw invalidRequest('Invalid array', { param: name });
    return { index: Number(k), v };
  });
  return indexed.sort((a, b) => a.index - b.index).map((e) => e.v);
}

function readMetadata(value: FormValue, name: string): MetadataPatch {
  if (typeof value === 'string') {
    if (value === '') return null;
    throw invalidRequest('Invalid object', { param: name });
  }
  if (value.size > 50) {
    throw invalidRequest('Invalid metadata: metadata can have at most 50 keys.', { param: name });
  }
  const out: Record<string, string | null> = {};
  for (const [key, v] of value) {
    const keyName = paramName([name, key]);
    if (typeof v !== 'string')
      throw invalidRequest(`Invalid value type: ${keyName} must be a string`, { param: keyName });
    if (key.length > 40) {
      throw invalidRequest(`Metadata keys can have up to 40 characters; '${key}' has ${key.length}.`, {
        param: keyName,
      });
    }
    if (v.length > 500) {
      throw invalidRequest(
        `Metadata values can have up to 500 characters, but you passed in a value that is ${v.length} characters.`,
        {
          param: keyName,
        },
      );
    }
    out[key] = v === '' ? null : v;
  }
  return out;
}

/** Applies a metadata patch the way Stripe does: merge, `''` deletes a key, `metadata=` clears all. */
export function applyMetadata(
  current: Record<string, string>,
  patch: MetadataPatch | undefined,
): Record<string, string> {
  if (patch === undefined) return current;
  if (patch === null) return {};
  const next = { ...current };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete next[k];
    else next[k] = v;
  }
  return next;
}
