import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { generateBusiness, upcomingBookings, type SeedBooking } from '../src/sandbox/seed/business.ts';
import { sandboxAction } from '../harness/sandbox-admin.ts';
import { startSandboxHub, type SandboxHub } from '../harness/sandbox-hub.ts';
import {
  startWebhookReceiver,
  type ReceivedWebhook,
  type WebhookReceiver,
} from '../harness/webhook-receiver.ts';
import { waitFor } from '../harness/wait.ts';
import { keyWith } from './support/security.ts';

/**
 * Outbound webhooks end to end: the hub as `npm start` runs it in sandbox mode, a vendor change
 * (a booking moved in the calendar sandbox, which sends Google's push notification), and a
 * receiver on a real socket that verifies every signature with the standardwebhooks package.
 * The retry schedule is scaled down (OUTBOUND_RETRY_BASE_MS) so a day of retries takes a moment.
 */
const business = generateBusiness();

const ENDPOINT = `endpoint { id url events description enabled previousSecretExpiresAt }`;
const DELIVERY = `id eventId eventType state attempts lastStatus lastError nextAttemptAt deliveredAt payload`;

/** A sandbox hub with `env`, a receiver, and the helpers every test here uses. */
function useHub(env: Record<string, string>) {
  const t = {} as {
    hub: SandboxHub;
    receiver: WebhookReceiver;
    bookings: SeedBooking[];
    create(path: string, events?: string[]): Promise<{ secret: string; endpoint: { id: string } }>;
    deliveries(endpointId: string, states?: string[]): Promise<any[]>;
    /** Moves a booking by a whole number of hours (distinct each time), as a receptionist would. */
    move(booking: SeedBooking): Promise<string>;
    receivedAt(path: string): ReceivedWebhook[];
  };
  let moves = 0;
  beforeAll(async () => {
    t.receiver = await startWebhookReceiver();
    t.hub = await startSandboxHub(env);
    // Two customers' bookings, both held in the CRM, so their events carry a customer.
    const all = upcomingBookings(business, { heldBy: 'hubspot' });
    const first = all[0]!;
    t.bookings = [first, all.find((b) => b.customerKey !== first.customerKey)!];
  }, 60_000);
  afterAll(async () => {
    await t.hub?.close();
    await t.receiver?.close();
  });
  t.create = async (path, events = ['BOOKING_CHANGED']) => {
    const { data, errors } = await t.hub.gql(
      `mutation($input: WebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret ${ENDPOINT} } }`,
      { input: { url: `${t.receiver.url}${path}`, events, description: `test ${path}` } },
    );
    expect(errors).toBeUndefined();
    return data.createWebhookEndpoint;
  };
  t.deliveries = async (endpointId, states) => {
    const { data, errors } = await t.hub.gql(
      `query($e: ID, $s: [WebhookDeliveryState!]) { webhookDeliveries(endpointId: $e, states: $s, first: 500) { edges { node { ${DELIVERY} } } } }`,
      { e: endpointId, s: states },
    );
    expect(errors).toBeUndefined();
    return (data.webhookDeliveries.edges as Array<{ node: any }>).map((e) => e.node);
  };
  t.move = async (booking) => {
    moves++;
    const start = new Date(booking.start.getTime() + moves * 3_600_000);
    await sandboxAction(`${t.hub.sandboxes.calendar.url}/__sandbox/actions/move-booking`, {
      eventId: booking.ids.googleEventId,
      start: start.toISOString(),
      end: new Date(start.getTime() + (booking.end.getTime() - booking.start.getTime())).toISOString(),
    });
    return start.toISOString();
  };
  t.receivedAt = (path) => t.receiver.received.filter((r) => r.path === path);
  return t;
}

