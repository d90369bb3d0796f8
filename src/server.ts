import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createYoga, isAsyncIterable, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { GraphQLError, type ExecutionResult } from 'graphql';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import type { Hub } from './hub.ts';
import { buildSchema } from './graph/schema.ts';
import { refreshSourceMetrics, sourceStatuses } from './observability/source-status.ts';
import { createContext, isSubscription, type GraphContext } from './graph/context.ts';
import { maskError } from './graph/errors.ts';
import { CUSTOMER_360_QUERY } from './graph/example-queries.ts';

export interface ServerOptions {
  /** Show error details (never stacks) in GraphQL errors. Default: NODE_ENV === 'development'. */
  development?: boolean;
  /** Largest request body accepted. */
  maxBodyBytes?: number;
  /** `POST /webhooks/<source>`; absent when the hub takes no webhooks (tests of the read graph). */
  webhooks?: (req: IncomingMessage, res: ServerResponse, source: string) => Promise<void>;
}

export interface SwitchboardServer {
  yoga: YogaServerInstance<Record<string, never>, GraphContext>;
  /** The node:http handler for every route: /graphql, /healthz, /readyz, /metrics. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  server: Server;
  /** Stops the WebSocket side (graphql-ws) and its connections. */
  closeSockets(): Promise<void>;
}

/** Yoga's extra log arguments as pino fields; an Error goes under `err` so pino serialises it. */
const details = (args: unknown[]) => {
  const rest = args.slice(1);
  const err = rest.find((a) => a instanceof Error);
  return {
    ...(err ? { err } : {}),
    ...(rest.length > (err ? 1 : 0) ? { details: rest.filter((a) => a !== err) } : {}),
  };
};

export function createSwitchboardServer(hub: Hub, options: ServerOptions = {}): SwitchboardServer {
  const {
    development = process.env.NODE_ENV === 'development',
    maxBodyBytes = 1_048_576, // 1 MiB
  } = options;
  const schema = buildSchema();
  const yoga = createYoga<Record<string, never>, GraphContext>({
    schema,
    graphqlEndpoint: '/graphql',
    // GraphQL over SSE comes with yoga: a subscription POSTed with `Accept: text/event-stream`.
    context: ({ request, params }) => createContext(hub, request, { subscription: isSubscription(params) }),
    maskedErrors: { maskError, isDev: development },
    plugins: [useSourceNotices()],
    graphiql: { title: 'Switchboard', defaultQuery: CUSTOMER_360_QUERY },
    landingPage: false,
    // Yoga logs a message and then objects (errors, requests): keep them structured, not "[object Object]".
    logging: {
      debug: (...args) => hub.logger.debug(details(args), String(args[0])),
      info: (...args) => hub.logger.info(details(args), String(args[0])),
      warn: (...args) => hub.logger.warn(details(args), String(args[0])),
      error: (...args) => hub.logger.error(details(args), String(args[0])),
    },
  });

  const json = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  };

  const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => Promise<void> | void> = {
    '/healthz': (_, res) => json(res, 200, { status: 'ok' }),
    '/readyz': async (_, res) => {
      // A vendor in trouble (breaker open, token refresh failing) is reported but does not take the
      // replica out of service: every replica shares it, and the hub still answers from cache.
      const sources = (await sourceStatuses(hub)).map((s) => ({
        workspace: s.workspace,
        source: s.source,
        healthy: s.healthy,
        state: s.state,
        breaker: s.breaker?.state ?? null,
        token: s.token ? { state: s.token.state, lastError: s.token.lastError } : null,
        lastError: s.lastError?.message ?? null,
      }));
      const degraded = sources.some((s) => !s.healthy);
      try {
        await hub.store.ping();
        json(res, 200, {
          status: degraded ? 'degraded' : 'ready',
          store: { ok: true, dialect: hub.store.dialect },
          sources,
        });
      } catch (error) {
        json(res, 503, {
          status: 'not ready',
          store: { ok: false, error: error instanceof Error ? error.message : String(error) },
          sources,
        });
      }
    },
    '/metrics': async (_, res) => {
      const counts = await hub.engine.store.counts();
      hub.metrics.operationsPending.set(counts.pending);
      hub.metrics.failedDeliveries.set(counts.failedDeliveries);
      await refreshSourceMetrics(hub);
      const text = await hub.metrics.registry.metrics();
      res.writeHead(200, { 'content-type': hub.metrics.registry.contentType });
      res.end(text);
    },
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    // Webhooks first: the intake caps, counts and answers oversized deliveries the vendor's way.
    if (path.startsWith('/webhooks/') && options.webhooks) {
      options.webhooks(req, res, path.slice('/webhooks/'.length)).catch((error: unknown) => {
        hub.logger.error({ err: error, path }, 'webhook intake failed');
        if (!res.headersSent) json(res, 503, { error: 'The webhook could not be taken; deliver it again.' });
      });
      return;
    }
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > maxBodyBytes) {
      json(res, 413, {
        errors: [{ message: `Request body is ${length} bytes; the limit is ${maxBodyBytes}.` }],
      });
      req.resume();
      return;
    }
    if (path === '/graphql') {
      void yoga.handle(req, res);
      return;
    }
    const route = routes[path];
    if (!route) {
      json(res, 404, { error: `No route ${path}. Try /graphql, /healthz, /readyz or /metrics.` });
      return;
    }
    Promise.resolve(route(req, res)).catch((error: unknown) => {
      hub.logger.error({ err: error, path }, 'route failed');
      if (!res.headersSent) json(res, 500, { error: 'internal error' });
    });
  };

  const server = createServer(handle);
  // graphql-ws on the same /graphql path; each subscription reads fresh through the shared cache.
  const sockets = new WebSocketServer({ server, path: '/graphql' });
  const mask = (result: ExecutionResult): ExecutionResult =>
    result.errors
      ? {
          ...result,
          errors: result.errors.map((e) => maskError(e, 'Unexpected error.', development) as GraphQLError),
        }
      : result;
  const graphqlWs = useServer(
    {
      schema,
      context: (ctx) => {
        const upgrade = ctx.extra.request;
        const headers = new Headers();
        for (const [key, value] of Object.entries(upgrade.headers)) {
          if (typeof value === 'string') headers.set(key, value);
        }
        return createContext(hub, new Request('http://switchboard.local/graphql', { headers }), {
          subscription: true,
        });
      },
      onNext: (_ctx, _id, _payload, _args, result) => mask(result as ExecutionResult),
      onError: (_ctx, _id, _payload, errors) =>
        errors.map((e) => maskError(e, 'Unexpected error.', development) as GraphQLError),
    },
    sockets,
  );
  return {
    yoga,
    handle,
    server,
    async closeSockets() {
      for (const client of sockets.clients) client.terminate();
      await graphqlWs.dispose();
      await new Promise<void>((resolve) => sockets.close(() => resolve()));
    },
  };
}

/**
 * Adds `extensions.sources` to a response whose data came (partly) from stale cache or lacks a
 * source's fields, so clients can show "as of 3 minutes ago" or "accounting is unavailable".
 */
function useSourceNotices(): Plugin<GraphContext> {
  return {
    onExecute: ({ args }) => ({
      onExecuteDone: ({ result, setResult }) => {
        if (isAsyncIterable(result)) return;
        const notices = (args.contextValue as Partial<GraphContext>).freshness?.notices();
        if (notices) setResult({ ...result, extensions: { ...result.extensions, sources: notices } });
      },
    }),
  };
}
