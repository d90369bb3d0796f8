import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { startSwitchboard, type RunningSwitchboard } from '../src/app.ts';
import { type Sandboxes } from '../src/sandbox/start.ts';
import { customerAt, generateBusiness, upcomingBookings } from '../src/sandbox/seed/business.ts';
import { toGlobalId } from '../src/graph/ids.ts';
import { waitFor } from '../harness/wait.ts';
import { sandboxAction } from '../harness/sandbox-admin.ts';
import { sseSubscriber } from './support/subscribers.ts';
import { booksSeedIds, inBooks } from './support/books.ts';
import { AUDIT_QUERY, keyWith, upgradeStatus, wsConnection, type AuditRow } from './support/security.ts';

// The long-lived side of the hub with real sockets: graphql-ws (connection_init credentials, close
// codes, scopes, caps, origins, revocation while open) and GraphQL over SSE.

const APP_ORIGIN = 'https://app.example.com';
const MAX_CONNECTIONS = 3;
const MAX_SUBSCRIPTIONS = 2;
let app: RunningSwitchboard;
let sandboxes: Sandboxes;
const business = generateBusiness();

const gql = async (query: string, variables: Record<string, unknown> = {}, key = app.developmentKey!) => {
  const res = await fetch(`${app.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data?: any; errors?: any[] };
};
const eventually = <T>(check: () => T | undefined, what: string, timeoutMs = 15_000) =>
  waitFor(check, () => what, timeoutMs, 20);
const settle = (ms = 300) => new Promise((r) => setTimeout(r, ms));
const key = async (...scopes: string[]) => (await keyWith(app.security, scopes)).text;
const fakeKey = () => `sb_test_${'Z'.repeat(12)}_${'A'.repeat(43)}`;
const auditEntries = async (variables: Record<string, unknown>): Promise<AuditRow[]> =>
  (await gql(AUDIT_QUERY, variables)).data.auditLog.edges.map((e: any) => e.node);

beforeAll(async () => {
  app = await startSwitchboard(
    loadConfig({
      PORT: '0',
      DATABASE_URL: ':memory:',
      LOG_LEVEL: 'silent',
      SWITCHBOARD_CORS_ORIGINS: APP_ORIGIN,
    }),
    {
      sandboxOptions: { webhooks: { retryBaseMs: 50 }, relaxed: true },
      security: {
        sockets: {
          maxConnectionsPerCredential: MAX_CONNECTIONS,
          maxSubscriptionsPerConnection: MAX_SUBSCRIPTIONS,
        },
      },
    },
  );
  sandboxes = app.sandboxes as Sandboxes;
}, 60_000);
afterAll(() => app?.close());

describe('graphql-ws credentials', () => {
  it('refuses connection_init without a credential or with a bad, expired, wrong-mode or revoked one, with the close code and a reason', async () => {
    const revoked = await keyWith(app.security, ['events:subscribe', 'bookings:read']);
    await app.security.keys.revoke(revoked.id);
    const expired = await keyWith(app.security, ['events:subscribe'], {
      expiresAt: new Date(Date.now() - 1_000),
    });
    const live = await keyWith(app.security, ['events:subscribe'], { mode: 'live' });
    const good = await key('events:subscribe', 'bookings:read');
    const cases: Array<{
      what: string;
      options: Parameters<typeof wsConnection>[1];
      code: number;
      reason: RegExp;
    }> = [
      {
        what: 'no credential',
        options: {},
        code: 4401,
        reason: /^Unauthorized: Send a key or token in the Authorization header/,
      },
      {
        what: 'malformed',
        options: { authorization: 'Token abc' },
        code: 4401,
        reason: /^Unauthorized: The Authorization header must be `Bearer <key or token>`/,
      },
      {
        what: 'unknown key',
        options: { key: fakeKey() },
        code: 4401,
        reason: /^Unauthorized: The key is not valid/,
      },
      {
        what: 'expired key',
        options: { key: expired.text },
        code: 4401,
        reason: /^Unauthorized: The key expired at/,
      },
      {
        what: 'wrong-mode key',
        options: { key: live.text },
        code: 4401,
        reason: /^Unauthorized: This hub runs in sandbox mode and takes test keys/,
      },
      {
        what: 'revoked key',
        options: { key: revoked.text },
        code: 4403,
        reason: /^Forbidden: The key has been revoked/,
      },
      {
        what: 'a workspace the key may not use',
        options: { key: good, params: { workspace: 'elsewhere' } },
        code: 4403,
        reason: /^Forbidden: This credential may not use the workspace/,
      },
    ];
    const connections = cases.map((c) => ({ c, connection: wsConnection(app.url, c.options) }));
    for (const { c, connection } of connections) {
      const closed = await eventually(() => connection.closes[0], `${c.what}: the socket closing`);
      expect(closed.code, `${c.what}: ${closed.reason}`).toBe(c.code);
      expect(closed.reason, c.what).toMatch(c.reason);
      expect(Buffer.byteLength(closed.reason)).toBeLessThanOrEqual(123);
      expect(connection.connected, c.what).toBe(false);
      await connection.close();
    }
    // Refusals are audited as `websocket` attempts (written in the background).
    const wanted = [
      'MISSING_CREDENTIAL',
      'MALFORMED_CREDENTIAL',
      'KEY_UNKNOWN',
      'KEY_EXPIRED',
      'KEY_WRONG_MODE',
      'KEY_REVOKED',
    ];
    let reasons = new Set<unknown>();
    await waitFor(
      async () => {
        reasons = new Set((await auditEntries({ action: 'websocket' })).map((r) => r.detail?.reason));
        return wanted.every((reason) => reasons.has(reason)) ? true : undefined;
      },
      () => `audit entries for ${wanted.join(', ')}; have ${[...reasons].join(', ')}`,
      5_000,
      50,
    );
    for (const reason of wanted) expect(reasons, reason).toContain(reason);

    // And a good key connects.
    const ok = wsConnection(app.url, { key: good });
    await eventually(() => (ok.connected ? true : undefined), 'a good key connecting');
    await ok.close();
  });

  it('a key without events:subscribe connects but its subscriptions are FORBIDDEN', async () => {
    const connection = wsConnection(app.url, { key: await key('bookings:read', 'customers:read') });
    const sub = connection.subscribe('subscription { bookingChanged { id } }');
    await eventually(() => sub.errors[0], 'the refusal');
    expect(connection.connected).toBe(true);
    expect(sub.errors[0].extensions).toMatchObject({
      code: 'FORBIDDEN',
      missingScopes: ['events:subscribe'],
    });
    expect(sub.errors[0].message).toMatch(/needs the `events:subscribe` scope/);
    expect(sub.received).toEqual([]);
    await connection.close();
  });
});

describe('each scope over graphql-ws and SSE', () => {
  const future = upcomingBookings(business, {
    from: new Date(Date.now() + 2 * 86_400_000),
    heldBy: 'hubspot',
  });
  const order = business.orders.find(
    (o) => o.status === 'succeeded' && o.refunded === 0 && o.amount >= 1_000,
  )!;
  // An unpaid invoice of someone in the books, and its id in the bound ones (SWITCHBOARD_ACCOUNTING).
  const invoice = business.invoices.find(
    (i) =>
      i.status === 'AUTHORISED' &&
      i.total > 0 &&
      inBooks(business.customers.find((c) => c.key === i.customerKey)!),
  )!;
  const booksInvoiceId = () => booksSeedIds(sandboxes.accounting.system, business).invoice(invoice.key);
  const person = business.customers.filter(
    (c) => c.mess.length === 0 && customerAt(c, 'stripe') && customerAt(c, 'hubspot'),
  )[3]!;
  const customerId = async () => {
    const row = (await app.hub.links.findCustomersByEmail('default', [person.email])).get(person.email)?.[0];
    return toGlobalId('Customer', row!.id);
  };

  const flows: Array<{
    scope: string;
    allowed: string[];
    denied: string[];
    missing: string[];
    query: string;
    variables: () => Promise<Record<string, unknown>>;
    trigger: () => Promise<unknown>;
    match: (data: any) => boolean;
  }> = [
    {
      scope: 'bookings:read',
      allowed: ['events:subscribe', 'bookings:read'],
      denied: ['events:subscribe', 'customers:read'],
      missing: ['bookings:read'],
      query: 'subscription { bookingChanged { id start } }',
      variables: async () => ({}),
      trigger: () => {
        const booking = future[0]!;
        return sandboxAction(`${sandboxes.calendar.url}/__sandbox/actions/move-booking`, {
          eventId: booking.ids.googleEventId,
          start: new Date(booking.start.getTime() + 3_600_000).toISOString(),
          end: new Date(booking.end.getTime() + 3_600_000).toISOString(),
        });
      },
      match: (data) =>
        data?.bookingChanged?.id === toGlobalId('Booking', `google_calendar:${future[0]!.ids.googleEventId}`),
    },
    {
      scope: 'orders:read',
      allowed: ['events:subscribe', 'orders:read'],
      denied: ['events:subscribe', 'bookings:read', 'invoices:read'],
      missing: ['orders:read'],
      query: 'subscription { orderChanged { id status amountRefunded { amount } } }',
      variables: async () => ({}),
      trigger: () =>
        sandboxAction(`${sandboxes.payments.url}/__sandbox/actions/refund-order`, {
          payment_intent: order.ids.stripePaymentIntentId,
          amount: 500,
        }),
      match: (data) =>
        data?.orderChanged?.id === toGlobalId('Order', `stripe:${order.ids.stripePaymentIntentId}`),
    },
    {
      scope: 'invoices:read',
      allowed: ['events:subscribe', 'invoices:read'],
      denied: ['events:subscribe', 'orders:read'],
      missing: ['invoices:read'],
      query: 'subscription { invoiceChanged { id status } }',
      variables: async () => ({}),
      trigger: () =>
        sandboxAction(`${sandboxes.accounting.url}/__sandbox/actions/pay-invoice`, {
          invoiceId: booksInvoiceId(),
        }),
      match: (data) =>
        data?.invoiceChanged?.id ===
        toGlobalId('Invoice', `${sandboxes.accounting.system}:${booksInvoiceId()}`),
    },
    {
      scope: 'customers:read',
      allowed: ['events:subscribe', 'customers:read'],
      denied: ['events:subscribe', 'bookings:read'],
      missing: ['customers:read'],
      query: 'subscription($id: ID!) { customerChanged(id: $id) { id displayName } }',
      variables: async () => ({ id: await customerId() }),
      trigger: () =>
        sandboxAction(`${sandboxes.payments.url}/__sandbox/actions/edit-customer`, {
          customer: person.ids.stripeCustomerId,
          phone: '+44 7700 900321',
        }),
      match: (data) => Boolean(data?.customerChanged?.id),
    },
    {
      scope: 'customers:pii',
      allowed: ['events:subscribe', 'customers:read', 'customers:pii'],
      denied: ['events:subscribe', 'customers:read'],
      missing: ['customers:pii'],
      query: 'subscription($id: ID!) { customerChanged(id: $id) { id email phone } }',
      variables: async () => ({ id: await customerId() }),
      trigger: () =>
        sandboxAction(`${sandboxes.payments.url}/__sandbox/actions/edit-customer`, {
          customer: person.ids.stripeCustomerId,
          phone: '+44 7700 900654',
        }),
      match: (data) => Boolean(data?.customerChanged?.email),
    },
    {
      scope: 'events:subscribe',
      allowed: ['events:subscribe', 'bookings:read'],
      denied: ['bookings:read', 'customers:read', 'orders:read', 'invoices:read'],
      missing: ['events:subscribe'],
      query: 'subscription { events(types: [BOOKING_CHANGED]) { id type booking { id } } }',
      variables: async () => ({}),
      trigger: () => {
        const booking = future[1]!;
        return sandboxAction(`${sandboxes.calendar.url}/__sandbox/actions/move-booking`, {
          eventId: booking.ids.googleEventId,
          start: new Date(booking.start.getTime() + 7_200_000).toISOString(),
          end: new Date(booking.end.getTime() + 7_200_000).toISOString(),
        });
      },
      match: (data) =>
        data?.events?.booking?.id ===
        toGlobalId('Booking', `google_calendar:${future[1]!.ids.googleEventId}`),
    },
  ];

  it.each(flows)('$scope: allowed (and the event arrives) with it, FORBIDDEN without it', async (flow) => {
    const variables = await flow.variables();
    const allowed = await key(...flow.allowed);
    const denied = await key(...flow.denied);
    const ws = wsConnection(app.url, { key: allowed });
    const wsSub = ws.subscribe(flow.query, variables);
    const sse = sseSubscriber({ url: app.url, key: allowed }, flow.query, variables);
    const wsRefused = wsConnection(app.url, { key: denied });
    const wsRefusedSub = wsRefused.subscribe(flow.query, variables);
    const sseRefused = sseSubscriber({ url: app.url, key: denied }, flow.query, variables);
    try {
      await eventually(() => wsRefusedSub.errors[0], 'the graphql-ws refusal');
      expect(wsRefusedSub.errors[0].extensions).toMatchObject({
        code: 'FORBIDDEN',
        missingScopes: flow.missing,
      });
      expect(await sseRefused.status).toBe(403);
      const refusedEvent = await eventually(() => sseRefused.received[0], 'the SSE refusal');
      expect(refusedEvent.errors[0].extensions).toMatchObject({
        code: 'FORBIDDEN',
        missingScopes: flow.missing,
      });

      expect(await sse.status).toBe(200);
      await eventually(() => (ws.connected ? true : undefined), 'the allowed socket');
      await settle();
      expect(wsSub.errors).toEqual([]);
      expect(sse.received.filter((r) => r.errors)).toEqual([]);

      await flow.trigger();
      const viaWs = await eventually(
        () => wsSub.received.find(flow.match),
        `${flow.scope} event on graphql-ws`,
      );
      expect(viaWs).toBeTruthy();
      await eventually(() => sse.received.find((r) => flow.match(r.data)), `${flow.scope} event on SSE`);
      expect(wsSub.errors).toEqual([]);
      expect(wsRefusedSub.received).toEqual([]);
      expect(sseRefused.received.filter((r) => r.data && flow.match(r.data))).toEqual([]);
    } finally {
      await Promise.all([ws.close(), wsRefused.close(), sse.close(), sseRefused.close()]);
    }
  });

  it('operationUpdated needs a write scope or operator', async () => {
    const query = 'subscription($id: ID!) { operationUpdated(id: $id) { id state } }';
    const variables = { id: toGlobalId('Operation', '00000000-0000-4000-8000-000000000000') };
    const refused = wsConnection(app.url, {
      key: await key('events:subscribe', 'customers:read', 'orders:read'),
    });
    const refusedSub = refused.subscribe(query, variables);
    const allowed = wsConnection(app.url, { key: await key('events:subscribe', 'operator') });
    const allowedSub = allowed.subscribe(query, variables);
    try {
      await eventually(() => refusedSub.errors[0], 'the refusal');
      expect(refusedSub.errors[0].extensions.code).toBe('FORBIDDEN');
      expect(refusedSub.errors[0].extensions.missingScopes).toHaveLength(1);
      await settle();
      expect(allowedSub.errors.filter((e) => e.extensions?.code === 'FORBIDDEN')).toEqual([]);
    } finally {
      await Promise.all([refused.close(), allowed.close()]);
    }
  });
});

describe('caps', () => {
  it(`a credential's connection past ${MAX_CONNECTIONS} is closed with 4429; other credentials are unaffected`, async () => {
    const capped = await keyWith(app.security, ['events:subscribe', 'bookings:read']);
    const open = Array.from({ length: MAX_CONNECTIONS }, () => wsConnection(app.url, { key: capped.text }));
    try {
      await eventually(() => (open.every((c) => c.connected) ? true : undefined), 'the allowed connections');
      const extra = wsConnection(app.url, { key: capped.text });
      const closed = await eventually(() => extra.closes[0], 'the extra connection closing');
      expect(closed.code).toBe(4429);
      expect(closed.reason).toMatch(
        new RegExp(`^Too many: this credential may hold ${MAX_CONNECTIONS} connections`),
      );
      expect(extra.connected).toBe(false);
      const other = wsConnection(app.url, { key: await key('events:subscribe') });
      await eventually(() => (other.connected ? true : undefined), 'another credential connecting');
      await other.close();
      // A closed connection frees its place.
      await open.pop()!.close();
      await settle(200);
      const again = wsConnection(app.url, { key: capped.text });
      await eventually(() => (again.connected ? true : undefined), 'a connection after one closed');
      open.push(again);
      const rows = await auditEntries({ actor: capped.id });
      expect(rows.find((r) => r.detail?.reason === 'TOO_MANY_CONNECTIONS')).toMatchObject({
        action: 'websocket',
        outcome: 'RATE_LIMITED',
      });
    } finally {
      await Promise.all(open.map((c) => c.close()));
    }
  });

  it(`a connection's subscription past ${MAX_SUBSCRIPTIONS} is refused; completing one frees its place`, async () => {
    const connection = wsConnection(app.url, { key: await key('events:subscribe', 'bookings:read') });
    try {
      const first = connection.subscribe('subscription { bookingChanged { id } }');
      connection.subscribe('subscription { bookingChanged { start } }');
      await settle();
      const third = connection.subscribe('subscription { bookingChanged { status } }');
      await eventually(() => third.errors[0], 'the refusal of the third');
      expect(third.errors[0].message).toMatch(
        new RegExp(`may hold ${MAX_SUBSCRIPTIONS} subscriptions at once`),
      );
      expect(third.errors[0].extensions.code).toBe('TOO_MANY_SUBSCRIPTIONS');
      expect(connection.connected).toBe(true);
      first.stop();
      await settle();
      const fourth = connection.subscribe('subscription { bookingChanged { title } }');
      await settle();
      expect(fourth.errors).toEqual([]);
    } finally {
      await connection.close();
    }
  });

  it('subscriptions refused before they start (bad documents, limits, scopes) do not use up the cap', async () => {
    const connection = wsConnection(app.url, { key: await key('events:subscribe', 'bookings:read') });
    try {
      let deep = 'id';
      for (let i = 0; i < 8; i++) deep = `customer { bookings(first: 3) { edges { node { ${deep} } } } }`;
      // One after the other, each refused before the next is sent.
      const documents = [
        'subscription { noSuchField }',
        `subscription { bookingChanged { ${deep} } }`,
        'subscription { bookingChanged { id customer { email } } }',
        'subscription { bookingChanged { id ',
      ];
      const refused = [];
      for (const document of documents) {
        const sub = connection.subscribe(document);
        await eventually(() => sub.errors[0], `the refusal of ${document.slice(0, 40)}`);
        refused.push(sub.errors[0]);
      }
      expect(
        refused.map((e) => e.extensions?.code),
        JSON.stringify(refused.map((e) => e.message)),
      ).toEqual(['GRAPHQL_VALIDATION_FAILED', 'QUERY_TOO_DEEP', 'FORBIDDEN', 'GRAPHQL_PARSE_FAILED']);
      expect(refused[2].extensions.missingScopes).toEqual(['customers:read']);
      expect(connection.connected).toBe(true);
      expect(connection.closes).toEqual([]);
      const good = [
        connection.subscribe('subscription { bookingChanged { id } }'),
        connection.subscribe('subscription { bookingChanged { start } }'),
      ];
      await settle();
      expect(good.flatMap((s) => s.errors)).toEqual([]);
    } finally {
      await connection.close();
    }
  });
});

