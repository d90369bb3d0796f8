import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { startSwitchboard, type RunningSwitchboard } from '../src/app.ts';
import { startSandboxes, type Sandboxes } from '../src/sandbox/start.ts';
import { CUSTOMER_360_QUERY } from '../src/graph/example-queries.ts';
import { clearFaults, injectFault, sandboxAction } from '../harness/sandbox-admin.ts';
import { generateBusiness, upcomingBookings } from '../src/sandbox/seed/business.ts';
import { toGlobalId } from '../src/graph/ids.ts';
import { waitFor } from '../harness/wait.ts';

// OpenTelemetry traces end to end: the hub over the four sandboxes exports OTLP/HTTP JSON to a
// collector played by a node:http server here. Nothing is flushed by the test: what arrives was
// sent by the batch processor when the hub shut down.

/** What a collector received: each POST's path, headers and decoded JSON. */
interface Receiver {
  url: string;
  posts: Array<{ path: string; headers: Record<string, string | string[] | undefined>; text: string }>;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const posts: Receiver['posts'] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      posts.push({ path: req.url ?? '', headers: req.headers, text: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    posts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

type OtlpValue = {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
  arrayValue?: { values?: OtlpValue[] };
};
type OtlpAttribute = { key: string; value: OtlpValue };
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  attributes?: OtlpAttribute[];
  events?: Array<{ name: string; attributes?: OtlpAttribute[] }>;
  status?: { code?: number };
}
/** A span with its attributes as plain values. */
interface Span extends Omit<OtlpSpan, 'attributes'> {
  attributes: Record<string, unknown>;
  service: unknown;
}

const valueOf = (value: OtlpValue): unknown =>
  value.stringValue ??
  (value.intValue !== undefined ? Number(value.intValue) : undefined) ??
  value.boolValue ??
  value.doubleValue ??
  value.arrayValue?.values?.map(valueOf);
const attributesOf = (list: OtlpAttribute[] = []) =>
  Object.fromEntries(list.map(({ key, value }) => [key, valueOf(value)]));

function spansOf(receiver: Receiver): Span[] {
  return receiver.posts.flatMap((post) => {
    const body = JSON.parse(post.text) as {
      resourceSpans: Array<{
        resource?: { attributes?: OtlpAttribute[] };
        scopeSpans: Array<{ spans: OtlpSpan[] }>;
      }>;
    };
    return body.resourceSpans.flatMap((r) =>
      r.scopeSpans.flatMap((s) =>
        s.spans.map((span) => ({
          ...span,
          attributes: attributesOf(span.attributes),
          service: attributesOf(r.resource?.attributes)['service.name'],
        })),
      ),
    );
  });
}

const INTERNAL = 1;
const SERVER = 2;
const CLIENT = 3;
const EMAIL = /[\w.+-]+@[\w-]+(\.[\w-]+)+/;

const graphql = async (app: RunningSwitchboard, body: unknown) => {
  const res = await fetch(`${app.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${app.developmentKey}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { data?: any; errors?: unknown[] } };
};

describe('traces (SWITCHBOARD_OTEL_ENDPOINT set)', () => {
  let sandboxes: Sandboxes;
  let receiver: Receiver;
  let spans: Span[];
  let developmentKey: string;

  beforeAll(async () => {
    sandboxes = await startSandboxes({ relaxed: true });
    receiver = await startReceiver();
    const app = await startSwitchboard(
      loadConfig({
        PORT: '0',
        DATABASE_URL: ':memory:',
        SWITCHBOARD_OTEL_ENDPOINT: `${receiver.url}/v1/traces`,
        SWITCHBOARD_OTEL_SERVICE_NAME: 'switchboard-test',
        OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-collector-key=abc%20123',
      }),
      { sandboxes },
    );
    developmentKey = app.developmentKey!;
    try {
      // One failure the client retries: an event on that call's span.
      // (Xero's invoice list is a GET, QuickBooks' query a POST marked idempotent: both are retried.)
      await injectFault(sandboxes.accounting.url, { status: 503, times: 1 });
      const first = await graphql(app, { query: CUSTOMER_360_QUERY, variables: { first: 5 } });
      expect(first.status).toBe(200);
      expect(first.body.errors).toBeUndefined();
      // The same query again: answered from the response cache before yoga, with no vendor call.
      const again = await graphql(app, { query: CUSTOMER_360_QUERY, variables: { first: 5 } });
      expect(again.body).toEqual({ ...first.body, extensions: expect.anything() });
      // A query naming a customer's email in a variable: neither goes into a span.
      const email = first.body.data.customers.edges[0].node.email as string;
      expect(email).toMatch(EMAIL);
      await graphql(app, {
        query: 'query Lookup($q: String!) { customers(first: 1, search: $q) { totalCount } }',
        variables: { q: email },
      });
      // A document that does not validate, and a request with a wrong key.
      expect((await graphql(app, { query: 'query Broken { nope }' })).body.errors).toHaveLength(1);
      const refused = await fetch(`${app.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer sb_test_wrong' },
        body: JSON.stringify({ query: 'query Refused { customers(first: 1) { totalCount } }' }),
      });
      expect(refused.status).toBe(401);
      // A booking moved in the calendar: its webhook, then the processor's batch in the background.
      const booking = upcomingBookings(generateBusiness())[0]!;
      const start = new Date(booking.start.getTime() + 3_600_000);
      await sandboxAction(`${sandboxes.calendar.url}/__sandbox/actions/move-booking`, {
        eventId: booking.ids.googleEventId,
        start: start.toISOString(),
        end: new Date(booking.end.getTime() + 3_600_000).toISOString(),
      });
      const id = toGlobalId('Booking', `google_calendar:${booking.ids.googleEventId}`);
      await waitFor(
        async () => {
          const res = await graphql(app, {
            query: 'query($id: ID!) { booking(id: $id) { start } }',
            variables: { id },
          });
          return new Date(res.body.data?.booking?.start).getTime() === start.getTime() || undefined;
        },
        () => 'the moved booking',
        15_000,
        50,
      );
      // A webhook delivery (unsigned, so refused), and a post to a path no vendor uses.
      await fetch(`${app.url}/webhooks/stripe`, { method: 'POST', body: '{}' });
      await fetch(`${app.url}/webhooks/someone@example.com`, { method: 'POST', body: '{}' });
    } finally {
      await clearFaults(sandboxes.accounting.url);
      await app.close();
    }
    spans = spansOf(receiver);
  }, 60_000);

  afterAll(async () => {
    await receiver?.close();
    await sandboxes?.close();
  });

  it('exports OTLP/HTTP JSON to the configured URL with the configured headers and service name', () => {
    expect(receiver.posts.length).toBeGreaterThan(0);
    for (const post of receiver.posts) {
      expect(post.path).toBe('/v1/traces');
      expect(post.headers['content-type']).toMatch(/application\/json/);
      expect(post.headers['x-collector-key']).toBe('abc 123');
    }
    expect(new Set(spans.map((s) => s.service))).toEqual(new Set(['switchboard-test']));
  });

  it('a server span for the customer-360 request, with vendor-call spans of all four systems under it', () => {
    const requests = spans.filter((s) => s.name === 'graphql Customer360');
    expect(requests).toHaveLength(2);
    const [first, second] = requests.sort((a, b) =>
      a.attributes['switchboard.answered_early'] ? 1 : b.attributes['switchboard.answered_early'] ? -1 : 0,
    );
    expect(first!.kind).toBe(SERVER);
    expect(first!.parentSpanId ?? '').toBe('');
    expect(first!.attributes).toMatchObject({
      'graphql.operation.name': 'Customer360',
      'graphql.operation.type': 'query',
      'http.request.method': 'POST',
      'http.route': '/graphql',
      'http.response.status_code': 200,
      'switchboard.workspace': 'default',
    });

    const calls = spans.filter((s) => s.parentSpanId === first!.spanId);
    expect(calls.length).toBeGreaterThan(0);
    for (const call of calls) {
      expect(call.kind).toBe(CLIENT);
      expect(call.traceId).toBe(first!.traceId);
      expect(call.attributes).toMatchObject({
        'http.request.method': expect.stringMatching(/^(GET|POST)$/),
        'server.address': '127.0.0.1',
        'http.response.status_code': 200,
        'switchboard.system': expect.any(String),
        'switchboard.vendor_operation': expect.any(String),
      });
      expect(call.attributes['url.path']).toMatch(/^\/[^?]*$/);
      expect(call.name).toBe(
        `${call.attributes['switchboard.system']} ${call.attributes['switchboard.vendor_operation']}`,
      );
    }
    const systems = new Set(calls.map((c) => c.attributes['switchboard.system']));
    expect(systems).toEqual(new Set(sandboxes.all.map((s) => s.system)));

    // The failed first try at accounting was retried within the same call span.
    const retried = calls.filter((c) => c.attributes['http.request.resend_count'] === 1);
    expect(retried).toHaveLength(1);
    expect(retried[0]!.attributes['switchboard.system']).toBe(sandboxes.accounting.system);
    expect(retried[0]!.events).toEqual([expect.objectContaining({ name: 'retry' })]);
    expect(attributesOf(retried[0]!.events![0]!.attributes)).toMatchObject({
      'switchboard.retry': 1,
      'error.type': 'UPSTREAM_ERROR',
      'http.response.status_code': 503,
    });

    // The repeat, answered before yoga: its own trace, no vendor call.
    expect(second!.attributes).toMatchObject({
      'switchboard.answered_early': true,
      'graphql.operation.type': 'query',
      'http.response.status_code': 200,
    });
    expect(second!.traceId).not.toBe(first!.traceId);
    expect(spans.filter((s) => s.parentSpanId === second!.spanId)).toEqual([]);
  });

  it('a failed request: its status and error codes, and no workspace when the caller was refused', () => {
    const broken = spans.find((s) => s.name === 'graphql Broken');
    expect(broken!.attributes).toMatchObject({
      'http.response.status_code': 200, // yoga's answer to `Accept: */*`
      'switchboard.graphql.error_codes': ['GRAPHQL_VALIDATION_FAILED'],
      'switchboard.workspace': 'default',
    });
    expect(broken!.status).toMatchObject({ code: 2 }); // ERROR
    const refused = spans.filter(
      (s) => s.kind === SERVER && s.attributes['http.response.status_code'] === 401,
    );
    expect(refused.map((s) => s.name)).toContain('graphql anonymous');
    for (const span of refused) expect(span.attributes['switchboard.workspace']).toBeUndefined();
  });

  it('background work is the root of traces of its own: the backfill, webhook batches', () => {
    const roots = (name: string) => spans.filter((s) => s.name === name && s.kind === INTERNAL);
    const under = (parent: Span) => spans.filter((s) => s.parentSpanId === parent.spanId);
    for (const name of ['backfill', 'webhook events']) {
      expect(roots(name).length, name).toBeGreaterThan(0);
      for (const root of roots(name)) expect(root.parentSpanId ?? '', name).toBe('');
    }
    expect(
      roots('backfill')
        .flatMap(under)
        .map((s) => s.name),
    ).toContain('hubspot contacts.list');
    expect(
      roots('webhook events')
        .flatMap(under)
        .map((s) => s.name),
    ).toContain('google_calendar events.list');
    // Every other vendor call is under a request or a webhook delivery, but webhook registration's
    // (done before the hub answers its first query), alone at the root: a span around registration
    // would be inherited by the renewal timers it leaves behind.
    const firstQuery = spans
      .filter((s) => s.name.startsWith('graphql '))
      .map((s) => BigInt(s.startTimeUnixNano))
      .reduce((a, b) => (a < b ? a : b));
    const lone = spans.filter((s) => s.kind === CLIENT && !s.parentSpanId);
    expect(lone.map((s) => s.name)).toContain('google_calendar events.watch');
    for (const span of lone) expect(BigInt(span.startTimeUnixNano) < firstQuery, span.name).toBe(true);
  });

  it("a webhook delivery gets a server span, named after the vendor's route once the intake knows it", () => {
    const webhook = spans.find((s) => s.name === 'POST /webhooks/stripe');
    expect(webhook).toBeDefined();
    expect(webhook!.kind).toBe(SERVER);
    expect(webhook!.attributes).toMatchObject({
      'http.route': '/webhooks/{source}',
      'url.path': '/webhooks/stripe',
      'switchboard.system': 'stripe',
      'http.response.status_code': 400,
    });
    const unknown = spans.filter((s) => s.name === 'POST /webhooks/{source}');
    expect(unknown.map((s) => s.attributes)).toEqual([
      { 'http.request.method': 'POST', 'http.route': '/webhooks/{source}', 'http.response.status_code': 404 },
    ]);
  });

  it('no span carries a key, an Authorization value, a variable or an email address', () => {
    const lookup = spans.find((s) => s.name === 'graphql Lookup');
    expect(lookup).toBeDefined();
    // `%40` too: a calendar's id is its owner's email, URL-encoded in the vendor's path.
    const everything = receiver.posts
      .map((p) => p.text)
      .join('\n')
      .replace(/%40/gi, '@');
    expect(everything).not.toContain(developmentKey);
    expect(everything).not.toMatch(/bearer/i);
    expect(everything).not.toMatch(EMAIL);
    // Secrets, not ids: a QuickBooks realm id or Xero tenant id is part of the vendor's path.
    for (const sandbox of sandboxes.all) {
      for (const [name, secret] of Object.entries(sandbox.credentials)) {
        if (/token|secret|key|password/i.test(name)) expect(everything).not.toContain(secret);
      }
    }
  });
});

