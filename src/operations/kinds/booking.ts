import type { Money } from '../../domain/model.ts';
import type { OperationKind, StepDefinition } from '../engine.ts';
import { createOrderStep, type IsoDate, type PeopleRecords, type Prepared } from './shared.ts';

export function prepareCreateBooking(booking: {
  customerId: string;
  eventId: string;
  title: string;
  serviceCode: string | null;
  start: Date;
  end: Date;
  attendee: { email: string; name: string | null };
  deposit: Money | null;
  records: PeopleRecords;
}): Prepared<CreateBookingInput> {
  const { records, start, end, ...rest } = booking;
  return {
    input: {
      ...rest,
      start: start.toISOString(),
      end: end.toISOString(),
      paymentsCustomerId: records.payments,
      crmContactId: records.crm,
    },
  };
}

export function prepareRescheduleBooking(move: {
  eventId: string;
  start: Date;
  end: Date;
  records: PeopleRecords | null;
}): Prepared<RescheduleBookingInput> {
  return {
    input: {
      eventId: move.eventId,
      start: move.start.toISOString(),
      end: move.end.toISOString(),
      crmContactId: move.records?.crm ?? null,
    },
  };
}

export function prepareCancelBooking(cancel: {
  eventId: string;
  depositOrderId: string | null;
  refundDeposit: boolean;
  records: PeopleRecords | null;
}): Prepared<CancelBookingInput> {
  return {
    input: {
      eventId: cancel.eventId,
      depositOrderId: cancel.depositOrderId,
      refundDeposit: cancel.refundDeposit,
      paymentsCustomerId: cancel.records?.payments ?? null,
      crmContactId: cancel.records?.crm ?? null,
    },
  };
}

/**
 * The CRM's next-booking date: one step shared by the booking operations, reading the contact and
 * the date (null clears it) from each operation's own input.
 */
function nextBookingStep<I>(pick: (input: I) => { contactId: string; at: string | null }): StepDefinition<I> {
  return {
    role: 'crm',
    async run(ctx) {
      const { contactId, at } = pick(ctx.operation.input);
      await ctx.workspace.sources.crm.updateContact(
        contactId,
        { nextBookingAt: at ? new Date(at) : null },
        { idempotencyKey: ctx.step.idempotencyKey },
      );
      return {};
    },
    invalidates: (ctx) => ctx.keys.personChanged('crm', pick(ctx.operation.input).contactId),
  };
}

export interface CreateBookingInput extends Record<string, unknown> {
  customerId: string;
  /** Client-chosen event id (the calendar's rules: see `EventInput.id`): the insert's idempotency key. */
  eventId: string;
  title: string;
  serviceCode: string | null;
  start: IsoDate;
  end: IsoDate;
  attendee: { email: string; name: string | null };
  deposit: Money | null;
  paymentsCustomerId: string | null;
  crmContactId: string | null;
}

/**
 * A booking: the deposit's payment intent first (so the event can name it), then the calendar
 * event, then the CRM's next-booking date. A calendar refusal cancels the deposit.
 */
export const createBooking: OperationKind<CreateBookingInput> = {
  kind: 'createBooking',
  plan: (input) => [
    ...(input.deposit ? ['payments.createDeposit'] : []),
    'calendar.createEvent',
    ...(input.crmContactId ? ['crm.setNextBooking'] : []),
  ],
  steps: {
    'payments.createDeposit': createOrderStep('depositOrderId', (ctx) => ({
      amount: ctx.operation.input.deposit as Money,
      description: `Deposit: ${ctx.operation.input.title}`,
      metadata: {
        booking_ref: ctx.operation.input.eventId,
        switchboard_customer: ctx.operation.input.customerId,
        switchboard_operation: ctx.operation.id,
      },
    })),
    'calendar.createEvent': {
      role: 'calendar',
      async run(ctx) {
        const input = ctx.operation.input;
        const deposit = ctx.operation.context.depositOrderId;
        await ctx.workspace.sources.calendar.createEvent({
          id: input.eventId,
          title: input.title,
          start: new Date(input.start),
          end: new Date(input.end),
          attendee: input.attendee,
          serviceCode: input.serviceCode,
          properties: {
            bookingRef: input.eventId,
            switchboardCustomerId: input.customerId,
            ...(typeof deposit === 'string' ? { depositOrderId: deposit } : {}),
          },
        });
        return { eventId: input.eventId };
      },
      async compensate(ctx) {
        await ctx.workspace.sources.calendar.cancelEvent(ctx.operation.input.eventId);
      },
      invalidates: (ctx) => ctx.keys.bookingChanged(ctx.operation.input.eventId),
    },
    'crm.setNextBooking': nextBookingStep((input) => ({
      contactId: input.crmContactId as string,
      at: input.start,
    })),
  },
};

