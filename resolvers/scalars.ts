import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import type { Resolvers } from '../src/graph/resolvers-types.generated.ts';
import { formatMoney } from './shared.ts';

const parseDate = (value: unknown): Date => {
  if (
    typeof value !== 'string' ||
    !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value)
  ) {
    throw new GraphQLError(
      `DateTime must be an ISO-8601 date and time with an offset, e.g. "2026-11-23T09:30:00Z"; got ${JSON.stringify(value)}`,
      { extensions: { code: 'BAD_USER_INPUT' } },
    );
  }
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) {
    throw new GraphQLError(`DateTime ${JSON.stringify(value)} is not a real date`, {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  }
  return date;
};

export const scalarResolvers: Resolvers = {
  DateTime: new GraphQLScalarType({
    name: 'DateTime',
    description: 'An ISO-8601 date and time with offset, e.g. `2026-11-23T09:30:00.000Z`.',
    serialize: (value) => {
      const date = value instanceof Date ? value : new Date(value as string);
      if (Number.isNaN(date.getTime()))
        throw new TypeError(`cannot serialise ${String(value)} as a DateTime`);
      return date.toISOString();
    },
    parseValue: parseDate,
    parseLiteral: (ast) => parseDate(ast.kind === Kind.STRING ? ast.value : undefined),
  }),
  JSON: new GraphQLScalarType({
    name: 'JSON',
    description: 'Any JSON value.',
    serialize: (v) => v,
    parseValue: (v) => v,
  }),
  Money: {
    formatted: (money) => formatMoney(money),
  },
};
