/**
 * Deposit benchmark: the payment loop of the booking journey on the sandbox-mode hub as `npm start`
 * runs it (in this process, SQLite in memory, every vendor sandbox in process), over real sockets.
 * Each round: a website enquiry holds a slot on a quiet day and gets a deposit link (publishable key),
 * the customer pays on the Stripe sandbox's checkout page, and Stripe's sandbox sends its signed
 * webhooks to the hub. Measured: from the moment the sandbox sent `checkout.session.completed` (its
 * delivery log) to the hub's `depositPaid` operation completing (booking confirmed in the calendar,
 * the deposit invoiced and recorded as paid in the books, the CRM contact moved on to customer), read
 * from the engine's own update listener on the same clock. Target: under 1 s.
 * Run: `npm run bench -- deposits`.
 */
import { startSandboxHub } from '../harness/sandbox-hub.ts';
import { localDayOf, wallClockToInstant } from '../src/availability/slots.ts';

export const DEPOSITS_BENCH = { rounds: 30, service: 'PHYSIO-FU' } as const;

export interface DepositsResult {
  /** Webhook sent to operation completed, per round. */
  settleMs: number[];
  /** Enquiry sent to its answer with the deposit link (CRM lead and note, hold, checkout session), per round. */
  enquiryMs: number[];
  /** Steps of the depositPaid operation, as the last round ran them. */
  steps: string[];
}

const ENQUIRE = `mutation($input: EnquiryInput!) { submitEnquiry(input: $input) { reference deposit { url } } }`;
const ZONE = 'Europe/London';
const DAY = 86_400_000;

export async function benchDeposits(log: (line: string) => void): Promise<DepositsResult> {
  const hub = await startSandboxHub({ SWITCHBOARD_ENQUIRY_RATE_LIMIT: 'off' });
  try {
    const made = await hub.gql(
      `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret } }`,
      {
        input: {
          name: 'bench site',
          kind: 'PUBLISHABLE',
          scopes: ['AVAILABILITY_READ', 'ENQUIRIES_WRITE'],
          allowedOrigins: ['https://shop.example.com'],
        },
      },
    );
    const key = made.data.createApiKey.secret as string;
    const completedAt = new Map<string, number>();
    let steps: string[] = [];
    hub.app.hub.engine.onUpdate((op) => {
      if (op.kind === 'depositPaid' && op.state === 'COMPLETED' && !completedAt.has(op.id)) {
        completedAt.set(op.id, Date.now());
        steps = op.steps.map((s) => s.name);
      }
    });
    const stripe = hub.sandboxes.payments.url;
    const settleMs: number[] = [];
    const enquiryMs: number[] = [];
    // Quiet weekdays past the seed's bookings (±90 days), one slot each round.
    const firstDay = Date.now() + 120 * DAY;
    for (let i = 0; i < DEPOSITS_BENCH.rounds + 3; i++) {
      let day = new Date(firstDay + Math.floor(i / 6) * DAY);
      while (day.getUTCDay() === 0 || day.getUTCDay() === 6) day = new Date(day.getTime() + DAY);
      const start = new Date(wallClockToInstant(localDayOf(day, ZONE), 9 * 60 + (i % 6) * 60, ZONE));
      const asked = performance.now();
      const res = await fetch(`${hub.app.url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${key}`,
          origin: 'https://shop.example.com',
        },
        body: JSON.stringify({
          query: ENQUIRE,
          variables: {
            input: {
              firstName: 'Bench',
              lastName: `Customer${i}`,
              email: `bench.deposit.${i}.${Date.now()}@example.org`,
              message: 'Bench',
              service: DEPOSITS_BENCH.service,
              preferredStart: start.toISOString(),
            },
          },
        }),
      });
      const answer = (await res.json()) as { data?: any; errors?: unknown[] };
      const tookEnquiry = performance.now() - asked;
      const url = answer.data?.submitEnquiry?.deposit?.url as string | undefined;
      if (!url) throw new Error(`the enquiry made no deposit link: ${JSON.stringify(answer.errors)}`);
      const before = completedAt.size;
      const paid = await fetch(`${url}/pay`, { method: 'POST', redirect: 'manual' });
      await paid.arrayBuffer();
      const deadline = Date.now() + 15_000;
      while (completedAt.size === before) {
        if (Date.now() > deadline) throw new Error('the deposit was not settled within 15 s');
        await new Promise((r) => setTimeout(r, 5));
      }
      const done = [...completedAt.values()].at(-1)!;
      const { deliveries } = (await (await fetch(`${stripe}/__sandbox/webhooks?limit=50`)).json()) as {
        deliveries: Array<{ type: string; lastAttemptAt?: string; state: string }>;
      };
      const sent = deliveries.filter((d) => d.type === 'checkout.session.completed').at(-1)?.lastAttemptAt;
      if (!sent) throw new Error('the Stripe sandbox logged no checkout.session.completed delivery');
      // The first rounds compile and warm the code paths.
      if (i >= 3) {
        settleMs.push(done - Date.parse(sent));
        enquiryMs.push(tookEnquiry);
      }
    }
    log(`deposits: settled ${settleMs.map((t) => t.toFixed(0)).join(', ')} ms`);
    return { settleMs, enquiryMs, steps };
  } finally {
    await hub.close();
  }
}
