import { GraphQLError } from 'graphql';
import type { Resolvers, WebhookEndpointInput } from '../src/graph/resolvers-types.generated.ts';
import type { GraphContext } from '../src/graph/context.ts';
import { badInput } from '../src/graph/errors.ts';
import { checkFirst, cursorPage, decodeCursor } from '../src/graph/connection.ts';
import { noteAuditTarget } from '../src/security/plugins.ts';
import type { EventType } from '../src/events/types.ts';
import type { Outbound } from '../src/outbound/outbound.ts';
import { checkEndpointUrl } from '../src/outbound/addresses.ts';
import type { EndpointRecord } from '../src/outbound/store.ts';

/** Outbound webhook endpoints and their delivery log (src/outbound/), all `operator`. */

function outboundOf(ctx: GraphContext): Outbound {
  if (!ctx.hub.outbound)
    throw new GraphQLError('This hub was built without outbound webhooks.', {
      extensions: { code: 'NOT_SUPPORTED' },
    });
  return ctx.hub.outbound;
}

const notFound = (what: string, id: string, argument: string) =>
  new GraphQLError(
    `There is no ${what} ${JSON.stringify(id.slice(0, 80))} in this workspace: ${
      what === 'webhook endpoint' ? 'list them with webhookEndpoints' : 'list them with webhookDeliveries'
    }.`,
    { extensions: { code: 'NOT_FOUND', argument } },
  );

async function endpointOf(ctx: GraphContext, id: string, argument = 'id'): Promise<EndpointRecord> {
  const endpoint = await outboundOf(ctx).store.endpoints.get(ctx.workspace.id, id);
  if (!endpoint) throw notFound('webhook endpoint', id, argument);
  return endpoint;
}

const endpointsRead = new WeakMap<GraphContext, Map<string, Promise<EndpointRecord | null>>>();

/** The input checked: a URL the hub may reach, at least one event type, a short description. */
async function checkInput(ctx: GraphContext, input: WebhookEndpointInput) {
  const outbound = outboundOf(ctx);
  const events = [...new Set(input.events)] as EventType[];
  if (events.length === 0)
    throw badInput(
      '"events" must name at least one event type, e.g. [BOOKING_CHANGED, PAYMENT_RECEIVED]',
      'input.events',
    );
  const checked = await checkEndpointUrl(input.url.trim(), outbound.settings);
  if ('problem' in checked) throw badInput(checked.problem, 'input.url');
  const description = input.description?.trim() || null;
  if (description && description.length > 200)
    throw badInput(
      `"description" must be at most 200 characters, got ${description.length}`,
      'input.description',
    );
  return { url: checked.url.href, events, description };
}

export const webhookEndpointResolvers: Resolvers = {
  WebhookEndpoint: {
    previousSecretExpiresAt: (e) =>
      e.previousSecretUntil && e.previousSecretUntil > new Date() ? e.previousSecretUntil : null,
  },
  WebhookDelivery: {
    // A page of deliveries names few endpoints: each is read once per request.
    endpoint: (d, _, ctx) => {
      let seen = endpointsRead.get(ctx);
      if (!seen) endpointsRead.set(ctx, (seen = new Map()));
      let endpoint = seen.get(d.endpointId);
      if (!endpoint) {
        endpoint = outboundOf(ctx).store.endpoints.get(ctx.workspace.id, d.endpointId);
        seen.set(d.endpointId, endpoint);
      }
      return endpoint;
    },
  },
  Query: {
    webhookEndpoints: (_, __, ctx) => outboundOf(ctx).store.endpoints.list(ctx.workspace.id),
    webhookDeliveries: async (_, args, ctx) => {
      const first = checkFirst(args.first, 500, 50);
      const after = args.after ? decodeCursor(args.after, 'wd') : undefined;
      if (args.endpointId) await endpointOf(ctx, args.endpointId, 'endpointId');
      const rows = await outboundOf(ctx).store.deliveries.list(ctx.workspace.id, {
        endpointId: args.endpointId ?? undefined,
        states: args.states ?? undefined,
        first: first + 1,
        after,
      });
      return cursorPage(rows.slice(0, first), {
        cursor: (d) => `wd:${d.seq}`,
        hasNextPage: rows.length > first,
        hasPreviousPage: Boolean(after),
      });
    },
  },
  Mutation: {
    createWebhookEndpoint: async (_, { input }, ctx) => {
      const checked = await checkInput(ctx, input);
      const created = await outboundOf(ctx).store.endpoints.create(ctx.workspace.id, {
        ...checked,
        createdBy: ctx.caller.principal.actor,
      });
      noteAuditTarget(ctx, 'createWebhookEndpoint', created.endpoint.id);
      return created;
    },
    updateWebhookEndpoint: async (_, { id, input }, ctx) => {
      await endpointOf(ctx, id);
      const checked = await checkInput(ctx, input);
      return (
        (await outboundOf(ctx).store.endpoints.update(ctx.workspace.id, id, checked)) ?? endpointOf(ctx, id)
      );
    },
    disableWebhookEndpoint: async (_, { id }, ctx) => {
      await endpointOf(ctx, id);
      return (
        (await outboundOf(ctx).store.endpoints.update(ctx.workspace.id, id, { enabled: false })) ??
        endpointOf(ctx, id)
      );
    },
    enableWebhookEndpoint: async (_, { id }, ctx) => {
      await endpointOf(ctx, id);
      const enabled = await outboundOf(ctx).store.endpoints.update(ctx.workspace.id, id, { enabled: true });
      outboundOf(ctx).nudge();
      return enabled ?? endpointOf(ctx, id);
    },
    rotateWebhookEndpointSecret: async (_, { id }, ctx) => {
      const outbound = outboundOf(ctx);
      const rotated = await outbound.store.endpoints.rotate(
        ctx.workspace.id,
        id,
        outbound.settings.secretGraceMs,
      );
      if (!rotated) throw notFound('webhook endpoint', id, 'id');
      return rotated;
    },
    replayWebhookDelivery: async (_, { id }, ctx) => {
      const outbound = outboundOf(ctx);
      const result = await outbound.store.deliveries.replay(ctx.workspace.id, id);
      if (!result) throw notFound('webhook delivery', id, 'id');
      if (!result.replayed)
        throw badInput(
          `delivery ${id} is ${result.delivery.state} already: it is being sent; nothing to replay`,
          'id',
        );
      outbound.nudge();
      return result.delivery;
    },
  },
};
