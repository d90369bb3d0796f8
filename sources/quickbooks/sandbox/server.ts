/**
 * The QuickBooks Online sandbox: Intuit OAuth 2.0 (consent page, token and revoke endpoints)
 * and the Accounting API v3 (`/v3/company/{realmId}/`: customers, invoices, payments, items,
 * company info, the query language, batch and change data capture) on one local server, with
 * QBO's realm check, minor versions, requestid idempotency, SyncToken concurrency, throttling
 * and signed webhooks. `node-quickbooks` works against it with only its endpoint constant
 * changed (`QuickBooks.V3_ENDPOINT_BASE_URL = url + '/v3/company/'`), `intuit-oauth` with only
 * its endpoints changed (`oauthClient.setAuthorizeURLs({...})`); see README.md.
 * Docs: https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/account
 */
import { randomBytes } from 'node:crypto';
import {
  startSandboxServer,
  type Route,
  type SandboxRequest,
  type SandboxResponse,
} from '../../../src/sandbox/kit/http.ts';
import { createRandom } from '../../../src/sandbox/kit/random.ts';
import { createWebhookDispatcher } from '../../../src/sandbox/kit/webhooks.ts';
import { generateBusiness } from '../../../src/sandbox/seed/business.ts';
import type { VendorSandbox, VendorSandboxOptions } from '../../../src/sandbox/types.ts';
import { adminRoutes } from './admin.ts';
import { batchRoute } from './batch.ts';
import { cdcRoute } from './cdc.ts';
import { faultResponse, type QboContext } from './context.ts';
import { entityRoutes, unknownResourceRoute } from './entities.ts';
import { createIdempotencyStore } from './idempotency.ts';
import { createIdentity, SCOPES, type TokenSettings } from './identity.ts';
import { createLimiter, type LimitSettings } from './limits.ts';
import { queryRoutes } from './query.ts';
import { createClock, describeClock } from '../../../src/sandbox/kit/clock.ts';
import { loadCompany, type Company } from './state.ts';
import { createQboWebhooks } from './webhooks.ts';
import {
  authenticationFailed,
  authorizationFailed,
  invalidProperty,
  JSON_TYPE,
  MINOR_VERSION,
  oauthError,
  QboFault,
  systemFault,
  throttled,
  validation,
} from './wire.ts';

export { QUICKBOOKS_RELAXED_LIMITS } from './limits.ts';

/** Fixed, documented credentials (see README.md): copy them from `GET /__sandbox`. */
export const QUICKBOOKS_SANDBOX_CREDENTIALS = {
  clientId: 'ABqbSandbox7Kf2Lm9Pq4Rt6Vw8Yz1Bc3De5Fg7Hj9Kl0Mn2Pq',
  clientSecret: 'qbo-sandbox-secret-4Tn8Wq2Xe6Ry0Ub3Io7Pa1Sd5Fg9Hj',
  realmId: '9341453172471531',
  webhookVerifierToken: '6f2a9c41-7d3e-4b85-a0c9-1e5d8f3b2a76',
  refreshToken: 'AB111893456000SbxQboRefreshTokenSeed7Hq2Wm9Kx4Np6R',
} as const;

export interface QuickbooksSandboxOptions extends VendorSandboxOptions {
  /** Throttling (defaults: QBO's 500 a minute, 10 at once, 40 batch requests a minute, per company). */
  limits?: Partial<LimitSettings>;
  tokens?: Partial<TokenSettings>;
}

const COMPANY_PATH = /^\/v3\/company\/([^/]+)(?:\/|$)/;
const isIdentityPath = (path: string) =>
  path.startsWith('/oauth2/') ||
  path.startsWith('/connect/') ||
  path.startsWith('/v2/oauth2/') ||
  path.startsWith('/v1/openid_connect/') ||
  path.startsWith('/.well-known/');

/** `intuit_tid`, the id Intuit asks apps to log: `1-6aa36f3e-7c887528297dc3cd2d23dbe2`. */
const intuitTid = () => `1-${randomBytes(4).toString('hex')}-${randomBytes(12).toString('hex')}`;

