import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { compilePattern, type CompiledPattern } from './router.ts';
import { createFaultController, parseFaultRule, type FaultController } from './faults.ts';
import { createRequestLog, type RequestLog } from './request-log.ts';
import { createWebhookDispatcher, parseWebhookSettings, type WebhookDispatcher } from './webhooks.ts';

export interface SandboxRequest {
  method: string;
  url: URL;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  rawBody: Buffer;
  params: Record<string, string>;
  operation: string;
  /** Unique per request; vendors echo it in their own header (Stripe `Request-Id`, ...). */
  requestId: string;
  /** Parses the body as JSON or throws the vendor's 400 envelope. */
  json(): unknown;
}

export interface SandboxResponse {
  status: number;
  headers?: Record<string, string | number | string[]>;
  /** Objects are sent as JSON; strings and Buffers as they are; undefined sends no body. */
  body?: unknown;
}

export type Handler = (req: SandboxRequest) => SandboxResponse | Promise<SandboxResponse>;

export interface Route {
  method: string;
  /** `/v1/customers/:id`; `*rest` takes the rest of the path. */
  path: string;
  /** Stable name used by the request log and fault filters, e.g. `customers.retrieve`. */
  operation: string;
  handler: Handler;
}

/** Throw from a handler (or anything it calls) to answer with this response. */
export class ResponseError extends Error {
  constructor(readonly response: SandboxResponse) {
    super(`sandbox response ${response.status}`);
  }
}

export interface SandboxServerOptions {
  /** `stripe`, `hubspot`, `google_calendar`, `xero`: used in logs and the admin index. */
  name: string;
  routes: Route[];
  /** Extra admin routes; their paths must start with `/__sandbox/`. */
  adminRoutes?: Route[];
  /**
   * The vendor's error envelope, for every error the kit produces itself: unknown route (404),
   * wrong method (405), body too large (413), malformed JSON (400), injected fault statuses,
   * and a handler that threw (500). `retryAfterSeconds` is set for injected 429s.
   */
  errorResponse(
    status: number,
    message: string,
    req: SandboxRequest,
    extra?: { retryAfterSeconds?: number },
  ): SandboxResponse;
  /**
   * Wraps every vendor route call (not admin routes, not injected faults): authentication, rate
   * limits, concurrency limits, headers on every response. Call `next()` at most once.
   */
  middleware?: (req: SandboxRequest, next: () => Promise<SandboxResponse>) => Promise<SandboxResponse>;
  /** Reseeds the sandbox's data (`POST /__sandbox/reset`). Faults, logs and webhook settings are cleared too. */
  reset(): void | Promise<void>;
  /** Extra state shown by `GET /__sandbox/` (e.g. credentials to use, counts of records). */
  describe?(): Record<string, unknown>;
  maxBodyBytes?: number;
  webhooks?: WebhookDispatcher;
}

