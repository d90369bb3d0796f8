/**
 * Faults benchmark: the upstream policy layer (rate budgets, retries, the circuit breaker,
 * stale-if-error) seen from a client, with the vendor sandboxes misbehaving on purpose. Four
 * measurements, one per target of the issue "Staying up when vendors are slow, down or
 * rate-limited": Xero enforcing 60 calls a minute, the calendar slowed by 5 s, Xero fully down,
 * and 30% of every vendor's calls failing with a 503. Upstream calls are counted by the sandboxes
 * themselves (`/__sandbox/requests`), not by the hub.
 * Run: `npm run bench` (all) or `npm run bench -- faults`.
 */
import { execFileSync } from 'node:child_process';
import { constants as perf, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import type { Hub } from '../src/hub.ts';
import type { BoundSandbox as SandboxEndpoint } from '../src/sources.ts';
import { xero, XERO_RELAXED_LIMITS } from '../sources/xero/index.ts';
import { openStore, type Store } from '../src/store/store.ts';
import { backfillLinks } from '../src/links/backfill.ts';
import { startSandboxProcess, type SandboxProcess } from '../src/sandbox/process.ts';
import { clearFaults, clearRequestLog, injectFault } from '../harness/sandbox-admin.ts';
import {
  closeSources,
  median,
  ms,
  percentile,
  postGraphQL,
  sandboxHub,
  securedServer,
  sleep,
  table,
  type SecuredApp,
} from './support.ts';
import { QUERY } from './read-graph.ts';

const CUSTOMERS = 1_100;
const PAGE_SIZE = 100;

/** The customer-360 page of "read-graph": contact details, bookings, orders, invoices, totals. */
const PAGE = QUERY;

/** The same page without bookings: HubSpot, Stripe and Xero, never the calendar. */
const NO_BOOKINGS = /* GraphQL */ `
  query PageWithoutBookings($first: Int!) {
    customers(first: $first) {
      edges {
        node {
          id
          displayName
          email
          phone
          links {
            system
            externalId
          }
          orders(first: 10) {
            totalCount
            edges {
              node {
                status
                amount {
                  amount
                }
              }
            }
          }
          invoices(first: 10) {
            totalCount
            edges {
              node {
                number
                status
                amountDue {
                  amount
                }
              }
            }
          }
          outstandingBalance {
            amount
          }
          lifetimeValue {
            amount
          }
        }
      }
    }
  }
`;

/** Accounting only: links come from the hub's store, invoices and balances from Xero; no other vendor. */
const XERO_ONLY = /* GraphQL */ `
  query Invoices($first: Int!) {
    customers(first: $first) {
      edges {
        node {
          id
          links {
            system
            externalId
          }
          invoices(first: 10) {
            totalCount
            edges {
              node {
                number
                status
                amountDue {
                  amount
                }
              }
            }
          }
          outstandingBalance {
            amount
          }
        }
      }
    }
  }
`;

export type Vendor = 'hubspot' | 'google_calendar' | 'stripe' | 'xero';
export const VENDORS: Vendor[] = ['hubspot', 'google_calendar', 'stripe', 'xero'];

interface Notice {
  stale: boolean;
  reason: string;
  ageSeconds?: number;
}

interface GraphQLBody {
  data?: unknown;
  errors?: Array<{
    message: string;
    extensions?: { code?: string; source?: string; sourceCode?: string; reason?: string };
  }>;
  extensions?: { sources?: Record<string, Notice> };
}

/** One query as a client saw it. */
export interface Sample {
  name: string;
  /** When it was sent (ms since the epoch, to compare with the sandboxes' logs). */
  sentAt: number;
  ms: number;
  /** The HTTP status the hub answered. */
  status: number;
  errors: number;
  /** Errors with `extensions.sourceCode: RATE_LIMITED` (a vendor's 429 or the hub's budget refusal). */
  rateLimited: number;
  /** Errors with `extensions.sourceCode: TIMEOUT` (the request's deadline passed, or no answer in time). */
  timeouts: number;
  /** Each error as `source reason` (`xero RATE_BUDGET`, `stripe TIMEOUT`), or its code when no source failed. */
  kinds: string[];
  sources: Record<string, Notice>;
}

export interface Context {
  store: Store;
  sandboxes: SandboxProcess;
}

interface BenchHub extends SecuredApp {
  hub: Hub;
  close(): Promise<void>;
}

/**
 * A hub on the shared store (links are backfilled once; rotated Xero refresh tokens are kept there
 * so each new hub picks up the last one), with its own metrics and record cache.
 */
async function makeHub(ctx: Context, options: { limits?: false; cacheTtlMs: number }): Promise<BenchHub> {
  const hub = sandboxHub(ctx.sandboxes.endpoints, ctx.store, {
    limits: options.limits,
    cache: { ttlMs: options.cacheTtlMs },
  });
  return {
    hub,
    ...(await securedServer(hub)),
    close: async () => {
      await closeSources(hub);
    },
  };
}

export async function run(
  target: SecuredApp,
  name: string,
  query: string,
  first = PAGE_SIZE,
): Promise<Sample> {
  const sentAt = Date.now();
  const started = performance.now();
  const res = await postGraphQL(target, query, { first });
  const body = (await res.json()) as GraphQLBody;
  const elapsed = performance.now() - started;
  return {
    name,
    sentAt,
    ms: elapsed,
    status: res.status,
    errors: body.errors?.length ?? 0,
    rateLimited: body.errors?.filter((e) => e.extensions?.sourceCode === 'RATE_LIMITED').length ?? 0,
    timeouts: body.errors?.filter((e) => e.extensions?.sourceCode === 'TIMEOUT').length ?? 0,
    kinds: (body.errors ?? []).map(({ extensions: x }) =>
      x?.source ? `${x.source} ${x.reason ?? x.sourceCode}` : (x?.code ?? 'no code'),
    ),
    sources: body.extensions?.sources ?? {},
  };
}

/**
 * `clients` loops, each running `work` then pausing `thinkMs`, until `durationMs` has passed;
 * `progress` is called every `progressEveryMs`.
 */
export async function drive(
  clients: number,
  durationMs: number,
  thinkMs: number,
  work: () => Promise<Sample>,
  progress?: (elapsedMs: number, samples: Sample[]) => Promise<void> | void,
  progressEveryMs = 15_000,
): Promise<Sample[]> {
  const samples: Sample[] = [];
  const started = performance.now();
  const end = started + durationMs;
  const ticker = progress
    ? setInterval(() => void progress(performance.now() - started, samples), progressEveryMs)
    : undefined;
  try {
    await Promise.all(
      Array.from({ length: clients }, async (_, i) => {
        // Staggered starts, as users do not all click at the same millisecond.
        await sleep((i * thinkMs) / clients);
        while (performance.now() < end) {
          samples.push(await work());
          if (thinkMs > 0) await sleep(thinkMs);
        }
      }),
    );
  } finally {
    if (ticker) clearInterval(ticker);
  }
  return samples;
}

const endpoint = (ctx: Context, vendor: Vendor): SandboxEndpoint => {
  const found = ctx.sandboxes.all.find((s) => s.name === vendor);
  if (!found) throw new Error(`no ${vendor} sandbox`);
  return found;
};

interface LoggedEntry {
  at: string;
  operation: string;
  status: number;
}

/** API calls a sandbox received (not its admin surface, not Xero's token endpoint). */
const isApiCall = (operation: string) =>
  !operation.startsWith('admin.') && !operation.startsWith('identity.');

export async function apiCalls(ctx: Context): Promise<Record<Vendor, number>> {
  const out = { hubspot: 0, google_calendar: 0, stripe: 0, xero: 0 };
  await Promise.all(
    VENDORS.map(async (vendor) => {
      const res = await fetch(`${endpoint(ctx, vendor).url}/__sandbox/requests?limit=0`);
      const body = (await res.json()) as { byOperation: Record<string, number> };
      out[vendor] = Object.entries(body.byOperation)
        .filter(([op]) => isApiCall(op))
        .reduce((sum, [, n]) => sum + n, 0);
    }),
  );
  return out;
}

/** The last (up to 5,000, the log's capacity) API calls a sandbox received, and how many in all. */
export async function apiEntries(url: string): Promise<{ total: number; entries: LoggedEntry[] }> {
  const res = await fetch(`${url}/__sandbox/requests?limit=5000`);
  const body = (await res.json()) as { total: number; entries: LoggedEntry[] };
  return { total: body.total, entries: body.entries.filter((e) => isApiCall(e.operation)) };
}

const clearLogs = (ctx: Context) => clearRequestLog(...ctx.sandboxes.all.map((s) => s.url));

/** Sum of a counter's samples whose labels match. */
async function counter(hub: Hub, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = hub.metrics.registry.getSingleMetric(name);
  if (!metric) return NaN;
  const { values } = await metric.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, x]) => String(v.labels[k]) === x))
    .reduce((sum, v) => sum + v.value, 0);
}

