import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxHub, type SandboxHub } from '../harness/sandbox-hub.ts';
import { clearFaults, injectFault, sandboxAction } from '../harness/sandbox-admin.ts';
import { waitFor } from '../harness/wait.ts';
import { localDayOf, wallClockToInstant } from '../src/availability/slots.ts';
import { sourceStateContext } from '../src/store/secrets-at-rest.ts';
import { toGlobalId } from '../src/graph/ids.ts';
import { vendorApis } from './support/vendors.ts';
import type { DomainEvent } from '../src/events/types.ts';

// The website's booking journey over real sockets on the sandbox hub: an enquiry from a browser's
// publishable key (lead and note in the CRM, a mismatch as a sync issue, the honeypot, bad input,
// the per-address limit), a slot held across the daylight-saving change, the deposit paid on the
// Stripe sandbox's checkout page and the payment loop through Stripe's signed webhooks (replayed:
// the booking is confirmed, the deposit invoiced and paid, the CRM contact moved on, once each), an
// abandoned link that expires and lets its slot go, and requestDeposit's refusals.

const ZONE = 'Europe/London';
const SHOP = 'https://shop.example.com';
const DAY = 86_400_000;
let t: SandboxHub;
let publishable: string;

const ENQUIRE = `mutation($input: EnquiryInput!) { submitEnquiry(input: $input) {
  reference heldUntil deposit { url expiresAt status amount { amount currency formatted } } } }`;
const LINKS = `query($status: [DepositLinkStatus!]) { depositLinks(status: $status, first: 200) {
  url status expiresAt paidAt amount { amount } links { system externalId }
  booking { id status start } operation { kind state steps { name state } } } }`;
const AVAILABILITY = `query($service: String!, $from: DateTime!, $to: DateTime!) {
  availability(service: $service, from: $from, to: $to) { start end } }`;

