import { createHash, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Tracer } from '@opentelemetry/api';
import { inRootSpan } from '../observability/spans.ts';
import { cacheKeys, type CacheKeys, type CacheTarget } from '../cache/keys.ts';
import type { Transaction } from 'kysely';
import { SourceError } from '../domain/errors.ts';
import type { Role } from '../domain/source-module.ts';
import type { Workspace } from '../domain/workspace.ts';
import type { EventBus } from '../events/bus.ts';
import type { Identity } from '../links/identity.ts';
import type { Store } from '../store/store.ts';
import type { Database } from '../store/schema.ts';
import { roleStepName } from './legacy.ts';
import { createOperationStore, type OperationRecord, type OperationStore, type StepRecord } from './store.ts';

export interface StepContext<I> {
  workspace: Workspace;
  /** Links what a step wrote to the customer it is for (a clash becomes a sync issue). */
  identity: Identity;
  /** Cache targets of this workspace's systems, for `invalidates`. */
  keys: CacheKeys;
  operation: { id: string; kind: string; input: I; context: Record<string, unknown> };
  /** The hub's store, for rows a step keeps beside what it wrote (a deposit link's address). */
  store: Store;
  step: { name: string; position: number; idempotencyKey: string; attempts: number };
}

/** What the engine works with: the store, the event bus (invalidations), the workspaces, the identity service. */
export interface EngineDeps {
  store: Store;
  bus: Pick<EventBus, 'invalidate'>;
  logger: Logger;
  workspaces: ReadonlyMap<string, Workspace>;
  identity: Identity;
}

/** One step of a write: one call to the system playing one role, safe to repeat with the same idempotency key. */
export interface StepDefinition<I> {
  /** The role whose system the step writes to; the system itself is the workspace's binding. */
  role: Role;
  /** Does the step's work; what it returns is stored and merged into the operation's context. */
  run(ctx: StepContext<I>): Promise<Record<string, unknown>>;
  /** Undoes the step after a later step failed for good (cancel the payment, delete the event). */
  compensate?(ctx: StepContext<I>, result: Record<string, unknown>): Promise<void>;
  /** Cached reads the step made stale, dropped after it ran (or was undone). */
  invalidates?(ctx: StepContext<I>, result: Record<string, unknown>): CacheTarget[];
}

export interface OperationKind<I> {
  kind: string;
  steps: Record<string, StepDefinition<I>>;
  /** The steps for this input, in the order they run. */
  plan(input: I): string[];
}

