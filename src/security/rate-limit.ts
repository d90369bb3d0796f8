import type { Redis } from 'ioredis';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import type { Principal, Refusal } from './authenticate.ts';

/** `600/min` style: so many requests per so many seconds. */
export interface RateLimit {
  points: number;
  durationSec: number;
}

export interface CallerLimitOptions {
  /** Each secret key and each token subject; false for none. Default 1,200 a minute. */
  perCredential: RateLimit | false;
  /** Each browser address using a publishable key; false for none. Default 60 a minute. */
  perPublicAddress: RateLimit | false;
  /** Failed authentications per address before it is refused without checking (slows key guessing). */
  authFailuresPerAddress: RateLimit;
  /** Enquiries (`submitEnquiry`) per address, whatever the key; false for none. Default 5 per 10 minutes. */
  perEnquiryAddress?: RateLimit | false;
  /** Shared counts across replicas; each replica counts alone while Redis is unreachable. */
  redis?: Redis;
  redisPrefix?: string;
}

export interface CallerLimits {
  /** Counts one request; a refusal when the caller is over its limit. Never throws. */
  take(principal: Principal, address: string): Promise<Refusal | undefined>;
  /**
   * Counts a failed authentication from `address`; a refusal (429) once it has failed too often.
   * Only failures are counted and refused: a valid credential from the same address (behind the
   * same NAT as a guesser) is never held back by someone else's bad keys. Never throws.
   */
  failed(address: string): Promise<Refusal | undefined>;
  /**
   * Counts one request to a route that takes no credential but does work (the console's sign-in
   * redirect writes a row, its callback calls the identity provider), per address, with the
   * publishable-key limit (`perPublicAddress`); a refusal when the address is over it. Never throws.
   */
  anonymous(address: string): Promise<Refusal | undefined>;
  /**
   * Counts one enquiry from `address` (a website form posting through a publishable key): a refusal
   * when the address sent too many. Counted apart from the per-request limits, so a visitor browsing
   * free slots is not held back, and a script filling the form in a loop is. Never throws.
   */
  enquiry(address: string): Promise<Refusal | undefined>;
}

/** Enquiries per visitor address: a person sends a few; more is a script. */
export const DEFAULT_ENQUIRY_LIMIT: RateLimit = { points: 5, durationSec: 600 };

/** `1200/min`, `60/10s`, `off`. */
export function parseRateLimit(text: string): RateLimit | false | undefined {
  if (text.trim().toLowerCase() === 'off') return false;
  const match = /^(\d{1,7})\s*\/\s*(\d{0,5})\s*(s|sec|second|m|min|minute|h|hour)$/i.exec(text.trim());
  if (!match) return undefined;
  const unit = match[3]!.toLowerCase().startsWith('h')
    ? 3600
    : match[3]!.toLowerCase().startsWith('m')
      ? 60
      : 1;
  const count = match[2] ? Number(match[2]) : 1;
  if (Number(match[1]) < 1 || count < 1) return undefined;
  return { points: Number(match[1]), durationSec: count * unit };
}

/** `1,200 a minute`, `50 per 10 s`, `5 per 10 minutes`, `5 an hour`. */
function describe({ points, durationSec }: RateLimit): string {
  const count = points.toLocaleString('en-GB');
  if (durationSec === 60) return `${count} a minute`;
  if (durationSec === 3600) return `${count} an hour`;
  if (durationSec === 1) return `${count} a second`;
  if (durationSec % 3600 === 0) return `${count} per ${durationSec / 3600} hours`;
  if (durationSec % 60 === 0) return `${count} per ${durationSec / 60} minutes`;
  return `${count} per ${durationSec} s`;
}

export function createCallerLimits(options: CallerLimitOptions): CallerLimits {
  const make = (name: string, limit: RateLimit): RateLimiterAbstract => {
    const memory = new RateLimiterMemory({
      points: limit.points,
      duration: limit.durationSec,
      keyPrefix: name,
    });
    if (!options.redis) return memory;
    return new RateLimiterRedis({
      storeClient: options.redis,
      keyPrefix: `${options.redisPrefix ?? 'switchboard'}:callers:${name}`,
      points: limit.points,
      duration: limit.durationSec,
      // While Redis is down each replica counts on its own rather than refusing everyone.
      insuranceLimiter: memory,
      rejectIfRedisNotReady: true,
    });
  };
  const credential = options.perCredential && make('credential', options.perCredential);
  const publicAddress = options.perPublicAddress && make('public', options.perPublicAddress);
  const failures = make('auth-failures', options.authFailuresPerAddress);
  const anonymous = options.perPublicAddress && make('anonymous', options.perPublicAddress);
  const enquiryLimit = options.perEnquiryAddress ?? DEFAULT_ENQUIRY_LIMIT;
  const enquiries = enquiryLimit && make('enquiries', enquiryLimit);

  const over = (limit: RateLimit, error: unknown, what: string): Refusal | undefined => {
    if (!(error instanceof RateLimiterRes)) return undefined;
    return {
      status: 429,
      code: 'RATE_LIMITED',
      reason: 'RATE_LIMITED',
      retryAfterMs: Math.max(1, error.msBeforeNext),
      message: `Too many requests: ${what} may make ${describe(limit)}. Try again in ${Math.ceil(error.msBeforeNext / 1000)} s.`,
    };
  };

  return {
    async take(principal, address) {
      try {
        if (principal.kind === 'publishable_key') {
          if (publicAddress) await publicAddress.consume(`${principal.actor}|${address}`);
        } else if (credential) {
          await credential.consume(principal.actor);
        }
        return undefined;
      } catch (error) {
        return principal.kind === 'publishable_key'
          ? over(options.perPublicAddress as RateLimit, error, 'each address using a publishable key')
          : over(options.perCredential as RateLimit, error, 'this credential');
      }
    },
    async failed(address) {
      try {
        await failures.consume(address);
        return undefined;
      } catch (error) {
        return over(options.authFailuresPerAddress, error, 'an address whose credentials keep failing');
      }
    },
    async anonymous(address) {
      try {
        if (anonymous) await anonymous.consume(address);
        return undefined;
      } catch (error) {
        return over(options.perPublicAddress as RateLimit, error, 'each address signing in');
      }
    },
    async enquiry(address) {
      try {
        if (enquiries) await enquiries.consume(address);
        return undefined;
      } catch (error) {
        return over(enquiryLimit as RateLimit, error, 'each address sending enquiries');
      }
    },
  };
}