export interface RescheduleBookingInput extends Record<string, unknown> {
  eventId: string;
  start: IsoDate;
  end: IsoDate;
  crmContactId: string | null;
}

/** The event moves; the CRM's next-booking date follows. */
export const rescheduleBooking: OperationKind<RescheduleBookingInput> = {
  kind: 'rescheduleBooking',
  plan: (input) => ['calendar.moveEvent', ...(input.crmContactId ? ['crm.setNextBooking'] : [])],
  steps: {
    'calendar.moveEvent': {
      role: 'calendar',
      async run(ctx) {
        const { eventId, start, end } = ctx.operation.input;
        await ctx.workspace.sources.calendar.moveEvent(eventId, { from: new Date(start), to: new Date(end) });
        return { eventId };
      },
      invalidates: (ctx) => ctx.keys.bookingChanged(ctx.operation.input.eventId),
    },
    'crm.setNextBooking': nextBookingStep((input) => ({
      contactId: input.crmContactId as string,
      at: input.start,
    })),
  },
};

export interface CancelBookingInput extends Record<string, unknown> {
  eventId: string;
  /** The deposit's order, read from the event when the cancellation was asked for. */
  depositOrderId: string | null;
  /** Refund a paid deposit; an unpaid one is cancelled either way. */
  refundDeposit: boolean;
  paymentsCustomerId: string | null;
  crmContactId: string | null;
}

/** The event is cancelled, the deposit refunded or cancelled, the CRM's next-booking date cleared. */
export const cancelBooking: OperationKind<CancelBookingInput> = {
  kind: 'cancelBooking',
  plan: (input) => [
    'calendar.cancelEvent',
    ...(input.depositOrderId ? ['payments.settleDeposit'] : []),
    ...(input.crmContactId ? ['crm.clearNextBooking'] : []),
  ],
  steps: {
    'calendar.cancelEvent': {
      role: 'calendar',
      async run(ctx) {
        await ctx.workspace.sources.calendar.cancelEvent(ctx.operation.input.eventId);
        return { eventId: ctx.operation.input.eventId };
      },
      invalidates: (ctx) => ctx.keys.bookingChanged(ctx.operation.input.eventId),
    },
    'payments.settleDeposit': {
      role: 'payments',
      async run(ctx) {
        const { depositOrderId, refundDeposit } = ctx.operation.input;
        const payments = ctx.workspace.sources.payments;
        const [order] = await payments.getOrders([depositOrderId as string]);
        if (!order || order instanceof Error) throw order ?? new Error(`deposit ${depositOrderId} not found`);
        if (order.status === 'SUCCEEDED') {
          if (!refundDeposit || order.amountRefunded.amount >= order.amountReceived.amount)
            return { deposit: 'kept' };
          const refund = await payments.refundOrder(order.externalId, null, {
            idempotencyKey: ctx.step.idempotencyKey,
          });
          return { deposit: 'refunded', refundId: refund.externalId };
        }
        if (order.status === 'CANCELED') return { deposit: 'cancelled' };
        await payments.cancelOrder(order.externalId, { idempotencyKey: ctx.step.idempotencyKey });
        return { deposit: 'cancelled' };
      },
      invalidates: (ctx) =>
        ctx.keys.orderChanged(ctx.operation.input.paymentsCustomerId, ctx.operation.input.depositOrderId),
    },
    'crm.clearNextBooking': nextBookingStep((input) => ({
      contactId: input.crmContactId as string,
      at: null,
    })),
  },
};

export interface SetNextBookingInput extends Record<string, unknown> {
  crmContactId: string;
  /** ISO time of the customer's next booking, or null when they have none. */
  nextBookingAt: IsoDate | null;
}

/** The CRM's next-booking date, recomputed from the calendar (sync rule "calendar to CRM"). */
export const setNextBooking: OperationKind<SetNextBookingInput> = {
  kind: 'setNextBooking',
  plan: () => ['crm.setNextBooking'],
  steps: {
    'crm.setNextBooking': nextBookingStep((input) => ({
      contactId: input.crmContactId,
      at: input.nextBookingAt,
    })),
  },
};
