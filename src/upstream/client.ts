import { Pool, errors as undiciErrors } from 'undici';
import { createActivity, type Activity } from '../observability/activity.ts';
import { SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api';
import type { SourceName } from '../domain/model.ts';
import { SourceError } from '../domain/errors.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { UpstreamPolicy } from './policy.ts';
import type { BreakerSnapshot } from './breaker.ts';
import { RATE_BUDGET, type BudgetSnapshot, type BudgetTicket } from './rate-budget.ts';
import type { TokenStatus } from './oauth.ts';
import { priorityOf, timeLeft, type Priority } from './work.ts';

export type QueryValue = string | number | boolean | readonly string[] | undefined;

export interface UpstreamRequest {
  /** Stable name for metrics and logs, e.g. `contacts.batchRead`. */
  operation: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path below the base URL, starting with `/`. */
  path: string;
  /** Arrays become repeated keys (`a=1&a=2`). */
  query?: Record<string, QueryValue>;
  headers?: Record<string, string>;
  /** A string is sent as is (set its content-type); an object is sent as JSON. */
  body?: string | object;
  signal?: AbortSignal;
  timeoutMs?: number;
  /**
   * Safe to send twice. Default: GET, HEAD, PUT and DELETE, and any request with an
   * `Idempotency-Key` header; set it on POSTs that only read (HubSpot batch read and search).
   */
  idempotent?: boolean;
}

export interface UpstreamResponse<T = unknown> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON when the vendor sent JSON, the text otherwise, undefined when empty. */
  body: T;
}

export interface SourceHealth {
  source: SourceName;
  state: 'unknown' | 'ok' | 'failing';
  lastCallAt: Date | null;
  lastSuccessAt: Date | null;
  lastError: { code: string; message: string; at: Date } | null;
  consecutiveFailures: number;
}

/** Health plus the policy's state: what an operator looks at (the `sources` query, `/metrics`). */
export interface SourceStatus extends SourceHealth {
  baseUrl: string;
  breaker: BreakerSnapshot | null;
  budget: BudgetSnapshot | null;
  /** Null for a fixed credential (an API key, a private-app token). */
  token: TokenStatus | null;
}

export interface UpstreamClientOptions {
  source: SourceName;
  /** Origin plus an optional path prefix, e.g. `https://api.hubapi.com` or `http://127.0.0.1:12114`. */
  baseUrl: string;
  /** Headers for every request, resolved per request so rotating tokens are picked up. */
  headers?: () => Record<string, string> | Promise<Record<string, string>>;
  /** The vendor's mapping from an error response to a SourceError (one function per vendor). */
  toError(response: UpstreamResponse, operation: string): SourceError;
  timeoutMs?: number;
  /** Keep-alive connections in the vendor's pool. */
  connections?: number;
  metrics?: Metrics;
  /** Rate budget, circuit breaker, retries; none of them when absent. */
  policy?: UpstreamPolicy;
}

export interface UpstreamClient {
  readonly source: SourceName;
  readonly baseUrl: string;
  /** Sends the request; a response with status ≥ 400 is thrown as the vendor's SourceError. */
  request<T = unknown>(req: UpstreamRequest): Promise<UpstreamResponse<T>>;
  /** Health (last call, last success, last error) and the policy state: breaker, budget, token. */
  status(): Promise<SourceStatus>;
  /** The last hour, minute by minute: calls, failures, latency, webhooks (the console's charts). */
  readonly activity: Activity;
  close(): Promise<void>;
}

/** What every connector exposes besides its port: its client (health, base URL) and a way to close it. */
export interface Connected {
  readonly client: UpstreamClient;
  close(): Promise<void>;
}