export async function startQuickbooksSandbox(options: QuickbooksSandboxOptions = {}): Promise<VendorSandbox> {
  const business = options.business ?? generateBusiness(options.seed);
  const creds = QUICKBOOKS_SANDBOX_CREDENTIALS;
  const realmId = creds.realmId;
  const clock = createClock();
  const root = createRandom(`quickbooks:${business.seed}`);
  const dispatcher = createWebhookDispatcher({ initial: options.webhooks });
  let baseUrl = '';

  const ctx: QboContext = {
    company: loadCompany(business, realmId),
    clock,
    realmId,
    changes: () => webhooks.changes(),
  };
  const identity = createIdentity({
    clock,
    random: root.fork('identity'),
    clientId: creds.clientId,
    clientSecret: creds.clientSecret,
    realmId,
    companyName: () => ctx.company.name,
    initialRefreshToken: creds.refreshToken,
    baseUrl: () => baseUrl,
    settings: options.tokens,
  });
  const webhooks = createQboWebhooks({
    dispatcher,
    verifierToken: creds.webhookVerifierToken,
    realmId,
    clock,
    timeZone: business.timeZone,
    connected: () => identity.connected(realmId),
  });
  const limiter = createLimiter(clock, options.limits);
  const idempotency = createIdempotencyStore();
  const tidHeader = (response: SandboxResponse): SandboxResponse => ({
    ...response,
    headers: { ...response.headers, intuit_tid: intuitTid() },
  });

  const errorResponse = (
    status: number,
    message: string,
    req: SandboxRequest,
    extra: { retryAfterSeconds?: number } = {},
  ): SandboxResponse => {
    const now = clock.now();
    if (isIdentityPath(req.path)) {
      const error =
        status === 400
          ? 'invalid_request'
          : status === 401
            ? 'invalid_client'
            : status === 429 || status === 503
              ? 'temporarily_unavailable'
              : 'server_error';
      const response = oauthError(status, error, message);
      if (status === 429)
        response.headers = { ...response.headers, 'Retry-After': String(extra.retryAfterSeconds ?? 60) };
      return response;
    }
    if (!COMPANY_PATH.test(req.path))
      return { status, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: message };
    let response: SandboxResponse;
    if (status === 401) response = authenticationFailed(message, now);
    else if (status === 403) response = authorizationFailed('ApplicationAuthorizationFailed', message, now);
    else if (status === 429)
      response = throttled(now, { 'Retry-After': String(extra.retryAfterSeconds ?? 60) });
    else if (status === 413)
      response = {
        status,
        headers: { 'Content-Type': 'text/html' },
        body: '<html><head><title>413 Request Entity Too Large</title></head><body><h1>Request Entity Too Large</h1></body></html>',
      };
    else if (status >= 500)
      response = faultResponse(
        ctx,
        status === 500
          ? systemFault(message)
          : new QboFault(status, 'SystemFault', [
              {
                Message: status === 503 ? 'Service Unavailable' : `HTTP ${status}`,
                Detail: message,
                code: String(status),
              },
            ]),
      );
    else if (status === 404)
      response = faultResponse(
        ctx,
        new QboFault(404, 'ValidationFault', [{ Message: 'Object Not Found', Detail: message, code: '610' }]),
      );
    else if (status === 400) response = faultResponse(ctx, invalidProperty(message));
    else
      response = faultResponse(
        ctx,
        new QboFault(status, 'ValidationFault', [
          { Message: 'Unsupported Operation', Detail: message, code: '500' },
        ]),
      );
    return tidHeader(response);
  };

  const middleware = async (
    req: SandboxRequest,
    next: () => Promise<SandboxResponse>,
  ): Promise<SandboxResponse> => {
    const company = COMPANY_PATH.exec(req.path);
    if (!company) return next();
    const now = clock.now();
    const auth = identity.authenticate(req);
    if ('status' in auth) return tidHeader(auth);
    let realm: string;
    try {
      realm = decodeURIComponent(company[1] as string);
    } catch {
      realm = company[1] as string;
    }
    // A token works for the company that granted it, and only there.
    if (realm !== auth.realmId)
      return tidHeader(authorizationFailed('ApplicationAuthorizationFailed', null, now));
    if (!auth.scopes.includes(SCOPES.accounting))
      return tidHeader(
        authorizationFailed('AuthorizationFailed', 'The access token does not have sufficient scope', now),
      );
    const slot = limiter.acquire(realm, req.operation === 'batch');
    if (!slot.ok) return tidHeader(throttled(now));
    try {
      const format = req.query.get('format')?.toLowerCase();
      const accept = String(req.headers.accept ?? '').toLowerCase();
      if (format !== 'json' && !accept.includes('application/json'))
        return tidHeader(
          faultResponse(
            ctx,
            new QboFault(406, 'ValidationFault', [
              {
                Message: 'Unsupported response format',
                Detail:
                  'The sandbox answers JSON only: send Accept: application/json (QuickBooks Online answers XML without it).',
                code: '4060',
              },
            ]),
          ),
        );
      const minor = req.query.get('minorversion')?.trim();
      if (minor && !/^\d+$/.test(minor))
        return tidHeader(
          faultResponse(
            ctx,
            validation(
              '2010',
              'Request has invalid or unsupported property',
              `Property Name:minorversion (${minor}: a minor version is a number; the sandbox speaks ${MINOR_VERSION}) specified is unsupported or invalid`,
              'minorversion',
            ),
          ),
        );
      const response = await idempotency.run(realm, req, next, (fault) => faultResponse(ctx, fault));
      return tidHeader({ ...response, headers: { 'Content-Type': JSON_TYPE, ...response.headers } });
    } finally {
      slot.release();
    }
  };

  const routes: Route[] = [
    ...identity.routes(),
    ...entityRoutes(ctx),
    ...queryRoutes(ctx),
    batchRoute(ctx),
    cdcRoute(ctx),
    ...['GET', 'POST', 'PUT', 'DELETE', 'PATCH'].map((method) => unknownResourceRoute(ctx, method)),
  ];

  const running = await startSandboxServer(
    {
      name: 'quickbooks',
      routes,
      adminRoutes: adminRoutes({ ctx, identity, limiter, webhooks }),
      errorResponse,
      middleware,
      webhooks: dispatcher,
      reset() {
        // Company data goes back to the seed; the app's tokens, webhook endpoint, clock and limit settings stay.
        ctx.company = loadCompany(business, realmId);
        idempotency.clear();
        limiter.reset();
      },
      describe: () => ({
        credentials,
        apiBase: `${baseUrl}/v3/company/${realmId}`,
        tokenUrl: `${baseUrl}/oauth2/v1/tokens/bearer`,
        authorizeUrl: `${baseUrl}/connect/oauth2`,
        revokeUrl: `${baseUrl}/v2/oauth2/tokens/revoke`,
        minorVersion: MINOR_VERSION,
        company: { realmId, name: ctx.company.name },
        counts: {
          customers: ctx.company.customers.size,
          invoices: ctx.company.invoices.size,
          payments: ctx.company.payments.size,
          items: ctx.company.items.size,
        },
        clock: describeClock(clock),
        limits: limiter.settings(),
        identity: identity.describe(),
        webhookEndpoint: webhooks.endpoint() ?? null,
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
        company: ctx.company,
        idempotency: idempotency.snapshot(),
        webhooks: webhooks.snapshot(),
        clockOffsetSeconds: clock.offsetSeconds(),
      }),
      restore(saved) {
        const s = saved as {
          company: Company;
          idempotency: Map<string, SandboxResponse>;
          webhooks: ReturnType<typeof webhooks.snapshot>;
          clockOffsetSeconds: number;
        };
        if (!(s.company?.invoices instanceof Map))
          throw new Error('no QuickBooks company in the saved state');
        ctx.company = s.company;
        idempotency.restore(s.idempotency);
        webhooks.restore(s.webhooks);
        clock.advance(Math.max(0, s.clockOffsetSeconds - clock.offsetSeconds()));
      },
    },
  };
}
