import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Plugin as EnvelopPlugin } from '@envelop/core';
import { useExtendedValidation } from '@envelop/extended-validation';
import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import {
  GraphQLError,
  getOperationAST,
  isObjectType,
  Kind,
  type ExecutionResult,
  type OperationDefinitionNode,
} from 'graphql';
import { getArgumentValues } from 'graphql/execution/values.js';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { Metrics } from '../observability/metrics.ts';
import { annotateRequestSpan } from '../observability/spans.ts';
import type { AuditLog } from './audit.ts';
import { costRule, documentLimitPlugins, oversizeGuard, type QueryLimits } from './limits.ts';
import {
  refusalResponse,
  type AddressSource,
  type Caller,
  type GuardResult,
  type RequestGuard,
} from './requests.ts';
import { scopeRule } from './scope-rule.ts';

/** The caller of each HTTP request, set once authenticated and read when its context is built. */
export const callers = new WeakMap<Request, Caller>();

/** The log line's document hash; clients send the same few documents over and over. */
const documentHashes = new LRUCache<string, string>({ max: 1_000 });
export const documentHash = (query: string) => {
  let hash = documentHashes.get(query);
  if (hash === undefined) {
    hash = createHash('sha256').update(query).digest('hex').slice(0, 16);
    documentHashes.set(query, hash);
  }
  return hash;
};