async function perVendor(hub: Hub, name: string): Promise<Record<Vendor, number>> {
  const out = { hubspot: 0, google_calendar: 0, stripe: 0, xero: 0 };
  for (const vendor of VENDORS) out[vendor] = await counter(hub, name, { source: vendor });
  return out;
}

async function setXeroLimits(ctx: Context, limits: Record<string, number | boolean>): Promise<void> {
  const res = await fetch(`${endpoint(ctx, 'xero').url}/__sandbox/limits`, {
    method: 'POST',
    body: JSON.stringify(limits),
  });
  if (!res.ok) throw new Error(`the Xero sandbox refused its limits (${res.status}): ${await res.text()}`);
}

export interface Latency {
  runs: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export const latency = (samples: Sample[]): Latency => {
  const times = samples.map((s) => s.ms);
  return {
    runs: times.length,
    p50: median(times),
    p95: percentile(times, 95),
    p99: percentile(times, 99),
    max: times.length ? Math.max(...times) : NaN,
  };
};

const staleCount = (samples: Sample[], source: string) =>
  samples.filter((s) => s.sources[source]?.stale === true).length;

/** How often each reason appears on `source` in the responses' `extensions.sources`. */
const reasons = (samples: Sample[], source: string): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const s of samples) {
    const notice = s.sources[source];
    if (notice) {
      const key = `${notice.stale ? 'stale' : 'missing'} ${notice.reason}`;
      out[key] = (out[key] ?? 0) + 1;
    }
  }
  return out;
};