/** A request from the shop's web page: its publishable key and its Origin. */
async function fromShop(query: string, variables: Record<string, unknown> = {}, hub = t, key = publishable) {
  const res = await fetch(`${hub.app.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, origin: SHOP },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: (await res.json()) as { data?: any; errors?: any[] } };
}

async function makePublishable(hub: SandboxHub): Promise<string> {
  const made = await hub.gql(
    `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }`,
    {
      input: {
        name: 'booking site',
        kind: 'PUBLISHABLE',
        scopes: ['AVAILABILITY_READ', 'ENQUIRIES_WRITE'],
        allowedOrigins: [SHOP],
      },
    },
  );
  expect(made.errors).toBeUndefined();
  return made.data.createApiKey.secret;
}

/** Local wall-clock `HH:MM` in London on the London day holding `day`, as an instant. */
const at = (day: Date, hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return new Date(wallClockToInstant(localDayOf(day, ZONE), h * 60 + m, ZONE));
};

/** A weekday past the seed's bookings (they reach 90 days ahead), so its calendar starts empty. */
function quietDay(daysAhead: number, weekday = 3): Date {
  let day = new Date(Date.now() + (100 + daysAhead) * DAY);
  day = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), 12));
  while (day.getUTCDay() !== weekday) day = new Date(day.getTime() + DAY);
  return day;
}

/** The next last-Sunday-of-March at least 95 days away: Europe/London moves to BST at 01:00 UTC. */
function springForward(): Date {
  const now = new Date();
  for (let year = now.getUTCFullYear(); ; year++) {
    const lastOfMarch = new Date(Date.UTC(year, 2, 31, 12));
    const sunday = new Date(lastOfMarch.getTime() - lastOfMarch.getUTCDay() * DAY);
    if (sunday.getTime() - now.getTime() > 95 * DAY) return sunday;
  }
}

let counter = 0;
const person = (label: string) => {
  counter += 1;
  return {
    firstName: 'Robin',
    lastName: `Journey${label}`,
    email: `robin.${label.toLowerCase()}.${Date.now()}.${counter}@example.org`,
    phone: '+44 7700 900555',
    message: `I would like to book (${label}).`,
  };
};

const crm = () => t.app.hub.defaultWorkspace.sources.crm;

/** The notes on a CRM contact, as the HubSpot sandbox's API lists them (note bodies). */
const notesOf = (contactId: string) => vendorApis(t.sandboxes).hubspotNotes(contactId);
const contactByEmail = async (email: string) => {
  const [found] = await crm().findContactsByEmail([email]);
  if (found instanceof Error) throw found;
  return found?.[0] ?? null;
};

/** Every operation of the workspace, newest first (operator view). */
async function operations(kind?: string) {
  const { data, errors } = await t.gql(
    `{ operations(first: 500) { edges { node { id kind state steps { name state } } } } }`,
  );
  expect(errors).toBeUndefined();
  const all = data.operations.edges.map((e: any) => e.node) as Array<{
    id: string;
    kind: string;
    state: string;
  }>;
  return kind ? all.filter((o) => o.kind === kind) : all;
}

/** The signing secret the hub learnt from Stripe, read from the store (sealed there). */
async function stripeSecret(): Promise<string> {
  const row = await t.app.hub.store.db
    .selectFrom('source_state')
    .select(['workspace_id', 'value'])
    .where('system', '=', 'stripe')
    .where('key', '=', 'webhook_secret')
    .executeTakeFirstOrThrow();
  return t.app.hub.store.secrets.open(
    row.value,
    sourceStateContext(row.workspace_id, 'stripe', 'webhook_secret'),
  );
}

/** Delivers a Stripe event to the hub as Stripe does: `Stripe-Signature` t/v1 over the raw body. */
async function deliverStripe(event: Record<string, unknown>): Promise<number> {
  const body = JSON.stringify(event);
  const time = Math.floor(Date.now() / 1000);
  const v1 = createHmac('sha256', await stripeSecret())
    .update(`${time}.${body}`)
    .digest('hex');
  const res = await fetch(`${t.app.url}/webhooks/stripe`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'stripe-signature': `t=${time},v1=${v1}` },
    body,
  });
  await res.arrayBuffer();
  return res.status;
}

/** Pays a checkout session on the Stripe sandbox's own page, as the customer's browser would. */
async function payOnCheckoutPage(url: string): Promise<Response> {
  return fetch(`${url}/pay`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: '',
  });
}

beforeAll(async () => {
  t = await startSandboxHub({ SWITCHBOARD_ENQUIRY_RATE_LIMIT: '1000/10min' });
  publishable = await makePublishable(t);
}, 60_000);
afterAll(() => t?.close());

describe('submitEnquiry from a website', () => {
  it('makes the CRM contact by email as a lead with the message as a note, and answers only a reference', async () => {
    const visitor = person('New');
    const before = await operations('submitEnquiry');
    const { status, body } = await fromShop(ENQUIRE, { input: { ...visitor, website: '' } });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const answer = body.data.submitEnquiry;
    expect(answer.reference).toMatch(/^ENQ-[0-9A-Z]{8}$/);
    expect(answer).toEqual({ reference: answer.reference, heldUntil: null, deposit: null });
    // Nothing about the person comes back to the page.
    expect(JSON.stringify(body)).not.toContain(visitor.email);

    const contact = await waitFor(
      async () => (await contactByEmail(visitor.email)) ?? undefined,
      () => 'the CRM contact',
    );
    expect(contact).toMatchObject({ firstName: 'Robin', lastName: visitor.lastName, lifecycleStage: 'lead' });
    const notes = await notesOf(contact.externalId);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain(answer.reference);
    expect(notes[0]).toContain(visitor.message);
    expect((await operations('submitEnquiry')).length).toBe(before.length + 1);
  });

  it('does not write over a contact whose details differ: the difference becomes a sync issue', async () => {
    const visitor = person('Known');
    const first = await fromShop(ENQUIRE, { input: visitor });
    expect(first.body.errors).toBeUndefined();
    const contact = await waitFor(
      async () => (await contactByEmail(visitor.email)) ?? undefined,
      () => 'the CRM contact',
    );
    const again = await fromShop(ENQUIRE, {
      input: { ...visitor, lastName: 'Otherwise', message: 'Second thoughts' },
    });
    expect(again.body.errors).toBeUndefined();
    const after = await contactByEmail(visitor.email);
    expect(after?.externalId).toBe(contact.externalId);
    expect(after?.lastName).toBe(visitor.lastName);
    expect(await notesOf(contact.externalId)).toHaveLength(2);
    const { data } = await t.gql(
      `{ syncIssues(first: 50, kinds: [ENQUIRY_MISMATCH]) { edges { node { kind field message } } } }`,
    );
    const issue = data.syncIssues.edges
      .map((e: any) => e.node)
      .find((i: any) => i.message.includes(again.body.data.submitEnquiry.reference));
    expect(issue).toMatchObject({ kind: 'ENQUIRY_MISMATCH', field: 'lastName' });
    expect(issue.message).toContain('"Otherwise"');
  });

  it('accepts a filled honeypot silently and stores nothing', async () => {
    const visitor = person('Bot');
    const before = await operations();
    const { status, body } = await fromShop(ENQUIRE, {
      input: { ...visitor, website: 'http://spam.example' },
    });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data.submitEnquiry.reference).toMatch(/^ENQ-/);
    expect((await operations()).length).toBe(before.length);
    expect(await contactByEmail(visitor.email)).toBeNull();
  });

  it('refuses bad input with what to fix, before anything is stored', async () => {
    const visitor = person('Bad');
    const past = new Date(Date.now() - DAY).toISOString();
    const sunday = at(quietDay(0, 0), '10:00').toISOString();
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ email: 'not-an-email' }, 'input.email', 'is not an email address'],
      [{ message: 'x'.repeat(5_001) }, 'input.message', 'at most 5,000'],
      [{ firstName: '  ' }, 'input.firstName', 'is empty'],
      [{ service: 'HAIRCUT' }, 'input.service', 'SPORTS-60'],
      [{ preferredStart: at(quietDay(1), '10:00').toISOString() }, 'input.service', 'needs "input.service"'],
      [{ service: 'SPORTS-60', preferredStart: past }, 'input.preferredStart', 'is in the past'],
      [{ service: 'SPORTS-60', preferredStart: sunday }, 'input.preferredStart', 'inside opening hours'],
      [
        { service: 'SPORTS-60', preferredStart: at(quietDay(1), '10:07').toISOString() },
        'input.preferredStart',
        'every 15 minutes',
      ],
    ];
    const before = await operations();
    for (const [change, argument, says] of cases) {
      const { body } = await fromShop(ENQUIRE, { input: { ...visitor, ...change } });
      expect(body.errors?.[0]?.extensions, JSON.stringify(change).slice(0, 80)).toMatchObject({
        code: 'BAD_USER_INPUT',
        argument,
      });
      expect(body.errors?.[0]?.message).toContain(says);
    }
    expect((await operations()).length).toBe(before.length);
  });

  it('limits enquiries per visitor address, apart from browsing', async () => {
    const small = await startSandboxHub({ SWITCHBOARD_ENQUIRY_RATE_LIMIT: '2/10min' });
    try {
      const key = await makePublishable(small);
      for (let i = 0; i < 2; i++) {
        const ok = await fromShop(ENQUIRE, { input: person(`Rate${i}`) }, small, key);
        expect(ok.body.errors).toBeUndefined();
      }
      const refused = await fromShop(ENQUIRE, { input: person('Rate3') }, small, key);
      expect(refused.status).toBe(429);
      expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED' });
      expect(refused.body.errors?.[0]?.extensions.retryAfterSeconds).toBeGreaterThan(0);
      expect(refused.body.errors?.[0]?.message).toContain(
        'each address sending enquiries may make 2 per 10 minutes',
      );
      // The same visitor can still look at free slots.
      const browsing = await fromShop(`{ services { code } }`, {}, small, key);
      expect(browsing.body.errors).toBeUndefined();
    } finally {
      await small.close();
    }
  }, 60_000);
});

describe('a held slot and its deposit', () => {
  it('holds a slot across the change to summer time, and pays its deposit on the checkout page: booking confirmed, deposit invoiced and paid, CRM moved on, once each however often Stripe reports it', async () => {
    // Monday after the clocks go forward: 09:00 in London is 08:00 UTC.
    const monday = new Date(springForward().getTime() + DAY);
    const friday = new Date(springForward().getTime() - 2 * DAY);
    const slots = await fromShop(AVAILABILITY, {
      service: 'SPORTS-60',
      from: at(friday, '00:00').toISOString(),
      to: at(new Date(monday.getTime() + DAY), '00:00').toISOString(),
    });
    expect(slots.body.errors).toBeUndefined();
    const starts = slots.body.data.availability.map((s: any) => s.start as string);
    expect(starts[0]).toBe(at(friday, '09:00').toISOString());
    expect(at(friday, '09:00').toISOString()).toMatch(/T09:00:00/);
    const mondayNine = at(monday, '09:00').toISOString();
    expect(mondayNine).toMatch(/T08:00:00/);
    expect(starts).toContain(mondayNine);
    expect(starts.some((s: string) => s.startsWith(springForward().toISOString().slice(0, 10)))).toBe(false);

    const visitor = person('Deposit');
    // What subscribers and the business's own tools (outbound webhooks) are told along the way.
    const published: DomainEvent[] = [];
    const stop = t.app.hub.bus.listen('default', (event) => void published.push(event));
    const { body } = await fromShop(ENQUIRE, {
      input: { ...visitor, service: 'SPORTS-60', preferredStart: mondayNine },
    });
    expect(body.errors).toBeUndefined();
    const answer = body.data.submitEnquiry;
    expect(answer.deposit).toMatchObject({ status: 'OPEN', amount: { amount: 2000, currency: 'GBP' } });
    expect(answer.heldUntil).toBe(answer.deposit.expiresAt);
    expect(new Date(answer.heldUntil).getTime()).toBeGreaterThan(Date.now() + 30 * 60_000);
    expect(answer.deposit.url.startsWith(t.sandboxes.payments.url)).toBe(true);

    // The slot is pencilled in: no longer offered, and a second visitor racing for it is refused.
    const [link] = (await t.gql(LINKS, { status: ['OPEN'] })).data.depositLinks.filter(
      (l: any) => l.url === answer.deposit.url,
    );
    expect(link.booking).toMatchObject({ status: 'TENTATIVE', start: mondayNine });
    const after = await fromShop(AVAILABILITY, {
      service: 'SPORTS-60',
      from: at(monday, '00:00').toISOString(),
      to: at(new Date(monday.getTime() + DAY), '00:00').toISOString(),
    });
    expect(after.body.data.availability.map((s: any) => s.start)).not.toContain(mondayNine);
    const second = await fromShop(ENQUIRE, {
      input: { ...person('Late'), service: 'SPORTS-60', preferredStart: mondayNine },
    });
    expect(second.body.errors?.[0]?.extensions.code).toBe('SLOT_TAKEN');

    // The customer pays on Stripe's page; Stripe's signed webhooks do the rest.
    const paid = await payOnCheckoutPage(answer.deposit.url);
    expect(paid.status).toBe(303);
    expect(paid.headers.get('location')).toContain(`reference=${answer.reference}`);
    const settled = await waitFor(
      async () => {
        const links = (await t.gql(LINKS, { status: ['PAID'] })).data.depositLinks;
        const found = links.find((l: any) => l.url === answer.deposit.url);
        return found?.operation?.state === 'COMPLETED' ? found : undefined;
      },
      () => 'the deposit paid and its operation completed',
    );
    expect(settled.booking.status).toBe('CONFIRMED');
    expect(settled.paidAt).not.toBeNull();
    expect(settled.operation.steps.map((s: any) => s.name)).toEqual([
      'calendar.confirmBooking',
      'accounting.createContact',
      'accounting.invoiceDeposit',
      'accounting.recordDeposit',
      'crm.moveToCustomer',
    ]);
    const contact = await contactByEmail(visitor.email);
    expect(contact?.lifecycleStage).toBe('customer');
    const invoices = async () => {
      const { data, errors } = await t.gql(
        `query($email: String!) { customers(first: 5, search: $email) { edges { node { email
          invoices(first: 10) { edges { node { reference status total { amount } amountDue { amount } } } } } } } }`,
        { email: visitor.email },
      );
      expect(errors).toBeUndefined();
      return data.customers.edges.flatMap((e: any) => e.node.invoices.edges.map((i: any) => i.node));
    };
    expect(await invoices()).toEqual([
      { reference: answer.reference, status: 'PAID', total: { amount: 2000 }, amountDue: { amount: 0 } },
    ]);
    const told = await waitFor(
      () => {
        const seen = (type: string, test: (e: DomainEvent) => boolean) =>
          published.some((e) => e.type === type && test(e));
        const all = [
          seen('CUSTOMER_CHANGED', (e) => e.person?.email === visitor.email),
          seen(
            'BOOKING_CHANGED',
            (e) => e.booking?.status === 'TENTATIVE' && e.booking.start.toISOString() === mondayNine,
          ),
          seen(
            'BOOKING_CHANGED',
            (e) => e.booking?.status === 'CONFIRMED' && e.booking.start.toISOString() === mondayNine,
          ),
          seen('PAYMENT_RECEIVED', (e) => e.order?.metadata.reference === answer.reference),
          seen(
            'INVOICE_CHANGED',
            (e) => e.invoice?.status === 'PAID' && e.invoice.reference === answer.reference,
          ),
        ];
        return all.every(Boolean) ? all : undefined;
      },
      () => `the journey's events (saw ${published.map((e) => e.type).join(', ')})`,
    );
    expect(told).toHaveLength(5);
    stop();

    // Stripe delivers again: a retry of the same event, and the same news under other event ids.
    const sessionId = settled.links[0].externalId as string;
    const session = { id: sessionId, object: 'checkout.session' };
    const created = Math.floor(Date.now() / 1000);
    const paidOps = (await operations('depositPaid')).length;
    const replays = [
      ['checkout.session.completed', `evt_replay_1_${sessionId}`],
      ['checkout.session.completed', `evt_replay_1_${sessionId}`],
      ['checkout.session.completed', `evt_replay_2_${sessionId}`],
      ['checkout.session.async_payment_succeeded', `evt_replay_3_${sessionId}`],
    ] as const;
    for (const [type, id] of replays) {
      expect(await deliverStripe({ id, object: 'event', type, created, data: { object: session } })).toBe(
        200,
      );
    }
    await waitFor(
      async () => {
        const rows = await t.app.hub.store.db
          .selectFrom('webhook_inbox')
          .select(['state'])
          .where(
            'event_id',
            'in',
            replays.map(([, id]) => id),
          )
          .execute();
        return rows.length === 3 && rows.every((r) => r.state === 'PROCESSED') ? true : undefined;
      },
      () => 'the replayed events processed',
    );
    expect((await operations('depositPaid')).length).toBe(paidOps);
    expect(await invoices()).toHaveLength(1);
    expect(await notesOf(contact!.externalId)).toHaveLength(1);
    expect((await contactByEmail(visitor.email))?.lifecycleStage).toBe('customer');

    // The booking is paid: another deposit for it is refused.
    const again = await t.gql(`mutation($id: ID!) { requestDeposit(bookingId: $id) { url } }`, {
      id: settled.booking.id,
    });
    expect(again.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    expect(again.errors?.[0]?.message).toContain('already paid');
  }, 90_000);

  it('an abandoned link expires: it is listed as expired and its held slot is free again', async () => {
    const day = quietDay(14);
    const ten = at(day, '10:00').toISOString();
    const { body } = await fromShop(ENQUIRE, {
      input: { ...person('Gone'), service: 'PHYSIO-FU', preferredStart: ten },
    });
    expect(body.errors).toBeUndefined();
    const url = body.data.submitEnquiry.deposit.url as string;
    const sessionId = url.split('/').pop()!;
    await sandboxAction(`${t.sandboxes.payments.url}/__sandbox/actions/expire-checkout-session`, {
      session: sessionId,
    });
    const expired = await waitFor(
      async () => {
        const links = (await t.gql(LINKS, { status: ['EXPIRED'] })).data.depositLinks;
        const found = links.find((l: any) => l.url === url);
        return found?.booking?.status === 'CANCELLED' ? found : undefined;
      },
      () => 'the link expired and the hold let go',
    );
    expect(expired.operation).toMatchObject({ kind: 'releaseHold', state: 'COMPLETED' });
    const free = await fromShop(AVAILABILITY, {
      service: 'PHYSIO-FU',
      from: at(day, '00:00').toISOString(),
      to: at(new Date(day.getTime() + DAY), '00:00').toISOString(),
    });
    expect(free.body.data.availability.map((s: any) => s.start)).toContain(ten);
  }, 60_000);
});

