import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createYoga, isAsyncIterable, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import { GraphQLError, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { WebSocketServer, type WebSocket } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import type { Hub } from './hub.ts';
import { buildSchema } from './graph/schema.ts';
import { refreshSourceMetrics, sourceStatuses } from './observability/source-status.ts';
import { createContext, isSubscription, type GraphContext } from './graph/context.ts';
import { maskError } from './graph/errors.ts';
import { CUSTOMER_360_QUERY } from './graph/example-queries.ts';
import { createCachedAnswers } from './graph/cached-responses.ts';
import { createEarlyAnswers } from './graph/early-answers.ts';
import { useSharedSubscriptions } from './graph/fan-out.ts';
import type { Security } from './security/index.ts';
import { callers, redactForCaller } from './security/plugins.ts';
import { refusalHeaders, type Caller } from './security/requests.ts';
import type { Refusal } from './security/authenticate.ts';
import { consoleAssets } from './console/serve.ts';
import { depositReturnPage } from './deposits/return-page.ts';
import type { ConsoleSignIn } from './console/sign-in.ts';
import type { WebsiteExample } from './website/serve.ts';
import type { Tracer } from '@opentelemetry/api';
import { traceHttpRequest, useRequestSpan } from './observability/spans.ts';

export interface ServerOptions {
  /** Authentication, scopes, limits, audit: every route but /healthz and the webhooks goes through it. */
  security: Security;
  /** The schema (built once by the caller, which also reads its scopes); built here when absent. */
  schema?: GraphQLSchema;
  /** Show error details (never stacks) in GraphQL errors. Default: NODE_ENV === 'development'. */
  development?: boolean;
  /** Largest request body accepted, streamed or not (also the largest WebSocket message). */
  maxBodyBytes?: number;
  /** Headers GraphiQL starts with; sandbox mode puts the development key here. */
  graphiqlHeaders?: Record<string, string>;
  /** `POST /webhooks/<source>`; absent when the hub takes no webhooks (tests of the read graph). */
  webhooks?: (req: IncomingMessage, res: ServerResponse, source: string) => Promise<void>;
  /** A span per GraphQL request and webhook delivery (src/observability/spans.ts); absent when tracing is off. */
  tracer?: Tracer;
  /** `GET /oauth/callback/<source>`: a vendor's consent page sends the browser back here (no key: the state is the credential). */
  oauthCallback?: (req: IncomingMessage, res: ServerResponse, source: string) => Promise<void>;
  /** `/console/login…`: the console's sign-in through the business's identity provider (src/console/sign-in.ts). */
  consoleSignIn?: ConsoleSignIn;
  /** `/website/`: the example booking page with its own publishable key; sandbox mode only (src/website/serve.ts). */
  website?: WebsiteExample;
}

export interface SwitchboardServer {
  yoga: YogaServerInstance<Record<string, never>, GraphContext>;
  /** The node:http handler for every route: /graphql, /healthz, /readyz, /metrics. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** /readyz with details and /metrics without a credential, for a separate operations listener. */
  handleOps(req: IncomingMessage, res: ServerResponse): void;
  server: Server;
  /** Stops the WebSocket side (graphql-ws) and its connections. */
  closeSockets(): Promise<void>;
}

/**
 * Yoga's log arguments as pino fields. An error (yoga logs the errors it masks) goes under `err`,
 * never as text: a GraphQL error's text prints the query with its literals (a searched email).
 */
const details = (args: unknown[]) => {
  const err = args.find((a) => a instanceof Error);
  const rest = args.slice(1).filter((a) => a !== err);
  return { ...(err ? { err } : {}), ...(rest.length > 0 ? { details: rest } : {}) };
};
const messageOf = (args: unknown[]) => {
  const first = args[0];
  return first instanceof Error ? `${first.name}: ${first.message}` : String(first);
};

const headersOf = (req: IncomingMessage) => {
  const headers = new Headers();
  for (const [key, value] of Object.entries(req.headers)) {
    if (typeof value === 'string') headers.set(key, value);
    else if (Array.isArray(value)) headers.set(key, value.join(', '));
  }
  return headers;
};

/** Browsers send these cross-site without a preflight; a GraphQL request never needs them. */
const SIMPLE_CONTENT_TYPES = /^\s*(application\/x-www-form-urlencoded|multipart\/form-data|text\/plain)/i;

export function createSwitchboardServer(hub: Hub, options: ServerOptions): SwitchboardServer {
  const {
    security,
    development = process.env.NODE_ENV === 'development',
    maxBodyBytes = 1_048_576, // 1 MiB
  } = options;
  const schema = options.schema ?? buildSchema();
  const answers = createCachedAnswers(hub.responses);
  const operatorConsole = consoleAssets(hub.logger);
  let graphiqlPage: Promise<string> | undefined;
  const yoga = createYoga<Record<string, never>, GraphContext>({
    schema,
    graphqlEndpoint: '/graphql',
    // GraphQL over SSE comes with yoga: a subscription POSTed with `Accept: text/event-stream`.
    // graphql-ws passes its caller in; HTTP and SSE requests were authenticated by the plugins.
    context: (initial) => {
      const socketCaller = (initial as { caller?: Caller }).caller;
      return createContext(hub, initial.request, {
        subscription: isSubscription(initial.params),
        caller: socketCaller ?? callers.get(initial.request),
        security,
        revocable: !socketCaller,
      });
    },
    maskedErrors: { maskError, isDev: development },
    // Shared subscriptions last: every subscriber's own checks run before it joins a shared one.
    // The request span's operation type first: a response-cache hit stops the onExecute hooks after it.
    plugins: [
      ...(options.tracer ? [useRequestSpan()] : []),
      ...security.plugins([answers.plugin]),
      useSourceNotices(),
      useSharedSubscriptions(),
    ],
    cors: (request) => security.cors(request) as never,
    // Counted as the body streams in, so a chunked body without Content-Length is capped too.
    maxRequestBodySize: maxBodyBytes,
    multipart: false,
    // GraphiQL from the package's own bundle (scripts, styles and editor workers inlined), never from a
    // CDN: it works offline. The 9 MB page is loaded and written once, on the first visit, so a hub
    // that never shows it never pays for it (the import alone takes about half a second).
    renderGraphiQL: (graphiql) =>
      (graphiqlPage ??= import('@graphql-yoga/render-graphiql').then((m) => m.renderGraphiQL(graphiql))),
    graphiql: {
      title: 'Switchboard',
      defaultQuery: CUSTOMER_360_QUERY,
      headers: JSON.stringify(options.graphiqlHeaders ?? { Authorization: 'Bearer <your key>' }, null, 2),
    },
    landingPage: false,
    // Yoga logs a message and then objects (errors, requests): keep them structured, not "[object Object]".
    logging: {
      debug: (...args) => hub.logger.debug(details(args), messageOf(args)),
      info: (...args) => hub.logger.info(details(args), messageOf(args)),
      warn: (...args) => hub.logger.warn(details(args), messageOf(args)),
      error: (...args) => hub.logger.error(details(args), messageOf(args)),
    },
  });

  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      ...headers,
    });
    res.end(text);
  };
  const refuse = (res: ServerResponse, refusal: Refusal) =>
    json(
      res,
      refusal.status,
      { error: refusal.message, code: refusal.code, reason: refusal.reason },
      refusalHeaders(refusal),
    );

  // Repeated queries from scripts and back ends are answered before yoga; the rest go on to it.
  const answerEarly = createEarlyAnswers({
    answers,
    security,
    handOn: (req, res, context) => void yoga.handle(req, res, context as Record<string, never>),
    failed: (error, res) => {
      hub.logger.error({ err: error }, 'answering a request from the response cache failed');
      if (!res.headersSent) json(res, 503, { error: 'The hub could not answer just now; try again.' });
      else res.destroy();
    },
  });

  /** The caller, when it holds `operator`; otherwise answers 401/403 itself and returns undefined. */
  const operator = async (req: IncomingMessage, res: ServerResponse, action: string) => {
    const result = await security.guard.check({
      headers: headersOf(req),
      url: req.url ?? '/',
      address: security.addressOf(req),
      action,
    });
    if (!result.ok) return void refuse(res, result.refusal);
    if (!result.caller.principal.scopes.has('operator')) {
      security.audit.refused({
        workspace: result.caller.workspace.id,
        actor: result.caller.principal.actor,
        action,
        outcome: 'FORBIDDEN',
        address: result.caller.address,
        origin: result.caller.origin,
        reason: 'MISSING_SCOPE',
        detail: { missingScopes: ['operator'] },
      });
      return void refuse(res, {
        status: 403,
        code: 'FORBIDDEN',
        reason: 'MISSING_SCOPE',
        message: `${action} needs the \`operator\` scope, which this credential does not have.`,
      });
    }
    return result.caller;
  };

  const readiness = async () => {
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
      return {
        status: 200,
        body: {
          status: degraded ? 'degraded' : 'ready',
          store: { ok: true, dialect: hub.store.dialect },
          sources,
        },
      };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return { status: 503, body: { status: 'not ready', store: { ok: false, error: reason }, sources } };
    }
  };
  const metrics = async (res: ServerResponse) => {
    const counts = await hub.engine.store.counts();
    hub.metrics.operationsPending.set(counts.pending);
    hub.metrics.failedDeliveries.set(counts.failedDeliveries);
    if (hub.outbound) {
      const outbound = await hub.outbound.store.deliveries.counts();
      hub.metrics.outboundPending.set(outbound.pending);
      hub.metrics.outboundFailed.set(outbound.failed);
    }
    await refreshSourceMetrics(hub);
    const text = await hub.metrics.registry.metrics();
    res.writeHead(200, { 'content-type': hub.metrics.registry.contentType });
    res.end(text);
  };

  type Route = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;
  const routes: Record<string, Route> = {
    '/healthz': (_, res) => json(res, 200, { status: 'ok' }),
    '/deposit/return': depositReturnPage,
    // Load balancers see only the status; the details (vendors, errors) are for operators.
    '/readyz': async (req, res) => {
      const ready = await readiness();
      if (!req.headers.authorization) return json(res, ready.status, { status: ready.body.status });
      if (await operator(req, res, 'readyz')) json(res, ready.status, ready.body);
    },
    '/metrics': async (req, res) => {
      if (await operator(req, res, 'metrics')) await metrics(res);
    },
  };
  const opsRoutes: Record<string, Route> = {
    '/healthz': routes['/healthz']!,
    '/readyz': async (_, res) => {
      const ready = await readiness();
      json(res, ready.status, ready.body);
    },
    '/metrics': (_, res) => metrics(res),
  };

  const serve = (table: Record<string, Route>, req: IncomingMessage, res: ServerResponse, path: string) => {
    const route = table[path];
    if (!route) {
      json(res, 404, { error: `No route ${path}. Try /graphql, /console, /healthz, /readyz or /metrics.` });
      return;
    }
    Promise.resolve(route(req, res)).catch((error: unknown) => {
      hub.logger.error({ err: error, path }, 'route failed');
      if (!res.headersSent) json(res, 503, { error: 'The hub could not answer just now; try again.' });
    });
  };

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const { tracer } = options;
    if (tracer && (path === '/graphql' || (path.startsWith('/webhooks/') && options.webhooks))) {
      traceHttpRequest(tracer, req, res, path, () => route(req, res, path));
    } else route(req, res, path);
  };

  const route = (req: IncomingMessage, res: ServerResponse, path: string) => {
    // Webhooks first: the intake caps, counts and answers oversized deliveries the vendor's way.
    if (path.startsWith('/webhooks/') && options.webhooks) {
      options.webhooks(req, res, path.slice('/webhooks/'.length)).catch((error: unknown) => {
        hub.logger.error({ err: error, path }, 'webhook intake failed');
        if (!res.headersSent) json(res, 503, { error: 'The webhook could not be taken; deliver it again.' });
      });
      return;
    }
    if (path.startsWith('/oauth/callback/') && options.oauthCallback) {
      options.oauthCallback(req, res, path.slice('/oauth/callback/'.length)).catch((error: unknown) => {
        hub.logger.error({ err: error, path }, 'consent callback failed');
        if (!res.headersSent)
          json(res, 503, { error: 'The hub could not finish the connection; try Connect again.' });
      });
      return;
    }
    if (path === '/graphql') {
      if (req.method === 'POST' && SIMPLE_CONTENT_TYPES.test(req.headers['content-type'] ?? '')) {
        req.resume();
        security.audit.refused({
          workspace: null,
          actor: 'anonymous',
          action: 'request',
          outcome: 'REJECTED',
          address: security.addressOf(req),
          origin: req.headers.origin ?? null,
          reason: 'CROSS_SITE_CONTENT_TYPE',
        });
        json(res, 415, {
          errors: [
            {
              message:
                'Send GraphQL requests as JSON (`Content-Type: application/json`). Form posts, multipart and text/plain bodies are refused: browsers send them from other sites without asking.',
              extensions: { code: 'UNSUPPORTED_MEDIA_TYPE' },
            },
          ],
        });
        return;
      }
      if (!answerEarly(req, res)) void yoga.handle(req, res);
      return;
    }
    if (path.startsWith('/console/login') && options.consoleSignIn?.handle(req, res, path)) return;
    if (operatorConsole.handle(req, res, path)) return;
    if (options.website?.handle(req, res, path)) return;
    serve(routes, req, res, path);
  };

  const server = createServer({ maxHeaderSize: 16_384 }, handle);
  // Node answers malformed requests itself; with this listener it is the hub that answers, so an
  // oversized header is counted in the audit log like every other refusal.
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    if (socket.writable) {
      socket.end(
        tooLarge
          ? 'HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'
          : 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
      );
    } else socket.destroy();
    if (error.code === 'ECONNRESET') return;
    security.audit.refused({
      workspace: null,
      actor: 'anonymous',
      action: 'request',
      outcome: 'REJECTED',
      address: (socket as { remoteAddress?: string }).remoteAddress ?? null,
      reason: tooLarge ? 'HEADERS_TOO_LARGE' : 'MALFORMED_REQUEST',
    });
  });
  // graphql-ws on the same /graphql path, through the same plugins (scopes, limits, audit) as HTTP.
  const sockets = new WebSocketServer({
    server,
    path: '/graphql',
    maxPayload: maxBodyBytes,
    verifyClient: (info, done) => {
      security.sockets.verifyClient(info).then(
        (verdict) => (verdict.ok ? done(true) : done(false, verdict.status, verdict.message)),
        () => done(false, 503, 'The hub could not check the connection; try again.'),
      );
    },
  });
  sockets.on('connection', (socket, req) => {
    security.sockets.opened(socket, req);
    socket.once('close', () => security.sockets.closed(socket));
  });
  const mask = (result: ExecutionResult, caller: Caller | undefined): ExecutionResult =>
    redactForCaller(
      result.errors
        ? {
            ...result,
            errors: result.errors.map((e) => maskError(e, 'Unexpected error.', development) as GraphQLError),
          }
        : result,
      caller,
    );
  type Extra = { socket: WebSocket; request: IncomingMessage; caller?: Caller };
  /** The request's own execute and subscribe (from yoga's envelop), carried to graphql-ws as the root value. */
  type EnvelopedRoots = Pick<ReturnType<typeof yoga.getEnveloped>, 'execute' | 'subscribe'>;
  const graphqlWs = useServer<Record<string, unknown>, Extra>(
    {
      onConnect: async (ctx) => {
        const caller = await security.sockets.connect(
          ctx.extra.socket,
          ctx.extra.request,
          ctx.connectionParams,
        );
        if (!caller) return false;
        ctx.extra.caller = caller;
        return true;
      },
      onSubscribe: async (ctx, _id, payload) => {
        const refusal = await security.sockets.subscribe(ctx.extra.socket);
        if (refusal) return [new GraphQLError(refusal.message, { extensions: { code: refusal.code } })];
        // graphql-ws calls onComplete only for operations that started: one refused here gives its
        // place under the subscription cap back, or a few bad documents would use the cap up.
        const refused = (errors: readonly GraphQLError[]) => {
          security.sockets.unsubscribed(ctx.extra.socket);
          return [...errors];
        };
        const caller = ctx.extra.caller;
        if (!security.trustedDocument(payload.query, caller)) {
          return refused([
            new GraphQLError('This hub runs only registered operations; this document is not registered.', {
              extensions: { code: 'PERSISTED_QUERY_ONLY' },
            }),
          ]);
        }
        const request = new Request('http://switchboard.local/graphql', {
          headers: headersOf(ctx.extra.request),
        });
        const enveloped = yoga.getEnveloped({ request, caller, params: payload });
        let document;
        try {
          document = enveloped.parse(payload.query);
        } catch (error) {
          return refused([error instanceof GraphQLError ? error : new GraphQLError(String(error))]);
        }
        let errors: readonly GraphQLError[];
        try {
          errors = enveloped.validate(enveloped.schema, document);
        } catch (error) {
          // GraphQL Armor's depth, alias and directive limits throw from validation instead of
          // reporting; uncaught, graphql-ws would close the whole connection with 4500.
          errors = [error instanceof GraphQLError ? error : new GraphQLError(String(error))];
        }
        if (errors.length > 0) return refused(errors);
        return {
          schema: enveloped.schema,
          operationName: payload.operationName,
          document,
          variableValues: payload.variables,
          contextValue: await enveloped.contextFactory(),
          rootValue: { execute: enveloped.execute, subscribe: enveloped.subscribe },
        };
      },
      execute: (args) => (args.rootValue as EnvelopedRoots).execute(args),
      subscribe: (args) => (args.rootValue as EnvelopedRoots).subscribe(args),
      onNext: (ctx, _id, _payload, _args, result) => mask(result as ExecutionResult, ctx.extra.caller),
      onError: (ctx, _id, _payload, errors) => mask({ errors }, ctx.extra.caller).errors as GraphQLError[],
      onComplete: (ctx) => security.sockets.unsubscribed(ctx.extra.socket),
    },
    sockets,
  );
  return {
    yoga,
    handle,
    handleOps: (req, res) => serve(opsRoutes, req, res, (req.url ?? '/').split('?')[0] ?? '/'),
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
