/**
 * QuickBooks Online wire conventions: the `time` stamp every response carries, dates and
 * date-times in the company's time zone, decimal money, and the error shapes the API uses.
 *
 * Two error shapes exist on the wire, from two layers:
 * - The Accounting API itself answers `{"Fault":{"Error":[{"Message","Detail","code","element"}],
 *   "type":"ValidationFault"|"SystemFault"},"time":...}`: validation (400), stale objects (5010,
 *   400), objects not found (610, also 400: QBO has no JSON 404 for an unknown id), query errors
 *   (4000/4001, 400) and system errors (10000, 500).
 * - Intuit's gateway, in front of it, answers authentication (401, 3200), authorization (403,
 *   3100) and throttling (429, 3001) in a lowercase serialisation of the same response object:
 *   `{"warnings":null,"intuitObject":null,"fault":{"error":[{"message":"message=AuthenticationFailed;
 *   errorCode=003200; statusCode=401","detail":"Token expired: ...","code":"3200","element":null}],
 *   "type":"AUTHENTICATION"},...,"time":1730024394085,...}` (bodies captured from QBO and quoted in
 *   public client code and issue threads).
 * Docs: https://developer.intuit.com/app/developer/qbo/docs/develop/troubleshooting/error-codes
 *       https://developer.intuit.com/app/developer/qbo/docs/learn/rest-api-features
 */
import type { SandboxResponse } from '../../../src/sandbox/kit/http.ts';

/** The minor version the sandbox speaks. Since 1 August 2025 QBO ignores lower ones and answers as 75. */
export const MINOR_VERSION = 75;

export const JSON_TYPE = 'application/json;charset=UTF-8';

export interface FaultError {
  Message: string;
  Detail: string;
  code: string;
  element?: string;
}

export type FaultType = 'ValidationFault' | 'SystemFault' | 'AuthenticationFault' | 'AuthorizationFault';

/**
 * Thrown anywhere below a route (or a batch item) to answer with a QBO fault. The route wrapper
 * turns it into a response with the `time` stamp; the batch endpoint into a per-item `Fault`.
 */
export class QboFault extends Error {
  constructor(
    readonly status: number,
    readonly type: FaultType,
    readonly errors: FaultError[],
  ) {
    super(errors.map((e) => `${e.code} ${e.Message}: ${e.Detail}`).join('; '));
  }

  body(time: string): Record<string, unknown> {
    return { Fault: this.fault(), time };
  }

  fault(): Record<string, unknown> {
    return { Error: this.errors.map((e) => ({ ...e, element: e.element ?? '' })), type: this.type };
  }
}

export const validation = (code: string, Message: string, Detail: string, element?: string): QboFault =>
  new QboFault(400, 'ValidationFault', [{ Message, Detail, code, ...(element ? { element } : {}) }]);

/** 610: what QBO answers for an unknown or deleted id (HTTP 400, not 404). */
export const objectNotFound = (): QboFault =>
  validation(
    '610',
    'Object Not Found',
    "Object Not Found : Something you're trying to use has been made inactive. Check the fields with accounts, customers, items, vendors or employees.",
  );

/** 5010, as in the batch reference's sample response. */
export const staleObject = (): QboFault =>
  validation(
    '5010',
    'Stale Object Error',
    'Stale Object Error : You and root were working on this at the same time. root finished before you did, so your work was not saved.',
  );

/** 2020: a required field or parameter is missing. */
export const requiredParam = (name: string, element?: string): QboFault =>
  validation(
    '2020',
    'Required param missing, need to supply the required value for the API',
    `Required parameter ${name} is missing in the request`,
    element,
  );

/**
 * 2010: an unknown or malformed property, as QBO's JSON binding reports it:
 * `Property Name:Unrecognized field "Foo" (class com.intuit.schema.finance.v3.Customer), not
 * marked as ignorable specified is unsupported or invalid`.
 */