describe('when a webhook or a link goes missing', () => {
  const stripeUrl = () => t.sandboxes.payments.url;
  const holdWebhooks = (on: boolean) =>
    sandboxAction(`${stripeUrl()}/__sandbox/webhooks/settings`, { outOfOrder: on });
  const sweep = (now?: Date) => t.app.hub.depositSettlement.sweep(t.app.hub.defaultWorkspace, now);
  const row = (url: string) =>
    t.app.hub.store.db
      .selectFrom('deposit_links')
      .selectAll()
      .where('url', '=', url)
      .executeTakeFirstOrThrow();

  it('a payment whose webhook never came is found by the sweep and settled once, the late webhook changing nothing', async () => {
    const day = quietDay(35);
    const start = at(day, '11:00').toISOString();
    const { body } = await fromShop(ENQUIRE, {
      input: { ...person('Missed'), service: 'PHYSIO-FU', preferredStart: start },
    });
    expect(body.errors).toBeUndefined();
    const url = body.data.submitEnquiry.deposit.url as string;
    await holdWebhooks(true);
    try {
      expect((await payOnCheckoutPage(url)).status).toBe(303);
      // Stripe has it paid; the hub has heard nothing.
      expect((await row(url)).status).toBe('OPEN');
      expect(await sweep()).toMatchObject({ settled: 1 });
      const settled = await waitFor(
        async () => {
          const links = (await t.gql(LINKS, { status: ['PAID'] })).data.depositLinks;
          const found = links.find((l: any) => l.url === url);
          return found?.operation?.state === 'COMPLETED' ? found : undefined;
        },
        () => 'the swept deposit settled',
      );
      expect(settled.booking.status).toBe('CONFIRMED');
      const paidOps = (await operations('depositPaid')).length;
      expect(await sweep()).toMatchObject({ checked: 0 });
      await sandboxAction(`${stripeUrl()}/__sandbox/webhooks/flush`, {});
      await holdWebhooks(false);
      await new Promise((r) => setTimeout(r, 1_000));
      expect((await operations('depositPaid')).length).toBe(paidOps);
    } finally {
      await holdWebhooks(false);
    }
  }, 60_000);

  it('a hold whose link Stripe could not make is let go when the link would have expired, and no link is made after', async () => {
    const day = quietDay(42);
    const start = at(day, '12:00').toISOString();
    await injectFault(stripeUrl(), { status: 503, pathPrefix: '/v1/checkout/sessions' });
    let answer: any;
    try {
      const { body } = await fromShop(ENQUIRE, {
        input: { ...person('Unmade'), service: 'PHYSIO-FU', preferredStart: start },
      });
      expect(body.errors).toBeUndefined();
      answer = body.data.submitEnquiry;
      expect(answer.deposit).toBeNull();
      expect(answer.heldUntil).not.toBeNull();
    } finally {
      await clearFaults(stripeUrl());
    }
    const pending = await t.app.hub.store.db
      .selectFrom('deposit_links')
      .selectAll()
      .where('reference', '=', answer.reference)
      .executeTakeFirstOrThrow();
    expect(pending).toMatchObject({ status: 'PENDING', url: null });
    // Not yet: the link would still be open.
    expect(await sweep()).toMatchObject({ settled: 0 });
    expect(await sweep(new Date(Date.now() + 36 * 60_000))).toMatchObject({ settled: 1 });
    const released = await waitFor(
      async () => {
        const rows = await t.app.hub.store.db
          .selectFrom('operations')
          .select(['state'])
          .where('kind', '=', 'releaseHold')
          .where('client_key', '=', `deposit-expired:${pending.id}`)
          .execute();
        return rows[0]?.state === 'COMPLETED' ? rows[0] : undefined;
      },
      () => 'the hold released',
    );
    expect(released.state).toBe('COMPLETED');
    const free = await fromShop(AVAILABILITY, {
      service: 'PHYSIO-FU',
      from: at(day, '00:00').toISOString(),
      to: at(new Date(day.getTime() + DAY), '00:00').toISOString(),
    });
    expect(free.body.data.availability.map((s: any) => s.start)).toContain(start);
    // The enquiry's own retry of the link now finds the hold gone and makes none.
    const enquiry = await waitFor(
      async () => {
        const op = await t.app.hub.store.db
          .selectFrom('operations')
          .select(['id', 'state', 'input'])
          .where('id', '=', pending.operation_id)
          .executeTakeFirstOrThrow();
        return op.state === 'COMPLETED' ? op : undefined;
      },
      () => 'the enquiry operation finished',
      60_000,
    );
    expect(enquiry.state).toBe('COMPLETED');
    const after = await t.app.hub.store.db
      .selectFrom('deposit_links')
      .selectAll()
      .where('id', '=', pending.id)
      .executeTakeFirstOrThrow();
    expect(after).toMatchObject({ status: 'EXPIRED', url: null, external_id: null });
  }, 90_000);
});

