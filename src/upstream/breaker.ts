/**
 * A circuit breaker per workspace and vendor. Closed, calls go through and their outcomes are
 * counted in one-second buckets. After sustained failures (a failure ratio over a rolling window
 * with enough calls to mean something, or a run of consecutive failures) it opens: calls fail at
 * once, without touching the vendor, so a vendor that is down gets no load from us and callers get
 * their answer (stale data, or a clear error) in microseconds. After a cool-down one call goes
 * through as a probe (half-open): success closes the breaker, failure opens it again for twice as
 * long, up to a ceiling.
 *
 * Only failures that say the vendor is unwell count: 5xx, timeouts, dropped connections. A 4xx is
 * the vendor working (it rejected the input), and a 429 is the rate budget's business.
 */
export type CircuitState = 'closed' | 'open' | 'half_open';

export interface BreakerOptions {
  /** Rolling window the failure ratio is measured over. */
  windowMs?: number;
  /** Calls in the window before the ratio is trusted. */
  minCalls?: number;
  /** Failure share that opens the breaker. 0.6 leaves room for a vendor failing 30% of calls. */
  failureRatio?: number;
  /** Failures in a row that open it whatever the ratio (a quiet source that is down). */
  consecutiveFailures?: number;
  /** First cool-down before a probe; doubles after each failed probe. */
  openMs?: number;
  maxOpenMs?: number;
  onStateChange?: (state: CircuitState) => void;
}

export type Admission = { allowed: true; probe: boolean } | { allowed: false; retryAfterMs: number };

export interface BreakerSnapshot {
  state: CircuitState;
  /** When the next probe may go (open), or null. */
  nextProbeAt: Date | null;
  openedAt: Date | null;
  /** Over the last minute. */
  recentCalls: number;
  recentFailures: number;
  recentErrorRate: number;
}

export interface CircuitBreaker {
  /** Whether a call may go now. A probe must end in `success`, `failure` or `abandon`. */
  admit(): Admission;
  success(): void;
  /** `probe`: the call was the half-open probe (admitted with `probe: true`). */
  failure(probe?: boolean): void;
  /** The admitted call was not sent (its caller gave up waiting for a rate slot). */
  abandon(): void;
  snapshot(): BreakerSnapshot;
}

const STATS_SECONDS = 60;

export function createCircuitBreaker(options: BreakerOptions = {}): CircuitBreaker {
  const {
    windowMs = 10_000, // 10 seconds
    minCalls = 20,
    failureRatio = 0.6,
    consecutiveFailures = 15,
    openMs = 5_000, // 5 seconds
    maxOpenMs = 60_000, // 1 minute
    onStateChange,
  } = options;
  let state: CircuitState = 'closed';
  let openedAt = 0;
  let nextProbeAt = 0;
  let cooldown = openMs;
  let probing = false;
  let inARow = 0;
  // Ring of one-second buckets: [second, calls, failures].
  const buckets: Array<[number, number, number]> = [];

  const record = (failed: boolean) => {
    const second = Math.floor(Date.now() / 1000);
    let last = buckets[buckets.length - 1];
    if (!last || last[0] !== second) {
      buckets.push((last = [second, 0, 0]));
      while (buckets.length > 0 && (buckets[0] as [number, number, number])[0] <= second - STATS_SECONDS)
        buckets.shift();
    }
    last[1]++;
    if (failed) last[2]++;
  };
  const totals = (spanMs: number) => {
    const from = Math.floor((Date.now() - spanMs) / 1000);
    let calls = 0;
    let failures = 0;
    for (const [second, c, f] of buckets) {
      if (second > from) {
        calls += c;
        failures += f;
      }
    }
    return { calls, failures };
  };
  const move = (next: CircuitState) => {
    if (state === next) return;
    state = next;
    onStateChange?.(next);
  };
  const open = () => {
    openedAt = Date.now();
    nextProbeAt = openedAt + cooldown;
    probing = false;
    move('open');
  };

  return {
    admit() {
      if (state === 'closed') return { allowed: true, probe: false };
      const now = Date.now();
      if (!probing && now >= nextProbeAt) {
        probing = true;
        move('half_open');
        return { allowed: true, probe: true };
      }
      return { allowed: false, retryAfterMs: Math.max(0, nextProbeAt - now) || cooldown };
    },
    success() {
      record(false);
      inARow = 0;
      if (state !== 'closed') {
        probing = false;
        cooldown = openMs;
        buckets.length = 0; // the failures before the outage must not reopen it at once
        move('closed');
      }
    },
    failure(probe = false) {
      record(true);
      inARow++;
      if (state !== 'closed') {
        // Calls sent before the breaker opened may still fail; only the probe decides.
        if (probe) {
          cooldown = Math.min(maxOpenMs, cooldown * 2);
          open();
        }
        return;
      }
      const { calls, failures } = totals(windowMs);
      if (inARow >= consecutiveFailures || (calls >= minCalls && failures / calls >= failureRatio)) open();
    },
    abandon() {
      if (probing) probing = false;
    },
    snapshot() {
      const { calls, failures } = totals(STATS_SECONDS * 1000);
      return {
        state,
        nextProbeAt: state === 'closed' ? null : new Date(nextProbeAt),
        openedAt: state === 'closed' ? null : new Date(openedAt),
        recentCalls: calls,
        recentFailures: failures,
        recentErrorRate: calls ? failures / calls : 0,
      };
    },
  };
}
