/**
 * Cold-start benchmark: 200 clients on a freshly started hub (empty record cache, fresh rate
 * budgets, no tokens in memory) over vendor sandboxes enforcing the vendors' own limits, each client
 * looping the customer-360 page for 20 customers for 20 s. Run twice, with in-flight coalescing on
 * (the default) and off, each on sandboxes whose limit windows start empty. Upstream requests are
 * counted by the sandboxes themselves (`/__sandbox/requests`), not by the hub.
 * Run: `npm run bench` (all) or `npm run bench -- cold-start`.
 */
import { xero } from '../sources/xero/index.ts';
import { openStore } from '../src/store/store.ts';
import { backfillLinks } from '../src/links/backfill.ts';
import { startSandboxProcess } from '../src/sandbox/process.ts';
import {
  apiCalls,
  apiEntries,
  codeVersion,
  describe,
  drive,
  latency,
  run,
  totalCalls,
  VENDORS,
  type Context,
  type Latency,
  type Sample,
  type Vendor,
} from './faults.ts';
import { QUERY } from './read-graph.ts';
import { closeSources, ms, sandboxHub, securedServer, table } from './support.ts';

export const COLD = {
  clients: 200,
  durationMs: 20_000,
  thinkMs: 100,
  pageSize: 20,
  customers: 1_100,
  progressEveryMs: 5_000,
} as const;

export interface ColdStartRow {
  coalesce: boolean;
  /** From the first client's start to the last response (requests in flight at 20 s are waited for). */
  durationMs: number;
  requests: number;
  /** Responses with GraphQL errors or an HTTP status other than 200. */
  errors: number;
  /** Of those, responses with an HTTP status other than 200. */
  httpFailures: number;
  /** Responses with an error whose `extensions.sourceCode` is `TIMEOUT` (the request deadline, mostly). */
  timeouts: number;
  /** Errors over all responses, by `source reason` (`xero RATE_BUDGET`, `stripe TIMEOUT`). */
  kinds: Record<string, number>;
  latency: Latency;
  /** Requests sent in the first second (each client's first: they wait for the cold fetches), and the others. */
  firstSecond: Latency;
  afterFirstSecond: Latency;
  /** API calls each vendor's sandbox logged (not its admin surface, not Xero's token endpoint). */
  upstream: Record<Vendor, number>;
  /** Of those, the ones the sandbox answered 429 (HubSpot and Xero enforce their limits). */
  rejected: Record<Vendor, number>;
  /** The hub's request deadline. */
  deadlineMs: number;
}

export interface ColdStartResult {
  /** The commit the hub's code was at, and whether src/ or sources/ had changes not committed. */
  code: string;
  on: ColdStartRow;
  off: ColdStartRow;
  markdown: string;
}

const LABELS: Record<Vendor, string> = {
  hubspot: 'HubSpot',
  google_calendar: 'Google',
  stripe: 'Stripe',
  xero: 'Xero',
};

/**
 * A sandbox's admin read, tried a second time if its connection fails: under this load the bench
 * process's event loop lags, and a kept-alive socket the sandbox has already closed can be reused
 * (ECONNRESET).
 */
const admin = <T>(read: () => Promise<T>): Promise<T> => read().catch(() => read());

const failed = (s: Sample) => s.errors > 0 || s.status !== 200;

function summarise(coalesce: boolean, samples: Sample[], durationMs: number, startedAt: number) {
  const first = (s: Sample) => s.sentAt < startedAt + 1_000;
  const kinds: Record<string, number> = {};
  for (const kind of samples.flatMap((s) => s.kinds)) kinds[kind] = (kinds[kind] ?? 0) + 1;
  return {
    coalesce,
    durationMs,
    requests: samples.length,
    errors: samples.filter(failed).length,
    httpFailures: samples.filter((s) => s.status !== 200).length,
    timeouts: samples.filter((s) => s.timeouts > 0).length,
    kinds,
    latency: latency(samples),
    firstSecond: latency(samples.filter(first)),
    afterFirstSecond: latency(samples.filter((s) => !first(s))),
  };
}

/**
 * Every count a sandbox keeps starts over: its limit windows, request log and faults (its data goes
 * back to the same seed; Xero's tokens stay).
 */
async function resetSandboxes(ctx: Context): Promise<void> {
  await Promise.all(
    ctx.sandboxes.all.map(async (s) => {
      const res = await fetch(`${s.url}/__sandbox/reset`, { method: 'POST' });
      if (!res.ok) throw new Error(`resetting the ${s.name} sandbox answered ${res.status}`);
    }),
  );
}

/** 429s in each sandbox's log of API calls. */
async function rejectedCalls(ctx: Context, log: (line: string) => void): Promise<Record<Vendor, number>> {
  const out = { hubspot: 0, google_calendar: 0, stripe: 0, xero: 0 };
  await Promise.all(
    ctx.sandboxes.all.map(async (s) => {
      const { total, entries } = await admin(() => apiEntries(s.url));
      if (total > 5_000) log(`  (the ${s.name} log kept only the last 5,000 of ${total} requests)`);
      out[s.name as Vendor] = entries.filter((e) => e.status === 429).length;
    }),
  );
  return out;
}