describe('origins', () => {
  it('a WebSocket upgrade from a foreign Origin is refused with 403; same-origin, configured and no Origin are allowed', async () => {
    expect(await upgradeStatus(app.url, 'https://evil.example')).toBe(403);
    expect(await upgradeStatus(app.url, 'null')).toBe(403);
    expect(await upgradeStatus(app.url, app.url.replace('127.0.0.1', 'localhost'))).toBe(403);
    expect(await upgradeStatus(app.url, app.url)).toBe(101);
    expect(await upgradeStatus(app.url, APP_ORIGIN)).toBe(101);
    expect(await upgradeStatus(app.url)).toBe(101);

    const foreign = wsConnection(app.url, { key: app.developmentKey!, origin: 'https://evil.example' });
    await eventually(() => foreign.closes[0], 'the foreign socket failing');
    expect(foreign.connected).toBe(false);
    await foreign.close();
    const sameOrigin = wsConnection(app.url, { key: app.developmentKey!, origin: app.url });
    await eventually(() => (sameOrigin.connected ? true : undefined), 'the same-origin socket');
    await sameOrigin.close();
  });
});

describe('revocation and expiry while a socket is open', () => {
  const subscribed = async () => {
    const made = await keyWith(app.security, ['events:subscribe', 'bookings:read']);
    const connection = wsConnection(app.url, { key: made.text });
    const sub = connection.subscribe('subscription { bookingChanged { id } }');
    await eventually(() => (connection.connected ? true : undefined), 'the socket');
    await settle(100);
    expect(sub.errors).toEqual([]);
    return { ...made, connection };
  };

  it('revokeApiKey closes the key’s sockets with 4403', async () => {
    const { id, connection } = await subscribed();
    const started = Date.now();
    const revoked = await gql('mutation($id: ID!) { revokeApiKey(id: $id) { id active } }', { id });
    expect(revoked.data.revokeApiKey.active).toBe(false);
    const closed = await eventually(() => connection.closes[0], 'the socket closing', 5_000);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(closed).toMatchObject({ code: 4403, reason: expect.stringMatching(/revoked/) });
    await connection.close();
  });

  it('a revoke made straight in the store (another replica, the CLI) closes the socket within 5 s', async () => {
    const { id, connection } = await subscribed();
    const started = Date.now();
    await app.security.keys.revoke(id);
    const closed = await eventually(() => connection.closes[0], 'the socket closing', 5_000);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(closed).toMatchObject({ code: 4403, reason: expect.stringMatching(/revoked/) });
    await connection.close();
  });

  it('a revoke made straight in the store ends an SSE subscription of that key within 5 s', async () => {
    const made = await keyWith(app.security, ['events:subscribe', 'bookings:read']);
    const stream = sseSubscriber({ url: app.url, key: made.text }, 'subscription { bookingChanged { id } }');
    expect(await stream.status).toBe(200);
    await settle(200);
    expect(stream.ended).toBe(false);
    const started = Date.now();
    await app.security.keys.revoke(made.id);
    await eventually(() => (stream.ended ? true : undefined), 'the SSE stream ending', 5_000);
    expect(Date.now() - started).toBeLessThan(5_000);
    await stream.close();
  });

  it('a key that expires while connected is closed with 4403', async () => {
    const made = await keyWith(app.security, ['events:subscribe', 'bookings:read'], {
      expiresAt: new Date(Date.now() + 1_500),
    });
    const connection = wsConnection(app.url, { key: made.text });
    connection.subscribe('subscription { bookingChanged { id } }');
    await eventually(() => (connection.connected ? true : undefined), 'the socket');
    const closed = await eventually(() => connection.closes[0], 'the socket closing', 6_000);
    expect(closed).toMatchObject({ code: 4403, reason: expect.stringMatching(/expired/) });
    await connection.close();
  });
});
