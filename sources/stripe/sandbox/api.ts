import {
  ResponseError,
  type Route,
  type SandboxRequest,
  type SandboxResponse,
  type SandboxServerOptions,
} from '../../../src/sandbox/kit/http.ts';
import { createRandom, type Random } from '../../../src/sandbox/kit/random.ts';
import { authError, invalidRequest, stripeError, stripeErrorResponse } from './errors.ts';
import { decodeForm, fingerprint, type FormTree } from './form.ts';
import { DEFAULT_API_VERSION, HOSTED_PREFIX } from './objects.ts';
import type { Origin } from './state.ts';

/** The secret key the sandbox accepts (`Authorization: Bearer` or HTTP Basic with the key as user). */
export const API_KEY = 'sk_test_switchboard_sandbox';
/** A restricted key of the same account (https://docs.stripe.com/keys#limit-access), as an operator pastes in the console. */
export const RESTRICTED_KEY = 'rk_test_switchboard_sandbox';

/** Per-request facts, keyed by the kit's request object so handlers and the middleware share them. */
const requestIds = new WeakMap<SandboxRequest, string>();
const forms = new WeakMap<SandboxRequest, FormTree>();

export function requestIdFor(req: SandboxRequest): string {
  let id = requestIds.get(req);
  if (!id) {
    id = `req_${req.requestId.replace(/-/g, '').slice(0, 14)}`;
    requestIds.set(req, id);
  }
  return id;
}

const header = (req: SandboxRequest, name: string): string | undefined => {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
};

/** GET and DELETE take parameters in the query string, POST in the form-encoded body. */
export function formFor(req: SandboxRequest): FormTree {
  let form = forms.get(req);
  if (!form) {
    if (req.method === 'POST') {
      const type = header(req, 'content-type') ?? '';
      if (req.rawBody.length > 0 && /json|xml|multipart/i.test(type)) {
        throw invalidRequest(
          `Invalid request: the Stripe API takes application/x-www-form-urlencoded bodies, not ${type.split(';')[0]}.`,
        );
      }
      form = decodeForm(req.rawBody.toString('utf8'));
    } else form = decodeForm(req.url.search.slice(1));
    forms.set(req, form);
  }
  return form;
}

export interface Ctx {
  req: SandboxRequest;
  form: FormTree;
  origin: Origin;
  /** The request's `Stripe-Version`, or the account default; some parameters depend on it. */
  apiVersion: string;
}

export function contextFor(req: SandboxRequest): Ctx {
  return {
    req,
    form: formFor(req),
    origin: { id: requestIdFor(req), idempotency_key: header(req, 'idempotency-key') ?? null },
    apiVersion: header(req, 'stripe-version') ?? DEFAULT_API_VERSION,
  };
}

/** A vendor route whose handler returns the JSON body of a 200. */
export function route(method: string, path: string, operation: string, fn: (ctx: Ctx) => unknown): Route {
  return { method, path, operation, handler: (req) => ({ status: 200, body: fn(contextFor(req)) }) };
}

function presentedKey(req: SandboxRequest): string | undefined {
  const auth = header(req, 'authorization');
  if (!auth) return undefined;
  const [scheme = '', value = ''] = auth.trim().split(/\s+/, 2);
  if (/^bearer$/i.test(scheme)) return value;
  if (/^basic$/i.test(scheme)) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    return decoded.includes(':') ? decoded.slice(0, decoded.indexOf(':')) : decoded;
  }
  return auth;
}

interface StoredResult {
  method: string;
  path: string;
  fingerprint: string;
  response: SandboxResponse;
  requestId: string;
  at: number;
}

const IDEMPOTENCY_TTL_MS = 24 * 3_600_000;

/**
 * Auth, Stripe's response headers, and idempotency (https://docs.stripe.com/api/idempotent_requests):
 * a POST with an `Idempotency-Key` that was seen in the last 24 h (per API key) replays the first
 * response (`Idempotent-Replayed: true`) when the method, path and parameters match, and is a 400
 * `idempotency_error` when they do not. Only requests that executed are saved: successes and card
 * declines, not validation errors, so a corrected retry with the same key goes through.
 */
