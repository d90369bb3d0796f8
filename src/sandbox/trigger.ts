/**
 * `npm run sandbox -- trigger <action>`, in the spirit of `stripe trigger`: the vendor sandbox does
 * a real thing (through its API or its admin actions, as a user in the vendor's UI would) and sends
 * the webhooks that thing sends, signed as the vendor signs them. Nothing here builds a payload.
 */
import { randomInt } from 'node:crypto';
import { moduleById } from '../../sources/registry.ts';
import type { RunningSandboxInfo } from './running.ts';

export interface TriggerAction {
  name: string;
  /** Module ids whose sandbox can do it (the accounting role has two). */
  systems: string[];
  description: string;
  run(sandbox: RunningSandboxInfo): Promise<string>;
}

/** A failure the CLI prints as it is (no stack): a sandbox answered what the user must fix. */
export class TriggerError extends Error {}

async function call(
  sandbox: RunningSandboxInfo,
  method: string,
  path: string,
  init: { headers?: Record<string, string>; body?: string; json?: unknown } = {},
): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(`${sandbox.url}${path}`, {
      method,
      headers: {
        accept: 'application/json',
        ...(init.json !== undefined ? { 'content-type': 'application/json' } : {}),
        ...init.headers,
      },
      body: init.json !== undefined ? JSON.stringify(init.json) : init.body,
    });
  } catch (error) {
    throw new TriggerError(
      `the ${sandbox.name} sandbox at ${sandbox.url} did not answer (${(error as Error).message}): is the hub still running?`,
    );
  }
  const text = await res.text();
  if (!res.ok)
    throw new TriggerError(`${sandbox.name} ${method} ${path} answered ${res.status}: ${text.slice(0, 500)}`);
  return text ? (JSON.parse(text) as unknown) : undefined;
}

/** Stripe's API takes forms: https://docs.stripe.com/api/payment_intents/create */
const stripe = (sandbox: RunningSandboxInfo, method: string, path: string, form?: Record<string, string>) =>
  call(sandbox, method, path, {
    headers: {
      authorization: `Bearer ${sandbox.credentials.apiKey}`,
      ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
    },
    body: form ? new URLSearchParams(form).toString() : undefined,
  });

/** A customer to act on, newest first, so a customer just made through the hub is the one picked. */
async function someStripeCustomer(sandbox: RunningSandboxInfo): Promise<{ id: string; email: string }> {
  // https://docs.stripe.com/api/customers/list
  const list = (await stripe(sandbox, 'GET', '/v1/customers?limit=1')) as {
    data: Array<{ id: string; email: string }>;
  };
  const customer = list.data[0];
  if (!customer) throw new TriggerError('the Stripe sandbox has no customers to charge');
  return customer;
}

const googleHeaders = (sandbox: RunningSandboxInfo) => ({
  authorization: `Bearer ${sandbox.credentials.accessToken}`,
});

/** The next booking that has not started, as a receptionist would pick it. */
async function nextBooking(sandbox: RunningSandboxInfo): Promise<{ id: string; start: string; end: string }> {
  const query = new URLSearchParams({
    timeMin: new Date().toISOString(),
    singleEvents: 'true',
    orderBy: 'startTime',
    maxResults: '20',
  });
  // https://developers.google.com/calendar/api/v3/reference/events/list
  const list = (await call(sandbox, 'GET', `/calendar/v3/calendars/primary/events?${query}`, {
    headers: googleHeaders(sandbox),
  })) as { items: Array<{ id: string; start: { dateTime: string }; end: { dateTime: string } }> };
  // timeMin filters on the end, so a booking under way comes first: skip it.
  const event = list.items.find((e) => Date.parse(e.start.dateTime) > Date.now());
  if (!event) throw new TriggerError('the calendar sandbox has no upcoming booking to change');
  return { id: event.id, start: event.start.dateTime, end: event.end.dateTime };
}

async function someContact(sandbox: RunningSandboxInfo): Promise<{ id: string; email?: string }> {
  // https://developers.hubspot.com/docs/api-reference/crm-contacts-v3/basic/get-crm-v3-objects-contacts
  const list = (await call(sandbox, 'GET', '/crm/v3/objects/contacts?limit=1&properties=email', {
    headers: { authorization: `Bearer ${sandbox.credentials.accessToken}` },
  })) as { results: Array<{ id: string; properties: { email?: string } }> };
  const contact = list.results[0];
  if (!contact) throw new TriggerError('the HubSpot sandbox has no contacts to change');
  return { id: contact.id, email: contact.properties.email };
}

const ukMobile = () => `+44 7700 9${String(randomInt(0, 100_000)).padStart(5, '0')}`;

