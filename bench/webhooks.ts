/**
 * Webhook benchmark: how long a vendor's webhook takes to reach 1, 100 and 1,000 graphql-ws
 * subscribers (one hub process; two replicas through PostgreSQL and Redis), how many webhooks a
 * hub on a SQLite file acknowledges per second, and what an idle subscription costs in memory.
 * Run: `npm run bench` (all) or `npm run bench -- webhooks`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { Redis } from 'ioredis';
import pg from 'pg';
import Stripe from 'stripe';
import { startSwitchboard } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/observability/logger.ts';
import { startSandboxProcess, type SandboxProcess } from '../src/sandbox/process.ts';
import { sourceStateContext } from '../src/store/secrets-at-rest.ts';
import { hubProcess, liveVendorEnv, type HubProcess } from '../harness/hub-process.ts';
import { POSTGRES_URL } from '../harness/stores.ts';
import {
  median,
  ms,
  percentile,
  scrape,
  sleep,
  subscriberPool,
  table,
  until,
  type HubTarget,
} from './support.ts';

const QUERY = 'subscription { events(types: [CUSTOMER_CHANGED]) { id } }';
/** Subscribers are added, not reopened: 1, then 99 more, then 900 more. */
const SUBSCRIBERS = [1, 100, 1_000] as const;
const EVENTS = 200;
const WARMUP_EVENTS = 10;
/** An event not at every subscriber by then counts as missed. */
const DELIVERY_TIMEOUT_MS = 10_000;
const INTAKE_EVENTS = 3_000;
const INTAKE_CONCURRENCY = 32;
const INTAKE_RUNS = 3;
/** An unmeasured run first: JIT, and SQLite's WAL file growing to its working size. */
const INTAKE_WARMUP = 3_000;
const IDLE_SUBSCRIPTIONS = 1_000;
/** The secret the live-mode hubs verify with (STRIPE_WEBHOOK_SECRET); the bench signs with it. */
const SECRET = `whsec_bench_${randomBytes(12).toString('hex')}`;
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The setups of the latency table; the targets are about the first (the issue's "one process"). */
export const SETUPS = {
  inBench: 'one process, in the bench',
  child: 'one process, a child',
  replicas: 'two replicas, Redis',
} as const;

const stripe = new Stripe('sk_bench_unused');
const tag = randomBytes(4).toString('hex');
let sequence = 0;

interface SignedEvent {
  id: string;
  body: string;
  signature: string;
}

/** A `customer.updated` event with an id never used before, signed the way Stripe signs it. */
function signedEvent(customerId: string, secret: string): SignedEvent {
  const id = `evt_bench_${tag}_${++sequence}`;
  const body = JSON.stringify({
    id,
    object: 'event',
    type: 'customer.updated',
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    data: { object: { id: customerId, object: 'customer' } },
  });
  return { id, body, signature: stripe.webhooks.generateTestHeaderString({ payload: body, secret }) };
}

const post = (hubUrl: string, event: SignedEvent) =>
  fetch(`${hubUrl}/webhooks/stripe`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': event.signature },
    body: event.body,
  });

/** A seeded customer the hub has linked to a Stripe customer: its Stripe id. */
async function stripeCustomer(hub: HubTarget): Promise<string> {
  const res = await fetch(`${hub.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${hub.key}` },
    body: JSON.stringify({
      query: '{ customers(first: 50) { edges { node { links { system externalId } } } } }',
    }),
  });
  const body = (await res.json()) as {
    data?: {
      customers: { edges: Array<{ node: { links: Array<{ system: string; externalId: string }> } }> };
    };
  };
  const id = body.data?.customers.edges
    .flatMap((e) => e.node.links)
    .find((l) => l.system === 'STRIPE')?.externalId;
  if (!id)
    throw new Error(`no customer linked to Stripe at ${hub.url}: ${JSON.stringify(body).slice(0, 300)}`);
  return id;
}

const activeSubscriptions = (hub: HubTarget) => scrape(hub, 'switchboard_subscriptions_active');

