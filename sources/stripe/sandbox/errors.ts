import { ResponseError, type SandboxResponse } from '../../../src/sandbox/kit/http.ts';

/**
 * Stripe's error envelope (https://docs.stripe.com/api/errors): `{ error: { type, code?, message,
 * param?, doc_url?, ... } }`. `request_log_url` and the `Request-Id` header are added by the
 * middleware (see decorate in middleware.ts), because only it knows the request id.
 */
export type StripeErrorType = 'invalid_request_error' | 'card_error' | 'api_error' | 'idempotency_error';

export interface StripeErrorBody {
  type: StripeErrorType;
  message: string;
  code?: string;
  param?: string;
  doc_url?: string;
  decline_code?: string;
  [extra: string]: unknown;
}

export function stripeErrorResponse(
  status: number,
  error: StripeErrorBody,
  headers: Record<string, string> = {},
): SandboxResponse {
  const docUrl = error.code
    ? `https://stripe.com/docs/error-codes/${error.code.replace(/_/g, '-')}`
    : undefined;
  return { status, headers, body: { error: { ...(docUrl ? { doc_url: docUrl } : {}), ...error } } };
}

/** A ResponseError carrying a Stripe error; throw it from anywhere inside a handler. */
export function stripeError(
  status: number,
  error: StripeErrorBody,
  headers?: Record<string, string>,
): ResponseError {
  return new ResponseError(stripeErrorResponse(status, error, headers));
}

export function invalidRequest(
  message: string,
  options: { param?: string; code?: string; status?: number } = {},
): ResponseError {
  return stripeError(options.status ?? 400, {
    type: 'invalid_request_error',
    message,
    ...(options.code ? { code: options.code } : {}),
    ...(options.param ? { param: options.param } : {}),
  });
}

/** Stripe's 404: "No such customer: 'cus_x'". `param` is `id` for path ids, or the body field. */
export function noSuch(objectName: string, id: string, param = 'id', status = 404): ResponseError {
  return invalidRequest(`No such ${objectName}: '${id}'`, { param, code: 'resource_missing', status });
}

export function missingParam(param: string): ResponseError {
  return invalidRequest(`Missing required param: ${param}.`, { param, code: 'parameter_missing' });
}

/** `sk_test_switchboard_sandbox` -> `sk_test_****dbox`, as Stripe masks keys in its 401 message. */
export function maskKey(key: string): string {
  const prefix = /^(sk|rk|pk)_(test|live)_/.exec(key)?.[0] ?? '';
  return `${prefix}****${key.slice(-4)}`;
}

export function authError(key: string | undefined): SandboxResponse {
  const message =
    key === undefined || key === ''
      ? "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/."
      : `Invalid API Key provided: ${maskKey(key)}`;
  return {
    status: 401,
    headers: { 'WWW-Authenticate': 'Basic realm="Stripe"' },
    body: { error: { message, type: 'invalid_request_error' } },
  };
}
