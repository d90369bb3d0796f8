import { createRandom, type Random } from './random.ts';

/**
 * One fault rule, as posted to `POST /__sandbox/faults`. A rule applies to a request when the
 * request matches its filters and a draw falls under `share`. Effects combine: `latencyMs` delays
 * the request, then `drop` closes the socket without an answer, or `status` answers with the
 * vendor's error envelope (429 carries `Retry-After: retryAfterSeconds`); with neither, the
 * request goes on to the real handler after the delay.
 */
export interface FaultRule {
  /** Share of matching requests affected, 0..1. Default 1. */
  share?: number;
  /** Only requests whose operation name is listed (see `GET /__sandbox/requests`). */
  operations?: string[];
  /** Only these HTTP methods. */
  methods?: string[];
  /** Only paths starting with this prefix. */
  pathPrefix?: string;
  latencyMs?: number;
  status?: number;
  retryAfterSeconds?: number;
  drop?: boolean;
  /** Apply to this many requests, then expire. Default: until removed. */
  times?: number;
  /**
   * `before` (default): the vendor never sees the request. `after`: the vendor does the work, then
   * the answer is lost (the status replaces it, or the connection drops), as when a vendor times out
   * after committing: only an idempotency key keeps the client's retry from doing it twice.
   */
  phase?: 'before' | 'after';
}

export interface ActiveFault extends FaultRule {
  id: string;
  applied: number;
}

export interface FaultDecision {
  ruleIds: string[];
  latencyMs: number;
  status?: number;
  retryAfterSeconds?: number;
  drop: boolean;
  /** The status or drop comes after the handler ran. */
  after: boolean;
}

export interface FaultController {
  add(rule: FaultRule): ActiveFault;
  remove(id: string): boolean;
  clear(): void;
  list(): ActiveFault[];
  /** Decide what happens to one request; counts the application against `times`. */
  decide(request: { method: string; path: string; operation: string }): FaultDecision | undefined;
}

/** Validates a posted rule; returns an error message naming the bad field, or the rule. */
export function parseFaultRule(input: unknown): FaultRule | string {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return 'a fault rule must be a JSON object, e.g. {"status":503,"share":0.3}';
  }
  const rule = input as Record<string, unknown>;
  const known = new Set([
    'share',
    'operations',
    'methods',
    'pathPrefix',
    'latencyMs',
    'status',
    'retryAfterSeconds',
    'drop',
    'times',
    'phase',
  ]);
  for (const key of Object.keys(rule)) if (!known.has(key)) return `unknown fault field "${key}"`;
  const num = (key: string, min: number, max: number): string | undefined => {
    const v = rule[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
      return `"${key}" must be a number from ${min} to ${max}, got ${JSON.stringify(v)}`;
    }
    return undefined;
  };
  const problem =
    num('share', 0, 1) ??
    num('latencyMs', 0, 600_000) ??
    num('status', 400, 599) ??
    num('retryAfterSeconds', 0, 86_400) ??
    num('times', 1, 1_000_000);
  if (problem) return problem;
  for (const key of ['operations', 'methods']) {
    const v = rule[key];
    if (v !== undefined && (!Array.isArray(v) || v.some((s) => typeof s !== 'string'))) {
      return `"${key}" must be a list of strings`;
    }
  }
  if (rule.pathPrefix !== undefined && typeof rule.pathPrefix !== 'string')
    return '"pathPrefix" must be a string';
  if (rule.drop !== undefined && typeof rule.drop !== 'boolean') return '"drop" must be true or false';
  if (rule.phase !== undefined && rule.phase !== 'before' && rule.phase !== 'after') {
    return '"phase" must be "before" or "after"';
  }
  if (rule.latencyMs === undefined && rule.status === undefined && rule.drop !== true) {
    return 'a fault rule needs at least one effect: "latencyMs", "status" or "drop"';
  }
  return rule as FaultRule;
}

export function createFaultController(seed: number | string = 'faults'): FaultController {
  let rules: ActiveFault[] = [];
  let counter = 0;
  let random: Random = createRandom(seed);
  return {
    add(rule) {
      const active: ActiveFault = { ...rule, id: `fault_${++counter}`, applied: 0 };
      rules.push(active);
      return active;
    },
    remove(id) {
      const before = rules.length;
      rules = rules.filter((r) => r.id !== id);
      return rules.length !== before;
    },
    clear() {
      rules = [];
      random = createRandom(seed);
    },
    list: () => rules.map((r) => ({ ...r })),
    decide({ method, path, operation }) {
      let decision: FaultDecision | undefined;
      for (const rule of rules) {
        if (rule.operations && !rule.operations.includes(operation)) continue;
        if (rule.methods && !rule.methods.map((m) => m.toUpperCase()).includes(method)) continue;
        if (rule.pathPrefix && !path.startsWith(rule.pathPrefix)) continue;
        // A status rule behind one that already answers would have no effect: leave its `times` untouched.
        if (rule.status !== undefined && decision?.status !== undefined && !rule.latencyMs && !rule.drop)
          continue;
        if (!random.chance(rule.share ?? 1)) continue;
        rule.applied++;
        decision ??= { ruleIds: [], latencyMs: 0, drop: false, after: false };
        decision.ruleIds.push(rule.id);
        decision.latencyMs += rule.latencyMs ?? 0;
        if (rule.drop) decision.drop = true;
        if (rule.status !== undefined && decision.status === undefined) {
          decision.status = rule.status;
          decision.retryAfterSeconds = rule.retryAfterSeconds;
        }
        if ((rule.drop || rule.status !== undefined) && rule.phase === 'after') decision.after = true;
      }
      rules = rules.filter((r) => r.times === undefined || r.applied < r.times);
      return decision;
    },
  };
}
