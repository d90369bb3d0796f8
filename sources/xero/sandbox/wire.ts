/**
 * Xero's wire conventions: Microsoft JSON dates, decimal money, the response envelope and the
 * three error shapes the Accounting API uses (ApiException for validation and parse errors,
 * RFC 7807 problem details from the gateway for auth, limits and outages, and a bare text body
 * for 404).
 * Docs: https://developer.xero.com/documentation/api/accounting/responsecodes
 */
import { ResponseError, type SandboxRequest, type SandboxResponse } from '../../../src/sandbox/kit/http.ts';

/** `/Date(1573755038314+0000)/`, as records carry it (UpdatedDateUTC, invoice Date, payment Date). */
export const msDate = (ms: number): string => `/Date(${ms}+0000)/`;

/** `2019-11-14T00:00:00`: the `DateString` siblings of invoice dates (no zone, no millis). */
export const dateString = (ms: number): string => new Date(ms).toISOString().slice(0, 19);

/** `2019-03-12T23:10:38Z`: the `UpdatedDateUTCString` some resources carry. */
export const utcString = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** Pence to pounds for the wire. */
export const money = (minor: number): number => Math.round(minor) / 100;

/** Pounds from the wire to pence; undefined when the value is not a finite number. */
export function toMinor(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) return undefined;
  return Math.round(n * 100);
}

export const startOfUtcDay = (ms: number): number => {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
};

/**
 * Dates Xero accepts in request bodies: `2019-03-12`, `2019-03-12T00:00:00`, full ISO strings,
 * and the `/Date(ms+0000)/` form it sends back. Returns epoch ms (undefined when unparseable).
 */
export function parseXeroDate(value: unknown): number | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.getTime();
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const ms = /^\/Date\((-?\d+)([+-]\d{4})?\)\/$/.exec(value.trim());
  if (ms) return Number(ms[1]);
  const text = value.trim();
  // A date-time without a zone is the organisation's local date; the sandbox org runs on UTC.
  const iso = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$/.test(text)
    ? `${text}${text.length === 10 ? 'T00:00:00' : ''}Z`
    : text;
  const parsed = Date.parse(iso);
  return Number.isNaN(parsed) ? undefined : parsed;
}

/** `If-Modified-Since`: ISO 8601 (zone optional, UTC assumed) or RFC 1123. Invalid values are ignored, as HTTP says. */
export function parseIfModifiedSince(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  return parseXeroDate(value);
}

export const PROVIDER_NAME = 'Switchboard Xero Sandbox';

/** The envelope every Accounting API response is wrapped in. */
export function envelope(
  req: SandboxRequest,
  now: number,
  body: Record<string, unknown>,
): Record<string, unknown> {
  return {
    Id: req.requestId,
    Status: 'OK',
    ProviderName: PROVIDER_NAME,
    DateTimeUTC: `/Date(${now})/`,
    ...body,
  };
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Payload Too Large',
  429: 'Too Many Requests',
  500: 'An error occurred',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** The gateway's problem-details body (401 TokenExpired, 403, 429, 5xx). */
export function problem(
  status: number,
  detail: string,
  req: SandboxRequest,
  headers: Record<string, string> = {},
): SandboxResponse {
  return {
    status,
    headers,
    body: {
      Type: null,
      Title: TITLES[status] ?? `HTTP ${status}`,
      Status: status,
      Detail: detail,
      Instance: req.requestId,
      Extensions: {},
    },
  };
}

/** Xero answers an unknown id (and an unknown path) with this text, not JSON. */
export const NOT_FOUND_TEXT = "The resource you're looking for cannot be found";

export const notFound = (): SandboxResponse => ({
  status: 404,
  headers: { 'Content-Type': 'text/plain; charset=utf-8' },
  body: NOT_FOUND_TEXT,
});

/** ApiException: ErrorNumber 10 (validation), 14 (post data invalid), 16 (query parse). */
export function apiException(
  errorNumber: number,
  type: string,
  message: string,
  elements?: unknown[],
): SandboxResponse {
  return {
    status: 400,
    body: {
      ErrorNumber: errorNumber,
      Type: type,
      Message: message,
      ...(elements ? { Elements: elements } : {}),
    },
  };
}

export const validationException = (elements: unknown[]): SandboxResponse =>
  apiException(10, 'ValidationException', 'A validation exception occurred', elements);

export const queryParseError = (message: string): ResponseError =>
  new ResponseError(apiException(16, 'QueryParseException', message));

export const postDataInvalid = (message: string): ResponseError =>
  new ResponseError(apiException(14, 'PostDataInvalidException', message));

/** OAuth errors from identity.xero.com: `{"error":"invalid_grant"}`. */
export const oauthError = (status: number, error: string, description?: string): SandboxResponse => ({
  status,
  headers: { 'Cache-Control': 'no-store' },
  body: description ? { error, error_description: description } : { error },
});

/** MM/dd/yyyy HH:mm:ss, as in `TokenExpired: token expired at 03/10/2021 02:39:30`. */
export function usDateTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())}/${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

export const isGuid = (value: string): boolean =>
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads `{ <Key>: [ ... ] }` (the batch form) from a parsed body, or throws the 400 Xero gives. */
export function batchItems(body: unknown, key: string): Record<string, unknown>[] {
  if (!isRecord(body))
    throw postDataInvalid(`JSON for post data was invalid: expected an object with "${key}".`);
  const list = body[key];
  if (!Array.isArray(list))
    throw postDataInvalid(`JSON for post data was invalid: "${key}" must be an array.`);
  if (list.length === 0) throw postDataInvalid(`JSON for post data was invalid: "${key}" is empty.`);
  return list.map((item, i) => {
    if (!isRecord(item))
      throw postDataInvalid(`JSON for post data was invalid: ${key}[${i}] must be an object.`);
    return item;
  });
}

export const str = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