export const invalidProperty = (what: string, element?: string): QboFault =>
  validation(
    '2010',
    'Request has invalid or unsupported property',
    `Property Name:${what} specified is unsupported or invalid`,
    element,
  );

/** Rejects members QBO does not know on `entity` (it refuses them rather than ignoring them). */
export function checkProperties(
  entity: string,
  input: Record<string, unknown>,
  known: ReadonlySet<string>,
): void {
  for (const key of Object.keys(input))
    if (!known.has(key))
      throw invalidProperty(
        `Unrecognized field "${key}" (class com.intuit.schema.finance.v3.${entity}), not marked as ignorable`,
        key,
      );
}

/** 2500: a reference (CustomerRef, ItemRef, ...) to something that does not exist or is inactive. */
export const invalidReference = (detail: string, element?: string): QboFault =>
  validation('2500', 'Invalid Reference Id', `Invalid Reference Id : ${detail}`, element);

/** 6000: the catch-all business rule failure. */
export const businessValidation = (detail: string, element?: string): QboFault =>
  validation(
    '6000',
    'A business validation error has occurred while processing your request',
    `Business Validation Error: ${detail}`,
    element,
  );

/** 2050: a string too long (or too short) for its field. */
export const stringLength = (field: string, max: number, supplied: number): QboFault =>
  validation(
    '2050',
    'String length is either shorter or longer than supported by specification',
    `String length specified does not match the supported length. Min:0 Max:${max} supported. Supplied length:${supplied}`,
    field,
  );

/** 500 Unsupported Operation: unknown resources and operations (HTTP 400, ValidationFault). */
export const unsupportedOperation = (detail: string): QboFault =>
  validation('500', 'Unsupported Operation', `Operation ${detail} is not supported.`);

export const systemFault = (detail: string, status = 500): QboFault =>
  new QboFault(status, 'SystemFault', [
    {
      Message: 'An application error has occurred while processing your request',
      Detail: `System Failure Error: ${detail}`,
      code: '10000',
    },
  ]);

/** Intuit's gateway errors (401, 403, 429), in the gateway's own lowercase shape. */
export function gatewayError(
  status: number,
  name: string,
  errorCode: string,
  detail: string | null,
  type: 'AUTHENTICATION' | 'SERVICE',
  now: number,
  headers: Record<string, string> = {},
): SandboxResponse {
  return {
    status,
    headers: { 'Content-Type': JSON_TYPE, ...headers },
    body: {
      warnings: null,
      intuitObject: null,
      fault: {
        error: [
          {
            message: `message=${name}; errorCode=${errorCode.padStart(6, '0')}; statusCode=${status}`,
            detail,
            code: errorCode,
            element: null,
          },
        ],
        type,
      },
      report: null,
      queryResponse: null,
      batchItemResponse: [],
      attachableResponse: [],
      syncErrorResponse: null,
      requestId: null,
      time: now,
      status: null,
      cdcresponse: [],
    },
  };
}

export const authenticationFailed = (detail: string, now: number): SandboxResponse =>
  gatewayError(401, 'AuthenticationFailed', '3200', detail, 'AUTHENTICATION', now);

export const authorizationFailed = (name: string, detail: string | null, now: number): SandboxResponse =>
  gatewayError(403, name, '3100', detail, 'SERVICE', now);

/** 429 from the gateway: QBO documents no Retry-After (it says to wait 60 seconds). */
export const throttled = (now: number, headers: Record<string, string> = {}): SandboxResponse =>
  gatewayError(
    429,
    'ThrottleExceeded',
    '3001',
    'The request limit was reached.  Try again later',
    'SERVICE',
    now,
    headers,
  );

/** OAuth errors from oauth.platform.intuit.com: `{"error":"invalid_grant"}`. */
export const oauthError = (status: number, error: string, description?: string): SandboxResponse => ({
  status,
  headers: { 'Content-Type': JSON_TYPE, 'Cache-Control': 'no-store' },
  body: description ? { error, error_description: description } : { error },
});

