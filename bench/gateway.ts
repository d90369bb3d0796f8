/**
 * Switchboard against GraphQL Mesh on Hive Gateway, over the same four vendor sandboxes: the
 * customer-360 page cold (vendor requests and time), warm under load (both with their response
 * caches), and a pass-through read of 20 CRM contacts under load (no caches on either side). Each
 * gateway runs in a child process of its own and its CPU time is read from /proc/<pid>/stat; the
 * load comes from this process. The Mesh side is in ./gateway/.
 * Run: `npm run bench` (all) or `npm run bench -- gateway`.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { startSandboxProcess, type SandboxProcess } from '../src/sandbox/process.ts';
import { hubProcess, liveVendorEnv, type HubProcess } from '../harness/hub-process.ts';
import { QUERY } from './read-graph.ts';
import { median, ms, percentile, table } from './support.ts';
import { composeSupergraph, CREDENTIAL_VARS } from './gateway/subgraphs.ts';

export const GATEWAY = {
  /** The seeded business (as in "read-graph": about 2,400 events in the bookings window). */
  customers: 1_100,
  coldPage: 100,
  coldRounds: 3,
  /** Customer-360 pages with no cache, on processes already warm: runs per side. */
  uncachedRuns: 5,
  loadPage: 20,
  concurrency: 20,
  warmUpMs: 2_000,
  durationMs: 10_000,
  rounds: 3,
} as const;

/**
 * The pass-through read again, each side with its response cache off and nothing else: Switchboard
 * keeps its record cache (vendor records kept true by webhooks), which Hive Gateway has no
 * counterpart of. Issue 14's pass-through target names only the response cache.
 */
export const RECORDS = 'pass-through, response caches off';

type Vendor = 'hubspot' | 'google_calendar' | 'stripe' | 'xero';
const VENDORS: Vendor[] = ['hubspot', 'google_calendar', 'stripe', 'xero'];
const LABELS: Record<Vendor, string> = {
  hubspot: 'HubSpot',
  google_calendar: 'Google',
  stripe: 'Stripe',
  xero: 'Xero',
};

export type Side = 'Switchboard' | 'Hive Gateway';

export interface GatewayRow {
  part: 'cold' | 'uncached' | 'warm' | 'pass-through' | typeof RECORDS;
  side: Side;
  /** How that side was configured for the part. */
  setup: string;
  /** 1, 2, 3…; 0 is the median of the rounds. */
  round: number;
  /** Customers (contacts) a query asks for. */
  customers: number;
  /** Clients sending at once (1 for the cold and uncached parts). */
  concurrency: number;
  /** Measured time: one query (cold), or from the first request sent to the last answer (load). */
  durationMs: number;
  queries: number;
  /** Answers with an HTTP status other than 200, GraphQL errors, or not the expected number of customers. */
  errors: number;
  perSecond: number;
  p50: number;
  p99: number;
  /** The gateway process's user + system CPU time over the measured time, per query. */
  cpuMsPerQuery: number;
  /** Of the measured time, how much the gateway process was on a CPU (1 = one core throughout). */
  gatewayBusy: number;
  /** The same for this process, which sends the load and checks the answers. */
  clientBusy: number;
  /** API calls the sandboxes logged over the measured time (not their admin surface or token endpoints). */
  requests: Record<Vendor, number>;
  /** The same calls by vendor and operation (`stripe customers.search`). */
  operations: Record<string, number>;
  /** Size of one answer. */
  responseBytes: number;
}

/** What one side's answer to the 100-customer page held, to show that both read the same records. */
export interface PageContents {
  side: Side;
  customers: number;
  /** Of those, customers (by normalised email) also in the other side's answer. */
  inCommon: number;
  withStripe: number;
  payments: number;
  withXero: number;
  invoices: number;
  bookings: number;
}

export interface GatewayResult {
  rows: GatewayRow[];
  contents: PageContents[];
  versions: Record<string, string>;
  markdown: string;
}

