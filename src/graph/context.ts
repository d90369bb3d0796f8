import { setMaxListeners } from 'node:events';
import { GraphQLError, getOperationAST, parse } from 'graphql';
import type { Hub, Workspace } from '../hub.ts';
import type { Caller } from '../security/requests.ts';
import type { Security } from '../security/index.ts';
import { createLoaders, type Loaders } from './loaders.ts';
import { createFreshness, type Freshness } from './freshness.ts';
import { withDeadline } from '../upstream/work.ts';
import type { ResponseReads } from '../cache/response-cache.ts';

/** Per-request state: the workspace, fresh loaders, and one clock reading for the whole request. */
export interface GraphContext {
  hub: Hub;
  /** Who is calling: the credential's scopes, the workspace it picked, its address. */
  caller: Caller;
  /** Keys, audit log and the rest of the hub's security (key management resolvers use it). */
  security: Security;
  workspace: Workspace;
  loaders: Loaders;
  now: Date;
  /** The HTTP request (headers such as `Idempotency-Key`). */
  request: Request;
  /** Aborts when the client goes away or the request's deadline passes; bounds every upstream call. */
  signal: AbortSignal;
  /** Which sources answered from stale cache or not at all (`extensions.sources`). */
  freshness: Freshness;
  /** A subscription's context: it lives for many events, so nothing read may be kept on it. */
  longLived?: boolean;
  /** What the request read, for the response cache; absent for subscriptions and with the cache off. */
  reads?: ResponseReads;
  /** What each mutation acted on, for the audit log (an operation id, a key id), in order, by mutation name. */
  auditTargets?: Map<string, string[]>;
}

export function createContext(
  hub: Hub,
  request: Request,
  {
    subscription = false,
    caller,
    security,
    revocable = false,
  }: {
    subscription?: boolean;
    caller: Caller | undefined;
    security: Security;
    /** An SSE subscription: its stream ends when its key is revoked (a socket is closed instead). */
    revocable?: boolean;
  },
): GraphContext {
  // The request guard (src/security) answers unauthenticated requests before any context is built.
  if (!caller) {
    throw new GraphQLError('The request is not authenticated.', {
      extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
    });
  }
  const workspace = caller.workspace;
  // A subscription lives as long as its stream; each event's reads are bounded by the vendor timeouts.
  let signal = subscription ? request.signal : withDeadline(request.signal, hub.requestDeadlineMs);
  if (subscription && revocable) {
    const revoked = new AbortController();
    const untrack = security.sockets.trackStream(caller, (why) => revoked.abort(new Error(why)));
    signal = AbortSignal.any([request.signal, revoked.signal]);
    signal.addEventListener('abort', untrack, { once: true });
  }
  // Every upstream call of the request listens on its signal; a wide query makes hundreds.
  setMaxListeners(0, signal);
  const freshness = createFreshness();
  const reads = subscription ? undefined : hub.responses.begin(workspace.id);
  return {
    hub,
    caller,
    security,
    workspace,
    loaders: createLoaders(hub, workspace, signal, { memoize: !subscription, freshness, reads }),
    now: new Date(),
    request,
    signal,
    freshness,
    reads,
    longLived: subscription,
  };
}

/** Whether a GraphQL request is a subscription (its context lives as long as the stream). */
export function isSubscription(
  params: { query?: string; operationName?: string | null } | undefined,
): boolean {
  const query = params?.query;
  if (!query || !query.includes('subscription')) return false;
  try {
    return getOperationAST(parse(query), params?.operationName ?? undefined)?.operation === 'subscription';
  } catch {
    return false;
  }
}
