/**
 * Availability benchmark: `availability` for a month of one service on the sandbox-mode hub as
 * `npm start` runs it (in this process, SQLite in memory, caches on, the seed's ±90 days of
 * bookings in the calendar sandbox), over HTTP with the development key:
 * - cold: the record cache cleared before each ask; the calendar requests each made (target: one
 *   freebusy.query) and the time;
 * - warm: the same ask again and again, answered from the cached busy periods (target: under 50 ms,
 *   no calendar request).
 * Run: `npm run bench -- availability`.
 */
import { startSandboxHub } from '../harness/sandbox-hub.ts';
import { clearRequestLog, requestLog } from '../harness/sandbox-admin.ts';

export const AVAILABILITY_BENCH = { cold: 20, warm: 200, service: 'SPORTS-60', days: 31 } as const;

export interface AvailabilityResult {
  slots: number;
  coldMs: number[];
  /** Calendar requests each cold ask made, by operation. */
  coldRequests: Array<Record<string, number>>;
  warmMs: number[];
  /** Calendar requests over all the warm asks. */
  warmRequests: number;
}

const QUERY = `query($service: String!, $from: DateTime!, $to: DateTime!) {
  availability(service: $service, from: $from, to: $to) { start end } }`;

export async function benchAvailability(log: (line: string) => void): Promise<AvailabilityResult> {
  const hub = await startSandboxHub();
  try {
    const calendar = hub.sandboxes.calendar.url;
    const from = new Date();
    const variables = {
      service: AVAILABILITY_BENCH.service,
      from: from.toISOString(),
      to: new Date(from.getTime() + AVAILABILITY_BENCH.days * 86_400_000).toISOString(),
    };
    const ask = async () => {
      const started = performance.now();
      const answer = await hub.gql(QUERY, variables);
      const took = performance.now() - started;
      if (answer.errors) throw new Error(`availability failed: ${JSON.stringify(answer.errors)}`);
      return { took, slots: (answer.data.availability as unknown[]).length };
    };
    await ask(); // the first request of a process compiles and warms the code paths
    const coldMs: number[] = [];
    const coldRequests: Array<Record<string, number>> = [];
    let slots = 0;
    for (let i = 0; i < AVAILABILITY_BENCH.cold; i++) {
      hub.app.hub.cache.clear();
      await clearRequestLog(calendar);
      const { took, slots: n } = await ask();
      coldMs.push(took);
      coldRequests.push((await requestLog(calendar)).byOperation);
      slots = n;
    }
    log(`availability: cold ${coldMs.map((t) => t.toFixed(1)).join(', ')} ms`);
    await clearRequestLog(calendar);
    const warmMs: number[] = [];
    for (let i = 0; i < AVAILABILITY_BENCH.warm; i++) warmMs.push((await ask()).took);
    const warmRequests = (await requestLog(calendar)).total;
    log(`availability: ${slots} slots; warm ${warmRequests} calendar requests`);
    return { slots, coldMs, coldRequests, warmMs, warmRequests };
  } finally {
    await hub.close();
  }
}
