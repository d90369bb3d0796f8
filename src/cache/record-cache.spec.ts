import { describe, expect, it } from 'vitest';
import { createRecordCache } from './record-cache.ts';
import { withDeadline } from '../upstream/work.ts';

describe('record cache', () => {
  it('keeps workspaces apart: the same source, resource and key in two workspaces are two entries', () => {
    const cache = createRecordCache();
    cache.set('ws-a', 'hubspot', 'contact', '51004', { name: 'A' });
    expect(cache.get('ws-a', 'hubspot', 'contact', '51004')?.value).toEqual({ name: 'A' });
    expect(cache.get('ws-b', 'hubspot', 'contact', '51004')).toBeUndefined();
    cache.set('ws-b', 'hubspot', 'contact', '51004', { name: 'B' });
    expect(cache.get('ws-a', 'hubspot', 'contact', '51004')?.value).toEqual({ name: 'A' });
  });

  it('does not let a key that contains the separator-like text of another collide', () => {
    const cache = createRecordCache();
    cache.set('ws', 'stripe', 'orders', 'a|b', 1);
    expect(cache.get('ws', 'stripe', 'orders|a', 'b')).toBeUndefined();
  });

  it('invalidates one key, one resource or a whole source of one workspace', () => {
    const cache = createRecordCache();
    cache.set('ws', 'xero', 'invoices-by-contact', 'c1', []);
    cache.set('ws', 'xero', 'invoices-by-contact', 'c2', []);
    cache.set('ws', 'xero', 'invoice', 'i1', {});
    cache.set('other', 'xero', 'invoice', 'i1', {});
    expect(cache.invalidate('ws', 'xero', 'invoices-by-contact', 'c1')).toBe(1);
    expect(cache.invalidate('ws', 'xero', 'invoices-by-contact')).toBe(1);
    expect(cache.invalidate('ws', 'xero')).toBe(1);
    expect(cache.get('other', 'xero', 'invoice', 'i1')).toBeDefined();
  });

  it('invalidates listings and sources through its index, which follows overwrites and evictions', () => {
    const cache = createRecordCache({ max: 3 });
    cache.set('ws', 'google', 'window', 'a', []);
    cache.set('ws', 'google', 'window', 'a', [1]); // overwritten: still one entry
    cache.set('ws', 'google', 'window', 'b', []);
    cache.set('ws', 'google', 'event', 'e1', {});
    cache.set('ws', 'hubspot', 'contact', 'k1', {}); // evicts window a, the least recently used
    expect(cache.invalidate('ws', 'google', 'window')).toBe(1);
    expect(cache.invalidate('ws', 'google')).toBe(1);
    expect(cache.invalidate('ws', 'google')).toBe(0);
    expect(cache.get('ws', 'hubspot', 'contact', 'k1')).toBeDefined();
    cache.set('ws', 'google', 'window', 'c', []);
    expect(cache.invalidate('ws', 'google', 'window')).toBe(1);
  });

  it('expires entries after their TTL and can be switched off', async () => {
    const cache = createRecordCache({ ttlMs: 20 });
    cache.set('ws', 'stripe', 'customer', 'cus_1', 1);
    await new Promise((r) => setTimeout(r, 40));
    expect(cache.get('ws', 'stripe', 'customer', 'cus_1')).toBeUndefined();
    const off = createRecordCache({ enabled: false });
    off.set('ws', 'stripe', 'customer', 'cus_1', 1);
    expect(off.get('ws', 'stripe', 'customer', 'cus_1')).toBeUndefined();
  });

  it('keeps an entry past its freshness for stale-if-error, but not once invalidated', async () => {
    const cache = createRecordCache({ ttlMs: 20, staleMs: 60_000 });
    cache.set('ws', 'xero', 'invoice', 'i1', { total: 1 });
    cache.set('ws', 'xero', 'invoice', 'i2', { total: 2 });
    await new Promise((r) => setTimeout(r, 40));
    expect(cache.get('ws', 'xero', 'invoice', 'i1')).toBeUndefined();
    const stale = cache.getStale<{ total: number }>('ws', 'xero', 'invoice', 'i1');
    expect(stale?.value).toEqual({ total: 1 });
    expect(Date.now() - (stale?.storedAt ?? 0)).toBeGreaterThanOrEqual(40);
    cache.invalidate('ws', 'xero', 'invoice', 'i2');
    expect(cache.getStale('ws', 'xero', 'invoice', 'i2')).toBeUndefined();
  });
});

/** A vendor whose calls answer when the test says, recording what each was asked and with what signal. */
function vendor() {
  const calls: Array<{
    keys: string[];
    signal?: AbortSignal;
    answer(values?: Record<string, string>): void;
  }> = [];
  const fetch = (keys: readonly string[], signal?: AbortSignal) =>
    new Promise<Array<string | Error>>((resolve) => {
      const answer = (values: Record<string, string> = {}) =>
        resolve(keys.map((k) => values[k] ?? `${k}@${calls.length}`));
      calls.push({ keys: [...keys], signal, answer });
      // As the upstream client does: an aborted call answers an error for each key.
      signal?.addEventListener('abort', () => resolve(keys.map(() => new Error('aborted'))), { once: true });
    });
  return { calls, fetch };
}