/** `stale RATE_BUDGET: 3, stale TIMEOUT: 1`, or `none`. */
export const describe = (counts: Record<string, number>) =>
  Object.entries(counts)
    .map(([k, n]) => `${k}: ${n}`)
    .join(', ') || 'none';

// --- a. Xero enforcing 60 calls a minute -----------------------------------------------------------

export const RATE = { clients: 4, durationMs: 75_000, thinkMs: 250, cacheTtlMs: 2_000 } as const;

export interface RateResult {
  latency: Latency;
  queries: number;
  withErrors: number;
  /** Responses carrying an error with `sourceCode: RATE_LIMITED`. */
  rateLimitedResponses: number;
  xeroStale: number;
  /** `stale|missing REASON: count` for Xero's and the other sources' notices. */
  notices: Record<string, Record<string, number>>;
  xeroCalls: number;
  /** 429s in the Xero sandbox's request log (and whether the log held every call). */
  sandbox429: number;
  logComplete: boolean;
  /** The hub's own count: `switchboard_upstream_requests_total{source="xero",status="429"}`. */
  metric429: number;
  budgetRejected: number;
  /** Most calls Xero received in any rolling 60 s (its limit is 60). */
  maxPerRollingMinute: number;
  /** Responses that took over a second (waited for a slot in Xero's budget). */
  waitedOverSecond: number;
  /** Of those, how many still came back with stale Xero data. */
  waitedThenStale: number;
  /** Those by the reason in their notice (`RATE_BUDGET`, `TIMEOUT`), and the slowest of them. */
  waitedThenStaleReasons: Record<string, number>;
  waitedThenStaleMax: number;
  staleLatency: Latency;
  /** Responses that came after the request deadline had passed (the deadline ended their wait). */
  overDeadline: number;
  durationMs: number;
  deadlineMs: number;
}

