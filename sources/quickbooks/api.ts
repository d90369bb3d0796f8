import { SourceError } from '../../src/domain/errors.ts';
import type { UpstreamClient } from '../../src/upstream/client.ts';
import { createReader } from '../../src/upstream/validate.ts';
import { quickbooksFaultError } from './errors.ts';
import type { Gate } from '../../src/upstream/gate.ts';
import type { BATCH_OPERATIONS } from './limits.ts';

/**
 * The Accounting API v3 calls the adapter makes, below `/v3/company/{realmId}/`: the query
 * language, batch, entity reads and writes, and change data capture. Every call names the minor
 * version and goes through the gate (QBO's 10 concurrent calls per company).
 * https://developer.intuit.com/app/developer/qbo/docs/learn/rest-api-features
 */
export type Resource = 'customer' | 'invoice' | 'payment';
export type Entity = 'Customer' | 'Invoice' | 'Payment' | 'Item';
export type BatchOperation = (typeof BATCH_OPERATIONS)[number];

export interface QuickbooksApi {
  readonly realmId: string;
  /** One statement's records (one request, no paging clauses added). */
  query(statement: string, entity: Entity, operation: string, signal?: AbortSignal): Promise<unknown[]>;
  /** Every record of a statement, a page of MAX_RESULTS at a time (`STARTPOSITION`). */
  queryAll(statement: string, entity: Entity, operation: string, signal?: AbortSignal): Promise<unknown[]>;
  /** `select count(*) from …`. */
  count(statement: string, operation: string, signal?: AbortSignal): Promise<number>;
  /**
   * Several statements in one batch request (at most MAX_BATCH_ITEMS): one result per statement,
   * the records or that item's own failure.
   */
  batchQueries(
    statements: readonly string[],
    entity: Entity,
    operation: BatchOperation,
    signal?: AbortSignal,
  ): Promise<Array<unknown[] | SourceError>>;
  /** `GET <resource>/<id>`: the entity object. */
  get(
    resource: Resource,
    id: string,
    operation: string,
    signal?: AbortSignal,
  ): Promise<Record<string, unknown>>;
  /** `POST <resource>[?operation=…]` with a requestid: the entity object QBO answers with. */
  write(
    resource: Resource,
    body: Record<string, unknown>,
    options: { operation: string; requestId: string; action?: 'update' | 'void'; signal?: AbortSignal },
  ): Promise<Record<string, unknown>>;
  /** `GET cdc`: what changed since then, per entity (deleted records as `{status: "Deleted", Id}`). */
  cdc(entities: readonly Entity[], since: Date, signal?: AbortSignal): Promise<Map<Entity, unknown[]>>;
}

/** QBO's largest page (`MAXRESULTS`). */
export const MAX_RESULTS = 1000;
/** Items per batch request. */
export const MAX_BATCH_ITEMS = 30;
/** Objects one CDC answer holds at most: an answer this full may have left some out. */
export const CDC_MAX_OBJECTS = 1000;

const read = createReader('quickbooks');

const ENTITY_OF: Record<Resource, Entity> = { customer: 'Customer', invoice: 'Invoice', payment: 'Payment' };

/** A string literal of the query language: single-quoted, with `\` escapes. */
export const literal = (value: string): string => `'${value.replace(/[\\']/g, (c) => `\\${c}`)}'`;

/** `'1', '2'` for `IN (…)`. */
export const literals = (values: readonly string[]): string => values.map(literal).join(', ');

/** `2026-11-23T10:15:00Z`: whole seconds, as QBO compares times. */
export const wholeSecondsIso = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

