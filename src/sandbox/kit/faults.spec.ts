import { describe, expect, it } from 'vitest';
import { createFaultController, parseFaultRule } from './faults.ts';

const req = { method: 'GET', path: '/v1/customers', operation: 'customers.list' };

describe('fault rules', () => {
  it('rejects rules without an effect or with out-of-range values, naming the field', () => {
    expect(parseFaultRule({ share: 0.5 })).toMatch(/at least one effect/);
    expect(parseFaultRule({ status: 200 })).toMatch(/"status" must be a number from 400 to 599, got 200/);
    expect(parseFaultRule({ status: 503, share: 2 })).toMatch(/"share"/);
    expect(parseFaultRule({ status: 503, bogus: 1 })).toMatch(/unknown fault field "bogus"/);
    expect(parseFaultRule('503')).toMatch(/JSON object/);
    expect(parseFaultRule({ status: 429, retryAfterSeconds: 7, times: 1 })).toEqual({
      status: 429,
      retryAfterSeconds: 7,
      times: 1,
    });
  });

  it('applies a rule `times` times and then expires it', () => {
    const faults = createFaultController('t');
    faults.add({ status: 503, times: 2 });
    expect(faults.decide(req)?.status).toBe(503);
    expect(faults.decide(req)?.status).toBe(503);
    expect(faults.decide(req)).toBeUndefined();
    expect(faults.list()).toHaveLength(0);
  });

  it('filters by operation, method and path prefix', () => {
    const faults = createFaultController('t');
    faults.add({ latencyMs: 100, operations: ['customers.retrieve'] });
    faults.add({ drop: true, methods: ['post'] });
    faults.add({ status: 500, pathPrefix: '/v1/refunds' });
    expect(faults.decide(req)).toBeUndefined();
    expect(faults.decide({ ...req, operation: 'customers.retrieve' })?.latencyMs).toBe(100);
    expect(faults.decide({ ...req, method: 'POST' })?.drop).toBe(true);
    expect(faults.decide({ ...req, path: '/v1/refunds/re_1' })?.status).toBe(500);
  });

  it('hits roughly the requested share of requests, reproducibly from the seed', () => {
    const run = () => {
      const faults = createFaultController('share-seed');
      faults.add({ status: 503, share: 0.3 });
      let hits = 0;
      for (let i = 0; i < 2_000; i++) if (faults.decide(req)) hits++;
      return hits;
    };
    const hits = run();
    expect(hits).toBeGreaterThan(520);
    expect(hits).toBeLessThan(680);
    expect(run()).toBe(hits);
  });

  it('combines latency with a status from the first rule that sets one', () => {
    const faults = createFaultController('t');
    faults.add({ latencyMs: 50 });
    faults.add({ status: 429, retryAfterSeconds: 7 });
    faults.add({ status: 503 });
    expect(faults.decide(req)).toMatchObject({
      latencyMs: 50,
      status: 429,
      retryAfterSeconds: 7,
      drop: false,
    });
  });
});