async function coldStart(coalesce: boolean, log: (line: string) => void): Promise<ColdStartRow> {
  const condition = coalesce ? 'coalescing and response cache on' : 'both off';
  log(
    `cold-start, ${condition}: starting the sandboxes (a process each, the vendors' limits) with ${COLD.customers.toLocaleString('en')} customers and backfilling links…`,
  );
  const sandboxes = await startSandboxProcess({
    customers: COLD.customers,
    relaxed: false,
    modules: { accounting: xero },
  });
  const store = await openStore({ url: ':memory:' });
  const ctx: Context = { store, sandboxes };
  try {
    await store.migrate();
    // The hub's start-up, not measured, by a hub of its own: links backfilled, and one page to warm the
    // process (JIT) so that both conditions start equally warm. Xero's rotated refresh token stays in the store.
    const startup = sandboxHub(sandboxes.endpoints, store);
    try {
      const report = await backfillLinks(startup, startup.defaultWorkspace);
      const warm = await run(await securedServer(startup), 'page', QUERY, COLD.pageSize);
      log(
        `  backfilled ${report.customers} customers, ${report.linksCreated} links; warm-up page ${ms(warm.ms)}, ${warm.errors} errors`,
      );
    } finally {
      await closeSources(startup);
    }
    await resetSandboxes(ctx);
    // A fresh hub: its record cache is empty, its rate budgets and circuit breakers new.
    // "off" is the hub as it was before both: no in-flight coalescing and no response cache.
    const hub = sandboxHub(sandboxes.endpoints, store, {
      cache: { coalesce },
      responses: { enabled: coalesce },
    });
    try {
      const app = await securedServer(hub);
      log(
        `  ${COLD.clients} clients, ${COLD.durationMs / 1000} s, the ${COLD.pageSize}-customer page, ${COLD.thinkMs} ms between runs`,
      );
      const startedAt = Date.now();
      const started = performance.now();
      const samples = await drive(
        COLD.clients,
        COLD.durationMs,
        COLD.thinkMs,
        () => run(app, 'page', QUERY, COLD.pageSize),
        async (elapsed, so) => {
          const now = summarise(coalesce, so, elapsed, startedAt);
          // Progress only: a failed read must not end the run (drive does not wait for this).
          const calls = await admin(() => apiCalls(ctx)).then(
            (c) => `${JSON.stringify(c)} = ${totalCalls(c)}`,
            (error: Error) => `not read (${error.message})`,
          );
          log(
            `  ${(elapsed / 1000).toFixed(0)} s: ${now.requests} queries, ${now.errors} with errors, ${now.timeouts} with timeouts, p99 ${ms(now.latency.p99)}; upstream ${calls}`,
          );
        },
        COLD.progressEveryMs,
      );
      const row: ColdStartRow = {
        ...summarise(coalesce, samples, performance.now() - started, startedAt),
        upstream: await admin(() => apiCalls(ctx)),
        rejected: await rejectedCalls(ctx, log),
        deadlineMs: hub.requestDeadlineMs,
      };
      log(
        `  done (${condition}): ${row.requests} queries in ${(row.durationMs / 1000).toFixed(1)} s, ${row.errors} with errors (${row.httpFailures} HTTP failures), ${row.timeouts} with timeouts; p50 ${ms(row.latency.p50)}, p95 ${ms(row.latency.p95)}, p99 ${ms(row.latency.p99)}, max ${ms(row.latency.max)} (sent in the first second: ${row.firstSecond.runs}, p99 ${ms(row.firstSecond.p99)}; later: p99 ${ms(row.afterFirstSecond.p99)}); upstream ${JSON.stringify(row.upstream)} = ${totalCalls(row.upstream)}, 429s ${JSON.stringify(row.rejected)}; errors: ${describe(row.kinds)}`,
      );
      return row;
    } finally {
      await closeSources(hub);
    }
  } finally {
    await store.close();
    await sandboxes.close();
  }
}

export async function benchColdStart(log: (line: string) => void): Promise<ColdStartResult> {
  // Read now: the hub's code was loaded when this process started, and may be committed while it runs.
  const code = codeVersion();
  const on = await coldStart(true, log);
  const off = await coldStart(false, log);
  const markdown = table(
    [
      'coalescing',
      'duration',
      'requests',
      'errors (HTTP failures)',
      'timeouts',
      'p50',
      'p95',
      'p99',
      ...VENDORS.map((v) => `${LABELS[v]} (429s)`),
      'upstream total',
      'errors by source and reason',
    ],
    [on, off].map((r) => [
      r.coalesce ? 'on' : 'off',
      `${(r.durationMs / 1000).toFixed(1)} s`,
      r.requests,
      `${r.errors} (${r.httpFailures})`,
      r.timeouts,
      ms(r.latency.p50),
      ms(r.latency.p95),
      ms(r.latency.p99),
      ...VENDORS.map((v) => `${r.upstream[v]} (${r.rejected[v]})`),
      totalCalls(r.upstream),
      describe(r.kinds),
    ]),
  );
  return { code, on, off, markdown };
}