export function createQuickbooksApi(options: {
  client: UpstreamClient;
  realmId: string;
  minorVersion: number;
  gate: Gate;
}): QuickbooksApi {
  const { client, realmId, gate } = options;
  const base = `/v3/company/${encodeURIComponent(realmId)}`;
  const minorversion = options.minorVersion;

  const entities = (answer: Record<string, unknown>, entity: Entity, what: string): unknown[] => {
    const list = answer[entity];
    return list === undefined || list === null ? [] : read.array(list, `${what}.${entity}`);
  };

  const queryResponse = async (statement: string, operation: string, signal?: AbortSignal) => {
    // https://developer.intuit.com/app/developer/qbo/docs/learn/explore-the-quickbooks-online-api/data-queries
    // POSTed as `application/text`: long `IN (…)` lists stay out of the URL, and the statement's
    // spaces and quotes need no query-string encoding.
    const res = await gate(() =>
      client.request({
        operation,
        method: 'POST',
        path: `${base}/query`,
        query: { minorversion },
        headers: { 'content-type': 'application/text' },
        body: statement,
        idempotent: true,
        signal,
      }),
    );
    const body = read.object(res.body, `${operation} response`);
    return read.object(body.QueryResponse ?? {}, `${operation}.QueryResponse`);
  };

  const api: QuickbooksApi = {
    realmId,

    async query(statement, entity, operation, signal) {
      return entities(await queryResponse(statement, operation, signal), entity, operation);
    },

    async queryAll(statement, entity, operation, signal) {
      const all: unknown[] = [];
      for (let start = 1; ; start += MAX_RESULTS) {
        const page = await api.query(
          `${statement} STARTPOSITION ${start} MAXRESULTS ${MAX_RESULTS}`,
          entity,
          operation,
          signal,
        );
        all.push(...page);
        if (page.length < MAX_RESULTS) return all;
      }
    },

    async count(statement, operation, signal) {
      const answer = await queryResponse(statement, operation, signal);
      return read.optionalNumber(answer, 'totalCount') ?? 0;
    },

    async batchQueries(statements, entity, operation, signal) {
      if (statements.length > MAX_BATCH_ITEMS) {
        throw new Error(`a batch takes at most ${MAX_BATCH_ITEMS} items, got ${statements.length}`);
      }
      // https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/batch
      const res = await gate(() =>
        client.request({
          operation,
          method: 'POST',
          path: `${base}/batch`,
          query: { minorversion },
          body: { BatchItemRequest: statements.map((Query, i) => ({ bId: String(i + 1), Query })) },
          // Queries only: sending it twice reads twice.
          idempotent: true,
          signal,
        }),
      );
      const body = read.object(res.body, `${operation} response`);
      const items = read.array(body.BatchItemResponse ?? [], `${operation}.BatchItemResponse`);
      const byId = new Map<string, Record<string, unknown>>();
      for (const raw of items) {
        const item = read.object(raw, `${operation}.BatchItemResponse[]`);
        const bId = read.optionalString(item, 'bId');
        if (bId) byId.set(bId, item);
      }
      return statements.map((_, i) => {
        const item = byId.get(String(i + 1));
        if (!item) {
          return new SourceError(
            'quickbooks',
            'UPSTREAM_ERROR',
            `quickbooks sent an unexpected response: ${operation} has no answer for item ${i + 1}`,
            { operation },
          );
        }
        if (item.Fault !== undefined) {
          return quickbooksFaultError(item.Fault, { status: 400, operation, realmId });
        }
        return entities(
          read.object(item.QueryResponse ?? {}, `${operation}.QueryResponse`),
          entity,
          operation,
        );
      });
    },

    async get(resource, id, operation, signal) {
      // https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/customer#read-a-customer
      // (and invoice#read-an-invoice, payment#read-a-payment)
      const res = await gate(() =>
        client.request({
          operation,
          method: 'GET',
          path: `${base}/${resource}/${encodeURIComponent(id)}`,
          query: { minorversion },
          signal,
        }),
      );
      const entity = ENTITY_OF[resource];
      return read.object(read.object(res.body, `${operation} response`)[entity], `${operation}.${entity}`);
    },

    async write(resource, body, { operation, requestId, action, signal }) {
      // https://developer.intuit.com/app/developer/qbo/docs/learn/rest-api-features (requestid)
      // https://blogs.intuit.com/2015/04/06/15346/ (Request ID update for QuickBooks Online integration)
      // requestid: QBO answers a repeated requestid with the first request's answer instead of
      // doing the work again, which is what makes a retry after a lost answer safe.
      const res = await gate(() =>
        client.request({
          operation,
          method: 'POST',
          path: `${base}/${resource}`,
          query: { minorversion, requestid: requestId, ...(action ? { operation: action } : {}) },
          body,
          idempotent: true,
          signal,
        }),
      );
      const entity = ENTITY_OF[resource];
      return read.object(read.object(res.body, `${operation} response`)[entity], `${operation}.${entity}`);
    },

    async cdc(list, since, signal) {
      // https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/changedatacapture
      const res = await gate(() =>
        client.request({
          operation: 'cdc',
          method: 'GET',
          path: `${base}/cdc`,
          query: { entities: list.join(','), changedSince: wholeSecondsIso(since), minorversion },
          signal,
        }),
      );
      const body = read.object(res.body, 'cdc response');
      const out = new Map<Entity, unknown[]>();
      for (const rawGroup of read.array(body.CDCResponse ?? [], 'cdc.CDCResponse')) {
        const group = read.object(rawGroup, 'cdc.CDCResponse[]');
        for (const rawAnswer of read.array(group.QueryResponse ?? [], 'cdc.CDCResponse[].QueryResponse')) {
          const answer = read.object(rawAnswer, 'cdc.QueryResponse[]');
          for (const entity of list) {
            const records = entities(answer, entity, 'cdc.QueryResponse[]');
            if (records.length > 0) out.set(entity, [...(out.get(entity) ?? []), ...records]);
          }
        }
      }
      return out;
    },
  };
  return api;
}
