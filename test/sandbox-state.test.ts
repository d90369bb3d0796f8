import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../harness/wait.ts';

// Sandbox mode as a developer lives with it: `npm start` on a data folder, stopped and started
// again, `npm run sandbox -- trigger` and `-- reset` as separate processes. Real sockets throughout.
const root = new URL('..', import.meta.url);
const dir = mkdtempSync(join(tmpdir(), 'switchboard-sandbox-state-'));
const env = {
  ...process.env,
  PORT: '0',
  DATABASE_URL: `sqlite:${join(dir, 'switchboard.db')}`,
  LOG_LEVEL: 'warn',
};
let child: ChildProcess | undefined;
let output = '';
let url = '';
let key = '';

async function start(): Promise<void> {
  output = '';
  const started = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = started;
  started.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  started.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  url = await waitFor(
    () =>
      /GraphQL \+ GraphiQL\s+(\S+)\/graphql/.exec(output)?.[1] ??
      (started.exitCode !== null ? 'exited' : undefined),
    () => `the banner; output so far:\n${output}`,
    90_000,
  );
  if (url === 'exited') throw new Error(`npm start exited early:\n${output}`);
  key = /Development key\s+(sb_test_\S+)/.exec(output)?.[1] ?? '';
}

async function stop(): Promise<number | null> {
  const running = child;
  if (!running || running.exitCode !== null) return running?.exitCode ?? null;
  const exited = new Promise<number | null>((resolve) => running.once('exit', resolve));
  running.kill('SIGTERM');
  return exited;
}

/** Runs `npm run sandbox -- <args>` against the same data folder. */
function sandboxCli(...args: string[]): { status: number | null; out: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/sandbox/cli.ts', ...args], {
    cwd: root,
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { status: result.status, out: `${result.stdout}${result.stderr}` };
}

async function graphql(query: string, variables: Record<string, unknown> = {}): Promise<any> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: any; errors?: unknown[] };
  if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data;
}

/** The hub's `events` subscription over SSE, collecting every event it sends. */
async function subscribe(types: string[]): Promise<{ events: any[]; close(): Promise<void> }> {
  const before = await activeSubscriptions();
  const abort = new AbortController();
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'text/event-stream',
      authorization: `Bearer ${key}`,
    },
    body: JSON.stringify({
      query: `subscription($types: [EventType!]) { events(types: $types) {
        type source customer { id phone } booking { id start status }
        order { status links { system externalId } } invoice { number status } } }`,
      variables: { types },
    }),
    signal: abort.signal,
  });
  expect(res.status).toBe(200);
  const events: any[] = [];
  let buffer = '';
  void (async () => {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const message = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = message
            .split('\n')
            .filter((l) => l.startsWith('data:'))
            .map((l) => l.slice(5).trim())
            .join('');
          if (data) events.push((JSON.parse(data) as { data?: { events?: unknown } }).data?.events);
        }
      }
    } catch {
      // aborted at close
    }
  })();
  // Subscribed once the hub counts it (the gauge), so nothing triggered after this is missed.
  await waitFor(
    async () => ((await activeSubscriptions()) > before ? true : undefined),
    () => 'the subscription to be active',
  );
  return {
    events,
    async close() {
      abort.abort();
      // Gone from the gauge too, so the next subscribe() sees its own subscription arrive.
      await waitFor(
        async () => ((await activeSubscriptions()) <= before ? true : undefined),
        () => 'the subscription to end',
      );
    },
  };
}

