/**
 * The Xero sandbox: identity (token endpoint, connections) and the Accounting API 2.0
 * (contacts, invoices, payments) on one local server, with Xero's auth, tenant header, rate
 * limits, idempotency keys and signed webhooks. `xero-node` works against it with only its base
 * path changed (`accountingApi.basePath = url + '/api.xro/2.0'`).
 */
import {
  startSandboxServer,
  type SandboxRequest,
  type SandboxResponse,
} from '../../../src/sandbox/kit/http.ts';
import { createRandom } from '../../../src/sandbox/kit/random.ts';
import { createWebhookDispatcher } from '../../../src/sandbox/kit/webhooks.ts';
import { generateBusiness } from '../../../src/sandbox/seed/business.ts';
import type { VendorSandbox, VendorSandboxOptions } from '../../../src/sandbox/types.ts';
import { adminRoutes } from './admin.ts';
import { contactRoutes } from './contacts.ts';
import type { XeroContext } from './context.ts';
import { createIdempotencyStore } from './idempotency.ts';
import { createIdentity, OPERATION_SCOPES, type TokenSettings } from './identity.ts';
import { invoiceRoutes } from './invoices.ts';
import { createLimiter, type LimitSettings } from './limits.ts';
import { paymentRoutes } from './payments.ts';
import { createClock, describeClock } from '../../../src/sandbox/kit/clock.ts';
import { loadBooks, type Books } from './state.ts';
import { createXeroWebhooks } from './webhooks.ts';
import { apiException, notFound, oauthError, problem } from './wire.ts';

/** Fixed, documented credentials (see README.md): copy them from `npm run sandbox`. */
export const XERO_SANDBOX_CREDENTIALS = {
  clientId: 'C1E47A0D5B3F4E2A9D8C7B6A5F4E3D2C',
  clientSecret: 'xero-sandbox-secret-7pQ2vL9sK4mN8rT3wX6yZ1aB5cD0eF',
  tenantId: '6f1b9c2e-8a4d-4e3b-9c7a-1d2e3f4a5b6c',
  webhookKey: 'sandboxXeroWebhookKey+9nH2kQ7rV4xB1mC8pL5tW3zY6dF0gJ/aE2sU9oI4uK7yR1qT==',
  refreshToken: '5a9c1e7b3d0f2846a1c3e5b7d9f0a2c4e6b8d0f1a3c5e7b9d1f3a5c7e9b0d2f4',
} as const;

export interface XeroSandboxOptions extends VendorSandboxOptions {
  /** Rate limits (defaults: Xero's 60/min, 5,000/day, 5 concurrent, 10,000/min app-wide). */
  limits?: Partial<LimitSettings>;
  tokens?: Partial<TokenSettings>;
}

