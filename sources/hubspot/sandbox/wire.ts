/**
 * HubSpot's error envelopes and small request-parsing helpers shared by the route files.
 * Error format: https://developers.hubspot.com/docs/api/error-handling
 */
import { randomUUID } from 'node:crypto';
import { ResponseError, type SandboxRequest, type SandboxResponse } from '../../../src/sandbox/kit/http.ts';

export interface HubspotErrorDetail {
  message: string;
  code?: string;
  in?: string;
  subCategory?: string;
  context?: Record<string, string[]>;
}

export interface HubspotErrorBody {
  status: 'error';
  message: string;
  correlationId: string;
  category?: string;
  subCategory?: string;
  errors?: HubspotErrorDetail[];
  context?: Record<string, string[]>;
}

const CATEGORY_BY_STATUS: Record<number, string> = {
  400: 'VALIDATION_ERROR',
  401: 'INVALID_AUTHENTICATION',
  403: 'MISSING_SCOPES',
  404: 'OBJECT_NOT_FOUND',
  405: 'VALIDATION_ERROR',
  409: 'CONFLICT',
  413: 'VALIDATION_ERROR',
  415: 'VALIDATION_ERROR',
  429: 'RATE_LIMITS',
};

export const AUTH_MESSAGE =
  'Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview';

export const HAPIKEY_MESSAGE =
  'The API key provided is invalid. View or manage your API key here: https://app.hubspot.com/l/api-key/';

/** A HubSpot JSON error response. */
export function hubspotError(
  status: number,
  message: string,
  extra: Partial<Omit<HubspotErrorBody, 'status' | 'message'>> & { headers?: Record<string, string> } = {},
): SandboxResponse {
  const { headers, ...rest } = extra;
  const category = rest.category ?? CATEGORY_BY_STATUS[status];
  const body: HubspotErrorBody = {
    status: 'error',
    message,
    correlationId: rest.correlationId ?? randomUUID(),
    ...(category ? { category } : {}),
    ...(rest.subCategory ? { subCategory: rest.subCategory } : {}),
    ...(rest.errors ? { errors: rest.errors } : {}),
    ...(rest.context ? { context: rest.context } : {}),
  };
  return { status, headers, body };
}

/** Throws a HubSpot error out of any depth of handler code. */
export function fail(status: number, message: string, extra?: Parameters<typeof hubspotError>[2]): never {
  throw new ResponseError(hubspotError(status, message, extra));
}

export function badRequest(message: string, extra?: Parameters<typeof hubspotError>[2]): never {
  return fail(400, message, extra);
}

/** The 429 body HubSpot sends when the ten-secondly (or daily / secondly) policy trips. */
export function rateLimitResponse(
  policy: 'TEN_SECONDLY_ROLLING' | 'DAILY' | 'SECONDLY',
  groupName: string,
  headers: Record<string, string> = {},
): SandboxResponse {
  const message =
    policy === 'TEN_SECONDLY_ROLLING'
      ? 'You have reached your ten_secondly_rolling limit.'
      : policy === 'DAILY'
        ? 'You have reached your daily limit.'
        : 'You have reached your secondly limit.';
  return {
    status: 429,
    headers,
    body: {
      status: 'error',
      message,
      errorType: 'RATE_LIMIT',
      correlationId: randomUUID(),
      policyName: policy,
      groupName,
    },
  };
}

/** The JSON body as an object, or HubSpot's 400. */
export function jsonObject(req: SandboxRequest): Record<string, unknown> {
  const body = req.json();
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    badRequest('Invalid input JSON: expected a JSON object as the request body.');
  }
  return body as Record<string, unknown>;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `properties=a&properties=b` and `properties=a,b` both work, as on HubSpot. */
export function listParam(query: URLSearchParams, name: string): string[] | undefined {
  const raw = query.getAll(name);
  if (raw.length === 0) return undefined;
  return raw
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
}

export function booleanParam(query: URLSearchParams, name: string): boolean {
  const raw = query.get(name);
  if (raw === null || raw === '') return false;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  return badRequest(`Unable to parse query parameter "${name}": expected true or false, got "${raw}".`);
}

/** A string list from a JSON body field, or 400. */
export function stringList(value: unknown, field: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    badRequest(`Invalid input JSON: "${field}" must be a list of strings.`);
  }
  return value as string[];
}
