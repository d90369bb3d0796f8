/**
 * The last hour of one connection, minute by minute: calls, failures and latency of the hub's calls to
 * the vendor, and the webhooks it sent with how long they took to become events. It feeds the
 * console's charts (`sourceHistory`). Prometheus keeps the long history for those who run one; this
 * is the hour an operator looks at without one. Kept in memory per process: each replica charts its
 * own calls (the console shows the replica it talks to), and a restart starts a new hour.
 */
export interface ActivityMinute {
  /** The minute's start. */
  at: Date;
  calls: number;
  /** Calls that failed: no answer, a timeout, a 429 or a 5xx (what the breaker counts as failing). */
  errors: number;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  webhooks: number;
  /** From the webhook's arrival to its events being published, 95th percentile. */
  webhookLagP95Ms: number | null;
}

export interface Activity {
  call(status: number, ms: number): void;
  webhook(lagMs: number): void;
  /** The last `count` minutes (at most 60), oldest first; minutes without activity are zeros. */
  minutes(count?: number): ActivityMinute[];
}

const MINUTE = 60_000;
const KEEP = 60;
/** Samples kept per minute for the percentiles: enough for a chart, bounded under any load. */
const SAMPLES = 256;

interface Bucket {
  minute: number;
  calls: number;
  errors: number;
  latencies: number[];
  webhooks: number;
  lags: number[];
}

/** Keeps at most SAMPLES values, each new one replacing a random old one once full (reservoir sampling). */
function sample(into: number[], value: number, seen: number) {
  if (into.length < SAMPLES) into.push(value);
  else {
    const slot = Math.floor(Math.random() * seen);
    if (slot < SAMPLES) into[slot] = value;
  }
}

function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}

const failed = (status: number) => status === 0 || status === 429 || status >= 500;

export function createActivity(now: () => number = Date.now): Activity {
  const buckets: Bucket[] = [];
  const current = (): Bucket => {
    const minute = Math.floor(now() / MINUTE);
    const last = buckets.at(-1);
    if (last && last.minute === minute) return last;
    const bucket: Bucket = { minute, calls: 0, errors: 0, latencies: [], webhooks: 0, lags: [] };
    buckets.push(bucket);
    while (buckets.length > KEEP || (buckets[0] && buckets[0].minute <= minute - KEEP)) buckets.shift();
    return bucket;
  };
  return {
    call(status, ms) {
      if (!Number.isFinite(ms)) return;
      const b = current();
      b.calls++;
      if (failed(status)) b.errors++;
      sample(b.latencies, ms, b.calls);
    },
    webhook(lagMs) {
      if (!Number.isFinite(lagMs)) return;
      const b = current();
      b.webhooks++;
      sample(b.lags, lagMs, b.webhooks);
    },
    minutes(count = KEEP) {
      const n = Math.max(1, Math.min(KEEP, Math.floor(count)));
      const end = Math.floor(now() / MINUTE);
      const byMinute = new Map(buckets.map((b) => [b.minute, b]));
      const out: ActivityMinute[] = [];
      for (let minute = end - n + 1; minute <= end; minute++) {
        const b = byMinute.get(minute);
        out.push({
          at: new Date(minute * MINUTE),
          calls: b?.calls ?? 0,
          errors: b?.errors ?? 0,
          latencyP50Ms: b ? percentile(b.latencies, 0.5) : null,
          latencyP95Ms: b ? percentile(b.latencies, 0.95) : null,
          webhooks: b?.webhooks ?? 0,
          webhookLagP95Ms: b ? percentile(b.lags, 0.95) : null,
        });
      }
      return out;
    },
  };
}
