import { describe, expect, it } from 'vitest';
import { createAddressResolver } from './requests.ts';

const from = (peer: string, forwardedFor?: string) => ({
  socket: { remoteAddress: peer },
  headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
});

describe("the caller's address", () => {
  it('is the peer when no proxy is trusted, whatever X-Forwarded-For says', () => {
    const addressOf = createAddressResolver();
    expect(addressOf(from('203.0.113.9', '198.51.100.1'))).toBe('203.0.113.9');
    expect(addressOf(from('::ffff:203.0.113.9'))).toBe('203.0.113.9');
    expect(addressOf(undefined)).toBe('local');
  });

  it('behind trusted proxies, is the right-most forwarded address that is not a proxy', () => {
    const addressOf = createAddressResolver(['10.0.0.0/8', '127.0.0.1']);
    // The client wrote 1.1.1.1 itself; the proxy appended what it saw.
    expect(addressOf(from('127.0.0.1', '1.1.1.1, 198.51.100.7, 10.1.2.3'))).toBe('198.51.100.7');
    expect(addressOf(from('10.9.9.9', '198.51.100.7'))).toBe('198.51.100.7');
    // A peer that is not a trusted proxy cannot choose its address.
    expect(addressOf(from('203.0.113.9', '198.51.100.7'))).toBe('203.0.113.9');
    expect(addressOf(from('127.0.0.1'))).toBe('127.0.0.1');
    expect(addressOf(from('127.0.0.1', 'not-an-ip, 10.0.0.1'))).toBe('10.0.0.1');
  });

  it('refuses a setting that is not an IP or CIDR', () => {
    expect(() => createAddressResolver(['10.0.0.0/eight'])).toThrow(/not an IP address or CIDR/);
    expect(() => createAddressResolver(['proxy.local'])).toThrow(/SWITCHBOARD_TRUSTED_PROXIES/);
  });
});
