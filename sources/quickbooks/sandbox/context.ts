/** What every route module shares: the company, the clock, the change feed, and the `time` stamp. */
import type { SandboxRequest, SandboxResponse } from '../../../src/sandbox/kit/http.ts';
import type { Clock } from '../../../src/sandbox/kit/clock.ts';
import type { Company, Customer, EntityName, Invoice, Item, Payment } from './state.ts';
import type { ChangeBatch } from './webhooks.ts';
import { dateTime, invalidProperty, JSON_TYPE, QboFault, responseTime } from './wire.ts';

export interface QboContext {
  /** Replaced wholesale on reset, so always read it through the context. */
  company: Company;
  clock: Clock;
  realmId: string;
  /** Starts a set of changes that becomes one webhook notification when committed. */
  changes(): ChangeBatch;
}

/** The `time` member of every response: now, in the company's zone, with milliseconds. */
export const timeStamp = (ctx: QboContext): string => responseTime(ctx.clock.now(), ctx.company.timeZone);

export const ok = (ctx: QboContext, body: Record<string, unknown>): SandboxResponse => ({
  status: 200,
  headers: { 'Content-Type': JSON_TYPE },
  body: { ...body, time: timeStamp(ctx) },
});

export const faultResponse = (ctx: QboContext, fault: QboFault): SandboxResponse => ({
  status: fault.status,
  headers: { 'Content-Type': JSON_TYPE },
  body: fault.body(timeStamp(ctx)),
});

/** Runs a handler, answering a thrown QboFault with its envelope. */
export function api(
  ctx: QboContext,
  handler: (req: SandboxRequest) => SandboxResponse | Promise<SandboxResponse>,
): (req: SandboxRequest) => Promise<SandboxResponse> {
  return async (req) => {
    try {
      return await handler(req);
    } catch (error) {
      if (error instanceof QboFault) return faultResponse(ctx, error);
      throw error;
    }
  };
}

/** Parses a JSON request body, or throws the fault QBO gives for an unreadable one. */
export function jsonBody(req: SandboxRequest): unknown {
  if (req.rawBody.length === 0) return undefined;
  try {
    return JSON.parse(req.rawBody.toString('utf8')) as unknown;
  } catch (error) {
    throw invalidProperty(
      `Can not parse the request body (${error instanceof Error ? error.message : String(error)})`,
    );
  }
}

export type Rec = Customer | Invoice | Payment | Item;

export type FieldType = 'id' | 'ref' | 'string' | 'bool' | 'number' | 'date' | 'datetime';

/** A property the query language may filter and sort on, read from the stored record. */
export interface FieldSpec {
  /** Canonical spelling, e.g. `MetaData.LastUpdatedTime`. */
  name: string;
  type: FieldType;
  get(ctx: QboContext, rec: Rec): string | number | boolean | undefined;
}

export interface WriteOptions {
  /** The `include` query parameter: `allowduplicatedocnum`, `void`. */
  include: string[];
}

/** One entity's operations, shared by its own endpoints, the query language, batch and CDC. */
export interface EntityOps {
  name: EntityName;
  fields: FieldSpec[];
  /** Other top-level members of the wire form: they exist but cannot be queried. */
  properties: string[];
  all(ctx: QboContext): Rec[];
  find(ctx: QboContext, id: string): Rec | undefined;
  toWire(ctx: QboContext, rec: Rec): Record<string, unknown>;
  /** Records a query returns unless its where clause names `Active` (QBO hides inactive names). */
  activeOnly?: (rec: Rec) => boolean;
  create?(ctx: QboContext, input: Record<string, unknown>, changes: ChangeBatch, options: WriteOptions): Rec;
  update?(
    ctx: QboContext,
    existing: Rec,
    input: Record<string, unknown>,
    changes: ChangeBatch,
    options: WriteOptions,
  ): Rec;
  remove?(ctx: QboContext, existing: Rec, changes: ChangeBatch): void;
  void?(ctx: QboContext, existing: Rec, changes: ChangeBatch): Rec;
}

/** `MetaData` of a record, at the seconds the wire shows. */
export const metaData = (ctx: QboContext, rec: { createdAt: number; updatedAt: number }) => ({
  CreateTime: dateTime(rec.createdAt, ctx.company.timeZone),
  LastUpdatedTime: dateTime(rec.updatedAt, ctx.company.timeZone),
});

/** Instants as the wire (and so the query language) sees them: whole seconds. */
export const wholeSeconds = (ms: number): number => Math.floor(ms / 1000) * 1000;

/** Reads `sparse` the way QBO does: true or "true". */
export const isSparse = (input: Record<string, unknown>): boolean =>
  input.sparse === true || input.sparse === 'true';
