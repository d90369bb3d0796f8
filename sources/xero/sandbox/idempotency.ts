/**
 * `Idempotency-Key` on PUT/POST: the first response for a key (per tenant) is stored for 24
 * hours and replayed for any retry of the same request, so a retried create never makes a
 * second record. A key reused for a different request, or while its first request is still
 * running, is refused.
 * Docs: https://developer.xero.com/documentation/guides/idempotent-requests/idempotency
 */
import { createHash } from 'node:crypto';
import type { SandboxRequest, SandboxResponse } from '../../../src/sandbox/kit/http.ts';
import type { Clock } from '../../../src/sandbox/kit/clock.ts';

const TTL = 86_400_000;
const MAX_KEY_LENGTH = 128;

interface Stored {
  fingerprint: string;
  at: number;
  response?: SandboxResponse;
}

export interface IdempotencyStore {
  /** Runs `next` once per key; returns the stored response on a replay. */
  run(
    tenantId: string,
    req: SandboxRequest,
    next: () => Promise<SandboxResponse>,
    refuse: (status: number, message: string) => SandboxResponse,
  ): Promise<SandboxResponse>;
  clear(): void;
  size(): number;
  /** Keys whose request finished, with their answers: a restart still replays a retried write. */
  snapshot(): Map<string, unknown>;
  restore(saved: Map<string, unknown>): void;
}

export function createIdempotencyStore(clock: Clock): IdempotencyStore {
  const entries = new Map<string, Stored>();
  return {
    clear: () => entries.clear(),
    size: () => entries.size,
    snapshot: () => new Map([...entries].filter(([, v]) => v.response !== undefined)),
    restore(saved) {
      entries.clear();
      for (const [k, v] of saved) entries.set(k, v as Stored);
    },
    async run(tenantId, req, next, refuse) {
      const header = req.headers['idempotency-key'];
      const key = Array.isArray(header) ? header[0] : header;
      if (!key || (req.method !== 'PUT' && req.method !== 'POST')) return next();
      if (key.length > MAX_KEY_LENGTH)
        return refuse(400, `The Idempotency-Key header must be ${MAX_KEY_LENGTH} characters or fewer.`);
      const now = clock.now();
      for (const [k, v] of entries) if (v.at + TTL < now) entries.delete(k);
      const fingerprint = createHash('sha256')
        .update(`${req.method} ${req.path}?${req.url.search}\n`)
        .update(req.rawBody)
        .digest('hex');
      const id = `${tenantId}:${key}`;
      const stored = entries.get(id);
      if (stored) {
        if (stored.fingerprint !== fingerprint)
          return refuse(400, 'This Idempotency-Key has already been used for a different request.');
        if (!stored.response)
          return refuse(409, 'A request with this Idempotency-Key is still being processed.');
        return stored.response;
      }
      const entry: Stored = { fingerprint, at: now };
      entries.set(id, entry);
      const response = await next();
      // Only final answers are kept; a 429 or 5xx may be retried with the same key.
      if (response.status < 500 && response.status !== 429) entry.response = response;
      else entries.delete(id);
      return response;
    },
  };
}
