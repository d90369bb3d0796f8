import { GraphQLError } from 'graphql';
import { maskError as yogaMaskError } from 'graphql-yoga';
import { SourceError } from '../domain/errors.ts';

/** The `extensions.code` values clients can rely on. */
export type ErrorCode =
  | 'BAD_USER_INPUT'
  /** A vendor failed; `extensions.source` names it and `extensions.retryable` says whether to try again. */
  | 'SOURCE_ERROR'
  | 'NOT_FOUND'
  | 'INTERNAL_SERVER_ERROR';

export function badInput(message: string, argument?: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: 'BAD_USER_INPUT', ...(argument ? { argument } : {}) },
  });
}

/** A vendor failure as a field error: which source, what kind of failure, whether a retry may help. */
export function sourceFailure(error: SourceError): GraphQLError {
  return new GraphQLError(error.message, {
    originalError: error,
    extensions: {
      code: 'SOURCE_ERROR',
      source: error.source,
      sourceCode: error.code,
      retryable: error.retryable,
      ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
    },
  });
}

interface GraphQLErrorLike extends Error {
  originalError?: unknown;
  nodes?: GraphQLError['nodes'];
  path?: GraphQLError['path'];
}

/**
 * By name, not `instanceof`: the executor and this module can hold different copies of graphql's
 * GraphQLError class (CommonJS and ESM builds), and `instanceof` fails across them.
 */
const isGraphQLError = (value: unknown): value is GraphQLErrorLike =>
  value instanceof Error && value.name === 'GraphQLError';

/**
 * graphql-yoga's maskError hook: vendor failures become SOURCE_ERROR field errors; everything else
 * goes through yoga's own masking (errors made on purpose pass, unexpected ones become
 * INTERNAL_SERVER_ERROR without details outside development).
 */
export function maskError(error: unknown, message: string, isDev?: boolean): Error {
  const located = isGraphQLError(error) ? error : undefined;
  const original = located?.originalError ?? error;
  if (original instanceof SourceError) {
    return new GraphQLError(original.message, {
      nodes: located?.nodes,
      path: located?.path,
      extensions: sourceFailure(original).extensions,
    });
  }
  return yogaMaskError(error, message, isDev);
}