/** Who is waiting for which vendor event, and when the first and the last subscriber got it. */
function arrivals() {
  const waiting = new Map<string, { remaining: number; first: number; last: number; done(): void }>();
  return {
    /** A subscriber received domain event `stripe:<vendor event id>:CUSTOMER_CHANGED:<customer>`. */
    seen(domainEventId: string, at: number) {
      const entry = waiting.get(domainEventId.split(':')[1] ?? '');
      if (!entry) return;
      if (Number.isNaN(entry.first)) entry.first = at;
      entry.last = at;
      if (--entry.remaining === 0) entry.done();
    },
    expect(vendorEventId: string, subscribers: number) {
      return new Promise<{ first: number; last: number; missing: number }>((resolve) => {
        const entry = { remaining: subscribers, first: NaN, last: NaN, done: () => {} };
        const timer = setTimeout(() => {
          waiting.delete(vendorEventId);
          resolve({ first: entry.first, last: NaN, missing: entry.remaining });
        }, DELIVERY_TIMEOUT_MS);
        entry.done = () => {
          clearTimeout(timer);
          waiting.delete(vendorEventId);
          resolve({ first: entry.first, last: entry.last, missing: 0 });
        };
        waiting.set(vendorEventId, entry);
      });
    },
  };
}

interface Target {
  setup: string;
  /** The hub the webhooks are POSTed to … */
  webhooks: string;
  /** … and the hub the subscribers are connected to (the same one, or another replica). */
  subscribers: HubTarget;
  secret: string;
  customerId: string;
}

export interface LatencyRow {
  setup: string;
  subscribers: number;
  events: number;
  /** Events that had not reached every subscriber after 10 s (not in the percentiles). */
  missed: number;
  /** POST sent → webhook answered (stored in the inbox). */
  ack: number;
  first: { p50: number; p95: number; p99: number };
  last: { p50: number; p95: number; p99: number };
}

const spread = (values: number[]) => ({
  p50: percentile(values, 50),
  p95: percentile(values, 95),
  p99: percentile(values, 99),
});

async function latency(target: Target, log: (line: string) => void): Promise<LatencyRow[]> {
  const tracker = arrivals();
  const pool = subscriberPool(target.subscribers, QUERY, (data, at) =>
    tracker.seen((data.events as { id: string }).id, at),
  );
  const deliver = async (subscribers: number) => {
    const event = signedEvent(target.customerId, target.secret);
    const arrived = tracker.expect(event.id, subscribers);
    const sent = performance.now();
    const res = await post(target.webhooks, event);
    const answer = await res.text();
    const acked = performance.now();
    if (res.status !== 200) throw new Error(`the hub answered the webhook ${res.status}: ${answer}`);
    const { first, last, missing } = await arrived;
    return { ack: acked - sent, first: first - sent, last: last - sent, missing };
  };
  const rows: LatencyRow[] = [];
  try {
    for (const subscribers of SUBSCRIBERS) {
      await pool.growTo(subscribers);
      await until(
        async () => (await activeSubscriptions(target.subscribers)) === subscribers,
        `${subscribers} active subscriptions`,
      );
      for (let i = 0; i < WARMUP_EVENTS; i++) await deliver(subscribers); // JIT, pools; not measured
      const samples = [];
      for (let i = 0; i < EVENTS; i++) samples.push(await deliver(subscribers));
      const complete = samples.filter((s) => s.missing === 0);
      const row: LatencyRow = {
        setup: target.setup,
        subscribers,
        events: samples.length,
        missed: samples.length - complete.length,
        ack: median(samples.map((s) => s.ack)),
        first: spread(samples.filter((s) => !Number.isNaN(s.first)).map((s) => s.first)),
        last: spread(complete.map((s) => s.last)),
      };
      rows.push(row);
      log(
        `  ${target.setup}, ${subscribers} subscriber${subscribers === 1 ? '' : 's'}, ${row.events} events: last p50 ${ms(row.last.p50)}, p95 ${ms(row.last.p95)}, p99 ${ms(row.last.p99)}; first p50 ${ms(row.first.p50)}; answered p50 ${ms(row.ack)}; missed ${row.missed}`,
      );
    }
  } finally {
    await pool.close();
  }
  return rows;
}

/**
 * Events go one after another far faster than Stripe's test-mode 25 calls a second, and each makes
 * the processor fetch the customer: the hub's rate budget would hold those fetches back, which is
 * the "faults" scenario's subject, not this one's. The sandboxes here relax their limits too.
 */