async function activeSubscriptions(): Promise<number> {
  const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${key}` } })).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('switchboard_subscriptions_active'))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
}

const BOOKING = `query($id: ID!) { booking(id: $id) { id title start status } }`;

afterAll(async () => {
  await stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('sandbox mode keeps its state in the data folder', () => {
  let bookingId = '';
  let bookingStart = '';

  it('saves every sandbox under <dataDir>/sandboxes and says so in the banner', async () => {
    await start();
    expect(output).toContain(`Vendor sandboxes (kept in ${join(dir, 'sandboxes')}`);
    expect(output).toMatch(/Linked \d+ customers/);
    const saved = readdirSync(join(dir, 'sandboxes')).sort();
    // Where they listen, not what they accept: the CLI asks each sandbox for its test credentials.
    const running = readFileSync(join(dir, 'sandboxes', 'running.json'), 'utf8');
    expect(running).toContain(url);
    expect(running).not.toContain('sk_test_switchboard_sandbox');
    expect(running).not.toContain('pat-na1-switchboard-sandbox');
    expect(saved).toEqual(
      expect.arrayContaining(['google_calendar.json', 'hubspot.json', 'running.json', 'stripe.json']),
    );
  }, 120_000);

  it('a booking made through GraphQL is still there after a restart', async () => {
    const customers = await graphql(`
      {
        customers(first: 1) {
          edges {
            node {
              id
            }
          }
        }
      }
    `);
    const customerId = customers.customers.edges[0].node.id as string;
    // Past the seed's bookings (90 days ahead): createBooking refuses a time the calendar is busy at.
    const day = new Date(Date.now() + 100 * 86_400_000);
    day.setUTCHours(10, 0, 0, 0);
    bookingStart = day.toISOString();
    const made = await graphql(
      `
        mutation ($input: CreateBookingInput!) {
          createBooking(input: $input, idempotencyKey: "persist-1") {
            operation {
              state
            }
            booking {
              id
              start
            }
          }
        }
      `,
      {
        input: {
          customerId,
          start: bookingStart,
          end: new Date(day.getTime() + 3_600_000).toISOString(),
          service: 'Sports massage (60 min)',
          serviceCode: 'SPORTS-60',
        },
      },
    );
    bookingId = made.createBooking.booking?.id as string;
    expect(bookingId).toBeTruthy();

    expect(await stop()).toBe(0);
    expect(existsSync(join(dir, 'sandboxes', 'running.json'))).toBe(false);
    await start();
    expect(output).not.toMatch(/Linked \d+ customers/); // the hub's links were kept, as before
    expect(output).toMatch(/google_calendar\s+http:\S+\s+\(saved state\)/);
    const found = await graphql(BOOKING, { id: bookingId });
    expect(found.booking).not.toBeNull();
    expect(found.booking).toMatchObject({ id: bookingId, status: 'CONFIRMED' });
    expect(new Date(found.booking.start as string).toISOString()).toBe(bookingStart);
  }, 180_000);

  it('trigger event.moved: the calendar sandbox moves a booking and the hub publishes BOOKING_CHANGED', async () => {
    const sub = await subscribe(['BOOKING_CHANGED']);
    try {
      const run = sandboxCli('trigger', 'event.moved');
      expect(run.out).toMatch(/^event\.moved: booking \S+ moved from \S+ to \S+\./);
      expect(run.status).toBe(0);
      const to = /moved from \S+ to (\S+)\./.exec(run.out)![1]!;
      const event = await waitFor(
        () =>
          sub.events.find(
            (e) => e?.booking && new Date(e.booking.start as string).getTime() === new Date(to).getTime(),
          ),
        () => `a BOOKING_CHANGED starting at ${to}; got ${JSON.stringify(sub.events)}`,
      );
      expect(event).toMatchObject({ type: 'BOOKING_CHANGED', source: 'GOOGLE_CALENDAR' });
    } finally {
      await sub.close();
    }
  }, 60_000);

  it('trigger contact.propertyChange: HubSpot sends its signed webhook and the hub publishes CUSTOMER_CHANGED', async () => {
    const sub = await subscribe(['CUSTOMER_CHANGED']);
    try {
      const run = sandboxCli('trigger', 'contact.propertyChange');
      expect(run.status).toBe(0);
      const phone = /phone set to (.+)\.\n/.exec(run.out)?.[1];
      expect(phone).toBeTruthy();
      const event = await waitFor(
        () => sub.events.find((e) => e?.customer?.phone === phone),
        () => `a CUSTOMER_CHANGED with phone ${phone}; got ${JSON.stringify(sub.events)}`,
      );
      expect(event.type).toBe('CUSTOMER_CHANGED');
    } finally {
      await sub.close();
    }
  }, 60_000);

  it('trigger payment_intent.succeeded: a card payment in Stripe reaches the hub as PAYMENT_RECEIVED', async () => {
    const sub = await subscribe(['PAYMENT_RECEIVED']);
    try {
      const run = sandboxCli('trigger', 'payment_intent.succeeded');
      expect(run.status).toBe(0);
      const intent = /payment (pi_\S+) \(succeeded\)/.exec(run.out)?.[1];
      expect(intent).toBeTruthy();
      const event = await waitFor(
        () => sub.events.find((e) => e?.order?.links.some((l: any) => l.externalId === intent)),
        () => `a PAYMENT_RECEIVED for ${intent}; got ${JSON.stringify(sub.events)}`,
      );
      expect(event).toMatchObject({
        type: 'PAYMENT_RECEIVED',
        source: 'STRIPE',
        order: { status: 'SUCCEEDED' },
      });
    } finally {
      await sub.close();
    }
  }, 60_000);

  it('trigger invoice.paid: the accounting sandbox pays an invoice and the hub publishes INVOICE_CHANGED', async () => {
    const sub = await subscribe(['INVOICE_CHANGED']);
    try {
      const run = sandboxCli('trigger', 'invoice.paid');
      expect(run.status).toBe(0);
      const number = /invoice (\S+) \(/.exec(run.out)?.[1];
      expect(number).toBeTruthy();
      const event = await waitFor(
        () => sub.events.find((e) => e?.invoice?.number === number),
        () => `an INVOICE_CHANGED for ${number}; got ${JSON.stringify(sub.events)}`,
      );
      expect(event.invoice.status).toBe('PAID');
    } finally {
      await sub.close();
    }
  }, 60_000);

  it('trigger --list names every action; an unknown one gets the list and exit 1', () => {
    const list = sandboxCli('trigger', '--list');
    expect(list.status).toBe(0);
    for (const action of [
      'payment_intent.succeeded',
      'contact.propertyChange',
      'event.moved',
      'invoice.paid',
    ])
      expect(list.out).toMatch(new RegExp(`\\n  ${action.replace('.', '\\.')}\\s+\\S`));
    const unknown = sandboxCli('trigger', 'payment_intent.exploded');
    expect(unknown.status).toBe(1);
    expect(unknown.out).toContain('Unknown action "payment_intent.exploded"');
    expect(unknown.out).toContain('event.moved');
  });

  it('reset refuses while the hub runs', () => {
    const run = sandboxCli('reset', '--yes');
    expect(run.status).toBe(1);
    expect(run.out).toMatch(/The hub is running on this data folder \(pid \d+/);
    expect(existsSync(join(dir, 'switchboard.db'))).toBe(true);
  });

  it('a second hub on the same data folder is refused rather than overwriting the saved sandboxes', () => {
    const second = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: root,
      env,
      encoding: 'utf8',
      timeout: 90_000,
    });
    expect(second.status).toBe(1);
    expect(second.stderr).toMatch(/another sandbox-mode hub \(pid \d+, http:\S+\) runs on the data folder/);
  }, 120_000);

  it('a corrupt saved sandbox stops the start with a message naming the file and the reset', async () => {
    expect(await stop()).toBe(0);
    const file = join(dir, 'sandboxes', 'google_calendar.json');
    writeFileSync(file, '{"format":1,"module":"google_calendar","seed":');
    await expect(start()).rejects.toThrow(/exited early/);
    expect(child?.exitCode).toBe(1);
    expect(output).toContain(`The saved sandbox state in ${file} cannot be loaded: it is not valid JSON`);
    expect(output).toContain('npm run sandbox -- reset');
    expect(output).not.toMatch(/\n\s+at /); // a message, not a stack trace
  }, 120_000);

  it('reset --yes clears the store and the saved sandboxes together; the next start reseeds both', async () => {
    const asked = sandboxCli('reset');
    expect(asked.status).toBe(1); // no TTY to ask on: nothing deleted without --yes
    expect(asked.out).toContain(join(dir, 'switchboard.db'));
    expect(asked.out).toContain(join(dir, 'sandboxes', 'google_calendar.json'));
    expect(existsSync(join(dir, 'switchboard.db'))).toBe(true);

    const run = sandboxCli('reset', '--yes');
    expect(run.status).toBe(0);
    expect(existsSync(join(dir, 'switchboard.db'))).toBe(false);
    expect(existsSync(join(dir, 'sandboxes', 'google_calendar.json'))).toBe(false);
    expect(existsSync(join(dir, 'sandboxes', 'stripe.json'))).toBe(false);

    await start();
    expect(output).toMatch(/Linked \d+ customers/);
    expect(output).toMatch(/google_calendar\s+http:\S+\s+\(seeded\)/);
    // The calendar was reseeded: the event the booking was is gone from the vendor, as it should be.
    await expect(graphql(BOOKING, { id: bookingId })).rejects.toThrow(/"sourceCode":"NOT_FOUND"/);
  }, 180_000);

  it('reset refuses in live mode', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/sandbox/cli.ts', 'reset', '--yes'], {
      cwd: root,
      env: { ...env, STRIPE_API_KEY: 'sk_test_not_a_real_key' },
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('Refusing to reset: vendor credentials are set (STRIPE_API_KEY)');
    expect(run.stderr).toContain('Nothing was deleted');
  });
});
