import { describe, expect, it } from 'vitest';
import {
  parse,
  TypeInfo,
  ValidationContext,
  visit,
  visitInParallel,
  visitWithTypeInfo,
  type DocumentNode,
  type GraphQLError,
} from 'graphql';
import { buildSchema } from '../graph/schema.ts';
import { scopeRule } from './scope-rule.ts';

const schema = buildSchema();

/** Runs the rule as @envelop/extended-validation does: one visit with type info, before execution. */
function check(
  document: DocumentNode,
  scopes: string[],
  variables: Record<string, unknown> = {},
): GraphQLError[] {
  const errors: GraphQLError[] = [];
  const typeInfo = new TypeInfo(schema);
  const context = new ValidationContext(schema, document, typeInfo, (error) => errors.push(error));
  const principal = { scopes: new Set(scopes) };
  const rule = scopeRule(context, {
    schema,
    document,
    variableValues: variables,
    contextValue: { caller: { principal } },
  });
  visit(document, visitWithTypeInfo(typeInfo, visitInParallel([rule])));
  return errors;
}

const run = (query: string, scopes: string[], variables?: Record<string, unknown>) =>
  check(parse(query), scopes, variables);

describe('the @requiresScopes rule', () => {
  it('refuses a field whose type needs a scope, naming the scope and the field', () => {
    const [error, ...rest] = run('{ customers(first: 1) { edges { node { displayName } } } }', [
      'bookings:read',
    ]);
    expect(rest).toEqual([]);
    expect(error?.extensions).toMatchObject({
      code: 'FORBIDDEN',
      missingScopes: ['customers:read'],
      field: 'Query.customers',
      http: { status: 403 },
    });
    expect(error?.message).toBe(
      'Query.customers needs the `customers:read` scope, which this credential does not have.',
    );
  });

  it('checks a field beyond its type: personal data needs customers:pii', () => {
    const query = '{ customers(first: 1) { edges { node { displayName email phone } } } }';
    expect(run(query, ['customers:read', 'customers:pii'])).toEqual([]);
    const errors = run(query, ['customers:read']);
    expect(errors.map((e) => e.extensions.field)).toEqual(['Customer.email', 'Customer.phone']);
  });

  it('checks an argument only when it is given', () => {
    expect(run('{ customers(first: 1) { totalCount } }', ['customers:read'])).toEqual([]);
    const [error] = run('{ customers(first: 1, search: "hughes") { totalCount } }', ['customers:read']);
    expect(error?.message).toMatch(/^the search argument of Query.customers needs the `customers:pii` scope/);
    expect(run('{ customers(first: 1, search: null) { totalCount } }', ['customers:read'])).toEqual([]);
  });

  it('takes either alternative of several', () => {
    const query = 'query($id: ID!) { operation(id: $id) { state } }';
    expect(run(query, ['bookings:write'])).toEqual([]);
    expect(run(query, ['operator'])).toEqual([]);
    const [error] = run(query, ['customers:read']);
    // The smallest set that would do: one scope of any alternative.
    expect(error?.extensions.missingScopes).toHaveLength(1);
  });

  it('needs events:subscribe for every subscription and the read scope of what it carries', () => {
    const query = 'subscription { bookingChanged { id start } }';
    expect(run(query, ['events:subscribe', 'bookings:read'])).toEqual([]);
    expect(run(query, ['bookings:read'])[0]?.extensions.missingScopes).toEqual(['events:subscribe']);
    expect(run(query, ['events:subscribe'])[0]?.extensions.missingScopes).toEqual(['bookings:read']);
  });

  it('checks fragments on the concrete type behind an interface', () => {
    const query = 'query($id: ID!) { node(id: $id) { id ... on Customer { email } } }';
    expect(run(query, ['customers:read', 'customers:pii'])).toEqual([]);
    expect(run(query, ['customers:read']).map((e) => e.extensions.field)).toEqual(['Customer.email']);
    expect(run('query($id: ID!) { node(id: $id) { id } }', ['events:subscribe'])[0]?.extensions.field).toBe(
      'Query.node',
    );
  });

  it('does not check what @skip or @include leaves out', () => {
    const query =
      'query($pii: Boolean!) { customers(first: 1) { edges { node { displayName email @include(if: $pii) } } } }';
    const document = parse(query);
    expect(check(document, ['customers:read'], { pii: false })).toEqual([]);
    expect(check(document, ['customers:read'], { pii: true })).toHaveLength(1);
    // Same document object again: selections that depend on variables are not served from memory.
    expect(check(document, ['customers:read'], { pii: false })).toEqual([]);
  });

  it('keeps one verdict per document and set of scopes', () => {
    const document = parse('{ customers(first: 1) { edges { node { email } } } }');
    const first = check(document, ['customers:read']);
    expect(first).toHaveLength(1);
    expect(check(document, ['customers:read'])).toEqual(first);
    expect(check(document, ['customers:read', 'customers:pii'])).toEqual([]);
    expect(check(document, ['customers:read'])).toHaveLength(1);
  });

  it('ignores introspection and __typename', () => {
    expect(run('{ __typename __schema { queryType { name } } }', [])).toEqual([]);
  });
});
