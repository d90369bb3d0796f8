import { describe, expect, it } from 'vitest';
import { ResponseError } from '../../../src/sandbox/kit/http.ts';
import { matches, parseQuery, search, type SearchResource } from './search.ts';

interface Row {
  id: string;
  email: string | null;
  amount: number;
  status: string;
  metadata: Record<string, string>;
}

const resource: SearchResource<Row> = {
  name: 'things',
  fields: {
    email: { kind: 'text', get: (r) => r.email },
    amount: { kind: 'number', get: (r) => r.amount },
    status: { kind: 'token', get: (r) => r.status },
  },
  metadata: (r) => r.metadata,
};

const rows: Row[] = [
  { id: 'a', email: 'Ann@Example.com', amount: 500, status: 'succeeded', metadata: { ref: "o'brien" } },
  { id: 'b', email: 'bob@example.com', amount: 1500, status: 'canceled', metadata: {} },
  { id: 'c', email: null, amount: 2500, status: 'succeeded', metadata: { ref: 'x' } },
];

const hits = (query: string) =>
  rows.filter((r) => matches(r, parseQuery(query, resource), resource)).map((r) => r.id);

function messageOf(query: string): string {
  try {
    parseQuery(query, resource);
  } catch (error) {
    if (error instanceof ResponseError) {
      const body = error.response.body as { error: { message: string; param: string } };
      expect(body.error.param).toBe('query');
      return body.error.message;
    }
    throw error;
  }
  throw new Error(`expected "${query}" to be rejected`);
}

describe('search query language', () => {
  it('matches exact (case-insensitive), substring, numeric, metadata, null and negated clauses', () => {
    expect(hits("email:'ann@example.com'")).toEqual(['a']);
    expect(hits('email~"example"')).toEqual(['a', 'b']);
    expect(hits('amount>1000 AND status:"succeeded"')).toEqual(['c']);
    expect(hits('amount<=500 OR amount:2500')).toEqual(['a', 'c']);
    expect(hits("metadata['ref']:'o\\'brien'")).toEqual(['a']);
    expect(hits('metadata["ref"]:"x"')).toEqual(['c']);
    expect(hits('email:null')).toEqual(['c']);
    expect(hits("-status:'canceled'")).toEqual(['a', 'c']);
  });

  it('rejects bad queries with messages that name the problem', () => {
    expect(messageOf("colour:'red'")).toContain(
      "Field 'colour' is an unsupported search field for resource things",
    );
    expect(messageOf("email:'a' and status:'b'")).toContain('expected AND or OR');
    expect(messageOf("email:'a' AND status:'b' OR amount:1")).toContain('cannot mix AND and OR');
    expect(messageOf("email:'unterminated")).toContain('unterminated string');
    expect(messageOf('email')).toContain('expected an operator');
    expect(messageOf("status~'succ'")).toContain('does not support substring search');
    expect(messageOf("email>'a'")).toContain("does not support the '>' operator");
    expect(messageOf("amount:'lots'")).toContain('not an integer');
    expect(messageOf('   ')).toContain('empty');
    expect(messageOf(Array.from({ length: 11 }, (_, i) => `amount:${i}`).join(' OR '))).toContain(
      'at most 10 clauses',
    );
  });

  it('pages with opaque tokens bound to their query', () => {
    const first = search({
      all: rows,
      resource,
      params: { query: 'amount>0', limit: 2 },
      url: '/v1/things/search',
    });
    expect(first.page).toMatchObject({ object: 'search_result', has_more: true });
    expect(first.page.data.map((r) => r.id)).toEqual(['a', 'b']);
    const next = search({
      all: rows,
      resource,
      params: { query: 'amount>0', limit: 2, page: first.page.next_page! },
      url: '/v1/things/search',
    });
    expect(next.page).toMatchObject({ has_more: false, next_page: null });
    expect(next.page.data.map((r) => r.id)).toEqual(['c']);
    expect(() =>
      search({ all: rows, resource, params: { query: 'amount>1', page: first.page.next_page! }, url: '/x' }),
    ).toThrow(ResponseError);
  });
});