describe('traces off (SWITCHBOARD_OTEL_ENDPOINT unset)', () => {
  it('exports nothing, even with the standard OTEL_EXPORTER_OTLP_* variables pointing at a collector', async () => {
    const receiver = await startReceiver();
    const standard = {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/v1/traces`,
    };
    const saved = { ...process.env };
    Object.assign(process.env, standard);
    try {
      const app = await startSwitchboard(loadConfig({ PORT: '0', DATABASE_URL: ':memory:', ...standard }), {
        sandboxOptions: { relaxed: true },
      });
      try {
        const res = await graphql(app, { query: CUSTOMER_360_QUERY, variables: { first: 3 } });
        expect(res.status).toBe(200);
      } finally {
        await app.close();
      }
      expect(receiver.posts).toEqual([]);
    } finally {
      for (const name of Object.keys(standard)) if (!(name in saved)) delete process.env[name];
      await receiver.close();
    }
  });

  it('a bad endpoint stops the start with the variable to fix', () => {
    for (const bad of ['localhost:4318', 'not a url', 'ftp://collector/v1/traces']) {
      expect(() => loadConfig({ SWITCHBOARD_OTEL_ENDPOINT: bad })).toThrow(
        /SWITCHBOARD_OTEL_ENDPOINT must be an http:\/\/ or https:\/\/ URL of an OTLP\/HTTP traces endpoint/,
      );
    }
  });
});
