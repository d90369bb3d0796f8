import { pino, type Logger, type LoggerOptions } from 'pino';

/**
 * Structured logs (JSON lines). Credentials never reach the log: every path that can carry one is
 * redacted, wherever it sits in the logged object.
 */
export const REDACT_PATHS = [
  'authorization',
  '*.authorization',
  '*.*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  '*.accessToken',
  '*.refreshToken',
  '*.apiKey',
  '*.clientSecret',
  '*.webhookSecret',
  '*.webhookKey',
  '*.password',
  'accessToken',
  'refreshToken',
  'apiKey',
  'clientSecret',
  'access_token',
  'refresh_token',
  '*.access_token',
  '*.refresh_token',
];

const EMAIL = /[\w.+-]+@[\w-]+(\.[\w-]+)+/g;
/** Phone numbers and other long runs of digits (`+44 7700 900123`, `07700900123`); not dates. */
const NUMBER = /\+?\d[\d ()-]{6,}\d/g;
const PHONE_DIGITS = 9;
/** A Switchboard key's text or a bearer token, wherever it appears. */
const CREDENTIAL = /\b(sbpk|sb)_(live|test)_[0-9A-Za-z]{12}_[0-9A-Za-z]{43}\b|\bBearer\s+\S+/g;

/**
 * Masks what looks like personal data or a credential in a text bound for the logs: email
 * addresses, phone-like numbers, keys. A last line of defence: code should not log such text at all.
 */
export function scrub(text: string): string {
  return text
    .replace(CREDENTIAL, '[credential]')
    .replace(EMAIL, '[email]')
    .replace(NUMBER, (run) => (run.replace(/\D/g, '').length >= PHONE_DIGITS ? '[number]' : run));
}

interface ErrorLike extends Error {
  code?: unknown;
  extensions?: Record<string, unknown>;
  path?: readonly (string | number)[];
  originalError?: unknown;
}

/**
 * An error as the logs may carry it: its class, scrubbed message, code and path, and the same for
 * its cause or original error. Never a GraphQL error's source (the query text with its literals),
 * its printed location, or variables.
 */
export function safeError(error: unknown, depth = 0): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: scrub(String(error)) };
  const e = error as ErrorLike;
  const out: Record<string, unknown> = { type: e.name, message: scrub(e.message) };
  const code = e.extensions?.code ?? e.code;
  if (code !== undefined) out.code = code;
  if (e.path) out.path = e.path;
  if (e.name !== 'GraphQLError' && e.stack) {
    out.stack = scrub(e.stack.split('\n').slice(1, 8).join('\n'));
  }
  const inner = e.originalError ?? e.cause;
  if (inner && depth < 3) out.cause = safeError(inner, depth + 1);
  return out;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      name: 'switchboard',
      level:
        process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' || process.env.VITEST ? 'silent' : 'info'),
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: { err: (error: unknown) => safeError(error) },
      hooks: {
        // Messages too: a vendor's error text can quote what it was sent.
        logMethod(args, method) {
          for (let i = 0; i < args.length; i++) {
            if (typeof args[i] === 'string') args[i] = scrub(args[i] as string);
          }
          method.apply(this, args);
        },
      },
      ...options,
    },
    // Synchronous, so log lines and the start-up banner come out in the order they happened.
    pino.destination({ sync: true }),
  );
}
