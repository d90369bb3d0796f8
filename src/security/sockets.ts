import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { ApiKeyRepository } from './keys.ts';
import type { AuditLog } from './audit.ts';
import type { CallerLimits } from './rate-limit.ts';
import type { Caller, RequestGuard } from './requests.ts';

/** graphql-ws close codes the hub uses, with the reason text clients see. */
export const CLOSE = {
  /** No credential, or one that is not valid. */
  unauthorized: 4401,
  /**
   * The credential may not connect (origin, workspace), is revoked (at connect or while connected;
   * a client must not retry with it), or expired while connected.
   */
  forbidden: 4403,
  /** Over the caller's connection cap or rate limit. */
  tooMany: 4429,
} as const;

export interface SocketLimits {
  /** Open connections per credential, on each replica. */
  maxConnectionsPerCredential: number;
  /** Live subscriptions per connection. */
  maxSubscriptionsPerConnection: number;
  /** Connections per address that have not authenticated yet (they close after 3 s anyway). */
  maxPendingPerAddress: number;
  /** How often open connections' keys are checked again (revocation reaches every replica within it). */
  recheckMs: number;
}

export const DEFAULT_SOCKET_LIMITS: SocketLimits = {
  maxConnectionsPerCredential: 50,
  maxSubscriptionsPerConnection: 25,
  maxPendingPerAddress: 20,
  recheckMs: 2_000, // 2 seconds
};

interface LiveStream {
  caller: Caller;
  end(why: string): void;
}

interface OpenConnection {
  socket: WebSocket;
  caller?: Caller;
  subscriptions: number;
}

export interface SocketGuard {
  /** For ws's `verifyClient`: the Origin allow-list and the per-address cap on pending connections. */
  verifyClient(info: {
    origin: string;
    req: IncomingMessage;
  }): Promise<{ ok: true } | { ok: false; status: number; message: string }>;
  /** Tracks a new socket (after the upgrade). */
  opened(socket: WebSocket, request: IncomingMessage): void;
  /**
   * Checks `connection_init`'s `{ authorization }`. On refusal the socket is closed with 4401, 4403
   * or 4429 and a reason, and false is returned (graphql-ws then sends nothing more).
   */
  connect(
    socket: WebSocket,
    request: IncomingMessage,
    params: Record<string, unknown> | undefined,
  ): Promise<Caller | false>;
  /**
   * Before each subscribe: the credential still valid, under the subscription cap and the caller's
   * rate limit. Why not (a code and a message for the subscription's error), or undefined.
   */
  subscribe(socket: WebSocket): Promise<{ code: string; message: string } | undefined>;
  unsubscribed(socket: WebSocket): void;
  closed(socket: WebSocket): void;
  /** Ends the subscriptions of a key revoked on this replica at once (others notice on their recheck). */
  revoked(keyId: string): void;
  /**
   * Watches an SSE subscription like a socket: `end` is called when its key is revoked or expires,
   * or its token expires. Returns the function that stops watching (call it when the stream ends).
   */
  trackStream(caller: Caller, end: (why: string) => void): () => void;
  stop(): void;
}

