import { describe, expect, it } from 'vitest';
import { createCircuitBreaker, type CircuitState } from './breaker.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('circuit breaker', () => {
  it('opens after consecutive failures, fails fast, probes once, and closes on a good probe', async () => {
    const changes: CircuitState[] = [];
    const breaker = createCircuitBreaker({
      consecutiveFailures: 3,
      openMs: 100,
      onStateChange: (s) => changes.push(s),
    });
    for (let i = 0; i < 3; i++) {
      expect(breaker.admit()).toEqual({ allowed: true, probe: false });
      breaker.failure();
    }
    expect(breaker.snapshot().state).toBe('open');
    const refused = breaker.admit();
    expect(refused.allowed).toBe(false);
    expect(refused.allowed === false && refused.retryAfterMs).toBeGreaterThan(0);

    await sleep(110);
    expect(breaker.admit()).toEqual({ allowed: true, probe: true });
    expect(breaker.snapshot().state).toBe('half_open');
    expect(breaker.admit().allowed).toBe(false); // one probe at a time
    breaker.success();
    expect(breaker.snapshot().state).toBe('closed');
    expect(changes).toEqual(['open', 'half_open', 'closed']);
  });

  it('reopens for twice as long after a failed probe', async () => {
    const breaker = createCircuitBreaker({ consecutiveFailures: 1, openMs: 100 });
    breaker.failure();
    await sleep(110);
    expect(breaker.admit()).toEqual({ allowed: true, probe: true });
    breaker.failure(true);
    expect(breaker.snapshot().state).toBe('open');
    await sleep(110);
    expect(breaker.admit().allowed).toBe(false); // 200 ms now
    await sleep(100);
    expect(breaker.admit()).toEqual({ allowed: true, probe: true });
  });

  it('does not let failures of calls sent before it opened push the probe back', async () => {
    const breaker = createCircuitBreaker({ consecutiveFailures: 2, openMs: 100 });
    breaker.failure();
    breaker.failure();
    const opened = breaker.snapshot().nextProbeAt?.getTime();
    breaker.failure(); // a straggler
    expect(breaker.snapshot().nextProbeAt?.getTime()).toBe(opened);
  });

  it('opens on a failure ratio over enough calls, and stays closed at 30% failures', () => {
    const flaky = createCircuitBreaker({ minCalls: 20, failureRatio: 0.6, consecutiveFailures: 100 });
    // 30% failing, spread out as a vendor's 5xx would be.
    for (let i = 0; i < 200; i++) {
      flaky.admit();
      if (i % 10 < 3) flaky.failure();
      else flaky.success();
    }
    expect(flaky.snapshot().state).toBe('closed');
    expect(flaky.snapshot().recentErrorRate).toBeCloseTo(0.3, 2);

    const down = createCircuitBreaker({ minCalls: 20, failureRatio: 0.6, consecutiveFailures: 100 });
    for (let i = 0; i < 20; i++) {
      down.admit();
      if (i % 4 === 0) down.success();
      else down.failure();
    }
    expect(down.snapshot().state).toBe('open');
  });

  it('hands the probe back when the probing call was never sent', async () => {
    const breaker = createCircuitBreaker({ consecutiveFailures: 1, openMs: 50 });
    breaker.failure();
    await sleep(60);
    expect(breaker.admit()).toEqual({ allowed: true, probe: true });
    breaker.abandon();
    expect(breaker.admit()).toEqual({ allowed: true, probe: true });
  });
});
