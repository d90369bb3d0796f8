/**
 * Customer-360 benchmark: the page query for 10, 100 and 1,000 customers, cold and warm cache,
 * with 0 ms and 50 ms added to every vendor request, with batching and caching on and off.
 * Upstream requests are counted by the sandboxes themselves (`/__sandbox/requests`).
 * Run: `npm run bench` (all) or `npm run bench -- read-graph`.
 */
import { openStore } from '../src/store/store.ts';
import { backfillLinks } from '../src/links/backfill.ts';
import { startSandboxProcess, type SandboxProcess } from '../src/sandbox/process.ts';
import {
  closeSources,
  median,
  ms,
  percentile,
  postGraphQL,
  sandboxHub,
  securedServer,
  table,
  type SecuredApp,
} from './support.ts';

export const QUERY = /* GraphQL */ `
  query Page($first: Int!) {
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
          bookings(first: 10) {
            totalCount
            edges {
              node {
                title
                start
                status
              }
            }
          }
          orders(first: 10) {
            totalCount
            edges {
              node {
                status
                amount {
                  amount
                }
                amountRefunded {
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
          syncIssues {
            kind
          }
        }
      }
    }
  }
`;

type Sandboxes = SandboxProcess;

interface Setup {
  sandboxes: Sandboxes;
  servers: Record<'on' | 'off', SecuredApp & { clearCache(): void }>;
  close(): Promise<void>;
}

async function setup(customers: number): Promise<Setup> {
  // Batching, not rate limits, is what this measures: the sandboxes relax the vendors' limits and
  // the hub's own rate budgets are off, so no call waits for a slot.
  const sandboxes = await startSandboxProcess({ customers, relaxed: true });
  const store = await openStore({ url: ':memory:' });
  await store.migrate();
  const make = (mode: 'on' | 'off') =>
    sandboxHub(sandboxes.endpoints, store, {
      limits: false,
      batching: mode === 'on',
      cache: { enabled: mode === 'on' },
    });
  const on = make('on');
  const off = make('off');
  await backfillLinks(on, on.defaultWorkspace);
  return {
    sandboxes,
    servers: {
      on: { ...(await securedServer(on)), clearCache: () => on.cache.clear() },
      off: { ...(await securedServer(off)), clearCache: () => off.cache.clear() },
    },
    async close() {
      await Promise.all([on, off].map(closeSources));
      await store.close();
      await sandboxes.close();
    },
  };
}

async function requestCounts(sandboxes: Sandboxes): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const s of sandboxes.all) {
    const body = (await (await fetch(`${s.url}/__sandbox/requests?limit=0`)).json()) as { total: number };
    out[s.name] = body.total;
  }
  return out;
}

const clearLogs = (sandboxes: Sandboxes) =>
  Promise.all(sandboxes.all.map((s) => fetch(`${s.url}/__sandbox/requests`, { method: 'DELETE' })));

async function setLatency(sandboxes: Sandboxes, latencyMs: number) {
  await Promise.all(sandboxes.all.map((s) => fetch(`${s.url}/__sandbox/faults`, { method: 'DELETE' })));
  if (latencyMs > 0) {
    await Promise.all(
      sandboxes.all.map((s) =>
        fetch(`${s.url}/__sandbox/faults`, { method: 'POST', body: JSON.stringify({ latencyMs }) }),
      ),
    );
  }
}

async function run(target: SecuredApp, first: number): Promise<number> {
  const started = performance.now();
  const res = await postGraphQL(target, QUERY, { first });
  const body = (await res.json()) as { errors?: Array<{ message: string }> };
  const elapsed = performance.now() - started;
  if (body.errors) throw new Error(`query failed: ${body.errors[0]?.message}`);
  return elapsed;
}

export interface ReadGraphRow {
  customers: number;
  latency: number;
  mode: 'on' | 'off';
  cache: 'cold' | 'warm';
  runs: number;
  p50: number;
  p95: number;
  requests: Record<string, number>;
}

export async function benchReadGraph(
  log: (line: string) => void,
): Promise<{ rows: ReadGraphRow[]; markdown: string }> {
  const rows: ReadGraphRow[] = [];
  log('read-graph: starting the sandboxes (another process) with 1,100 customers and backfilling links…');
  const s = await setup(1_100);
  try {
    for (const latency of [0, 50]) {
      await setLatency(s.sandboxes, latency);
      for (const customers of [10, 100, 1_000]) {
        for (const mode of ['on', 'off'] as const) {
          // Without batching every key is its own request: 1,000 customers at 50 ms is minutes, not a measurement.
          if (mode === 'off' && customers === 1_000) continue;
          const server = s.servers[mode];
          const runs = mode === 'off' ? 3 : customers === 1_000 ? 5 : 15;
          for (const cache of mode === 'on' ? (['cold', 'warm'] as const) : (['cold'] as const)) {
            const times: number[] = [];
            let requests: Record<string, number> = {};
            await run(server, customers); // warm the process (JIT, pools); not measured
            for (let i = 0; i < runs; i++) {
              if (cache === 'cold') server.clearCache();
              await clearLogs(s.sandboxes);
              times.push(await run(server, customers));
              requests = await requestCounts(s.sandboxes);
            }
            const row: ReadGraphRow = {
              customers,
              latency,
              mode,
              cache,
              runs,
              p50: median(times),
              p95: percentile(times, 95),
              requests,
            };
            rows.push(row);
            log(
              `  ${customers} customers, +${latency} ms, batching/cache ${mode}, ${cache}: p50 ${ms(row.p50)}, p95 ${ms(row.p95)}, requests ${JSON.stringify(requests)}`,
            );
          }
        }
      }
    }
  } finally {
    await s.close();
  }
  const total = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
  const markdown = table(
    [
      'customers',
      'added latency',
      'batching + cache',
      'cache',
      'runs',
      'p50',
      'p95',
      'HubSpot',
      'Google',
      'Stripe',
      'Xero',
      'total requests',
    ],
    rows.map((r) => [
      r.customers,
      `${r.latency} ms`,
      r.mode,
      r.cache,
      r.runs,
      ms(r.p50),
      ms(r.p95),
      r.requests.hubspot ?? 0,
      r.requests.google_calendar ?? 0,
      r.requests.stripe ?? 0,
      r.requests.xero ?? 0,
      total(r.requests),
    ]),
  );
  return { rows, markdown };
}
