import { startSandboxServer } from '../../../src/sandbox/kit/http.ts';
import { createWebhookDispatcher } from '../../../src/sandbox/kit/webhooks.ts';
import { generateBusiness } from '../../../src/sandbox/seed/business.ts';
import type { VendorSandbox, VendorSandboxOptions } from '../../../src/sandbox/types.ts';
import { adminRoutes, SANDBOX_WEBHOOK_SECRET } from './admin.ts';
import { API_KEY, createApi, RESTRICTED_KEY } from './api.ts';
import { chargeAndRefundRoutes } from './charges-refunds.ts';
import { checkoutSessionRoutes, expireDue } from './checkout-sessions.ts';
import { customerRoutes } from './customers.ts';
import { eventRoutes } from './events.ts';
import { paymentIntentRoutes } from './payment-intents.ts';
import { loadSeed } from './seed.ts';
import { ACCOUNT_ID, createState, persistentState } from './state.ts';

export { API_KEY } from './api.ts';
export { SANDBOX_WEBHOOK_SECRET } from './admin.ts';

const EXPIRY_SWEEP_MS = 1_000;

/**
 * A local Stripe (API v1) that the official `stripe` SDK talks to with only its host changed:
 * `new Stripe(credentials.apiKey, { host: '127.0.0.1', port, protocol: 'http' })`.
 * See README.md for what is implemented.
 */
export async function startStripeSandbox(options: VendorSandboxOptions = {}): Promise<VendorSandbox> {
  const business = options.business ?? generateBusiness(options.seed);
  const webhooks = createWebhookDispatcher({ initial: options.webhooks });
  const state = createState(business, webhooks);
  loadSeed(state);
  const api = createApi(business.seed);

  const running = await startSandboxServer(
    {
      name: 'stripe',
      routes: [
        ...customerRoutes(state),
        ...paymentIntentRoutes(state),
        ...chargeAndRefundRoutes(state),
        ...checkoutSessionRoutes(state),
        ...eventRoutes(state, webhooks),
      ],
      adminRoutes: adminRoutes(state),
      errorResponse: api.errorResponse,
      middleware: api.middleware,
      reset: () => {
        loadSeed(state);
        api.reset();
      },
      describe: () => ({
        account: ACCOUNT_ID,
        credentials: {
          apiKey: API_KEY,
          restrictedKey: RESTRICTED_KEY,
          webhookSecret: SANDBOX_WEBHOOK_SECRET,
        },
        counts: {
          customers: state.customers.size - state.deletedCustomers.size,
          paymentIntents: state.paymentIntents.size,
          charges: state.charges.size,
          refunds: state.refunds.size,
          checkoutSessions: state.checkoutSessions.size,
          events: state.events.size,
          webhookEndpoints: state.endpoints.size,
        },
      }),
      webhooks,
    },
    { port: options.port, host: options.host },
  );
  // Sessions also expire with nobody reading them, so `checkout.session.expired` reaches webhooks.
  const sweep = setInterval(() => expireDue(state), EXPIRY_SWEEP_MS);
  sweep.unref();
  return {
    ...running,
    close: async () => {
      clearInterval(sweep);
      await running.close();
    },
    state: persistentState(state, api),
    credentials: {
      apiKey: API_KEY,
      restrictedKey: RESTRICTED_KEY,
      webhookSecret: SANDBOX_WEBHOOK_SECRET,
      accountId: ACCOUNT_ID,
    },
  };
}
