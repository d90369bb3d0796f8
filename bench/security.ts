/**
 * Security benchmark: the attacks of issue "Safe to expose" against `npm start` as it runs (a child
 * process, sandbox mode, a SQLite file), with `/healthz` polled throughout and the process's memory
 * read before and after; then what authentication and scope checks cost a warm customer-360 query,
 * the same hub with security on and off, alternating, in one run.
 * Run: `npm run bench -- security`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { openStore } from '../src/store/store.ts';
import { backfillLinks } from '../src/links/backfill.ts';
import { startSandboxProcess } from '../src/sandbox/process.ts';
import { CUSTOMER_360_QUERY } from '../src/graph/example-queries.ts';
import {
  closeSources,
  median,
  ms,
  percentile,
  postGraphQL,
  sandboxHub,
  scrape,
  securedServer,
  sleep,
  table,
} from './support.ts';

export interface Attack {
  name: string;
  /** What the hub answered, e.g. `401 ×200`. */
  answered: string;
  /** Whether it was refused as the issue requires. */
  refused: boolean;
  /** Vendor requests the attack caused (sandbox request logs). */
  vendorCalls: number;
  ms: number;
}

export interface SecurityResult {
  attacks: Attack[];
  deepQuery: { bytes: number; ms: number; vendorCalls: number; answered: string };
  health: { polls: number; p50: number; p99: number; max: number };
  memory: { rssBefore: number; rssAfter: number; rssMax: number };
  overhead: { runs: number; on: number; off: number; onP95: number; offP95: number };
  markdown: string;
}

/** `npm start` with a fresh SQLite file, as a newcomer runs it; the URLs and key come from its banner. */
async function startHub(
  dir: string,
): Promise<{ child: ChildProcess; url: string; key: string; sandboxes: string[] }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: new URL('..', import.meta.url),
    env: {
      ...process.env,
      PORT: '0',
      DATABASE_URL: `sqlite:${join(dir, 'switchboard.db')}`,
      LOG_LEVEL: 'error',
      // As outside sandbox mode: the attacks include introspection and "did you mean" probing.
      SWITCHBOARD_INTROSPECTION: 'off',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 90_000;
  while (!/Development key\s+(\S+)/.test(output)) {
    if (child.exitCode !== null || Date.now() > deadline)
      throw new Error(`npm start did not come up:\n${output}`);
    await sleep(50);
  }
  const url = /GraphQL \+ GraphiQL\s+(\S+)\/graphql/.exec(output)![1]!;
  const key = /Development key\s+(\S+)/.exec(output)![1]!;
  const sandboxes = [...output.matchAll(/^\s{4}\S+\s+(http:\/\/127\.0\.0\.1:\d+)\s*$/gm)].map((m) => m[1]!);
  return { child, url, key, sandboxes };
}

const vendorRequests = async (sandboxes: string[]) => {
  let total = 0;
  for (const url of sandboxes) {
    const body = (await (await fetch(`${url}/__sandbox/requests?limit=0`)).json()) as { total: number };
    total += body.total;
  }
  return total;
};

/** Counts of each status in a list of answers: `401 ×200, 429 ×3`. */
const statuses = (codes: Array<number | string>) => {
  const counts = new Map<string, number>();
  for (const code of codes) counts.set(String(code), (counts.get(String(code)) ?? 0) + 1);
  return [...counts].map(([code, n]) => (n > 1 ? `${code} ×${n}` : code)).join(', ');
};

/** 11 levels of customers → bookings → customer, `first: 3` each: the 726-byte query of the issue. */
export function deepQuery(levels = 11): string {
  let inner = 'id displayName email';
  for (let i = 0; i < levels - 1; i++)
    inner = `customer { bookings(first: 3) { edges { node { ${inner} } } } }`;
  return `{ customers(first: 3) { edges { node { bookings(first: 3) { edges { node { ${inner} } } } } } } }`;
}

/** A POST whose body is streamed in chunks without Content-Length. */
function chunkedPost(url: string, key: string, bytes: number): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      `${url}/graphql`,
      { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', () => resolve(0));
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let sent = 0;
    const pump = () => {
      while (sent < bytes) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      req.end();
    };
    req.write('{"query":"');
    pump();
  });
}