const NO_BUDGETS = { SWITCHBOARD_RATE_LIMITS: 'off' };

/** The hub in this process, sandbox mode (its own in-process sandboxes), SQLite in memory. */
async function oneProcess(log: (line: string) => void): Promise<LatencyRow[]> {
  log(`webhooks: ${SETUPS.inBench} (sandbox mode, SQLite in memory; the subscribers in this process too)…`);
  const app = await startSwitchboard(loadConfig({ PORT: '0', DATABASE_URL: ':memory:', ...NO_BUDGETS }), {
    // Not 'warn': the Xero sandbox's intent-to-receive handshake is a rejected delivery by design.
    logger: createLogger({ level: 'error' }),
    sandboxOptions: { relaxed: true },
    // One key holds every subscriber's socket and makes every subscribe, and the pool opens 50 at a
    // time (as liveHub's env and hub-process's default SWITCHBOARD_RATE_LIMIT=off).
    security: {
      sockets: { maxConnectionsPerCredential: 5_000, maxPendingPerAddress: 200 },
      rateLimits: { perCredential: false, perPublicAddress: false },
    },
  });
  try {
    // Sandbox mode registers the endpoint with the Stripe sandbox and keeps its secret in the store.
    const row = await app.hub.store.db
      .selectFrom('source_state')
      .select(['workspace_id', 'value'])
      .where('system', '=', 'stripe')
      .where('key', '=', 'webhook_secret')
      .executeTakeFirstOrThrow();
    // Sealed in the store: opened with the store's key, as the hub reads it.
    const secret = app.hub.store.secrets.open(
      row.value,
      sourceStateContext(row.workspace_id, 'stripe', 'webhook_secret'),
    );
    const target = { url: app.url, key: app.developmentKey! };
    const customerId = await stripeCustomer(target);
    return await latency(
      { setup: SETUPS.inBench, webhooks: app.url, subscribers: target, secret, customerId },
      log,
    );
  } finally {
    await app.close();
  }
}

/** A live-mode hub (`src/main.ts`) in a child process, pointed at the sandbox processes. */
const liveHub = (name: string, sandboxes: SandboxProcess, env: Record<string, string>): HubProcess =>
  hubProcess(name, {
    ...liveVendorEnv(sandboxes.endpoints),
    ...NO_BUDGETS,
    // One key holds every subscriber's socket, and the pool opens 50 at a time.
    SWITCHBOARD_WS_MAX_CONNECTIONS: '5000',
    SWITCHBOARD_WS_MAX_PENDING: '200',
    // Without PUBLIC_URL a live hub registers no Stripe endpoint: it verifies with this secret.
    STRIPE_WEBHOOK_SECRET: SECRET,
    PORT: '0',
    LOG_LEVEL: 'warn',
    ...env,
  });

/** Why PostgreSQL or Redis cannot be used, or undefined when both answer. */
async function unreachable(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
  } catch (error) {
    return `PostgreSQL at ${POSTGRES_URL} is not reachable (${(error as Error).message})`;
  } finally {
    await client.end().catch(() => {});
  }
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 3_000 });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    return `Redis at ${REDIS_URL} is not reachable (${(error as Error).message})`;
  } finally {
    redis.disconnect();
  }
  return undefined;
}

