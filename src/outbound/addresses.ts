import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/**
 * Where an outbound webhook may go (no SSRF): an https URL without credentials whose host resolves
 * only to public addresses. Loopback (and plain http to it) is allowed in sandbox mode, so a tool on
 * the developer's machine can receive; private, link-local, unique-local and other special-purpose
 * ranges never are. The check runs when an endpoint is saved and again when each request connects
 * (`guardedLookup`), since DNS can change between the two.
 */
export interface AddressPolicy {
  /** Sandbox mode: loopback hosts (localhost, 127.0.0.0/8, ::1) and http:// to them are allowed. */
  allowLoopback: boolean;
}

type Range = [address: string, prefix: number, family: 'ipv4' | 'ipv6'];

/** Ranges by what to call them in an error; IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) match the IPv4 rules. */
const RANGES: Record<string, Range[]> = {
  loopback: [
    ['127.0.0.0', 8, 'ipv4'],
    ['::1', 128, 'ipv6'],
  ],
  private: [
    ['10.0.0.0', 8, 'ipv4'],
    ['172.16.0.0', 12, 'ipv4'],
    ['192.168.0.0', 16, 'ipv4'],
    ['100.64.0.0', 10, 'ipv4'], // carrier-grade NAT
  ],
  'link-local': [
    ['169.254.0.0', 16, 'ipv4'], // cloud metadata services live here
    ['fe80::', 10, 'ipv6'],
  ],
  'unique-local': [['fc00::', 7, 'ipv6']],
  'special-purpose': [
    ['0.0.0.0', 8, 'ipv4'],
    ['192.0.0.0', 24, 'ipv4'],
    ['192.0.2.0', 24, 'ipv4'],
    ['198.18.0.0', 15, 'ipv4'],
    ['198.51.100.0', 24, 'ipv4'],
    ['203.0.113.0', 24, 'ipv4'],
    ['224.0.0.0', 4, 'ipv4'], // multicast
    ['240.0.0.0', 4, 'ipv4'], // reserved, broadcast
    ['::', 128, 'ipv6'],
    ['::', 96, 'ipv6'], // IPv4-compatible (deprecated)
    ['2001:db8::', 32, 'ipv6'],
    ['ff00::', 8, 'ipv6'], // multicast
  ],
};

const LISTS = Object.entries(RANGES).map(([kind, ranges]) => {
  const list = new BlockList();
  for (const [address, prefix, family] of ranges) list.addSubnet(address, prefix, family);
  return { kind, list };
});

/** What kind of non-public address `ip` is (`loopback`, `private`, `link-local`, …), or null for a public one. */
export function addressKind(ip: string): string | null {
  const bare = ip.replace(/^\[|\]$/g, '');
  const family = isIP(bare);
  if (family === 0) return 'invalid';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  for (const { kind, list } of LISTS) if (list.check(bare, type)) return kind;
  return null;
}

/**
 * Why the hub will not connect to `ip` under `policy` ("10.0.0.1, a private address"), or null when
 * it may.
 */
export function refusedAddress(ip: string, policy: AddressPolicy): string | null {
  const kind = addressKind(ip);
  if (kind === null || (kind === 'loopback' && policy.allowLoopback)) return null;
  return kind === 'loopback'
    ? `${ip}, a loopback address (allowed only in sandbox mode)`
    : `${ip}, a ${kind} address`;
}

const isLoopbackName = (host: string) => /(^|\.)localhost\.?$/.test(host);

/**
 * The URL an endpoint may have, or a message saying what to fix. Checks the form only (scheme,
 * credentials, IP literals, localhost names); `checkEndpointUrl` also resolves the host.
 */
export function checkUrlForm(raw: string, policy: AddressPolicy): { url: URL } | { problem: string } {
  const shown = JSON.stringify(raw.slice(0, 200));
  if (raw.length > 2_048) return { problem: `"url" must be at most 2048 characters, got ${raw.length}` };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return {
      problem: `"url" must be an absolute https:// URL, e.g. https://hooks.example.com/switchboard; got ${shown}`,
    };
  }
  if (url.username || url.password)
    return {
      problem: `"url" must not carry credentials (user:password@): the hub signs each delivery instead; verify the webhook-signature header. Got ${JSON.stringify(url.origin)}`,
    };
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const loopback = isLoopbackName(host) || addressKind(host) === 'loopback';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback && policy.allowLoopback))
    return {
      problem: `"url" must use https:// (plain http only to a loopback address in sandbox mode); got ${shown}`,
    };
  if (isLoopbackName(host) && !policy.allowLoopback)
    return { problem: `"url" must not point at ${host} (loopback; allowed only in sandbox mode)` };
  if (isIP(host)) {
    const refused = refusedAddress(host, policy);
    if (refused) return { problem: `"url" must reach a public address, not ${refused}` };
  }
  return { url };
}

export type Lookup = (hostname: string) => Promise<LookupAddress[]>;

/** Every address `hostname` resolves to, as the system resolver gives them. */
export const systemLookup: Lookup = (hostname) =>
  new Promise((resolve, reject) =>
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) =>
      error ? reject(error) : resolve(addresses),
    ),
  );

/**
 * `checkUrlForm`, then every address the host resolves to: all must be allowed (one private
 * address among public ones is refused, since the client may pick it).
 */
export async function checkEndpointUrl(
  raw: string,
  policy: AddressPolicy,
  lookup: Lookup = systemLookup,
): Promise<{ url: URL } | { problem: string }> {
  const form = checkUrlForm(raw, policy);
  if ('problem' in form) return form;
  const host = form.url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) return form;
  let addresses: LookupAddress[];
  try {
    addresses = await lookup(host);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'lookup failed';
    return {
      problem: `"url" host ${host} does not resolve (${code}): check the name, or give one that resolves publicly`,
    };
  }
  if (addresses.length === 0) return { problem: `"url" host ${host} resolves to no address` };
  for (const { address } of addresses) {
    const refused = refusedAddress(address, policy);
    if (refused) return { problem: `"url" must reach public addresses only: ${host} resolves to ${refused}` };
  }
  return form;
}

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for the socket the delivery connects with (undici `connect.lookup`): it resolves as
 * Node would and fails the connection when any address is refused, so the address checked is the
 * address connected to (no DNS rebinding between a check and the request).
 */
export function guardedLookup(policy: AddressPolicy) {
  return (hostname: string, options: { all?: boolean; family?: number }, callback: LookupCallback): void => {
    dnsLookup(hostname, { family: options.family ?? 0, all: true, verbatim: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const list = addresses;
      for (const { address } of list) {
        const refused = refusedAddress(address, policy);
        if (refused) {
          const blocked: NodeJS.ErrnoException = new Error(
            `refused to connect: ${hostname} resolves to ${refused}`,
          );
          blocked.code = 'EADDRREFUSED';
          return callback(blocked, []);
        }
      }
      if (options.all) return callback(null, list);
      const [first] = list;
      if (!first)
        return callback(
          Object.assign(new Error(`${hostname} resolves to no address`), { code: 'ENOTFOUND' }),
          [],
        );
      callback(null, first.address, first.family);
    });
  };
}
