import type { Redis } from 'ioredis';
import {
  createLocalBudgetBackend,
  newLease,
  type BudgetBackend,
  type ResolvedLimits,
  type TakeResult,
} from './rate-budget.ts';

/**
 * Rate budgets counted in Redis, so every replica draws on one budget per workspace and vendor.
 * One Lua script checks every window, the pause and the concurrency leases and takes a slot in all
 * of them atomically, on Redis's clock (replicas' clocks may differ). Concurrency leases expire, so
 * a replica killed mid-call does not hold a slot forever.
 */
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local background = ARGV[1] == '1'
local reserve = tonumber(ARGV[2])
local lease = ARGV[3]
local leaseMs = tonumber(ARGV[4])
local concurrency = tonumber(ARGV[5])
local depth = tonumber(ARGV[#ARGV])
local n = #KEYS - 2
local paused = tonumber(redis.call('GET', KEYS[n + 2]) or '0')
local waits = {}
for k = 1, depth do waits[k] = math.max(0, paused - now) end
for i = 1, n do
  local limit = tonumber(ARGV[4 + 2 * i])
  local span = tonumber(ARGV[5 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - span)
  local cap = limit
  if background then cap = math.max(1, math.floor(limit * (1 - reserve))) end
  local used = redis.call('ZCARD', KEYS[i])
  -- The k-th next slot opens when the call at index used - cap + k - 1 leaves the window; past the
  -- calls made so far, when a slot granted meanwhile leaves it, a window later.
  local start = used - cap
  local first = math.max(0, start)
  local last = math.min(used - 1, start + depth - 1)
  local entries = {}
  if last >= first then entries = redis.call('ZRANGE', KEYS[i], first, last, 'WITHSCORES') end
  for k = 1, depth do
    local index = start + k - 1
    local opens = 0
    if index >= 0 and index < used then
      opens = tonumber(entries[(index - first) * 2 + 2]) + span - now
    elseif index >= used then
      opens = (waits[k - cap] or 0) + span
    end
    if opens > waits[k] then waits[k] = opens end
  end
end
if waits[1] > 0 then return waits end
if concurrency > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[n + 1], '-inf', now)
  if redis.call('ZCARD', KEYS[n + 1]) >= concurrency then return {0} end
  redis.call('ZADD', KEYS[n + 1], now + leaseMs, lease)
  redis.call('PEXPIRE', KEYS[n + 1], leaseMs)
end
for i = 1, n do
  redis.call('ZADD', KEYS[i], now, lease)
  redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[5 + 2 * i]))
end
return {-1}
`;

/** Adds `used - count` placeholder entries to a window, stamped now. */
const FILL = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local span = tonumber(ARGV[1])
local used = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - span)
local have = redis.call('ZCARD', KEYS[1])
for i = have + 1, used do redis.call('ZADD', KEYS[1], now, ARGV[3] .. i) end
redis.call('PEXPIRE', KEYS[1], span)
return used - have
`;

const PAUSE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ms = tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if now + ms > current then redis.call('SET', KEYS[1], now + ms, 'PX', ms) end
return 1
`;

const STATE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n = #KEYS - 2
local out = {}
for i = 1, n do
  out[i] = redis.call('ZCOUNT', KEYS[i], now - tonumber(ARGV[i]), '+inf')
end
out[n + 1] = redis.call('ZCOUNT', KEYS[n + 1], now, '+inf')
local paused = tonumber(redis.call('GET', KEYS[n + 2]) or '0')
out[n + 2] = math.max(0, paused - now)
out[n + 3] = now
return out
`;

interface BudgetCommands {
  sbBudgetTake(...args: Array<string | number>): Promise<number[]>;
  sbBudgetFill(...args: Array<string | number>): Promise<number>;
  sbBudgetPause(...args: Array<string | number>): Promise<number>;
  sbBudgetState(...args: Array<string | number>): Promise<number[]>;
}

/**
 * `warn` hears of Redis failures. While Redis cannot be reached each replica counts on its own (the
 * in-process budget), so the hub keeps answering; the vendors' own limits and Retry-After still hold.
 */
export function createRedisBudgetBackend(
  redis: Redis,
  warn: (message: string) => void = console.warn,
  prefix = 'switchboard:budget',
): BudgetBackend {
  const r = redis as Redis & BudgetCommands;
  if (!('sbBudgetTake' in r)) {
    redis.defineCommand('sbBudgetTake', { lua: TAKE });
    redis.defineCommand('sbBudgetFill', { numberOfKeys: 1, lua: FILL });
    redis.defineCommand('sbBudgetPause', { numberOfKeys: 1, lua: PAUSE });
    redis.defineCommand('sbBudgetState', { lua: STATE });
  }
  // The hash tag keeps one budget's keys on one cluster slot.
  const base = (limits: ResolvedLimits) => `${prefix}:{${limits.key}}`;
  const keys = (limits: ResolvedLimits) => [
    ...limits.windows.map((w) => `${base(limits)}:w:${w.name}`),
    `${base(limits)}:inflight`,
    `${base(limits)}:pause`,
  ];
  const failed = (what: string) => (error: unknown) =>
    warn(`rate budget ${what} in Redis failed: ${String(error)}`);
  const local = createLocalBudgetBackend();
  let warnedAt = 0;
  return {
    shared: true,
    async take(limits, background, depth = 1): Promise<TakeResult> {
      const lease = newLease();
      const k = keys(limits);
      let result: number[];
      try {
        result = await r.sbBudgetTake(
          k.length,
          ...k,
          background ? '1' : '0',
          limits.reserve,
          lease,
          limits.leaseMs,
          limits.concurrency,
          ...limits.windows.flatMap((w) => [w.limit, w.spanMs]),
          depth,
        );
      } catch (error) {
        if (Date.now() - warnedAt > 60_000) {
          warnedAt = Date.now();
          warn(`rate budgets in Redis unavailable, counting in this process meanwhile: ${String(error)}`);
        }
        return local.take(limits, background, depth);
      }
      const waits = result.map(Number);
      if (waits[0] === -1) return { ok: true, lease };
      return { ok: false, waitMs: waits[0] ?? 0, waits: waits.length > 1 || waits[0] ? waits : undefined };
    },
    release(limits, lease) {
      if (lease === '') local.release(limits, lease);
      else if (limits.concurrency > 0) r.zrem(`${base(limits)}:inflight`, lease).catch(failed('release'));
    },
    fill(limits, window, used) {
      const w = limits.windows.find((x) => x.name === window);
      if (!w) return;
      r.sbBudgetFill(`${base(limits)}:w:${w.name}`, w.spanMs, used, `vendor:${newLease()}:`).catch(
        failed('adjustment'),
      );
    },
    pause(limits, until) {
      r.sbBudgetPause(`${base(limits)}:pause`, Math.max(1, until - Date.now())).catch(failed('pause'));
    },
    async state(limits) {
      const k = keys(limits);
      const out = await r.sbBudgetState(k.length, ...k, ...limits.windows.map((w) => w.spanMs));
      const n = limits.windows.length;
      const used: Record<string, number> = {};
      limits.windows.forEach((w, i) => (used[w.name] = Number(out[i])));
      const pausedFor = Number(out[n + 1]);
      return { used, inFlight: Number(out[n]), pausedUntil: pausedFor > 0 ? Date.now() + pausedFor : 0 };
    },
  };
}
