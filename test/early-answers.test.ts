import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi, type MockInstance } from 'vitest';
import { startSandboxes, type Sandboxes } from '../src/sandbox/start.ts';
import { startTestHub, type TestHub } from './support/hub.ts';
import { keyWith, listen, securedApp, unlisten } from './support/security.ts';

// Repeated queries answered at the HTTP layer, before yoga (src/graph/early-answers.ts), over a real
// socket: the same answer yoga would give, and the same checks: the guard (revocation, rate limit),
// scopes (another caller's entry is never used), and anything unusual goes on to yoga.

const QUERY = 'query Page($first: Int!) { customers(first: $first) { edges { node { id displayName } } } }';

describe('repeated queries answered before yoga', () => {
  let sandboxes: Sandboxes;
  let t: TestHub;
  let url: string;
  /** A request answered early writes its log line through `security.recordRequest`; yoga's plugins do not. */
  let earlyLines: MockInstance;

  const send = async (
    key: string,
    body: unknown,
    headers: Record<string, string> = {},
    base = url,
  ): Promise<{ status: number; type: string | null; body: any }> => {
    const res = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers },
      body: JSON.stringify(body),
    });
    return { status: res.status, type: res.headers.get('content-type'), body: await res.json() };
  };
  /** `work`'s result, and how many of its requests went on to yoga (one each, unless answered early). */
  const throughYoga = async <T>(work: () => Promise<T>, requests = 1) => {
    const before = earlyLines.mock.calls.length;
    const result = await work();
    return { result, calls: requests - (earlyLines.mock.calls.length - before) };
  };

  beforeAll(async () => {
    sandboxes = await startSandboxes({ relaxed: true });
    t = await startTestHub({ store: 'sqlite', workspaces: [{ id: 'default', sandboxes }] });
    url = await listen(t.app.server);
    earlyLines = vi.spyOn(t.security, 'recordRequest');
  }, 60_000);
  afterAll(async () => {
    await unlisten(t?.app.server);
    await t?.close();
    await sandboxes?.close();
  });

  it('a repeated query is answered without yoga: the stored answer with `extensions.responseCache`, as yoga would type it', async () => {
    const key = t.keys.get('default')!;
    const body = { query: QUERY, variables: { first: 3 } };
    const first = await throughYoga(() => send(key, body));
    expect(first.calls).toBe(1);
    expect(first.result.body.errors).toBeUndefined();
    expect(first.result.body.extensions).toBeUndefined();

    const again = await throughYoga(() => send(key, body));
    expect(again.calls).toBe(0);
    expect(again.result.status).toBe(200);
    expect(again.result.type).toBe(first.result.type);
    expect(again.result.body.data).toEqual(first.result.body.data);
    expect(again.result.body.extensions.responseCache).toMatchObject({
      hit: true,
      ageMs: expect.any(Number),
    });

    // The content type follows Accept as yoga's does; an Accept yoga would answer otherwise goes to it.
    const typed = await throughYoga(() => send(key, body, { accept: 'application/graphql-response+json' }));
    expect(typed.calls).toBe(0);
    expect(typed.result.type).toBe('application/graphql-response+json; charset=utf-8');
    const listed = await throughYoga(() =>
      send(key, body, { accept: 'application/graphql-response+json, application/json' }),
    );
    expect(listed.calls).toBe(1);
    expect(listed.result.body.data).toEqual(first.result.body.data);
  });

  it('other callers, other bodies and browsers go to yoga, whose answer is theirs', async () => {
    const key = t.keys.get('default')!;
    const body = { query: QUERY, variables: { first: 2 } };
    await send(key, body);
    expect((await throughYoga(() => send(key, body))).calls).toBe(0);

    // Another caller's scopes: not this entry. Without customers:pii the same document still runs.
    const other = (await keyWith(t.security, ['customers:read'])).text;
    const theirs = await throughYoga(() => send(other, body));
    expect(theirs.calls).toBe(1);
    expect(theirs.result.body.data).toEqual((await send(key, body)).body.data);

    // What yoga treats differently: extensions, parameters it does not know, variables of another
    // type, a browser (CORS), a body it must stream.
    const differently: Array<[unknown, Record<string, string>]> = [
      [{ ...body, extensions: {} }, {}],
      [{ ...body, unexpected: true }, {}],
      [{ ...body, variables: [] }, {}],
      [body, { origin: 'https://elsewhere.example' }],
    ];
    for (const [sent, headers] of differently) {
      const answer = await throughYoga(() => send(key, sent, headers));
      expect(answer.calls, JSON.stringify({ sent, headers })).toBe(1);
    }
    const unknownParameter = await send(key, { ...body, unexpected: true });
    expect(unknownParameter.status).toBe(400);
  });

  it('the guard still checks every request: a revoked key is refused a cached answer', async () => {
    const made = await keyWith(t.security, ['customers:read', 'customers:pii']);
    const body = { query: QUERY, variables: { first: 4 } };
    await send(made.text, body);
    expect((await throughYoga(() => send(made.text, body))).calls).toBe(0);
    await t.security.keys.revoke(made.id);
    t.security.revoked(made.id);
    const refused = await send(made.text, body);
    expect(refused.status).toBe(401);
    expect(JSON.stringify(refused.body)).not.toContain('displayName');
  });

  it('each request is counted in the metrics by operation name, answered early or by yoga', async () => {
    const key = t.keys.get('default')!;
    const metric = async (name: string, labels: string) => {
      const text = await t.hub.metrics.registry.metrics();
      const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
      return line === undefined ? 0 : Number(line.split(' ').at(-1));
    };
    const counted = () => metric('switchboard_graphql_requests_total', 'operation="Counted",status="200"');
    const before = await counted();
    const body = { query: QUERY.replace('query Page', 'query Counted'), variables: { first: 6 } };
    await send(key, body);
    expect((await throughYoga(() => send(key, body))).calls).toBe(0);
    expect(await counted()).toBe(before + 2);
    expect(
      await metric('switchboard_graphql_request_duration_seconds_count', 'operation="Counted"'),
    ).toBeGreaterThanOrEqual(2);

    // Errors by code; names clients make up are not labels of their own beyond the first hundred.
    const refused = await send((await keyWith(t.security, ['bookings:read'])).text, body);
    expect(refused.body.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(await metric('switchboard_graphql_errors_total', 'operation="Counted",code="FORBIDDEN"')).toBe(1);
    for (let i = 0; i < 120; i++) await send(key, { query: `query Made${i} { __typename }` });
    const text = await t.hub.metrics.registry.metrics();
    const names = new Set(
      [...text.matchAll(/^switchboard_graphql_requests_total\{operation="([^"]+)"/gm)].map((m) => m[1]),
    );
    expect(names.size).toBeLessThanOrEqual(102);
    expect(names.has('(other)')).toBe(true);
  });

  it('a fault while answering early is logged and answered, not left to crash the process', async () => {
    const key = t.keys.get('default')!;
    const failing = vi.spyOn(t.security.guard, 'check').mockRejectedValueOnce(new Error('broken guard'));
    try {
      const answer = await send(key, { query: QUERY, variables: { first: 7 } });
      expect(answer.status).toBe(503);
      expect(answer.body.error).toMatch(/try again/);
    } finally {
      failing.mockRestore();
    }
    expect((await send(key, { query: QUERY, variables: { first: 7 } })).status).toBe(200);
  });

  it('trusted-documents mode: text from a caller who may send only ids is refused, cached answer or not', async () => {
    const trusted = await securedApp(t.hub, {
      trustedDocuments: new Map([[createHash('sha256').update(QUERY).digest('hex'), QUERY]]),
    });
    try {
      const base = await listen(trusted.app.server);
      const key = (await keyWith(trusted.security, ['customers:read'])).text;
      const sha256Hash = createHash('sha256').update(QUERY).digest('hex');
      const byId = { variables: { first: 8 }, extensions: { persistedQuery: { version: 1, sha256Hash } } };
      expect((await send(key, byId, {}, base)).status).toBe(200);
      expect((await send(key, byId, {}, base)).body.extensions.responseCache.hit).toBe(true);
      // The same registered text sent as text: refused as yoga refuses it, though its answer is cached.
      const asText = await send(key, { query: QUERY, variables: { first: 8 } }, {}, base);
      expect(asText.status).toBe(400);
      expect(asText.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_ONLY');
      // An operator may send text.
      const operator = await send(trusted.key, { query: QUERY, variables: { first: 8 } }, {}, base);
      expect(operator.status).toBe(200);
    } finally {
      await trusted.close();
    }
  });

  it("each request counts once against the caller's rate limit, answered early or by yoga", async () => {
    const limited = await securedApp(t.hub, {
      rateLimits: { perCredential: { points: 3, durationSec: 60 }, perPublicAddress: false },
    });
    try {
      const base = await listen(limited.app.server);
      const key = (await keyWith(limited.security, ['customers:read'])).text;
      const body = { query: QUERY, variables: { first: 5 } };
      // A miss (yoga, with the verdict of the early check), then two hits: three requests, three points.
      for (let i = 0; i < 3; i++) expect((await send(key, body, {}, base)).status).toBe(200);
      const over = await send(key, body, {}, base);
      expect(over.status).toBe(429);
      expect(over.body.errors[0].extensions.code).toBe('RATE_LIMITED');
    } finally {
      await limited.close();
    }
  });
});
