import type { Route } from '../../../src/sandbox/kit/http.ts';
import type { WebhookDispatcher } from '../../../src/sandbox/kit/webhooks.ts';
import { route } from './api.ts';
import { invalidRequest, noSuch } from './errors.ts';
import { applyMetadata, readParams } from './form.ts';
import { CREATED_SPEC, LIST_SPECS, inRange, newestFirst, paginate } from './lists.ts';
import type { StripeEvent, WebhookEndpoint } from './objects.ts';
import type { EndpointRecord, StripeState } from './state.ts';

// https://docs.stripe.com/api/webhook_endpoints and https://docs.stripe.com/api/events

/** Event types the sandbox emits, plus common ones an endpoint may subscribe to (Stripe rejects unknown types). */
export const EVENT_TYPES = [
  'charge.captured',
  'charge.expired',
  'charge.failed',
  'charge.pending',
  'charge.refunded',
  'charge.succeeded',
  'charge.updated',
  'charge.dispute.created',
  'charge.refund.updated',
  'checkout.session.async_payment_failed',
  'checkout.session.async_payment_succeeded',
  'checkout.session.completed',
  'checkout.session.expired',
  'customer.created',
  'customer.deleted',
  'customer.updated',
  'invoice.created',
  'invoice.finalized',
  'invoice.paid',
  'invoice.payment_failed',
  'invoice.updated',
  'payment_intent.amount_capturable_updated',
  'payment_intent.canceled',
  'payment_intent.created',
  'payment_intent.partially_funded',
  'payment_intent.payment_failed',
  'payment_intent.processing',
  'payment_intent.requires_action',
  'payment_intent.succeeded',
  'payment_method.attached',
  'payment_method.detached',
  'refund.created',
  'refund.failed',
  'refund.updated',
] as const;

const ENDPOINT_FIELDS = {
  url: { type: 'string' },
  enabled_events: { type: 'strings' },
  description: { type: 'string', nullable: true, max: 5000 },
  metadata: { type: 'metadata' },
  expand: { type: 'expand' },
} as const;

function checkUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return url;
  } catch {
    // answered below
  }
  throw invalidRequest(`Invalid URL: ${url}. URLs must begin with http:// or https://`, {
    param: 'url',
    code: 'url_invalid',
  });
}

function checkEvents(events: string[]): string[] {
  if (events.length === 0) {
    throw invalidRequest('enabled_events must contain at least one event type.', { param: 'enabled_events' });
  }
  events.forEach((type, i) => {
    if (type !== '*' && !(EVENT_TYPES as readonly string[]).includes(type)) {
      throw invalidRequest(
        `Invalid enabled_events[${i}]: must be one of ${['*', ...EVENT_TYPES].join(', ')}`,
        {
          param: `enabled_events[${i}]`,
        },
      );
    }
  });
  return [...new Set(events)];
}

/** The public view: `secret` is only shown in the create response, as Stripe does. */
const view = (record: EndpointRecord): WebhookEndpoint => structuredClone(record.endpoint);

export function registerEndpoint(
  state: StripeState,
  input: {
    url: string;
    enabled_events: string[];
    description?: string | null;
    metadata?: Record<string, string>;
  },
  secret?: string,
): EndpointRecord {
  const record: EndpointRecord = {
    endpoint: {
      id: state.mint('we_', 24),
      object: 'webhook_endpoint',
      api_version: null,
      application: null,
      created: state.now(),
      description: input.description ?? null,
      enabled_events: checkEvents(input.enabled_events),
      livemode: false,
      metadata: input.metadata ?? {},
      status: 'enabled',
      url: checkUrl(input.url),
    },
    secret: secret ?? `whsec_${state.random.string(32)}`,
  };
  state.endpoints.set(record.endpoint.id, record);
  return record;
}

