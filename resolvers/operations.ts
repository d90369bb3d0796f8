import { GraphQLError } from 'graphql';
import type { GraphContext } from '../src/graph/context.ts';
import type { OperationModel } from '../src/graph/models.ts';
import type {
  OperationState,
  OperationStepState,
  Resolvers,
} from '../src/graph/resolvers-types.generated.ts';
import { checkFirst, cursorPage, decodeCursor } from '../src/graph/connection.ts';
import { expectGlobalId, toGlobalId } from '../src/graph/ids.ts';
import { badInput } from '../src/graph/errors.ts';
import { IdempotencyKeyReused, type SubmitOptions } from '../src/operations/engine.ts';
import { toSystem } from './shared.ts';
import { createLoaders } from '../src/graph/loaders.ts';
import { noteAuditTarget } from '../src/security/plugins.ts';
import type { StepRecord } from '../src/operations/store.ts';

/**
 * Every mutation goes through here. A repeat of a client idempotency key (the argument, or the
 * `Idempotency-Key` header) returns the first operation as it stands now, before any of the
 * mutation's own checks run; otherwise `prepare` checks the input and builds what is stored, the
 * operation is stored (nothing has been sent yet), and its steps run in the request.
 */
export async function perform<I extends Record<string, unknown>>(
  ctx: GraphContext,
  kind: string,
  clientArgs: Record<string, unknown>,
  prepare: () => Promise<{ input: I } & Pick<SubmitOptions, 'alsoWrite' | 'invalidates'>>,
  /** Runs once the operation is stored, before its steps (createBooking gives its lock back here). */
  stored?: () => Promise<void>,
): Promise<OperationModel> {
  const { idempotencyKey, ...args } = clientArgs;
  const key = (idempotencyKey as string | null | undefined) ?? ctx.request.headers.get('idempotency-key');
  if (key !== null && (key.length === 0 || key.length > 255)) {
    throw badInput('an idempotency key is 1 to 255 characters', 'idempotencyKey');
  }
  const engine = ctx.hub.engine;
  const ws = ctx.workspace.id;
  try {
    if (key !== null) {
      const earlier = await engine.replay(ws, kind, key, args);
      if (earlier) {
        noteAuditTarget(ctx, kind, toGlobalId('Operation', earlier.id));
        return earlier;
      }
    }
    let prepared: Awaited<ReturnType<typeof prepare>>;
    try {
      prepared = await prepare();
    } catch (error) {
      // A concurrent request with the same key may have stored its operation since (and so changed
      // what the checks see, e.g. the customer now exists): then this is a repeat, not a mistake.
      const earlier = key !== null ? await engine.replay(ws, kind, key, args) : null;
      if (earlier) return earlier;
      throw error;
    }
    const { input, alsoWrite, invalidates } = prepared;
    const { operation, created } = await engine.submit(ws, kind, input, {
      clientKey: key,
      clientArgs: args,
      alsoWrite,
      invalidates,
    });
    await stored?.();
    noteAuditTarget(ctx, kind, toGlobalId('Operation', operation.id));
    if (!created) return operation;
    const ran = (await engine.run(ws, operation.id)) ?? operation;
    // The checks above loaded records through this request's loaders; the payload must see them as written.
    ctx.loaders = createLoaders(ctx.hub, ctx.workspace, ctx.signal, { freshness: ctx.freshness });
    return ran;
  } catch (error) {
    if (error instanceof IdempotencyKeyReused) {
      throw new GraphQLError(error.message, {
        extensions: { code: 'IDEMPOTENCY_KEY_REUSED', idempotencyKey: key },
      });
    }
    throw error;
  }
}

/** The last operation of the previous page, from an `operations` cursor (`op:<createdAt>|<id>`). */
function afterOperation(cursor: string): { createdAt: string; id: string } {
  const text = decodeCursor(cursor, 'op');
  const at = text.indexOf('|');
  const createdAt = text.slice(0, at);
  if (at === -1 || Number.isNaN(Date.parse(createdAt)) || at === text.length - 1) {
    throw badInput(`"after" is not a cursor from this list: ${cursor.slice(0, 60)}`, 'after');
  }
  return { createdAt, id: text.slice(at + 1) };
}

const isOperator = (ctx: GraphContext) => ctx.caller.principal.scopes.has('operator');

const publicStepError = (step: StepRecord) =>
  `${step.name} failed with ${step.lastErrorCode ?? 'an error'}; an operator can see the system's own message.`;

export const operationResolvers: Resolvers = {
  Operation: {
    id: (op) => toGlobalId('Operation', op.id),
    state: (op) => op.state as OperationState,
    // Vendors' own words are for operators; others get which system and the code.
    error: (op, _, ctx) => {
      if (op.error === null || isOperator(ctx)) return op.error;
      const step =
        op.steps.find((s) => s.lastError !== null && s.state !== 'SUCCEEDED') ??
        op.steps.find((s) => s.lastError);
      return step ? publicStepError(step) : 'The operation failed.';
    },
  },
  OperationStep: {
    system: (step) => toSystem(step.system),
    state: (step) => step.state as OperationStepState,
    lastError: (step, _, ctx) =>
      step.lastError === null || isOperator(ctx) ? step.lastError : publicStepError(step),
  },
  Query: {
    operation: (_, { id }, ctx) => ctx.hub.engine.get(ctx.workspace.id, expectGlobalId(id, 'Operation')),
    failedDeliveries: async (_, args, ctx) => {
      const first = checkFirst(args.first, 500, 50);
      const after = args.after ? decodeCursor(args.after, 'f') : undefined;
      const rows = await ctx.hub.engine.store.failedDeliveries(ctx.workspace.id, first + 1, after);
      return cursorPage(rows.slice(0, first), {
        cursor: (d) => `f:${d.step.updatedAt.toISOString()}`,
        hasNextPage: rows.length > first,
        hasPreviousPage: Boolean(after),
      });
    },
    operations: async (_, args, ctx) => {
      const first = checkFirst(args.first, 500, 50);
      const after = args.after ? afterOperation(args.after) : undefined;
      const rows = await ctx.hub.engine.store.list(ctx.workspace.id, {
        states: args.states ?? undefined,
        first: first + 1,
        after,
      });
      return cursorPage(rows.slice(0, first), {
        cursor: (op) => `op:${op.createdAt.toISOString()}|${op.id}`,
        hasNextPage: rows.length > first,
        hasPreviousPage: Boolean(after),
      });
    },
  },
  Mutation: {
    retryDelivery: async (_, { operationId }, ctx) => {
      const id = expectGlobalId(operationId, 'Operation', 'operationId');
      const op = await ctx.hub.engine.get(ctx.workspace.id, id);
      if (!op) return null;
      if (op.state !== 'DELIVERY_FAILED') {
        throw badInput(
          `operation ${operationId} is ${op.state}, not DELIVERY_FAILED: there is nothing to replay`,
          'operationId',
        );
      }
      return ctx.hub.engine.retryDelivery(ctx.workspace.id, id);
    },
  },
};