// --- the two sides' queries -------------------------------------------------------------------

/** Mesh's customer-360: the HubSpot page, each contact joined by email to the other three vendors. */
const MESH_360 = /* GraphQL */ `
  query Page($limit: Int!) {
    hubspotContacts(limit: $limit) {
      results {
        id
        properties {
          firstname
          lastname
          email
          phone
          company
        }
        bookings {
          id
          summary
          status
          start {
            dateTime
            date
          }
        }
        stripeCustomer {
          id
          email
          payments {
            id
            status
            amount
            amount_received
            latest_charge {
              amount_refunded
            }
          }
        }
        xeroContact {
          ContactID
          Name
          invoices {
            InvoiceNumber
            Status
            Total
            AmountDue
          }
        }
      }
    }
  }
`;

const SWITCHBOARD_CONTACTS = /* GraphQL */ `
  query Contacts($first: Int!) {
    customers(first: $first) {
      edges {
        node {
          id
          displayName
          email
          phone
          company
        }
      }
    }
  }
`;

const MESH_CONTACTS = /* GraphQL */ `
  query Contacts($limit: Int!) {
    hubspotContacts(limit: $limit) {
      results {
        id
        properties {
          firstname
          lastname
          email
          phone
          company
        }
      }
    }
  }
`;

type Kind = '360' | 'contacts';

interface Target {
  side: Side;
  setup: string;
  /** GraphQL endpoint. */
  url: string;
  headers: Record<string, string>;
  pid: number;
  stop(): Promise<void>;
}

/** The request body for `kind` and the string that occurs once per customer in a correct answer. */
function request(side: Side, kind: Kind, customers: number): { body: string; marker: string } {
  if (side === 'Switchboard') {
    return {
      body: JSON.stringify({
        query: kind === '360' ? QUERY : SWITCHBOARD_CONTACTS,
        variables: { first: customers },
      }),
      marker: '"displayName"',
    };
  }
  return {
    body: JSON.stringify({
      query: kind === '360' ? MESH_360 : MESH_CONTACTS,
      variables: { limit: customers },
    }),
    marker: '"properties"',
  };
}

const occurrences = (text: string, needle: string) => {
  let count = 0;
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + needle.length)) count++;
  return count;
};

/** A correct answer: 200, no GraphQL errors, one marker per customer. */
const correct = (status: number, text: string, marker: string, customers: number) =>
  status === 200 && !text.includes('"errors"') && occurrences(text, marker) === customers;

// --- processes --------------------------------------------------------------------------------

let ticksPerSecond: number | undefined;
/** The kernel's clock ticks a second, the unit of /proc/<pid>/stat's times (100 nearly everywhere). */
function ticks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** User + system CPU time of a process (all its threads), in ms. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of proc(5), counted from the pid; the slice starts at field 3.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticks();
}

/** This process's children, whichever of its threads started them. */
function childPids(): number[] {
  return readdirSync(`/proc/${process.pid}/task`).flatMap((task) =>
    readFileSync(`/proc/${process.pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
  );
}

const repoRoot = new URL('..', import.meta.url);

/**
 * `src/main.ts` started by `hub.start()`: harness/hub-process.ts keeps the child to itself, so it is
 * found as the new child running src/main.ts.
 */
async function startHub(hub: HubProcess, setup: string): Promise<Target> {
  const before = new Set(childPids());
  await hub.start();
  const pid = childPids().find(
    (p) => !before.has(p) && readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('src/main.ts'),
  );
  if (!pid || !hub.url) {
    await hub.stop();
    throw new Error(`${hub.name} started, but its process was not found`);
  }
  return {
    side: 'Switchboard',
    setup,
    url: `${hub.url}/graphql`,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${hub.key}` },
    pid,
    stop: () => hub.stop(),
  };
}

