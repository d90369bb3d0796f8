import { ResponseError, type Route, type SandboxRequest } from '../../../src/sandbox/kit/http.ts';
import { createRefund } from './charges-refunds.ts';
import { expireSession, findSession } from './checkout-sessions.ts';
import { updateCustomer } from './customers.ts';
import { registerEndpoint } from './events.ts';
import { findIntent, settleProcessing } from './payment-intents.ts';
import { ADMIN_ORIGIN, type StripeState } from './state.ts';

/** The signing secret of endpoints registered through `POST /__sandbox/webhook-endpoints`. */
export const SANDBOX_WEBHOOK_SECRET = 'whsec_switchboard_sandbox';

type Field = 'string' | 'integer' | 'strings';

/** Plain JSON in; a 400 `{ error }` naming the first bad field. */
function readBody(req: SandboxRequest, fields: Record<string, { type: Field; required?: boolean }>) {
  const body = req.json();
  const fail = (message: string): never => {
    throw new ResponseError({ status: 400, body: { error: message } });
  };
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    fail('the body must be a JSON object');
  const input = body as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    if (!(key in fields)) fail(`unknown field "${key}"; expected ${Object.keys(fields).join(', ')}`);
  }
  for (const [key, { type, required }] of Object.entries(fields)) {
    const value = input[key];
    if (value === undefined) {
      if (required) fail(`"${key}" is required`);
      continue;
    }
    const ok =
      type === 'string'
        ? typeof value === 'string' && value !== ''
        : type === 'integer'
          ? Number.isInteger(value) && (value as number) > 0
          : Array.isArray(value) && value.every((v) => typeof v === 'string');
    if (!ok) {
      fail(
        `"${key}" must be ${type === 'string' ? 'a non-empty string' : type === 'integer' ? 'a positive integer' : 'a list of strings'}`,
      );
    }
  }
  return input;
}

/** Stripe errors from the shared operations become the admin surface's plain `{ error }`. */
function action(
  method: string,
  path: string,
  operation: string,
  fn: (req: SandboxRequest) => unknown,
): Route {
  return {
    method,
    path,
    operation,
    handler: (req) => {
      try {
        return { status: 200, body: fn(req) };
      } catch (error) {
        if (!(error instanceof ResponseError)) throw error;
        const inner = (error.response.body as { error?: unknown } | undefined)?.error;
        const message =
          typeof inner === 'string' ? inner : (inner as { message?: string } | undefined)?.message;
        throw new ResponseError({ status: error.response.status, body: { error: message ?? 'bad request' } });
      }
    },
  };
}

export function adminRoutes(state: StripeState): Route[] {
  return [
    action('POST', '/__sandbox/actions/refund-order', 'admin.actions.refundOrder', (req) => {
      const input = readBody(req, {
        payment_intent: { type: 'string', required: true },
        amount: { type: 'integer' },
      });
      return createRefund(
        state,
        {
          payment_intent: input.payment_intent as string,
          amount: input.amount as number | undefined,
          reason: 'requested_by_customer',
        },
        ADMIN_ORIGIN,
      );
    }),
    action('POST', '/__sandbox/actions/succeed-payment', 'admin.actions.succeedPayment', (req) => {
      const input = readBody(req, { payment_intent: { type: 'string', required: true } });
      return settleProcessing(state, findIntent(state, input.payment_intent as string), ADMIN_ORIGIN);
    }),
    action('POST', '/__sandbox/actions/edit-customer', 'admin.actions.editCustomer', (req) => {
      const input = readBody(req, {
        customer: { type: 'string', required: true },
        name: { type: 'string' },
        email: { type: 'string' },
        phone: { type: 'string' },
      });
      const { customer, ...patch } = input as {
        customer: string;
        name?: string;
        email?: string;
        phone?: string;
      };
      return updateCustomer(state, customer, patch, ADMIN_ORIGIN);
    }),
    action(
      'POST',
      '/__sandbox/actions/expire-checkout-session',
      'admin.actions.expireCheckoutSession',
      (req) => {
        const input = readBody(req, { session: { type: 'string', required: true } });
        return expireSession(state, findSession(state, input.session as string));
      },
    ),
    action('POST', '/__sandbox/webhook-endpoints', 'admin.webhookEndpoints.register', (req) => {
      const input = readBody(req, {
        url: { type: 'string', required: true },
        enabled_events: { type: 'strings' },
      });
      const record = registerEndpoint(
        state,
        { url: input.url as string, enabled_events: (input.enabled_events as string[] | undefined) ?? ['*'] },
        SANDBOX_WEBHOOK_SECRET,
      );
      return { ...record.endpoint, secret: record.secret };
    }),
  ];
}
