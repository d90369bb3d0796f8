import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { readFileSync } from 'node:fs';
import { auditServer } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerAt, generateBusiness } from '../src/sandbox/seed/business.ts';
import { sandboxModules, startSandboxes, type Sandboxes } from '../src/sandbox/start.ts';
import { toGlobalId } from '../src/graph/ids.ts';
import { storeKinds } from '../harness/stores.ts';
import { startTestHub, type TestHub } from './support/hub.ts';
import { clearFaults, injectFault } from '../harness/sandbox-admin.ts';
import { waitFor } from '../harness/wait.ts';
import { booksSeedIds, inBooks, withOwnBooksGrant } from './support/books.ts';
import {
  AUDIT_QUERY,
  countingVendorCalls,
  keyWith,
  listen,
  wsConnection,
  post,
  securedApp,
  unlisten,
  type AuditRow,
  type GraphQLAnswer,
} from './support/security.ts';

// Everything a caller meets over HTTP before and around execution: credentials, scopes, workspaces,
// key management, redaction, caller limits, trusted documents, introspection, CSRF, CORS, body and
// header limits, document limits, the operator routes, and graphql-http's conformance audit.

const now = new Date('2026-11-23T00:00:00Z');
const business = generateBusiness({ now });
const WINDOW = { from: '2026-08-01T00:00:00Z', to: '2027-03-01T00:00:00Z' };
const APP_ORIGIN = 'https://app.example.com';
const SHOP_ORIGIN = 'https://shop.example.com';

const seed = business.customers.find(
  (c) =>
    c.mess.length === 0 &&
    c.lifecycleStage === 'customer' &&
    customerAt(c, 'hubspot') &&
    customerAt(c, 'stripe') &&
    inBooks(c) &&
    business.orders.some((o) => o.customerKey === c.key),
)!;
const refundable = business.orders.filter(
  (o) => o.status === 'succeeded' && o.refunded === 0 && o.amount >= 1000,
);
const ORDER_ID = toGlobalId(
  'Order',
  `stripe:${business.orders.find((o) => o.customerKey === seed.key)!.ids.stripePaymentIntentId}`,
);
const BOOKING_ID = toGlobalId('Booking', `google_calendar:${business.bookings[0]!.ids.googleEventId}`);
// The first invoice of the books the environment binds (SWITCHBOARD_ACCOUNTING), as startSandboxes binds them.
const BOOKS = sandboxModules().accounting.id;
const booksIds = booksSeedIds(BOOKS, business);
const INVOICE_ID = toGlobalId(
  'Invoice',
  `${BOOKS}:${booksIds.invoice(business.invoices.find((i) => booksIds.invoices.has(i.key))!.key)}`,
);

/** A well-formed key text that no store has made. */
const fakeKey = (
  mode: 'test' | 'live',
  id = randomBytes(9).toString('base64url').replace(/[-_]/g, 'x').slice(0, 12),
) => `sb_${mode}_${id}_${'A'.repeat(43)}`;

const errorOf = (answer: GraphQLAnswer) => answer.body?.errors?.[0] as { message: string; extensions: any };

