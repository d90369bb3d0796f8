/**
 * `requestid`: a query parameter that makes a request idempotent. "If the service receives
 * another request with the same RequestID, instead of performing the operation again or
 * returning an error, the service sends the same response as it did for the original request."
 * It must be unique per company, at most 50 characters (36 for batch). The sandbox applies it to
 * writes (POST), keeps the first final answer per company and requestid until a reset, and
 * replays it for any later request with the same id, whatever its body (as Intuit describes);
 * a duplicate that arrives while the first is still running waits for its answer. Answers that
 * may be retried (429, 5xx) are not kept, so a retry after one of those does the work.
 * Docs: https://blogs.intuit.com/2015/04/06/15346/ (Request ID update for QuickBooks Online integration)
 *       https://developer.intuit.com/app/developer/qbo/docs/learn/rest-api-features
 */
import type { SandboxRequest, SandboxResponse } from '../../../src/sandbox/kit/http.ts';
import { businessValidation, type QboFault } from './wire.ts';

export const MAX_REQUEST_ID = 50;
export const MAX_BATCH_REQUEST_ID = 36;

export interface IdempotencyStore {
  /** Runs `next` once per requestid; returns the stored response on a replay. */
  run(
    realmId: string,
    req: SandboxRequest,
    next: () => Promise<SandboxResponse>,
    refuse: (fault: QboFault) => SandboxResponse,
  ): Promise<SandboxResponse>;
  clear(): void;
  size(): number;
  /** Finished requests' answers by key: a restart still replays a retried write. */
  snapshot(): Map<string, SandboxResponse>;
  restore(saved: Map<string, SandboxResponse>): void;
}

export function createIdempotencyStore(): IdempotencyStore {
  const entries = new Map<string, Promise<SandboxResponse>>();
  const settled = new Map<string, SandboxResponse>();
  return {
    clear: () => {
      entries.clear();
      settled.clear();
    },
    size: () => entries.size,
    snapshot: () => settled,
    restore(saved) {
      entries.clear();
      settled.clear();
      for (const [key, response] of saved) {
        settled.set(key, response);
        entries.set(key, Promise.resolve(response));
      }
    },
    async run(realmId, req, next, refuse) {
      const requestId = req.query.get('requestid') ?? req.query.get('requestId');
      if (requestId === null || requestId === '' || req.method !== 'POST') return next();
      const max = req.operation === 'batch' ? MAX_BATCH_REQUEST_ID : MAX_REQUEST_ID;
      if (requestId.length > max)
        return refuse(
          businessValidation(
            `You cannot enter more than ${max} characters in the request_id field. You tried entering ${requestId.slice(0, 10)}..., which is ${requestId.length} characters.`,
            'requestid',
          ),
        );
      const key = `${realmId}:${requestId}`;
      const stored = entries.get(key);
      if (stored) return stored;
      const pending = next();
      entries.set(key, pending);
      try {
        const response = await pending;
        if (response.status === 429 || response.status >= 500) entries.delete(key);
        else settled.set(key, response);
        return response;
      } catch (error) {
        entries.delete(key);
        throw error;
      }
    },
  };
}
