import { describe, expect, it } from 'vitest';
import { addressKind, checkEndpointUrl, checkUrlForm, guardedLookup, type Lookup } from './addresses.ts';

const live = { allowLoopback: false };
const sandbox = { allowLoopback: true };
const resolvesTo =
  (...addresses: string[]): Lookup =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
const problem = (result: { url: URL } | { problem: string }) => ('problem' in result ? result.problem : null);

describe('which addresses an outbound webhook may reach', () => {
  it.each([
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['172.16.5.4', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['127.0.0.1', 'loopback'],
    ['127.9.9.9', 'loopback'],
    ['::1', 'loopback'],
    ['fe80::1', 'link-local'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:a00:1', 'private'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['0.0.0.0', 'special-purpose'],
    ['::', 'special-purpose'],
    ['224.0.0.1', 'special-purpose'],
  ])('%s is %s', (ip, kind) => {
    expect(addressKind(ip)).toBe(kind);
  });

  it.each(['93.184.215.14', '8.8.8.8', '2606:4700::1111', '::ffff:8.8.8.8', '172.32.0.1', '11.0.0.1'])(
    '%s is public',
    (ip) => expect(addressKind(ip)).toBeNull(),
  );
});

describe('an endpoint URL', () => {
  it('must be https, without credentials; http only to loopback in sandbox mode', () => {
    expect(problem(checkUrlForm('https://hooks.example.com/in', live))).toBeNull();
    expect(problem(checkUrlForm('http://hooks.example.com/in', live))).toMatch(/must use https:\/\//);
    expect(problem(checkUrlForm('http://hooks.example.com/in', sandbox))).toMatch(/must use https:\/\//);
    expect(problem(checkUrlForm('http://127.0.0.1:8080/in', sandbox))).toBeNull();
    expect(problem(checkUrlForm('http://localhost:8080/in', sandbox))).toBeNull();
    expect(problem(checkUrlForm('http://[::1]:8080/in', sandbox))).toBeNull();
    expect(problem(checkUrlForm('http://127.0.0.1:8080/in', live))).toMatch(/must use https/);
    expect(problem(checkUrlForm('https://localhost/in', live))).toMatch(
      /loopback; allowed only in sandbox mode/,
    );
    expect(problem(checkUrlForm('https://[::1]/in', live))).toMatch(/loopback address/);
    expect(problem(checkUrlForm('https://a:b@hooks.example.com/in', live))).toMatch(
      /must not carry credentials/,
    );
    expect(problem(checkUrlForm('ftp://hooks.example.com/in', live))).toMatch(/must use https/);
    expect(problem(checkUrlForm('hooks.example.com/in', live))).toMatch(/absolute https:\/\/ URL/);
    expect(problem(checkUrlForm(`https://hooks.example.com/${'x'.repeat(2_100)}`, live))).toMatch(
      /at most 2048/,
    );
  });

  it('must not name a private, link-local or unique-local address, however it is written', () => {
    expect(problem(checkUrlForm('https://10.0.0.7/in', live))).toMatch(/not 10\.0\.0\.7, a private address/);
    expect(problem(checkUrlForm('https://169.254.169.254/latest', sandbox))).toMatch(/link-local/);
    expect(problem(checkUrlForm('https://[fc00::5]/in', sandbox))).toMatch(/unique-local/);
    expect(problem(checkUrlForm('https://[::ffff:192.168.0.1]/in', sandbox))).toMatch(/private/);
    // WHATWG URL parsing turns the old shorthand forms into dotted quads before the check.
    expect(problem(checkUrlForm('https://0x7f.1/in', live))).toMatch(/loopback/);
    expect(problem(checkUrlForm('https://2130706433/in', live))).toMatch(/loopback/);
    expect(problem(checkUrlForm('https://0xa000001/in', live))).toMatch(/private/);
  });

  it('must resolve to public addresses only, every one of them', async () => {
    const url = 'https://hooks.example.com/in';
    expect(problem(await checkEndpointUrl(url, live, resolvesTo('93.184.215.14')))).toBeNull();
    expect(problem(await checkEndpointUrl(url, live, resolvesTo('93.184.215.14', '10.1.1.1')))).toMatch(
      /hooks\.example\.com resolves to 10\.1\.1\.1, a private address/,
    );
    expect(problem(await checkEndpointUrl(url, live, resolvesTo('fd00::2')))).toMatch(/unique-local/);
    expect(problem(await checkEndpointUrl(url, live, resolvesTo('::ffff:169.254.1.1')))).toMatch(
      /link-local/,
    );
    expect(problem(await checkEndpointUrl(url, live, resolvesTo('127.0.0.1')))).toMatch(/loopback/);
    expect(problem(await checkEndpointUrl(url, sandbox, resolvesTo('127.0.0.1')))).toBeNull();
    const missing: Lookup = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    expect(problem(await checkEndpointUrl(url, live, missing))).toMatch(/does not resolve \(ENOTFOUND\)/);
  });

  it('is checked again where the socket connects: a name that now resolves to loopback is refused', async () => {
    const lookup = (policy: { allowLoopback: boolean }, all: boolean) =>
      new Promise<{ error: NodeJS.ErrnoException | null; address: unknown }>((resolve) =>
        guardedLookup(policy)('localhost', { all }, (error, address) => resolve({ error, address })),
      );
    const refused = await lookup(live, false);
    expect(refused.error?.code).toBe('EADDRREFUSED');
    expect(refused.error?.message).toMatch(/localhost resolves to .* loopback/);
    const allowed = await lookup(sandbox, true);
    expect(allowed.error).toBeNull();
    expect(allowed.address).toEqual(
      expect.arrayContaining([expect.objectContaining({ family: expect.any(Number) })]),
    );
    const single = await lookup(sandbox, false);
    expect(single.address).toMatch(/^(127\.|::1)/);
  });
});
