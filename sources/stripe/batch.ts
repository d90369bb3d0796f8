import { SourceError, type SourceErrorCode } from '../../src/domain/errors.ts';

/** Failures that every other key would hit too: stop sending and fail the whole call. */
const FAILS_EVERY_KEY: ReadonlySet<SourceErrorCode> = new Set([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'RATE_LIMITED',
]);

/**
 * One request per distinct key with at most `concurrency` in flight, for objects Stripe can only
 * read one at a time. Returns one entry per key in key order: the value, or the SourceError for that
 * key alone (NOT_FOUND, or a 5xx that hit only this key). Rejects when the call as a whole failed:
 * credentials, rate limit, the caller's deadline, or every key failing for a reason other than
 * NOT_FOUND (then the vendor is down rather than the keys wrong).
 */
export async function retrieveEach<T>(
  keys: readonly string[],
  concurrency: number,
  fetchOne: (key: string) => Promise<T>,
  signal?: AbortSignal,
): Promise<Array<T | Error>> {
  const distinct = [...new Set(keys)];
  const results = new Map<string, T | SourceError>();
  let fatal: unknown;
  let next = 0;

  const worker = async () => {
    while (next < distinct.length && fatal === undefined && !signal?.aborted) {
      const key = distinct[next++] as string;
      try {
        results.set(key, await fetchOne(key));
      } catch (error) {
        if (error instanceof SourceError && !FAILS_EVERY_KEY.has(error.code)) results.set(key, error);
        else fatal ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, distinct.length) }, worker));

  if (fatal !== undefined) throw fatal;
  if (signal?.aborted && results.size < distinct.length) {
    throw new SourceError(
      'stripe',
      'TIMEOUT',
      "stripe: the request's deadline passed before every record was read",
      {
        cause: signal.reason,
      },
    );
  }
  const failures = [...results.values()].filter(
    (r): r is SourceError => r instanceof SourceError && r.code !== 'NOT_FOUND',
  );
  if (distinct.length > 0 && failures.length === distinct.length) throw failures[0];
  return keys.map((key) => results.get(key) as T | SourceError);
}