describe('outbound webhooks', () => {
  // Retries every 20 to 200 ms, a hundred times: an endpoint down for a while (20 s and more) is not
  // given up on (the describe below gives up after 3 attempts).
  const t = useHub({
    OUTBOUND_RETRY_BASE_MS: '20',
    OUTBOUND_RETRY_MAX_MS: '200',
    OUTBOUND_MAX_ATTEMPTS: '100',
    OUTBOUND_POLL_MS: '20',
  });

  it('signs each delivery so the receiver verifies it with the standardwebhooks package', async () => {
    const { secret, endpoint } = await t.create('/signed');
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]{40,}$/);
    t.receiver.verifyWith('/signed', secret);
    const start = await t.move(t.bookings[0]!);
    const got = await waitFor(
      () => t.receivedAt('/signed').find((r) => r.body.data.booking?.start === start),
      () => `the move to ${start} at /signed (got ${t.receivedAt('/signed').length})`,
    );
    expect(got.type).toBe('BOOKING_CHANGED');
    expect(got.id).toMatch(/^msg_/);
    expect(got.body.data.customerId).toEqual(expect.any(String));
    expect(got.body.data.booking.id).toEqual(expect.any(String));
    expect(t.receiver.unverified).toBe(0);
    const [stored] = await t.deliveries(endpoint.id, ['DELIVERED']);
    expect(stored).toMatchObject({ id: got.id, state: 'DELIVERED', attempts: 1, lastStatus: 204 });
    // What the receiver verified is what the hub stored and signed.
    expect(JSON.parse(stored.payload)).toEqual(got.body);
  });

  it('delivers everything to an endpoint that fails and recovers: in order per customer, none twice', async () => {
    const { secret, endpoint } = await t.create('/flaky');
    t.receiver.verifyWith('/flaky', secret);
    t.receiver.answer('/flaky', 503);
    const expected: Array<{ booking: string; start: string }> = [];
    for (let round = 0; round < 3; round++) {
      for (const booking of t.bookings) {
        const start = await t.move(booking);
        expected.push({ booking: booking.ids.googleEventId, start });
        // Each move becomes its own event (the calendar's incremental sync would merge two quick ones).
        await waitFor(
          async () => ((await t.deliveries(endpoint.id)).length >= expected.length ? true : undefined),
          () => `${expected.length} deliveries stored for /flaky`,
          10_000,
        );
      }
    }
    // Failing for a while: every customer's first delivery has been tried and refused.
    await waitFor(
      () => ((t.receiver.refused.get('/flaky') ?? 0) >= 4 ? true : undefined),
      () => `503s at /flaky (${t.receiver.refused.get('/flaky') ?? 0})`,
    );
    const waiting = await t.deliveries(endpoint.id, ['PENDING']);
    expect(waiting.some((d) => d.lastStatus === 503 && d.lastError === 'HTTP 503')).toBe(true);
    t.receiver.answer('/flaky', 200);
    await waitFor(
      async () =>
        (await t.deliveries(endpoint.id, ['DELIVERED'])).length === expected.length ? true : undefined,
      () => `all ${expected.length} delivered at /flaky`,
    );
    const got = t.receivedAt('/flaky');
    expect(got).toHaveLength(expected.length);
    for (const booking of t.bookings) {
      const sent = expected.filter((e) => e.booking === booking.ids.googleEventId).map((e) => e.start);
      const arrived = got
        .filter((r) => r.body.data.booking.externalId === booking.ids.googleEventId)
        .map((r) => r.body.data.booking.start);
      expect(arrived).toEqual(sent);
    }
    expect(t.receiver.duplicates).toBe(0);
    expect(t.receiver.unverified).toBe(0);
  }, 120_000);

  it('sends nothing to a disabled endpoint, and only the types an endpoint takes', async () => {
    const off = await t.create('/off');
    const other = await t.create('/payments-only', ['PAYMENT_RECEIVED']);
    const control = await t.create('/control');
    const { data } = await t.hub.gql(
      `mutation($id: ID!) { disableWebhookEndpoint(id: $id) { id enabled } }`,
      { id: off.endpoint.id },
    );
    expect(data.disableWebhookEndpoint).toEqual({ id: off.endpoint.id, enabled: false });
    const start = await t.move(t.bookings[0]!);
    // The control endpoint got the event, so the hub has processed it: the others got nothing.
    await waitFor(
      () => t.receivedAt('/control').find((r) => r.body.data.booking?.start === start),
      () => `the move to ${start} at /control`,
    );
    expect(t.receivedAt('/off')).toHaveLength(0);
    expect(await t.deliveries(off.endpoint.id)).toHaveLength(0);
    expect(t.receivedAt('/payments-only')).toHaveLength(0);
    expect(await t.deliveries(other.endpoint.id)).toHaveLength(0);
    expect(await t.deliveries(control.endpoint.id)).toHaveLength(1);
  });

  it('rotates the secret: the new one verifies, and the old one too during the grace period', async () => {
    const { secret: old, endpoint } = await t.create('/rotated');
    const { data, errors } = await t.hub.gql(
      `mutation($id: ID!) { rotateWebhookEndpointSecret(id: $id) { secret ${ENDPOINT} } }`,
      { id: endpoint.id },
    );
    expect(errors).toBeUndefined();
    const fresh = data.rotateWebhookEndpointSecret.secret as string;
    expect(fresh).not.toBe(old);
    expect(data.rotateWebhookEndpointSecret.endpoint.previousSecretExpiresAt).toEqual(expect.any(String));
    t.receiver.verifyWith('/rotated', fresh);
    const start = await t.move(t.bookings[1]!);
    const got = await waitFor(
      () => t.receivedAt('/rotated').find((r) => r.body.data.booking?.start === start),
      () => `the move to ${start} at /rotated`,
    );
    // The stored delivery, signed again with both secrets as the hub does, verifies with either.
    const [stored] = await t.deliveries(endpoint.id, ['DELIVERED']);
    expect(stored.id).toBe(got.id);
    const at = new Date();
    const signature = [fresh, old].map((s) => new Webhook(s).sign(stored.id, at, stored.payload)).join(' ');
    const headers = {
      'webhook-id': stored.id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': signature,
    };
    expect(new Webhook(old).verify(stored.payload, headers)).toEqual(got.body);
    expect(new Webhook(fresh).verify(stored.payload, headers)).toEqual(got.body);
    expect(t.receiver.unverified).toBe(0);
  });

  it('lists, updates and audits endpoints; the secret is never shown again', async () => {
    const { endpoint } = await t.create('/listed');
    const updated = await t.hub.gql(
      `mutation($id: ID!, $input: WebhookEndpointInput!) { updateWebhookEndpoint(id: $id, input: $input) { id url events description } }`,
      {
        id: endpoint.id,
        input: {
          url: `${t.receiver.url}/listed-2`,
          events: ['INVOICE_CHANGED', 'INVOICE_CHANGED'],
          description: ' renamed ',
        },
      },
    );
    expect(updated.errors).toBeUndefined();
    expect(updated.data.updateWebhookEndpoint).toEqual({
      id: endpoint.id,
      url: `${t.receiver.url}/listed-2`,
      events: ['INVOICE_CHANGED'],
      description: 'renamed',
    });
    const list = await t.hub.gql(`{ webhookEndpoints { id url enabled } }`);
    expect(list.data.webhookEndpoints).toContainEqual({
      id: endpoint.id,
      url: `${t.receiver.url}/listed-2`,
      enabled: true,
    });
    const audit = await t.hub.gql(`{ auditLog(first: 100) { edges { node { action target outcome } } } }`);
    const actions = (audit.data?.auditLog.edges ?? []).map((e: any) => e.node);
    expect(actions).toContainEqual({
      action: 'createWebhookEndpoint',
      target: endpoint.id,
      outcome: 'SUCCEEDED',
    });
    expect(actions).toContainEqual({
      action: 'updateWebhookEndpoint',
      target: endpoint.id,
      outcome: 'SUCCEEDED',
    });
    expect(JSON.stringify(audit)).not.toMatch(/whsec_/);
    const metrics = await fetch(`${t.hub.app.url}/metrics`, {
      headers: { authorization: `Bearer ${t.hub.key}` },
    });
    const text = await metrics.text();
    expect(text).toMatch(/switchboard_outbound_deliveries_total\{outcome="delivered"\} [1-9]/);
    expect(text).toMatch(/switchboard_outbound_deliveries_total\{outcome="retried"\} [1-9]/);
    expect(text).toMatch(/switchboard_outbound_deliveries_pending \d/);
  });

  it('refuses a URL the hub must not call, saying what to fix', async () => {
    const refused = async (url: string, events: string[] = ['BOOKING_CHANGED']) => {
      const { data, errors } = await t.hub.gql(
        `mutation($input: WebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret } }`,
        { input: { url, events } },
      );
      expect(data).toBeNull();
      expect(errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      return errors![0].message as string;
    };
    expect(await refused('http://hooks.example.com/x')).toMatch(/must use https:\/\//);
    expect(await refused('https://user:pw@hooks.example.com/x')).toMatch(/must not carry credentials/);
    expect(await refused('not a url')).toMatch(/absolute https:\/\/ URL/);
    expect(await refused('https://10.1.2.3/hook')).toMatch(/not 10\.1\.2\.3, a private address/);
    expect(await refused('https://192.168.0.10/hook')).toMatch(/private address/);
    expect(await refused('https://169.254.169.254/latest/meta-data')).toMatch(/link-local address/);
    expect(await refused('https://[fd00::1]/hook')).toMatch(/unique-local address/);
    expect(await refused('https://[::ffff:10.0.0.1]/hook')).toMatch(/private address/);
    expect(await refused('https://[fe80::1]/hook')).toMatch(/link-local address/);
    expect(await refused(`${t.receiver.url}/none`, [])).toMatch(/at least one event type/);
    const unknown = await t.hub.gql(`mutation { disableWebhookEndpoint(id: "ep_nope") { id } }`);
    expect(unknown.errors?.[0]).toMatchObject({ extensions: { code: 'NOT_FOUND' } });
    expect(unknown.errors?.[0].message).toMatch(/webhookEndpoints/);
  });

  it('is for operators only', async () => {
    const { text: reader } = await keyWith(t.hub.app.security, ['customers:read', 'events:subscribe']);
    const list = await t.hub.gql(`{ webhookEndpoints { id } }`, {}, reader);
    expect(list.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const made = await t.hub.gql(
      `mutation($input: WebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret } }`,
      { input: { url: `${t.receiver.url}/sneaky`, events: ['BOOKING_CHANGED'] } },
      reader,
    );
    expect(made.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const after = await t.hub.gql(`{ webhookEndpoints { url } }`);
    expect(after.data.webhookEndpoints.map((e: any) => e.url)).not.toContain(`${t.receiver.url}/sneaky`);
  });
});

describe('outbound webhooks that give up', () => {
  const t = useHub({
    OUTBOUND_RETRY_BASE_MS: '20',
    OUTBOUND_RETRY_MAX_MS: '100',
    OUTBOUND_MAX_ATTEMPTS: '3',
    OUTBOUND_POLL_MS: '20',
  });

  it('gives up after the last attempt (a redirect is a failure), shows it FAILED, and replays it', async () => {
    const { secret, endpoint } = await t.create('/moved');
    t.receiver.verifyWith('/moved', secret);
    t.receiver.answer('/moved', 302);
    await t.move(t.bookings[1]!);
    const [failed] = await waitFor(
      async () => {
        const list = await t.deliveries(endpoint.id, ['FAILED']);
        return list.length > 0 ? list : undefined;
      },
      () => 'a FAILED delivery at /moved',
    );
    expect(failed).toMatchObject({ state: 'FAILED', attempts: 3, lastStatus: 302, nextAttemptAt: null });
    expect(failed.lastError).toMatch(/redirect.*not followed/);
    const metrics = await fetch(`${t.hub.app.url}/metrics`, {
      headers: { authorization: `Bearer ${t.hub.key}` },
    });
    const text = await metrics.text();
    expect(text).toMatch(/switchboard_outbound_deliveries_total\{outcome="failed"\} 1/);
    expect(text).toMatch(/switchboard_outbound_deliveries_failed 1/);
    expect(t.receivedAt('/moved')).toHaveLength(0);

    t.receiver.answer('/moved', 200);
    const { data, errors } = await t.hub.gql(
      `mutation($id: ID!) { replayWebhookDelivery(id: $id) { id state attempts } }`,
      { id: failed.id },
    );
    expect(errors).toBeUndefined();
    expect(data.replayWebhookDelivery).toMatchObject({ id: failed.id, state: 'PENDING', attempts: 0 });
    const got = await waitFor(
      () => t.receivedAt('/moved')[0],
      () => 'the replayed delivery at /moved',
    );
    expect(got.id).toBe(failed.id);
    const [delivered] = await t.deliveries(endpoint.id, ['DELIVERED']);
    expect(delivered.id).toBe(failed.id);

    const again = await t.hub.gql(`mutation($id: ID!) { replayWebhookDelivery(id: $id) { id } }`, {
      id: 'msg_nope',
    });
    expect(again.errors?.[0]).toMatchObject({ extensions: { code: 'NOT_FOUND' } });
  });
});
