import { describe, expect, it } from 'vitest';
import { createResponseCache } from './response-cache.ts';

describe('response cache', () => {
  it('keeps workspaces apart: the same source, resource and key in two workspaces are two entries', () => {
    const cache = createResponseCache();
    cache.set('ws-a', 'hubspot', 'contact', '51004', { name: 'A' });
    expect(cache.get('ws-a', 'hubspot', 'contact', '51004')?.value).toEqual({ name: 'A' });
    expect(cache.get('ws-b', 'hubspot', 'contact', '51004')).toBeUndefined();
    cache.set('ws-b', 'hubspot', 'contact', '51004', { name: 'B' });
    expect(cache.get('ws-a', 'hubspot', 'contact', '51004')?.value).toEqual({ name: 'A' });
  });

  it('does not let a key that contains the separator-like text of another collide', () => {
    const cache = createResponseCache();
    cache.set('ws', 'stripe', 'orders', 'a|b', 1);
    expect(cache.get('ws', 'stripe', 'orders|a', 'b')).toBeUndefined();
  });

  it('invalidates one key, one resource or a whole source of one workspace', () => {
    const cache = createResponseCache();
    cache.set('ws', 'xero', 'invoices-by-contact', 'c1', []);
    cache.set('ws', 'xero', 'invoices-by-contact', 'c2', []);
    cache.set('ws', 'xero', 'invoice', 'i1', {});
    cache.set('other', 'xero', 'invoice', 'i1', {});
    expect(cache.invalidate('ws', 'xero', 'invoices-by-contact', 'c1')).toBe(1);
    expect(cache.invalidate('ws', 'xero', 'invoices-by-contact')).toBe(1);
    expect(cache.invalidate('ws', 'xero')).toBe(1);
    expect(cache.get('other', 'xero', 'invoice', 'i1')).toBeDefined();
  });

  it('expires entries after their TTL and can be switched off', async () => {
    const cache = createResponseCache({ ttlMs: 20 });
    cache.set('ws', 'stripe', 'customer', 'cus_1', 1);
    await new Promise((r) => setTimeout(r, 40));
    expect(cache.get('ws', 'stripe', 'customer', 'cus_1')).toBeUndefined();
    const off = createResponseCache({ enabled: false });
    off.set('ws', 'stripe', 'customer', 'cus_1', 1);
    expect(off.get('ws', 'stripe', 'customer', 'cus_1')).toBeUndefined();
  });

  it('keeps an entry past its freshness for stale-if-error, but not once invalidated', async () => {
    const cache = createResponseCache({ ttlMs: 20, staleMs: 60_000 });
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
