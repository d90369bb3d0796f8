import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  context,
  createContextKey,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * The spans of the hub's own HTTP requests: one SERVER span per GraphQL request (both paths: the
 * early answers and yoga) and per webhook delivery. Vendor calls are CLIENT spans under them
 * (src/upstream/client.ts), parented through the active context (AsyncLocalStorage, so DataLoader
 * batches that run a tick later still land under the request that caused them).
 *
 * What a span may carry: names, codes, statuses, the workspace id, paths without their query. Never
 * credentials, query text, variables or anything a customer typed.
 */

/** The request's span, kept apart from the active span (a vendor call's, inside it). */
const REQUEST_SPAN = createContextKey('switchboard.request-span');

/** The span of the request this code runs for; undefined when tracing is off or outside a request. */
export function requestSpan(): Span | undefined {
  return context.active().getValue(REQUEST_SPAN) as Span | undefined;
}

const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * Runs `handle` with a SERVER span active, ended when the response closes. `path` is the request's
 * path without its query (`/graphql`, `/webhooks/stripe`). Each request starts a trace of its own:
 * a caller's `traceparent` is not followed (no propagator), so callers cannot stitch their traces
 * into the hub's or choose its trace ids.
 */
export function traceHttpRequest(
  tracer: Tracer,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  handle: () => void,
): void {
  const method = req.method ?? 'GET';
  const webhook = path.startsWith('/webhooks/');
  // A webhook's path names a vendor only once the intake has matched it to a route (`nameWebhookSpan`):
  // anyone may post to any path, and span names are kept to the hub's own routes.
  const span = tracer.startSpan(
    webhook ? `${method} /webhooks/{source}` : 'graphql anonymous',
    {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': method,
        'http.route': webhook ? '/webhooks/{source}' : path,
        ...(webhook ? {} : { 'url.path': path }),
      },
    },
    ROOT_CONTEXT,
  );
  res.once('close', () => {
    span.setAttribute('http.response.status_code', res.statusCode);
    if (!res.writableFinished) span.setAttribute('switchboard.client_aborted', true);
    if (res.statusCode >= 500)
      span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${res.statusCode}` });
    span.end();
  });
  context.with(trace.setSpan(ROOT_CONTEXT, span).setValue(REQUEST_SPAN, span), handle);
}

/** A webhook delivery's span, once its path matched a vendor's route (`system`, the module id). */
export function nameWebhookSpan(method: string, route: string, system: string): void {
  requestSpan()
    ?.updateName(`${method} /webhooks/${route}`)
    .setAttributes({ 'url.path': `/webhooks/${route}`, 'switchboard.system': system });
}

/**
 * Names the request's span after its operation and notes how it ended, from the request's log line
 * (`requestRecorder`, on both the early-answer and the yoga path). A no-op outside a traced request.
 */
export function annotateRequestSpan(line: {
  operation?: string;
  workspace?: string;
  errors?: string[];
}): void {
  const span = requestSpan();
  if (!span) return;
  // Operation names come from clients: only well-formed ones name a span or fill an attribute.
  const operation = line.operation && OPERATION_NAME.test(line.operation) ? line.operation : undefined;
  span.updateName(`graphql ${operation ?? 'anonymous'}`);
  if (operation) span.setAttribute('graphql.operation.name', operation);
  if (line.workspace) span.setAttribute('switchboard.workspace', line.workspace);
  if (line.errors?.length) {
    span.setAttribute('switchboard.graphql.error_codes', line.errors);
    span.setStatus({ code: SpanStatusCode.ERROR, message: line.errors.join(', ') });
  }
}

/** The operation's type on the request span, once yoga knows which operation of the document runs. */
export function useRequestSpan(): Plugin {
  const note = (args: { document: Parameters<typeof getOperationAST>[0]; operationName?: string | null }) => {
    const span = requestSpan();
    const operation = span && getOperationAST(args.document, args.operationName);
    if (operation) span.setAttribute('graphql.operation.type', operation.operation);
  };
  return {
    onExecute: ({ args }) => note(args),
    onSubscribe: ({ args }) => note(args),
  };
}

/**
 * Runs a unit of background work (the backfill, an outbox operation the worker picked up, a batch of
 * webhook events) as the root of a trace of its own, an INTERNAL span its vendor calls sit under,
 * whatever context it was started from. Without a tracer it only runs `work`.
 */
export function inRootSpan<T>(
  tracer: Tracer | undefined,
  name: string,
  attributes: Attributes,
  work: () => Promise<T>,
): Promise<T> {
  if (!tracer) return work();
  const span = tracer.startSpan(name, { kind: SpanKind.INTERNAL, attributes }, ROOT_CONTEXT);
  return context.with(trace.setSpan(ROOT_CONTEXT, span), work).then(
    (value) => {
      span.end();
      return value;
    },
    (error: unknown) => {
      const code = (error as { code?: unknown }).code;
      span.setStatus({ code: SpanStatusCode.ERROR, message: typeof code === 'string' ? code : 'FAILED' });
      span.end();
      throw error;
    },
  );
}
