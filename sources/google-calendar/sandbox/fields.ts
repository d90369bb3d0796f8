import { errors, fail } from './wire.ts';

/**
 * Partial responses: the `fields` parameter every Google API takes, e.g.
 * `fields=items(id,summary,start/dateTime),nextPageToken,nextSyncToken`.
 * https://developers.google.com/calendar/api/guides/performance#partial-response
 */

type Selector = Map<string, Selector | true>;

function mergeInto(target: Selector, path: string[], leaf: Selector | true): void {
  const [head, ...rest] = path as [string, ...string[]];
  if (rest.length === 0) {
    const existing = target.get(head);
    if (existing instanceof Map && leaf instanceof Map) for (const [k, v] of leaf) existing.set(k, v);
    else if (existing !== true) target.set(head, leaf);
    return;
  }
  let child = target.get(head);
  if (child === true) return; // already selected whole
  if (!child) {
    child = new Map();
    target.set(head, child);
  }
  mergeInto(child, rest, leaf);
}

export function parseFields(text: string): Selector {
  let pos = 0;
  const bad = (): never => fail(errors.invalidParameter('fields', `Invalid field selection ${text}`));
  const parseList = (): Selector => {
    const selector: Selector = new Map();
    for (;;) {
      const match = /^[A-Za-z0-9_*]+(?:\/[A-Za-z0-9_*]+)*/.exec(text.slice(pos));
      if (!match) bad();
      const path = (match as RegExpExecArray)[0].split('/');
      pos += (match as RegExpExecArray)[0].length;
      let leaf: Selector | true = true;
      if (text[pos] === '(') {
        pos++;
        leaf = parseList();
        if (text[pos] !== ')') bad();
        pos++;
      }
      mergeInto(selector, path, leaf);
      if (text[pos] !== ',') return selector;
      pos++;
    }
  };
  const selector = parseList();
  if (pos !== text.length) bad();
  return selector;
}

export function applyFields(value: unknown, selector: Selector): unknown {
  if (Array.isArray(value)) return value.map((v) => applyFields(v, selector));
  if (typeof value !== 'object' || value === null) return value;
  const source = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, sub] of selector) {
    const keys = key === '*' ? Object.keys(source) : [key];
    for (const k of keys) {
      if (source[k] === undefined) continue;
      out[k] = sub === true ? source[k] : applyFields(source[k], sub);
    }
  }
  return out;
}

/**
 * The `?fields=` selection of a request as a function over its response body; parsed up front so a
 * bad selection fails before anything is written.
 */
export function fieldsShaper(query: URLSearchParams): (body: unknown) => unknown {
  const fields = query.get('fields');
  if (fields === null || fields === '') return (body) => body;
  const selector = parseFields(fields);
  return (body) => applyFields(body, selector);
}