/** The same hub on its own in a child process (live mode, SQLite in memory, local bus), so the subscribers' work is not on its event loop. */
async function oneChild(sandboxes: SandboxProcess, log: (line: string) => void): Promise<LatencyRow[]> {
  log(`webhooks: ${SETUPS.child} (live mode, SQLite in memory; the subscribers in this process)…`);
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-'));
  const hub = liveHub('single hub', sandboxes, { DATABASE_URL: `sqlite:${join(dir, 'switchboard.db')}` });
  try {
    await hub.start();
    const target = { url: hub.url as string, key: hub.key };
    return await latency(
      {
        setup: SETUPS.child,
        webhooks: target.url,
        subscribers: target,
        secret: SECRET,
        customerId: await stripeCustomer(target),
      },
      log,
    );
  } finally {
    await hub.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Two hub processes on one PostgreSQL schema and Redis: webhooks to A, subscribers on B. */
async function twoReplicas(sandboxes: SandboxProcess, log: (line: string) => void): Promise<LatencyRow[]> {
  log(`webhooks: ${SETUPS.replicas} (PostgreSQL + Redis; webhooks to A, subscribers on B)…`);
  const schema = `sb_bench_${randomBytes(6).toString('hex')}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: POSTGRES_URL });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`create schema "${schema}"`);
  const separator = POSTGRES_URL.includes('?') ? '&' : '?';
  const env = {
    DATABASE_URL: `${POSTGRES_URL}${separator}options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    REDIS_URL,
  };
  const a = liveHub('replica A', sandboxes, env);
  const b = liveHub('replica B', sandboxes, env);
  try {
    await a.start(); // backfills the empty store; B then finds it linked
    await b.start();
    return await latency(
      {
        setup: SETUPS.replicas,
        webhooks: a.url as string,
        subscribers: { url: b.url as string, key: b.key },
        secret: SECRET,
        customerId: await stripeCustomer({ url: a.url as string, key: a.key }),
      },
      log,
    );
  } catch (error) {
    throw new Error(
      `${error instanceof Error ? error.message : String(error)}\n${a.output()}\n${b.output()}`,
    );
  } finally {
    await Promise.all([a.stop(), b.stop()]);
    await admin(`drop schema if exists "${schema}" cascade`);
  }
}

export interface IntakeRun {
  perSecond: number;
  ackedMs: number;
  /** From the first POST until the inbox held nothing pending (every event published). */
  processedMs: number;
}

/** N distinct signed events, `concurrency` in flight at a time; throws on any answer but 200. */
async function blast(hubUrl: string, events: SignedEvent[], concurrency: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < events.length) {
        const res = await post(hubUrl, events[next++] as SignedEvent);
        const answer = await res.text();
        if (res.status !== 200) throw new Error(`the hub answered a webhook ${res.status}: ${answer}`);
      }
    }),
  );
}

