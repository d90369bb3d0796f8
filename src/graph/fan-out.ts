import type { ExecutionResult } from 'graphql';
import { GraphQLError } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { requestKeys } from '../cache/response-cache.ts';
import { createFreshness } from './freshness.ts';
import { createLoaders } from './loaders.ts';
import type { GraphContext } from './context.ts';

/** How many results a subscriber may fall behind before it is closed with a reason. */
export const SUBSCRIBER_BUFFER = 1_000;

/**
 * Fan-out once per selection: subscribers of the same (workspace, scopes, document, variables) share
 * one subscription. Each event is resolved and executed once for all of them, and the same result
 * object goes to each (graphql-ws and SSE then write it in each subscriber's frame; SSE writes the
 * JSON once, see `JSON_TEXT`), instead of every subscriber re-running its selection.
 *
 * The shared subscription runs on a context of its own (the first subscriber's workspace and scopes,
 * its own signal and loaders), which ends when its last subscriber leaves. Each subscriber keeps its
 * own end (its socket, its request, a revoked key) and its own bounded buffer: one that falls
 * `buffer` results behind gets a last result saying so (`SUBSCRIBER_TOO_SLOW`) and is closed, while
 * the others carry on.
 *
 * It must be the last plugin: the scope and cost checks (extended validation) run for each
 * subscriber before it, and whatever runs after it would not see the subscribers it answers.
 */
export function useSharedSubscriptions({ buffer = SUBSCRIBER_BUFFER } = {}): Plugin {
  const keyOf = requestKeys();
  const groups = new Map<string, Group>();

  type Member = MemberStream;
  interface Group {
    members: Set<Member>;
    /** The shared source, or the error result it answered with. */
    ready: Promise<AsyncIterator<ExecutionResult> | ExecutionResult>;
    leave(member: Member): void;
  }

  const start = (
    key: string,
    subscribe: (context: GraphContext) => Promise<AsyncIterable<ExecutionResult> | ExecutionResult>,
    ctx: GraphContext,
  ): Group => {
    const controller = new AbortController();
    const shared: GraphContext = {
      ...ctx,
      signal: controller.signal,
      freshness: createFreshness(),
      loaders: createLoaders(ctx.hub, ctx.workspace, controller.signal, { memoize: false }),
    };
    const members = new Set<Member>();
    let source: AsyncIterator<ExecutionResult> | undefined;
    const stop = () => {
      if (groups.get(key) === group) groups.delete(key);
      controller.abort();
      void source?.return?.();
    };
    const group: Group = {
      members,
      ready: subscribe(shared).then(
        (answer) => {
          if (!isAsyncIterable(answer)) {
            // Refused (a bad argument): each subscriber hears it; nothing is shared.
            if (groups.get(key) === group) groups.delete(key);
            return answer;
          }
          source = answer[Symbol.asyncIterator]();
          const iterator = source;
          void (async () => {
            try {
              for (;;) {
                const next = await iterator.next();
                if (next.done) break;
                // One result object for every subscriber; SSE writes its JSON once for all of them.
                let text: string | undefined;
                const result: ExecutionResult & { stringify(r: unknown): string } = {
                  ...next.value,
                  stringify: (r) => (r === result ? (text ??= JSON.stringify(r)) : JSON.stringify(r)),
                };
                for (const member of members) member.push(result);
              }
              for (const member of [...members]) member.end();
            } catch (error) {
              for (const member of [...members]) member.end(error);
            } finally {
              stop();
            }
          })();
          return iterator;
        },
        (error: unknown) => {
          // A subscribe that threw: its subscribers hear it, and the next one starts afresh.
          if (groups.get(key) === group) groups.delete(key);
          throw error;
        },
      ),
      leave(member) {
        members.delete(member);
        if (members.size === 0) stop();
      },
    };
    return group;
  };

  return {
    async onSubscribe({ args, subscribeFn, setResultAndStopExecution }) {
      const ctx = args.contextValue as unknown as GraphContext;
      if (!ctx?.workspace || !ctx.caller) return;
      const key = keyOf({
        workspace: ctx.workspace.id,
        scopes: ctx.caller.principal.scopes,
        document: args.document,
        operationName: args.operationName,
        variables: args.variableValues,
      });
      let group = groups.get(key);
      if (!group) {
        const created = start(
          key,
          async (contextValue) =>
            (await subscribeFn({ ...args, contextValue })) as
              AsyncIterable<ExecutionResult> | ExecutionResult,
          ctx,
        );
        groups.set(key, created);
        group = created;
      }
      const joined = group;
      const member = new MemberStream(buffer, ctx, () => joined.leave(member));
      // In the group before the source starts, so it misses no event from then on.
      joined.members.add(member);
      let answer: AsyncIterator<ExecutionResult> | ExecutionResult;
      try {
        answer = await joined.ready;
      } catch (error) {
        void member.return();
        throw error;
      }
      if (!('next' in answer)) {
        void member.return();
        setResultAndStopExecution(answer);
        return;
      }
      setResultAndStopExecution(member);
    },
  };
}