const LEADING_OPERATION = /^\s*(?:#[^\n]*\n\s*)*(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)/;

/**
 * A request's operation name for logs and metrics: the `operationName` it sent, else the name of
 * the operation its document starts with (clients often send only the document), else
 * `(anonymous)`. Read from the text, not parsed: it names, it decides nothing.
 */
export function operationNameOf(params: { operationName?: string | null; query?: string }): string {
  if (params.operationName) return params.operationName;
  return (params.query && LEADING_OPERATION.exec(params.query)?.[1]) || '(anonymous)';
}

/** One GraphQL request as it ends, for its log line and metrics. */
export interface RequestLine {
  operation?: string;
  document?: string;
  caller?: Caller;
  status: number;
  /** When the request arrived (`performance.now()`). */
  startedAt: number;
  /** The codes of the errors in its answer. */
  errors?: string[];
}

/** Operation names a process labels its metrics with; later ones are "(other)". */
const MAX_OPERATION_LABELS = 100;
const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * Writes each GraphQL request's log line, counts it in the metrics and names its span (when traced).
 * Never the query text, variables or results: they carry customer data. Operation names come from
 * clients, so the metrics label only well-formed names, and only the first 100 (an endless stream of
 * new names would grow `/metrics` without bound).
 */
export function requestRecorder(logger: Logger, metrics?: Metrics): (line: RequestLine) => void {
  const labelled = new Set<string>();
  const labelOf = (operation: string | undefined) => {
    if (!operation || operation === '(anonymous)') return '(anonymous)';
    if (!OPERATION_NAME.test(operation)) return '(other)';
    if (labelled.has(operation)) return operation;
    if (labelled.size >= MAX_OPERATION_LABELS) return '(other)';
    labelled.add(operation);
    return operation;
  };
  return (line) => {
    const ms = performance.now() - line.startedAt;
    annotateRequestSpan({
      operation: line.operation,
      workspace: line.caller?.workspace.id,
      errors: line.errors,
    });
    if (metrics) {
      const operation = labelOf(line.operation);
      metrics.graphqlRequests.inc({ operation, status: String(line.status) });
      metrics.graphqlDuration.observe({ operation }, ms / 1000);
      for (const code of line.errors ?? []) metrics.graphqlErrors.inc({ operation, code });
    }
    if (!logger.isLevelEnabled('info')) return;
    logger.info(
      {
        operation: line.operation,
        document: line.document,
        actor: line.caller?.principal.actor,
        workspace: line.caller?.workspace.id,
        status: line.status,
        ms: Math.round(ms * 100) / 100,
        ...(line.errors ? { errors: line.errors } : {}),
      },
      'graphql request',
    );
  };
}

/**
 * What `src/server.ts` hands yoga with a request it has already authenticated (the early answers of
 * `src/graph/early-answers.ts`, when their cache had nothing): the guard's verdict, so the request is
 * neither checked nor counted against its rate limit twice, and when it arrived.
 */
export interface GuardedServerContext {
  guarded?: GuardResult;
  startedAt?: number;
}

export interface SecurityPluginOptions {
  guard: RequestGuard;
  /** The caller's address from a node:http request (`local` for in-process `yoga.fetch` calls). */
  addressOf: (source: AddressSource | undefined) => string;
  audit: AuditLog;
  logger: Logger;
  limits: QueryLimits;
  introspection: boolean;
  /** Registered documents by id (sha256 of the text, as clients send it); only these run, except for operators. */
  trustedDocuments?: ReadonlyMap<string, string>;
  /** False drops the scope check (security off, for the benchmark that measures what it costs). */
  scopes?: boolean;
  /** Plugins that answer from an earlier request's result, run before the scope and cost pass (see `Security.plugins`). */
  answering?: Plugin[];
  /** Each request's log line and metrics (`requestRecorder`). */
  recordRequest: (line: RequestLine) => void;
}

/** What the GraphQL context carries for the plugins below. */
interface SecuredContext {
  caller?: Caller;
  /** Mutations name what they acted on (an operation id, a key id) for the audit log, by mutation name. */
  auditTargets?: Map<string, string[]>;
}

/** Operators may do what trusted-documents mode and redaction withhold from other callers. */
export const isOperator = (caller: Caller | undefined) => caller?.principal.scopes.has('operator') ?? false;

/** Non-operators get a vendor failure's code and whether to retry, not the vendor's own words. */
export function redactForCaller(result: ExecutionResult, caller: Caller | undefined): ExecutionResult {
  if (isOperator(caller)) return result;
  let changed = false;
  const errors = result.errors?.map((error) => {
    if (!error.extensions || !('vendor' in error.extensions)) return error;
    changed = true;
    const { vendor: _vendor, ...extensions } = error.extensions;
    return new GraphQLError(error.message, { nodes: error.nodes, path: error.path, extensions });
  });
  const sources = result.extensions?.sources as Record<string, { message?: string }> | undefined;
  let extensions = result.extensions;
  if (sources) {
    changed = true;
    extensions = {
      ...result.extensions,
      sources: Object.fromEntries(
        Object.entries(sources).map(([source, { message: _message, ...notice }]) => [source, notice]),
      ),
    };
  }
  return changed ? { ...result, errors, extensions } : result;
}

/**
 * Everything between a request arriving and its answer going out, as yoga/envelop plugins in the
 * order they apply: authentication and rate limits, CSRF, trusted documents, document limits, scope
 * and cost checks (both before any resolver runs, in one extended-validation pass), the execution
 * deadline, the audit of mutations, what each caller may see of errors, the response size cap, and
 * one log line per request.
 */
export function securityPlugins(options: SecurityPluginOptions): Plugin[] {
  const { guard, audit, logger, limits, introspection, trustedDocuments, addressOf } = options;
  const started = new WeakMap<
    Request,
    { at: number; operation?: string; document?: string; codes?: string[] }
  >();

  const authenticate: Plugin = {
    onRequest({ request, serverContext, endResponse, fetchAPI }) {
      const context = serverContext as (GuardedServerContext & { req?: AddressSource }) | undefined;
      started.set(request, { at: context?.startedAt ?? performance.now() });
      const verdict = context?.guarded
        ? Promise.resolve(context.guarded)
        : guard.check({
            headers: request.headers,
            url: request.url,
            address: addressOf(context?.req),
            action: 'request',
          });
      return verdict.then((result) => {
        if (result.ok) callers.set(request, result.caller);
        else endResponse(refusalResponse(result.refusal, fetchAPI.Response));
      });
    },
  };

  const auditRefusals = (args: { contextValue?: unknown }, errors: readonly GraphQLError[]) => {
    const context = args.contextValue as (SecuredContext & { request?: Request }) | undefined;
    // Parsing and validation run before the GraphQL context is built: the request's caller then.
    const caller = context?.caller ?? (context?.request ? callers.get(context.request) : undefined);
    const codes = [...new Set(errors.map((e) => String(e.extensions?.code ?? 'GRAPHQL_VALIDATION_FAILED')))];
    const forbidden = codes.includes('FORBIDDEN');
    audit.refused({
      workspace: caller?.workspace.id ?? null,
      actor: caller?.principal.actor ?? 'anonymous',
      action: 'request',
      outcome: forbidden ? 'FORBIDDEN' : 'REJECTED',
      address: caller?.address,
      origin: caller?.origin,
      reason: forbidden ? 'MISSING_SCOPE' : codes[0]!,
      detail: forbidden
        ? {
            missingScopes: [
              ...new Set(errors.flatMap((e) => (e.extensions?.missingScopes as string[]) ?? [])),
            ],
            fields: [...new Set(errors.map((e) => e.extensions?.field).filter(Boolean))],
          }
        : { codes },
    });
  };

  // Scopes first: a caller refused a field hears which scope it lacks, not what the query costs.
  const checks: EnvelopPlugin = useExtendedValidation({
    rules: options.scopes === false ? [costRule(limits.maxCost)] : [scopeRule, costRule(limits.maxCost)],
    onValidationFailed: ({ args, result, setResult }) => {
      const errors = result.errors ?? [];
      auditRefusals(args, errors);
      // Bad variables surface here (the cost rule reads them first): a 400, as the executor would answer.
      setResult({
        ...result,
        errors: errors.map((e) =>
          e.extensions?.http
            ? e
            : new GraphQLError(e.message, {
                nodes: e.nodes,
                extensions: { code: 'BAD_USER_INPUT', ...e.extensions, http: { status: 400 } },
              }),
        ),
      });
    },
  });

  /** Rejections in parsing and the cached validation (syntax, depth, aliases, tokens, unknown fields). */
  const auditInvalid: EnvelopPlugin<SecuredContext> = {
    onParse:
      ({ context }) =>
      ({ result }) => {
        if (result instanceof Error) auditRefusals({ contextValue: context }, [result as GraphQLError]);
      },
    onValidate: ({ context, validateFn, setValidationFn }) => {
      // GraphQL Armor's depth, alias and directive limits throw instead of reporting an error.
      setValidationFn((...args) => {
        try {
          return validateFn(...args);
        } catch (error) {
          auditRefusals({ contextValue: context }, [error as GraphQLError]);
          throw error;
        }
      });
      return ({ result }) => {
        if (result.length > 0) auditRefusals({ contextValue: context }, result as readonly GraphQLError[]);
      };
    },
  };

  // The request's deadline (context.signal) bounds execution as well as the vendor calls in it.
  const deadline: EnvelopPlugin = {
    onExecute({ args }) {
      const signal = (args.contextValue as { signal?: AbortSignal }).signal;
      if (signal) (args as { signal?: AbortSignal }).signal = signal;
    },
  };

  const auditMutations: EnvelopPlugin<SecuredContext> = {
    onExecute({ args }) {
      const operation = getOperationAST(args.document, args.operationName);
      if (operation?.operation !== 'mutation') return;
      const context = args.contextValue as SecuredContext;
      context.auditTargets = new Map();
      return {
        onExecuteDone: async ({ result }) => {
          if (isAsyncIterable(result)) return;
          const caller = context.caller;
          const entries = rootFields(operation, args).map(({ name, responseKey, target }) => {
            const failures = (result.errors ?? []).filter((e) => e.path?.[0] === responseKey);
            return audit.record({
              workspace: caller?.workspace.id ?? null,
              actor: caller?.principal.actor ?? 'anonymous',
              action: name,
              target: context.auditTargets?.get(name)?.shift() ?? target,
              outcome: failures.length > 0 ? 'FAILED' : 'SUCCEEDED',
              address: caller?.address,
              origin: caller?.origin,
              detail: failures.length
                ? { codes: [...new Set(failures.map((e) => String(e.extensions?.code ?? 'ERROR')))] }
                : undefined,
            });
          });
          await Promise.all(entries).catch((error: unknown) =>
            logger.error({ err: error }, 'writing the audit log failed'),
          );
        },
      };
    },
  };

  const responses: Plugin = {
    onParams({ params, request }) {
      const entry = started.get(request);
      if (entry) {
        entry.operation = operationNameOf(params);
        entry.document = params.query
          ? documentHash(params.query)
          : (params.extensions?.persistedQuery as { sha256Hash?: string } | undefined)?.sha256Hash?.slice(
              0,
              16,
            );
      }
    },
    onResultProcess({ request, result, setResult }) {
      if (isAsyncIterable(result) || Array.isArray(result)) return;
      const caller = callers.get(request);
      const redacted = redactForCaller(result as ExecutionResult, caller);
      const entry = started.get(request);
      if (entry && redacted.errors?.length) {
        entry.codes = [...new Set(redacted.errors.map((e) => String(e.extensions?.code ?? 'ERROR')))];
      }
      setResult({ ...redacted, stringify: oversizeGuard(limits.maxResponseChars) } as ExecutionResult);
    },
    onResponse({ request, response }) {
      const entry = started.get(request);
      if (!entry) return;
      const caller = callers.get(request);
      if (response.status === 413) {
        audit.refused({
          workspace: caller?.workspace.id ?? null,
          actor: caller?.principal.actor ?? 'anonymous',
          action: 'request',
          outcome: 'REJECTED',
          address: caller?.address,
          origin: caller?.origin,
          reason: 'BODY_TOO_LARGE',
        });
      }
      options.recordRequest({
        operation: entry.operation,
        document: entry.document,
        caller,
        status: response.status,
        startedAt: entry.at,
        errors: entry.codes,
      });
    },
  };

  const plugins: Plugin[] = [
    authenticate,
    responses,
    // A browser can send form posts, multipart and text/plain cross-site without a preflight;
    // they must carry a header only a preflighted request can (or be JSON, which is preflighted).
    useCSRFPrevention({ requestHeaders: ['x-graphql-yoga-csrf', 'authorization'] }),
  ];
  if (trustedDocuments) {
    plugins.push(
      usePersistedOperations({
        getPersistedOperation: (id) => trustedDocuments.get(id) ?? null,
        allowArbitraryOperations: (request) => isOperator(callers.get(request)),
        customErrors: {
          persistedQueryOnly: {
            message:
              'This hub runs only registered operations: send `extensions.persistedQuery.sha256Hash` (or `documentId`) of a registered document.',
            extensions: { code: 'PERSISTED_QUERY_ONLY', http: { status: 400 } },
          },
          notFound: {
            message: 'No registered operation has this id; register it in the trusted documents file.',
            extensions: { code: 'PERSISTED_QUERY_NOT_FOUND', http: { status: 400 } },
          },
        },
      }),
    );
  }
  plugins.push(
    ...(documentLimitPlugins(limits, { introspection }) as Plugin[]),
    auditInvalid as Plugin,
    ...(options.answering ?? []),
    checks as Plugin,
    deadline as Plugin,
    auditMutations as Plugin,
  );
  return plugins;
}

/** The root fields of a mutation, with the id argument (if any) as the audit target. */
function rootFields(
  operation: OperationDefinitionNode,
  args: { schema: import('graphql').GraphQLSchema; variableValues?: Record<string, unknown> | null },
): Array<{ name: string; responseKey: string; target: string | null }> {
  const mutation = args.schema.getMutationType();
  const out: Array<{ name: string; responseKey: string; target: string | null }> = [];
  for (const selection of operation.selectionSet.selections) {
    if (selection.kind !== Kind.FIELD || !mutation || !isObjectType(mutation)) continue;
    const field = mutation.getFields()[selection.name.value];
    let target: string | null = null;
    if (field) {
      try {
        const values = getArgumentValues(field, selection, args.variableValues ?? {});
        const id = values.id ?? values.operationId ?? values.bookingId ?? values.orderId ?? values.invoiceId;
        target = typeof id === 'string' ? id : null;
      } catch {
        target = null;
      }
    }
    out.push({
      name: selection.name.value,
      responseKey: selection.alias?.value ?? selection.name.value,
      target,
    });
  }
  return out;
}

/** Tells the audit log what a mutation acted on (an operation id, a key id). */
export function noteAuditTarget(context: SecuredContext, mutation: string, target: string): void {
  if (!context.auditTargets) return;
  const list = context.auditTargets.get(mutation) ?? [];
  list.push(target);
  context.auditTargets.set(mutation, list);
}
