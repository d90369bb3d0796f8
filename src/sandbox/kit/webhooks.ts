/**
 * Outgoing webhook deliveries from a sandbox to the endpoints registered with it, as vendors send
 * them: each delivery is retried with exponential backoff until the endpoint answers 2xx or the
 * attempts run out; on request deliveries are duplicated or released out of order, because real
 * vendors do both.
 *
 * Each vendor builds its own request per attempt (`build`), so signatures carry the attempt's
 * timestamp as the vendor's would.
 */
export interface OutgoingRequest {
  method?: string;
  headers: Record<string, string>;
  body?: string;
}

export interface DeliveryInput {
  /** Vendor event id (or a synthetic one for header-only pushes); shown in the log. */
  eventId: string;
  /** Short description for the log, e.g. `customer.updated`. */
  type: string;
  url: string;
  build(attempt: number): OutgoingRequest;
}

export interface DeliveryRecord {
  deliveryId: string;
  eventId: string;
  type: string;
  url: string;
  attempts: number;
  /** When the last attempt was sent (ISO): how long the receiver took to act on it is measured from here. */
  lastAttemptAt?: string;
  state: 'held' | 'pending' | 'delivered' | 'failed';
  lastStatus?: number;
  lastError?: string;
  duplicateOf?: string;
}

export interface WebhookSettings {
  /** Share of deliveries (0..1) sent twice. */
  duplicate: number;
  /** Hold deliveries until `flush()` (or `POST /__sandbox/webhooks/flush`), then send them newest first. */
  outOfOrder: boolean;
  /** First retry delay; doubles each attempt, with jitter. Vendors use minutes to hours; tests use less. */
  retryBaseMs: number;
  retryMaxMs: number;
  maxAttempts: number;
  /** Per-attempt timeout. */
  timeoutMs: number;
}

export const defaultWebhookSettings: WebhookSettings = {
  duplicate: 0,
  outOfOrder: false,
  retryBaseMs: 1_000, // 1 second
  retryMaxMs: 60_000, // 1 minute
  maxAttempts: 8,
  timeoutMs: 10_000, // 10 seconds
};

export interface WebhookDispatcher {
  enqueue(delivery: DeliveryInput): string;
  settings(): WebhookSettings;
  configure(patch: Partial<WebhookSettings>): WebhookSettings;
  /** Release held deliveries (out-of-order mode), newest first. */
  flush(): number;
  log(limit?: number): DeliveryRecord[];
  /** Resolves once nothing is pending or in flight (held deliveries do not count). */
  idle(): Promise<void>;
  clear(): void;
  close(): void;
}

export function parseWebhookSettings(input: unknown): Partial<WebhookSettings> | string {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    return 'settings must be a JSON object';
  const out: Partial<WebhookSettings> = {};
  for (const [key, value] of Object.entries(input)) {
    switch (key) {
      case 'outOfOrder':
        if (typeof value !== 'boolean') return '"outOfOrder" must be true or false';
        out.outOfOrder = value;
        break;
      case 'duplicate':
        if (typeof value === 'boolean') out.duplicate = value ? 1 : 0;
        else if (typeof value === 'number' && value >= 0 && value <= 1) out.duplicate = value;
        else return '"duplicate" must be a share from 0 to 1 (or true/false)';
        break;
      case 'retryBaseMs':
      case 'retryMaxMs':
      case 'maxAttempts':
      case 'timeoutMs':
        if (
          typeof value !== 'number' ||
          !Number.isInteger(value) ||
          value < (key === 'maxAttempts' ? 1 : 0)
        ) {
          return `"${key}" must be a non-negative integer${key === 'maxAttempts' ? ' of at least 1' : ''}`;
        }
        out[key] = value;
        break;
      default:
        return `unknown webhook setting "${key}"`;
    }
  }
  return out;
}

interface Job {
  record: DeliveryRecord;
  input: DeliveryInput;
}

export function createWebhookDispatcher(
  options: { initial?: Partial<WebhookSettings> } = {},
): WebhookDispatcher {
  let current: WebhookSettings = { ...defaultWebhookSettings, ...options.initial };
  let records: DeliveryRecord[] = [];
  let held: Job[] = [];
  let counter = 0;
  let inFlight = 0;
  let closed = false;
  const timers = new Set<NodeJS.Timeout>();
  let waiters: Array<() => void> = [];

  const settle = () => {
    if (inFlight === 0 && timers.size === 0) {
      const ready = waiters;
      waiters = [];
      for (const w of ready) w();
    }
  };

  const schedule = (job: Job, delayMs: number) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      void attempt(job);
    }, delayMs);
    timers.add(timer);
  };

  const attempt = async (job: Job): Promise<void> => {
    if (closed) return;
    inFlight++;
    const { record, input } = job;
    record.attempts++;
    try {
      const req = input.build(record.attempts);
      record.lastAttemptAt = new Date().toISOString();
      const res = await fetch(input.url, {
        method: req.method ?? 'POST',
        headers: req.headers,
        body: req.body,
        signal: AbortSignal.timeout(current.timeoutMs),
      });
      await res.arrayBuffer().catch(() => undefined);
      record.lastStatus = res.status;
      record.lastError = undefined;
      if (res.ok) record.state = 'delivered';
    } catch (error) {
      record.lastError = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    } finally {
      inFlight--;
    }
    if (record.state !== 'delivered') {
      if (record.attempts >= current.maxAttempts || closed) {
        record.state = 'failed';
      } else {
        const backoff = Math.min(current.retryMaxMs, current.retryBaseMs * 2 ** (record.attempts - 1));
        schedule(job, backoff / 2 + Math.random() * (backoff / 2));
      }
    }
    settle();
  };

  const start = (job: Job) => {
    records.push(job.record);
    if (records.length > 2_000) records = records.slice(-2_000);
    void attempt(job);
  };

  const makeJob = (input: DeliveryInput, duplicateOf?: string): Job => ({
    input,
    record: {
      deliveryId: `whd_${++counter}`,
      eventId: input.eventId,
      type: input.type,
      url: input.url,
      attempts: 0,
      state: 'pending',
      duplicateOf,
    },
  });

  return {
    enqueue(input) {
      const job = makeJob(input);
      const jobs = [job];
      if (current.duplicate > 0 && Math.random() < current.duplicate) {
        jobs.push(makeJob(input, job.record.deliveryId));
      }
      for (const j of jobs) {
        if (current.outOfOrder) {
          j.record.state = 'held';
          records.push(j.record);
          held.push(j);
        } else start(j);
      }
      return job.record.deliveryId;
    },
    settings: () => ({ ...current }),
    configure(patch) {
      current = { ...current, ...patch };
      if (!current.outOfOrder && held.length > 0) this.flush();
      return { ...current };
    },
    flush() {
      const release = held.reverse();
      held = [];
      for (const job of release) {
        job.record.state = 'pending';
        records = records.filter((r) => r !== job.record);
        start(job);
      }
      return release.length;
    },
    log: (limit = 200) => records.slice(-limit).map((r) => ({ ...r })),
    idle() {
      if (inFlight === 0 && timers.size === 0) return Promise.resolve();
      return new Promise((resolve) => waiters.push(resolve));
    },
    clear() {
      records = [];
      held = [];
      current = { ...defaultWebhookSettings, ...options.initial };
    },
    close() {
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      held = [];
      settle();
    },
  };
}
