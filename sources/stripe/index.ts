import type { SourceModule } from '../../src/domain/source-module.ts';
import { createEnvReader, credential } from '../../src/env.ts';
import { stripeLimits } from './limits.ts';
import { stripeConnections } from './connections.ts';
import { createStripeSource, STRIPE_API_VERSION, type StripeSource } from './source.ts';
import { createStripeWebhookVerifier } from './webhooks.ts';
import { startStripeSandbox } from './sandbox/server.ts';
import { customerAt } from '../../src/sandbox/seed/business.ts';
import { CodeExchangeError } from '../../src/upstream/oauth.ts';

export interface StripeSettings {
  baseUrl: string;
  /** Secret (`sk_…`) or restricted (`rk_…`) key. */
  apiKey: string;
}

export interface StripeWebhookSettings {
  /** A signing secret from the dashboard (`whsec_…`); one learnt by registering is kept in the store. */
  secret?: string;
  /** Register the endpoint with Stripe (needs PUBLIC_URL; always in sandbox mode). */
  register: boolean;
}

/** Where a registered endpoint's signing secret is kept (sealed) in the store. */
const SECRET_KEY = 'webhook_secret';

/** Stripe v1: customers and payment intents, form-encoded, Idempotency-Key on every POST. */
export const stripe: SourceModule<'payments', StripeSettings, StripeWebhookSettings> = {
  id: 'stripe',
  role: 'payments',
  label: 'Stripe',
  description: 'Stripe: card payments and refunds.',
  website: 'https://stripe.com',
  settings: {
    credentialVars: ['STRIPE_API_KEY'],
    variables: [
      { name: 'STRIPE_API_KEY', meaning: 'secret or restricted key' },
      { name: 'STRIPE_WEBHOOK_SECRET', meaning: "an endpoint's signing secret from the dashboard" },
      {
        name: 'STRIPE_API_BASE',
        default: 'https://api.stripe.com',
        meaning: 'the API (a sandbox or a proxy)',
      },
    ],
    fromEnv(env) {
      const read = createEnvReader(env);
      const settings: StripeSettings = {
        baseUrl: read.url('STRIPE_API_BASE', 'https://api.stripe.com'),
        apiKey: read.required('STRIPE_API_KEY', 'to connect Stripe'),
      };
      return read.problems.length ? { problems: read.problems } : { settings };
    },
    fromSandbox: (sandbox) => ({ baseUrl: sandbox.url, apiKey: credential(sandbox, 'apiKey') }),
    envFromSandbox: (sandbox) => ({
      STRIPE_API_KEY: credential(sandbox, 'apiKey'),
      STRIPE_API_BASE: sandbox.url,
    }),
  },
  limits: (settings) => stripeLimits(settings.apiKey),
  connections: stripeConnections,
  connect(settings, context) {
    const source: StripeSource = createStripeSource({
      ...settings,
      currentKey: context.apiKey?.(settings.apiKey),
      timeoutMs: context.timeoutMs,
      metrics: context.metrics,
      policy: context.policy(stripeLimits(settings.apiKey)),
    });
    return { source };
  },
  keyConnect: {
    check: (key) =>
      /^(rk|sk)_(test|live)_[A-Za-z0-9_]+$/.test(key)
        ? undefined
        : 'a Stripe key starts with rk_live_ / rk_test_ (a restricted key: preferred) or sk_live_ / sk_test_ (a secret key); publishable keys (pk_…) cannot read payments',
    async verify(settings, key) {
      // One cheap read the hub needs anyway: https://docs.stripe.com/api/customers/list
      let res: Response;
      try {
        res = await fetch(`${settings.baseUrl}/v1/customers?limit=1`, {
          headers: { authorization: `Bearer ${key}`, 'stripe-version': STRIPE_API_VERSION },
          signal: AbortSignal.timeout(10_000),
        });
      } catch (error) {
        throw new CodeExchangeError(
          `no answer from Stripe (${error instanceof Error ? error.message : String(error)})`,
        );
      }
      if (res.ok) return;
      const body = (await res.json().catch(() => ({}))) as { error?: { message?: string; code?: string } };
      throw new CodeExchangeError(
        res.status === 401
          ? 'the key is not valid (revoked, mistyped, or of another account)'
          : res.status === 403
            ? 'the key may not read customers: give the restricted key "Customers: Read" and "PaymentIntents: Read"'
            : `HTTP ${res.status}${body.error?.message ? `: ${body.error.message}` : ''}`,
        body.error?.code,
      );
    },
  },
  webhooks: {
    path: 'stripe',
    // Registration needs an address Stripe can reach: PUBLIC_URL.
    fromEnv: (env, { publicUrl }) => ({
      secret: env.STRIPE_WEBHOOK_SECRET || undefined,
      register: Boolean(publicUrl),
    }),
    fromSandbox: () => ({ register: true }),
    verifier: (webhooks, { workspace, state }) =>
      createStripeWebhookVerifier({
        // The configured secret, and the one learnt by registering (read each time: another replica may register).
        secrets: async () => {
          const stored = await state.get(workspace, 'stripe', SECRET_KEY);
          return [...new Set([...(webhooks.secret ? [webhooks.secret] : []), ...(stored ? [stored] : [])])];
        },
      }),
    async register(webhooks, publicUrl, { workspace, source, state }) {
      if (!webhooks.register) return;
      const known = await state.get(workspace, 'stripe', SECRET_KEY);
      const endpoint = await (source as StripeSource).ensureWebhookEndpoint(
        `${publicUrl}/webhooks/stripe`,
        ['*'],
        known,
      );
      await state.set(workspace, 'stripe', SECRET_KEY, endpoint.secret);
    },
  },
  sandbox: {
    port: 12111,
    start: ({ relaxed: _relaxed, ...options }) => startStripeSandbox(options),
    seedIds: (business) => ({
      people: new Map(
        business.customers.filter((c) => customerAt(c, 'stripe')).map((c) => [c.key, c.ids.stripeCustomerId]),
      ),
      orders: new Map(business.orders.map((o) => [o.key, o.ids.stripePaymentIntentId])),
    }),
    faults: {
      createCustomer: { operations: ['customers.create'] },
      createOrder: { operations: ['payment_intents.create'] },
      api: { pathPrefix: '/v1' },
    },
  },
};