export interface EngineOptions {
  /** Attempts per step before it becomes a failed delivery. */
  maxAttempts?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** How long a worker holds an operation before another may take it over (a crashed worker's). */
  leaseMs?: number;
  /** How long a mutation runs its steps itself (retries included) before leaving them to the worker. */
  fastPathMs?: number;
  workerId?: string;
  /** The worker's runs as root spans of their own (src/observability/spans.ts); absent when tracing is off. */
  tracer?: Tracer;
}

export interface SubmitOptions {
  clientKey?: string | null;
  /**
   * What the client asked for, as it asked: a repeat with the same key is compared on this, not on
   * the stored input, which may hold values the hub chose (ids, the time of the request).
   */
  clientArgs?: unknown;
  /**
   * Written in the same transaction as the operation (e.g. the new customer's row), given the new
   * operation's id; what it throws rolls the operation back and rejects `submit`. Not called when
   * the client key had already stored an operation.
   */
  alsoWrite?: (trx: Transaction<Database>, operationId: string) => Promise<void>;
  /**
   * What those rows make stale (`hubTableChanged('links')` for a customer's row), dropped from the
   * caches here and on every replica once the operation is stored, before its steps run.
   */
  invalidates?: readonly CacheTarget[];
  context?: Record<string, unknown>;
}

export class IdempotencyKeyReused extends Error {
  constructor(
    readonly key: string,
    readonly kind: string,
  ) {
    super(
      `The idempotency key "${key}" was already used for a different request (${kind} with other input); use a new key for a new request.`,
    );
    this.name = 'IdempotencyKeyReused';
  }
}

/** The operation's lease passed to another worker while this one was running it. */
class LeaseLost extends Error {
  constructor(operationId: string, workerId: string) {
    super(`${workerId} lost its lease on operation ${operationId} to another worker; it stops here`);
    this.name = 'LeaseLost';
  }
}

export type OperationListener = (operation: OperationRecord) => void;

interface Failure {
  retryable: boolean;
  code: string;
  message: string;
  retryAfterMs?: number;
}

function classify(error: unknown): Failure {
  if (error instanceof SourceError) {
    return {
      retryable: error.retryable,
      code: `${error.source}:${error.code}`,
      message: error.message,
      retryAfterMs: error.retryAfterMs,
    };
  }
  // Not a vendor's answer (a lost database connection, a bug): retrying is the safe default, and
  // the attempts cap turns a persistent one into a visible, replayable failed delivery.
  return {
    retryable: true,
    code: 'INTERNAL',
    message: error instanceof Error ? error.message : String(error),
  };
}

/**
 * Same input, same hash: key order in objects does not matter; a date counts by its instant. The
 * `v2:` prefix marks it: hashes stored before it turned every date into `{}` (so a key reused with
 * another date passed as a repeat), and those rows are still compared their own way.
 */
export function hashInput(kind: string, input: unknown): string {
  return `v2:${digest(kind, input, (date) => ({ $date: date.toISOString() }))}`;
}

/** Whether `args` is the input a stored operation's hash was made from. */
export function sameInput(storedHash: string, kind: string, args: unknown): boolean {
  return storedHash.startsWith('v2:')
    ? storedHash === hashInput(kind, args)
    : storedHash === digest(kind, args, () => ({}));
}

function digest(kind: string, input: unknown, date: (value: Date) => unknown): string {
  const canonical = (value: unknown): unknown =>
    value instanceof Date
      ? date(value)
      : Array.isArray(value)
        ? value.map(canonical)
        : value && typeof value === 'object'
          ? Object.fromEntries(
              Object.keys(value)
                .sort()
                .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
            )
          : value;
  return createHash('sha256')
    .update(JSON.stringify([kind, canonical(input)]))
    .digest('hex');
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs write operations as ordered steps over the outbox: in the request (fast path) and in a
 * background worker (retries, and whatever a crash left behind). A retryable failure waits with
 * exponential backoff and jitter (at least the vendor's Retry-After); the last attempt makes a failed
 * delivery; a failure retrying cannot fix undoes the steps already done.
 */
export function createEngine(
  deps: EngineDeps,
  kinds: Array<OperationKind<never>>,
  options: EngineOptions = {},
) {
  const {
    maxAttempts = 8,
    retryBaseMs = 1_000, // 1 second
    retryMaxMs = 5 * 60_000, // 5 minutes
    leaseMs = 30_000, // 30 seconds
    fastPathMs = 3_000, // 3 seconds
    workerId = `worker-${randomUUID().slice(0, 8)}`,
  } = options;
  const store: OperationStore = createOperationStore(deps.store.db, deps.store.dialect);
  const registry = new Map(kinds.map((k) => [k.kind, k as OperationKind<unknown>]));
  const listeners = new Set<OperationListener>();
  /** Operations `submit` stored leased to this engine, not yet run (`run` takes them without a claim). */
  const bornLeased = new Set<string>();

  const backoff = (attempt: number, retryAfterMs?: number) => {
    const ceiling = Math.min(retryMaxMs, retryBaseMs * 2 ** (attempt - 1));
    const jittered = ceiling / 2 + Math.random() * (ceiling / 2);
    return Math.max(jittered, retryAfterMs ?? 0);
  };

  const workspaceOf = (id: string): Workspace => {
    const workspace = deps.workspaces.get(id);
    if (!workspace) throw new Error(`operation belongs to workspace "${id}", which this hub does not serve`);
    return workspace;
  };

  const contextFor = (op: OperationRecord, step: StepRecord, attempts: number): StepContext<unknown> => {
    const workspace = workspaceOf(op.workspace);
    return {
      workspace,
      identity: deps.identity,
      keys: cacheKeys(workspace.sources),
      operation: { id: op.id, kind: op.kind, input: op.input, context: op.context },
      store: deps.store,
      step: { name: step.name, position: step.position, idempotencyKey: step.idempotencyKey, attempts },
    };
  };

  /** A kind's step by its stored name; names stored before the core spoke roles are read as their role's. */
  const stepOf = (kind: OperationKind<unknown>, name: string) =>
    kind.steps[name] ?? kind.steps[roleStepName(name)];

  /** Drops what a step made stale, here at once and on every other replica through the bus. */
  const invalidate = async (targets: CacheTarget[] | undefined, workspace: string) => {
    if (targets?.length) await deps.bus.invalidate(workspace, targets);
  };

  const notify = async (workspace: string, id: string) => {
    if (listeners.size === 0) return;
    const op = await store.get(workspace, id);
    if (op) for (const listener of listeners) listener(op);
  };

  /**
   * Runs one attempt loop for a step (forward or undo). Returns 'done', 'failed' (not retryable),
   * 'gave-up' (attempts ran out) or a Date to come back at.
   */
  async function attempt(
    op: OperationRecord,
    step: StepRecord,
    deadline: number,
    work: (ctx: StepContext<unknown>) => Promise<Record<string, unknown>>,
    undo: boolean,
  ): Promise<
    | { outcome: 'done'; result: Record<string, unknown> }
    | { outcome: 'failed' | 'gave-up'; failure: Failure }
    | { outcome: 'later'; at: Date }
  > {
    let attempts = step.attempts;
    let nextAt = step.nextAttemptAt?.getTime() ?? 0;
    for (;;) {
      const wait = nextAt - Date.now();
      if (wait > 0) {
        if (Date.now() + wait > deadline) return { outcome: 'later', at: new Date(nextAt) };
        await sleep(wait);
      }
      attempts++;
      // A worker that lost its lease (it stalled past it and another took over) must stop writing.
      if (!(await store.renew(op.workspace, op.id, workerId, leaseMs))) throw new LeaseLost(op.id, workerId);
      await store.updateStep(op.workspace, op.id, step.position, {
        state: 'RUNNING',
        attempts,
        nextAttemptAt: null,
      });
      try {
        const result = await work(contextFor(op, step, attempts));
        return { outcome: 'done', result };
      } catch (error) {
        const failure = classify(error);
        deps.logger.warn(
          { operation: op.id, kind: op.kind, step: step.name, attempt: attempts, undo, code: failure.code },
          failure.message,
        );
        if (!failure.retryable) return { outcome: 'failed', failure };
        if (attempts >= maxAttempts) return { outcome: 'gave-up', failure };
        nextAt = Date.now() + backoff(attempts, failure.retryAfterMs);
        await store.updateStep(op.workspace, op.id, step.position, {
          state: undo ? 'SUCCEEDED' : 'PENDING',
          lastError: failure.message,
          lastErrorCode: failure.code,
          nextAttemptAt: new Date(nextAt),
        });
        step = { ...step, attempts };
      }
    }
  }

  async function forward(op: OperationRecord, deadline: number): Promise<void> {
    const kind = registry.get(op.kind);
    if (!kind) throw new Error(`no operation kind "${op.kind}" is registered`);
    // A step's result is stored with its SUCCEEDED state; the operation's context is written after.
    // A crash in between leaves a context without that result, so rebuild it from the steps.
    let context = op.steps.reduce(
      (merged, s) => (s.state === 'SUCCEEDED' && s.result ? { ...merged, ...s.result } : merged),
      op.context,
    );
    for (const step of op.steps) {
      if (step.state === 'SUCCEEDED' || step.state === 'SKIPPED') continue;
      if (step.state === 'GAVE_UP') return;
      const def = stepOf(kind, step.name);
      if (!def) throw new Error(`operation kind "${op.kind}" has no step "${step.name}"`);
      const current = { ...op, context };
      const r = await attempt(current, step, deadline, (ctx) => def.run(ctx), false);
      if (r.outcome === 'done') {
        context = { ...context, ...r.result };
        await store.updateStep(op.workspace, op.id, step.position, {
          state: 'SUCCEEDED',
          result: r.result,
          lastError: null,
          lastErrorCode: null,
        });
        await store.updateOperation(op.workspace, op.id, { context });
        await invalidate(
          def.invalidates?.(contextFor({ ...op, context }, step, step.attempts), r.result),
          op.workspace,
        );
        continue;
      }
      if (r.outcome === 'later') {
        await store.updateOperation(op.workspace, op.id, { nextRunAt: r.at });
        return;
      }
      if (r.outcome === 'gave-up') {
        await store.updateStep(op.workspace, op.id, step.position, {
          state: 'GAVE_UP',
          lastError: r.failure.message,
          lastErrorCode: r.failure.code,
        });
        await store.updateOperation(op.workspace, op.id, {
          state: 'DELIVERY_FAILED',
          error: `${step.name} gave up after ${maxAttempts} attempts: ${r.failure.message}`,
        });
        return;
      }
      // Not retryable: record why, skip what is left, and undo what was done.
      await store.updateStep(op.workspace, op.id, step.position, {
        state: 'FAILED',
        lastError: r.failure.message,
        lastErrorCode: r.failure.code,
      });
      for (const later of op.steps.filter((s) => s.position > step.position)) {
        await store.updateStep(op.workspace, op.id, later.position, { state: 'SKIPPED' });
      }
      await store.updateOperation(op.workspace, op.id, {
        state: 'COMPENSATING',
        error: `${step.name} failed: ${r.failure.message}`,
      });
      const reloaded = await store.get(op.workspace, op.id);
      if (reloaded) await backward(reloaded, deadline);
      return;
    }
    await store.updateOperation(op.workspace, op.id, { state: 'COMPLETED', error: null, context });
  }

  async function backward(op: OperationRecord, deadline: number): Promise<void> {
    const kind = registry.get(op.kind);
    if (!kind) throw new Error(`no operation kind "${op.kind}" is registered`);
    for (const step of [...op.steps].reverse()) {
      const def = stepOf(kind, step.name);
      if (step.state !== 'SUCCEEDED' || !def?.compensate) continue;
      const undoStep = { ...step, idempotencyKey: `${step.idempotencyKey}-undo` };
      const r = await attempt(
        op,
        undoStep,
        deadline,
        async (ctx) => {
          await def.compensate!(ctx, step.result ?? {});
          return {};
        },
        true,
      );
      if (r.outcome === 'done') {
        await store.updateStep(op.workspace, op.id, step.position, {
          state: 'COMPENSATED',
          nextAttemptAt: null,
        });
        await invalidate(
          def.invalidates?.(contextFor(op, step, step.attempts), step.result ?? {}),
          op.workspace,
        );
        continue;
      }
      if (r.outcome === 'later') {
        await store.updateOperation(op.workspace, op.id, { nextRunAt: r.at });
        return;
      }
      await store.updateStep(op.workspace, op.id, step.position, {
        state: 'COMPENSATION_FAILED',
        lastError: r.failure.message,
        lastErrorCode: r.failure.code,
      });
      await store.updateOperation(op.workspace, op.id, {
        state: 'DELIVERY_FAILED',
        error: `undoing ${step.name} failed: ${r.failure.message}`,
      });
      return;
    }
    await store.updateOperation(op.workspace, op.id, { state: 'FAILED' });
  }

  /** Runs a claimed operation until it finishes, waits for a retry, or the deadline passes. */
  async function runClaimed(
    workspace: string,
    id: string,
    deadline: number,
  ): Promise<OperationRecord | null> {
    try {
      const op = await store.get(workspace, id);
      if (op?.state === 'PENDING') await forward(op, deadline);
      else if (op?.state === 'COMPENSATING') await backward(op, deadline);
    } catch (error) {
      if (error instanceof LeaseLost) {
        deps.logger.warn({ operation: id, worker: workerId }, error.message);
        return store.get(workspace, id);
      }
      deps.logger.error(
        { err: error, operation: id },
        'operation run failed; it stays pending for the worker',
      );
      await store
        .updateOperation(workspace, id, { nextRunAt: new Date(Date.now() + retryBaseMs) })
        .catch(() => {});
    } finally {
      await store.release(workspace, id, workerId).catch(() => {});
    }
    await notify(workspace, id);
    return store.get(workspace, id);
  }

  return {
    store,
    workerId,

    /**
     * Stores the operation and its steps (nothing has been sent yet). With a client key seen before:
     * the same input returns the first operation; other input throws IdempotencyKeyReused.
     */
    async submit<I extends Record<string, unknown>>(
      workspace: string,
      kindName: string,
      input: I,
      submit: SubmitOptions = {},
    ): Promise<{ operation: OperationRecord; created: boolean }> {
      const kind = registry.get(kindName);
      if (!kind) throw new Error(`no operation kind "${kindName}" is registered`);
      const inputHash = hashInput(kindName, submit.clientArgs ?? input);
      const result = await store.create(
        workspace,
        {
          id: randomUUID(),
          kind: kindName,
          input,
          inputHash,
          clientKey: submit.clientKey ?? null,
          context: submit.context ?? {},
          lease: { workerId, until: new Date(Date.now() + leaseMs) },
          steps: kind.plan(input as never).map((name) => {
            const def = kind.steps[name];
            if (!def) throw new Error(`operation kind "${kindName}" plans an unknown step "${name}"`);
            return { name, system: workspaceOf(workspace).sources[def.role].name };
          }),
        },
        submit.alsoWrite,
      );
      if (
        !result.created &&
        (result.operation.kind !== kindName ||
          !sameInput(result.operation.inputHash, kindName, submit.clientArgs ?? input))
      ) {
        throw new IdempotencyKeyReused(submit.clientKey ?? '', result.operation.kind);
      }
      if (result.created) {
        bornLeased.add(result.operation.id);
        if (submit.invalidates?.length) await deps.bus.invalidate(workspace, submit.invalidates);
      }
      return result;
    },

    /** The fast path: run the operation now, in the caller's time, up to `fastPathMs`. */
    async run(workspace: string, id: string): Promise<OperationRecord | null> {
      // An operation this engine just submitted holds its lease from birth (see `submit`); any other
      // is claimed here, and one another worker holds is left to it.
      const held = bornLeased.delete(id);
      if (!held && !(await store.claim(workspace, id, workerId, leaseMs))) return store.get(workspace, id);
      return runClaimed(workspace, id, Date.now() + fastPathMs);
    },

    get: (workspace: string, id: string) => store.get(workspace, id),

    /**
     * The operation a client key started, if any; IdempotencyKeyReused when it was for something
     * else. Lets a repeat answer before the mutation's own checks (which the first call changed).
     */
    async replay(workspace: string, kindName: string, clientKey: string, clientArgs: unknown) {
      const existing = await store.findByClientKey(workspace, clientKey);
      if (existing && (existing.kind !== kindName || !sameInput(existing.inputHash, kindName, clientArgs))) {
        throw new IdempotencyKeyReused(clientKey, existing.kind);
      }
      return existing;
    },

    /** Puts a failed delivery back in line: its attempts start again and the worker runs it. */
    async retryDelivery(workspace: string, id: string): Promise<OperationRecord | null> {
      const op = await store.get(workspace, id);
      if (!op || op.state !== 'DELIVERY_FAILED') return op;
      let undoing = false;
      for (const step of op.steps) {
        if (step.state === 'GAVE_UP') {
          await store.updateStep(workspace, id, step.position, {
            state: 'PENDING',
            attempts: 0,
            nextAttemptAt: null,
          });
        }
        if (step.state === 'COMPENSATION_FAILED') {
          undoing = true;
          await store.updateStep(workspace, id, step.position, {
            state: 'SUCCEEDED',
            attempts: 0,
            nextAttemptAt: null,
          });
        }
      }
      await store.updateOperation(workspace, id, {
        state: undoing ? 'COMPENSATING' : 'PENDING',
        nextRunAt: new Date(),
      });
      return this.run(workspace, id);
    },

    /** Polls for due operations (retries, and those a crashed process left) until stopped. */
    startWorker({ intervalMs = 500, concurrency = 8 }: { intervalMs?: number; concurrency?: number } = {}) {
      let stopped = false;
      let running: Promise<void> = Promise.resolve();
      const loop = async () => {
        while (!stopped) {
          try {
            const due = await store.claimDue(workerId, leaseMs, concurrency);
            await Promise.all(
              due.map((d) =>
                inRootSpan(
                  options.tracer,
                  'outbox operation',
                  { 'switchboard.workspace': d.workspace, 'switchboard.operation_id': d.id },
                  () => runClaimed(d.workspace, d.id, Date.now() + leaseMs / 2),
                ),
              ),
            );
            if (due.length === concurrency) continue;
          } catch (error) {
            if (!stopped) deps.logger.error({ err: error }, 'outbox worker tick failed');
          }
          await sleep(intervalMs);
        }
      };
      running = loop();
      return {
        async stop() {
          stopped = true;
          await running;
        },
      };
    },

    onUpdate(listener: OperationListener): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

export type Engine = ReturnType<typeof createEngine>;
