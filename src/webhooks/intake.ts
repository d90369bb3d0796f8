import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Hub, Workspace } from '../hub.ts';
import type { Inbox } from './inbox.ts';
import type { VerifyResult, WebhookVerifier } from './types.ts';
import { nameWebhookSpan } from '../observability/spans.ts';

export interface IntakeOptions {
  /** `/webhooks/<path>` → system (module id): the bound modules' routes (`WorkspaceWebhooks.routes`). */
  routes: ReadonlyMap<string, string>;
  /** The verifier for a workspace's system; undefined when that system's webhooks are not configured. */
  verifierFor(workspace: Workspace, source: string): WebhookVerifier | undefined;
  /** Stripe sends up to a few hundred KB; anything far larger is not a vendor's webhook. */
  maxBodyBytes?: number;
  /** Called after events were stored, to wake the processor. */
  onStored?: () => void;
}

const send = (res: ServerResponse, status: number, body?: unknown) => {
  const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type':
      typeof body === 'object' ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
};

/**
 * `POST /webhooks/<source>`: raw body kept byte-exact, size capped, signature and timestamp checked
 * by the vendor's verifier, events stored in the inbox (duplicates dropped) before the 2xx, which
 * comes at once; processing happens after. Workspace: `?workspace=<id>`, default the hub's first.
 */
export function createWebhookIntake(hub: Hub, inbox: Inbox, options: IntakeOptions) {
  const { maxBodyBytes = 1_048_576 } = options; // 1 MiB
  return async function handle(req: IncomingMessage, res: ServerResponse, pathSource: string): Promise<void> {
    const source = options.routes.get(pathSource);
    const count = (outcome: 'accepted' | 'duplicate' | 'rejected', n = 1) =>
      source && n > 0 && hub.metrics.webhooksReceived.inc({ source, outcome }, n);
    if (!source) {
      req.resume();
      return send(res, 404, {
        error: `No webhook route for "${pathSource}"; try ${[...options.routes.keys()].join(', ')}.`,
      });
    }
    nameWebhookSpan(req.method ?? 'POST', pathSource, source);
    if (req.method !== 'POST') {
      req.resume();
      return send(res, 405, { error: 'Webhooks are POSTed.' });
    }
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    const wanted = url.searchParams.get('workspace');
    const workspace = wanted ? hub.workspaces.get(wanted) : hub.defaultWorkspace;
    if (!workspace) {
      req.resume();
      count('rejected');
      return send(res, 404, { error: `Unknown workspace "${wanted}".` });
    }
    const verifier = options.verifierFor(workspace, source);
    if (!verifier) {
      req.resume();
      count('rejected');
      return send(res, 404, {
        error: `Webhooks from ${source} are not configured for workspace "${workspace.id}".`,
      });
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxBodyBytes) {
      req.resume();
      count('rejected');
      return send(res, 413, { error: `Body of ${declared} bytes is over the ${maxBodyBytes}-byte limit.` });
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBodyBytes) {
        count('rejected');
        send(res, 413, { error: `Body is over the ${maxBodyBytes}-byte limit.` });
        req.destroy();
        return;
      }
      chunks.push(chunk);
    }
    const proto = String(req.headers['x-forwarded-proto'] ?? 'http').split(',')[0];
    const verdict = await Promise.resolve(
      verifier.verify({
        method: req.method,
        url: `${proto}://${req.headers.host ?? '127.0.0.1'}${req.url ?? '/'}`,
        headers: req.headers,
        rawBody: Buffer.concat(chunks),
        now: new Date(),
      }),
    ).catch((error: unknown): VerifyResult => ({
      ok: false,
      status: 400,
      reason: `delivery could not be read: ${error instanceof Error ? error.message : String(error)}`,
    }));
    if (!verdict.ok) {
      count('rejected');
      hub.logger.warn(
        { source, workspace: workspace.id, status: verdict.status, reason: verdict.reason },
        'webhook rejected',
      );
      // The verifier says whether the vendor shows its answer to a person (see VerifyResult.explain).
      return send(res, verdict.status, verdict.explain ? { error: verdict.reason } : undefined);
    }
    let stored: { accepted: number; duplicate: number };
    try {
      stored = await inbox.store(workspace.id, source, verdict.events);
    } catch (error) {
      // Not stored, so not acknowledged: the vendor will deliver it again.
      hub.logger.error({ err: error, source }, 'webhook could not be stored');
      return send(res, 503, { error: 'The event could not be stored; deliver it again.' });
    }
    count('accepted', stored.accepted);
    count('duplicate', stored.duplicate);
    if (stored.accepted > 0) options.onStored?.();
    if (verdict.respond) return send(res, verdict.respond.status, verdict.respond.body);
    return send(res, 200, { received: verdict.events.length, new: stored.accepted });
  };
}