export const TRIGGER_ACTIONS: TriggerAction[] = [
  {
    name: 'payment_intent.succeeded',
    systems: ['stripe'],
    description:
      'Stripe: a £65.00 card payment from the newest customer (payment_intent.created, charge.succeeded, payment_intent.succeeded)',
    async run(sandbox) {
      const customer = await someStripeCustomer(sandbox);
      // What `stripe trigger payment_intent.succeeded` does: create and confirm with a test card.
      const intent = (await stripe(sandbox, 'POST', '/v1/payment_intents', {
        amount: '6500',
        currency: 'gbp',
        customer: customer.id,
        description: 'Triggered by npm run sandbox -- trigger',
        payment_method: 'pm_card_visa',
        confirm: 'true',
        'automatic_payment_methods[enabled]': 'true',
        'automatic_payment_methods[allow_redirects]': 'never',
      })) as { id: string; status: string };
      return `payment ${intent.id} (${intent.status}) for ${customer.email ?? customer.id}`;
    },
  },
  {
    name: 'charge.refunded',
    systems: ['stripe'],
    description:
      'Stripe: the newest succeeded payment refunded in full from the Dashboard (charge.refunded, refund.created)',
    async run(sandbox) {
      // https://docs.stripe.com/api/payment_intents/list
      const list = (await stripe(sandbox, 'GET', '/v1/payment_intents?limit=100')) as {
        data: Array<{ id: string; status: string; amount_received: number; latest_charge: string | null }>;
      };
      for (const intent of list.data.filter((i) => i.status === 'succeeded')) {
        try {
          await call(sandbox, 'POST', '/__sandbox/actions/refund-order', {
            json: { payment_intent: intent.id },
          });
          return `payment ${intent.id} refunded`;
        } catch (error) {
          if (!(error instanceof TriggerError) || !/refunded/.test(error.message)) throw error;
        }
      }
      throw new TriggerError(
        'no succeeded, unrefunded payment among the newest 100: trigger payment_intent.succeeded first',
      );
    },
  },
  {
    name: 'contact.propertyChange',
    systems: ['hubspot'],
    description: "HubSpot: a contact's phone number edited in the CRM (contact.propertyChange for phone)",
    async run(sandbox) {
      const contact = await someContact(sandbox);
      const phone = ukMobile();
      await call(sandbox, 'POST', '/__sandbox/actions/edit-contact', {
        json: { id: contact.id, properties: { phone } },
      });
      return `contact ${contact.id} (${contact.email ?? 'no email'}) phone set to ${phone}`;
    },
  },
  {
    name: 'contact.creation',
    systems: ['hubspot'],
    description: 'HubSpot: a new contact added in the CRM (contact.creation and its property changes)',
    async run(sandbox) {
      const n = randomInt(100_000, 1_000_000);
      const email = `trigger.${n}@example.com`;
      const created = (await call(sandbox, 'POST', '/__sandbox/actions/create-contact', {
        json: { properties: { email, firstname: 'Trigger', lastname: `Contact ${n}`, phone: ukMobile() } },
      })) as { contact: { id: string } };
      return `contact ${created.contact.id} created (${email})`;
    },
  },
  {
    name: 'event.moved',
    systems: ['google_calendar'],
    description:
      'Google Calendar: the next upcoming booking moved one day later (push notification "exists")',
    async run(sandbox) {
      const booking = await nextBooking(sandbox);
      const day = 86_400_000;
      const start = new Date(Date.parse(booking.start) + day).toISOString();
      const end = new Date(Date.parse(booking.end) + day).toISOString();
      await call(sandbox, 'POST', '/__sandbox/actions/move-booking', {
        json: { eventId: booking.id, start, end },
      });
      return `booking ${booking.id} moved from ${booking.start} to ${start}`;
    },
  },
  {
    name: 'event.cancelled',
    systems: ['google_calendar'],
    description: 'Google Calendar: the next upcoming booking cancelled (push notification "exists")',
    async run(sandbox) {
      const booking = await nextBooking(sandbox);
      await call(sandbox, 'POST', '/__sandbox/actions/cancel-booking', { json: { eventId: booking.id } });
      return `booking ${booking.id} at ${booking.start} cancelled`;
    },
  },
  {
    name: 'invoice.paid',
    systems: ['xero', 'quickbooks'],
    description:
      'Xero or QuickBooks (as bound): the newest unpaid invoice paid in full in the app (invoice UPDATE webhook)',
    async run(sandbox) {
      const kit = await moduleById(sandbox.system)?.sandbox.books?.();
      if (!kit) throw new TriggerError(`the ${sandbox.system} sandbox has no books reader`);
      // Read the books as an app would (its own OAuth grant), then pay "in the app".
      const invoices = await kit.reader(sandbox).accountingInvoicesModifiedSince(new Date(0));
      const unpaid = invoices.filter(
        (i) => (i.status === 'AUTHORISED' || i.status === 'SUBMITTED') && i.amountDue > 0,
      );
      const invoice = unpaid.at(-1);
      if (!invoice) throw new TriggerError(`no unpaid invoice in the ${sandbox.name} sandbox`);
      await call(sandbox, 'POST', '/__sandbox/actions/pay-invoice', { json: { invoiceId: invoice.id } });
      return `invoice ${invoice.number ?? invoice.id} (${(invoice.amountDue / 100).toFixed(2)} due) paid`;
    },
  },
];

export function describeActions(): string {
  const width = Math.max(...TRIGGER_ACTIONS.map((a) => a.name.length));
  return TRIGGER_ACTIONS.map((a) => `  ${a.name.padEnd(width)}  ${a.description}`).join('\n');
}
