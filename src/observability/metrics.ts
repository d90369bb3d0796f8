import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The hub's Prometheus metrics (names are a contract: DESIGN.md, Interfaces). One registry per hub
 * instance, so tests can run several hubs in one process without clashing.
 */
export interface Metrics {
  registry: Registry;
  upstreamRequests: Counter<'source' | 'operation' | 'status'>;
  upstreamDuration: Histogram<'source' | 'operation'>;
  upstreamRetries: Counter<'source' | 'operation'>;
  cacheLookups: Counter<'source' | 'resource' | 'outcome'>;
  webhooksReceived: Counter<'source' | 'outcome'>;
  operationsPending: Gauge;
  failedDeliveries: Gauge;
  subscriptionsActive: Gauge;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'switchboard_' });
  return {
    registry,
    upstreamRequests: new Counter({
      name: 'switchboard_upstream_requests_total',
      help: 'Requests sent to vendors, by source, operation and HTTP status (0 when no response came).',
      labelNames: ['source', 'operation', 'status'],
      registers: [registry],
    }),
    upstreamDuration: new Histogram({
      name: 'switchboard_upstream_request_duration_seconds',
      help: 'Time from sending a vendor request to its full response.',
      labelNames: ['source', 'operation'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    upstreamRetries: new Counter({
      name: 'switchboard_upstream_retries_total',
      help: 'Upstream calls sent again after a failure a retry could fix (safe calls only, within the retry budget).',
      labelNames: ['source', 'operation'],
      registers: [registry],
    }),
    cacheLookups: new Counter({
      name: 'switchboard_cache_lookups_total',
      help: 'Response cache lookups behind the loaders, by outcome (hit, miss).',
      labelNames: ['source', 'resource', 'outcome'],
      registers: [registry],
    }),
    webhooksReceived: new Counter({
      name: 'switchboard_webhooks_received_total',
      help: 'Vendor webhook deliveries, by outcome (accepted, duplicate, rejected).',
      labelNames: ['source', 'outcome'],
      registers: [registry],
    }),
    operationsPending: new Gauge({
      name: 'switchboard_operations_pending',
      help: 'Write operations with steps still pending.',
      registers: [registry],
    }),
    failedDeliveries: new Gauge({
      name: 'switchboard_failed_deliveries',
      help: 'Write steps that gave up and wait for a replay.',
      registers: [registry],
    }),
    subscriptionsActive: new Gauge({
      name: 'switchboard_subscriptions_active',
      help: 'GraphQL subscriptions currently open.',
      registers: [registry],
    }),
  };
}
