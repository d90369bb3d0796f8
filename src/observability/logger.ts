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

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      name: 'switchboard',
      level:
        process.env.LOG_LEVEL ?? (process.env.NODE_ENV === 'test' || process.env.VITEST ? 'silent' : 'info'),
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      ...options,
    },
    // Synchronous, so log lines and the start-up banner come out in the order they happened.
    pino.destination({ sync: true }),
  );
}
