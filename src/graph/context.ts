import { setMaxListeners } from 'node:events';
import { GraphQLError, getOperationAST, parse } from 'graphql';
import type { Hub, Workspace } from '../hub.ts';
import { createLoaders, type Loaders } from './loaders.ts';
import { createFreshness, type Freshness } from './freshness.ts';
import { withDeadline } from '../upstream/work.ts';

/** Per-request state: the workspace, fresh loaders, and one clock reading for the whole request. */
export interface GraphContext {
  hub: Hub;
  workspace: Workspace;
  loaders: Loaders;
  now: Date;
  /** The HTTP request (headers such as `Idempotency-Key`). */
  request: Request;
  /** Aborts when the client goes away or the request's deadline passes; bounds every upstream call. */
  signal: AbortSignal;
  /** Which sources answered from stale cache or not at all (`extensions.sources`). */
  freshness: Freshness;
}

/** Header that picks the workspace when the hub serves more than one. */
export const WORKSPACE_HEADER = 'x-switchboard-workspace';

export function resolveWorkspace(hub: Hub, request: Request): Workspace {
  const wanted = request.headers.get(WORKSPACE_HEADER);
  if (!wanted) return hub.defaultWorkspace;
  const workspace = hub.workspaces.get(wanted);
  if (!workspace) {
    throw new GraphQLError(
      `Unknown workspace "${wanted.slice(0, 100)}" in the ${WORKSPACE_HEADER} header; this hub serves: ${[
        ...hub.workspaces.keys(),
      ].join(', ')}`,
      { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } },
    );
  }
  return workspace;
}

export function createContext(hub: Hub, request: Request, { subscription = false } = {}): GraphContext {
  const workspace = resolveWorkspace(hub, request);
  // A subscription lives as long as its stream; each event's reads are bounded by the vendor timeouts.
  const signal = subscription ? request.signal : withDeadline(request.signal, hub.requestDeadlineMs);
  // Every upstream call of the request listens on its signal; a wide query makes hundreds.
  setMaxListeners(0, signal);
  const freshness = createFreshness();
  return {
    hub,
    workspace,
    loaders: createLoaders(hub, workspace, signal, { memoize: !subscription, freshness }),
    now: new Date(),
    request,
    signal,
    freshness,
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