describe('requestDeposit', () => {
  /** A booking the hub makes for a known customer, on a quiet day, for `service`. */
  async function booking(serviceCode: string, hhmm: string, daysAhead: number) {
    const { data } = await t.gql(`{ customers(first: 1) { edges { node { id } } } }`);
    const start = at(quietDay(daysAhead, 4), hhmm);
    const made = await t.gql(
      `mutation($input: CreateBookingInput!) { createBooking(input: $input) { operation { state } booking { id } } }`,
      {
        input: {
          customerId: data.customers.edges[0].node.id,
          start: start.toISOString(),
          end: new Date(start.getTime() + 30 * 60_000).toISOString(),
          service: 'Physiotherapy follow-up (30 min)',
          serviceCode,
        },
      },
    );
    expect(made.errors).toBeUndefined();
    return made.data.createBooking.booking.id as string;
  }
  const REQUEST = `mutation($id: ID!, $amount: MoneyInput) { requestDeposit(bookingId: $id, amount: $amount) {
    url expiresAt status amount { amount currency } } }`;

  it('makes a link for the service’s deposit, returns the same link while it is open, and refuses what could be paid twice', async () => {
    const id = await booking('PHYSIO-FU', '11:00', 21);
    const first = await t.gql(REQUEST, { id });
    expect(first.errors).toBeUndefined();
    expect(first.data.requestDeposit).toMatchObject({
      status: 'OPEN',
      amount: { amount: 2000, currency: 'GBP' },
    });
    const same = await t.gql(REQUEST, { id, amount: { amount: 2000, currency: 'GBP' } });
    expect(same.data.requestDeposit.url).toBe(first.data.requestDeposit.url);
    const other = await t.gql(REQUEST, { id, amount: { amount: 1000, currency: 'GBP' } });
    expect(other.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    expect(other.errors?.[0]?.message).toContain('open deposit link');
  });

  it('refuses a deposit above the booking’s price, a cancelled or unknown booking, and a publishable key', async () => {
    const id = await booking('PHYSIO-FU', '14:00', 28);
    const above = await t.gql(REQUEST, { id, amount: { amount: 4001, currency: 'GBP' } });
    expect(above.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'amount' });
    expect(above.errors?.[0]?.message).toContain('above the booking’s price'.replace('’', "'"));
    const unknown = await t.gql(REQUEST, { id: toGlobalId('Booking', 'google-calendar:nosuchevent1') });
    expect(unknown.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    const shop = await fromShop(REQUEST, { id });
    expect(shop.body.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
  });
});
