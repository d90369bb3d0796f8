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
  upstreamRejected: Counter<'source' | 'reason'>;
  staleServed: Counter<'source' | 'reason'>;
  budgetRemaining: Gauge<'workspace' | 'source' | 'window'>;
  circuitState: Gauge<'workspace' | 'source'>;
  errorRatio: Gauge<'workspace' | 'source'>;
  lastSuccess: Gauge<'workspace' | 'source'>;
  tokenHealthy: Gauge<'workspace' | 'source'>;
  tokenExpiry: Gauge<'workspace' | 'source'>;
  cacheLookups: Counter<'source' | 'resource' | 'outcome'>;
  responseCacheLookups: Counter<'outcome'>;
  webhooksReceived: Counter<'source' | 'outcome'>;
  operationsPending: Gauge;
  failedDeliveries: Gauge;
  subscriptionsActive: Gauge;
  graphqlRequests: Counter<'operation' | 'status'>;
  graphqlDuration: Histogram<'operation'>;
  graphqlErrors: Counter<'operation' | 'code'>;
  outboundDeliveries: Counter<'outcome'>;
  outboundDuration: Histogram;
  outboundLag: Histogram;
  outboundPending: Gauge;
  outboundFailed: Gauge;
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
    upstreamRejected: new Counter({
      name: 'switchboard_upstream_rejected_total',
      help: 'Calls the hub did not send: circuit_open (the vendor is failing) or rate_budget (no slot before the deadline).',
      labelNames: ['source', 'reason'],
      registers: [registry],
    }),
    staleServed: new Counter({
      name: 'switchboard_stale_served_total',
      help: 'Cached records served past their freshness because the vendor failed, by the failure code.',
      labelNames: ['source', 'reason'],
      registers: [registry],
    }),
    budgetRemaining: new Gauge({
      name: 'switchboard_upstream_budget_remaining',
      help: "Calls left in each rate window of a workspace's vendor budget (read at scrape time).",
      labelNames: ['workspace', 'source', 'window'],
      registers: [registry],
    }),
    circuitState: new Gauge({
      name: 'switchboard_upstream_circuit_state',
      help: 'Circuit breaker per workspace and vendor: 0 closed, 1 half-open (probing), 2 open (failing fast).',
      labelNames: ['workspace', 'source'],
      registers: [registry],
    }),
    errorRatio: new Gauge({
      name: 'switchboard_upstream_error_ratio',
      help: 'Share of calls to the vendor that failed (5xx, timeout, connection) over the last minute.',
      labelNames: ['workspace', 'source'],
      registers: [registry],
    }),
    lastSuccess: new Gauge({
      name: 'switchboard_upstream_last_success_timestamp_seconds',
      help: 'When a call to the vendor last succeeded (Unix seconds); absent until one has.',
      labelNames: ['workspace', 'source'],
      registers: [registry],
    }),
    tokenHealthy: new Gauge({
      name: 'switchboard_upstream_token_healthy',
      help: 'OAuth connections: 1 while the access token is valid or refreshing, 0 when the last refresh failed.',
      labelNames: ['workspace', 'source'],
      registers: [registry],
    }),
    tokenExpiry: new Gauge({
      name: 'switchboard_upstream_token_expiry_timestamp_seconds',
      help: 'OAuth connections: when the current access token expires (Unix seconds).',
      labelNames: ['workspace', 'source'],
      registers: [registry],
    }),
    cacheLookups: new Counter({
      name: 'switchboard_cache_lookups_total',
      help: 'Record cache lookups behind the loaders, by outcome: hit, stale (kept only for stale-if-error), miss.',
      labelNames: ['source', 'resource', 'outcome'],
      registers: [registry],
    }),
    responseCacheLookups: new Counter({
      name: 'switchboard_response_cache_lookups_total',
      help: 'GraphQL response cache: hit, miss, and not_stored (something the response read was invalidated while it ran, or is not tracked).',
      labelNames: ['outcome'],
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
    graphqlRequests: new Counter({
      name: 'switchboard_graphql_requests_total',
      help: 'GraphQL requests over HTTP (cache hits answered before yoga included), by operation name and HTTP status. Names past the first 100 a process sees are counted as "(other)".',
      labelNames: ['operation', 'status'],
      registers: [registry],
    }),
    graphqlDuration: new Histogram({
      name: 'switchboard_graphql_request_duration_seconds',
      help: 'Time from a GraphQL request arriving to its answer, by operation name.',
      labelNames: ['operation'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    graphqlErrors: new Counter({
      name: 'switchboard_graphql_errors_total',
      help: 'GraphQL errors in answers, by operation name and error code (FORBIDDEN, BAD_USER_INPUT, UPSTREAM_UNAVAILABLE…).',
      labelNames: ['operation', 'code'],
      registers: [registry],
    }),
    outboundDeliveries: new Counter({
      name: 'switchboard_outbound_deliveries_total',
      help: 'Outbound webhook attempts by outcome: delivered (2xx), retried (failed, another attempt is scheduled), failed (the last attempt failed: replayable).',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    outboundDuration: new Histogram({
      name: 'switchboard_outbound_request_duration_seconds',
      help: "Time from sending an outbound webhook to the receiver's answer (or the failure).",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    outboundLag: new Histogram({
      name: 'switchboard_outbound_delivery_lag_seconds',
      help: 'Time from an event being stored for an endpoint to its delivery, retries included.',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30, 300, 3600, 86400],
      registers: [registry],
    }),
    outboundPending: new Gauge({
      name: 'switchboard_outbound_deliveries_pending',
      help: 'Outbound webhook deliveries waiting to be sent or retried (read at scrape time).',
      registers: [registry],
    }),
    outboundFailed: new Gauge({
      name: 'switchboard_outbound_deliveries_failed',
      help: 'Outbound webhook deliveries that gave up and wait for a replay (read at scrape time).',
      registers: [registry],
    }),
  };
}