export function createSocketGuard(options: {
  guard: RequestGuard;
  keys: ApiKeyRepository;
  audit: AuditLog;
  logger: Logger;
  limits: SocketLimits;
  /** Callers' rate limits: each subscribe counts as a request. */
  callerLimits: CallerLimits;
  /** Whether a browser page on this origin may open a socket (same rule as CORS). */
  originAllowed(origin: string, host: string | undefined): Promise<boolean>;
  /** The caller's address (the proxy's client, behind a trusted proxy). */
  addressOf(request: IncomingMessage): string;
}): SocketGuard {
  const { guard, keys, logger, limits } = options;
  const open = new Map<WebSocket, OpenConnection>();
  const pendingByAddress = new Map<string, number>();
  const byCredential = new Map<string, Set<WebSocket>>();
  const addressOf = new Map<WebSocket, string>();

  const release = (socket: WebSocket) => {
    const address = addressOf.get(socket);
    const connection = open.get(socket);
    if (address !== undefined && !connection?.caller) {
      const left = (pendingByAddress.get(address) ?? 1) - 1;
      if (left > 0) pendingByAddress.set(address, left);
      else pendingByAddress.delete(address);
    }
    addressOf.delete(socket);
  };

  const close = (socket: WebSocket, code: number, reason: string) => {
    // A close reason is at most 123 bytes of UTF-8: cut whole characters, never half of one.
    let text = reason;
    while (Buffer.byteLength(text) > 123) text = text.slice(0, -1);
    socket.close(code, text);
  };

  /** SSE subscriptions, which have no socket to close: each one's way to end its stream. */
  const streams = new Set<LiveStream>();
  /** Every live subscription's credential, with how to end it. */
  function* live(): Generator<LiveStream> {
    for (const connection of open.values()) {
      if (connection.caller) {
        yield {
          caller: connection.caller,
          end: (why) => close(connection.socket, CLOSE.forbidden, `Forbidden: ${why}`),
        };
      }
    }
    yield* streams;
  }

  /** Ends what runs on a key revoked or expired, or a token expired. */
  const recheck = async () => {
    const now = Date.now();
    const ids = new Set<string>();
    for (const { caller, end } of live()) {
      if (caller.principal.expiresAt && caller.principal.expiresAt.getTime() <= now)
        end('the credential expired');
      else if (caller.principal.keyId) ids.add(caller.principal.keyId);
    }
    if (ids.size === 0) return;
    const states = await keys.states([...ids]);
    for (const { caller, end } of live()) {
      const id = caller.principal.keyId;
      if (!id) continue;
      const state = states.get(id);
      if (!state || state.revokedAt) end('the key was revoked');
      else if (state.expiresAt && state.expiresAt.getTime() <= now) end('the key expired');
    }
  };
  let running = false;
  const timer = setInterval(() => {
    if (running || (open.size === 0 && streams.size === 0)) return;
    running = true;
    recheck()
      .catch((error: unknown) =>
        logger.warn({ err: error }, 'rechecking the credentials of live subscriptions failed'),
      )
      .finally(() => (running = false));
  }, limits.recheckMs);
  timer.unref();

  return {
    async verifyClient({ origin, req }) {
      if (origin && !(await options.originAllowed(origin, req.headers.host))) {
        return { ok: false, status: 403, message: 'This origin may not open a WebSocket to the hub' };
      }
      const address = options.addressOf(req);
      if ((pendingByAddress.get(address) ?? 0) >= limits.maxPendingPerAddress) {
        return {
          ok: false,
          status: 429,
          message: 'Too many connections waiting to authenticate from this address',
        };
      }
      return { ok: true };
    },
    opened(socket, request) {
      const address = options.addressOf(request);
      open.set(socket, { socket, subscriptions: 0 });
      addressOf.set(socket, address);
      pendingByAddress.set(address, (pendingByAddress.get(address) ?? 0) + 1);
    },
    async connect(socket, request, params) {
      const authorization = typeof params?.authorization === 'string' ? params.authorization : null;
      const headers = new Headers();
      if (authorization) headers.set('authorization', authorization);
      for (const name of ['origin', 'x-switchboard-workspace'] as const) {
        const value = request.headers[name];
        if (typeof value === 'string') headers.set(name, value);
      }
      if (typeof params?.workspace === 'string') headers.set('x-switchboard-workspace', params.workspace);
      const address = addressOf.get(socket) ?? options.addressOf(request);
      const result = await guard.check({
        headers,
        url: request.url ?? '/graphql',
        address,
        action: 'websocket',
      });
      if (!result.ok) {
        const { refusal } = result;
        const code =
          refusal.status === 401 && refusal.reason !== 'KEY_REVOKED'
            ? CLOSE.unauthorized
            : refusal.status === 429
              ? CLOSE.tooMany
              : CLOSE.forbidden;
        close(
          socket,
          code,
          `${code === CLOSE.unauthorized ? 'Unauthorized' : code === CLOSE.tooMany ? 'Too many' : 'Forbidden'}: ${refusal.message}`,
        );
        return false;
      }
      const caller = result.caller;
      const actor = caller.principal.actor;
      const mine = byCredential.get(actor) ?? new Set<WebSocket>();
      if (mine.size >= limits.maxConnectionsPerCredential) {
        options.audit.refused({
          workspace: caller.workspace.id,
          actor,
          action: 'websocket',
          outcome: 'RATE_LIMITED',
          address,
          origin: caller.origin,
          reason: 'TOO_MANY_CONNECTIONS',
        });
        close(
          socket,
          CLOSE.tooMany,
          `Too many: this credential may hold ${limits.maxConnectionsPerCredential} connections at once`,
        );
        return false;
      }
      release(socket);
      mine.add(socket);
      byCredential.set(actor, mine);
      const connection = open.get(socket);
      if (connection) connection.caller = caller;
      return caller;
    },
    async subscribe(socket) {
      const connection = open.get(socket);
      const caller = connection?.caller;
      if (!connection || !caller)
        return { code: 'UNAUTHENTICATED', message: 'The connection is not authenticated.' };
      const { principal } = caller;
      if (principal.expiresAt && principal.expiresAt.getTime() <= Date.now()) {
        close(socket, CLOSE.forbidden, 'Forbidden: the credential expired');
        return { code: 'UNAUTHENTICATED', message: 'The credential expired.' };
      }
      if (principal.keyId) {
        const state = (await keys.states([principal.keyId])).get(principal.keyId);
        if (!state || state.revokedAt) {
          close(socket, CLOSE.forbidden, 'Forbidden: the key was revoked');
          return { code: 'UNAUTHENTICATED', message: 'The key was revoked.' };
        }
      }
      if (connection.subscriptions >= limits.maxSubscriptionsPerConnection) {
        return {
          code: 'TOO_MANY_SUBSCRIPTIONS',
          message: `A connection may hold ${limits.maxSubscriptionsPerConnection} subscriptions at once; complete one or open another connection.`,
        };
      }
      const limited = await options.callerLimits.take(principal, caller.address);
      if (limited) return { code: limited.code, message: limited.message };
      connection.subscriptions++;
      return undefined;
    },
    unsubscribed(socket) {
      const connection = open.get(socket);
      if (connection && connection.subscriptions > 0) connection.subscriptions--;
    },
    closed(socket) {
      const connection = open.get(socket);
      release(socket);
      open.delete(socket);
      const actor = connection?.caller?.principal.actor;
      if (actor) {
        const mine = byCredential.get(actor);
        mine?.delete(socket);
        if (mine?.size === 0) byCredential.delete(actor);
      }
    },
    revoked(keyId) {
      for (const { caller, end } of live()) if (caller.principal.keyId === keyId) end('the key was revoked');
    },
    trackStream(caller, end) {
      const stream = { caller, end };
      streams.add(stream);
      return () => void streams.delete(stream);
    },
    stop: () => clearInterval(timer),
  };
}