export function createApi(seed: number) {
  let random: Random = createRandom(`stripe-requests:${seed}`);
  let stored = new Map<string, StoredResult>();
  const inFlight = new Set<string>();

  const mintRequestId = (req: SandboxRequest) => {
    if (!requestIds.has(req)) requestIds.set(req, `req_${random.string(14)}`);
    return requestIds.get(req) as string;
  };

  function decorate(response: SandboxResponse, req: SandboxRequest): SandboxResponse {
    const requestId = mintRequestId(req);
    const headers: Record<string, string | number | string[]> = {
      'Request-Id': requestId,
      'Stripe-Version': header(req, 'stripe-version') ?? DEFAULT_API_VERSION,
      'Cache-Control': 'no-cache, no-store',
      ...response.headers,
    };
    const idempotencyKey = header(req, 'idempotency-key');
    if (req.method === 'POST' && idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
    let body = response.body;
    const error = (body as { error?: Record<string, unknown> } | undefined)?.error;
    if (response.status >= 400 && error && typeof error === 'object' && !('request_log_url' in error)) {
      body = {
        error: {
          ...error,
          request_log_url: `https://dashboard.stripe.com/test/logs/${requestId}?t=${Math.floor(Date.now() / 1000)}`,
        },
      };
    }
    return { ...response, headers, body };
  }

  const middleware: NonNullable<SandboxServerOptions['middleware']> = async (req, next) => {
    // The hosted Checkout page is a browser's: no API key, no Stripe API headers.
    if (req.path.startsWith(HOSTED_PREFIX)) return next();
    mintRequestId(req);
    try {
      const key = presentedKey(req);
      if (key !== API_KEY && key !== RESTRICTED_KEY) return decorate(authError(key), req);
      const form = formFor(req);
      const idempotencyKey = header(req, 'idempotency-key');
      if (req.method !== 'POST' || idempotencyKey === undefined) return decorate(await next(), req);

      if (idempotencyKey.length > 255) {
        throw invalidRequest('Idempotency keys can be at most 255 characters long.', {
          param: 'Idempotency-Key',
        });
      }
      const slot = `${key}\n${idempotencyKey}`;
      const previous = stored.get(slot);
      if (previous && Date.now() - previous.at < IDEMPOTENCY_TTL_MS) {
        if (previous.method !== req.method || previous.path !== req.path) {
          throw stripeError(400, {
            type: 'idempotency_error',
            message: `Keys for idempotent requests can only be used for the same endpoint they were first used for ('${previous.method} ${previous.path}' vs '${req.method} ${req.path}'). Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
          });
        }
        if (previous.fingerprint !== fingerprint(form)) {
          throw stripeError(400, {
            type: 'idempotency_error',
            message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
          });
        }
        return decorate(
          {
            ...previous.response,
            headers: {
              ...previous.response.headers,
              'Request-Id': mintRequestId(req),
              'Original-Request': previous.requestId,
              'Idempotent-Replayed': 'true',
            },
          },
          req,
        );
      }
      if (inFlight.has(slot)) {
        throw stripeError(409, {
          type: 'idempotency_error',
          code: 'idempotency_key_in_use',
          message: `There is currently another in-progress request using this idempotent key (that probably means you submitted twice, and the other request is still going through): ${idempotencyKey}. Please try again later.`,
        });
      }
      inFlight.add(slot);
      try {
        const response = decorate(await next(), req);
        if (response.status < 300 || response.status === 402) {
          const { 'Request-Id': _drop, ...headers } = response.headers ?? {};
          stored.set(slot, {
            method: req.method,
            path: req.path,
            fingerprint: fingerprint(form),
            response: { ...response, headers },
            requestId: mintRequestId(req),
            at: Date.now(),
          });
        }
        return response;
      } finally {
        inFlight.delete(slot);
      }
    } catch (error) {
      if (error instanceof ResponseError) return decorate(error.response, req);
      throw error;
    }
  };

  /** Errors the kit produces itself (unknown route, faults, body too large, crashes), in Stripe's shape. */
  const errorResponse: SandboxServerOptions['errorResponse'] = (status, message, req, extra) => {
    if (status === 404 || status === 405) {
      return decorate(
        stripeErrorResponse(404, {
          type: 'invalid_request_error',
          message: `Unrecognized request URL (${req.method}: ${req.path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
        }),
        req,
      );
    }
    if (status === 401) return decorate(authError(undefined), req);
    if (status === 429) {
      const headers: Record<string, string> = { 'Stripe-Should-Retry': 'true' };
      if (extra?.retryAfterSeconds !== undefined) headers['Retry-After'] = String(extra.retryAfterSeconds);
      return decorate(
        stripeErrorResponse(
          429,
          {
            type: 'invalid_request_error',
            code: 'rate_limit',
            message:
              'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.',
          },
          headers,
        ),
        req,
      );
    }
    if (status >= 500) {
      return decorate(
        stripeErrorResponse(status, { type: 'api_error', message }, { 'Stripe-Should-Retry': 'true' }),
        req,
      );
    }
    if (status === 402) {
      return decorate(
        stripeErrorResponse(402, {
          type: 'card_error',
          code: 'card_declined',
          decline_code: 'generic_decline',
          message,
        }),
        req,
      );
    }
    return decorate(stripeErrorResponse(status, { type: 'invalid_request_error', message }), req);
  };

  return {
    middleware,
    errorResponse,
    reset() {
      random = createRandom(`stripe-requests:${seed}`);
      stored = new Map();
    },
    /** The request-id stream and the idempotency keys seen: a restart must still replay a retried POST. */
    snapshot: () => ({ random: random.position(), stored }),
    restore(saved: { random: number; stored: Map<string, StoredResult> }) {
      random.seek(saved.random);
      stored = saved.stored;
    },
  };
}
