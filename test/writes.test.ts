import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateBusiness } from '../src/sandbox/seed/business.ts';
import { startSandboxes, type Sandboxes } from '../src/sandbox/start.ts';
import { toGlobalId } from '../src/graph/ids.ts';
import { storeKinds } from '../harness/stores.ts';
import { startTestHub, type TestHub } from './support/hub.ts';
import { clearFaults, clearRequestLog, injectFault, requestLog } from '../harness/sandbox-admin.ts';
import { vendorApis } from './support/vendors.ts';
import { booksFault, booksSeedIds, inBooks } from './support/books.ts';

const now = new Date('2026-11-23T00:00:00Z');
const business = generateBusiness({ now });

const OPERATION = `operation { id kind state error steps { name system state attempts lastError idempotencyKey } }`;

describe.each(storeKinds)('writes on %s', (storeKind) => {
  let sandboxes: Sandboxes;
  let t: TestHub;
  let vendors: ReturnType<typeof vendorApis>;
  /** The seed's ids in the bound books (`SWITCHBOARD_ACCOUNTING`). */
  let books: ReturnType<typeof booksSeedIds>;
  const ws = 'default';
  const customerIdFor = async (email: string) => {
    const row = (await t.hub.links.findCustomersByEmail(ws, [email])).get(email)?.[0];
    if (!row) throw new Error(`no customer ${email}`);
    return toGlobalId('Customer', row.id);
  };
  const unique = (label: string) =>
    `${label}.${storeKind}.${Math.random().toString(36).slice(2, 8)}@writes.test`;

  beforeAll(async () => {
    sandboxes = await startSandboxes({ seed: { now }, relaxed: true });
    t = await startTestHub({
      store: storeKind,
      workspaces: [{ id: ws, sandboxes }],
      engine: { retryBaseMs: 10, retryMaxMs: 50, maxAttempts: 4, fastPathMs: 2_000 },
    });
    vendors = vendorApis(sandboxes);
    books = booksSeedIds(sandboxes.accounting.system, business);
  });
  afterAll(async () => {
    await t?.close();
    await sandboxes?.close();
  });
  beforeEach(async () => {
    await clearFaults(...sandboxes.all.map((s) => s.url));
  });

  it('createCustomer makes the customer in HubSpot, Stripe and the books, linked, and a repeat email is refused', async () => {
    const email = unique('new');
    const { body } = await t.graphql<any>(
      `mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { ${OPERATION} customer { id email displayName links { system externalId } } } }`,
      {
        input: {
          firstName: 'Nia',
          lastName: 'Brooks',
          email,
          phone: '+44 7700 900123',
          company: 'Brooks Bakes',
        },
      },
    );
    expect(body.errors).toBeUndefined();
    const payload = body.data.createCustomer;
    expect(payload.operation.state).toBe('COMPLETED');
    expect(payload.operation.steps.map((s: any) => [s.name, s.state])).toEqual([
      ['crm.upsertContact', 'SUCCEEDED'],
      ['payments.createCustomer', 'SUCCEEDED'],
      ['accounting.createContact', 'SUCCEEDED'],
    ]);
    expect(payload.customer.email).toBe(email);
    expect(payload.customer.links.map((l: any) => l.system).sort()).toEqual(
      ['HUBSPOT', 'STRIPE', sandboxes.accounting.system.toUpperCase()].sort(),
    );

    const hubspot = await vendors.hubspotContact(email);
    expect(hubspot.body.properties).toMatchObject({
      firstname: 'Nia',
      lastname: 'Brooks',
      phone: '+44 7700 900123',
    });
    const stripe = await vendors.stripeCustomersByEmail(email);
    expect(stripe).toHaveLength(1);
    expect(stripe[0]).toMatchObject({ name: 'Nia Brooks', metadata: { switchboard_id: expect.any(String) } });
    const inTheBooks = await vendors.accountingContactsByEmail(email);
    expect(inTheBooks).toHaveLength(1);
    expect(inTheBooks[0]!.name).toBe('Nia Brooks');
    const ids = new Set(payload.customer.links.map((l: any) => l.externalId));
    expect(ids).toEqual(new Set([hubspot.body.id, stripe[0].id, inTheBooks[0]!.id]));

    const again = await t.graphql<any>(
      `mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { operation { id } } }`,
      { input: { firstName: 'Nia', lastName: 'Brooks', email: email.toUpperCase() } },
    );
    expect(again.body.errors?.[0]?.extensions).toMatchObject({
      code: 'CUSTOMER_EXISTS',
      customerId: payload.customer.id,
    });
  });

  it('createCustomer settles a name clash with someone else in the books by making the name unique', async () => {
    const seed = business.customers.find((c) => c.mess.length === 0 && inBooks(c))!;
    const email = unique('namesake');
    const { body } = await t.graphql<any>(
      `mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { ${OPERATION} } }`,
      { input: { firstName: seed.firstName, lastName: seed.lastName, email } },
    );
    expect(body.data.createCustomer.operation.state).toBe('COMPLETED');
    const inTheBooks = await vendors.accountingContactsByEmail(email);
    expect(inTheBooks).toHaveLength(1);
    expect(inTheBooks[0]!.name).toBe(`${seed.firstName} ${seed.lastName} (${email})`);
  });

  it('updateCustomer carries a new phone and email to every system that holds the customer', async () => {
    const email = unique('mover');
    const created = await t.graphql<any>(
      `mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id } } }`,
      { input: { firstName: 'Ola', lastName: 'Mensah', email } },
    );
    const id = created.body.data.createCustomer.customer.id;
    const newEmail = unique('moved');
    const { body } = await t.graphql<any>(
      `mutation($id: ID!, $input: UpdateCustomerInput!) { updateCustomer(id: $id, input: $input) { ${OPERATION} customer { email phone } } }`,
      { id, input: { email: newEmail, phone: '+44 7700 900999' } },
    );
    expect(body.errors).toBeUndefined();
    expect(body.data.updateCustomer.operation.state).toBe('COMPLETED');
    expect(body.data.updateCustomer.customer).toEqual({ email: newEmail, phone: '+44 7700 900999' });
    expect((await vendors.hubspotContact(newEmail)).body.properties.phone).toBe('+44 7700 900999');
    expect(await vendors.stripeCustomersByEmail(newEmail)).toHaveLength(1);
    expect(await vendors.stripeCustomersByEmail(email)).toHaveLength(0);
    expect(await vendors.accountingContactsByEmail(newEmail)).toHaveLength(1);
  });

  it('createBooking, rescheduleBooking and cancelBooking move the calendar, the deposit and the CRM together', async () => {
    const email = unique('booker');
    const created = await t.graphql<any>(
      `mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { customer { id } } }`,
      { input: { firstName: 'Bea', lastName: 'Okoro', email } },
    );
    const customerId = created.body.data.createCustomer.customer.id;
    // A time the calendar is free at, as a website would pick it: createBooking refuses a busy one.
    const offered = await t.graphql<any>(
      `query($from: DateTime!, $to: DateTime!) { availability(service: "SPORTS-60", from: $from, to: $to) { start } }`,
      {
        from: new Date(Date.now() + 7 * 86_400_000).toISOString(),
        to: new Date(Date.now() + 14 * 86_400_000).toISOString(),
      },
    );
    const start = new Date(offered.body.data.availability[0].start);
    const end = new Date(start.getTime() + 60 * 60_000);
    const booked = await t.graphql<any>(
      `mutation($input: CreateBookingInput!) { createBooking(input: $input) {
         ${OPERATION} booking { id title start end status attendeeEmails customer { id } } deposit { id status amount { amount currency } } } }`,
      {
        input: {
          customerId,
          start: start.toISOString(),
          end: end.toISOString(),
          service: 'Sports massage (60 min)',
          serviceCode: 'SPORTS-60',
          deposit: { amount: 2000, currency: 'GBP' },
        },
      },
    );
    expect(booked.body.errors).toBeUndefined();
    const payload = booked.body.data.createBooking;
    expect(payload.operation.state).toBe('COMPLETED');
    expect(payload.operation.steps.map((s: any) => s.name)).toEqual([
      'payments.createDeposit',
      'calendar.createEvent',
      'crm.setNextBooking',
    ]);
    expect(payload.booking).toMatchObject({
      title: 'Sports massage (60 min) — Bea Okoro',
      status: 'CONFIRMED',
      customer: { id: customerId },
    });
    expect(payload.deposit).toMatchObject({
      status: 'REQUIRES_PAYMENT_METHOD',
      amount: { amount: 2000, currency: 'GBP' },
    });

    const eventId = Buffer.from(payload.booking.id, 'base64url').toString().split(':').at(-1)!;
    const depositId = Buffer.from(payload.deposit.id, 'base64url').toString().split(':').at(-1)!;
    const event = await vendors.googleEvent(eventId);
    expect(event.body.attendees.map((a: any) => a.email)).toEqual([email]);
    expect(event.body.extendedProperties.private).toMatchObject({
      depositOrderId: depositId,
      serviceCode: 'SPORTS-60',
    });
    expect((await vendors.stripePaymentIntent(depositId)).body.metadata.booking_ref).toBe(eventId);
    expect((await vendors.hubspotContact(email)).body.properties.next_booking_date).toBe(
      start.toISOString().slice(0, 10),
    );

    // A query right after the write sees it: the write dropped the cached calendar window.
    const seen = await t.graphql<any>(
      `query($id: ID!) { customer(id: $id) { bookings { edges { node { id } } } orders { totalCount } } }`,
      {
        id: customerId,
      },
    );
    expect(seen.body.data.customer.bookings.edges.map((e: any) => e.node.id)).toEqual([payload.booking.id]);
    expect(seen.body.data.customer.orders.totalCount).toBe(1);

    const later = new Date(start.getTime() + 86_400_000);
    const moved = await t.graphql<any>(
      `mutation($id: ID!, $start: DateTime!, $end: DateTime!) { rescheduleBooking(id: $id, start: $start, end: $end) { ${OPERATION} booking { start end } } }`,
      {
        id: payload.booking.id,
        start: later.toISOString(),
        end: new Date(later.getTime() + 3_600_000).toISOString(),
      },
    );
    expect(moved.body.data.rescheduleBooking.operation.state).toBe('COMPLETED');
    expect(moved.body.data.rescheduleBooking.booking.start).toBe(later.toISOString());
    expect(new Date((await vendors.googleEvent(eventId)).body.start.dateTime).toISOString()).toBe(
      later.toISOString(),
    );
    expect((await vendors.hubspotContact(email)).body.properties.next_booking_date).toBe(
      later.toISOString().slice(0, 10),
    );

    const cancelled = await t.graphql<any>(
      `mutation($id: ID!) { cancelBooking(id: $id, refundDeposit: true) { ${OPERATION} booking { status } deposit { status } } }`,
      { id: payload.booking.id },
    );
    expect(cancelled.body.errors).toBeUndefined();
    expect(cancelled.body.data.cancelBooking.operation.state).toBe('COMPLETED');
    expect(cancelled.body.data.cancelBooking.booking.status).toBe('CANCELLED');
    expect(cancelled.body.data.cancelBooking.deposit.status).toBe('CANCELED');
    expect((await vendors.googleEvent(eventId)).body.status).toBe('cancelled');
    expect((await vendors.stripePaymentIntent(depositId)).body.status).toBe('canceled');
    expect((await vendors.hubspotContact(email)).body.properties.next_booking_date ?? '').toBe('');
  });

  it('placeOrder makes a payment intent and an authorised invoice naming each other; recordPayment marks it paid', async () => {
    const seed = business.customers.find((c) => c.mess.length === 0 && c.lifecycleStage === 'customer')!;
    const customerId = await customerIdFor(seed.email);
    const { body } = await t.graphql<any>(
      `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) {
         ${OPERATION} order { id status amount { amount } invoiceNumber } invoice { id number status total { amount } reference } } }`,
      {
        input: {
          customerId,
          currency: 'GBP',
          lines: [
            { description: 'Sports massage (60 min)', quantity: 2, unitAmount: 6500 },
            { description: 'Resistance band', unitAmount: 1200 },
          ],
        },
      },
    );
    expect(body.errors).toBeUndefined();
    const payload = body.data.placeOrder;
    expect(payload.operation.state).toBe('COMPLETED');
    expect(payload.order.amount.amount).toBe(14_200);
    expect(payload.invoice).toMatchObject({ status: 'AUTHORISED', total: { amount: 14_200 } });
    const piId = Buffer.from(payload.order.id, 'base64url').toString().split(':').at(-1)!;
    const invoiceId = Buffer.from(payload.invoice.id, 'base64url').toString().split(':').at(-1)!;
    expect(payload.invoice.reference).toBe(piId);
    expect(payload.order.invoiceNumber).toBe(payload.invoice.number);
    const pi = (await vendors.stripePaymentIntent(piId)).body;
    expect(pi).toMatchObject({ amount: 14_200, currency: 'gbp', customer: seed.ids.stripeCustomerId });
    expect(pi.metadata).toMatchObject({
      invoice_number: payload.invoice.number,
      switchboard_invoice_system: sandboxes.accounting.system,
      switchboard_invoice_id: invoiceId,
    });
    const invoice = await vendors.accountingInvoice(invoiceId);
    expect(invoice).toMatchObject({ status: 'AUTHORISED', total: 14_200, reference: piId });
    expect(invoice!.contactId).toBe(books.person(seed.key));

    const paid = await t.graphql<any>(
      `mutation($id: ID!) { recordPayment(invoiceId: $id) { ${OPERATION} invoice { status amountDue { amount } amountPaid { amount } } } }`,
      { id: payload.invoice.id },
    );
    expect(paid.body.errors).toBeUndefined();
    expect(paid.body.data.recordPayment.invoice).toEqual({
      status: 'PAID',
      amountDue: { amount: 0 },
      amountPaid: { amount: 14_200 },
    });
    expect((await vendors.accountingInvoice(invoiceId))?.status).toBe('PAID');
  });

  it('issueInvoice raises an authorised invoice; refundOrder refunds a paid order', async () => {
    const seed = business.customers.find(
      (c) => c.mess.length === 0 && c.lifecycleStage === 'customer' && inBooks(c),
    )!;
    const issued = await t.graphql<any>(
      `mutation($input: IssueInvoiceInput!) { issueInvoice(input: $input) { ${OPERATION} invoice { id status total { amount } reference } } }`,
      {
        input: {
          customerId: await customerIdFor(seed.email),
          currency: 'GBP',
          lines: [{ description: 'Course of 4 physiotherapy sessions', quantity: 4, unitAmount: 4000 }],
          reference: 'COURSE-42',
        },
      },
    );
    expect(issued.body.errors).toBeUndefined();
    expect(issued.body.data.issueInvoice.invoice).toMatchObject({
      status: 'AUTHORISED',
      total: { amount: 16_000 },
      reference: 'COURSE-42',
    });

    const order = business.orders.find((o) => o.status === 'succeeded' && o.refunded === 0)!;
    const refunded = await t.graphql<any>(
      `mutation($id: ID!) { refundOrder(orderId: $id, amount: { amount: 1000, currency: "GBP" }) { ${OPERATION} order { amountRefunded { amount } } } }`,
      { id: toGlobalId('Order', `stripe:${order.ids.stripePaymentIntentId}`) },
    );
    expect(refunded.body.errors).toBeUndefined();
    expect(refunded.body.data.refundOrder.order.amountRefunded.amount).toBe(1000);
    expect(
      (await vendors.stripePaymentIntent(order.ids.stripePaymentIntentId)).body.latest_charge.amount_refunded,
    ).toBe(1000);
  });

  it('rejects bad input before anything is stored or any vendor is called', async () => {
    await clearRequestLog(...sandboxes.all.map((s) => s.url));
    const customerId = await customerIdFor(business.customers.find((c) => c.mess.length === 0)!.email);
    const cases: Array<[string, Record<string, unknown>, RegExp]> = [
      [
        `mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { operation { id } } }`,
        {
          i: {
            customerId: toGlobalId('Customer', '00000000-0000-4000-8000-000000000000'),
            currency: 'GBP',
            lines: [{ description: 'x', unitAmount: 100 }],
          },
        },
        /names no customer/,
      ],
      [
        `mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { operation { id } } }`,
        { i: { customerId, currency: 'GBP', lines: [] } },
        /at least one line/,
      ],
      [
        `mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { operation { id } } }`,
        { i: { customerId, currency: 'XYZ', lines: [{ description: 'x', unitAmount: 100 }] } },
        /ISO 4217 currency code/,
      ],
      [
        `mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { operation { id } } }`,
        { i: { customerId, currency: 'GBP', lines: [{ description: 'x', unitAmount: -5 }] } },
        /whole number of at least 1, got -5/,
      ],
      [
        `mutation($i: CreateBookingInput!) { createBooking(input: $i) { operation { id } } }`,
        { i: { customerId, start: '2026-12-01T10:00:00Z', end: '2026-12-01T09:00:00Z', service: 'Massage' } },
        /must be after "start"/,
      ],
      [
        `mutation($i: CreateBookingInput!) { createBooking(input: $i) { operation { id } } }`,
        {
          i: {
            customerId,
            start: '2026-12-01T10:00:00Z',
            end: '2026-12-01T11:00:00Z',
            service: 'Massage',
            deposit: { amount: 0, currency: 'GBP' },
          },
        },
        /at least 1, got 0/,
      ],
      [
        `mutation { createCustomer(input: { firstName: "A", lastName: "B", email: "not-an-email" }) { operation { id } } }`,
        {},
        /not an email address/,
      ],
    ];
    for (const [query, variables, message] of cases) {
      const { status, body } = await t.graphql<any>(query, variables);
      expect(status, JSON.stringify(variables)).toBe(200);
      expect(body.errors?.[0]?.message, JSON.stringify(variables)).toMatch(message);
      expect(body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
    const fractional = await t.graphql(
      `mutation { placeOrder(input: { customerId: "${customerId}", currency: "GBP", lines: [{ description: "x", unitAmount: 1.5 }] }) { operation { id } } }`,
    );
    expect(fractional.status).toBe(400);
    const logs = await Promise.all(sandboxes.all.map((s) => requestLog(s.url)));
    const writes = logs
      .flatMap((l) => Object.keys(l.byOperation))
      .filter((op) => !/list|get|search|retrieve|read/i.test(op));
    expect(writes).toEqual([]);
  });

  it('a repeated idempotency key returns the first result; the same key with other input is refused', async () => {
    const email = unique('idem');
    const mutation = `mutation($input: CreateCustomerInput!, $key: String) { createCustomer(input: $input, idempotencyKey: $key) { operation { id state } customer { id } } }`;
    const input = { firstName: 'Ivo', lastName: 'Dunn', email };
    const first = await t.graphql<any>(mutation, { input, key: `k-${email}` });
    const second = await t.graphql<any>(mutation, { input, key: `k-${email}` });
    expect(second.body.data.createCustomer).toEqual(first.body.data.createCustomer);
    const header = await t.graphql<any>(
      `mutation($input: CreateCustomerInput!) { createCustomer(input: $input) { operation { id } } }`,
      { input },
      { 'idempotency-key': `k-${email}` },
    );
    expect(header.body.data.createCustomer.operation.id).toBe(first.body.data.createCustomer.operation.id);
    const other = await t.graphql<any>(mutation, {
      input: { ...input, lastName: 'Dunne' },
      key: `k-${email}`,
    });
    expect(other.body.errors?.[0]?.extensions?.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await vendors.stripeCustomersByEmail(email)).toHaveLength(1);
  });

  it('the same key sent 50 times at once creates one set of records', async () => {
    const email = unique('burst');
    const mutation = `mutation($input: CreateCustomerInput!, $key: String) { createCustomer(input: $input, idempotencyKey: $key) { operation { id } } }`;
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        t.graphql<any>(mutation, {
          input: { firstName: 'Zed', lastName: 'Burst', email },
          key: `burst-${email}`,
        }),
      ),
    );
    const ids = new Set(results.map((r) => r.body.data?.createCustomer.operation.id));
    expect(results.flatMap((r) => r.body.errors ?? []).map((e: any) => e.message)).toEqual([]);
    expect(ids.size).toBe(1);
    const [op] = [...ids];
    await t.hub.engine.run(
      ws,
      Buffer.from(op as string, 'base64url')
        .toString()
        .split(':')[1]!,
    );
    expect(await vendors.hubspotContactsByEmail(email)).toHaveLength(1);
    expect(await vendors.stripeCustomersByEmail(email)).toHaveLength(1);
    expect(await vendors.accountingContactsByEmail(email)).toHaveLength(1);
    expect((await t.hub.links.findCustomersByEmail(ws, [email])).get(email)).toHaveLength(1);
  });

  it('a refusal the vendor will not change its mind about undoes the steps already done', async () => {
    const seed = business.customers.find((c) => c.mess.length === 0 && c.lifecycleStage === 'customer')!;
    await injectFault(sandboxes.accounting.url, {
      status: 400,
      ...booksFault(sandboxes.accounting.system, 'createInvoice'),
      times: 1,
    });
    const { body } = await t.graphql<any>(
      `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { ${OPERATION} order { id status } invoice { id } } }`,
      {
        input: {
          customerId: await customerIdFor(seed.email),
          currency: 'GBP',
          lines: [{ description: 'Refused', unitAmount: 999 }],
        },
      },
    );
    const payload = body.data.placeOrder;
    expect(payload.operation.state).toBe('FAILED');
    expect(payload.operation.error).toMatch(/accounting.createInvoice failed/);
    expect(payload.operation.steps.map((s: any) => [s.name, s.state])).toEqual([
      ['payments.createOrder', 'COMPENSATED'],
      ['accounting.createInvoice', 'FAILED'],
      ['payments.linkInvoice', 'SKIPPED'],
    ]);
    expect(payload.order.status).toBe('CANCELED');
    expect(payload.invoice).toBeNull();
  });
});
