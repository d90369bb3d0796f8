import type { Plugin } from '@envelop/core';
import { useDisableIntrospection } from '@envelop/disable-introspection';
import { blockFieldSuggestionsPlugin } from '@escape.tech/graphql-armor-block-field-suggestions';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { GraphQLError, getNamedType, isLeafType, type ValidationContext } from 'graphql';
import { createComplexityRule, type ComplexityEstimator } from 'graphql-query-complexity';

/** What one GraphQL document may ask for. Every limit is checked before anything runs. */
export interface QueryLimits {
  /** Nesting of selections (the customer-360 page is 6 deep). */
  maxDepth: number;
  /** Aliased fields in a document. */
  maxAliases: number;
  /** Lexical tokens in a document (the parser stops counting past it). */
  maxTokens: number;
  /** Directives in a document. */
  maxDirectives: number;
  /** Cost: 1 per object, a connection's `first` (or `nodes`' ids) multiplying its children. */
  maxCost: number;
  /** Characters in a JSON response; a larger one is replaced by a RESPONSE_TOO_LARGE error. */
  maxResponseChars: number;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = {
  maxDepth: 12,
  maxAliases: 15,
  maxTokens: 2_000,
  maxDirectives: 10,
  // The 1,000-customer page with 10 bookings, orders and invoices each costs about 110,000.
  maxCost: 250_000,
  maxResponseChars: 16 * 1024 * 1024, // 16 Mi characters
};

/**
 * A field's cost: 1 for an object (0 for a scalar), plus its children's cost times the number of
 * items it may return: `first` for a connection, the number of ids for `nodes`. Defaults count, so
 * `customers { … }` costs as much as `customers(first: 20) { … }`.
 */
export const costEstimator: ComplexityEstimator = ({ field, args, childComplexity }) => {
  const own = isLeafType(getNamedType(field.type)) ? 0 : 1;
  const first: unknown = args.first;
  const ids: unknown = args.ids;
  const items = typeof first === 'number' ? first : Array.isArray(ids) ? ids.length : 1;
  return own + Math.max(1, items) * childComplexity;
};

const limitError = (code: string, message: string) =>
  new GraphQLError(message, { extensions: { code, http: { status: 400 } } });

/**
 * The cost rule, for `useExtendedValidation` (it needs the request's variables, so it runs just
 * before execution rather than in the cached validation).
 */
export function costRule(maxCost: number) {
  return (
    context: ValidationContext,
    args: { variableValues?: Record<string, unknown> | null; operationName?: string | null },
  ) =>
    createComplexityRule({
      maximumComplexity: maxCost,
      variables: args.variableValues ?? {},
      operationName: args.operationName ?? undefined,
      estimators: [costEstimator],
      createError: (max, actual) =>
        limitError(
          'QUERY_TOO_COSTLY',
          `The query costs ${actual}; the limit is ${max}. Each object costs 1 and a connection's \`first\` multiplies what it holds: ask for fewer items or fewer nested lists.`,
        ),
    })(context);
}

/**
 * GraphQL Armor's document limits, introspection (off unless allowed) and "did you mean" suggestions
 * (hidden unless introspection is allowed). Each is envelop-level, so it applies to HTTP, SSE and
 * graphql-ws alike.
 */
export function documentLimitPlugins(
  limits: QueryLimits,
  { introspection }: { introspection: boolean },
): Plugin[] {
  const reject = (code: string) => [
    (_: unknown, error: GraphQLError) => {
      // Armor's errors carry no code; clients and the audit log want one.
      Object.assign(error.extensions, { code, http: { status: 400 } });
    },
  ];
  const plugins: Plugin[] = [
    maxDepthPlugin({ n: limits.maxDepth, flattenFragments: true, onReject: reject('QUERY_TOO_DEEP') }),
    // Armor lets `__typename` aliases through by default; 40,000 of them still cost a response each.
    maxAliasesPlugin({ n: limits.maxAliases, allowList: [], onReject: reject('TOO_MANY_ALIASES') }),
    maxTokensPlugin({ n: limits.maxTokens, onReject: reject('TOO_MANY_TOKENS') }),
    maxDirectivesPlugin({ n: limits.maxDirectives, onReject: reject('TOO_MANY_DIRECTIVES') }),
  ];
  if (!introspection) plugins.push(useDisableIntrospection(), blockFieldSuggestionsPlugin());
  return plugins;
}

/**
 * A result's JSON, already written (a response cache hit): served as it is instead of serialising
 * the same data again. Symbol-keyed, so it is never itself serialised.
 */
export const JSON_TEXT = Symbol('switchboard.jsonText');

/**
 * Replaces a response over `maxChars` with an error, measuring the JSON the server writes anyway
 * (yoga serialises with a result's own `stringify`), so nothing is serialised twice.
 */
export function oversizeGuard(maxChars: number) {
  return (result: Record<string | symbol, unknown>): string => {
    const ready = result[JSON_TEXT];
    const text = typeof ready === 'string' ? ready : JSON.stringify(result);
    if (text.length <= maxChars) return text;
    return JSON.stringify({
      errors: [
        {
          message: `The response would be ${(text.length / 1_048_576).toFixed(1)} Mi characters; the limit is ${(maxChars / 1_048_576).toFixed(1)} Mi. Ask for fewer items (\`first\`) or fewer fields.`,
          extensions: { code: 'RESPONSE_TOO_LARGE' },
        },
      ],
    });
  };
}