export interface RunningSandbox {
  name: string;
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:41234`. */
  url: string;
  port: number;
  server: Server;
  faults: FaultController;
  requests: RequestLog;
  webhooks: WebhookDispatcher;
  close(): Promise<void>;
}

interface CompiledRoute extends Route {
  pattern: CompiledPattern;
}

const compile = (routes: Route[]): CompiledRoute[] =>
  routes.map((r) => ({ ...r, method: r.method.toUpperCase(), pattern: compilePattern(r.path) }));

export async function startSandboxServer(
  options: SandboxServerOptions,
  listen: { port?: number; host?: string } = {},
): Promise<RunningSandbox> {
  const { port = 0, host = '127.0.0.1' } = listen;
  const maxBodyBytes = options.maxBodyBytes ?? 1_048_576; // 1 MiB
  const faults = createFaultController(`${options.name}:faults`);
  const requests = createRequestLog();
  const webhooks = options.webhooks ?? createWebhookDispatcher();
  const vendorRoutes = compile(options.routes);
  const adminRoutes = compile([...builtInAdminRoutes(), ...(options.adminRoutes ?? [])]);

  function builtInAdminRoutes(): Route[] {
    const json = (status: number, body: unknown): SandboxResponse => ({ status, body });
    return [
      {
        method: 'GET',
        path: '/__sandbox',
        operation: 'admin.describe',
        handler: () =>
          json(200, {
            sandbox: options.name,
            admin: [...adminRoutes.map((r) => `${r.method} ${r.path}`)],
            ...options.describe?.(),
          }),
      },
      {
        method: 'POST',
        path: '/__sandbox/reset',
        operation: 'admin.reset',
        handler: async () => {
          await options.reset();
          faults.clear();
          requests.clear();
          webhooks.clear();
          return json(200, { reset: true, ...options.describe?.() });
        },
      },
      {
        method: 'GET',
        path: '/__sandbox/faults',
        operation: 'admin.faults.list',
        handler: () => json(200, { faults: faults.list() }),
      },
      {
        method: 'POST',
        path: '/__sandbox/faults',
        operation: 'admin.faults.add',
        handler: (req) => {
          const input = req.json();
          const list = Array.isArray(input) ? input : [input];
          const parsed = list.map(parseFaultRule);
          const problem = parsed.find((p) => typeof p === 'string');
          if (typeof problem === 'string') return json(400, { error: problem });
          return json(201, {
            faults: parsed.map((rule) => faults.add(rule as Exclude<typeof rule, string>)),
          });
        },
      },
      {
        method: 'DELETE',
        path: '/__sandbox/faults',
        operation: 'admin.faults.clear',
        handler: () => {
          faults.clear();
          return json(200, { faults: [] });
        },
      },
      {
        method: 'DELETE',
        path: '/__sandbox/faults/:id',
        operation: 'admin.faults.remove',
        handler: (req) =>
          faults.remove(req.params.id ?? '')
            ? json(200, { removed: req.params.id })
            : json(404, { error: `no fault rule "${req.params.id}"` }),
      },
      {
        method: 'GET',
        path: '/__sandbox/requests',
        operation: 'admin.requests.list',
        handler: (req) => json(200, requests.summary(Number(req.query.get('limit') ?? 200))),
      },
      {
        method: 'DELETE',
        path: '/__sandbox/requests',
        operation: 'admin.requests.clear',
        handler: () => {
          requests.clear();
          return json(200, { total: 0 });
        },
      },
      {
        method: 'GET',
        path: '/__sandbox/webhooks',
        operation: 'admin.webhooks.list',
        handler: (req) =>
          json(200, {
            settings: webhooks.settings(),
            deliveries: webhooks.log(Number(req.query.get('limit') ?? 200)),
          }),
      },
      {
        method: 'POST',
        path: '/__sandbox/webhooks/settings',
        operation: 'admin.webhooks.configure',
        handler: (req) => {
          const patch = parseWebhookSettings(req.json());
          if (typeof patch === 'string') return json(400, { error: patch });
          return json(200, { settings: webhooks.configure(patch) });
        },
      },
      {
        method: 'POST',
        path: '/__sandbox/webhooks/flush',
        operation: 'admin.webhooks.flush',
        handler: () => json(200, { released: webhooks.flush() }),
      },
    ];
  }

  const find = (routes: CompiledRoute[], method: string, path: string) => {
    let pathMatched = false;
    for (const route of routes) {
      const params = route.pattern.match(path);
      if (!params) continue;
      pathMatched = true;
      if (route.method === method) return { route, params };
    }
    return { pathMatched };
  };

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      console.error(`[sandbox:${options.name}] unhandled error`, error);
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('sandbox internal error');
      } else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? `${host}:${port}`}`);
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname;
    const isAdmin = path === '/__sandbox' || path.startsWith('/__sandbox/');
    const match = find(isAdmin ? adminRoutes : vendorRoutes, method, path);
    const operation = 'route' in match && match.route ? match.route.operation : 'unknown';

    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBodyBytes) tooLarge = true;
      else chunks.push(chunk);
    }
    const rawBody = Buffer.concat(chunks);

    const sreq: SandboxRequest = {
      method,
      url,
      path,
      query: url.searchParams,
      headers: req.headers,
      rawBody,
      params: 'route' in match && match.route ? match.params : {},
      operation,
      requestId: randomUUID(),
      json() {
        if (rawBody.length === 0) return {};
        try {
          return JSON.parse(rawBody.toString('utf8')) as unknown;
        } catch (error) {
          const detail = error instanceof Error ? error.message : String(error);
          throw new ResponseError(
            isAdmin
              ? { status: 400, body: { error: `request body is not valid JSON: ${detail}` } }
              : options.errorResponse(400, `Invalid JSON in request body: ${detail}`, sreq),
          );
        }
      },
    };

    const finish = (response: SandboxResponse, extra: { faults?: string[] } = {}) => {
      send(res, response);
      if (!isAdmin) {
        requests.record({
          at: new Date().toISOString(),
          method,
          path,
          query: url.search,
          operation,
          status: response.status,
          durationMs: Math.round((performance.now() - started) * 100) / 100,
          ...extra,
        });
      }
    };

    const run = async (handler: Handler): Promise<SandboxResponse> => {
      try {
        return await handler(sreq);
      } catch (error) {
        if (error instanceof ResponseError) return error.response;
        console.error(`[sandbox:${options.name}] ${method} ${path} failed`, error);
        return isAdmin
          ? { status: 500, body: { error: String(error) } }
          : options.errorResponse(500, 'Internal error in the sandbox (a sandbox bug: see its log).', sreq);
      }
    };

    if (!('route' in match) || !match.route) {
      const status = match.pathMatched ? 405 : 404;
      const message = match.pathMatched
        ? `Method ${method} is not allowed on ${path}`
        : `Unknown path ${path}`;
      finish(isAdmin ? { status, body: { error: message } } : options.errorResponse(status, message, sreq));
      return;
    }
    if (tooLarge) {
      finish(
        isAdmin
          ? { status: 413, body: { error: 'body too large' } }
          : options.errorResponse(413, `Request body is larger than ${maxBodyBytes} bytes`, sreq),
      );
      return;
    }
    const route = match.route;
    if (isAdmin) {
      finish(await run(route.handler));
      return;
    }

    const decision = faults.decide({ method, path, operation });
    const inner = async () => {
      if (decision && decision.latencyMs > 0 && !decision.after) await sleep(decision.latencyMs);
      return run(route.handler);
    };
    const respond = () => (options.middleware ? run(() => options.middleware!(sreq, inner)) : inner());
    if (decision && (decision.drop || decision.status !== undefined)) {
      // "after" faults: the vendor does the work and the answer is lost on the way back.
      if (decision.after) await respond();
      if (decision.latencyMs > 0) await sleep(decision.latencyMs);
      if (decision.drop) {
        requests.record({
          at: new Date().toISOString(),
          method,
          path,
          query: url.search,
          operation,
          status: 0,
          durationMs: Math.round(performance.now() - started),
          faults: decision.ruleIds,
          dropped: true,
        });
        req.socket.destroy();
        return;
      }
      const status = decision.status as number;
      finish(
        options.errorResponse(
          status,
          status === 429
            ? 'Rate limit exceeded (injected by the sandbox).'
            : `Injected fault: HTTP ${status}.`,
          sreq,
          { retryAfterSeconds: decision.retryAfterSeconds },
        ),
        { faults: decision.ruleIds },
      );
      return;
    }
    finish(await respond(), decision ? { faults: decision.ruleIds } : {});
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
  return {
    name: options.name,
    url: base,
    port: address.port,
    server,
    faults,
    requests,
    webhooks,
    close: async () => {
      webhooks.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function send(res: ServerResponse, response: SandboxResponse): void {
  if (res.destroyed) return;
  const headers: Record<string, string | number | string[]> = { ...response.headers };
  const has = (name: string) => Object.keys(headers).some((k) => k.toLowerCase() === name);
  let payload: string | Buffer | undefined;
  if (response.body === undefined || response.body === null) payload = undefined;
  else if (Buffer.isBuffer(response.body)) payload = response.body;
  else if (typeof response.body === 'string') payload = response.body;
  else {
    payload = JSON.stringify(response.body);
    if (!has('content-type')) headers['Content-Type'] = 'application/json; charset=utf-8';
  }
  if (payload !== undefined) headers['Content-Length'] = Buffer.byteLength(payload);
  res.writeHead(response.status, headers);
  res.end(payload);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
