import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inRootSpan, requestSpan } from './spans.ts';
import { AsyncLocalStorageContextManager } from './tracing.ts';

const exporter = new InMemorySpanExporter();
const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer(
  'test',
);

beforeAll(() => void context.setGlobalContextManager(new AsyncLocalStorageContextManager()));
afterAll(() => void context.disable());

describe('background work in a root span', () => {
  it('starts a trace of its own even when started from inside a request, and its work runs under it', async () => {
    exporter.reset();
    const request = tracer.startSpan('request');
    let inner: string | undefined;
    await context.with(trace.setSpan(context.active(), request), () =>
      inRootSpan(tracer, 'outbox operation', { 'switchboard.workspace': 'default' }, async () => {
        await new Promise((r) => setTimeout(r, 1));
        inner = trace.getActiveSpan()?.spanContext().spanId;
        tracer.startSpan('vendor call').end();
      }),
    );
    request.end();
    const [call, root] = exporter.getFinishedSpans();
    expect(root!.name).toBe('outbox operation');
    expect(root!.kind).toBe(SpanKind.INTERNAL);
    expect(root!.parentSpanContext).toBeUndefined();
    expect(root!.spanContext().traceId).not.toBe(request.spanContext().traceId);
    expect(root!.attributes).toEqual({ 'switchboard.workspace': 'default' });
    expect(inner).toBe(root!.spanContext().spanId);
    expect(call!.parentSpanContext?.spanId).toBe(root!.spanContext().spanId);
  });

  it('a failure ends the span as an error with its code, and is passed on', async () => {
    exporter.reset();
    const failure = Object.assign(new Error('someone@example.com is gone'), { code: 'NOT_FOUND' });
    await expect(inRootSpan(tracer, 'webhook events', {}, () => Promise.reject(failure))).rejects.toBe(
      failure,
    );
    expect(exporter.getFinishedSpans()[0]!.status).toEqual({
      code: SpanStatusCode.ERROR,
      message: 'NOT_FOUND',
    });
  });

  it('without a tracer, only the work', async () => {
    exporter.reset();
    expect(await inRootSpan(undefined, 'backfill', {}, async () => requestSpan() ?? 'ran')).toBe('ran');
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});
