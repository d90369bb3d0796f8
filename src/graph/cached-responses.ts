import { getOperationAST, type ExecutionResult } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { cacheableOperation, type ResponseCache } from '../cache/response-cache.ts';
import type { GraphContext } from './context.ts';

/**
 * Serves queries from the response cache and stores what they answer. It runs at execution, after
 * the request was authenticated, rate-limited and validated against the caller's scopes, so a hit
 * costs those checks and the serialisation, not the resolvers. A hit says so in
 * `extensions.responseCache` (`{ hit: true, ageMs }`).
 */
export function useResponseCache(cache: ResponseCache): Plugin<GraphContext> {
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const ctx = args.contextValue as GraphContext;
      const reads = ctx.reads;
      if (!cache.enabled || !reads) return;
      if (!cacheableOperation(getOperationAST(args.document, args.operationName))) {
        reads.untracked('an operation other than a query of customers, bookings, orders or invoices');
        return;
      }
      const key = cache.key({
        workspace: ctx.workspace.id,
        scopes: ctx.caller.principal.scopes,
        document: args.document,
        operationName: args.operationName,
        variables: args.variableValues,
      });
      const hit = cache.get(key);
      if (hit) {
        setResultAndStopExecution({
          ...hit.result,
          extensions: {
            ...hit.result.extensions,
            responseCache: { hit: true, ageMs: Date.now() - hit.storedAt },
          },
        });
        return;
      }
      return {
        onExecuteDone({ result }) {
          if (isAsyncIterable(result)) return;
          // Errors and answers from stale records (a vendor down) are for this caller, this once.
          const done = result as ExecutionResult;
          if (done.errors?.length || ctx.freshness.notices()) return;
          cache.store(key, reads, done);
        },
      };
    },
  };
}