/**
 * One subscriber's results: a bounded queue it reads at its own pace, ended by its own signal (its
 * request, its socket, a revoked key), by `return()` (the client completed), or by the group.
 */
export class MemberStream implements AsyncIterableIterator<ExecutionResult> {
  private readonly queue: ExecutionResult[] = [];
  private waiting: ((next: IteratorResult<ExecutionResult>) => void) | undefined;
  private failWaiting: ((error: unknown) => void) | undefined;
  /** No more results will be queued (the last may still be read). */
  private closing = false;
  private error: unknown;
  private left = false;
  private readonly onAbort = () => void this.return();

  constructor(
    private readonly buffer: number,
    private readonly ctx: GraphContext,
    private readonly leaveGroup: () => void,
  ) {
    ctx.hub.metrics.subscriptionsActive.inc();
    if (ctx.signal.aborted) void this.return();
    else ctx.signal.addEventListener('abort', this.onAbort, { once: true });
  }

  push(result: ExecutionResult) {
    if (this.closing) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.clearWaiting();
      resolve({ value: result, done: false });
      return;
    }
    if (this.queue.length >= this.buffer) {
      // Dropping events silently would leave the subscriber wrong without knowing it.
      this.queue.push({
        errors: [
          new GraphQLError(
            `This subscriber fell ${this.buffer} events behind and was closed; read faster, or subscribe again (and query what changed meanwhile).`,
            { extensions: { code: 'SUBSCRIBER_TOO_SLOW' } },
          ),
        ],
      });
      this.closing = true;
      this.leave();
      return;
    }
    this.queue.push(result);
  }

  /** The shared subscription ended (or failed): what is queued is still read, then this ends. */
  end(error?: unknown) {
    this.closing = true;
    this.error = error;
    if (this.queue.length === 0 && this.waiting) this.settleWaiting();
  }

  next(): Promise<IteratorResult<ExecutionResult>> {
    const value = this.queue.shift();
    if (value) return Promise.resolve({ value, done: false });
    if (this.closing) {
      this.leave();
      return this.error !== undefined
        ? Promise.reject(this.error)
        : Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => {
      this.waiting = resolve;
      this.failWaiting = reject;
    });
  }

  return(): Promise<IteratorResult<ExecutionResult>> {
    this.closing = true;
    this.error = undefined;
    this.queue.length = 0;
    if (this.waiting) this.settleWaiting();
    this.leave();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  private settleWaiting() {
    const resolve = this.waiting!;
    const reject = this.failWaiting!;
    this.clearWaiting();
    if (this.error !== undefined) reject(this.error);
    else resolve({ value: undefined, done: true });
  }

  private clearWaiting() {
    this.waiting = undefined;
    this.failWaiting = undefined;
  }

  private leave() {
    if (this.left) return;
    this.left = true;
    this.ctx.signal.removeEventListener('abort', this.onAbort);
    this.ctx.hub.metrics.subscriptionsActive.dec();
    this.leaveGroup();
  }
}
