import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { customerAt, generateBusiness } from '../src/sandbox/seed/business.ts';
import { startSandboxes, type Sandboxes } from '../src/sandbox/start.ts';
import { toGlobalId } from '../src/graph/ids.ts';
import { createRandom } from '../src/sandbox/kit/random.ts';
import { startTestHub, type TestHub } from './support/hub.ts';
import { clearFaults, injectFault } from '../harness/sandbox-admin.ts';
import { vendorApis } from './support/vendors.ts';
import { booksFault, inBooks } from './support/books.ts';
import type { AddressInfo } from 'node:net';

const now = new Date('2026-11-23T00:00:00Z');
const business = generateBusiness({ now });
const uuidOf = (globalId: string) =>
  Buffer.from(globalId, 'base64url').toString().split(':').slice(1).join(':');
const TERMINAL = new Set(['COMPLETED', 'FAILED', 'DELIVERY_FAILED']);

describe('the outbox: retries, failed deliveries and faults', () => {
  let sandboxes: Sandboxes;
  let t: TestHub;
  let vendors: ReturnType<typeof vendorApis>;
  let worker: { stop(): Promise<void> };
  const op = async (id: string) =>
    (
      await t.graphql<any>(
        `query($id: ID!) { operation(id: $id) { id state error steps { name state attempts nextAttemptAt lastError } } }`,
        { id },
      )
    ).body.data.operation;

  beforeAll(async () => {
    sandboxes = await startSandboxes({ seed: { now }, relaxed: true });
    t = await startTestHub({
      store: 'sqlite',
      workspaces: [{ id: 'default', sandboxes }],
      engine: { retryBaseMs: 5, retryMaxMs: 40, maxAttempts: 10, fastPathMs: 1_000 },
      // The outbox's own retries under test, on their short test timings: the sandboxes' limits are
      // relaxed, and a breaker opened by the storm would space attempts by its cool-down instead
      // (test/resilience.test.ts covers the breaker and budgets).
      upstream: { limits: false, breaker: false },
    });
    vendors = vendorApis(sandboxes);
    worker = t.hub.engine.startWorker({ intervalMs: 20 });
  });
  afterAll(async () => {
    if (t?.app.server.listening) await new Promise((resolve) => t.app.server.close(resolve));
    await worker?.stop();
    await t?.close();
    await sandboxes?.close();
  });
  beforeEach(() => clearFaults(...sandboxes.all.map((s) => s.url)));

  async function pollUntilTerminal(id: string, timeoutMs = 20_000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const current = await op(id);
      if (TERMINAL.has(current.state)) return current;
      if (Date.now() > deadline)
        throw new Error(`operation ${id} still ${current.state}: ${JSON.stringify(current.steps)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  it("answers PENDING when a vendor asks to wait longer than the request's budget; the worker finishes after Retry-After", async () => {
    await injectFault(sandboxes.crm.url, {
      status: 429,
      retryAfterSeconds: 2,
      times: 1,
      operations: ['contacts.batchUpsert'],
    });
    const email = `pending.${Date.now()}@outbox.test`;
    const started = Date.now();
    const { body } = await t.graphql<any>(
      `mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { operation { id state steps { name state attempts lastError nextAttemptAt } } } }`,
      { input: { firstName: 'Pat', lastName: 'Ience', email } },
    );
    const first = body.data.createCustomer.operation;
    expect(first.state).toBe('PENDING');
    expect(first.steps[0]).toMatchObject({ name: 'crm.upsertContact', state: 'PENDING', attempts: 1 });
    expect(first.steps[0].lastError).toMatch(/429/);
    expect(new Date(first.steps[0].nextAttemptAt).getTime() - started).toBeGreaterThanOrEqual(1_900);
    const final = await pollUntilTerminal(first.id);
    expect(final.state).toBe('COMPLETED');
    expect(final.steps[0].attempts).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    expect(await vendors.hubspotContactsByEmail(email)).toHaveLength(1);
  });

  it('turns a step that never gets through into a failed delivery: listed, counted in /metrics, replayable', async () => {
    await injectFault(sandboxes.accounting.url, {
      status: 503,
      ...booksFault(sandboxes.accounting.system, 'createContact'),
    });
    const email = `stuck.${Date.now()}@outbox.test`;
    const { body } = await t.graphql<any>(
      `mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { operation { id state } } }`,
      { input: { firstName: 'Stu', lastName: 'Ck', email } },
    );
    const id = body.data.createCustomer.operation.id;
    const stuck = await pollUntilTerminal(id);
    expect(stuck.state).toBe('DELIVERY_FAILED');
    expect(stuck.steps.map((s: any) => s.state)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'GAVE_UP']);
    expect(stuck.steps[2].attempts).toBe(10);
    expect(stuck.error).toMatch(/accounting.createContact gave up after 10 attempts/);

    const listed = await t.graphql<any>(
      `{ failedDeliveries { edges { node { operation { id kind } step { name system state lastError } } } } }`,
    );
    expect(listed.body.data.failedDeliveries.edges.map((e: any) => e.node)).toContainEqual({
      operation: { id, kind: 'createCustomer' },
      step: {
        name: 'accounting.createContact',
        system: sandboxes.accounting.system.toUpperCase(),
        state: 'GAVE_UP',
        lastError: expect.stringMatching(/503/),
      },
    });
    await new Promise<void>((resolve) => t.app.server.listen(0, '127.0.0.1', resolve));
    const port = (t.app.server.address() as AddressInfo).port;
    const metrics = await (
      await fetch(`http://127.0.0.1:${port}/metrics`, {
        headers: { authorization: `Bearer ${t.keys.get('default')}` },
      })
    ).text();
    expect(metrics).toMatch(/^switchboard_failed_deliveries 1$/m);

    await clearFaults(sandboxes.accounting.url);
    const replayed = await t.graphql<any>(
      `mutation($id: ID!) { retryDelivery(operationId: $id) { state steps { state } } }`,
      { id },
    );
    expect(replayed.body.data.retryDelivery.state).toBe('COMPLETED');
    expect(await vendors.accountingContactsByEmail(email)).toHaveLength(1);
    const after = await t.graphql<any>(`{ failedDeliveries { edges { node { operation { id } } } } }`);
    expect(after.body.data.failedDeliveries.edges.map((e: any) => e.node.operation.id)).not.toContain(id);

    const again = await t.graphql<any>(`mutation($id: ID!) { retryDelivery(operationId: $id) { state } }`, {
      id,
    });
    expect(again.body.errors?.[0]?.message).toMatch(/is COMPLETED, not DELIVERY_FAILED/);
  });

  it('200 mixed mutations with 30% of vendor calls failing end settled, with exactly one record per intended record', async () => {
    const random = createRandom('fault-storm');
    for (const s of sandboxes.all) {
      // 5xx and 429 before the vendor acts, and 5xx and dropped answers after it did: retries must not duplicate.
      await injectFault(s.url, { status: 503, share: 0.1 });
      await injectFault(s.url, { status: 429, retryAfterSeconds: 0, share: 0.08 });
      await injectFault(s.url, { status: 502, phase: 'after', share: 0.08 });
      await injectFault(s.url, { drop: true, phase: 'after', share: 0.06 });
    }
    const inAll = business.customers.filter(
      (c) => c.mess.length === 0 && c.lifecycleStage === 'customer' && customerAt(c, 'stripe') && inBooks(c),
    );
    const idOf = async (email: string) =>
      toGlobalId('Customer', (await t.hub.links.findCustomersByEmail('default', [email])).get(email)![0]!.id);
    const paidOrders = business.orders.filter((o) => o.status === 'succeeded' && o.refunded === 0);
    // Past the seed's bookings (90 days ahead), an hour apart: createBooking refuses busy times.
    const start = new Date(Date.now() + 100 * 86_400_000);

    type Job = { kind: string; query: string; variables: Record<string, unknown>; check: string };
    const jobs: Job[] = [];
    for (let i = 0; i < 200; i++) {
      const seed = inAll[i % inAll.length]!;
      const pick = random.int(0, 4);
      if (pick === 0) {
        const email = `storm.${i}@outbox.test`;
        jobs.push({
          kind: 'createCustomer',
          query: `mutation($input: CreateCustomerInput!, $key: String) { createCustomer(input: $input, idempotencyKey: $key) { operation { id state } } }`,
          variables: { input: { firstName: 'Storm', lastName: `Number${i}`, email }, key: `storm-${i}` },
          check: email,
        });
      } else if (pick === 1) {
        jobs.push({
          kind: 'placeOrder',
          query: `mutation($input: PlaceOrderInput!, $key: String) { placeOrder(input: $input, idempotencyKey: $key) { operation { id state } } }`,
          variables: {
            input: {
              customerId: await idOf(seed.email),
              currency: 'GBP',
              lines: [{ description: `Storm order ${i}`, unitAmount: 1000 + i }],
            },
            key: `storm-${i}`,
          },
          check: '',
        });
      } else if (pick === 2) {
        const at = new Date(start.getTime() + i * 3_600_000);
        jobs.push({
          kind: 'createBooking',
          query: `mutation($input: CreateBookingInput!, $key: String) { createBooking(input: $input, idempotencyKey: $key) { operation { id state } } }`,
          variables: {
            input: {
              customerId: await idOf(seed.email),
              start: at.toISOString(),
              end: new Date(at.getTime() + 3_600_000).toISOString(),
              service: `Storm booking ${i}`,
              deposit: { amount: 1500, currency: 'GBP' },
            },
            key: `storm-${i}`,
          },
          check: '',
        });
      } else if (pick === 3) {
        jobs.push({
          kind: 'issueInvoice',
          query: `mutation($input: IssueInvoiceInput!, $key: String) { issueInvoice(input: $input, idempotencyKey: $key) { operation { id state } } }`,
          variables: {
            input: {
              customerId: await idOf(seed.email),
              currency: 'GBP',
              lines: [{ description: 'Storm invoice', unitAmount: 700 }],
              reference: `STORM-${i}`,
            },
            key: `storm-${i}`,
          },
          check: `STORM-${i}`,
        });
      } else {
        const order = paidOrders.shift();
        if (!order) continue;
        jobs.push({
          kind: 'refundOrder',
          query: `mutation($id: ID!, $key: String) { refundOrder(orderId: $id, amount: { amount: 100, currency: "GBP" }, idempotencyKey: $key) { operation { id state } } }`,
          variables: {
            id: toGlobalId('Order', `stripe:${order.ids.stripePaymentIntentId}`),
            key: `storm-${i}`,
          },
          check: order.ids.stripePaymentIntentId,
        });
      }
    }

    // Eight clients at a time. A request that errs is sent again with the same key, as a client would.
    const outcomes: Array<{ job: Job; operationId: string }> = [];
    const queue = [...jobs];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let job = queue.shift(); job; job = queue.shift()) {
          for (let tries = 0; ; tries++) {
            const { body } = await t.graphql<any>(job.query, job.variables);
            const payload = body.data?.[job.kind];
            if (payload) {
              outcomes.push({ job, operationId: payload.operation.id });
              break;
            }
            // The mutation's own checks read vendors too (a customer's profile, an order); under 30%
            // faults even their two retries can all fail: a client tries again.
            if (tries > 20) throw new Error(`${job.kind} kept failing: ${JSON.stringify(body.errors)}`);
            await new Promise((r) => setTimeout(r, 10));
          }
        }
      }),
    );
    await clearFaults(...sandboxes.all.map((s) => s.url));
    const finals = await Promise.all(outcomes.map((o) => pollUntilTerminal(o.operationId, 60_000)));
    const states = finals.reduce<Record<string, number>>(
      (m, f) => ((m[f.state] = (m[f.state] ?? 0) + 1), m),
      {},
    );
    expect(
      Object.keys(states).every((s) => TERMINAL.has(s)),
      JSON.stringify(states),
    ).toBe(true);
    expect(outcomes.length).toBeGreaterThanOrEqual(190);

    for (const [i, { job, operationId }] of outcomes.entries()) {
      const final = finals[i];
      const where = `${job.kind} ${operationId} (${final.state})`;
      // Exactly one record where its step succeeded; at most one where the step gave up or was
      // skipped (a last try may have landed with its answer lost): never two.
      const expectRecords = (step: string, count: number) => {
        const state = final.steps.find((s: any) => s.name === step)?.state;
        if (state === 'SUCCEEDED' || state === 'COMPENSATED') expect(count, `${where}: ${step}`).toBe(1);
        else expect(count, `${where}: ${step} ${state}`).toBeLessThanOrEqual(1);
      };
      if (job.kind === 'createCustomer') {
        expectRecords('crm.upsertContact', (await vendors.hubspotContactsByEmail(job.check)).length);
        expectRecords('payments.createCustomer', (await vendors.stripeCustomersByEmail(job.check)).length);
        expectRecords(
          'accounting.createContact',
          (await vendors.accountingContactsByEmail(job.check)).length,
        );
      } else if (job.kind === 'placeOrder') {
        const intents = await vendors.stripePaymentIntentsSearch(
          `metadata['switchboard_operation']:'${uuidOf(operationId)}'`,
        );
        expectRecords('payments.createOrder', intents.length);
        const invoices = intents[0] ? await vendors.accountingInvoicesByReference(intents[0].id) : [];
        expectRecords('accounting.createInvoice', invoices.length);
      } else if (job.kind === 'createBooking') {
        const eventId = (await t.hub.engine.get('default', uuidOf(operationId)))!.input.eventId as string;
        expectRecords(
          'payments.createDeposit',
          (await vendors.stripePaymentIntentsSearch(`metadata['booking_ref']:'${eventId}'`)).length,
        );
        expectRecords('calendar.createEvent', (await vendors.googleEvent(eventId)).status === 200 ? 1 : 0);
      } else if (job.kind === 'issueInvoice') {
        expectRecords(
          'accounting.createInvoice',
          (await vendors.accountingInvoicesByReference(job.check)).length,
        );
      } else if (job.kind === 'refundOrder') {
        const pi = (await vendors.stripePaymentIntent(job.check)).body;
        expectRecords('payments.refund', pi.latest_charge.amount_refunded / 100);
      }
    }
    console.log(`fault storm: ${outcomes.length} operations, final states ${JSON.stringify(states)}`);
    for (const f of finals.filter((f) => f.state !== 'COMPLETED'))
      console.log('NOT COMPLETED', JSON.stringify(f));
  }, 180_000);
});
