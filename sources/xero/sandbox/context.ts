/** What every route module shares: the books, the clock, the id source and the change feed. */
import type { Random } from '../../../src/sandbox/kit/random.ts';
import type { SandboxRequest, SandboxResponse } from '../../../src/sandbox/kit/http.ts';
import type { Clock } from '../../../src/sandbox/kit/clock.ts';
import type { Books } from './state.ts';
import type { ChangeBatch } from './webhooks.ts';
import { envelope, isRecord, validationException } from './wire.ts';
import { boolParam } from './query.ts';

export interface XeroContext {
  /** Replaced wholesale on reset and on a rolled-back batch, so always read it through the context. */
  books: Books;
  clock: Clock;
  /** Mints ContactIDs, InvoiceIDs, PaymentIDs, LineItemIDs. */
  ids: Random;
  tenantId: string;
  /** Starts a set of changes that becomes one webhook delivery when committed. */
  changes(): ChangeBatch;
}

export type ElementResult = { id: string } | { errors: string[] };

/**
 * Runs a PUT/POST batch the way Xero does. With summarizeErrors=true (the default) the batch is
 * all-or-nothing: one invalid element rolls every element back and the answer is a 400
 * ValidationException listing the failed elements. With summarizeErrors=false the valid elements
 * are saved and the answer is a 200 in which failed elements carry their ValidationErrors.
 */
export function runBatch(
  ctx: XeroContext,
  req: SandboxRequest,
  key: string,
  items: Record<string, unknown>[],
  applyOne: (item: Record<string, unknown>, changes: ChangeBatch) => ElementResult,
  toWire: (id: string) => Record<string, unknown>,
  errorFlag: 'HasErrors' | 'HasValidationErrors',
): SandboxResponse {
  const summarize = boolParam(req.query, 'summarizeErrors') ?? true;
  const before = structuredClone(ctx.books);
  const changes = ctx.changes();
  const results = items.map((item) => ({ item, result: applyOne(item, changes) }));
  const failed = results.filter((r) => 'errors' in r.result);
  const echo = (item: Record<string, unknown>, errors: string[]) => ({
    ...item,
    [errorFlag]: true,
    ValidationErrors: errors.map((Message) => ({ Message })),
  });
  if (failed.length > 0 && summarize) {
    ctx.books = before;
    changes.discard();
    return validationException(failed.map((r) => echo(r.item, (r.result as { errors: string[] }).errors)));
  }
  changes.commit();
  const now = ctx.clock.now();
  return {
    status: 200,
    body: envelope(req, now, {
      [key]: results.map(({ item, result }) =>
        'errors' in result
          ? { ...echo(item, result.errors), StatusAttributeString: 'ERROR' }
          : { ...toWire(result.id), ...(summarize ? {} : { StatusAttributeString: 'OK' }) },
      ),
    }),
  };
}

/** The single-object form some endpoints accept (POST /Payments) next to the `{Payments:[...]}` batch form. */
export function itemsOf(body: unknown, key: string): Record<string, unknown>[] | undefined {
  if (isRecord(body) && !(key in body)) return [body];
  return undefined;
}
