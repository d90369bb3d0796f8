import { describe, expect, it } from 'vitest';
import { createActivity } from './activity.ts';

describe('a connection’s last hour', () => {
  it('counts calls, failures, latency and webhook lag per minute, with quiet minutes as zeros', () => {
    let now = Date.UTC(2026, 11, 4, 10, 0, 5);
    const activity = createActivity(() => now);
    for (const ms of [10, 20, 30, 40, 100]) activity.call(200, ms);
    activity.call(503, 5);
    activity.call(0, 7);
    activity.call(404, 3); // the vendor answered: a refusal is not a failing connection
    activity.webhook(12);
    activity.webhook(Number.NaN); // a time that did not parse is not a sample
    now += 2 * 60_000;
    activity.call(429, 50);

    const [first, quiet, last] = activity.minutes(3);
    expect(first).toMatchObject({
      at: new Date(Date.UTC(2026, 11, 4, 10, 0)),
      calls: 8,
      errors: 2,
      webhooks: 1,
    });
    expect(first!.latencyP50Ms).toBe(10);
    expect(first!.latencyP95Ms).toBe(100);
    expect(first!.webhookLagP95Ms).toBe(12);
    expect(quiet).toMatchObject({
      calls: 0,
      errors: 0,
      latencyP95Ms: null,
      webhooks: 0,
      webhookLagP95Ms: null,
    });
    expect(last).toMatchObject({ calls: 1, errors: 1, latencyP50Ms: 50 });
  });

  it('keeps an hour and bounded samples', () => {
    let now = 0;
    const activity = createActivity(() => now);
    for (let minute = 0; minute < 90; minute++) {
      now = minute * 60_000;
      activity.call(200, minute);
    }
    const hour = activity.minutes(500);
    expect(hour).toHaveLength(60);
    expect(hour[0]!.latencyP50Ms).toBe(30);
    for (let i = 0; i < 10_000; i++) activity.call(200, i % 100);
    expect(activity.minutes(1)[0]!.calls).toBe(10_001);
    expect(activity.minutes(1)[0]!.latencyP95Ms).toBeGreaterThan(80);
  });
});
