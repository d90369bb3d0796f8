import { randomUUID } from 'node:crypto';
import type { MutationCreateBookingArgs, Resolvers } from '../src/graph/resolvers-types.generated.ts';
import type { GraphContext } from '../src/graph/context.ts';
import {
  prepareCancelBooking,
  prepareCreateBooking,
  prepareRescheduleBooking,
  type CancelBookingInput,
  type CreateBookingInput,
  type RescheduleBookingInput,
} from '../src/operations/kinds/booking.ts';
import { normaliseEmail } from '../src/domain/model.ts';
import { badInput } from '../src/graph/errors.ts';
import { perform } from './operations.ts';
import { checkMoney, checkName, checkWindowOrder } from './validate.ts';
import { customerFor, externalIdOf, mustExist, orNull, recordsOf } from './write-helpers.ts';
import { profile } from './customer.ts';
import { scheduleOf } from '../src/hub.ts';
import { createSourceStateRepository } from '../src/store/source-state.ts';
import { bookingLock, checkSlotFree, pendingBookings } from '../src/availability/availability.ts';

/**
 * Client-chosen event ids must suit the calendar (Google's: base32hex, 5–1024 characters); a UUID's
 * hex digits are a subset, so `sb` + hex is valid and unique.
 */
export const newEventId = () => `sb${randomUUID().replace(/-/g, '')}`;

/**
 * An existing booking that is not cancelled and the customer attending it (matched by email), with
 * their records, for the CRM, deposit and payment steps; `argument` names the id in errors.
 */
export async function bookingContext(ctx: GraphContext, id: string, argument = 'id') {
  const eventId = externalIdOf(ctx, id, 'Booking', argument);
  const event = await mustExist(ctx.loaders.booking.load(eventId), `booking ${id}`, argument);
  if (event.status === 'CANCELLED') throw badInput(`booking ${id} is cancelled`, argument);
  let customer = null;
  for (const email of event.attendeeEmails) {
    const normalised = normaliseEmail(email);
    customer = normalised ? await ctx.loaders.customerByEmail.load(normalised) : null;
    if (customer) break;
  }
  const records = customer ? await recordsOf(ctx, customer) : null;
  return { eventId, event, customer, records };
}

/** The workspace's booking lock (src/availability/): held while a time is checked free and the write stored. */
export const workspaceBookingLock = (ctx: GraphContext) =>
  bookingLock(
    createSourceStateRepository(ctx.hub.store),
    ctx.workspace.id,
    ctx.workspace.sources.calendar.name,
    ctx.signal,
  );

/**
 * Refuses a time no longer free (SLOT_TAKEN), from the calendar itself and the bookings stored but
 * not yet in it; call it holding `workspaceBookingLock`.
 */
export async function checkTimeFree(
  ctx: GraphContext,
  time: { serviceCode: string | null; start: Date; end: Date; argument?: string },
): Promise<void> {
  await checkSlotFree({
    calendar: ctx.workspace.sources.calendar,
    schedule: scheduleOf(ctx.hub, ctx.workspace),
    ...time,
    pending: await pendingBookings(ctx.hub.store.db, ctx.workspace.id),
    signal: ctx.signal,
  });
}

/**
 * A new booking; refused with SLOT_TAKEN when its time is no longer free. The free/busy check and
 * storing the operation happen under the workspace's booking lock, and the check counts bookings
 * stored but not yet in the calendar, so of two clients racing for a slot one wins, on any replica.
 */
async function createBooking(ctx: GraphContext, args: MutationCreateBookingArgs) {
  const lock = workspaceBookingLock(ctx);
  try {
    return await perform<CreateBookingInput>(
      ctx,
      'createBooking',
      args,
      async () => {
        const { input } = args;
        checkWindowOrder(input.start, input.end);
        const service = checkName(input.service, 'input.service');
        const deposit = input.deposit ? checkMoney(input.deposit, 'input.deposit') : null;
        const customer = await customerFor(ctx, input.customerId, 'input.customerId');
        if (!customer.email)
          throw badInput(`customer ${input.customerId} has no email to invite`, 'input.customerId');
        const [person, records] = await Promise.all([profile(customer, ctx), recordsOf(ctx, customer)]);
        await lock.acquire();
        // Read from the calendar itself, not the cache: the slot may have gone since it was offered.
        await checkTimeFree(ctx, {
          serviceCode: input.serviceCode ?? null,
          start: input.start,
          end: input.end,
        });
        const name = person?.name ?? customer.displayName;
        return prepareCreateBooking({
          customerId: customer.id,
          eventId: newEventId(),
          title: name ? `${service} — ${name}` : service,
          serviceCode: input.serviceCode?.trim() || null,
          start: input.start,
          end: input.end,
          attendee: { email: person?.email?.trim() || customer.email, name },
          deposit,
          records,
        });
      },
      lock.release,
    );
  } finally {
    await lock.release();
  }
}

export const bookingWriteResolvers: Resolvers = {
  BookingPayload: {
    operation: (op) => op,
    booking: (op, _, ctx) => {
      const eventId = op.context.eventId ?? op.input.eventId;
      return typeof eventId === 'string' ? orNull(ctx.loaders.booking.load(eventId)) : null;
    },
    deposit: (op, _, ctx) => {
      const orderId = op.context.depositOrderId ?? op.input.depositOrderId;
      return typeof orderId === 'string' ? orNull(ctx.loaders.order.load(orderId)) : null;
    },
  },
  Mutation: {
    createBooking: (_, args, ctx) => createBooking(ctx, args),

    rescheduleBooking: (_, args, ctx) =>
      perform<RescheduleBookingInput>(ctx, 'rescheduleBooking', args, async () => {
        checkWindowOrder(args.start, args.end);
        const { eventId, records } = await bookingContext(ctx, args.id);
        return prepareRescheduleBooking({ eventId, start: args.start, end: args.end, records });
      }),

    cancelBooking: (_, args, ctx) =>
      perform<CancelBookingInput>(ctx, 'cancelBooking', args, async () => {
        const { eventId, records } = await bookingContext(ctx, args.id);
        const properties = await ctx.workspace.sources.calendar.eventProperties(eventId);
        return prepareCancelBooking({
          eventId,
          depositOrderId: properties.depositOrderId ?? null,
          refundDeposit: args.refundDeposit ?? false,
          records,
        });
      }),
  },
};