const scope = { workspace: 'ws', source: 'hubspot', resource: 'contact' };
const tick = () => new Promise((r) => setTimeout(r, 5));

describe('record cache: loads in flight are shared', () => {
  it('a key another load is fetching waits for that call; the rest go out in a batch of their own', async () => {
    const cache = createRecordCache();
    const { calls, fetch } = vendor();
    const first = cache.load(scope, ['a', 'b'], undefined, fetch);
    const second = cache.load(scope, ['b', 'c'], undefined, fetch);
    await tick();
    expect(calls.map((c) => c.keys)).toEqual([['a', 'b'], ['c']]);
    expect(cache.inFlight).toBe(3);
    calls[0]!.answer({ a: 'A', b: 'B' });
    calls[1]!.answer({ c: 'C' });
    expect(await first).toEqual(['A', 'B']);
    expect(await second).toEqual(['B', 'C']);
    expect(cache.inFlight).toBe(0);
    expect(cache.get('ws', 'hubspot', 'contact', 'b')?.value).toBe('B');
  });

  it('keeps workspaces apart, and with coalesce: false every load is its own call', async () => {
    const cache = createRecordCache();
    const { calls, fetch } = vendor();
    void cache.load(scope, ['a'], undefined, fetch);
    void cache.load({ ...scope, workspace: 'other' }, ['a'], undefined, fetch);
    await tick();
    expect(calls).toHaveLength(2);

    const apart = createRecordCache({ coalesce: false });
    const second = vendor();
    void apart.load(scope, ['a'], undefined, second.fetch);
    void apart.load(scope, ['a'], undefined, second.fetch);
    await tick();
    expect(second.calls).toHaveLength(2);
  });

  it('the first caller giving up does not cut off the others; the last one does', async () => {
    const cache = createRecordCache();
    const { calls, fetch } = vendor();
    const first = new AbortController();
    const second = new AbortController();
    const a = cache.load(scope, ['k'], first.signal, fetch);
    const b = cache.load(scope, ['k'], second.signal, fetch);
    await tick();
    first.abort();
    await expect(a).rejects.toMatchObject({ code: 'TIMEOUT', source: 'hubspot' });
    expect(calls[0]!.signal?.aborted).toBe(false);
    calls[0]!.answer({ k: 'K' });
    expect(await b).toEqual(['K']);

    // Everyone waiting for a call gone: the call is aborted.
    const third = new AbortController();
    const c = cache.load(scope, ['z'], third.signal, fetch);
    await tick();
    third.abort();
    await expect(c).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(calls[1]!.signal?.aborted).toBe(true);
  });

  it("a caller whose shared call ended on the first caller's deadline loads again on its own time", async () => {
    const cache = createRecordCache();
    const { calls, fetch } = vendor();
    const short = withDeadline(undefined, 20);
    const long = withDeadline(undefined, 5_000);
    const a = cache.load(scope, ['k'], short, fetch);
    const b = cache.load(scope, ['k'], long, fetch);
    // Its own deadline and the shared call's are the same instant: it ends with an error either way
    // (the TIMEOUT it gave up with, or what the cut-off call answered), and does not load again.
    const first = await a.then(
      ([result]) => result,
      (error: unknown) => error,
    );
    expect(first).toBeInstanceOf(Error);
    for (let waited = 0; calls.length < 2 && waited < 1_000; waited += 5) await tick();
    await tick();
    expect(calls).toHaveLength(2);
    expect(calls[1]!.signal?.aborted).toBe(false);
    calls[1]!.answer({ k: 'K' });
    expect(await b).toEqual(['K']);
  });

  it('an invalidation while a call is out: its value is not stored, and later loads do not join it', async () => {
    const cache = createRecordCache();
    const { calls, fetch } = vendor();
    const before = cache.load(scope, ['k'], undefined, fetch);
    await tick();
    cache.invalidate('ws', 'hubspot', 'contact', 'k'); // a webhook said k changed
    const after = cache.load(scope, ['k'], undefined, fetch);
    await tick();
    expect(calls).toHaveLength(2);
    calls[0]!.answer({ k: 'old' });
    expect(await before).toEqual(['old']);
    expect(cache.get('ws', 'hubspot', 'contact', 'k')).toBeUndefined();
    calls[1]!.answer({ k: 'new' });
    expect(await after).toEqual(['new']);
    expect(cache.get('ws', 'hubspot', 'contact', 'k')?.value).toBe('new');

    // The same for a whole resource.
    const out = cache.load(scope, ['m'], undefined, fetch);
    await tick();
    cache.invalidate('ws', 'hubspot', 'contact');
    calls[2]!.answer();
    await out;
    expect(cache.get('ws', 'hubspot', 'contact', 'm')).toBeUndefined();
  });

  it('a call that throws gives each key the error, and nothing is stored', async () => {
    const cache = createRecordCache();
    const failure = new Error('vendor down');
    expect(
      await cache.load(scope, ['a', 'b'], undefined, async () => {
        throw failure;
      }),
    ).toEqual([failure, failure]);
    expect(cache.inFlight).toBe(0);
    expect(cache.get('ws', 'hubspot', 'contact', 'a')).toBeUndefined();
  });
});
