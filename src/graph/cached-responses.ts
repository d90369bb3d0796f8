import { getOperationAST, type ExecutionResult } from 'graphql';
import { isAsyncIterable, type GraphQLParams, type Plugin } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';
import {
  cacheableOperation,
  scopeList,
  type CachedResponse,
  type ResponseCache,
} from '../cache/response-cache.ts';
import { JSON_TEXT } from '../security/limits.ts';
import { callers } from '../security/plugins.ts';
import type { Caller } from '../security/requests.ts';
import type { GraphContext } from './context.ts';

const SEP = '\u001f';

/**
 * Serves queries from the response cache and stores what they answer.
 *
 * Entries are keyed at execution by the printed document (`ResponseCache.key`). This plugin sits
 * after authentication, rate limits and the document limits, and before the per-request scope and
 * cost pass (`Security.plugins`): an entry is keyed by the scopes, document and variables that pass
 * was over, and only answers without errors are stored, so a hit has passed it already.
 *
 * A request whose exact text, variables, workspace and scopes were answered from an entry before is
 * served as soon as its parameters are read (yoga's `onParams`, as yoga's own response cache does):
 * no parsing, validation, context or execution. The same text passed the same document limits, and
 * the entry is looked up again, so an invalidated one is never served this way either. Plain requests
 * of that kind are answered earlier still, at the HTTP layer (`lookup`, used by `early-answers.ts`).
 *
 * A hit says so in `extensions.responseCache` (`{ hit: true, ageMs }`), and its JSON is the one
 * written when the entry was stored, not written again per request.
 */
export interface CachedAnswers {
  readonly enabled: boolean;
  /** The yoga plugin: answers and stores queries (see above). */
  plugin: Plugin;
  /**
   * The entry for a request as sent (exact text, variables, operation), for this caller, when the
   * same request was answered from it before (no parsing, no execution); counts no miss.
   */
  lookup(params: GraphQLParams, caller: Caller): CachedResponse | undefined;
  /** The `extensions` a hit adds to its stored answer. */
  hitExtensions(hit: CachedResponse): { responseCache: { hit: true; ageMs: number } };
}

/** The yoga plugin alone (tests that assemble a server by hand). */
export function useResponseCache(cache: ResponseCache): Plugin {
  return createCachedAnswers(cache).plugin;
}

export function createCachedAnswers(cache: ResponseCache): CachedAnswers {
  /** The request as sent (text, variables, operation, workspace, scopes) → its entry's key. */
  const byText = new LRUCache<string, string>({ max: 20_000 });
  const textKey = (params: GraphQLParams, caller: Caller) =>
    [
      caller.workspace.id,
      scopeList(caller.principal.scopes),
      params.operationName ?? '',
      params.query,
      JSON.stringify(params.variables ?? null),
    ].join(SEP);

  const hitExtensions = (hit: CachedResponse) => ({
    responseCache: { hit: true as const, ageMs: Date.now() - hit.storedAt },
  });
  const lookup = (params: GraphQLParams, caller: Caller) => {
    if (!cache.enabled || typeof params.query !== 'string') return undefined;
    const key = byText.get(textKey(params, caller));
    // A miss here is counted when execution looks again.
    return key === undefined ? undefined : cache.get(key, false);
  };

  const answer = (hit: CachedResponse): ExecutionResult & { [JSON_TEXT]?: string } => {
    const { responseCache } = hitExtensions(hit);
    const result: ExecutionResult & { [JSON_TEXT]?: string } = {
      ...hit.result,
      extensions: { ...hit.result.extensions, responseCache },
    };
    // Stored answers carry no extensions of their own (those with source notices are not stored),
    // so the JSON written when it was stored is the answer's text with this one field added.
    if (!hit.result.extensions) {
      result[JSON_TEXT] = `${hit.json.slice(0, -1)},"extensions":${JSON.stringify({ responseCache })}}`;
    }
    return result;
  };

  const plugin: Plugin = {
    onParams({ params, request, setResult }) {
      const caller = callers.get(request);
      const hit = caller && lookup(params, caller);
      if (hit) setResult(answer(hit));
    },
    onExecute({ args, setResultAndStopExecution }) {
      const ctx = args.contextValue as unknown as GraphContext & { params?: GraphQLParams };
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
      const learn = () => {
        if (typeof ctx.params?.query === 'string') byText.set(textKey(ctx.params, ctx.caller), key);
      };
      const hit = cache.get(key);
      if (hit) {
        learn();
        setResultAndStopExecution(answer(hit));
        return;
      }
      return {
        onExecuteDone({ result }) {
          if (isAsyncIterable(result)) return;
          // Errors and answers from stale records (a vendor down) are for this caller, this once.
          const done = result as ExecutionResult;
          if (done.errors?.length || ctx.freshness.notices()) return;
          if (cache.store(key, reads, done)) learn();
        },
      };
    },
  };
  return { enabled: cache.enabled, plugin, lookup, hitExtensions };
}
