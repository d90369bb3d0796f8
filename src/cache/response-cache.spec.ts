import { describe, expect, it } from 'vitest';
import { getOperationAST, parse } from 'graphql';
import { cacheableOperation, createResponseCache, hubTableChanged } from './response-cache.ts';

const DOC = parse('query Q($first: Int) { customers(first: $first) { edges { node { id } } } }');
const request = (overrides: Partial<Parameters<ReturnType<typeof createResponseCache>['key']>[0]> = {}) => ({
  workspace: 'w1',
  scopes: ['customers:read'],
  document: DOC,
  operationName: 'Q',
  variables: { first: 2 },
  ...overrides,
});
const RESULT = { data: { customers: { edges: [] } } };

/** A query that read one CRM contact and the links table, stored. */
function stored(cache = createResponseCache()) {
  const reads = cache.begin('w1')!;
  reads.record('hubspot', 'contact', '42', Date.now() + 60_000);
  reads.table('links');
  const key = cache.key(request());
  expect(cache.store(key, reads, RESULT)).toBe(true);
  return { cache, key };
}

describe('response cache: keys', () => {
  it('is one key for documents that differ only in layout, and variables only in key order', () => {
    const cache = createResponseCache();
    const spaced = parse(`query Q($first: Int) {
      customers(first: $first) {   edges { node { id } } }
    }`);
    expect(cache.key(request({ document: spaced }))).toBe(cache.key(request()));
    const a = cache.key(request({ variables: { first: 2, after: 'x' } }));
    const b = cache.key(request({ variables: { after: 'x', first: 2 } }));
    expect(a).toBe(b);
  });

  it('is another key for other scopes, another workspace, other variables or another operation', () => {
    const cache = createResponseCache();
    const base = cache.key(request());
    expect(cache.key(request({ scopes: ['customers:read', 'customers:pii'] }))).not.toBe(base);
    expect(cache.key(request({ workspace: 'w2' }))).not.toBe(base);
    expect(cache.key(request({ variables: { first: 3 } }))).not.toBe(base);
    expect(cache.key(request({ operationName: 'Other' }))).not.toBe(base);
    // Scope order is not a difference.
    const two = cache.key(request({ scopes: ['a', 'b'] }));
    expect(cache.key(request({ scopes: new Set(['b', 'a']) }))).toBe(two);
  });
});

describe('response cache: what is cached', () => {
  it('takes queries of customers, bookings, orders and invoices by id, and nothing else', () => {
    const op = (text: string) => getOperationAST(parse(text));
    expect(cacheableOperation(op('{ customers { totalCount } customer(id: "x") { id } }'))).toBe(true);
    expect(cacheableOperation(op('{ bookings(from: "a", to: "b") { totalCount } }'))).toBe(true);
    // Straight from the vendor, or the hub's own moving state: no invalidation covers them.
    expect(cacheableOperation(op('{ invoices { totalCount } }'))).toBe(false);
    expect(cacheableOperation(op('{ operations { totalCount } }'))).toBe(false);
    expect(cacheableOperation(op('{ node(id: "x") { id } }'))).toBe(false);
    expect(cacheableOperation(op('{ ...F } fragment F on Query { customers { totalCount } }'))).toBe(false);
    expect(cacheableOperation(op('mutation { createCustomer(input: {}) { id } }'))).toBe(false);
  });

  it('does not store a response that read something untracked', () => {
    const cache = createResponseCache();
    const reads = cache.begin('w1')!;
    reads.untracked('a CRM search');
    expect(cache.store(cache.key(request()), reads, RESULT)).toBe(false);
    expect(cache.size).toBe(0);
  });

  it('keeps a response no longer than the records it read are fresh', async () => {
    const cache = createResponseCache();
    const reads = cache.begin('w1')!;
    reads.record('hubspot', 'contact', '42', Date.now() + 30);
    const key = cache.key(request());
    cache.store(key, reads, RESULT);
    expect(cache.get(key)).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(cache.get(key)).toBeUndefined();
  });

  it('is bounded by the JSON it keeps (text and bytes): an answer over a tenth of the bound is not kept, and the oldest go first', () => {
    const cache = createResponseCache({ maxSize: 2_000 });
    const answer = (chars: number) => ({ data: { text: 'x'.repeat(chars) } });
    const store = (n: number, chars: number) => {
      const reads = cache.begin('w1')!;
      reads.record('hubspot', 'contact', `${n}`, Date.now() + 60_000);
      return cache.store(cache.key(request({ variables: { first: n } })), reads, answer(chars));
    };
    expect(store(0, 200)).toBe(false);
    for (let n = 1; n <= 20; n++) expect(store(n, 60)).toBe(true);
    expect(cache.size).toBeLessThan(20);
    const kept = cache.get(cache.key(request({ variables: { first: 20 } })))!;
    expect(kept.json).toBe(JSON.stringify(answer(60)));
    // The bytes answered at the HTTP layer: the same JSON without its closing brace.
    expect(`${kept.bytes.toString('utf8')}}`).toBe(kept.json);
    expect(cache.get(cache.key(request({ variables: { first: 1 } })))).toBeUndefined();
  });

  it('is off when disabled', () => {
    expect(createResponseCache({ enabled: false }).begin('w1')).toBeUndefined();
  });
});