/** Most timestamps within any `spanMs` (sorted input). */
function densest(times: number[], spanMs: number): number {
  let best = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while ((times[i] as number) - (times[j] as number) >= spanMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

async function rateLimitedXero(ctx: Context, log: (line: string) => void): Promise<RateResult> {
  log(
    `faults a: Xero sandbox enforcing 60/min, 5,000/day, 5 concurrent; hub with default budgets; ${RATE.clients} clients, ${RATE.durationMs / 1000} s, cache TTL ${RATE.cacheTtlMs / 1000} s`,
  );
  // The backfill ran with relaxed limits; its calls are forgotten (`reset`) before Xero's own apply.
  await setXeroLimits(ctx, {
    perMinute: 60,
    perDay: 5_000,
    concurrent: 5,
    appPerMinute: 10_000,
    reset: true,
  });
  const h = await makeHub(ctx, { cacheTtlMs: RATE.cacheTtlMs });
  try {
    const warm = await run(h, 'page', PAGE);
    log(`  warm-up page: ${ms(warm.ms)}, ${warm.errors} errors`);
    await clearLogs(ctx);
    const xeroUrl = endpoint(ctx, 'xero').url;
    const started = performance.now();
    const samples = await drive(
      RATE.clients,
      RATE.durationMs,
      RATE.thinkMs,
      () => run(h, 'page', PAGE),
      async (elapsed, so) => {
        const { entries } = await apiEntries(xeroUrl);
        log(
          `  ${(elapsed / 1000).toFixed(0)} s: ${so.length} queries, Xero got ${entries.length} calls (${entries.filter((e) => e.status === 429).length} answered 429), ${staleCount(so, 'xero')} answers with stale Xero data, ${so.filter((s) => s.rateLimited > 0).length} with RATE_LIMITED errors`,
        );
      },
    );
    const durationMs = performance.now() - started;
    const { total, entries } = await apiEntries(xeroUrl);
    const waitedStale = samples.filter((s) => s.ms > 1_000 && s.sources.xero?.stale);
    const notices: Record<string, Record<string, number>> = {};
    for (const vendor of VENDORS) {
      const r = reasons(samples, vendor);
      if (Object.keys(r).length > 0) notices[vendor] = r;
    }
    const result: RateResult = {
      latency: latency(samples),
      queries: samples.length,
      withErrors: samples.filter((s) => s.errors > 0).length,
      rateLimitedResponses: samples.filter((s) => s.rateLimited > 0).length,
      xeroStale: staleCount(samples, 'xero'),
      notices,
      xeroCalls: entries.length,
      sandbox429: entries.filter((e) => e.status === 429).length,
      logComplete: total <= 5_000,
      metric429: await counter(h.hub, 'switchboard_upstream_requests_total', {
        source: 'xero',
        status: '429',
      }),
      budgetRejected: await counter(h.hub, 'switchboard_upstream_rejected_total', {
        source: 'xero',
        reason: 'rate_budget',
      }),
      maxPerRollingMinute: densest(
        entries.map((e) => Date.parse(e.at)).sort((a, b) => a - b),
        60_000,
      ),
      waitedOverSecond: samples.filter((s) => s.ms > 1_000).length,
      waitedThenStale: waitedStale.length,
      waitedThenStaleReasons: reasons(waitedStale, 'xero'),
      waitedThenStaleMax: latency(waitedStale).max,
      staleLatency: latency(samples.filter((s) => s.sources.xero?.stale)),
      overDeadline: samples.filter((s) => s.ms > h.hub.requestDeadlineMs).length,
      durationMs,
      deadlineMs: h.hub.requestDeadlineMs,
    };
    log(
      `  done: ${result.queries} queries, p50 ${ms(result.latency.p50)}, p95 ${ms(result.latency.p95)}, max ${ms(result.latency.max)}; Xero got ${result.xeroCalls} calls, sent ${result.sandbox429} 429s (hub counted ${result.metric429}); ${result.rateLimitedResponses} responses with RATE_LIMITED, ${result.withErrors} with any error, ${result.xeroStale} with stale Xero data; notices ${JSON.stringify(notices)}; most Xero calls in a rolling minute ${result.maxPerRollingMinute}; budget refusals ${result.budgetRejected}; ${result.waitedOverSecond} took over 1 s, ${result.waitedThenStale} of them stale; stale answers p50 ${ms(result.staleLatency.p50)}, max ${ms(result.staleLatency.max)}`,
    );
    return result;
  } finally {
    await h.close();
    await setXeroLimits(ctx, { ...XERO_RELAXED_LIMITS, reset: true });
  }
}

// --- b. The calendar slowed by 5 s ----------------------------------------------------------------

export const SLOW = {
  latencyMs: 5_000,
  phaseMs: 12_000,
  rounds: 2,
  clients: 2,
  thinkMs: 100,
  bookingEveryMs: 1_500,
  /**
   * The booking pages start this long before the measured clients, in both conditions, so that while
   * they are measured booking pages finish (and their 1.6 MB calendar listings are parsed) at the
   * same pace whether the calendar is slow or not.
   */
  leadMs: 6_000,
} as const;

export interface SlowRow {
  condition: 'unslowed' | 'calendar +5 s';
  /** A round of the alternation, or 'all' for the rounds pooled (what the target compares). */
  round: number | 'all';
  noBookings: Latency;
  bookings: Latency;
  calendarCalls: number;
  errors: number;
  /** Garbage collection in the hub's process while the pages without bookings were measured. */
  gc: GcTotals;
}

export interface GcTotals {
  /** Pause time of all collections, and of the major (mark-compact) ones. */
  ms: number;
  majorMs: number;
  majors: number;
}

/** Adds up the process's garbage-collection pauses until `stop()`. */
function watchGc(): { stop(): GcTotals } {
  const totals: GcTotals = { ms: 0, majorMs: 0, majors: 0 };
  const add = (entries: PerformanceEntry[]) => {
    for (const entry of entries) {
      totals.ms += entry.duration;
      const detail = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail;
      if (detail?.kind === perf.NODE_PERFORMANCE_GC_MAJOR) {
        totals.majorMs += entry.duration;
        totals.majors++;
      }
    }
  };
  const observer = new PerformanceObserver((list) => add(list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  return {
    stop() {
      add(observer.takeRecords());
      observer.disconnect();
      return totals;
    },
  };
}

export interface SlowResult {
  rows: SlowRow[];
  /** The rounds pooled, per condition. */
  unslowed: SlowRow;
  slowed: SlowRow;
}

async function slowCalendar(ctx: Context, log: (line: string) => void): Promise<SlowResult> {
  log(
    `faults b: calendar slowed by ${SLOW.latencyMs / 1000} s; ${SLOW.clients} clients on the page without bookings, a page with bookings started every ${SLOW.bookingEveryMs / 1000} s; ${SLOW.rounds} rounds of ${SLOW.phaseMs / 1000} s per condition`,
  );
  const h = await makeHub(ctx, { limits: false, cacheTtlMs: 0 });
  const calendar = endpoint(ctx, 'google_calendar').url;
  const rows: SlowRow[] = [];
  const pooled = {
    unslowed: {
      noBookings: [] as Sample[],
      bookings: [] as Sample[],
      calls: 0,
      gc: { ms: 0, majorMs: 0, majors: 0 },
    },
    'calendar +5 s': {
      noBookings: [] as Sample[],
      bookings: [] as Sample[],
      calls: 0,
      gc: { ms: 0, majorMs: 0, majors: 0 },
    },
  };
  const row = (
    condition: SlowRow['condition'],
    round: SlowRow['round'],
    noBookings: Sample[],
    bookings: Sample[],
    calendarCalls: number,
    gc: GcTotals,
  ): SlowRow => ({
    condition,
    round,
    noBookings: latency(noBookings),
    bookings: latency(bookings),
    calendarCalls,
    errors: [...noBookings, ...bookings].filter((s) => s.errors > 0).length,
    gc,
  });
  try {
    // Unmeasured: JIT, connection pools, the token.
    await run(h, 'page', PAGE);
    await run(h, 'no-bookings', NO_BOOKINGS);
    for (let round = 1; round <= SLOW.rounds; round++) {
      for (const condition of ['unslowed', 'calendar +5 s'] as const) {
        await clearFaults(calendar);
        if (condition !== 'unslowed') await injectFault(calendar, { latencyMs: SLOW.latencyMs });
        await clearLogs(ctx);
        // Booking pages on a fixed clock, the same number in both conditions: with the calendar slow,
        // about four are waiting on it at any moment while the other clients' pages run.
        const launched: Array<Promise<Sample>> = [];
        const end = performance.now() + SLOW.leadMs + SLOW.phaseMs;
        const launcher = (async () => {
          while (performance.now() < end) {
            launched.push(run(h, 'page', PAGE));
            await sleep(SLOW.bookingEveryMs);
          }
        })();
        await sleep(SLOW.leadMs);
        const gc = watchGc();
        const noBookings = await drive(SLOW.clients, SLOW.phaseMs, SLOW.thinkMs, () =>
          run(h, 'no-bookings', NO_BOOKINGS),
        );
        const gcTotals = gc.stop();
        await launcher;
        // The slow ones finish after the phase; the next phase starts without them.
        const bookings = await Promise.all(launched);
        const calls = (await apiCalls(ctx)).google_calendar;
        pooled[condition].noBookings.push(...noBookings);
        pooled[condition].bookings.push(...bookings);
        const into = pooled[condition];
        into.calls += calls;
        into.gc = {
          ms: into.gc.ms + gcTotals.ms,
          majorMs: into.gc.majorMs + gcTotals.majorMs,
          majors: into.gc.majors + gcTotals.majors,
        };
        const r = row(condition, round, noBookings, bookings, calls, gcTotals);
        rows.push(r);
        log(
          `  round ${round}, ${condition}: page without bookings ×${r.noBookings.runs} p50 ${ms(r.noBookings.p50)}, p95 ${ms(r.noBookings.p95)}; page with bookings ×${r.bookings.runs} p50 ${ms(r.bookings.p50)}; calendar calls ${calls}; ${r.errors} responses with errors; GC ${ms(gcTotals.ms)} (${gcTotals.majors} major, ${ms(gcTotals.majorMs)})`,
        );
      }
    }
  } finally {
    await clearFaults(calendar);
    await h.close();
  }
  const all = (condition: SlowRow['condition']) => {
    const p = pooled[condition];
    return row(condition, 'all', p.noBookings, p.bookings, p.calls, p.gc);
  };
  const unslowed = all('unslowed');
  const slowed = all('calendar +5 s');
  return { rows: [...rows, unslowed, slowed], unslowed, slowed };
}

/** Probes a breaker open for `spanMs` can send: one per cool-down, the breaker's default 5 s doubling to 60 s. */
function probesWithin(spanMs: number, firstMs = 5_000, maxMs = 60_000): number {
  let probes = 0;
  let at = firstMs;
  let cooldown = firstMs;
  while (at <= spanMs) {
    probes++;
    cooldown = Math.min(maxMs, cooldown * 2);
    at += cooldown;
  }
  return probes;
}

// --- c. Xero fully down ---------------------------------------------------------------------------

export const DOWN = {
  healthyMs: 8_000,
  maxToOpenMs: 30_000,
  openMs: 40_000,
  thinkMs: 50,
  cacheTtlMs: 1_000,
} as const;

export interface DownPhase {
  phase: 'healthy' | 'down, breaker closed' | 'down, breaker open';
  durationMs: number;
  xeroOnly: Latency;
  page: Latency;
  xeroCalls: number;
  /** Responses with `extensions.sources.xero.stale: true`, of all responses in the phase. */
  xeroStale: number;
  responses: number;
  withErrors: number;
}

export interface DownResult {
  phases: DownPhase[];
  healthy: DownPhase;
  closed: DownPhase;
  open: DownPhase;
  /** Seconds from the outage to the breaker opening; NaN when it did not open. */
  openedAfterMs: number;
  queriesToOpen: number;
  /** Seconds after the breaker opened at which Xero got a call (the probes). */
  probesAt: number[];
  /** Seconds from the breaker opening to the end of the measured open period. */
  openForS: number;
  /** Probes a breaker with the default cool-downs (5 s doubling to 60 s) sends in that time. */
  expectedProbes: number;
  /** The slowest Xero-only queries while open: latency, seconds after opening, and whether a probe went out with it. */
  slowestOpen: Array<{ ms: number; at: number; probe: boolean }>;
  /** The Xero-only queries while open, leaving out those that carried a probe. */
  withoutProbes: Latency;
  breakerAtEnd: string;
}

async function xeroDown(ctx: Context, log: (line: string) => void): Promise<DownResult> {
  log(
    `faults c: Xero fully down (every request answered 503); cache TTL ${DOWN.cacheTtlMs / 1000} s; one client alternating the Xero-only query and the page`,
  );
  const h = await makeHub(ctx, { limits: false, cacheTtlMs: DOWN.cacheTtlMs });
  const xero = endpoint(ctx, 'xero').url;
  const client = h.hub.defaultWorkspace.sources.accounting.client;
  const breakerState = async () => (await client.status()).breaker?.state ?? 'none';
  const phases: DownPhase[] = [];
  /** Alternates the two queries until `stop` says so. */
  const loop = async (stop: (samples: Sample[]) => Promise<boolean>) => {
    const samples: Sample[] = [];
    while (!(await stop(samples))) {
      samples.push(await run(h, 'xero-only', XERO_ONLY));
      await sleep(DOWN.thinkMs);
      samples.push(await run(h, 'page', PAGE));
      await sleep(DOWN.thinkMs);
    }
    return samples;
  };
  const phase = async (
    name: DownPhase['phase'],
    stop: (samples: Sample[], elapsedMs: number) => Promise<boolean>,
  ): Promise<{ row: DownPhase; samples: Sample[] }> => {
    await clearRequestLog(xero);
    const started = performance.now();
    const samples = await loop((s) => stop(s, performance.now() - started));
    const durationMs = performance.now() - started;
    const { entries } = await apiEntries(xero);
    const row: DownPhase = {
      phase: name,
      durationMs,
      xeroOnly: latency(samples.filter((s) => s.name === 'xero-only')),
      page: latency(samples.filter((s) => s.name === 'page')),
      xeroCalls: entries.length,
      xeroStale: staleCount(samples, 'xero'),
      responses: samples.length,
      withErrors: samples.filter((s) => s.errors > 0).length,
    };
    phases.push(row);
    log(
      `  ${name}: ${(durationMs / 1000).toFixed(1)} s, ${samples.length} queries; Xero-only p50 ${ms(row.xeroOnly.p50)} p99 ${ms(row.xeroOnly.p99)}; page p50 ${ms(row.page.p50)} p99 ${ms(row.page.p99)}; Xero got ${row.xeroCalls} calls (${(row.xeroCalls / (durationMs / 1000)).toFixed(2)}/s); stale Xero in ${row.xeroStale}/${row.responses}; ${row.withErrors} with errors`,
    );
    return { row, samples };
  };
  try {
    // Warm the cache, then let it lapse: every later query needs Xero again.
    await run(h, 'page', PAGE);
    await run(h, 'xero-only', XERO_ONLY);
    await sleep(DOWN.cacheTtlMs + 200);
    const healthy = await phase('healthy', async (_, elapsed) => elapsed >= DOWN.healthyMs);

    await injectFault(xero, { status: 503 });
    const outage = performance.now();
    let queriesToOpen = 0;
    let openedAfterMs = NaN;
    const closed = await phase('down, breaker closed', async (samples, elapsed) => {
      queriesToOpen = samples.length;
      if ((await breakerState()) !== 'closed') {
        openedAfterMs = performance.now() - outage;
        return true;
      }
      return elapsed >= DOWN.maxToOpenMs;
    });
    log(
      Number.isFinite(openedAfterMs)
        ? `  the breaker opened ${(openedAfterMs / 1000).toFixed(1)} s after the outage began, after ${queriesToOpen} queries`
        : `  the breaker did not open within ${DOWN.maxToOpenMs / 1000} s`,
    );
    const openedAt = (await client.status()).breaker?.openedAt?.getTime() ?? Date.now();
    const open = await phase('down, breaker open', async (_, elapsed) => elapsed >= DOWN.openMs);
    const { entries } = await apiEntries(xero);
    const probesAt = entries.map((e) => (Date.parse(e.at) - openedAt) / 1000);
    // A query carried a probe when Xero logged a call while it was running.
    const carriedProbe = (s: Sample) =>
      entries.some((e) => {
        const at = Date.parse(e.at);
        return at >= s.sentAt && at <= s.sentAt + s.ms + 5;
      });
    const xeroOnlyOpen = open.samples.filter((s) => s.name === 'xero-only');
    const slowestOpen = [...xeroOnlyOpen]
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 5)
      .map((s) => ({ ms: s.ms, at: (s.sentAt - openedAt) / 1000, probe: carriedProbe(s) }));
    const withoutProbes = latency(xeroOnlyOpen.filter((s) => !carriedProbe(s)));
    const breakerAtEnd = await breakerState();
    log(
      `  calls to Xero while open at ${probesAt.map((t) => `+${t.toFixed(1)} s`).join(', ') || 'none'} after it opened; breaker now ${breakerAtEnd}; slowest Xero-only queries while open: ${slowestOpen.map((q) => `${ms(q.ms)} sent at +${q.at.toFixed(1)} s${q.probe ? ' (probe)' : ''}`).join(', ')}; p99 without the probe-carrying ones ${ms(withoutProbes.p99)}`,
    );
    const openForS = (Date.now() - openedAt) / 1000;
    return {
      phases,
      healthy: healthy.row,
      closed: closed.row,
      open: open.row,
      openedAfterMs,
      queriesToOpen,
      probesAt,
      openForS,
      expectedProbes: probesWithin(openForS * 1000),
      slowestOpen,
      withoutProbes,
      breakerAtEnd,
    };
  } finally {
    await clearFaults(xero);
    await h.close();
  }
}

// --- d. 30% of every vendor's calls failing with a 503 --------------------------------------------

export const FLAKY = { runs: 150, share: 0.3 } as const;

export interface FlakyRow {
  condition: 'clean' | '30% 503';
  latency: Latency;
  runs: number;
  succeeded: number;
  /** Succeeded with some source's data served stale (and flagged). */
  stale: number;
  /** Responses with a source notice, by source and reason. */
  notices: Record<string, Record<string, number>>;
  calls: Record<Vendor, number>;
  retries: Record<Vendor, number>;
  /** Breakers seen not closed after a run (source names), if any. */
  breakersOpened: string[];
}

export interface FlakyResult {
  clean: FlakyRow;
  faults: FlakyRow;
}

async function flakyVendors(ctx: Context, log: (line: string) => void): Promise<FlakyResult> {
  log(
    `faults d: ${FLAKY.share * 100}% of every vendor's calls answered 503; ${FLAKY.runs} page queries one after another per condition, cache TTL 0 (every run refetches)`,
  );
  const h = await makeHub(ctx, { limits: false, cacheTtlMs: 0 });
  const rows: FlakyRow[] = [];
  const urls = ctx.sandboxes.all.map((s) => s.url);
  try {
    // Unmeasured: JIT and pools, and the copies stale-if-error serves once the vendors fail.
    await run(h, 'page', PAGE);
    for (const condition of ['clean', '30% 503'] as const) {
      await clearFaults(...urls);
      if (condition !== 'clean') {
        await Promise.all(urls.map((url) => injectFault(url, { status: 503, share: FLAKY.share })));
      }
      await clearLogs(ctx);
      const retriesBefore = await perVendor(h.hub, 'switchboard_upstream_retries_total');
      const samples: Sample[] = [];
      const opened = new Set<string>();
      for (let i = 0; i < FLAKY.runs; i++) {
        samples.push(await run(h, 'page', PAGE));
        for (const source of Object.values(h.hub.defaultWorkspace.sources)) {
          const state = (await source.client.status()).breaker?.state;
          if (state && state !== 'closed') opened.add(source.client.source);
        }
      }
      const retriesAfter = await perVendor(h.hub, 'switchboard_upstream_retries_total');
      const notices: Record<string, Record<string, number>> = {};
      for (const vendor of VENDORS) {
        const r = reasons(samples, vendor);
        if (Object.keys(r).length > 0) notices[vendor] = r;
      }
      const row: FlakyRow = {
        condition,
        latency: latency(samples),
        runs: samples.length,
        succeeded: samples.filter((s) => s.errors === 0).length,
        stale: samples.filter((s) => s.errors === 0 && Object.values(s.sources).some((n) => n.stale)).length,
        notices,
        calls: await apiCalls(ctx),
        retries: Object.fromEntries(VENDORS.map((v) => [v, retriesAfter[v] - retriesBefore[v]])) as Record<
          Vendor,
          number
        >,
        breakersOpened: [...opened],
      };
      rows.push(row);
      log(
        `  ${condition}: ${row.succeeded}/${row.runs} succeeded (${row.stale} with stale data), p50 ${ms(row.latency.p50)}, p95 ${ms(row.latency.p95)}; calls ${JSON.stringify(row.calls)} = ${totalCalls(row.calls)}; retries ${JSON.stringify(row.retries)} = ${totalCalls(row.retries)}; notices ${JSON.stringify(notices)}; breakers not closed: ${row.breakersOpened.join(', ') || 'none'}`,
      );
    }
  } finally {
    await clearFaults(...urls);
    await h.close();
  }
  const [clean, faults] = rows as [FlakyRow, FlakyRow];
  return { clean, faults };
}

// --- the scenario ---------------------------------------------------------------------------------

export interface FaultsResult {
  /** The commit the hub's code was at, and whether src/ or sources/ had changes not committed. */
  code: string;
  rate: RateResult;
  slow: SlowResult;
  down: DownResult;
  flaky: FlakyResult;
  markdown: { rate: string; slow: string; down: string; flaky: string };
}

export async function benchFaults(log: (line: string) => void): Promise<FaultsResult> {
  log(
    `faults: starting the sandboxes (a process each, relaxed limits) with ${CUSTOMERS.toLocaleString('en')} customers and backfilling links…`,
  );
  const sandboxes = await startSandboxProcess({
    customers: CUSTOMERS,
    relaxed: true,
    // The scenarios are written against Xero's limits and token endpoint.
    modules: { accounting: xero },
  });
  const store = await openStore({ url: ':memory:' });
  const ctx: Context = { store, sandboxes };
  try {
    await store.migrate();
    const backfill = await makeHub(ctx, { limits: false, cacheTtlMs: 0 });
    try {
      const report = await backfillLinks(backfill.hub, backfill.hub.defaultWorkspace);
      log(`  backfilled ${report.customers} customers, ${report.linksCreated} links`);
    } finally {
      await backfill.close();
    }
    const rate = await rateLimitedXero(ctx, log);
    const slow = await slowCalendar(ctx, log);
    const down = await xeroDown(ctx, log);
    const flaky = await flakyVendors(ctx, log);
    return { code: codeVersion(), rate, slow, down, flaky, markdown: render(rate, slow, down, flaky) };
  } finally {
    await store.close();
    await sandboxes.close();
  }
}

/** The hub's code is changing while this benchmark is read: say which version was measured. */
export function codeVersion(): string {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { encoding: 'utf8' }).trim();
    const dirty = git('status', '--porcelain', '--', 'src', 'sources', 'resolvers') !== '';
    return `commit ${git('rev-parse', '--short', 'HEAD')}${dirty ? ' with uncommitted changes in src/, sources/ or resolvers/' : ''}`;
  } catch {
    return 'an unknown commit';
  }
}

export const totalCalls = (r: Record<Vendor, number>) => Object.values(r).reduce((a, b) => a + b, 0);

function render(rate: RateResult, slow: SlowResult, down: DownResult, flaky: FlakyResult) {
  const notices = (n: Record<string, Record<string, number>>) =>
    Object.entries(n)
      .map(([source, r]) => `${source} (${describe(r)})`)
      .join('; ') || 'none';
  return {
    rate: table(
      [
        'clients',
        'duration',
        'queries',
        'p50',
        'p95',
        'p99',
        'max',
        'Xero calls (average a minute)',
        '429s Xero sent (hub counted)',
        'responses with RATE_LIMITED',
        'responses with errors',
        'stale Xero data',
        'notices in `extensions.sources`',
      ],
      [
        [
          RATE.clients,
          `${(rate.durationMs / 1000).toFixed(0)} s`,
          rate.queries,
          ms(rate.latency.p50),
          ms(rate.latency.p95),
          ms(rate.latency.p99),
          ms(rate.latency.max),
          `${rate.xeroCalls} (${((rate.xeroCalls / rate.durationMs) * 60_000).toFixed(1)})`,
          `${rate.logComplete ? rate.sandbox429 : 'n/a'} (${rate.metric429})`,
          rate.rateLimitedResponses,
          rate.withErrors,
          rate.xeroStale,
          notices(rate.notices),
        ],
      ],
    ),
    slow: table(
      [
        'condition',
        'round',
        'pages without bookings',
        'p50',
        'p95',
        'pages with bookings',
        'p50 (with bookings)',
        'calendar calls',
        'responses with errors',
        'GC pauses (major)',
      ],
      slow.rows.map((r) => [
        r.round === 'all' ? `**${r.condition}**` : r.condition,
        r.round === 'all' ? '**all**' : r.round,
        r.noBookings.runs,
        r.round === 'all' ? `**${ms(r.noBookings.p50)}**` : ms(r.noBookings.p50),
        r.round === 'all' ? `**${ms(r.noBookings.p95)}**` : ms(r.noBookings.p95),
        r.bookings.runs,
        ms(r.bookings.p50),
        r.calendarCalls,
        r.errors,
        `${ms(r.gc.ms)} (${r.gc.majors}: ${ms(r.gc.majorMs)})`,
      ]),
    ),
    down: table(
      [
        'phase',
        'duration',
        'queries',
        'Xero-only p50',
        'Xero-only p99',
        'page p50',
        'page p99',
        'Xero calls',
        'Xero calls/s',
        'stale Xero flagged',
        'responses with errors',
      ],
      down.phases.map((p) => [
        p.phase,
        `${(p.durationMs / 1000).toFixed(1)} s`,
        p.responses,
        ms(p.xeroOnly.p50),
        ms(p.xeroOnly.p99),
        ms(p.page.p50),
        ms(p.page.p99),
        p.xeroCalls,
        (p.xeroCalls / (p.durationMs / 1000)).toFixed(2),
        `${p.xeroStale} of ${p.responses}`,
        p.withErrors,
      ]),
    ),
    flaky: table(
      [
        'condition',
        'runs',
        'succeeded',
        'of which stale',
        'p50',
        'p95',
        'HubSpot',
        'Google',
        'Stripe',
        'Xero',
        'total calls',
        'retries (metric)',
        'notices in `extensions.sources`',
      ],
      [flaky.clean, flaky.faults].map((r) => [
        r.condition,
        r.runs,
        r.succeeded,
        r.stale,
        ms(r.latency.p50),
        ms(r.latency.p95),
        r.calls.hubspot,
        r.calls.google_calendar,
        r.calls.stripe,
        r.calls.xero,
        totalCalls(r.calls),
        totalCalls(r.retries),
        notices(r.notices),
      ]),
    ),
  };
}
