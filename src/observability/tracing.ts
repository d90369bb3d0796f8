import { AsyncLocalStorage } from 'node:async_hooks';
import { context, ROOT_CONTEXT, type Context, type ContextManager, type Tracer } from '@opentelemetry/api';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { Logger } from 'pino';
import type { TracingConfig } from './tracing-config.ts';

/**
 * The OpenTelemetry SDK, started only when `SWITCHBOARD_OTEL_ENDPOINT` is set (src/app.ts imports
 * this module then, and only then). Spans go through a BatchSpanProcessor to the OTLP/HTTP
 * exporter (JSON); `shutdown()` sends what is still buffered. The spans themselves are made where
 * the work happens: src/observability/spans.ts (requests, webhooks) and src/upstream/client.ts
 * (vendor calls).
 */
export interface Tracing {
  /** This hub's tracer; not registered globally, so several hubs in one process (tests) keep apart. */
  tracer: Tracer;
  /** Exports every span ended so far and stops; spans ended later are dropped. Never throws. */
  shutdown(): Promise<void>;
}

/**
 * Context (the active span) carried across `await`, timers and DataLoader's next-tick batches over
 * node:async_hooks' AsyncLocalStorage. OpenTelemetry ships this as
 * `@opentelemetry/context-async-hooks`, which is not among our dependencies; the one context
 * manager that is installed (`StackContextManager`, inside @opentelemetry/sdk-trace) is for
 * browsers and forgets the context at the first `await`, which would put every vendor call of a
 * request at the root of a trace of its own.
 */
export class AsyncLocalStorageContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();

  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.storage.run(ctx, () => fn.apply(thisArg, args));
  }

  bind<T>(ctx: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const run = (self: unknown, args: unknown[]): unknown =>
      this.with(ctx, () => (target as (...a: unknown[]) => unknown).apply(self, args));
    return function (this: unknown, ...args: unknown[]) {
      return run(this, args);
    } as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.storage.disable();
    return this;
  }
}

/** `ExportResultCode.SUCCESS` of @opentelemetry/core (a dependency of the SDK, not of ours). */
const EXPORT_SUCCESS = 0;
/** How long a stopping hub waits for its last traces to be sent. */
const SHUTDOWN_WAIT_MS = 3_000; // 3 seconds
/** At most one warning a minute about traces the collector did not take. */
const WARN_EVERY_MS = 60_000;

export function startTracing(config: TracingConfig, logger: Logger): Tracing {
  // One context manager per process, shared by every hub in it; a second registration is refused
  // by the API and the first one, identical, stays.
  context.setGlobalContextManager(new AsyncLocalStorageContextManager());
  const exporter = reportingFailures(
    new OTLPTraceExporter({ url: config.endpoint, headers: config.headers }),
    logger,
    config.endpoint,
  );
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.serviceName }),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  return {
    tracer: provider.getTracer('switchboard'),
    async shutdown() {
      // The exporter retries an unreachable collector for about 10 s; a stopping hub waits less.
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), SHUTDOWN_WAIT_MS);
      });
      const outcome = await Promise.race([provider.shutdown().then(() => 'sent' as const), late]).catch(
        (error: unknown) => {
          logger.warn({ err: error }, 'sending the last traces failed at shutdown; they are lost');
          return 'failed' as const;
        },
      );
      clearTimeout(timer);
      if (outcome === 'late') {
        logger.warn(
          `the OpenTelemetry collector did not take the last traces within ${SHUTDOWN_WAIT_MS / 1000} s of shutdown; they are lost`,
        );
      }
    },
  };
}

/**
 * The exporter, with failed exports logged: without this they go to OpenTelemetry's `diag` logger,
 * silent unless one is installed, and a wrong endpoint would lose every trace without a word.
 */
function reportingFailures(exporter: SpanExporter, logger: Logger, endpoint: string): SpanExporter {
  const where = new URL(endpoint);
  let lastWarning = -Infinity;
  let dropped = 0;
  return {
    export(spans, done) {
      exporter.export(spans, (result) => {
        if (result.code !== EXPORT_SUCCESS) {
          dropped += spans.length;
          const now = Date.now();
          if (now - lastWarning >= WARN_EVERY_MS) {
            lastWarning = now;
            logger.warn(
              { endpoint: `${where.origin}${where.pathname}`, dropped, err: result.error },
              'traces could not be sent to the OpenTelemetry collector; these spans are lost',
            );
            dropped = 0;
          }
        }
        done(result);
      });
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
}