async function startMesh(
  supergraph: string,
  credentials: Record<string, string>,
  responseCache: boolean,
  setup: string,
): Promise<Target> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'bench/gateway/serve.ts'], {
    cwd: repoRoot,
    env: {
      ...process.env,
      ...credentials,
      MESH_SUPERGRAPH: supergraph,
      MESH_RESPONSE_CACHE: responseCache ? 'on' : 'off',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Hive Gateway did not start:\n${output}`)), 60_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const line = output.split('\n').find((l) => l.startsWith('{"url"'));
      if (line) {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { url: string }).url);
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8_000)));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Hive Gateway exited with ${code} before it listened:\n${output}`));
    });
  });
  return {
    side: 'Hive Gateway',
    setup,
    url,
    headers: { 'content-type': 'application/json' },
    pid: child.pid!,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * An access token for the Mesh side's own Xero connection, as a second app gets one: the consent
 * step (the sandbox's stand-in for Xero's login page) and the code grant
 * (https://developer.xero.com/documentation/guides/oauth2/auth-flow). Switchboard keeps the
 * pre-issued refresh token to itself: using it here would rotate it under Switchboard's feet.
 */
async function xeroAccessToken(sandboxes: SandboxProcess): Promise<string> {
  const { url, credentials } = sandboxes.endpoints.accounting;
  const consent = await fetch(`${url}/__sandbox/authorize`, {
    method: 'POST',
    body: JSON.stringify({ scopes: 'offline_access accounting.transactions accounting.contacts' }),
  });
  if (!consent.ok) throw new Error(`the Xero sandbox refused the consent step: ${consent.status}`);
  const { code } = (await consent.json()) as { code: string };
  const basic = Buffer.from(`${credentials.clientId}:${credentials.clientSecret}`).toString('base64');
  const res = await fetch(`${url}/connect/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code }),
  });
  if (!res.ok) throw new Error(`Xero's token endpoint answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

// --- vendor request counts ----------------------------------------------------------------------

const isApiCall = (operation: string) =>
  !operation.startsWith('admin.') && !operation.startsWith('identity.');

async function vendorRequests(
  sandboxes: SandboxProcess,
): Promise<{ requests: Record<Vendor, number>; operations: Record<string, number> }> {
  const requests = { hubspot: 0, google_calendar: 0, stripe: 0, xero: 0 };
  const operations: Record<string, number> = {};
  await Promise.all(
    sandboxes.all.map(async (s) => {
      const res = await fetch(`${s.url}/__sandbox/requests?limit=0`);
      const body = (await res.json()) as { byOperation: Record<string, number> };
      for (const [operation, n] of Object.entries(body.byOperation)) {
        if (!isApiCall(operation)) continue;
        requests[s.name as Vendor] += n;
        operations[`${s.name} ${operation}`] = n;
      }
    }),
  );
  return { requests, operations };
}

const clearRequests = (sandboxes: SandboxProcess) =>
  Promise.all(sandboxes.all.map((s) => fetch(`${s.url}/__sandbox/requests`, { method: 'DELETE' })));

const total = (r: Record<Vendor, number>) => VENDORS.reduce((sum, v) => sum + r[v], 0);

// --- measuring ------------------------------------------------------------------------------------

/** One query (the cold and uncached parts), its answer checked; the answer's text for a closer look. */
async function once(
  target: Target,
  kind: Kind,
  customers: number,
  sandboxes: SandboxProcess,
  part: GatewayRow['part'],
  round: number,
): Promise<{ row: GatewayRow; text: string }> {
  const { body, marker } = request(target.side, kind, customers);
  await clearRequests(sandboxes);
  const cpu = cpuMs(target.pid);
  const started = performance.now();
  const res = await fetch(target.url, { method: 'POST', headers: target.headers, body });
  const text = await res.text();
  const elapsed = performance.now() - started;
  const cpuUsed = cpuMs(target.pid) - cpu;
  const ok = correct(res.status, text, marker, customers);
  return {
    text,
    row: {
      part,
      side: target.side,
      setup: target.setup,
      round,
      customers,
      concurrency: 1,
      durationMs: elapsed,
      queries: 1,
      errors: ok ? 0 : 1,
      perSecond: 1000 / elapsed,
      p50: elapsed,
      p99: elapsed,
      cpuMsPerQuery: cpuUsed,
      gatewayBusy: cpuUsed / elapsed,
      clientBusy: NaN,
      ...(await vendorRequests(sandboxes)),
      responseBytes: Buffer.byteLength(text),
    },
  };
}

/**
 * `concurrency` clients each sending `kind` back to back over kept-alive connections: a warm-up
 * (unmeasured; it also fills the caches of the warm rows), then `durationMs` measured.
 */
async function load(
  target: Target,
  kind: Kind,
  sandboxes: SandboxProcess,
  part: GatewayRow['part'],
  round: number,
): Promise<GatewayRow> {
  const customers = GATEWAY.loadPage;
  const { body, marker } = request(target.side, kind, customers);
  const origin = new URL(target.url);
  const pool = new Pool(origin.origin, { connections: GATEWAY.concurrency, pipelining: 1 });
  let errors = 0;
  let responseBytes = 0;
  const times: number[] = [];
  const send = async () => {
    const started = performance.now();
    try {
      const res = await pool.request({
        path: origin.pathname,
        method: 'POST',
        headers: target.headers,
        body,
      });
      const text = await res.body.text();
      times.push(performance.now() - started);
      responseBytes = text.length;
      if (!correct(res.statusCode, text, marker, customers)) errors++;
    } catch {
      times.push(performance.now() - started);
      errors++;
    }
  };
  const drive = (durationMs: number) => {
    const end = performance.now() + durationMs;
    return Promise.all(
      Array.from({ length: GATEWAY.concurrency }, async () => {
        while (performance.now() < end) await send();
      }),
    );
  };
  try {
    await drive(GATEWAY.warmUpMs);
    times.length = 0;
    errors = 0;
    await clearRequests(sandboxes);
    const cpu = cpuMs(target.pid);
    const clientCpu = cpuMs(process.pid);
    const started = performance.now();
    await drive(GATEWAY.durationMs);
    const elapsed = performance.now() - started;
    const cpuUsed = cpuMs(target.pid) - cpu;
    const clientUsed = cpuMs(process.pid) - clientCpu;
    return {
      part,
      side: target.side,
      setup: target.setup,
      round,
      customers,
      concurrency: GATEWAY.concurrency,
      durationMs: elapsed,
      queries: times.length,
      errors,
      perSecond: times.length / (elapsed / 1000),
      p50: median(times),
      p99: percentile(times, 99),
      cpuMsPerQuery: cpuUsed / times.length,
      gatewayBusy: cpuUsed / elapsed,
      clientBusy: clientUsed / elapsed,
      ...(await vendorRequests(sandboxes)),
      responseBytes,
    };
  } finally {
    await pool.close();
  }
}

/** Medians of each column over the rounds of one side and setup. */
function medianRow(rows: GatewayRow[]): GatewayRow {
  const first = rows[0]!;
  const of = (pick: (r: GatewayRow) => number) => median(rows.map(pick));
  return {
    ...first,
    round: 0,
    durationMs: of((r) => r.durationMs),
    queries: of((r) => r.queries),
    errors: rows.reduce((sum, r) => sum + r.errors, 0),
    perSecond: of((r) => r.perSecond),
    p50: of((r) => r.p50),
    p99: of((r) => r.p99),
    cpuMsPerQuery: of((r) => r.cpuMsPerQuery),
    gatewayBusy: of((r) => r.gatewayBusy),
    clientBusy: of((r) => r.clientBusy),
    requests: Object.fromEntries(VENDORS.map((v) => [v, of((r) => r.requests[v])])) as Record<Vendor, number>,
    responseBytes: of((r) => r.responseBytes),
  };
}

type Json = Record<string, unknown>;

const normaliseEmail = (email: unknown) => (typeof email === 'string' ? email.trim().toLowerCase() : '');

/** The customers' emails in an answer to the customer-360 page. */
function emails(side: Side, text: string): Set<string> {
  const data = (JSON.parse(text) as { data: Json }).data;
  return new Set(
    side === 'Switchboard'
      ? ((data.customers as Json).edges as Json[]).map((e) => normaliseEmail((e.node as Json).email))
      : ((data.hubspotContacts as Json).results as Json[]).map((r) =>
          normaliseEmail((r.properties as Json).email),
        ),
  );
}

/** Counts in an answer to the 100-customer page; `other` is the other side's answer. */
function contents(side: Side, text: string, other: string): PageContents {
  const data = (JSON.parse(text) as { data: Json }).data;
  const theirs = emails(side === 'Switchboard' ? 'Hive Gateway' : 'Switchboard', other);
  const inCommon = [...emails(side, text)].filter((e) => theirs.has(e)).length;
  if (side === 'Switchboard') {
    const nodes = ((data.customers as Json).edges as Json[]).map((e) => e.node as Json);
    const count = (n: Json, field: string) => (n[field] as { totalCount: number }).totalCount;
    const linked = (n: Json, system: string) =>
      (n.links as Array<{ system: string }>).some((l) => l.system.toLowerCase() === system);
    return {
      side,
      customers: nodes.length,
      inCommon,
      withStripe: nodes.filter((n) => linked(n, 'stripe')).length,
      payments: nodes.reduce((sum, n) => sum + count(n, 'orders'), 0),
      withXero: nodes.filter((n) => linked(n, 'xero')).length,
      invoices: nodes.reduce((sum, n) => sum + count(n, 'invoices'), 0),
      bookings: nodes.reduce((sum, n) => sum + count(n, 'bookings'), 0),
    };
  }
  const results = (data.hubspotContacts as Json).results as Json[];
  const stripe = results.map((r) => r.stripeCustomer as Json | null).filter((c): c is Json => c !== null);
  const xero = results.map((r) => r.xeroContact as Json | null).filter((c): c is Json => c !== null);
  return {
    side,
    customers: results.length,
    inCommon,
    withStripe: stripe.length,
    payments: stripe.reduce((sum, c) => sum + (c.payments as unknown[]).length, 0),
    withXero: xero.length,
    invoices: xero.reduce((sum, c) => sum + (c.invoices as unknown[]).length, 0),
    bookings: results.reduce((sum, r) => sum + (r.bookings as unknown[]).length, 0),
  };
}

function versions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of [
    '@graphql-hive/gateway-runtime',
    '@graphql-mesh/compose-cli',
    '@omnigraph/json-schema',
    '@graphql-mesh/transport-rest',
    '@graphql-mesh/plugin-response-cache',
    '@graphql-mesh/fusion-runtime',
    'graphql-yoga',
  ]) {
    try {
      const path = new URL(`node_modules/${name}/package.json`, repoRoot);
      out[name] = (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
    } catch {
      out[name] = 'unknown';
    }
  }
  return out;
}

// --- the scenario ---------------------------------------------------------------------------------

export async function benchGateway(log: (line: string) => void): Promise<GatewayResult> {
  const rows: GatewayRow[] = [];
  const firstAnswers = new Map<Side, string>();
  const dir = await mkdtemp(join(tmpdir(), 'switchboard-gateway-'));
  log(
    `gateway: starting the sandboxes (a process each) with ${GATEWAY.customers.toLocaleString('en')} customers, relaxed limits…`,
  );
  const sandboxes = await startSandboxProcess({ customers: GATEWAY.customers, relaxed: true });
  const running: Target[] = [];
  const stopAll = () => Promise.all(running.splice(0).map((t) => t.stop()));
  try {
    const supergraph = await composeSupergraph(sandboxes.endpoints, dir);
    const { crm, calendar, payments, accounting } = sandboxes.endpoints;
    const credentials = {
      [CREDENTIAL_VARS.hubspot]: crm.credentials.accessToken ?? '',
      [CREDENTIAL_VARS.google]: calendar.credentials.accessToken ?? '',
      [CREDENTIAL_VARS.stripe]: payments.credentials.apiKey ?? '',
      [CREDENTIAL_VARS.xero]: await xeroAccessToken(sandboxes),
      [CREDENTIAL_VARS.xeroTenant]: accounting.credentials.tenantId ?? '',
    };
    log(`  supergraph composed in ${dir}`);

    const env = {
      ...liveVendorEnv(sandboxes.endpoints),
      DATABASE_URL: `sqlite:${join(dir, 'switchboard.db')}`,
      PORT: '0',
      // As in "read-graph": batching and caching are measured here, not the vendors' rate limits.
      SWITCHBOARD_RATE_LIMITS: 'off',
      // At info level the hub logs every request; Hive Gateway logs none.
      LOG_LEVEL: 'error',
    };
    const cached = hubProcess('switchboard', env);
    const uncached = hubProcess('switchboard-uncached', { ...env, SWITCHBOARD_CACHE: 'off' });
    const records = hubProcess('switchboard-records', { ...env, SWITCHBOARD_RESPONSE_CACHE: 'off' });
    const SB_CACHED = 'all caches on (the default)';
    const SB_UNCACHED = '`SWITCHBOARD_CACHE=off`';
    const SB_RECORDS = '`SWITCHBOARD_RESPONSE_CACHE=off`';
    const MESH_CACHED = 'response cache on';
    const MESH_UNCACHED = 'no response cache';

    log('  Switchboard: first start on a new SQLite store (links backfilled)…');
    const started = performance.now();
    await (await startHub(cached, SB_CACHED)).stop();
    log(`  backfilled and stopped in ${ms(performance.now() - started)}`);

    // 1. Cold: each side's first query after a fresh start, in alternating order.
    for (let round = 1; round <= GATEWAY.coldRounds; round++) {
      const order: Side[] =
        round % 2 === 1 ? ['Switchboard', 'Hive Gateway'] : ['Hive Gateway', 'Switchboard'];
      for (const side of order) {
        const target =
          side === 'Switchboard'
            ? await startHub(cached, SB_CACHED)
            : await startMesh(supergraph, credentials, true, MESH_CACHED);
        try {
          const { row, text } = await once(target, '360', GATEWAY.coldPage, sandboxes, 'cold', round);
          rows.push(row);
          if (round === 1) firstAnswers.set(side, text);
          log(
            `  cold ${round}, ${side}: ${ms(row.durationMs)}, ${row.errors} errors, vendor requests ${JSON.stringify(row.requests)} = ${total(row.requests)}`,
          );
        } finally {
          await target.stop();
        }
      }
    }

    // 2. Warm: both response caches on, under load.
    running.push(await startHub(cached, SB_CACHED));
    running.push(await startMesh(supergraph, credentials, true, MESH_CACHED));
    for (let round = 1; round <= GATEWAY.rounds; round++) {
      const order = round % 2 === 1 ? running : [...running].reverse();
      for (const target of order) {
        const row = await load(target, '360', sandboxes, 'warm', round);
        rows.push(row);
        log(describeLoad(row));
      }
    }
    await stopAll();

    // 3. No caches: the 100-customer page on warmed-up processes, then the pass-through read under load.
    running.push(await startHub(uncached, SB_UNCACHED));
    running.push(await startMesh(supergraph, credentials, false, MESH_UNCACHED));
    for (const target of running) await once(target, '360', GATEWAY.coldPage, sandboxes, 'uncached', 0);
    for (let run = 1; run <= GATEWAY.uncachedRuns; run++) {
      const order = run % 2 === 1 ? running : [...running].reverse();
      for (const target of order) {
        const { row } = await once(target, '360', GATEWAY.coldPage, sandboxes, 'uncached', run);
        rows.push(row);
      }
    }
    for (const target of running) {
      const mine = rows.filter((r) => r.part === 'uncached' && r.side === target.side);
      const m = medianRow(mine);
      log(
        `  uncached, ${target.side}: median ${ms(m.durationMs)} of ${mine.length}, ${m.errors} errors, vendor requests ${total(m.requests)}`,
      );
    }
    for (let round = 1; round <= GATEWAY.rounds; round++) {
      const order = round % 2 === 1 ? running : [...running].reverse();
      for (const target of order) {
        const row = await load(target, 'contacts', sandboxes, 'pass-through', round);
        rows.push(row);
        log(describeLoad(row));
      }
    }
    await stopAll();

    // 4. The pass-through read again, each side with only its response cache off.
    running.push(await startHub(records, SB_RECORDS));
    running.push(await startMesh(supergraph, credentials, false, MESH_UNCACHED));
    for (let round = 1; round <= GATEWAY.rounds; round++) {
      const order = round % 2 === 1 ? running : [...running].reverse();
      for (const target of order) {
        const row = await load(target, 'contacts', sandboxes, RECORDS, round);
        rows.push(row);
        log(describeLoad(row));
      }
    }
    await stopAll();
  } finally {
    await stopAll();
    await sandboxes.close();
    await rm(dir, { recursive: true, force: true });
  }
  const sb = firstAnswers.get('Switchboard') ?? '{}';
  const mesh = firstAnswers.get('Hive Gateway') ?? '{}';
  let pages: PageContents[] = [];
  try {
    pages = [contents('Switchboard', sb, mesh), contents('Hive Gateway', mesh, sb)];
  } catch (error) {
    // An answer with errors (counted in its row) has no page to count.
    log(`  the first cold answers could not be compared: ${(error as Error).message}`);
  }
  const result = { rows: withMedians(rows), contents: pages, versions: versions() };
  return { ...result, markdown: markdown(result) };
}

const describeLoad = (row: GatewayRow) =>
  `  ${row.part} ${row.round}, ${row.side} (${row.setup}): ${row.queries} queries in ${(row.durationMs / 1000).toFixed(1)} s = ${row.perSecond.toFixed(0)}/s, ${row.errors} errors, p50 ${ms(row.p50)}, p99 ${ms(row.p99)}, CPU ${row.cpuMsPerQuery.toFixed(3)} ms/query (gateway ${(row.gatewayBusy * 100).toFixed(0)}% busy, load generator ${(row.clientBusy * 100).toFixed(0)}%), vendor requests ${total(row.requests)}`;

/** The rows, each part and side followed by its median row. */
function withMedians(rows: GatewayRow[]): GatewayRow[] {
  const out: GatewayRow[] = [];
  for (const part of ['cold', 'uncached', 'warm', 'pass-through', RECORDS] as const) {
    for (const side of ['Switchboard', 'Hive Gateway'] as const) {
      const mine = rows.filter((r) => r.part === part && r.side === side);
      if (mine.length === 0) continue;
      out.push(...mine, medianRow(mine));
    }
  }
  return out;
}

/** The median row of a part and side. */
export const medianOf = (rows: GatewayRow[], part: GatewayRow['part'], side: Side) =>
  rows.find((r) => r.part === part && r.side === side && r.round === 0);

function markdown(result: Omit<GatewayResult, 'markdown'>): string {
  const { rows, contents: pages } = result;
  const round = (r: GatewayRow) => (r.round === 0 ? '**median**' : String(r.round));
  const bold = (r: GatewayRow, text: string) => (r.round === 0 ? `**${text}**` : text);
  const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
  const percent = (share: number) => `${(share * 100).toFixed(0)}%`;
  const single = table(
    [
      'part',
      'side',
      'setup',
      'run',
      'time',
      ...VENDORS.map((v) => LABELS[v]),
      'vendor requests',
      'errors',
      'answer',
    ],
    rows
      .filter((r) => r.part === 'cold' || r.part === 'uncached')
      .map((r) => [
        r.part,
        r.side,
        r.setup,
        round(r),
        bold(r, ms(r.durationMs)),
        ...VENDORS.map((v) => r.requests[v]),
        bold(r, String(total(r.requests))),
        r.errors,
        kib(r.responseBytes),
      ]),
  );
  const loaded = table(
    [
      'part',
      'side',
      'setup',
      'round',
      'queries',
      'errors',
      'queries/s',
      'p50',
      'p99',
      'gateway CPU per query',
      'gateway busy',
      'load generator busy',
      'vendor requests per query',
      'answer',
    ],
    rows
      .filter((r) => r.part === 'warm' || r.part === 'pass-through' || r.part === RECORDS)
      .map((r) => [
        r.part,
        r.side,
        r.setup,
        round(r),
        r.queries,
        r.errors,
        bold(r, r.perSecond.toFixed(0)),
        ms(r.p50),
        ms(r.p99),
        bold(r, `${r.cpuMsPerQuery.toFixed(3)} ms`),
        percent(r.gatewayBusy),
        percent(r.clientBusy),
        (total(r.requests) / r.queries).toFixed(2),
        kib(r.responseBytes),
      ]),
  );
  const contentsTable = table(
    [
      'side',
      'customers',
      'also in the other answer',
      'with a Stripe customer',
      'payments',
      'with a Xero contact',
      'invoices',
      'bookings',
    ],
    pages.map((p) => [
      p.side,
      p.customers,
      p.inCommon,
      p.withStripe,
      p.payments,
      p.withXero,
      p.invoices,
      p.bookings,
    ]),
  );
  const calls = (side: Side) => {
    const first = rows.find((r) => r.part === 'cold' && r.side === side && r.round === 1);
    const vendor = (operation: string) => VENDORS.indexOf(operation.split(' ')[0] as Vendor);
    return Object.entries(first?.operations ?? {})
      .sort(([a], [b]) => vendor(a) - vendor(b) || a.localeCompare(b))
      .map(([operation, n]) => `${operation} ${n}`)
      .join(', ');
  };
  const ratios = table(
    ['median of', 'Switchboard', 'Hive Gateway', 'Switchboard ÷ Hive Gateway'],
    (
      [
        ['cold', 'page time', (r) => r.durationMs, ms],
        ['cold', 'vendor requests', (r) => total(r.requests), String],
        ['uncached', 'page time', (r) => r.durationMs, ms],
        ['warm', 'queries/s', (r) => r.perSecond, (v) => v.toFixed(0)],
        ['warm', 'CPU per query', (r) => r.cpuMsPerQuery, (v) => `${v.toFixed(3)} ms`],
        ['pass-through', 'queries/s', (r) => r.perSecond, (v) => v.toFixed(0)],
        ['pass-through', 'CPU per query', (r) => r.cpuMsPerQuery, (v) => `${v.toFixed(3)} ms`],
        [RECORDS, 'queries/s', (r) => r.perSecond, (v) => v.toFixed(0)],
        [RECORDS, 'CPU per query', (r) => r.cpuMsPerQuery, (v) => `${v.toFixed(3)} ms`],
      ] as Array<[GatewayRow['part'], string, (r: GatewayRow) => number, (v: number) => string]>
    ).map(([part, what, pick, show]) => {
      const a = medianOf(rows, part, 'Switchboard');
      const b = medianOf(rows, part, 'Hive Gateway');
      const [x, y] = [a ? pick(a) : NaN, b ? pick(b) : NaN];
      return [`${part}: ${what}`, show(x), show(y), `${(x / y).toFixed(2)}×`];
    }),
  );
  return `${single}

The cold page's vendor requests by operation: Switchboard ${calls('Switchboard')}; Hive Gateway
${calls('Hive Gateway')}.

${
  pages.length
    ? `What each side's first cold answer held (Switchboard: its links and \`totalCount\`s; Mesh: the records its
joins found):

${contentsTable}`
    : 'The first cold answers had errors, so what they held is not compared.'
}

${loaded}

${ratios}`;
}
