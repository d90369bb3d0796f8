import { buildSchema as buildSdl } from 'graphql';
import { describe, expect, it } from 'vitest';
import { buildSchema } from '../graph/schema.ts';
import {
  directiveScopes,
  enumValueFromScope,
  missingScopes,
  readScopeCatalog,
  scopeFromEnumValue,
  unknownScopes,
} from './scopes.ts';

const HEADER = /* GraphQL */ `
  directive @requiresScopes(
    scopes: [[String!]!]!
  ) on FIELD_DEFINITION | OBJECT | INTERFACE | ARGUMENT_DEFINITION
  directive @publishable on ENUM_VALUE
  enum Scope {
    CUSTOMERS_READ
    CUSTOMERS_PII
    PAYMENT_LINKS_WRITE
    OPERATOR
    AVAILABILITY_READ @publishable
  }
`;

describe('scope names', () => {
  it.each([
    ['CUSTOMERS_READ', 'customers:read'],
    ['CUSTOMERS_PII', 'customers:pii'],
    ['EVENTS_SUBSCRIBE', 'events:subscribe'],
    ['OPERATOR', 'operator'],
    ['PAYMENT_LINKS_WRITE', 'payment_links:write'],
  ])('%s is written %s, and back', (value, scope) => {
    expect(scopeFromEnumValue(value)).toBe(scope);
    expect(enumValueFromScope(scope)).toBe(value);
  });
});

describe('the scope catalog of the real schema', () => {
  const catalog = readScopeCatalog(buildSchema());

  it('lists every Scope value in the schema order, written in lower case with a colon', () => {
    expect(catalog.all).toEqual([
      'customers:read',
      'customers:pii',
      'customers:write',
      'bookings:read',
      'bookings:write',
      'orders:read',
      'orders:write',
      'refunds:write',
      'invoices:read',
      'invoices:write',
      'events:subscribe',
      'operator',
      'availability:read',
      'enquiries:write',
    ]);
  });

  it('only availability:read and enquiries:write are publishable', () => {
    expect(catalog.publishable).toEqual(new Set(['availability:read', 'enquiries:write']));
  });

  it('describes each scope from its SDL description', () => {
    expect(catalog.describe('refunds:write')).toBe('Refund payments.');
    expect(catalog.describe('customers:pii')).toMatch(/^Personal data/);
    expect(catalog.describe('no:such')).toBeUndefined();
  });

  it('unknownScopes names the scopes the catalog does not have', () => {
    expect(unknownScopes(catalog, ['customers:read', 'customer:read', 'OPERATOR', 'operator'])).toEqual([
      'customer:read',
      'OPERATOR',
    ]);
    expect(unknownScopes(catalog, [])).toEqual([]);
  });
});

describe('readScopeCatalog on other schemas', () => {
  it('reads a schema whose directives name only known scopes, and its publishable ones', () => {
    const catalog = readScopeCatalog(
      buildSdl(`${HEADER}
        type Query {
          customers: [String] @requiresScopes(scopes: [["customers:read"], ["operator"]])
          links: [String] @requiresScopes(scopes: [["payment_links:write", "customers:pii"]])
        }`),
    );
    expect(catalog.all).toEqual([
      'customers:read',
      'customers:pii',
      'payment_links:write',
      'operator',
      'availability:read',
    ]);
    expect(catalog.publishable).toEqual(new Set(['availability:read']));
  });

  it('throws naming the field when @requiresScopes names a scope the enum does not have', () => {
    const schema = buildSdl(`${HEADER}
      type Query {
        fine: String @requiresScopes(scopes: [["customers:read"]])
        customers: [String] @requiresScopes(scopes: [["operator"], ["customer:read"]])
      }`);
    expect(() => readScopeCatalog(schema)).toThrow(/Query\.customers: "customer:read"/);
    expect(() => readScopeCatalog(schema)).not.toThrow(/Query\.fine/);
  });

  it('checks types, interfaces and arguments too', () => {
    const schema = buildSdl(`${HEADER}
      interface Thing @requiresScopes(scopes: [["things:read"]]) { id: ID }
      type Customer implements Thing @requiresScopes(scopes: [["customers:reed"]]) { id: ID }
      type Query {
        customers(search: String @requiresScopes(scopes: [["customers:PII"]])): [Customer]
      }`);
    let message = '';
    try {
      readScopeCatalog(schema);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('Thing: "things:read"');
    expect(message).toContain('Customer: "customers:reed"');
    expect(message).toContain('Query.customers(search): "customers:PII"');
  });

  it('throws when the schema has no Scope enum', () => {
    expect(() => readScopeCatalog(buildSdl('type Query { a: String }'))).toThrow(/enum Scope/);
  });
});

describe('directiveScopes', () => {
  it('reads the alternatives of a @requiresScopes among AST directives', () => {
    const schema = buildSdl(`${HEADER}
      type Query {
        a(x: Int @requiresScopes(scopes: [["customers:read", "customers:pii"], ["operator"]])): String
        b(x: Int): String
      }`);
    const fields = schema.getQueryType()!.getFields();
    expect(directiveScopes(fields.a!.args[0]!.astNode?.directives)).toEqual([
      ['customers:read', 'customers:pii'],
      ['operator'],
    ]);
    expect(directiveScopes(fields.b!.args[0]!.astNode?.directives)).toBeUndefined();
    expect(directiveScopes(undefined)).toBeUndefined();
  });
});

describe('missingScopes', () => {
  const held = new Set(['customers:read', 'bookings:read']);

  it('is undefined when nothing is required', () => {
    expect(missingScopes(undefined, held)).toBeUndefined();
    expect(missingScopes([], held)).toBeUndefined();
  });

  it('is undefined when one alternative is met in full', () => {
    expect(missingScopes([['customers:read']], held)).toBeUndefined();
    expect(missingScopes([['operator'], ['customers:read', 'bookings:read']], held)).toBeUndefined();
    expect(missingScopes([['operator', 'refunds:write'], ['bookings:read']], held)).toBeUndefined();
  });

  it('names the smallest set of missing scopes among the alternatives', () => {
    expect(missingScopes([['customers:pii']], held)).toEqual(['customers:pii']);
    expect(missingScopes([['customers:read', 'customers:pii']], held)).toEqual(['customers:pii']);
    expect(
      missingScopes(
        [
          ['operator', 'refunds:write'],
          ['customers:read', 'orders:read'],
        ],
        held,
      ),
    ).toEqual(['orders:read']);
    expect(missingScopes([['orders:read', 'refunds:write'], ['operator']], new Set())).toEqual(['operator']);
    // A tie: the first alternative's.
    expect(missingScopes([['orders:read'], ['operator']], held)).toEqual(['orders:read']);
  });

  it('holding a scope of a different alternative does not count towards another', () => {
    expect(
      missingScopes(
        [
          ['customers:read', 'customers:pii'],
          ['bookings:read', 'bookings:write'],
        ],
        held,
      ),
    ).toEqual(['customers:pii']);
  });
});
