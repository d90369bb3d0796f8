import { ResponseError, type SandboxResponse } from '../../../src/sandbox/kit/http.ts';

/**
 * Google's JSON error envelope and the errors the Calendar API answers with.
 * https://developers.google.com/calendar/api/guides/errors
 *
 * Calendar v3 errors carry `code`, `message` and an `errors` list of `{domain, reason, message,
 * location?, locationType?}`; only the 401 also carries the newer `status` string.
 */
export interface GoogleErrorItem {
  message: string;
  domain: string;
  reason: string;
  location?: string;
  locationType?: 'parameter' | 'header';
}

export function googleError(
  code: number,
  message: string,
  errors: GoogleErrorItem | GoogleErrorItem[],
  extra: { status?: string; headers?: Record<string, string> } = {},
): SandboxResponse {
  return {
    status: code,
    headers: { 'Content-Type': 'application/json; charset=UTF-8', ...extra.headers },
    body: {
      error: {
        code,
        message,
        errors: Array.isArray(errors) ? errors : [errors],
        ...(extra.status ? { status: extra.status } : {}),
      },
    },
  };
}

/** Answers the request with a Google error from anywhere below a handler. */
export function fail(response: SandboxResponse): never {
  throw new ResponseError(response);
}

const item = (
  reason: string,
  message: string,
  domain = 'global',
  location?: string,
  locationType?: 'parameter' | 'header',
): GoogleErrorItem => ({
  message,
  domain,
  reason,
  ...(location ? { location } : {}),
  ...(locationType ? { locationType } : {}),
});

export const errors = {
  unauthorized: () =>
    googleError(
      401,
      'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.',
      item('authError', 'Invalid Credentials', 'global', 'Authorization', 'header'),
      {
        status: 'UNAUTHENTICATED',
        headers: { 'WWW-Authenticate': 'Bearer realm="https://accounts.google.com/", error="invalid_token"' },
      },
    ),
  notFound: (message = 'Not Found') => googleError(404, message, item('notFound', message)),
  /** Google's answer to an unparseable timestamp and other malformed requests: no detail at all. */
  badRequest: (message = 'Bad Request') => googleError(400, message, item('badRequest', message)),
  parseError: () => googleError(400, 'Parse Error', item('parseError', 'Parse Error')),
  invalid: (message: string, location?: string, locationType?: 'parameter' | 'header') =>
    googleError(400, message, item('invalid', message, 'global', location, locationType)),
  invalidParameter: (parameter: string, message: string) =>
    googleError(400, message, item('invalidParameter', message, 'global', parameter, 'parameter')),
  required: (message: string, location?: string) =>
    googleError(
      400,
      message,
      item('required', message, 'global', location, location ? 'parameter' : undefined),
    ),
  timeRangeEmpty: (location?: string) =>
    googleError(
      400,
      'The specified time range is empty.',
      item(
        'timeRangeEmpty',
        'The specified time range is empty.',
        'calendar',
        location,
        location ? 'parameter' : undefined,
      ),
    ),
  duplicate: () =>
    googleError(
      409,
      'The requested identifier already exists.',
      item('duplicate', 'The requested identifier already exists.'),
    ),
  deleted: () => googleError(410, 'Resource has been deleted', item('deleted', 'Resource has been deleted')),
  fullSyncRequired: () =>
    googleError(
      410,
      'Sync token is no longer valid, a full sync is required.',
      item('fullSyncRequired', 'Sync token is no longer valid, a full sync is required.', 'calendar'),
    ),
  channelIdNotUnique: (id: string) =>
    googleError(
      400,
      `Channel id ${id} not unique`,
      item('channelIdNotUnique', `Channel id ${id} not unique`),
    ),
  preconditionFailed: () =>
    googleError(
      412,
      'Precondition Failed',
      item('conditionNotMet', 'Precondition Failed', 'global', 'If-Match', 'header'),
    ),
};

/**
 * The envelope for errors the kit produces (unknown path, 405, 413, injected faults, crashes).
 * Injected 429/5xx use Google's canonical messages, so clients see exactly what Google sends.
 */
export function kitErrorResponse(
  status: number,
  message: string,
  extra: { retryAfterSeconds?: number } = {},
): SandboxResponse {
  switch (status) {
    case 400:
      return message.startsWith('Invalid JSON') ? errors.parseError() : errors.badRequest(message);
    case 401:
      return errors.unauthorized();
    case 403:
      return googleError(403, 'Forbidden', item('forbidden', 'Forbidden'));
    case 404:
      return errors.notFound(message);
    case 405:
      return googleError(405, message, item('httpMethodNotAllowed', message));
    case 409:
      return errors.duplicate();
    case 410:
      return errors.deleted();
    case 412:
      return errors.preconditionFailed();
    case 413:
      return googleError(413, message, item('uploadTooLarge', message));
    case 429:
      return googleError(
        429,
        'Rate Limit Exceeded',
        item('rateLimitExceeded', 'Rate Limit Exceeded', 'usageLimits'),
        extra.retryAfterSeconds !== undefined
          ? { headers: { 'Retry-After': String(extra.retryAfterSeconds) } }
          : {},
      );
    case 503:
      return googleError(
        503,
        'The service is currently unavailable.',
        item('backendError', 'The service is currently unavailable.'),
      );
    default:
      if (status >= 500) return googleError(status, 'Backend Error', item('backendError', 'Backend Error'));
      return googleError(status, message, item('badRequest', message));
  }
}