export function encodeQuery(query: Record<string, QueryValue> | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) params.append(key, v);
    else params.append(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

export function createUpstreamClient(options: UpstreamClientOptions): UpstreamClient {
  const {
    source,
    baseUrl,
    timeoutMs = 10_000, // 10 seconds
    connections = 16,
    metrics,
  } = options;
  let parsed: URL;
  try {
    parsed = new URL(baseUrl);
  } catch {
    throw new Error(`${source}: base URL "${baseUrl}" is not a valid absolute URL`);
  }
  const prefix = parsed.pathname.replace(/\/+$/, '');
  const pool = new Pool(parsed.origin, { connections, keepAliveTimeout: 30_000 });
  const health: SourceHealth = {
    source,
    state: 'unknown',
    lastCallAt: null,
    lastSuccessAt: null,
    lastError: null,
    consecutiveFailures: 0,
  };

  const activity = createActivity();

  const fail = (error: SourceError): never => {
    health.state = 'failing';
    health.consecutiveFailures++;
    health.lastError = { code: error.code, message: error.message, at: new Date() };
    throw error;
  };

  return {
    source,
    baseUrl,
    activity,
    async request<T>(req: UpstreamRequest): Promise<UpstreamResponse<T>> {
      const tracer = options.policy?.tracer;
      if (!tracer) return send<T>(req);
      // Under the active span: the GraphQL request or webhook that caused the call, else a root.
      const span = tracer.startSpan(`${source} ${req.operation}`, {
        kind: SpanKind.CLIENT,
        attributes: {
          'http.request.method': req.method,
          'server.address': parsed.hostname,
          'server.port': Number(parsed.port) || (parsed.protocol === 'https:' ? 443 : 80),
          'url.path': pathForSpan(`${prefix}${req.path}`),
          'switchboard.system': source,
          'switchboard.vendor_operation': req.operation,
        },
      });
      try {
        const response = await send<T>(req, span);
        span.setAttribute('http.response.status_code', response.status);
        return response;
      } catch (error) {
        failedSpan(span, error);
        throw error;
      } finally {
        const breaker = options.policy?.breaker;
        if (breaker) span.setAttribute('switchboard.breaker', breaker.snapshot().state);
        span.end();
      }
    },
    async status() {
      const { breaker, budget, token } = options.policy ?? {};
      return {
        ...health,
        lastError: health.lastError && { ...health.lastError },
        baseUrl,
        breaker: breaker?.snapshot() ?? null,
        budget: (await budget?.snapshot()) ?? null,
        token: token?.() ?? null,
      };
    },
    close: () => pool.close(),
  };

  /** The call with its retries (safe calls only, within the retry budget), each retry an event on `span`. */
  async function send<T>(req: UpstreamRequest, span?: Span): Promise<UpstreamResponse<T>> {
    await options.policy?.admit?.();
    const retry = options.policy?.retry;
    retry?.budget.deposit();
    const safe =
      req.idempotent ??
      (['GET', 'HEAD', 'PUT', 'DELETE'].includes(req.method) ||
        Object.keys(req.headers ?? {}).some((h) => h.toLowerCase() === 'idempotency-key'));
    const priority = priorityOf(req.signal);
    for (let retries = 0; ; retries++) {
      try {
        return await attempt<T>(req, priority);
      } catch (error) {
        if (!retry || !safe || !(error instanceof SourceError) || !error.retryable) throw error;
        // The hub's own refusals (breaker open, budget spent) would refuse again at once, and so
        // would a breaker this failure has just opened (a failed probe, or the last straw).
        if (error.vendorCode === CIRCUIT_OPEN || error.vendorCode === RATE_BUDGET) throw error;
        const breaker = options.policy?.breaker;
        if (breaker && breaker.snapshot().state !== 'closed') throw error;
        const decision = retry.decide(retries, error.retryAfterMs, req.signal);
        if (!decision.retry || decision.delayMs >= timeLeft(req.signal)) throw error;
        metrics?.upstreamRetries.inc({ source, operation: req.operation });
        span?.setAttribute('http.request.resend_count', retries + 1);
        span?.addEvent('retry', {
          'switchboard.retry': retries + 1,
          'switchboard.retry_delay_ms': decision.delayMs,
          'error.type': error.code,
          ...(error.status ? { 'http.response.status_code': error.status } : {}),
        });
        await new Promise((resolve) => setTimeout(resolve, decision.delayMs));
      }
    }
  }

  /** One try through the breaker and the budget. */
  async function attempt<T>(req: UpstreamRequest, priority: Priority): Promise<UpstreamResponse<T>> {
    const { breaker, budget } = options.policy ?? {};
    const admission = breaker?.admit() ?? { allowed: true as const, probe: false };
    if (!admission.allowed) {
      metrics?.upstreamRejected.inc({ source, reason: 'circuit_open' });
      throw new SourceError(
        source,
        'UPSTREAM_ERROR',
        `${source} is failing, so Switchboard has stopped calling it for now (circuit open); it tries again in ${Math.ceil(admission.retryAfterMs / 1000)} s`,
        { operation: req.operation, vendorCode: CIRCUIT_OPEN, retryAfterMs: admission.retryAfterMs },
      );
    }
    let ticket: BudgetTicket | undefined;
    try {
      ticket = await budget?.acquire({ priority, signal: req.signal, operation: req.operation });
    } catch (error) {
      breaker?.abandon();
      if (error instanceof SourceError && error.vendorCode === RATE_BUDGET) {
        metrics?.upstreamRejected.inc({ source, reason: 'rate_budget' });
      }
      throw error;
    }
    try {
      const response = await sendOnce<T>(req);
      breaker?.success();
      return response;
    } catch (error) {
      if (error instanceof SourceError && error.status === 429) {
        // Nothing more goes out until the vendor's pause ends (a second when it names none).
        budget?.pause(error.retryAfterMs ?? 1_000);
      }
      const outcome = breakerOutcome(error, req.signal);
      if (outcome === 'failure') breaker?.failure(admission.probe);
      else if (outcome === 'success') breaker?.success();
      else breaker?.abandon();
      throw error;
    } finally {
      ticket?.release();
    }
  }

  async function sendOnce<T>(req: UpstreamRequest): Promise<UpstreamResponse<T>> {
    let credentials: Record<string, string> | undefined;
    try {
      credentials = await options.headers?.();
    } catch (error) {
      // A token refresh that failed: the connection is unhealthy even though the API was not called.
      return fail(
        error instanceof SourceError
          ? error
          : new SourceError(source, 'UNAUTHENTICATED', `${source}: no credentials (${String(error)})`, {
              operation: req.operation,
              cause: error,
            }),
      );
    }
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': 'switchboard/0.1',
      ...credentials,
      ...req.headers,
    };
    let body: string | undefined;
    if (typeof req.body === 'string') body = req.body;
    else if (req.body !== undefined) {
      body = JSON.stringify(req.body);
      headers['content-type'] ??= 'application/json';
    }
    const started = performance.now();
    health.lastCallAt = new Date();
    const timeout = req.timeoutMs ?? timeoutMs;
    let status = 0;
    try {
      const res = await pool.request({
        method: req.method,
        path: `${prefix}${req.path}${encodeQuery(req.query)}`,
        headers,
        body,
        signal: req.signal,
        headersTimeout: timeout,
        bodyTimeout: timeout,
      });
      status = res.statusCode;
      options.policy?.observe?.(res.headers);
      const text = await res.body.text();
      const contentType = String(res.headers['content-type'] ?? '');
      let parsedBody: unknown = text === '' ? undefined : text;
      if (text !== '' && contentType.includes('json')) {
        try {
          parsedBody = JSON.parse(text);
        } catch {
          if (status < 400) {
            fail(
              new SourceError(
                source,
                'UPSTREAM_ERROR',
                `${source} sent unreadable JSON for ${req.operation}`,
                {
                  status,
                  operation: req.operation,
                },
              ),
            );
          }
        }
      }
      const response: UpstreamResponse<T> = { status, headers: res.headers, body: parsedBody as T };
      if (status >= 400) fail(options.toError(response, req.operation));
      health.state = 'ok';
      health.consecutiveFailures = 0;
      health.lastSuccessAt = new Date();
      return response;
    } catch (error) {
      if (error instanceof SourceError) throw error;
      return fail(toTransportError(source, req.operation, error, req.signal));
    } finally {
      const elapsed = performance.now() - started;
      metrics?.upstreamRequests.inc({ source, operation: req.operation, status: String(status) });
      metrics?.upstreamDuration.observe({ source, operation: req.operation }, elapsed / 1000);
      activity.call(status, elapsed);
    }
  }
}