// ---------------------------------------------------------------------------------------------
// Time. QBO writes date-times in the company's time zone with its UTC offset
// (`2015-07-23T10:49:57-07:00`), the `time` stamp with milliseconds, dates as `YYYY-MM-DD`.

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

const offsetFormats = new Map<string, Intl.DateTimeFormat>();

/** Offset of `timeZone` at `ms`, in minutes east of UTC. */
export function zoneOffsetMinutes(ms: number, timeZone: string): number {
  let format = offsetFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', { timeZone, timeZoneName: 'longOffset' });
    offsetFormats.set(timeZone, format);
  }
  const part = format.formatToParts(new Date(ms)).find((p) => p.type === 'timeZoneName')?.value;
  const match = /GMT([+-])(\d{2}):?(\d{2})?/.exec(part ?? '');
  if (!match) return 0;
  const minutes = Number(match[2]) * 60 + Number(match[3] ?? 0);
  return match[1] === '-' ? -minutes : minutes;
}

const offsetText = (minutes: number, colon = true) => {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${pad(Math.floor(abs / 60))}${colon ? ':' : ''}${pad(abs % 60)}`;
};

function localParts(ms: number, timeZone: string) {
  const offset = zoneOffsetMinutes(ms, timeZone);
  const local = new Date(ms + offset * 60_000);
  return { local, offset };
}

/** `2026-11-23T10:15:00+00:00`: MetaData.CreateTime / LastUpdatedTime. */
export function dateTime(ms: number, timeZone: string): string {
  const { local, offset } = localParts(ms, timeZone);
  return `${local.toISOString().slice(0, 19)}${offsetText(offset)}`;
}

/** `2026-11-23T10:15:00.123+00:00`: the `time` stamp of a response. */
export function responseTime(ms: number, timeZone: string): string {
  const { local, offset } = localParts(ms, timeZone);
  return `${local.toISOString().slice(0, 23)}${offsetText(offset)}`;
}

/** `2015-10-05T14:42:19-0700`: `lastUpdated` in webhook notifications, as Intuit's sample has it. */
export function webhookTime(ms: number, timeZone: string): string {
  const { local, offset } = localParts(ms, timeZone);
  return `${local.toISOString().slice(0, 19)}${offsetText(offset, false)}`;
}

/** The company's calendar date at `ms`: `YYYY-MM-DD`. */
export function localDate(ms: number, timeZone: string): string {
  return localParts(ms, timeZone).local.toISOString().slice(0, 10);
}

export const isDate = (value: string): boolean =>
  /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`));

export const addDays = (date: string, days: number): string =>
  new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

/**
 * Date-times QBO accepts in queries and `changedSince`: full ISO with offset or `Z`, a local
 * date-time without zone, or a bare date (both read in the company's zone). Epoch ms, or undefined.
 */
export function parseDateTime(value: string, timeZone: string): number | undefined {
  const text = value.trim();
  if (/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$/.test(text)) {
    const asUtc = Date.parse(text.length === 10 ? `${text}T00:00:00Z` : `${text}Z`);
    if (Number.isNaN(asUtc)) return undefined;
    return asUtc - zoneOffsetMinutes(asUtc, timeZone) * 60_000;
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(text)) return undefined;
  const parsed = Date.parse(text.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isNaN(parsed) ? undefined : parsed;
}

// ---------------------------------------------------------------------------------------------
// Money: pence in memory, pounds (decimals) on the wire.

export const money = (minor: number): number => Math.round(minor) / 100;

export function toMinor(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) return undefined;
  return Math.round(n * 100);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export const str = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;

/** `{"value":"12","name":"..."}` reference types; returns the id or undefined. */
export function refValue(value: unknown): string | undefined {
  if (!isRecord(value)) return undefined;
  return str(value.value)?.trim() || undefined;
}

export const GBP = { value: 'GBP', name: 'British Pound Sterling' } as const;