export function eventRoutes(state: StripeState, webhooks: WebhookDispatcher): Route[] {
  const findEndpoint = (id: string) => {
    const record = state.endpoints.get(id);
    if (!record) throw noSuch('webhook_endpoint', id);
    return record;
  };

  /** Deliveries not yet acknowledged with a 2xx (duplicates aside), from the dispatcher's log. */
  const withPending = (event: StripeEvent): StripeEvent => {
    const deliveries = webhooks.log(2_000).filter((d) => d.eventId === event.id && !d.duplicateOf);
    if (deliveries.length === 0) return event;
    return { ...event, pending_webhooks: deliveries.filter((d) => d.state !== 'delivered').length };
  };

  return [
    route('POST', '/v1/webhook_endpoints', 'webhook_endpoints.create', ({ form }) => {
      const params = readParams(form, {
        ...ENDPOINT_FIELDS,
        url: { type: 'string', required: true },
        enabled_events: { type: 'strings', required: true },
        api_version: { type: 'string' },
        connect: { type: 'boolean' },
      });
      if (params.connect)
        throw invalidRequest('Connect endpoints are not supported by the sandbox.', { param: 'connect' });
      const record = registerEndpoint(state, {
        url: params.url,
        enabled_events: params.enabled_events,
        description: params.description,
        metadata: applyMetadata({}, params.metadata),
      });
      record.endpoint.api_version = params.api_version ?? null;
      return { ...view(record), secret: record.secret };
    }),
    route('GET', '/v1/webhook_endpoints', 'webhook_endpoints.list', ({ form }) => {
      const params = readParams(form, LIST_SPECS);
      const page = paginate({
        all: newestFirst(state.endpoints).map(view),
        keep: () => true,
        params,
        url: '/v1/webhook_endpoints',
        objectName: 'webhook_endpoint',
      });
      return page;
    }),
    route('GET', '/v1/webhook_endpoints/:id', 'webhook_endpoints.retrieve', ({ req, form }) => {
      readParams(form, { expand: { type: 'expand' } });
      return view(findEndpoint(req.params.id ?? ''));
    }),
    route('POST', '/v1/webhook_endpoints/:id', 'webhook_endpoints.update', ({ req, form }) => {
      const params = readParams(form, { ...ENDPOINT_FIELDS, disabled: { type: 'boolean' } });
      const record = findEndpoint(req.params.id ?? '');
      const endpoint = record.endpoint;
      if (params.url !== undefined) endpoint.url = checkUrl(params.url);
      if (params.enabled_events !== undefined) endpoint.enabled_events = checkEvents(params.enabled_events);
      if (params.description !== undefined) endpoint.description = params.description;
      if (params.disabled !== undefined) endpoint.status = params.disabled ? 'disabled' : 'enabled';
      endpoint.metadata = applyMetadata(endpoint.metadata, params.metadata);
      return view(record);
    }),
    route('DELETE', '/v1/webhook_endpoints/:id', 'webhook_endpoints.del', ({ req, form }) => {
      readParams(form, {});
      const record = findEndpoint(req.params.id ?? '');
      state.endpoints.delete(record.endpoint.id);
      return { id: record.endpoint.id, object: 'webhook_endpoint', deleted: true };
    }),
    route('GET', '/v1/events', 'events.list', ({ form }) => {
      const params = readParams(form, {
        ...LIST_SPECS,
        ...CREATED_SPEC,
        type: { type: 'string' },
        types: { type: 'strings' },
        delivery_success: { type: 'boolean' },
      });
      if (params.type !== undefined && params.types !== undefined) {
        throw invalidRequest('You may only specify one of these parameters: type, types.');
      }
      // `type` takes one wildcard: `customer.*`.
      const wanted = (type: string) =>
        params.type === undefined
          ? params.types === undefined || params.types.includes(type)
          : params.type.endsWith('*')
            ? type.startsWith(params.type.slice(0, -1))
            : type === params.type;
      const delivered = (event: StripeEvent) => withPending(event).pending_webhooks === 0;
      const page = paginate({
        all: newestFirst(state.events),
        keep: (e) =>
          wanted(e.type) &&
          inRange(e.created, params.created) &&
          (params.delivery_success === undefined || delivered(e) === params.delivery_success),
        params,
        url: '/v1/events',
        objectName: 'event',
      });
      return { ...page, data: page.data.map(withPending) };
    }),
    route('GET', '/v1/events/:id', 'events.retrieve', ({ req, form }) => {
      readParams(form, { expand: { type: 'expand' } });
      const event = state.events.get(req.params.id ?? '');
      if (!event) throw noSuch('event', req.params.id ?? '');
      return withPending(event);
    }),
  ];
}
