/** What a sandbox received, for tests and benchmarks that count upstream requests. */
export interface LoggedRequest {
  at: string;
  method: string;
  path: string;
  query: string;
  operation: string;
  status: number;
  durationMs: number;
  /** Ids of the fault rules applied, when any. */
  faults?: string[];
  /** Set when the connection was dropped on purpose. */
  dropped?: boolean;
}

export interface RequestLog {
  record(entry: LoggedRequest): void;
  clear(): void;
  summary(limit?: number): { total: number; byOperation: Record<string, number>; entries: LoggedRequest[] };
}

export function createRequestLog(capacity = 5_000): RequestLog {
  let entries: LoggedRequest[] = [];
  let total = 0;
  let byOperation: Record<string, number> = {};
  return {
    record(entry) {
      total++;
      byOperation[entry.operation] = (byOperation[entry.operation] ?? 0) + 1;
      entries.push(entry);
      if (entries.length > capacity) entries = entries.slice(-capacity);
    },
    clear() {
      entries = [];
      total = 0;
      byOperation = {};
    },
    summary(limit = 200) {
      return { total, byOperation: { ...byOperation }, entries: entries.slice(-limit) };
    },
  };
}
