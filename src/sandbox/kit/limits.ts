/**
 * The admin surface for a sandbox's rate limits (`/__sandbox/limits`): read them with the current
 * usage, change them, or forget the calls counted so far. Each sandbox keeps its vendor's own
 * limiter; this is only how tests reach it.
 */
import type { Route } from './http.ts';

/** A limiter whose settings are named positive integers (`perMinute`, `concurrent`, …). */
export interface ConfigurableLimiter<L extends object> {
  settings(): L;
  configure(patch: Partial<L>): L;
  /** Forgets every counted call (not the settings). */
  reset(): void;
}

/** A `POST /__sandbox/limits` body: any of the defaults' keys as positive integers, and `reset`. */
export function parseLimitSettings<L extends object>(
  input: unknown,
  defaults: L,
): (Partial<L> & { reset?: boolean }) | string {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    return 'limits must be a JSON object';
  const out: Partial<L> & { reset?: boolean } = {};
  for (const [key, value] of Object.entries(input)) {
    if (key === 'reset') {
      if (typeof value !== 'boolean') return '"reset" must be true or false';
      out.reset = value;
    } else if (key in defaults) {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
        return `"${key}" must be a positive integer`;
      (out as Record<string, number>)[key] = value;
    } else return `unknown limit "${key}" (known: ${Object.keys(defaults).join(', ')}, reset)`;
  }
  return out;
}

/** `GET` and `POST /__sandbox/limits`; `usage` says what has been counted against them. */
export function limitRoutes<L extends object>(
  limiter: ConfigurableLimiter<L>,
  defaults: L,
  usage: () => unknown,
): Route[] {
  return [
    {
      method: 'GET',
      path: '/__sandbox/limits',
      operation: 'admin.limits.get',
      handler: () => ({ status: 200, body: { limits: limiter.settings(), usage: usage() } }),
    },
    {
      method: 'POST',
      path: '/__sandbox/limits',
      operation: 'admin.limits.configure',
      handler: (req) => {
        const parsed = parseLimitSettings(req.json(), defaults);
        if (typeof parsed === 'string') return { status: 400, body: { error: parsed } };
        const { reset, ...patch } = parsed;
        if (reset) limiter.reset();
        return { status: 200, body: { limits: limiter.configure(patch as Partial<L>), usage: usage() } };
      },
    },
  ];
}