async function attacks(log: (line: string) => void): Promise<Omit<SecurityResult, 'overhead' | 'markdown'>> {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-security-'));
  const hub = await startHub(dir);
  const results: Attack[] = [];
  const health: number[] = [];
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const started = performance.now();
      await fetch(`${hub.url}/healthz`).then((r) => r.text());
      health.push(performance.now() - started);
      await sleep(50);
    }
  })();
  // A key of its own for reading /metrics, so the rate-limit flood at the end does not lock it out.
  const made = await fetch(`${hub.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${hub.key}` },
    body: JSON.stringify({
      query: 'mutation { createApiKey(input: { name: "bench metrics", scopes: [OPERATOR] }) { secret } }',
    }),
  });
  const metricsKey = ((await made.json()) as { data: { createApiKey: { secret: string } } }).data.createApiKey
    .secret;
  const rssSamples: number[] = [];
  const rss = async () => {
    const value = await scrape(
      { url: hub.url, key: metricsKey },
      'switchboard_process_resident_memory_bytes',
    );
    rssSamples.push(value);
    return value;
  };
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${hub.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json',
        ...headers,
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const auth = { authorization: `Bearer ${hub.key}` };
  const attack = async (
    name: string,
    times: number,
    send: () => Promise<number | string>,
    ok: (code: number | string) => boolean,
  ) => {
    const before = await vendorRequests(hub.sandboxes);
    const started = performance.now();
    const codes: Array<number | string> = [];
    for (let i = 0; i < times; i += 20) {
      codes.push(...(await Promise.all(Array.from({ length: Math.min(20, times - i) }, send))));
    }
    const elapsed = performance.now() - started;
    const vendorCalls = (await vendorRequests(hub.sandboxes)) - before;
    const refused = codes.every(ok);
    results.push({ name, answered: statuses(codes), refused, vendorCalls, ms: elapsed / times });
    log(`  ${name}: ${statuses(codes)}, ${vendorCalls} vendor calls${refused ? '' : ' — NOT REFUSED'}`);
  };
  try {
    // Warm the process (JIT, caches) so the memory baseline is not its start-up.
    for (let i = 0; i < 20; i++) await (await post({ query: CUSTOMER_360_QUERY }, auth)).text();
    await sleep(2_000);
    const rssBefore = await rss();

    const everyCustomer = `{ customers(first: 100) { edges { node { email phone } } } }`;
    // Unauthenticated floods: 401, and 429 once an address has failed 30 times in a minute.
    const unauthenticated = (c: number | string) => c === 401 || c === 429;
    await attack(
      "read customers' email and phone without a key",
      200,
      async () => (await post({ query: everyCustomer })).status,
      unauthenticated,
    );
    for (const mutation of [
      'mutation { placeOrder(input: { customerId: "x", lines: [{ description: "x", unitAmount: 1 }], currency: "GBP" }) { operation { id } } }',
      'mutation { refundOrder(id: "x") { operation { id } } }',
      'mutation { retryDelivery(operationId: "x") { id } }',
    ]) {
      const name = /mutation \{ (\w+)/.exec(mutation)![1];
      await attack(
        `${name} without a key`,
        50,
        async () => (await post({ query: mutation })).status,
        unauthenticated,
      );
    }
    await attack(
      'a forged or guessed key',
      100,
      async () =>
        (
          await post(
            { query: everyCustomer },
            { authorization: `Bearer sb_test_${'A'.repeat(12)}_${'B'.repeat(43)}` },
          )
        ).status,
      unauthenticated,
    );
    await attack(
      'another workspace via X-Switchboard-Workspace',
      50,
      async () =>
        (await post({ query: everyCustomer }, { ...auth, 'x-switchboard-workspace': 'other' })).status,
      (c) => c === 403,
    );
    await attack(
      'a key in the query string',
      50,
      async () => (await fetch(`${hub.url}/graphql?api_key=${hub.key}&query={__typename}`)).status,
      (c) => c === 400,
    );
    for (const [type, body] of [
      [
        'application/x-www-form-urlencoded',
        'query=mutation%7BretryDelivery(operationId%3A%22x%22)%7Bid%7D%7D',
      ],
      [
        'multipart/form-data; boundary=x',
        '--x\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{"query":"mutation{retryDelivery(operationId:\\"x\\"){id}}"}\r\n--x--',
      ],
      ['text/plain', '{"query":"mutation{retryDelivery(operationId:\\"x\\"){id}}"}'],
    ] as const) {
      await attack(
        `cross-site ${type.split(';')[0]} POST`,
        20,
        async () => (await post(body, { ...auth, 'content-type': type })).status,
        (c) => c === 415,
      );
    }
    await attack(
      'CORS preflight from a foreign origin',
      20,
      async () => {
        const res = await fetch(`${hub.url}/graphql`, {
          method: 'OPTIONS',
          headers: {
            origin: 'https://evil.example',
            'access-control-request-method': 'POST',
            'access-control-request-headers': 'authorization,content-type',
          },
        });
        return res.headers.get('access-control-allow-origin') ?? 'no ACAO';
      },
      (c) => c === 'no ACAO',
    );
    await attack(
      'WebSocket from a foreign origin',
      20,
      () =>
        new Promise((resolve) => {
          const socket = new WebSocket(`${hub.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws', {
            origin: 'https://evil.example',
          });
          socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
          socket.on('open', () => {
            socket.close();
            resolve('open');
          });
          socket.on('error', () => resolve('error'));
        }),
      (c) => c === 403,
    );

    const deep = deepQuery();
    const deepBefore = await vendorRequests(hub.sandboxes);
    const deepTimes: number[] = [];
    const deepCodes: number[] = [];
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      const res = await post({ query: deep }, auth);
      await res.text();
      deepTimes.push(performance.now() - started);
      deepCodes.push(res.status);
    }
    const deepQueryResult = {
      bytes: Buffer.byteLength(deep),
      ms: median(deepTimes),
      vendorCalls: (await vendorRequests(hub.sandboxes)) - deepBefore,
      answered: statuses(deepCodes),
    };
    results.push({
      name: `the ${Buffer.byteLength(deep)}-byte 11-level query`,
      answered: deepQueryResult.answered,
      refused: deepCodes.every((c) => c === 400),
      vendorCalls: deepQueryResult.vendorCalls,
      ms: deepQueryResult.ms,
    });
    log(
      `  11-level query: ${deepQueryResult.answered} in ${ms(deepQueryResult.ms)} (median), ${deepQueryResult.vendorCalls} vendor calls`,
    );

    const aliases = `{ ${Array.from({ length: 40_000 }, (_, i) => `a${i}: __typename`).join(' ')} }`;
    await attack(
      '40,000 aliases',
      10,
      async () => (await post({ query: aliases }, auth)).status,
      (c) => c === 400 || c === 413,
    );
    const wide = `{ customers(first: 1000) { edges { node { bookings(first: 500) { edges { node { customer { id } } } } } } } }`;
    await attack(
      'a costly query (1,000 customers × 500 bookings)',
      20,
      async () => (await post({ query: wide }, auth)).status,
      (c) => c === 400,
    );
    await attack(
      'introspection',
      20,
      async () => {
        const res = await post({ query: '{ __schema { types { name } } }' }, auth);
        return res.status;
      },
      (c) => c === 400,
    );
    await attack(
      '"did you mean" probing',
      20,
      async () => {
        const body = await (await post({ query: '{ customer { emai } }' }, auth)).text();
        return /Did you mean/.test(body) ? 'suggested' : 'no suggestion';
      },
      (c) => c === 'no suggestion',
    );
    await attack(
      'a 20 MB chunked body',
      5,
      () => chunkedPost(hub.url, hub.key, 20 * 1024 * 1024),
      (c) => c === 413 || c === 0,
    );
    await attack(
      'a 32 KB header',
      20,
      async () => {
        try {
          return (await post({ query: '{ __typename }' }, { ...auth, 'x-padding': 'x'.repeat(32_768) }))
            .status;
        } catch {
          return 'reset';
        }
      },
      (c) => c === 431 || c === 'reset',
    );
    await attack(
      '/metrics and /readyz details without a key',
      20,
      async () => {
        const metrics = (await fetch(`${hub.url}/metrics`)).status;
        const ready = (await (await fetch(`${hub.url}/readyz`)).json()) as Record<string, unknown>;
        return unauthenticated(metrics) && Object.keys(ready).join() === 'status' ? 'refused' : 'served';
      },
      (c) => c === 'refused',
    );

    // 2,000 WebSocket connections from one client and key, 50 handshakes at a time.
    {
      const before = await vendorRequests(hub.sandboxes);
      const started = performance.now();
      const outcomes: string[] = [];
      const clients: Array<ReturnType<typeof createClient>> = [];
      for (let i = 0; i < 2_000; i += 50) {
        outcomes.push(
          ...(await Promise.all(
            Array.from(
              { length: 50 },
              () =>
                new Promise<string>((resolve) => {
                  const client = createClient({
                    url: `${hub.url.replace('http', 'ws')}/graphql`,
                    webSocketImpl: WebSocket,
                    lazy: false,
                    retryAttempts: 0,
                    connectionParams: { authorization: `Bearer ${hub.key}` },
                    // Refusals are the point here: counted below, not printed.
                    onNonLazyError: () => {},
                    on: {
                      connected: () => resolve('open'),
                      closed: (event) => resolve(String((event as { code?: number }).code ?? 'closed')),
                      error: () => resolve('refused'),
                    },
                  });
                  clients.push(client);
                }),
            ),
          )),
        );
      }
      const opened = outcomes.filter((o) => o === 'open').length;
      await Promise.all(clients.map((c) => c.dispose()));
      const answered = statuses(outcomes);
      results.push({
        name: '2,000 WebSocket connections with one key',
        answered,
        refused: opened <= 50,
        vendorCalls: (await vendorRequests(hub.sandboxes)) - before,
        ms: (performance.now() - started) / 2_000,
      });
      log(`  2,000 WebSocket connections: ${answered}`);
    }
    // Last: the flood that the callers' rate limit (1,200 a minute per key) answers with 429.
    await attack(
      '2,000 requests in a burst with one key',
      2_000,
      async () => (await post({ query: '{ __typename }' }, auth)).status,
      (c) => c === 200 || c === 429,
    );
    const flood = results.at(-1)!;
    flood.refused = /429/.test(flood.answered);

    await sleep(2_000);
    const rssAfter = await rss();
    polling = false;
    await poller;
    return {
      attacks: results,
      deepQuery: deepQueryResult,
      health: {
        polls: health.length,
        p50: median(health),
        p99: percentile(health, 99),
        max: Math.max(...health),
      },
      memory: { rssBefore, rssAfter, rssMax: Math.max(...rssSamples) },
    };
  } finally {
    polling = false;
    await poller;
    hub.child.kill('SIGTERM');
    await new Promise((resolve) => hub.child.once('exit', resolve));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The warm customer-360 query on one hub through two servers, security on and off, alternating. */
async function overhead(log: (line: string) => void, runs = 2_000): Promise<SecurityResult['overhead']> {
  const sandboxes = await startSandboxProcess({ customers: 300, relaxed: true });
  const store = await openStore({ url: ':memory:' });
  await store.migrate();
  const hub = sandboxHub(sandboxes.endpoints, store, { limits: false });
  try {
    await backfillLinks(hub, hub.defaultWorkspace);
    const on = await securedServer(hub);
    const off = await securedServer(hub, { enabled: false });
    const run = async (target: typeof on) => {
      const started = performance.now();
      const res = await postGraphQL(target, CUSTOMER_360_QUERY, { first: 10 });
      const body = (await res.json()) as { errors?: unknown[] };
      const elapsed = performance.now() - started;
      if (body.errors) throw new Error(`the query failed: ${JSON.stringify(body.errors).slice(0, 300)}`);
      return elapsed;
    };
    for (let i = 0; i < 200; i++) {
      await run(on);
      await run(off);
    }
    const times = { on: [] as number[], off: [] as number[] };
    for (let i = 0; i < runs; i++) {
      // Alternate which goes first, so neither always runs on a just-warmed path.
      if (i % 2 === 0) {
        times.on.push(await run(on));
        times.off.push(await run(off));
      } else {
        times.off.push(await run(off));
        times.on.push(await run(on));
      }
    }
    const result = {
      runs,
      on: median(times.on),
      off: median(times.off),
      onP95: percentile(times.on, 95),
      offP95: percentile(times.off, 95),
    };
    log(`  warm customer-360 (10 customers): p50 ${ms(result.on)} with security, ${ms(result.off)} without`);
    await on.security.close();
    await off.security.close();
    return result;
  } finally {
    await closeSources(hub);
    await store.close();
    await sandboxes.close();
  }
}

const mib = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MiB`;

export async function benchSecurity(log: (line: string) => void): Promise<SecurityResult> {
  log('security: the attacks against `npm start` (child process, sandbox mode, SQLite file)…');
  const attacked = await attacks(log);
  log('security: what authentication and scope checks cost the warm customer-360 query…');
  const cost = await overhead(log);
  const markdown = [
    table(
      ['attack', 'answered', 'refused', 'vendor calls', 'per request'],
      attacked.attacks.map((a) => [
        a.name,
        a.answered,
        a.refused ? 'yes' : '**no**',
        a.vendorCalls,
        ms(a.ms),
      ]),
    ),
    '',
    table(
      ['/healthz during the attacks', 'polls', 'p50', 'p99', 'slowest'],
      [
        [
          'every 50 ms',
          attacked.health.polls,
          ms(attacked.health.p50),
          ms(attacked.health.p99),
          ms(attacked.health.max),
        ],
      ],
    ),
    '',
    table(
      ['hub memory (RSS)', 'before', 'after', 'highest read', 'growth'],
      [
        [
          '',
          mib(attacked.memory.rssBefore),
          mib(attacked.memory.rssAfter),
          mib(attacked.memory.rssMax),
          mib(attacked.memory.rssAfter - attacked.memory.rssBefore),
        ],
      ],
    ),
    '',
    table(
      ['warm customer-360, 10 customers', 'runs', 'p50', 'p95'],
      [
        ['security on', cost.runs, ms(cost.on), ms(cost.onP95)],
        ['security off', cost.runs, ms(cost.off), ms(cost.offP95)],
        ['difference', '', ms(cost.on - cost.off), ms(cost.onP95 - cost.offP95)],
      ],
    ),
  ].join('\n');
  return { ...attacked, overhead: cost, markdown };
}
