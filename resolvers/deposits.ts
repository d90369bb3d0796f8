import { GraphQLError } from 'graphql';
import type { MutationRequestDepositArgs, Resolvers } from '../src/graph/resolvers-types.generated.ts';
import type { GraphContext } from '../src/graph/context.ts';
import { badInput } from '../src/graph/errors.ts';
import { toGlobalId } from '../src/graph/ids.ts';
import { scheduleOf } from '../src/hub.ts';
import { serviceByCode } from '../src/availability/availability.ts';
import { createDepositStore, type DepositLinkRecord, type DepositLinkState } from '../src/deposits/store.ts';
import { depositLinkInput, recordDepositLink } from '../src/deposits/deposits.ts';
import type { RequestDepositInput } from '../src/operations/kinds/deposit.ts';
import { perform } from './operations.ts';
import { checkMoney } from './validate.ts';
import { orNull } from './write-helpers.ts';
import { bookingContext } from './booking-writes.ts';
import { profile } from './customer.ts';
import { formatMoney, link } from './shared.ts';

/** Where the payments page sends the customer back: the configured page, or the hub's own `/deposit/return`. */
export function depositReturnUrl(ctx: GraphContext): string {
  return ctx.hub.deposits.returnUrl ?? new URL('/deposit/return', ctx.request.url).toString();
}

async function requestDeposit(
  ctx: GraphContext,
  args: MutationRequestDepositArgs,
): Promise<DepositLinkRecord> {
  const deposits = createDepositStore(ctx.hub.store.db);
  let operation;
  try {
    operation = await perform<RequestDepositInput>(ctx, 'requestDeposit', args, async () => {
      const { eventId, event, customer, records } = await bookingContext(ctx, args.bookingId, 'bookingId');
      const service = serviceByCode(scheduleOf(ctx.hub, ctx.workspace), event.serviceCode);
      const amount = args.amount ? checkMoney(args.amount, 'amount') : service?.deposit;
      if (!amount)
        throw badInput(
          service
            ? `"amount" is needed: ${service.code} takes no deposit by default`
            : `"amount" is needed: booking ${args.bookingId} names no service of this business, so it has no default deposit`,
          'amount',
        );
      if (service && amount.currency !== service.price.currency)
        throw badInput(
          `"amount" must be in ${service.price.currency}, the booking's price's currency`,
          'amount',
        );
      if (service && amount.amount > service.price.amount)
        throw badInput(
          `the deposit ${formatMoney(amount)} is above the booking's price ${formatMoney(service.price)} (${service.code}); ask for at most the price`,
          'amount',
        );
      const earlier = await deposits.forBooking(ctx.workspace.id, eventId);
      const paid = earlier.find((d) => d.status === 'PAID');
      if (paid)
        throw badInput(
          `booking ${args.bookingId} is already paid: its deposit of ${formatMoney(paid.amount)} was paid at ${paid.paidAt?.toISOString() ?? 'a time not recorded'}`,
          'bookingId',
        );
      const open = earlier.find((d) => d.status === 'OPEN' && d.expiresAt && d.expiresAt > ctx.now);
      if (open && (open.amount.amount !== amount.amount || open.amount.currency !== amount.currency))
        throw badInput(
          `booking ${args.bookingId} has an open deposit link for ${formatMoney(open.amount)} until ${open.expiresAt!.toISOString()}; a second one for another amount could be paid twice: wait for it to expire`,
          'amount',
        );
      if (open) throw new ReturnOpen(open);
      if (!customer?.email)
        throw badInput(
          `booking ${args.bookingId} has no attendee who is a customer to ask for a deposit`,
          'bookingId',
        );
      const person = await profile(customer, ctx);
      const [first, ...rest] = (person?.name ?? customer.displayName ?? customer.email).split(' ');
      const payer = {
        email: person?.email?.trim() || customer.email,
        firstName: person?.firstName ?? first ?? customer.email,
        lastName: person?.lastName ?? (rest.join(' ') || '-'),
        phone: person?.phone ?? null,
      };
      const input = depositLinkInput({
        bookingEventId: eventId,
        amount,
        description: `Deposit: ${event.title}`,
        paymentsCustomerId: records?.payments ?? null,
        customerEmail: payer.email,
        customerId: customer.id,
        reference: eventId,
        returnUrl: depositReturnUrl(ctx),
        minutes: ctx.hub.deposits.minutes,
        now: ctx.now,
      });
      return {
        input: input as RequestDepositInput,
        alsoWrite: recordDepositLink(ctx.workspace.id, input, { holdsSlot: false, payer }),
      };
    });
  } catch (error) {
    if (error instanceof ReturnOpen) return error.link;
    throw error;
  }
  const depositId = String((operation.input as RequestDepositInput).depositId);
  const row = await deposits.get(ctx.workspace.id, depositId);
  if (row?.url) return row;
  throw new GraphQLError(
    `The payments system has not made the link yet (operation ${toGlobalId('Operation', operation.id)} is ${operation.state}); it is retried in the background: ask "depositLinks" again shortly.`,
    { extensions: { code: 'DEPOSIT_LINK_PENDING', operationId: toGlobalId('Operation', operation.id) } },
  );
}

/** Asking again while a link for the same amount is open returns it (not an error, not a second link). */
class ReturnOpen extends Error {
  constructor(readonly link: DepositLinkRecord) {
    super('an open deposit link exists');
  }
}

export const depositResolvers: Resolvers = {
  DepositLink: {
    url: (d) => d.url ?? '',
    expiresAt: (d) => d.expiresAt ?? d.createdAt,
    status: (d) => (d.status === 'PENDING' ? 'OPEN' : d.status),
    reference: (d) => d.reference ?? d.bookingEventId,
    booking: (d, _, ctx) => orNull(ctx.loaders.booking.load(d.bookingEventId)),
    operation: (d, _, ctx) => (d.settledBy ? ctx.hub.engine.get(ctx.workspace.id, d.settledBy) : null),
    links: (d) => (d.system && d.externalId ? [link(d.system, d.externalId, null)] : []),
  },
  Query: {
    depositLinks: async (_, args, ctx) => {
      const first = args.first ?? 50;
      if (first < 1 || first > 200) throw badInput('"first" must be from 1 to 200', 'first');
      const statuses = (args.status ?? null) as DepositLinkState[] | null;
      const rows = await createDepositStore(ctx.hub.store.db).list(ctx.workspace.id, statuses, first);
      // A link still being made has no address to show yet; its operation shows why.
      return rows.filter((r) => r.url);
    },
  },
  Mutation: {
    requestDeposit: (_, args, ctx) => requestDeposit(ctx, args),
  },
};