const API = '/api.xro/2.0/';
const header = (req: SandboxRequest, name: string): string | undefined => {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

export async function startXeroSandbox(options: XeroSandboxOptions = {}): Promise<VendorSandbox> {
  const business = options.business ?? generateBusiness(options.seed);
  const creds = XERO_SANDBOX_CREDENTIALS;
  const clock = createClock();
  const root = createRandom(`xero:${business.seed}`);
  const dispatcher = createWebhookDispatcher({ initial: options.webhooks });
  let baseUrl = '';

  const webhooks = createXeroWebhooks({
    dispatcher,
    webhookKey: creds.webhookKey,
    tenantId: creds.tenantId,
    clock,
    random: root.fork('webhooks'),
    baseUrl: () => baseUrl,
  });
  const ctx: XeroContext = {
    books: loadBooks(business),
    clock,
    ids: root.fork('ids'),
    tenantId: creds.tenantId,
    changes: () => webhooks.changes(),
  };
  const created = business.now.getTime() - 400 * 86_400_000;
  const identity = createIdentity({
    clock,
    random: root.fork('identity'),
    clientId: creds.clientId,
    clientSecret: creds.clientSecret,
    initialRefreshToken: creds.refreshToken,
    settings: options.tokens,
    tenant: {
      id: creds.tenantId,
      name: business.name,
      connectionId: root.fork('connection').uuid(),
      authEventId: root.fork('auth-event').uuid(),
      createdAt: created,
      updatedAt: created,
      connected: true,
    },
  });
  const limiter = createLimiter(clock, options.limits);
  const idempotency = createIdempotencyStore(clock);

  const isIdentityPath = (path: string) => path.startsWith('/connect/');

  const errorResponse = (
    status: number,
    message: string,
    req: SandboxRequest,
    extra: { retryAfterSeconds?: number } = {},
  ): SandboxResponse => {
    if (status === 404) return notFound();
    if (isIdentityPath(req.path)) {
      const error =
        status === 400
          ? 'invalid_request'
          : status === 429 || status === 503
            ? 'temporarily_unavailable'
            : 'server_error';
      const response = oauthError(status, error, message);
      if (status === 429)
        response.headers = { ...response.headers, 'Retry-After': String(extra.retryAfterSeconds ?? 1) };
      return response;
    }
    if (status === 400) return apiException(14, 'PostDataInvalidException', message);
    if (status === 429) {
      return problem(status, message, req, {
        'Retry-After': String(extra.retryAfterSeconds ?? 60),
        'X-Rate-Limit-Problem': 'minute',
      });
    }
    return problem(status, message, req);
  };

  const middleware = async (
    req: SandboxRequest,
    next: () => Promise<SandboxResponse>,
  ): Promise<SandboxResponse> => {
    if (!req.path.startsWith(API)) return next();
    const auth = identity.authenticate(req);
    if ('status' in auth) return auth;
    const tenantId = header(req, 'xero-tenant-id')?.trim().toLowerCase();
    if (!tenantId || tenantId !== identity.tenant.id || !identity.tenant.connected)
      return problem(403, 'AuthenticationUnsuccessful', req);
    const needed = OPERATION_SCOPES[req.operation];
    if (needed && !needed.some((s) => auth.scopes.includes(s)))
      return problem(401, 'AuthorizationUnsuccessful', req);

    const slot = limiter.acquire(tenantId);
    if (!slot.ok) {
      return problem(429, `Rate limit exceeded: ${slot.problem} limit`, req, {
        ...slot.headers,
        'Retry-After': String(slot.retryAfterSeconds),
        'X-Rate-Limit-Problem': slot.problem,
      });
    }
    try {
      const refuse = (status: number, message: string) =>
        status === 400 ? apiException(10, 'ValidationException', message) : problem(status, message, req);
      const response = await idempotency.run(tenantId, req, next, refuse);
      return {
        ...response,
        headers: { ...response.headers, ...slot.headers, 'Xero-Correlation-Id': req.requestId },
      };
    } finally {
      slot.release();
    }
  };

  const running = await startSandboxServer(
    {
      name: 'xero',
      routes: [...identity.routes(), ...contactRoutes(ctx), ...invoiceRoutes(ctx), ...paymentRoutes(ctx)],
      adminRoutes: adminRoutes({ ctx, identity, limiter, webhooks }),
      errorResponse,
      middleware,
      webhooks: dispatcher,
      reset() {
        // Org data goes back to the seed; the app's tokens, subscription, clock and limit settings stay.
        ctx.books = loadBooks(business);
        ctx.ids = root.fork('ids');
        idempotency.clear();
        limiter.reset();
      },
      describe: () => ({
        credentials,
        apiBase: `${baseUrl}/api.xro/2.0`,
        tokenUrl: `${baseUrl}/connect/token`,
        tenant: { id: identity.tenant.id, name: identity.tenant.name },
        counts: {
          contacts: ctx.books.contacts.size,
          invoices: ctx.books.invoices.size,
          payments: ctx.books.payments.size,
        },
        clock: describeClock(clock),
        limits: limiter.settings(),
        identity: identity.describe(),
        subscription: webhooks.subscription() ?? null,
      }),
    },
    { port: options.port, host: options.host },
  );
  baseUrl = running.url;
  const credentials: Record<string, string> = { ...creds };
  return {
    ...running,
    credentials,
    // OAuth grants are not saved: sandbox mode's hub keeps no tokens and starts from the configured
    // refresh token, which a saved rotation would have retired.
    state: {
      snapshot: () => ({
        books: ctx.books,
        ids: ctx.ids.position(),
        idempotency: idempotency.snapshot(),
        webhooks: webhooks.snapshot(),
        clockOffsetSeconds: clock.offsetSeconds(),
      }),
      restore(saved) {
        const s = saved as {
          books: Books;
          ids: number;
          idempotency: Map<string, unknown>;
          webhooks: ReturnType<typeof webhooks.snapshot>;
          clockOffsetSeconds: number;
        };
        if (!(s.books?.invoices instanceof Map)) throw new Error('no Xero books in the saved state');
        ctx.books = s.books;
        ctx.ids.seek(s.ids);
        idempotency.restore(s.idempotency);
        webhooks.restore(s.webhooks);
        clock.advance(Math.max(0, s.clockOffsetSeconds - clock.offsetSeconds()));
      },
    },
  };
}