describe.each(storeKinds)('security over HTTP on %s', (storeKind) => {
  let sandboxes: Sandboxes;
  let t: TestHub;
  let operator: string;
  let customerId: string;
  let url: string;
  const vendorUrls = () => sandboxes.all.map((s) => s.url);
  const as = (
    key: string | undefined,
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ) => post(t.app, key, query, variables, headers);
  const asOperator = (query: string, variables?: Record<string, unknown>) => as(operator, query, variables);
  const scoped = async (...scopes: string[]) => (await keyWith(t.security, scopes)).text;
  const audit = async (variables: Record<string, unknown> = {}): Promise<AuditRow[]> => {
    const { body } = await asOperator(AUDIT_QUERY, variables);
    expect(body.errors).toBeUndefined();
    return body.data.auditLog.edges.map((e: any) => e.node);
  };
  /** Waits for an audit entry (refusals are written in the background). */
  const auditEntry = async (
    match: (row: AuditRow) => boolean,
    what: string,
    variables?: Record<string, unknown>,
  ) => {
    let rows: AuditRow[] = [];
    return waitFor(
      async () => (rows = await audit(variables)).find(match),
      () => `an audit entry for ${what}; have ${JSON.stringify(rows.slice(0, 20))}`,
      5_000,
      50,
    );
  };

  beforeAll(async () => {
    sandboxes = await startSandboxes({ seed: { now }, relaxed: true });
    t = await startTestHub({
      store: storeKind,
      // Two workspaces on the same sandboxes: enough to show a key cannot cross between them. Each
      // connects to the books with a grant of its own, as two businesses would (a refresh token
      // rotates on use, and QuickBooks refuses the old one at once).
      workspaces: [
        { id: 'default', sandboxes },
        { id: 'annex', sandboxes: await withOwnBooksGrant(sandboxes) },
      ],
      upstream: { limits: false, breaker: false, retry: false },
      security: {
        keyCacheTtlMs: 100,
        corsOrigins: [APP_ORIGIN],
        // Callers' limits have tests of their own (a layer each, below); this file sends many bad keys.
        rateLimits: {
          perCredential: false,
          perPublicAddress: false,
          authFailuresPerAddress: { points: 100_000, durationSec: 60 },
        },
      },
    });
    operator = t.keys.get('default')!;
    const row = (await t.hub.links.findCustomersByEmail('default', [seed.email])).get(seed.email)?.[0];
    customerId = toGlobalId('Customer', row!.id);
    url = await listen(t.app.server);
  });
  afterAll(async () => {
    await unlisten(t?.app.server);
    await t?.app.closeSockets();
    await t?.close();
    await sandboxes?.close();
  });

  /** Refused before execution: 403, FORBIDDEN naming what is missing, and not one vendor call. */
  const expectDenied = async (
    key: string,
    query: string,
    variables: Record<string, unknown> | undefined,
    missing: string[],
  ) => {
    const { result, calls } = await countingVendorCalls(vendorUrls(), () => as(key, query, variables));
    expect(result.status, JSON.stringify(result.body)).toBe(403);
    expect(result.body.data ?? null).toBeNull();
    expect(result.body.errors.length).toBeGreaterThan(0);
    for (const error of result.body.errors) {
      expect(error.extensions).toMatchObject({ code: 'FORBIDDEN', missingScopes: missing });
      expect(error.message).toMatch(/needs the .* scope/);
    }
    expect(calls).toBe(0);
    return result;
  };
  describe('each scope: one allowed and one denied operation', () => {
    // Past the seed's bookings (90 days ahead): createBooking refuses a time the calendar is busy at.
    const start = new Date(Date.now() + 100 * 86_400_000);
    start.setUTCHours(9, 0, 0, 0);
    const cases: Array<{
      scope: string;
      allowed: string[];
      denied: string[];
      query: string;
      variables: () => Record<string, unknown>;
      check?: (data: any) => void;
    }> = [
      {
        scope: 'customers:read',
        allowed: ['customers:read'],
        denied: ['bookings:read'],
        query: `{ customers(first: 2) { totalCount edges { node { id displayName } } } }`,
        variables: () => ({}),
        check: (data) => expect(data.customers.edges).toHaveLength(2),
      },
      {
        scope: 'customers:pii',
        allowed: ['customers:read', 'customers:pii'],
        denied: ['customers:read'],
        query: `query($id: ID!) { customer(id: $id) { displayName email phone } }`,
        variables: () => ({ id: customerId }),
        check: (data) => expect(data.customer.email).toBe(seed.email),
      },
      {
        scope: 'customers:pii (search argument)',
        allowed: ['customers:read', 'customers:pii'],
        denied: ['customers:read'],
        query: `query($q: String) { customers(search: $q, first: 5) { edges { node { displayName } } } }`,
        variables: () => ({ q: seed.lastName }),
        check: (data) => expect(data.customers.edges.length).toBeGreaterThan(0),
      },
      {
        scope: 'customers:write',
        allowed: ['customers:write'],
        denied: ['customers:read', 'customers:pii'],
        query: `mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { operation { id state } } }`,
        variables: () => ({
          input: {
            firstName: 'Sco',
            lastName: 'Pe',
            email: `scope.${storeKind}.${Date.now()}@security.test`,
          },
        }),
        check: (data) => expect(data.createCustomer.operation.state).toBe('COMPLETED'),
      },
      {
        scope: 'bookings:read',
        allowed: ['bookings:read'],
        denied: ['customers:read'],
        query: `query($from: DateTime!, $to: DateTime!) { bookings(from: $from, to: $to, first: 2) { edges { node { id title } } } }`,
        variables: () => WINDOW,
        check: (data) => expect(data.bookings.edges).toHaveLength(2),
      },
      {
        scope: 'bookings:write',
        allowed: ['bookings:write'],
        denied: ['bookings:read', 'customers:write'],
        query: `mutation($input: CreateBookingInput!) { createBooking(input: $input) { operation { id state } } }`,
        variables: () => ({
          input: {
            customerId,
            start: start.toISOString(),
            end: new Date(start.getTime() + 3_600_000).toISOString(),
            service: 'Sports massage (60 min)',
          },
        }),
        check: (data) => expect(data.createBooking.operation.state).toBe('COMPLETED'),
      },
      {
        scope: 'orders:read',
        allowed: ['orders:read'],
        denied: ['customers:read', 'invoices:read'],
        query: `query($id: ID!) { order(id: $id) { id status amount { amount } } }`,
        variables: () => ({ id: ORDER_ID }),
        check: (data) => expect(data.order.id).toBe(ORDER_ID),
      },
      {
        scope: 'orders:write',
        allowed: ['orders:write'],
        denied: ['orders:read', 'refunds:write'],
        query: `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { operation { id state } } }`,
        variables: () => ({
          input: {
            customerId,
            currency: 'GBP',
            lines: [{ description: 'Resistance band', unitAmount: 1200 }],
          },
        }),
        check: (data) => expect(data.placeOrder.operation.state).toBe('COMPLETED'),
      },
      {
        scope: 'refunds:write',
        allowed: ['refunds:write'],
        denied: ['orders:write', 'orders:read'],
        query: `mutation($id: ID!) { refundOrder(orderId: $id, amount: { amount: 100, currency: "GBP" }) { operation { id state } } }`,
        variables: () => ({
          id: toGlobalId(
            'Order',
            `stripe:${refundable[storeKind === 'sqlite' ? 0 : 1]!.ids.stripePaymentIntentId}`,
          ),
        }),
        check: (data) => expect(data.refundOrder.operation.state).toBe('COMPLETED'),
      },
      {
        scope: 'invoices:read',
        allowed: ['invoices:read'],
        denied: ['orders:read'],
        query: `{ invoices(first: 2) { edges { node { id number status } } } }`,
        variables: () => ({}),
        check: (data) => expect(data.invoices.edges).toHaveLength(2),
      },
      {
        scope: 'invoices:write',
        allowed: ['invoices:write'],
        denied: ['invoices:read', 'orders:write'],
        query: `mutation($input: IssueInvoiceInput!) { issueInvoice(input: $input) { operation { id state } } }`,
        variables: () => ({
          input: {
            customerId,
            currency: 'GBP',
            lines: [{ description: 'Physiotherapy session', unitAmount: 4000 }],
          },
        }),
        check: (data) => expect(data.issueInvoice.operation.state).toBe('COMPLETED'),
      },
      {
        scope: 'operator',
        allowed: ['operator'],
        denied: [
          'customers:read',
          'customers:pii',
          'bookings:read',
          'orders:read',
          'invoices:read',
          'events:subscribe',
        ],
        query: `{ sources { system state } apiKeys(first: 1) { edges { node { id } } } auditLog(first: 1) { edges { node { id } } } failedDeliveries(first: 1) { edges { node { step { name } } } } }`,
        variables: () => ({}),
        check: (data) => expect(data.sources.length).toBeGreaterThan(0),
      },
      {
        scope: 'operator (connectionMapMarkdown)',
        allowed: ['operator'],
        denied: ['customers:read', 'customers:pii', 'bookings:read', 'orders:read', 'invoices:read'],
        query: `{ connectionMapMarkdown }`,
        variables: () => ({}),
        // The text the docs hold: generated from the same code (npm run generate keeps them equal).
        check: (data) =>
          expect(data.connectionMapMarkdown).toBe(
            readFileSync(new URL('../docs/CONNECTIONS.md', import.meta.url), 'utf8'),
          ),
      },
      {
        scope: 'operator (retryDelivery)',
        allowed: ['operator'],
        denied: ['customers:write', 'bookings:write', 'orders:write', 'invoices:write'],
        query: `mutation($id: ID!) { retryDelivery(operationId: $id) { id state } }`,
        variables: () => ({ id: toGlobalId('Operation', '00000000-0000-4000-8000-000000000000') }),
      },
    ];

    it.each(cases)('$scope', async ({ scope, allowed, denied, query, variables, check }) => {
      const missing = [scope.split(' ')[0]!];
      const deniedKey = await scoped(...denied);
      await expectDenied(deniedKey, query, variables(), missing);
      const allowedKey = await scoped(...allowed);
      const answer = await as(allowedKey, query, variables());
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      if (scope.startsWith('operator (retryDelivery)')) {
        // Allowed through the scope check: the answer is about the operation, not the credential.
        expect(answer.body.errors?.[0]?.extensions?.code).not.toBe('FORBIDDEN');
      } else {
        expect(answer.body.errors, JSON.stringify(answer.body.errors)).toBeUndefined();
        check?.(answer.body.data);
      }
    });

    it('events:subscribe: an SSE subscription is allowed with it and refused without it, with no vendor call', async () => {
      const subscribe = async (key: string) => {
        const controller = new AbortController();
        const res = await t.app.yoga.fetch('http://switchboard.test/graphql', {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'text/event-stream',
            authorization: `Bearer ${key}`,
          },
          body: JSON.stringify({ query: 'subscription { bookingChanged { id start } }' }),
          signal: controller.signal,
        });
        const reader = res.body!.getReader();
        const first = await Promise.race([
          reader.read().then(({ value }) => new TextDecoder().decode(value)),
          new Promise<string>((resolve) => setTimeout(() => resolve(''), 300)),
        ]);
        let text = first;
        if (res.status !== 200) {
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            text += new TextDecoder().decode(value);
          }
        }
        controller.abort();
        return { status: res.status, type: res.headers.get('content-type'), text };
      };
      const { result: refused, calls } = await countingVendorCalls(vendorUrls(), async () =>
        subscribe(await scoped('bookings:read')),
      );
      expect(refused.status).toBe(403);
      const event = JSON.parse(/data: (.*)/.exec(refused.text)![1]!);
      expect(event.errors[0].extensions).toMatchObject({
        code: 'FORBIDDEN',
        missingScopes: ['events:subscribe'],
      });
      expect(calls).toBe(0);
      const accepted = await subscribe(await scoped('events:subscribe', 'bookings:read'));
      expect(accepted.status).toBe(200);
      expect(accepted.type).toMatch(/text\/event-stream/);
      expect(accepted.text).not.toMatch(/FORBIDDEN/);
    });

    it('availability:read and enquiries:write are the publishable scopes; a publishable key holding them reaches nothing else', async () => {
      expect([...t.security.catalog.publishable].sort()).toEqual(['availability:read', 'enquiries:write']);
      const { text } = await keyWith(t.security, ['availability:read', 'enquiries:write'], {
        kind: 'publishable',
        allowedOrigins: [SHOP_ORIGIN],
      });
      const ok = await as(text, '{ __typename }', undefined, { origin: SHOP_ORIGIN });
      expect(ok.status).toBe(200);
      expect(ok.body.data).toEqual({ __typename: 'Query' });
      const { result, calls } = await countingVendorCalls(vendorUrls(), () =>
        as(text, '{ customers(first: 1) { totalCount } }', undefined, { origin: SHOP_ORIGIN }),
      );
      expect(result.status).toBe(403);
      expect(errorOf(result).extensions).toMatchObject({
        code: 'FORBIDDEN',
        missingScopes: ['customers:read'],
      });
      expect(calls).toBe(0);
    });

    it('a scope refusal is in the audit log with the missing scope and the field', async () => {
      const { id, text } = await keyWith(t.security, ['customers:read']);
      await expectDenied(text, `{ customers(first: 1) { edges { node { email } } } }`, undefined, [
        'customers:pii',
      ]);
      const entry = await auditEntry((r) => r.actor === id, 'the MISSING_SCOPE refusal', { actor: id });
      expect(entry).toMatchObject({ action: 'request', outcome: 'FORBIDDEN' });
      expect(entry.detail).toMatchObject({
        reason: 'MISSING_SCOPE',
        missingScopes: ['customers:pii'],
        fields: ['Customer.email'],
      });
    });
  });

  describe('bad credentials', () => {
    it('each bad credential answers its status, a message that says what to fix, and an audit entry', async () => {
      const revoked = await keyWith(t.security, ['customers:read']);
      await t.security.keys.revoke(revoked.id);
      const expired = await keyWith(t.security, ['customers:read'], {
        expiresAt: new Date(Date.now() - 1_000),
      });
      const live = await keyWith(t.security, ['customers:read'], { mode: 'live' });
      const annex = await keyWith(t.security, ['customers:read'], { workspace: 'annex' });
      const elsewhere = await keyWith(t.security, ['customers:read'], { workspace: 'elsewhere' });
      const reader = await keyWith(t.security, ['customers:read']);
      const publishable = await keyWith(t.security, ['availability:read'], {
        kind: 'publishable',
        allowedOrigins: [SHOP_ORIGIN],
      });
      // Made in the store with a secret scope (the mutation and the CLI refuse that): still only public scopes.
      const overreaching = await keyWith(t.security, ['availability:read', 'customers:read'], {
        kind: 'publishable',
        allowedOrigins: [SHOP_ORIGIN],
      });
      const real = reader.text;
      const wrongSecret = `${real.slice(0, real.lastIndexOf('_') + 1)}${'B'.repeat(43)}`;
      const query = '{ customers(first: 1) { totalCount } }';
      const raw = async (headers: Record<string, string>, path = '/graphql') => {
        const res = await t.app.yoga.fetch(`http://switchboard.test${path}`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/graphql-response+json',
            ...headers,
          },
          body: JSON.stringify({ query }),
        });
        return { status: res.status, headers: res.headers, body: (await res.json()) as any };
      };

      const cases: Array<{
        what: string;
        send: () => Promise<{ status: number; headers: Headers; body: any }>;
        status: number;
        code: string;
        reason: string;
        message: RegExp;
        outcome: string;
      }> = [
        {
          what: 'missing',
          send: () => raw({}),
          status: 401,
          code: 'UNAUTHENTICATED',
          reason: 'MISSING_CREDENTIAL',
          message: /Send a key or token in the Authorization header: `Authorization: Bearer/,
          outcome: 'UNAUTHENTICATED',
        },
        {
          what: 'malformed (not Bearer)',
          send: () => raw({ authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }),
          status: 401,
          code: 'UNAUTHENTICATED',
          reason: 'MALFORMED_CREDENTIAL',
          message: /must be `Bearer <key or token>`/,
          outcome: 'UNAUTHENTICATED',
        },
        {
          what: 'malformed (neither key nor JWT)',
          send: () => raw({ authorization: 'Bearer hello-there' }),
          status: 401,
          code: 'UNAUTHENTICATED',
          reason: 'MALFORMED_CREDENTIAL',
          message: /neither a Switchboard key \(sb_…, sbpk_…\) nor a JWT/,
          outcome: 'UNAUTHENTICATED',
        },
        {
          what: 'unknown',
          send: () => raw({ authorization: `Bearer ${fakeKey('test')}` }),
          status: 401,
          code: 'UNAUTHENTICATED',
          reason: 'KEY_UNKNOWN',
          message: /copied whole.*make a new one/,
          outcome: 'UNAUTHENTICATED',
        },
        {
          what: 'expired',
          send: () => raw({ authorization: `Bearer ${expired.text}` }),
          status: 401,
          code: 'UNAUTHENTICATED',
          reason: 'KEY_EXPIRED',
          message: /expired at .*use its replacement or make a new one/,
          outcome: 'UNAUTHENTICATED',
        },
        {
          what: 'revoked',
          send: () => raw({ authorization: `Bearer ${revoked.text}` }),
          status: 401,
          code: 'UNAUTHENTICATED',
          reason: 'KEY_REVOKED',
          message: /revoked; ask an operator for a new one/,
          outcome: 'UNAUTHENTICATED',
        },
        {
          what: 'wrong mode (a live key on a sandbox hub)',
          send: () => raw({ authorization: `Bearer ${live.text}` }),
          status: 401,
          code: 'UNAUTHENTICATED',
          reason: 'KEY_WRONG_MODE',
          message: /runs in sandbox mode and takes test keys \(…_test_…\); this is a live key/,
          outcome: 'UNAUTHENTICATED',
        },
        {
          what: "wrong workspace (another workspace's key naming this one)",
          send: () => raw({ authorization: `Bearer ${annex.text}`, 'x-switchboard-workspace': 'default' }),
          status: 403,
          code: 'FORBIDDEN',
          reason: 'WORKSPACE_NOT_ALLOWED',
          message: /may not use the workspace named in x-switchboard-workspace; leave the header out/,
          outcome: 'FORBIDDEN',
        },
        {
          what: 'wrong workspace (a key of a workspace this hub does not serve)',
          send: () => raw({ authorization: `Bearer ${elsewhere.text}` }),
          status: 403,
          code: 'FORBIDDEN',
          reason: 'WORKSPACE_NOT_SERVED',
          message: /workspace is not served by this hub/,
          outcome: 'FORBIDDEN',
        },
        {
          what: 'publishable key for a secret scope',
          send: () => raw({ authorization: `Bearer ${overreaching.text}`, origin: SHOP_ORIGIN }),
          status: 403,
          code: 'FORBIDDEN',
          reason: 'MISSING_SCOPE',
          message: /needs the `customers:read` scope/,
          outcome: 'FORBIDDEN',
        },
        {
          what: 'publishable key from an origin not on its list',
          send: () => raw({ authorization: `Bearer ${publishable.text}`, origin: 'https://evil.example' }),
          status: 403,
          code: 'FORBIDDEN',
          reason: 'ORIGIN_NOT_ALLOWED',
          message:
            /may not be used from https:\/\/evil\.example; add the origin to the key's allowed origins/,
          outcome: 'FORBIDDEN',
        },
        {
          what: 'publishable key with no origin (a script)',
          send: () => raw({ authorization: `Bearer ${publishable.text}` }),
          status: 403,
          code: 'FORBIDDEN',
          reason: 'ORIGIN_MISSING',
          message: /servers and scripts need a secret key/,
          outcome: 'FORBIDDEN',
        },
        {
          what: 'key in the query string',
          send: () => raw({}, `/graphql?api_key=${encodeURIComponent(real)}`),
          status: 400,
          code: 'BAD_REQUEST',
          reason: 'CREDENTIAL_IN_URL',
          message: /in the Authorization header, never in the URL.*rotate it/,
          outcome: 'REJECTED',
        },
        {
          what: 'key in the query string (as a value, with a valid header too)',
          send: () => raw({ authorization: `Bearer ${real}` }, `/graphql?q=${encodeURIComponent(real)}`),
          status: 400,
          code: 'BAD_REQUEST',
          reason: 'CREDENTIAL_IN_URL',
          message: /never in the URL/,
          outcome: 'REJECTED',
        },
      ];

      const { result: answers, calls } = await countingVendorCalls(vendorUrls(), async () => {
        const out = [];
        for (const c of cases) out.push(await c.send());
        return out;
      });
      expect(calls).toBe(0);
      for (const [i, c] of cases.entries()) {
        const answer = answers[i]!;
        expect(answer.status, c.what).toBe(c.status);
        const error = answer.body.errors[0];
        expect(error.extensions.code, c.what).toBe(c.code);
        if (c.reason !== 'MISSING_SCOPE') expect(error.extensions.reason, c.what).toBe(c.reason);
        expect(error.message, c.what).toMatch(c.message);
        if (c.status === 401) expect(answer.headers.get('www-authenticate'), c.what).toMatch(/^Bearer /);
        // Never the key's text back.
        expect(JSON.stringify(answer.body), c.what).not.toContain(real);
      }

      // Unknown id and wrong secret for a real id look exactly the same.
      const unknown = await raw({ authorization: `Bearer ${fakeKey('test')}` });
      const wrong = await raw({ authorization: `Bearer ${wrongSecret}` });
      expect(wrong.status).toBe(401);
      expect(wrong.body).toEqual(unknown.body);
      expect(wrong.headers.get('www-authenticate')).toBe(unknown.headers.get('www-authenticate'));
      // A made-up live key is refused for its mode before any lookup, like a real one.
      const fakeLive = await raw({ authorization: `Bearer ${fakeKey('live')}` });
      expect(fakeLive.body).toEqual(answers[cases.findIndex((c) => c.reason === 'KEY_WRONG_MODE')]!.body);

      // A workspace that exists and one that does not get the same answer, naming neither.
      const other = await raw({ authorization: `Bearer ${real}`, 'x-switchboard-workspace': 'annex' });
      const none = await raw({
        authorization: `Bearer ${real}`,
        'x-switchboard-workspace': 'no-such-workspace',
      });
      expect(other.status).toBe(403);
      expect(none.body).toEqual(other.body);
      expect(JSON.stringify(other.body)).not.toMatch(/annex|default/);
      // The annex key in its own workspace works.
      expect((await raw({ authorization: `Bearer ${annex.text}` })).status).toBe(200);

      for (const c of cases) {
        const entry = await auditEntry(
          (r) => r.detail?.reason === c.reason && r.outcome === c.outcome,
          `${c.what} (${c.reason})`,
          { action: 'request' },
        );
        expect(entry.action).toBe('request');
        expect(entry.address).toBe('local');
      }
      const refusals = await audit({ action: 'request' });
      const text = JSON.stringify(refusals);
      for (const secret of [real, revoked.text, expired.text, live.text, wrongSecret])
        expect(text).not.toContain(secret);
      const originRefusal = refusals.find((r) => r.detail?.reason === 'ORIGIN_NOT_ALLOWED')!;
      expect(originRefusal.origin).toBe('https://evil.example');
    });

    it('refusals are sampled per caller and reason; the rest are counted in `suppressed`, with their reason', async () => {
      // A JWT-shaped token on a hub with no identity provider: its own reason, so this bucket is fresh.
      const token = `eyJhbGciOiJSUzI1NiJ9.${Buffer.from('{"sub":"x"}').toString('base64url')}.c2ln`;
      for (let i = 0; i < 8; i++) {
        const answer = await as(token, '{ __typename }');
        expect(answer.status).toBe(401);
        expect(errorOf(answer).extensions.reason).toBe('JWT_NOT_CONFIGURED');
        expect(errorOf(answer).message).toMatch(/does not accept JWTs.*use an API key/);
      }
      await t.security.audit.flush();
      const rows = (await audit({ action: 'request' })).filter(
        (r) => r.detail?.reason === 'JWT_NOT_CONFIGURED' || (r.suppressed > 0 && r.actor === 'anonymous'),
      );
      const written = rows.filter((r) => r.suppressed === 0);
      expect(written).toHaveLength(5);
      const summary = rows.find((r) => r.suppressed > 0);
      expect(summary, JSON.stringify(rows)).toBeDefined();
      expect(summary!.suppressed).toBe(3);
      expect(summary!.outcome).toBe('UNAUTHENTICATED');
      // An operator reading the log must know what the suppressed attempts were.
      expect(summary!.detail?.reason).toBe('JWT_NOT_CONFIGURED');
    });
  });

  describe('key lifecycle through the operator mutations', () => {
    const CREATE = `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id name kind mode prefix workspace scopes allowedOrigins createdBy expiresAt revokedAt replacedBy active } } }`;
    const ROTATE = `mutation($id: ID!, $overlap: String) { rotateApiKey(id: $id, overlap: $overlap) { secret apiKey { id name scopes } } }`;
    const REVOKE = `mutation($id: ID!) { revokeApiKey(id: $id) { id revokedAt active } }`;
    const LIST = `query($all: Boolean) { apiKeys(includeRevoked: $all, first: 200) { edges { node { id active revokedAt replacedBy expiresAt } } } }`;
    const listed = async (all = false) =>
      ((await asOperator(LIST, { all })).body.data.apiKeys.edges as any[]).map((e) => e.node);
    const works = async (key: string) =>
      (await as(key, '{ customers(first: 1) { totalCount } }')).status === 200;

    it('createApiKey makes a test key with exactly the scopes asked for; apiKeys lists it; the audit log names it', async () => {
      const made = await asOperator(CREATE, {
        input: { name: '  dashboard  ', scopes: ['CUSTOMERS_READ', 'BOOKINGS_READ'], expiresIn: '90d' },
      });
      expect(made.body.errors).toBeUndefined();
      const { secret, apiKey } = made.body.data.createApiKey;
      expect(secret).toMatch(/^sb_test_[0-9A-Za-z]{12}_[0-9A-Za-z]{43}$/);
      expect(secret.startsWith(apiKey.prefix)).toBe(true);
      expect(apiKey).toMatchObject({
        name: 'dashboard',
        kind: 'SECRET',
        mode: 'TEST',
        workspace: 'default',
        scopes: ['CUSTOMERS_READ', 'BOOKINGS_READ'],
        allowedOrigins: [],
        revokedAt: null,
        active: true,
      });
      const operatorId = (await t.security.keys.verify(operator))!.id;
      expect(apiKey.createdBy).toBe(operatorId);
      expect(new Date(apiKey.expiresAt).getTime() - Date.now()).toBeGreaterThan(89 * 86_400_000);
      expect(await works(secret)).toBe(true);
      const pii = await as(secret, `query($id: ID!) { customer(id: $id) { email } }`, { id: customerId });
      expect(pii.status).toBe(403);
      expect((await listed()).map((k) => k.id)).toContain(apiKey.id);
      // The text is never listed again anywhere.
      expect(
        JSON.stringify(
          (await asOperator(`{ apiKeys(first: 200) { edges { node { id prefix name } } } }`)).body,
        ),
      ).not.toContain(secret);
      const entry = await auditEntry(
        (r) => r.action === 'createApiKey' && r.target === apiKey.id,
        'createApiKey',
        {
          action: 'createApiKey',
        },
      );
      expect(entry).toMatchObject({ actor: operatorId, outcome: 'SUCCEEDED' });
    });

    it('refuses to grant scopes its maker lacks, and validates publishable keys', async () => {
      const maker = await keyWith(t.security, ['operator', 'customers:read']);
      const before = (await listed()).length;
      const beyond = await as(maker.text, CREATE, {
        input: { name: 'more', scopes: ['CUSTOMERS_READ', 'CUSTOMERS_PII'] },
      });
      expect(errorOf(beyond).extensions).toMatchObject({
        code: 'FORBIDDEN',
        missingScopes: ['customers:pii'],
      });
      expect(errorOf(beyond).message).toMatch(/cannot grant more than its maker holds.*`customers:pii`/);
      const failed = await auditEntry(
        (r) => r.actor === maker.id && r.action === 'createApiKey',
        'the refused createApiKey',
        {
          actor: maker.id,
        },
      );
      expect(failed).toMatchObject({ outcome: 'FAILED', detail: { codes: ['FORBIDDEN'] } });

      const bad = async (input: Record<string, unknown>, argument: string, message: RegExp) => {
        const answer = await asOperator(CREATE, { input: { name: 'site', ...input } });
        expect(errorOf(answer).extensions, JSON.stringify(input)).toMatchObject({
          code: 'BAD_USER_INPUT',
          argument,
        });
        expect(errorOf(answer).message).toMatch(message);
      };
      await bad(
        { kind: 'PUBLISHABLE', scopes: ['CUSTOMERS_READ'], allowedOrigins: [SHOP_ORIGIN] },
        'scopes',
        /only publishable scopes/,
      );
      await bad(
        { kind: 'PUBLISHABLE', scopes: ['AVAILABILITY_READ'] },
        'allowedOrigins',
        /needs at least one allowed origin/,
      );
      await bad(
        { kind: 'PUBLISHABLE', scopes: ['AVAILABILITY_READ'], allowedOrigins: ['http://shop.example.com'] },
        'allowedOrigins',
        /not an allowed origin/,
      );
      await bad(
        {
          kind: 'PUBLISHABLE',
          scopes: ['AVAILABILITY_READ'],
          allowedOrigins: ['https://shop.example.com/book'],
        },
        'allowedOrigins',
        /without a path/,
      );
      await bad(
        { kind: 'PUBLISHABLE', scopes: ['AVAILABILITY_READ'], allowedOrigins: ['*'] },
        'allowedOrigins',
        /not an allowed origin/,
      );
      await bad(
        { scopes: ['CUSTOMERS_READ'], allowedOrigins: [SHOP_ORIGIN] },
        'allowedOrigins',
        /allowed origins are for publishable keys/,
      );
      await bad({ scopes: ['CUSTOMERS_READ'], expiresIn: 'forever' }, 'expiresIn', /duration such as 90d/);
      await bad({ name: ' ', scopes: ['CUSTOMERS_READ'] }, 'name', /1 to 100 characters/);
      expect((await listed()).length).toBe(before);

      const made = await asOperator(CREATE, {
        input: {
          name: 'booking site',
          kind: 'PUBLISHABLE',
          scopes: ['AVAILABILITY_READ'],
          allowedOrigins: ['HTTPS://Shop.Example.com:443', 'http://localhost:5173'],
        },
      });
      expect(made.body.errors).toBeUndefined();
      expect(made.body.data.createApiKey.secret).toMatch(/^sbpk_test_/);
      expect(made.body.data.createApiKey.apiKey).toMatchObject({
        kind: 'PUBLISHABLE',
        allowedOrigins: [SHOP_ORIGIN, 'http://localhost:5173'],
      });
    });

    it('rotateApiKey: both keys work during the overlap; with overlap "0s" the old one stops at once', async () => {
      const made = (await asOperator(CREATE, { input: { name: 'rotating', scopes: ['CUSTOMERS_READ'] } }))
        .body.data.createApiKey;
      const first = await asOperator(ROTATE, { id: made.apiKey.id });
      expect(first.body.errors).toBeUndefined();
      const second = first.body.data.rotateApiKey;
      expect(second.apiKey).toMatchObject({ name: 'rotating', scopes: ['CUSTOMERS_READ'] });
      expect(second.apiKey.id).not.toBe(made.apiKey.id);
      expect(await works(made.secret)).toBe(true);
      expect(await works(second.secret)).toBe(true);
      const old = (await listed(true)).find((k) => k.id === made.apiKey.id);
      expect(old.replacedBy).toBe(second.apiKey.id);
      expect(new Date(old.expiresAt).getTime() - Date.now()).toBeGreaterThan(23 * 3_600_000);

      const third = (await asOperator(ROTATE, { id: second.apiKey.id, overlap: '0s' })).body.data
        .rotateApiKey;
      expect(await works(third.secret)).toBe(true);
      const stopped = await as(second.secret, '{ customers(first: 1) { totalCount } }');
      expect(stopped.status).toBe(401);
      expect(errorOf(stopped).extensions.reason).toBe('KEY_EXPIRED');
      // The first key's overlap is its own: it still works.
      expect(await works(made.secret)).toBe(true);

      const tooLong = await asOperator(ROTATE, { id: third.apiKey.id, overlap: '31d' });
      expect(errorOf(tooLong).extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'overlap' });
      const ofStopped = await asOperator(ROTATE, { id: second.apiKey.id });
      expect(errorOf(ofStopped).extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
      await auditEntry((r) => r.action === 'rotateApiKey' && r.target === second.apiKey.id, 'rotateApiKey', {
        action: 'rotateApiKey',
      });
    });

    it('revokeApiKey refuses the key at once here; a revoke made in the store is seen within the key cache TTL', async () => {
      const made = (await asOperator(CREATE, { input: { name: 'to revoke', scopes: ['CUSTOMERS_READ'] } }))
        .body.data.createApiKey;
      expect(await works(made.secret)).toBe(true);
      const revoked = await asOperator(REVOKE, { id: made.apiKey.id });
      expect(revoked.body.data.revokeApiKey).toMatchObject({ id: made.apiKey.id, active: false });
      expect(revoked.body.data.revokeApiKey.revokedAt).toBeTruthy();
      const refused = await as(made.secret, '{ customers(first: 1) { totalCount } }');
      expect(refused.status).toBe(401);
      expect(errorOf(refused).extensions.reason).toBe('KEY_REVOKED');
      expect((await listed()).map((k) => k.id)).not.toContain(made.apiKey.id);
      expect((await listed(true)).find((k) => k.id === made.apiKey.id)).toMatchObject({ active: false });
      await auditEntry((r) => r.action === 'revokeApiKey' && r.target === made.apiKey.id, 'revokeApiKey', {
        action: 'revokeApiKey',
      });

      // Another replica (or the CLI) revokes in the store: this hub has the key's check cached for 100 ms.
      const other = (
        await asOperator(CREATE, { input: { name: 'revoked elsewhere', scopes: ['CUSTOMERS_READ'] } })
      ).body.data.createApiKey;
      expect(await works(other.secret)).toBe(true);
      await t.security.keys.revoke(other.apiKey.id);
      const revokedAt = Date.now();
      await waitFor(
        async () => ((await works(other.secret)) ? undefined : true),
        () => 'the hub refusing a key revoked in the store',
        1_000,
        10,
      );
      expect(Date.now() - revokedAt).toBeLessThan(1_000);

      // A key of another workspace is as unknown as a missing one, and stays working.
      const annex = await keyWith(t.security, ['customers:read'], { workspace: 'annex' });
      const cross = await asOperator(REVOKE, { id: annex.id });
      expect(errorOf(cross).extensions.code).toBe('NOT_FOUND');
      expect((await as(annex.text, '{ customers(first: 1) { totalCount } }')).status).toBe(200);
    });
  });

  it('node(id) of a type the caller may not read is null, with no vendor call', async () => {
    const key = await scoped('customers:read');
    const query = `query($id: ID!) { node(id: $id) { id __typename } }`;
    for (const id of [ORDER_ID, BOOKING_ID, INVOICE_ID]) {
      t.hub.cache.clear();
      const { result, calls } = await countingVendorCalls(vendorUrls(), () => as(key, query, { id }));
      expect(result.status).toBe(200);
      expect(result.body).toEqual({ data: { node: null } });
      expect(calls).toBe(0);
    }
    const many = await countingVendorCalls(vendorUrls(), () =>
      as(key, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: [ORDER_ID, BOOKING_ID, INVOICE_ID] }),
    );
    expect(many.result.body).toEqual({ data: { nodes: [null, null, null] } });
    expect(many.calls).toBe(0);
    // With the type's scope the same id resolves.
    const reader = await as(await scoped('orders:read'), query, { id: ORDER_ID });
    expect(reader.body.data.node).toEqual({ id: ORDER_ID, __typename: 'Order' });
  });

  it("a vendor fault: non-operators get the code and source but not the vendor's words; operators get them", async () => {
    await injectFault(sandboxes.payments.url, { status: 500 });
    try {
      const query = `query($id: ID!) { customer(id: $id) { displayName orders(first: 5) { totalCount } } }`;
      t.hub.cache.clear();
      const member = await as(await scoped('customers:read', 'orders:read'), query, { id: customerId });
      const error = member.body.errors.find((e: any) => e.extensions?.code === 'SOURCE_ERROR');
      expect(error, JSON.stringify(member.body)).toBeDefined();
      expect(error.extensions).toMatchObject({
        source: 'stripe',
        sourceCode: expect.any(String),
        retryable: expect.any(Boolean),
      });
      expect(error.extensions.vendor).toBeUndefined();
      expect(member.body.extensions.sources.stripe).toBeDefined();
      expect(member.body.extensions.sources.stripe.message).toBeUndefined();
      expect(member.body.data.customer.displayName).toBeTruthy();

      t.hub.cache.clear();
      const op = await asOperator(query, { id: customerId });
      const opError = op.body.errors.find((e: any) => e.extensions?.code === 'SOURCE_ERROR');
      expect(opError.extensions.vendor.message).toBeTruthy();
      expect(op.body.extensions.sources.stripe.message).toBeTruthy();

      // A write that fails at the vendor: the operation's error texts are generic for non-operators.
      const writer = await scoped('orders:write');
      const placed = await as(
        writer,
        `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { operation { id state error steps { name lastError } } } }`,
        {
          input: {
            customerId,
            currency: 'GBP',
            lines: [{ description: 'Resistance band', unitAmount: 1200 }],
          },
        },
      );
      const operation = placed.body.data.placeOrder.operation;
      const failedStep = operation.steps.find((s: any) => s.lastError);
      expect(failedStep, JSON.stringify(operation)).toBeDefined();
      expect(failedStep.lastError).toMatch(/an operator can see the system's own message/);
      const seen = await asOperator(`query($id: ID!) { operation(id: $id) { steps { name lastError } } }`, {
        id: operation.id,
      });
      const raw = seen.body.data.operation.steps.find((s: any) => s.name === failedStep.name);
      expect(raw.lastError).not.toMatch(/an operator can see/);
      expect(raw.lastError).toBeTruthy();
    } finally {
      await clearFaults(sandboxes.payments.url);
    }
  });

  it("callers' rate limit: the key's sixth request in a minute is 429 with Retry-After; other keys are unaffected", async () => {
    const limited = await securedApp(t.hub, {
      rateLimits: { perCredential: { points: 5, durationSec: 60 }, perPublicAddress: false },
    });
    try {
      const a = await keyWith(limited.security, ['customers:read']);
      for (let i = 0; i < 5; i++)
        expect((await limited.post('{ __typename }', undefined, undefined, a.text)).status).toBe(200);
      const over = await limited.post('{ __typename }', undefined, undefined, a.text);
      expect(over.status).toBe(429);
      const retryAfter = Number(over.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(errorOf(over).extensions).toMatchObject({
        code: 'RATE_LIMITED',
        retryAfterMs: expect.any(Number),
      });
      expect(errorOf(over).message).toMatch(/this credential may make 5 a minute. Try again in \d+ s/);
      const b = await keyWith(limited.security, ['customers:read']);
      expect((await limited.post('{ __typename }', undefined, undefined, b.text)).status).toBe(200);
      const entry = await auditEntry((r) => r.actor === a.id && r.outcome === 'RATE_LIMITED', 'the 429', {
        actor: a.id,
      });
      expect(entry.detail?.reason).toBe('RATE_LIMITED');
    } finally {
      await limited.close();
    }
  });

  it("callers' rate limit over graphql-ws: the connection and each subscribe count as a request", async () => {
    const limited = await securedApp(t.hub, {
      rateLimits: { perCredential: { points: 3, durationSec: 60 }, perPublicAddress: false },
    });
    try {
      const url = await listen(limited.app.server);
      const c = await keyWith(limited.security, ['events:subscribe', 'bookings:read']);
      const connection = wsConnection(url, { key: c.text });
      await waitFor(
        () => (connection.connected ? true : undefined),
        () => 'the socket',
        5_000,
        20,
      );
      const first = connection.subscribe('subscription { bookingChanged { id } }');
      const second = connection.subscribe('subscription { bookingChanged { start } }');
      const third = connection.subscribe('subscription { bookingChanged { status } }');
      // Subscribes are handled concurrently: which of the three comes fourth (after the connection)
      // is not fixed, but exactly one is over the three a minute.
      const subscribes = [first, second, third];
      const refused = await waitFor(
        () => subscribes.flatMap((s) => s.errors)[0],
        () => `one subscribe refused: ${JSON.stringify(subscribes)}`,
        5_000,
        20,
      );
      expect(refused.extensions.code).toBe('RATE_LIMITED');
      expect(refused.message).toMatch(/this credential may make 3 a minute/);
      expect(subscribes.flatMap((s) => s.errors)).toHaveLength(1);
      await connection.close();
    } finally {
      await limited.close();
    }
  });

  it('an address whose credentials keep failing gets 429 for its bad keys, never for a valid one', async () => {
    const guarded = await securedApp(t.hub, {
      rateLimits: {
        perCredential: false,
        perPublicAddress: false,
        authFailuresPerAddress: { points: 3, durationSec: 60 },
      },
    });
    try {
      for (let i = 0; i < 3; i++) {
        expect((await guarded.post('{ __typename }', undefined, undefined, fakeKey('test'))).status).toBe(
          401,
        );
      }
      const slowed = await guarded.post('{ __typename }', undefined, undefined, fakeKey('test'));
      expect(slowed.status).toBe(429);
      expect(Number(slowed.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(errorOf(slowed).message).toMatch(/an address whose credentials keep failing/);
      expect((await guarded.post('{ __typename }')).status).toBe(200);
    } finally {
      await guarded.close();
    }
  });

  it('trusted documents: registered ones run for everyone, others only for operators', async () => {
    const DOC = '{ customers(first: 1) { totalCount } }';
    const sha = createHash('sha256').update(DOC).digest('hex');
    const trusted = await securedApp(t.hub, { trustedDocuments: new Map([[sha, DOC]]) });
    try {
      const member = await keyWith(trusted.security, ['customers:read']);
      const send = async (body: unknown, key = member.text) => {
        const res = await trusted.app.yoga.fetch('http://switchboard.test/graphql', {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/graphql-response+json',
            authorization: `Bearer ${key}`,
          },
          body: JSON.stringify(body),
        });
        return { status: res.status, body: (await res.json()) as any };
      };
      const registered = await send({ extensions: { persistedQuery: { version: 1, sha256Hash: sha } } });
      expect(registered.status).toBe(200);
      expect(registered.body.data.customers.totalCount).toBeGreaterThan(0);
      const { result: arbitrary, calls } = await countingVendorCalls(vendorUrls(), () =>
        send({ query: '{ customers(first: 2) { totalCount } }' }),
      );
      expect(arbitrary.status).toBe(400);
      expect(arbitrary.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_ONLY');
      expect(arbitrary.body.errors[0].message).toMatch(/only registered operations/);
      expect(calls).toBe(0);
      const unknown = await send({
        extensions: { persistedQuery: { version: 1, sha256Hash: 'f'.repeat(64) } },
      });
      expect(unknown.body.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
      const asOp = await send({ query: '{ customers(first: 2) { totalCount } }' }, trusted.key);
      expect(asOp.status).toBe(200);
      expect(asOp.body.errors).toBeUndefined();
    } finally {
      await trusted.close();
    }
  });

  it('introspection and suggestions: on in sandbox mode, off when configured off and in live mode', async () => {
    const INTROSPECT = '{ __schema { queryType { name } } }';
    const open = await asOperator(INTROSPECT);
    expect(open.body.data.__schema.queryType.name).toBe('Query');
    expect(errorOf(await asOperator('{ customerz }')).message).toMatch(/Did you mean/);

    const closed = await securedApp(t.hub, { introspection: false });
    const live = await securedApp(t.hub, {}, 'live');
    try {
      for (const app of [closed, live]) {
        const refused = await app.post(INTROSPECT);
        expect(refused.status).toBe(400);
        expect(refused.body.data ?? null).toBeNull();
        expect(errorOf(refused).message).toMatch(/introspection/i);
        const typo = await app.post('{ customerz }');
        expect(errorOf(typo).message).toMatch(/Cannot query field/);
        expect(errorOf(typo).message).not.toMatch(/Did you mean|customers/);
        // __typename is not introspection.
        expect((await app.post('{ __typename }')).body.data).toEqual({ __typename: 'Query' });
      }
    } finally {
      await closed.close();
      await live.close();
    }
  });

  it('CSRF: form, multipart and text/plain POSTs are 415 whatever they carry; a mutation over GET is refused', async () => {
    const bodies: Array<[string, string]> = [
      [
        'application/x-www-form-urlencoded',
        `query=${encodeURIComponent('mutation { revokeApiKey(id: "x") { id } }')}`,
      ],
      [
        'multipart/form-data; boundary=X',
        '--X\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{"query":"{ __typename }"}\r\n--X--\r\n',
      ],
      ['text/plain', JSON.stringify({ query: '{ __typename }' })],
      ['text/plain;charset=UTF-8', JSON.stringify({ query: '{ __typename }' })],
    ];
    for (const [type, body] of bodies) {
      for (const key of [undefined, operator]) {
        const res = await fetch(`${url}/graphql`, {
          method: 'POST',
          headers: {
            'content-type': type,
            origin: 'https://evil.example',
            ...(key ? { authorization: `Bearer ${key}` } : {}),
          },
          body,
        });
        expect(res.status, type).toBe(415);
        expect(((await res.json()) as any).errors[0].extensions.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      }
    }
    const viaGet = await fetch(
      `${url}/graphql?query=${encodeURIComponent('mutation { revokeApiKey(id: "x") { id } }')}`,
      {
        headers: { authorization: `Bearer ${operator}`, accept: 'application/graphql-response+json' },
      },
    );
    expect(viaGet.status).toBe(405);
    // Refused as REJECTED in the audit log (sampled), with where it came from.
    const entry = await auditEntry(
      (r) => r.outcome === 'REJECTED' && /CONTENT_TYPE|MEDIA_TYPE/.test(String(r.detail?.reason)),
      'the 415',
      { action: 'request' },
    );
    expect(entry).toMatchObject({ address: '127.0.0.1', origin: 'https://evil.example' });
  });

  it("CORS: configured origins and publishable keys' origins only, never echoing others, never with credentials", async () => {
    const site = 'https://booking.example.org';
    const made = await asOperator(
      `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { apiKey { id } } }`,
      {
        input: {
          name: 'cors site',
          kind: 'PUBLISHABLE',
          scopes: ['AVAILABILITY_READ'],
          allowedOrigins: [site],
        },
      },
    );
    expect(made.body.errors).toBeUndefined();
    const preflight = (origin: string) =>
      fetch(`${url}/graphql`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type',
        },
      });
    // Allowed at once on the replica that made the key (others pick it up within 10 s).
    const allowed = await preflight(site);
    for (const origin of [APP_ORIGIN, site]) {
      const res = origin === site ? allowed : await preflight(origin);
      expect(res.headers.get('access-control-allow-origin'), origin).toBe(origin);
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
      expect(res.headers.get('access-control-allow-headers')).toMatch(/authorization/);
      const actual = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { origin, 'content-type': 'application/json', authorization: `Bearer ${operator}` },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expect(actual.headers.get('access-control-allow-origin')).toBe(origin);
      expect(actual.headers.get('access-control-allow-credentials')).toBeNull();
    }
    for (const origin of [
      'https://evil.example',
      'null',
      'https://app.example.com.evil.example',
      'http://app.example.com',
    ]) {
      const res = await preflight(origin);
      expect(res.headers.get('access-control-allow-origin'), origin).toBeNull();
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
      const actual = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { origin, 'content-type': 'application/json', authorization: `Bearer ${operator}` },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expect(actual.headers.get('access-control-allow-origin'), origin).toBeNull();
    }
    // A revoked key's origin stops at once on this replica.
    await asOperator(`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, {
      id: made.body.data.createApiKey.apiKey.id,
    });
    expect((await preflight(site)).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('a 2 MiB chunked body (no Content-Length) is refused with 413', async () => {
    const { port } = new URL(url);
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port: Number(port),
          method: 'POST',
          path: '/graphql',
          headers: {
            'content-type': 'application/json',
            authorization: `Bearer ${operator}`,
            'transfer-encoding': 'chunked',
          },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', (error: NodeJS.ErrnoException) => {
        // The hub may answer and close while the body is still going out.
        if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error);
      });
      const chunk = Buffer.alloc(64 * 1024, 'a');
      req.write('{"query":"{ __typename }","variables":{"pad":"');
      let sent = 0;
      const pump = () => {
        while (sent < 2 * 1024 * 1024) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', pump);
        }
        req.end('"}}');
      };
      pump();
    });
    expect(status).toBe(413);
    await auditEntry(
      (r) => r.outcome === 'REJECTED' && /BODY|TOO_LARGE|PAYLOAD/.test(String(r.detail?.reason)),
      'the 413',
      { action: 'request' },
    );
  });

  describe('document limits, checked before anything runs', () => {
    const expectLimit = async (query: string, code: string) => {
      const { result, calls } = await countingVendorCalls(vendorUrls(), () => asOperator(query));
      expect(result.status, JSON.stringify(result.body).slice(0, 300)).toBe(400);
      expect(errorOf(result).extensions.code).toBe(code);
      expect(calls).toBe(0);
      return result;
    };

    it('depth: customers → bookings → customer, 11 levels, first: 3', async () => {
      let inner = 'id';
      for (let i = 0; i < 11; i++) inner = `customer { bookings(first: 3) { edges { node { ${inner} } } } }`;
      const attack = `{ customers(first: 3) { edges { node { bookings(first: 3) { edges { node { ${inner} } } } } } } }`;
      const refused = await expectLimit(attack, 'QUERY_TOO_DEEP');
      expect(errorOf(refused).message).toMatch(/depth limit of 12/);
      const operatorId = (await t.security.keys.verify(operator))!.id;
      await auditEntry(
        (r) => r.actor === operatorId && r.outcome === 'REJECTED' && r.detail?.reason === 'QUERY_TOO_DEEP',
        'the depth refusal',
        { action: 'request' },
      );
    });

    it('aliases: 16 refused, 15 allowed; 40,000 refused before they are parsed', async () => {
      const aliases = (n: number) =>
        `{ ${Array.from({ length: n }, (_, i) => `a${i}: __typename`).join(' ')} }`;
      expect((await asOperator(aliases(15))).status).toBe(200);
      await expectLimit(aliases(16), 'TOO_MANY_ALIASES');
      // 40,000 aliases are 120,000 tokens: the parser stops at the token limit, long before the alias count.
      const started = performance.now();
      await expectLimit(aliases(40_000), 'TOO_MANY_TOKENS');
      expect(performance.now() - started).toBeLessThan(5_000);
    });

    it('tokens, directives and cost', async () => {
      await expectLimit(
        `{ customers(first: 1) { edges { node { ${'id '.repeat(2_000)} } } } }`,
        'TOO_MANY_TOKENS',
      );
      await expectLimit(`{ __typename ${'@include(if: true) '.repeat(11)}}`, 'TOO_MANY_DIRECTIVES');
      const costly = await expectLimit(
        `{ customers(first: 1000) { edges { node { bookings(first: 500) { edges { node { id } } } } } } }`,
        'QUERY_TOO_COSTLY',
      );
      expect(errorOf(costly).message).toMatch(/the limit is 250000/);
      // `first` from variables counts too.
      const viaVariables = await asOperator(
        `query($n: Int!) { customers(first: $n) { edges { node { bookings(first: $n) { edges { node { id } } } } } } }`,
        { n: 1000 },
      );
      expect(errorOf(viaVariables).extensions.code).toBe('QUERY_TOO_COSTLY');
    });

    it('response size: a response over the limit is replaced by RESPONSE_TOO_LARGE', async () => {
      const small = await securedApp(t.hub, { limits: { maxResponseChars: 1_024 } });
      try {
        const answer = await small.post(`{ customers(first: 50) { edges { node { id displayName } } } }`);
        expect(errorOf(answer).extensions.code).toBe('RESPONSE_TOO_LARGE');
        expect(answer.body.data).toBeUndefined();
      } finally {
        await small.close();
      }
    });
  });

  it('/metrics needs operator; /readyz tells only its status without a key and the details to an operator', async () => {
    const reader = await scoped('customers:read');
    const get = (path: string, key?: string) =>
      fetch(`${url}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
    expect((await get('/metrics')).status).toBe(401);
    const forbidden = await get('/metrics', reader);
    expect(forbidden.status).toBe(403);
    expect(((await forbidden.json()) as any).reason).toBe('MISSING_SCOPE');
    const metrics = await get('/metrics', operator);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^switchboard_/m);

    const bare = await get('/readyz');
    expect(bare.status).toBe(200);
    const bareBody = (await bare.json()) as any;
    expect(Object.keys(bareBody)).toEqual(['status']);
    expect(['ready', 'degraded']).toContain(bareBody.status);
    expect((await get('/readyz', reader)).status).toBe(403);
    expect((await get('/readyz', fakeKey('test'))).status).toBe(401);
    const detailed = (await (await get('/readyz', operator)).json()) as any;
    expect(detailed).toMatchObject({ status: bareBody.status, store: { ok: true } });
    expect(detailed.sources.length).toBeGreaterThan(0);
    expect((await get('/healthz')).status).toBe(200);
  });

  it('a 20 KB header is answered 431 and audited as HEADERS_TOO_LARGE', async () => {
    const { port } = new URL(url);
    const response = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1');
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString()));
      socket.on('end', () => resolve(text));
      socket.on('close', () => resolve(text));
      socket.on('error', (error: NodeJS.ErrnoException) =>
        error.code === 'ECONNRESET' ? resolve(text) : reject(error),
      );
      socket.write(
        `GET /graphql?query=%7B__typename%7D HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${operator}\r\nX-Padding: ${'a'.repeat(20_000)}\r\n\r\n`,
      );
    });
    expect(response).toMatch(/^HTTP\/1\.1 431 /);
    const entry = await auditEntry((r) => r.detail?.reason === 'HEADERS_TOO_LARGE', 'HEADERS_TOO_LARGE', {
      action: 'request',
    });
    expect(entry).toMatchObject({ actor: 'anonymous', outcome: 'REJECTED', address: '127.0.0.1' });
  });

  it("graphql-http's server audit finds no errors", async () => {
    const results = await auditServer({
      url: `${url}/graphql`,
      fetchFn: (input: any, init: any = {}) => {
        const headers = new Headers(init.headers);
        headers.set('authorization', `Bearer ${operator}`);
        return fetch(input, { ...init, headers });
      },
    });
    const notOk = results.filter((r) => r.status !== 'ok');
    if (notOk.length > 0) {
      console.log(
        `graphql-http audit on ${storeKind}:\n${notOk.map((r) => `  ${r.status}: ${r.name}${'reason' in r ? ` (${r.reason})` : ''}`).join('\n')}`,
      );
    }
    expect(results.filter((r) => r.status === 'error').map((r) => r.name)).toEqual([]);
  });
});
