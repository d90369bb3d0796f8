import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateBusiness } from '../src/sandbox/seed/business.ts';
import { startSandboxes, type Sandboxes } from '../src/sandbox/start.ts';
import { toGlobalId } from '../src/graph/ids.ts';
import { connectionMap } from '../src/graph/connection-map.ts';
import { clearRequestLog, requestEntries } from '../harness/sandbox-admin.ts';
import { startTestHub, type TestHub } from './support/hub.ts';
import { inBooks } from './support/books.ts';

// The connection map's vendor requests against what the adapters send: each mutation runs through
// the hub against the sandboxes, and every write request the sandboxes log while it runs must be
// one the map lists for that operation and adapter (method and path), so a map naming a wrong
// endpoint fails here. GETs are reads; OAuth token requests are the client's, not the write's.

const now = new Date('2026-11-23T00:00:00Z');
const business = generateBusiness({ now });
const map = connectionMap();
/** Reads some APIs make with a POST (HubSpot's batch read and search): not writes. */
const READS = /\.(batchRead|search)$/;
const STEPS = `operation { kind state steps { name state } }`;

/** `/v3/company/{realmId}/query (Item by name)` → a pattern for the logged path. */
function pattern(path: string): RegExp {
  const bare = path.replace(/ \(.*\)$/, '').replace(/\?.*$/, '');
  // Braces are not escaped, so each `{name}` is still whole for the last replace.
  const escaped = bare.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+');
  return new RegExp(`^${escaped}$`);
}

describe('the connection map names the requests the writes make', () => {
  let sandboxes: Sandboxes;
  let t: TestHub;
  const seen = new Set<string>();

  beforeAll(async () => {
    sandboxes = await startSandboxes({ seed: { now }, relaxed: true });
    t = await startTestHub({
      store: 'sqlite',
      workspaces: [{ id: 'default', sandboxes }],
      engine: { retryBaseMs: 10, retryMaxMs: 50, maxAttempts: 4, fastPathMs: 5_000 },
    });
  });
  afterAll(async () => {
    await t?.close();
    await sandboxes?.close();
  });

  /** Runs one mutation and checks the sandboxes' logged writes against the map's requests for it. */
  async function checked(field: string, query: string, variables: Record<string, unknown>) {
    await clearRequestLog(...sandboxes.all.map((s) => s.url));
    const { body } = await t.graphql<any>(query, variables);
    expect(body.errors, JSON.stringify(body.errors)).toBeUndefined();
    const payload = body.data[field];
    expect(payload.operation.state, JSON.stringify(payload.operation)).toBe('COMPLETED');
    const operation = map.operations.find((o) => o.operation === payload.operation.kind)!;
    const unlisted: string[] = [];
    for (const sandbox of sandboxes.all) {
      const declared = operation.steps.flatMap((s) =>
        (s.adapters[sandbox.system] ?? []).flatMap((c) => c.requests),
      );
      // Reads the map declares (free/busy, a POST that only reads) are not writes either.
      const reads = map.reads.filter((r) => r.adapter === sandbox.system).flatMap((r) => r.requests);
      const writes = (await requestEntries(sandbox.url)).filter(
        (e) =>
          e.method !== 'GET' &&
          !/^(identity|oauth)\./.test(e.operation) &&
          !READS.test(e.operation) &&
          !reads.some((r) => r.method === e.method && pattern(r.path).test(e.path)),
      );
      for (const entry of writes) {
        const match = declared.find((r) => r.method === entry.method && pattern(r.path).test(entry.path));
        if (match) seen.add(`${sandbox.system} ${match.method} ${match.path}`);
        else unlisted.push(`${sandbox.system} ${entry.method} ${entry.path} (${entry.operation})`);
      }
    }
    expect(unlisted, `requests ${operation.operation} made that the map does not list`).toEqual([]);
    return payload;
  }

  it('customers, bookings, orders and invoices: every write request is in the map', async () => {
    const email = `map.${Math.random().toString(36).slice(2, 8)}@connections.test`;
    const created = await checked(
      'createCustomer',
      `mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { ${STEPS} customer { id } } }`,
      {
        input: {
          firstName: 'Ada',
          lastName: 'Mapping',
          email,
          phone: '+44 7700 900321',
          company: 'Maps Ltd',
        },
      },
    );
    const customerId = created.customer.id as string;
    await checked(
      'updateCustomer',
      `mutation($id: ID!, $input: UpdateCustomerInput!) { updateCustomer(id: $id, input: $input) { ${STEPS} } }`,
      { id: customerId, input: { phone: '+44 7700 900654', lastName: 'Mapped' } },
    );

    // Past the seed's bookings (90 days ahead): createBooking refuses a time the calendar is busy at.

    const start = new Date(Date.now() + 100 * 86_400_000);
    start.setUTCHours(10, 0, 0, 0);
    const booked = await checked(
      'createBooking',
      `mutation($input: CreateBookingInput!) { createBooking(input: $input) { ${STEPS} booking { id } } }`,
      {
        input: {
          customerId,
          start: start.toISOString(),
          end: new Date(start.getTime() + 3_600_000).toISOString(),
          service: 'Sports massage (60 min)',
          serviceCode: 'SPORTS-60',
          deposit: { amount: 2000, currency: 'GBP' },
        },
      },
    );
    const later = new Date(start.getTime() + 86_400_000);
    await checked(
      'rescheduleBooking',
      `mutation($id: ID!, $start: DateTime!, $end: DateTime!) { rescheduleBooking(id: $id, start: $start, end: $end) { ${STEPS} } }`,
      {
        id: booked.booking.id,
        start: later.toISOString(),
        end: new Date(later.getTime() + 3_600_000).toISOString(),
      },
    );
    await checked(
      'cancelBooking',
      `mutation($id: ID!) { cancelBooking(id: $id, refundDeposit: true) { ${STEPS} } }`,
      { id: booked.booking.id },
    );

    const seed = business.customers.find(
      (c) => c.mess.length === 0 && c.lifecycleStage === 'customer' && inBooks(c),
    )!;
    const row = (await t.hub.links.findCustomersByEmail('default', [seed.email])).get(seed.email)![0]!;
    const seedId = toGlobalId('Customer', row.id);
    const placed = await checked(
      'placeOrder',
      `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { ${STEPS} invoice { id } } }`,
      {
        input: {
          customerId: seedId,
          currency: 'GBP',
          lines: [{ description: 'Resistance band', unitAmount: 1200 }],
        },
      },
    );
    await checked('recordPayment', `mutation($id: ID!) { recordPayment(invoiceId: $id) { ${STEPS} } }`, {
      id: placed.invoice.id,
    });
    await checked(
      'issueInvoice',
      `mutation($input: IssueInvoiceInput!) { issueInvoice(input: $input) { ${STEPS} } }`,
      {
        input: {
          customerId: seedId,
          currency: 'GBP',
          lines: [{ description: 'Course of 4 physiotherapy sessions', quantity: 4, unitAmount: 4000 }],
        },
      },
    );
    const paid = business.orders.find(
      (o) => o.status === 'succeeded' && o.refunded === 0 && o.amount >= 1000,
    )!;
    await checked(
      'refundOrder',
      `mutation($id: ID!) { refundOrder(orderId: $id, amount: { amount: 500, currency: "GBP" }) { ${STEPS} } }`,
      { id: toGlobalId('Order', `stripe:${paid.ids.stripePaymentIntentId}`) },
    );

    // The check saw the adapters' main writes, so it did look at something.
    expect(seen.size).toBeGreaterThanOrEqual(10);
  }, 120_000);
});