describe('response cache: invalidation through what each response read', () => {
  it('drops a response when one record it read is invalidated, and not for another record', () => {
    const { cache, key } = stored();
    expect(cache.invalidate('w1', [{ source: 'hubspot', resource: 'contact', key: '43' }])).toBe(0);
    expect(cache.get(key)).toBeDefined();
    expect(cache.invalidate('w1', [{ source: 'hubspot', resource: 'contact', key: '42' }])).toBe(1);
    expect(cache.get(key)).toBeUndefined();
  });

  it('drops it for a whole resource, a whole source, or a table it read; not for another workspace', () => {
    for (const target of [
      { source: 'hubspot', resource: 'contact' },
      { source: 'hubspot' },
      hubTableChanged('links'),
    ]) {
      const { cache, key } = stored();
      cache.invalidate('w2', [target]);
      expect(cache.get(key)).toBeDefined();
      cache.invalidate('w1', [target]);
      expect(cache.get(key), JSON.stringify(target)).toBeUndefined();
    }
    const { cache, key } = stored();
    cache.invalidate('w1', [hubTableChanged('issues'), { source: 'stripe' }]);
    expect(cache.get(key)).toBeDefined();
  });

  it('does not store a response when something it read was invalidated while it ran', () => {
    const cache = createResponseCache();
    const reads = cache.begin('w1')!;
    reads.record('google-calendar', 'window', '2026-01-01|2026-02-01', Date.now() + 60_000);
    // A webhook moves a booking while the query is still executing: it may hold the old time.
    cache.invalidate('w1', [{ source: 'google-calendar', resource: 'window' }]);
    expect(cache.store(cache.key(request()), reads, RESULT)).toBe(false);

    // Another record's invalidation, or one before it began, does not stop it.
    const later = cache.begin('w1')!;
    later.record('google-calendar', 'window', '2026-01-01|2026-02-01', Date.now() + 60_000);
    cache.invalidate('w1', [{ source: 'hubspot', resource: 'contact', key: '1' }]);
    expect(cache.store(cache.key(request()), later, RESULT)).toBe(true);
  });

  it('refuses what began before the remembered invalidations once there are too many to check', () => {
    const cache = createResponseCache();
    const old = cache.begin('w1')!;
    old.record('hubspot', 'contact', '42', Date.now() + 60_000);
    for (let i = 0; i <= 10_000; i++)
      cache.invalidate('w1', [{ source: 'stripe', resource: 'order', key: `${i}` }]);
    expect(cache.store(cache.key(request()), old, RESULT)).toBe(false);
    const fresh = cache.begin('w1')!;
    fresh.record('hubspot', 'contact', '42', Date.now() + 60_000);
    expect(cache.store(cache.key(request()), fresh, RESULT)).toBe(true);
  });

  it('clears every entry, and refuses what was running then', () => {
    const { cache, key } = stored();
    const running = cache.begin('w1')!;
    cache.clear();
    expect(cache.get(key)).toBeUndefined();
    expect(cache.store(key, running, RESULT)).toBe(false);
  });

  it('keeps its index small: entries evicted are unindexed', () => {
    const cache = createResponseCache({ max: 2 });
    for (let i = 0; i < 5; i++) {
      const reads = cache.begin('w1')!;
      reads.record('hubspot', 'contact', `${i}`, Date.now() + 60_000);
      cache.store(cache.key(request({ variables: { first: i } })), reads, RESULT);
    }
    expect(cache.size).toBe(2);
    expect(cache.invalidate('w1', [{ source: 'hubspot', resource: 'contact', key: '0' }])).toBe(0);
    expect(cache.invalidate('w1', [{ source: 'hubspot' }])).toBe(2);
  });
});
