import type { Resolvers } from '../src/graph/resolvers-types.generated.ts';
import { scheduleOf } from '../src/hub.ts';
import { busyKey, freeSlots } from '../src/availability/availability.ts';

/** `services` and `availability`: the booking journey's reads (src/availability/). */
export const availabilityResolvers: Resolvers = {
  Query: {
    services: (_, __, ctx) => [...scheduleOf(ctx.hub, ctx.workspace).services],
    availability: (_, args, ctx) =>
      freeSlots({
        schedule: scheduleOf(ctx.hub, ctx.workspace),
        service: args.service,
        from: args.from,
        to: args.to,
        now: new Date(),
        busy: (window) => ctx.loaders.calendarBusy.load(busyKey(window)),
      }),
  },
};