/** A path as a span may carry it: a segment holding an email address (a lookup by email) is masked. */
function pathForSpan(path: string): string {
  return path
    .split('/')
    .map((segment) => (/@|%40/i.test(segment) ? '[email]' : segment))
    .join('/');
}

/** A failed call on its span: the error's code (never its message, which may quote the vendor), and whether the hub refused it. */
function failedSpan(span: Span, error: unknown): void {
  const code = error instanceof SourceError ? error.code : 'INTERNAL';
  span.setAttribute('error.type', code);
  if (error instanceof SourceError) {
    if (error.status) span.setAttribute('http.response.status_code', error.status);
    if (error.vendorCode === CIRCUIT_OPEN) span.setAttribute('switchboard.rejected', 'circuit_open');
    else if (error.vendorCode === RATE_BUDGET) span.setAttribute('switchboard.rejected', 'rate_budget');
  }
  span.setStatus({ code: SpanStatusCode.ERROR, message: code });
}

/** `vendorCode` of the hub's own refusals, so retries and stale-if-error can tell them apart. */
export const CIRCUIT_OPEN = 'CIRCUIT_OPEN';
export { RATE_BUDGET };

/**
 * What a failed call says about the vendor's health: 5xx, timeouts and dropped connections count
 * against it; an answer (a 4xx) shows it is up; a 429 or the caller's own deadline say nothing.
 */
function breakerOutcome(error: unknown, signal?: AbortSignal): 'failure' | 'success' | 'neutral' {
  if (!(error instanceof SourceError) || signal?.aborted || error.code === 'RATE_LIMITED') return 'neutral';
  // The token endpoint is another host with its own back-off (oauth.ts); the API was not called.
  if (error.operation === 'token.refresh') return 'neutral';
  if (error.code === 'UPSTREAM_ERROR' || error.code === 'TIMEOUT' || error.code === 'CONNECTION_FAILED')
    return 'failure';
  return 'success';
}

function toTransportError(
  source: SourceName,
  operation: string,
  error: unknown,
  signal?: AbortSignal,
): SourceError {
  const message = error instanceof Error ? error.message : String(error);
  if (signal?.aborted) {
    return new SourceError(source, 'TIMEOUT', `${source} ${operation}: the request's deadline passed`, {
      operation,
      cause: error,
    });
  }
  if (error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError) {
    return new SourceError(source, 'TIMEOUT', `${source} ${operation}: no answer in time`, {
      operation,
      cause: error,
    });
  }
  return new SourceError(
    source,
    'CONNECTION_FAILED',
    `${source} ${operation}: connection failed (${message})`,
    {
      operation,
      cause: error,
    },
  );
}
