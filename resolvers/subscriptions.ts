import { Repeater } from 'graphql-yoga';
import type { GraphContext } from '../src/graph/context.ts';
import type { Resolvers } from '../src/graph/resolvers-types.generated.ts';
import type { DomainEvent } from '../src/events/types.ts';
import { expectGlobalId } from '../src/graph/ids.ts';
import { toSystem } from './shared.ts';

/**
 * How many events a shared subscription may fall behind its bus before the oldest are dropped. Each
 * subscriber has its own bound as well (src/graph/fan-out.ts), past which it is closed with a reason.
 */
const BUFFER = 1_000;

/**
 * This workspace's events that pass `keep`, as an async iterator for graphql-js. Events are pushed
 * by the bus (local or Redis) as they are published; a subscriber that stops reading loses the
 * oldest beyond the buffer instead of holding the process's memory.
 */
function stream(
  ctx: GraphContext,
  keep: (event: DomainEvent) => boolean,
): AsyncIterableIterator<DomainEvent> {
  return new Repeater<DomainEvent>(async (push, stop) => {
    const queue: DomainEvent[] = [];
    let draining = false;
    const drain = async () => {
      if (draining) return;
      draining = true;
      while (queue.length > 0) await push(queue.shift() as DomainEvent);
      draining = false;
    };
    const unlisten = ctx.hub.bus.listen(ctx.workspace.id, (event) => {
      if (!keep(event)) return;
      if (queue.length >= BUFFER) queue.shift();
      queue.push(event);
      void drain();
    });
    // The stream ends with its request, or when the caller's key is revoked (an SSE subscription).
    const end = () => stop();
    if (ctx.signal.aborted) stop();
    else ctx.signal.addEventListener('abort', end, { once: true });
    await stop;
    ctx.signal.removeEventListener('abort', end);
    unlisten();
  });
}

const present = <T>(value: T | null, what: string): T => {
  if (value === null) throw new Error(`the ${what} is not in the store`);
  return value;
};

const local = (id: string | null | undefined, type: 'Customer' | 'Operation', argument: string) =>
  id ? expectGlobalId(id, type, argument) : null;

export const subscriptionResolvers: Resolvers = {
  Event: {
    id: (e) => e.id,
    type: (e) => e.type,
    source: (e) => (e.source ? toSystem(e.source) : null),
    customer: (e, _, ctx) => (e.customerId ? ctx.loaders.customer.load(e.customerId) : null),
    booking: (e) => e.booking ?? null,
    order: (e) => e.order ?? null,
    invoice: (e) => e.invoice ?? null,
    syncIssue: (e, _, ctx) => (e.syncIssueId ? ctx.hub.issues.get(ctx.workspace.id, e.syncIssueId) : null),
    operation: (e, _, ctx) => (e.operationId ? ctx.hub.engine.get(ctx.workspace.id, e.operationId) : null),
  },
  Subscription: {
    customerChanged: {
      subscribe: (_, { id }, ctx) => {
        const customerId = expectGlobalId(id, 'Customer');
        return stream(ctx, (e) => e.type === 'CUSTOMER_CHANGED' && e.customerId === customerId);
      },
      resolve: async (e: DomainEvent, _: unknown, ctx: GraphContext) =>
        present(await ctx.loaders.customer.load(e.customerId as string), `customer of event ${e.id}`),
    },
    bookingChanged: {
      subscribe: (_, { customerId, from, to }, ctx) => {
        const who = local(customerId, 'Customer', 'customerId');
        return stream(
          ctx,
          (e) =>
            e.type === 'BOOKING_CHANGED' &&
            e.booking !== undefined &&
            (!who || e.customerId === who) &&
            (!from || e.booking.start >= from) &&
            (!to || e.booking.start < to),
        );
      },
      resolve: (e: DomainEvent) => e.booking!,
    },
    orderChanged: {
      subscribe: (_, { customerId }, ctx) => {
        const who = local(customerId, 'Customer', 'customerId');
        return stream(
          ctx,
          (e) => e.type === 'ORDER_CHANGED' && e.order !== undefined && (!who || e.customerId === who),
        );
      },
      resolve: (e: DomainEvent) => e.order!,
    },
    paymentReceived: {
      subscribe: (_, { customerId }, ctx) => {
        const who = local(customerId, 'Customer', 'customerId');
        return stream(
          ctx,
          (e) => e.type === 'PAYMENT_RECEIVED' && e.order !== undefined && (!who || e.customerId === who),
        );
      },
      resolve: (e: DomainEvent) => e.order!,
    },
    invoiceChanged: {
      subscribe: (_, { customerId, status }, ctx) => {
        const who = local(customerId, 'Customer', 'customerId');
        const states = status ? new Set<string>(status) : null;
        return stream(
          ctx,
          (e) =>
            e.type === 'INVOICE_CHANGED' &&
            e.invoice !== undefined &&
            (!who || e.customerId === who) &&
            (!states || states.has(e.invoice.status)),
        );
      },
      resolve: (e: DomainEvent) => e.invoice!,
    },
    syncIssueRaised: {
      subscribe: (_, __, ctx) => stream(ctx, (e) => e.type === 'SYNC_ISSUE_RAISED'),
      resolve: async (e: DomainEvent, _: unknown, ctx: GraphContext) =>
        present(
          await ctx.hub.issues.get(ctx.workspace.id, e.syncIssueId as string),
          `sync issue of event ${e.id}`,
        ),
    },
    operationUpdated: {
      subscribe: (_, { id }, ctx) => {
        const operationId = expectGlobalId(id, 'Operation');
        return stream(ctx, (e) => e.type === 'OPERATION_UPDATED' && e.operationId === operationId);
      },
      resolve: async (e: DomainEvent, _: unknown, ctx: GraphContext) =>
        present(
          await ctx.hub.engine.get(ctx.workspace.id, e.operationId as string),
          `operation of event ${e.id}`,
        ),
    },
    events: {
      subscribe: (_, { types }, ctx) => {
        const wanted = types ? new Set<string>(types) : null;
        return stream(ctx, (e) => !wanted || wanted.has(e.type));
      },
      resolve: (e: DomainEvent) => e,
    },
  },
};
