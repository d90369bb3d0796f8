import { GraphQLError, parse, validate, type GraphQLSchema } from 'graphql';
import { getComplexity } from 'graphql-query-complexity';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildSchema } from '../graph/schema.ts';
import { costEstimator, costRule, oversizeGuard } from './limits.ts';

describe('the cost estimator on the real schema', () => {
  let schema: GraphQLSchema;
  beforeAll(() => {
    schema = buildSchema();
  });

  const cost = (query: string, variables: Record<string, unknown> = {}) =>
    getComplexity({ schema, query: parse(query), variables, estimators: [costEstimator] });

  const page = (first: string) => `{ customers${first} { edges { node { id } } } }`;

  it('a connection costs 1 plus `first` times its children', () => {
    // customers 1 + 10 × (edges 1 + node 1 + id 0)
    expect(cost(page('(first: 10)'))).toBe(21);
    expect(cost(page('(first: 100)'))).toBe(201);
    expect(cost(page('(first: 100)')) - 1).toBe(10 * (cost(page('(first: 10)')) - 1));
    expect(cost(page('(first: 1)'))).toBe(3);
  });

  it('the default `first` (20) counts when none is given', () => {
    expect(cost(page(''))).toBe(41);
    expect(cost(page(''))).toBe(cost(page('(first: 20)')));
  });

  it('`first` from a variable counts, and so does its default', () => {
    expect(cost('query ($n: Int) { customers(first: $n) { edges { node { id } } } }', { n: 50 })).toBe(101);
    expect(cost('query ($n: Int = 7) { customers(first: $n) { edges { node { id } } } }')).toBe(15);
  });

  it('`first: 0` still costs as one item', () => {
    expect(cost(page('(first: 0)'))).toBe(3);
  });

  it('scalars cost nothing: more scalar fields do not cost more', () => {
    expect(cost('{ customers(first: 10) { totalCount } }')).toBe(1);
    expect(
      cost('{ customers(first: 10) { edges { node { id displayName firstName lastName company } } } }'),
    ).toBe(cost(page('(first: 10)')));
    // `links` is a list of objects: 1 more per customer.
    expect(cost('{ customers(first: 10) { edges { node { id links { system externalId } } } } }')).toBe(31);
  });

  it('`nodes(ids: …)` multiplies its children by the number of ids', () => {
    const nodes = (ids: string[]) =>
      `{ nodes(ids: ${JSON.stringify(ids)}) { id ... on Customer { links { system } } } }`;
    expect(cost(nodes(['a']))).toBe(2);
    expect(cost(nodes(['a', 'b', 'c']))).toBe(4);
    expect(cost(nodes(Array.from({ length: 100 }, (_, i) => `id${i}`)))).toBe(101);
    expect(
      cost('query ($ids: [ID!]!) { nodes(ids: $ids) { ... on Customer { links { system } } } }', {
        ids: ['a', 'b', 'c', 'd', 'e'],
      }),
    ).toBe(6);
    // Only scalars under it: the ids cost nothing more.
    expect(cost(nodes(['a', 'b', 'c']).replace(' ... on Customer { links { system } }', ''))).toBe(1);
  });

  it('nested connections multiply', () => {
    const nested = cost('{ customers(first: 10) { edges { node { links { system } } } } }');
    // customers 1 + 10 × (edges 1 + node 1 + links 1) = 31
    expect(nested).toBe(31);
  });
});

describe('costRule', () => {
  let schema: GraphQLSchema;
  beforeAll(() => {
    schema = buildSchema();
  });
  const errors = (query: string, max: number, variableValues: Record<string, unknown> = {}) =>
    validate(schema, parse(query), [(context) => costRule(max)(context, { variableValues })]);

  it('lets a query at the limit through and refuses one over it with QUERY_TOO_COSTLY (400)', () => {
    expect(errors('{ customers(first: 10) { edges { node { id } } } }', 21)).toEqual([]);
    const [error, ...rest] = errors('{ customers(first: 10) { edges { node { id } } } }', 20);
    expect(rest).toEqual([]);
    expect(error).toBeInstanceOf(GraphQLError);
    expect(error!.extensions).toEqual({ code: 'QUERY_TOO_COSTLY', http: { status: 400 } });
    expect(error!.message).toContain('costs 21; the limit is 20');
  });

  it('counts variables', () => {
    const query = 'query ($n: Int) { customers(first: $n) { edges { node { id } } } }';
    expect(errors(query, 100, { n: 49 })).toEqual([]);
    expect(errors(query, 100, { n: 50 })[0]?.extensions.code).toBe('QUERY_TOO_COSTLY');
  });
});

describe('oversizeGuard', () => {
  const result = { data: { customers: { edges: [{ node: { id: 'Q3VzdG9tZXI6MQ==' } }] } } };
  const text = JSON.stringify(result);

  it('returns the JSON when it is at most the cap', () => {
    expect(oversizeGuard(text.length)(result)).toBe(text);
    expect(oversizeGuard(16 * 1024 * 1024)(result)).toBe(text);
  });

  it('returns a RESPONSE_TOO_LARGE error instead when it is over the cap, with no data', () => {
    const answer = JSON.parse(oversizeGuard(text.length - 1)(result));
    expect(Object.keys(answer)).toEqual(['errors']);
    expect(answer.errors).toHaveLength(1);
    expect(answer.errors[0].extensions).toEqual({ code: 'RESPONSE_TOO_LARGE' });
    expect(answer.errors[0].message).toContain('Ask for fewer items');
    expect(answer.errors[0].message).not.toContain('Q3VzdG9tZXI6MQ');
  });

  it('names the sizes in Mi characters', () => {
    const big = { data: { blob: 'x'.repeat(3 * 1_048_576) } };
    const answer = JSON.parse(oversizeGuard(2 * 1_048_576)(big));
    expect(answer.errors[0].message).toMatch(/would be 3\.0 Mi characters; the limit is 2\.0 Mi/);
  });
});
