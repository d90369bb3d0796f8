import { GraphQLError } from 'graphql';
import { maskError as yogaMaskError } from 'graphql-yoga';
import { SourceError } from '../domain/errors.ts';
import { failureReason } from './freshness.ts';

/** The `extensions.code` values clients can rely on. */
export type ErrorCode =
  | 'BAD_USER_INPUT'
  /** A vendor failed; `extensions.source` names it and `extensions.retryable` says whether to try again. */
  | 'SOURCE_ERROR'
  | 'NOT_FOUND'
  /** `createBooking`: the time is no longer free in the calendar; ask `availability` again. */
  | 'SLOT_TAKEN'
  /** `createBooking`: another booking of the workspace held the booking lock too long; retry. */
  | 'SLOT_BUSY'
  | 'INTERNAL_SERVER_ERROR';

export function badInput(message: string, argument?: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: 'BAD_USER_INPUT', ...(argument ? { argument } : {}) },
  });
}

/**
 * A vendor failure as a field error: which source, what kind of failure, whether a retry may help.
 * The vendor's own words (which can quote request details) go in `extensions.vendor`, which only
 * operators receive (src/security/plugins.ts removes it for everyone else).
 */
export function sourceFailure(error: SourceError): GraphQLError {
  return new GraphQLError(publicSourceMessage(error), {
    originalError: error,
    extensions: sourceExtensions(error),
  });
}

/** What any caller may read about a vendor failure: the source, the code, whether to retry. */
export function publicSourceMessage(error: SourceError): string {
  const reason = failureReason(error);
  if (reason === 'CIRCUIT_OPEN') {
    return `${error.source} keeps failing, so the hub has stopped calling it for a few seconds (circuit open); a retry later may help.`;
  }
  if (reason === 'RATE_BUDGET') {
    return `The hub held the call back to keep under ${error.source}'s rate limit; retry after ${error.retryAfterMs ?? 1000} ms.`;
  }
  return `${error.source} could not answer (${error.code}); ${error.retryable ? 'a retry may help' : 'retrying will not help'}.`;
}

function sourceExtensions(error: SourceError): Record<string, unknown> {
  return {
    code: 'SOURCE_ERROR',
    source: error.source,
    sourceCode: error.code,
    // The hub's own refusals by name (RATE_BUDGET, CIRCUIT_OPEN), otherwise the code.
    reason: failureReason(error),
    retryable: error.retryable,
    ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
    vendor: {
      message: error.message,
      ...(error.vendorCode !== undefined ? { vendorCode: error.vendorCode } : {}),
      ...(error.status !== undefined ? { status: error.status } : {}),
      ...(error.operation !== undefined ? { operation: error.operation } : {}),
    },
  };
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
    return new GraphQLError(publicSourceMessage(original), {
      nodes: located?.nodes,
      path: located?.path,
      extensions: sourceExtensions(original),
    });
  }
  return yogaMaskError(error, message, isDev);
}
