import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import DataLoader from 'dataloader';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SourceError, codeForStatus } from '../domain/errors.ts';
import { AsyncLocalStorageContextManager } from '../observability/tracing.ts';
import { createCircuitBreaker } from './breaker.ts';
import { createUpstreamClient, type UpstreamResponse } from './client.ts';
import { createRetryPolicy } from './retry.ts';
import type { UpstreamPolicy } from './policy.ts';

// The CLIENT span of each vendor call (src/upstream/client.ts) against a vendor answering from a
// script, with the hub's context manager, so parenting works as it does in the running hub.
let server: Server;
let base = '';
let script: number[] = [];
const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
const tracer = provider.getTracer('test');

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager());
  server = createServer((req, res) => {
    const status = script.shift() ?? 200;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: status < 400 }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  context.disable();
  await new Promise((r) => server.close(r));
});
beforeEach(() => {
  exporter.reset();
  script = [];
});

const toError = (res: UpstreamResponse, operation: string) =>
  new SourceError('stripe', codeForStatus(res.status), `HTTP ${res.status} for someone@example.com`, {
    status: res.status,
    operation,
  });
const client = (policy: UpstreamPolicy = {}) =>
  createUpstreamClient({ source: 'stripe', baseUrl: `${base}/api`, toError, policy: { tracer, ...policy } });
const finished = () => exporter.getFinishedSpans();
const calls = () => finished().filter((s) => s.kind === SpanKind.CLIENT);
const one = (): ReadableSpan => {
  expect(calls()).toHaveLength(1);
  return calls()[0]!;
};

describe('vendor call spans', () => {
  it('one CLIENT span per call under the active span: method, address, path without its query, status', async () => {
    const c = client();
    const parent = tracer.startSpan('request');
    await context.with(trace.setSpan(context.active(), parent), () =>
      c.request({
        operation: 'customers.search',
        method: 'GET',
        path: '/v1/customers/search',
        query: { query: "email:'someone@example.com'", key: 'sk_test_secret' },
      }),
    );
    parent.end();
    const span = one();
    expect(span.name).toBe('stripe customers.search');
    expect(span.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(span.spanContext().traceId).toBe(parent.spanContext().traceId);
    expect(span.attributes).toEqual({
      'http.request.method': 'GET',
      'server.address': '127.0.0.1',
      'server.port': Number(new URL(base).port),
      'url.path': '/api/v1/customers/search',
      'switchboard.system': 'stripe',
      'switchboard.vendor_operation': 'customers.search',
      'http.response.status_code': 200,
    });
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    await c.close();
  });

  it('a path segment holding an email address is masked', async () => {
    const c = client();
    await c.request({
      operation: 'calendar.events',
      method: 'GET',
      path: '/calendars/owner%40example.com/events',
    });
    await c.request({
      operation: 'calendar.events',
      method: 'GET',
      path: '/calendars/owner@example.com/events',
    });
    expect(calls().map((s) => s.attributes['url.path'])).toEqual([
      '/api/calendars/[email]/events',
      '/api/calendars/[email]/events',
    ]);
    await c.close();
  });

  it('retries are events of the one span; a call that fails in the end is an error with its code, not its message', async () => {
    const c = client({ retry: createRetryPolicy({ baseMs: 1, maxMs: 2 }) });
    script = [503, 503, 503];
    await expect(c.request({ operation: 'x.get', method: 'GET', path: '/x' })).rejects.toBeInstanceOf(
      SourceError,
    );
    const span = one();
    expect(span.attributes).toMatchObject({
      'http.request.resend_count': 2,
      'http.response.status_code': 503,
      'error.type': 'UPSTREAM_ERROR',
    });
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'UPSTREAM_ERROR' });
    expect(span.events.map((e) => [e.name, e.attributes?.['switchboard.retry']])).toEqual([
      ['retry', 1],
      ['retry', 2],
    ]);
    expect(JSON.stringify([span.attributes, span.events, span.status])).not.toContain('example.com');
    await c.close();
  });

  it("a call the breaker refuses says so, with the breaker's state", async () => {
    const breaker = createCircuitBreaker({ consecutiveFailures: 1, minCalls: 1, openMs: 60_000 });
    const c = client({ breaker });
    script = [503];
    await expect(c.request({ operation: 'x.get', method: 'GET', path: '/x' })).rejects.toBeInstanceOf(
      SourceError,
    );
    await expect(c.request({ operation: 'x.get', method: 'GET', path: '/x' })).rejects.toMatchObject({
      vendorCode: 'CIRCUIT_OPEN',
    });
    const [failed, refused] = calls();
    expect(failed!.attributes).toMatchObject({
      'http.response.status_code': 503,
      'switchboard.breaker': 'open',
    });
    expect(refused!.attributes).toMatchObject({
      'switchboard.rejected': 'circuit_open',
      'switchboard.breaker': 'open',
    });
    expect(refused!.attributes['http.response.status_code']).toBeUndefined();
    await c.close();
  });

  it("a DataLoader batch, run a tick after the loads, stays under the request that caused it; other work doesn't", async () => {
    const c = client();
    const loader = new DataLoader(async (ids: readonly string[]) => {
      await c.request({
        operation: 'x.batch',
        method: 'POST',
        path: '/x/batch',
        body: { ids },
        idempotent: true,
      });
      return ids.map((id) => ({ id }));
    });
    const parent = tracer.startSpan('request');
    await context.with(trace.setSpan(context.active(), parent), async () => {
      await new Promise((r) => setTimeout(r, 1));
      await Promise.all([loader.load('a'), loader.load('b')]);
    });
    parent.end();
    await c.request({ operation: 'x.background', method: 'GET', path: '/x' });
    const [batch, background] = calls();
    expect(batch!.attributes['switchboard.vendor_operation']).toBe('x.batch');
    expect(batch!.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(background!.parentSpanContext).toBeUndefined();
    expect(background!.spanContext().traceId).not.toBe(parent.spanContext().traceId);
    await c.close();
  });

  it('without a tracer, no span and the same answer', async () => {
    const c = createUpstreamClient({ source: 'stripe', baseUrl: base, toError });
    expect((await c.request({ operation: 'x.get', method: 'GET', path: '/x' })).status).toBe(200);
    expect(finished()).toEqual([]);
    await c.close();
  });
});
