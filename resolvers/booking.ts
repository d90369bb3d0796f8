import { normaliseEmail } from '../src/domain/model.ts';
import type { Resolvers } from '../src/graph/resolvers-types.generated.ts';
import { checkFirst, sliceConnection } from '../src/graph/connection.ts';
import { expectGlobalId, splitSourceId, toGlobalId } from '../src/graph/ids.ts';
import { checkWindow, link, windowKey } from './shared.ts';

export const bookingResolvers: Resolvers = {
  Booking: {
    id: (b) => toGlobalId('Booking', `${b.source}:${b.externalId}`),
    links: (b) => [link(b.source, b.externalId, b.url)],
    customer: async (b, _, ctx) => {
      for (const email of b.attendeeEmails) {
        const normalised = normaliseEmail(email);
        const customer = normalised ? await ctx.loaders.customerByEmail.load(normalised) : null;
        if (customer) return customer;
      }
      return null;
    },
  },
  Query: {
    booking: async (_, { id }, ctx) => {
      const parsed = splitSourceId(expectGlobalId(id, 'Booking'));
      if (!parsed || parsed.system !== ctx.workspace.sources.calendar.name) return null;
      return ctx.loaders.booking.load(parsed.externalId);
    },
    bookings: async (_, args, ctx) => {
      checkWindow(args.from, args.to);
      const first = checkFirst(args.first, 500, 50);
      const statuses = args.status ? new Set<string>(args.status) : null;
      const events = (await ctx.loaders.calendarWindow.load(windowKey(args.from, args.to)))
        .filter((e) => e.start >= args.from && e.start < args.to && (!statuses || statuses.has(e.status)))
        .sort((a, b) => a.start.getTime() - b.start.getTime());
      return sliceConnection(events, first, args.after);
    },
  },
};
