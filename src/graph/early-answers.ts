import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import type { GraphQLParams } from 'graphql-yoga';
import type { Security } from '../security/index.ts';
import { documentHash, operationNameOf, type GuardedServerContext } from '../security/plugins.ts';
import type { CachedAnswers } from './cached-responses.ts';
import { requestSpan } from '../observability/spans.ts';

/** Larger bodies go to yoga as they stream: a query answered from cache is a short text and its variables. */
const MAX_BODY_BYTES = 64 * 1024;

/** The Accept headers answered here, with the content type yoga would answer them with. */
const CONTENT_TYPES = new Map([
  ['', 'application/json; charset=utf-8'],
  ['*/*', 'application/json; charset=utf-8'],
  ['application/json', 'application/json; charset=utf-8'],
  ['application/graphql-response+json', 'application/graphql-response+json; charset=utf-8'],
]);
const JSON_BODY = /^application\/json\s*(;\s*charset=utf-8\s*)?$/i;
/** What yoga accepts in a JSON body; anything else (`extensions`, a persisted query) goes to yoga. */
const PARAMS = new Set(['query', 'variables', 'operationName']);

/**
 * Repeated queries answered at the HTTP layer, before yoga: the response cache's hits without
 * building a fetch `Request` and `Response`, running the plugin chain, or encoding the answer again
 * (its UTF-8 bytes were written when it was stored). On the warm customer-360 page most of a hit's
 * CPU went to those (see bench/RESULTS.md, "gateway").
 *
 * The request gets the same checks it would get in yoga, through the same code: the request guard
 * (credential, workspace, the caller's rate limit, refusals audited), trusted-documents mode (text
 * only from operators there; everyone else goes to yoga), the response size limit, the log line. The rest cannot differ for a hit: it is answered only when the same
 * text, variables and operation from a caller with the same workspace and scopes were answered from
 * this entry before (`CachedAnswers.lookup`), so they passed the document limits, the scope and cost
 * checks and CSRF prevention then, and its entry is still in the cache (never invalidated since).
 *
 * Only plain requests are taken: `POST /graphql` with a JSON body of known length up to 64 KiB, a
 * credential, no `Origin` (browsers' requests need CORS, which yoga does) and an Accept header yoga
 * would answer with JSON. Everything else, and every miss, goes on to yoga (`handOn`) with the body
 * already read and the guard's verdict, so nothing is read, checked or counted twice.
 */
export function createEarlyAnswers(options: {
  answers: CachedAnswers;
  security: Security;
  handOn(req: IncomingMessage, res: ServerResponse, context: GuardedServerContext): void;
  /** Something here threw (a bug): the server logs it and answers what it can. */
  failed(error: unknown, res: ServerResponse): void;
}): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { answers, security, handOn, failed } = options;

  const answer = async (req: IncomingMessage, res: ServerResponse, contentType: string) => {
    const startedAt = performance.now();
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch {
      // The client went away mid-body: nobody to answer.
      res.destroy();
      return;
    }
    const verdict = await security.guard.check({
      headers: { get: (name) => headerOf(req, name) },
      url: req.url ?? '/graphql',
      address: security.addressOf(req),
      action: 'request',
    });
    if (verdict.ok) {
      const params = paramsOf(body);
      // In trusted-documents mode, yoga refuses text from all but operators (ids only): so does this.
      const hit =
        params && security.sendsAnyText(verdict.caller) ? answers.lookup(params, verdict.caller) : undefined;
      // Stored answers carry no extensions of their own; one that did would go through yoga.
      if (params && hit && !hit.result.extensions) {
        const tail = Buffer.from(`,"extensions":${JSON.stringify(answers.hitExtensions(hit))}}`);
        if (hit.json.length + tail.length <= security.limits.maxResponseChars) {
          const text = Buffer.concat([hit.bytes, tail]);
          res.writeHead(200, { 'content-type': contentType, 'content-length': text.length });
          res.end(text);
          // Only query results are stored, so a hit is a query.
          requestSpan()?.setAttributes({
            'graphql.operation.type': 'query',
            'switchboard.answered_early': true,
          });
          security.recordRequest({
            operation: operationNameOf(params),
            document: documentHash(params.query),
            caller: verdict.caller,
            status: 200,
            startedAt,
          });
          return;
        }
      }
    }
    // The body as a stream again, for yoga (whatwg-node takes a request's `body` when one is set).
    (req as IncomingMessage & { body?: Readable }).body = Readable.from(body, { objectMode: false });
    handOn(req, res, { guarded: verdict, startedAt });
  };

  return (req, res) => {
    if (!answers.enabled || req.method !== 'POST' || req.url !== '/graphql') return false;
    const { headers } = req;
    if (headers.origin !== undefined || !headers.authorization || headers['transfer-encoding']) return false;
    if (!JSON_BODY.test(headers['content-type'] ?? '')) return false;
    const contentType = CONTENT_TYPES.get((headers.accept ?? '').replace(/\s/g, '').toLowerCase());
    const length = Number(headers['content-length']);
    if (!contentType || !Number.isInteger(length) || length <= 0 || length > MAX_BODY_BYTES) return false;
    answer(req, res, contentType).catch((error: unknown) => failed(error, res));
    return true;
  };
}

const headerOf = (req: IncomingMessage, name: string): string | null => {
  const value = req.headers[name.toLowerCase()];
  if (value === undefined) return null;
  return Array.isArray(value) ? value.join(', ') : value;
};

/** The whole body; Node's parser ends it at Content-Length, checked to be at most 64 KiB. */
function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
    });
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    req.once('error', reject);
    req.once('close', () => {
      if (!req.complete) reject(new Error('The request ended before its body.'));
    });
  });
}

/** The GraphQL parameters of a JSON body, when it holds nothing yoga would treat differently. */
function paramsOf(body: Buffer): (GraphQLParams & { query: string }) | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const params = value as Record<string, unknown>;
  for (const key in params) if (!PARAMS.has(key)) return undefined;
  const { query, variables, operationName } = params;
  if (typeof query !== 'string') return undefined;
  if (variables != null && (typeof variables !== 'object' || Array.isArray(variables))) return undefined;
  if (operationName != null && typeof operationName !== 'string') return undefined;
  return params as unknown as GraphQLParams & { query: string };
}