/** One hub process on a SQLite file (WAL, synchronous commits): acknowledged webhooks per second. */
async function intake(sandboxes: SandboxProcess, log: (line: string) => void): Promise<IntakeRun[]> {
  log(
    `webhooks: intake, ${INTAKE_EVENTS} events × ${INTAKE_RUNS} runs, ${INTAKE_CONCURRENCY} at a time, SQLite file…`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-'));
  const file = join(dir, 'switchboard.db');
  const hub = liveHub('intake hub', sandboxes, { DATABASE_URL: `sqlite:${file}` });
  let inbox: SQLite.Database | undefined;
  try {
    await hub.start();
    const url = hub.url as string;
    const customerId = await stripeCustomer({ url, key: hub.key });
    // Read-only beside the hub (WAL allows it): how much of the inbox is still to process.
    inbox = new SQLite(file, { readonly: true, fileMustExist: true });
    const pending = inbox.prepare(`select count(*) as n from webhook_inbox where state = 'PENDING'`);
    const drained = () =>
      until(() => (pending.get() as { n: number }).n === 0, 'the inbox to be processed', 120_000);
    const make = (n: number) => Array.from({ length: n }, () => signedEvent(customerId, SECRET));
    await blast(url, make(INTAKE_WARMUP), INTAKE_CONCURRENCY);
    await drained();
    const runs: IntakeRun[] = [];
    for (let r = 0; r < INTAKE_RUNS; r++) {
      const events = make(INTAKE_EVENTS); // signed before the clock starts
      const started = performance.now();
      await blast(url, events, INTAKE_CONCURRENCY);
      const ackedMs = performance.now() - started;
      await drained();
      const run = {
        perSecond: (INTAKE_EVENTS / ackedMs) * 1000,
        ackedMs,
        processedMs: performance.now() - started,
      };
      runs.push(run);
      log(
        `  run ${r + 1}: ${run.perSecond.toFixed(0)} acknowledged/s (${ms(ackedMs)}), all processed after ${ms(run.processedMs)}`,
      );
    }
    const accepted = await scrape(
      { url, key: hub.key },
      'switchboard_webhooks_received_total{source="stripe",outcome="accepted"}',
    );
    const expected = INTAKE_WARMUP + INTAKE_EVENTS * INTAKE_RUNS;
    if (accepted !== expected)
      throw new Error(`the hub counted ${accepted} accepted webhooks, not ${expected}`);
    return runs;
  } finally {
    inbox?.close();
    await hub.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface MemoryResult {
  subscriptions: number;
  rssBefore: number;
  rssAfter: number;
  heapBefore: number;
  heapAfter: number;
}

/** 1,000 idle subscriptions to a hub in a child process, its RSS read from its own `/metrics`. */
async function memory(sandboxes: SandboxProcess, log: (line: string) => void): Promise<MemoryResult> {
  log(`webhooks: memory of ${IDLE_SUBSCRIPTIONS} idle subscriptions (hub in a child process)…`);
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-'));
  const hub = liveHub('memory hub', sandboxes, { DATABASE_URL: `sqlite:${join(dir, 'switchboard.db')}` });
  try {
    await hub.start();
    const url = { url: hub.url as string, key: hub.key };
    const active = (n: number) =>
      until(async () => (await activeSubscriptions(url)) === n, `${n} subscriptions`);
    /** After a pause for the collector, the median of three readings. */
    const settled = async () => {
      await sleep(3_000);
      const rss: number[] = [];
      const heap: number[] = [];
      for (let i = 0; i < 3; i++) {
        rss.push(await scrape(url, 'switchboard_process_resident_memory_bytes'));
        heap.push(await scrape(url, 'switchboard_nodejs_heap_size_used_bytes'));
        await sleep(300);
      }
      return { rss: median(rss), heap: median(heap) };
    };
    // A few subscriptions first, so code loaded and compiled on first use is not counted.
    const warm = subscriberPool(url, QUERY, () => {});
    await warm.growTo(20);
    await active(20);
    await warm.close();
    await active(0);
    const before = await settled();
    const pool = subscriberPool(url, QUERY, () => {});
    try {
      await pool.growTo(IDLE_SUBSCRIPTIONS);
      await active(IDLE_SUBSCRIPTIONS);
      const after = await settled();
      const result = {
        subscriptions: IDLE_SUBSCRIPTIONS,
        rssBefore: before.rss,
        rssAfter: after.rss,
        heapBefore: before.heap,
        heapAfter: after.heap,
      };
      log(
        `  RSS ${mib(result.rssBefore)} → ${mib(result.rssAfter)}: ${kib((result.rssAfter - result.rssBefore) / IDLE_SUBSCRIPTIONS)} per subscription`,
      );
      return result;
    } finally {
      await pool.close();
    }
  } finally {
    await hub.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Sockets, rounds and message size of the floor: about one graphql-ws `next` frame of this subscription. */
const FLOOR = { sockets: 1_000, warmup: 10, rounds: 100, bytes: 160 } as const;

export interface FloorResult {
  sockets: number;
  rounds: number;
  bytes: number;
  /** The loop writing one message to every socket. */
  write: { p50: number; p99: number };
  /** From the loop's start until every client had its message. */
  received: { p50: number; p99: number };
}

/**
 * What the 1,000-subscriber rows cannot go below on this machine: one message written to each of
 * 1,000 loopback TCP sockets with node:net alone (no WebSocket framing, no GraphQL, no hub), the
 * clients in this process. Each write is a system call in which the kernel also delivers the bytes
 * to the client's socket.
 */
async function socketFloor(log: (line: string) => void): Promise<FloorResult> {
  log(
    `webhooks: the floor, one ${FLOOR.bytes}-byte message to each of ${FLOOR.sockets} loopback sockets (node:net)…`,
  );
  const accepted: Socket[] = [];
  const server = createServer((socket) => {
    socket.setNoDelay(true);
    accepted.push(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const clients: Socket[] = [];
  let waiting = 0;
  let arrived = () => {};
  try {
    for (let i = 0; i < FLOOR.sockets; i++) {
      const client = connect(port, '127.0.0.1');
      client.on('data', () => {
        if (--waiting === 0) arrived();
      });
      clients.push(client);
      await new Promise((resolve) => client.once('connect', resolve));
    }
    await until(() => accepted.length === FLOOR.sockets, `${FLOOR.sockets} accepted sockets`);
    const message = Buffer.alloc(FLOOR.bytes, 'x');
    const writes: number[] = [];
    const receipts: number[] = [];
    for (let round = 0; round < FLOOR.warmup + FLOOR.rounds; round++) {
      waiting = FLOOR.sockets;
      const all = new Promise<void>((resolve) => (arrived = resolve));
      const started = performance.now();
      for (const socket of accepted) socket.write(message);
      const written = performance.now();
      await all;
      if (round < FLOOR.warmup) continue;
      writes.push(written - started);
      receipts.push(performance.now() - started);
      await sleep(5);
    }
    const result: FloorResult = {
      ...FLOOR,
      write: { p50: median(writes), p99: percentile(writes, 99) },
      received: { p50: median(receipts), p99: percentile(receipts, 99) },
    };
    log(
      `  writing: p50 ${ms(result.write.p50)}, p99 ${ms(result.write.p99)}; all received: p50 ${ms(result.received.p50)}, p99 ${ms(result.received.p99)}`,
    );
    return result;
  } finally {
    for (const client of clients) client.destroy();
    for (const socket of accepted) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
export const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

export interface WebhooksResult {
  latency: LatencyRow[];
  /** Why the two-replica cases did not run (no PostgreSQL or Redis), if they did not. */
  replicasSkipped?: string;
  intake: IntakeRun[];
  memory: MemoryResult;
  floor: FloorResult;
  markdown: { latency: string; intake: string; memory: string; floor: string };
}

export async function benchWebhooks(log: (line: string) => void): Promise<WebhooksResult> {
  const started = performance.now();
  const floor = await socketFloor(log);
  const rows = await oneProcess(log);
  log('webhooks: starting the sandboxes (a process per vendor) for the hub processes…');
  const sandboxes = await startSandboxProcess({ relaxed: true });
  let replicasSkipped: string | undefined;
  let intakeRuns: IntakeRun[];
  let idle: MemoryResult;
  try {
    rows.push(...(await oneChild(sandboxes, log)));
    // No PostgreSQL or Redis here: say so in the results instead of losing the other numbers.
    replicasSkipped = await unreachable();
    if (replicasSkipped) log(`  two replicas not measured: ${replicasSkipped}`);
    else rows.push(...(await twoReplicas(sandboxes, log)));
    intakeRuns = await intake(sandboxes, log);
    idle = await memory(sandboxes, log);
  } finally {
    await sandboxes.close();
  }
  log(`webhooks: done in ${((performance.now() - started) / 1000).toFixed(0)} s`);

  const latencyTable = table(
    [
      'setup',
      'subscribers',
      'events',
      'answered p50',
      'first p50',
      'first p95',
      'first p99',
      'last p50',
      'last p95',
      'last p99',
      'missed',
    ],
    rows.map((r) => [
      r.setup,
      r.subscribers,
      r.events,
      ms(r.ack),
      ms(r.first.p50),
      ms(r.first.p95),
      ms(r.first.p99),
      ms(r.last.p50),
      ms(r.last.p95),
      ms(r.last.p99),
      r.missed,
    ]),
  );
  const intakeTable = table(
    ['run', 'events', 'concurrency', 'acknowledged in', 'acknowledged/s', 'all processed after'],
    intakeRuns.map((r, i) => [
      i + 1,
      INTAKE_EVENTS,
      INTAKE_CONCURRENCY,
      ms(r.ackedMs),
      r.perSecond.toFixed(0),
      ms(r.processedMs),
    ]),
  );
  const memoryTable = table(
    [
      'idle subscriptions',
      'RSS before',
      'RSS after',
      'RSS per subscription',
      'heap used before',
      'heap used after',
    ],
    [
      [
        idle.subscriptions,
        mib(idle.rssBefore),
        mib(idle.rssAfter),
        kib((idle.rssAfter - idle.rssBefore) / idle.subscriptions),
        mib(idle.heapBefore),
        mib(idle.heapAfter),
      ],
    ],
  );
  const floorTable = table(
    ['sockets', 'message', 'rounds', 'writing p50', 'writing p99', 'all received p50', 'all received p99'],
    [
      [
        floor.sockets,
        `${floor.bytes} bytes`,
        floor.rounds,
        ms(floor.write.p50),
        ms(floor.write.p99),
        ms(floor.received.p50),
        ms(floor.received.p99),
      ],
    ],
  );
  return {
    latency: rows,
    replicasSkipped,
    intake: intakeRuns,
    memory: idle,
    floor,
    markdown: { latency: latencyTable, intake: intakeTable, memory: memoryTable, floor: floorTable },
  };
}
