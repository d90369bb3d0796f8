/**
 * A sandbox's clock: the wall clock plus an offset that `POST /__sandbox/clock` moves forward, so
 * tests can expire tokens and age records without waiting.
 */
import type { Route, SandboxResponse } from './http.ts';

export interface Clock {
  now(): number;
  /** Moves the clock forward; returns the new now. */
  advance(seconds: number): number;
  offsetSeconds(): number;
}

export function createClock(): Clock {
  let offsetMs = 0;
  return {
    now: () => Date.now() + offsetMs,
    advance(seconds) {
      offsetMs += seconds * 1000;
      return Date.now() + offsetMs;
    },
    offsetSeconds: () => offsetMs / 1000,
  };
}

/** What the admin surface and `/__sandbox/state` say of the clock. */
export const describeClock = (clock: Clock) => ({
  now: new Date(clock.now()).toISOString(),
  offsetSeconds: clock.offsetSeconds(),
});

/** `GET /__sandbox/clock`, and `POST /__sandbox/clock` `{"advanceSeconds": n}` (forward only). */
export function clockRoutes(clock: Clock): Route[] {
  return [
    {
      method: 'GET',
      path: '/__sandbox/clock',
      operation: 'admin.clock.get',
      handler: () => ({ status: 200, body: describeClock(clock) }),
    },
    {
      method: 'POST',
      path: '/__sandbox/clock',
      operation: 'admin.clock.advance',
      handler: (req): SandboxResponse => {
        const input = req.json();
        const seconds =
          typeof input === 'object' && input !== null
            ? (input as Record<string, unknown>).advanceSeconds
            : undefined;
        if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0)
          return {
            status: 400,
            body: { error: '"advanceSeconds" must be a non-negative number (the clock only moves forward)' },
          };
        clock.advance(seconds);
        return { status: 200, body: describeClock(clock) };
      },
    },
  ];
}
