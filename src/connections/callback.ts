import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Hub } from '../hub.ts';
import type { AuditLog } from '../security/audit.ts';
import { CodeExchangeError } from '../upstream/oauth.ts';
import { moduleById } from '../../sources/registry.ts';
import type { Redeemed, StateRefusal } from './states.ts';
import type { ConnectedAccount } from './connections.ts';

/**
 * `GET /oauth/callback/<module id>?code&state` (or `?error=access_denied&state`): where a vendor's
 * consent page sends the browser back. No key: the state is the credential (src/connections/states.ts).
 * Anything wrong gets a page saying what happened and that nothing was changed, and an audit entry.
 */

/** The redirect URI registered with the vendor for `system`: the same in the request and the exchange. */
export const redirectUriFor = (publicUrl: string, system: string) =>
  `${publicUrl.replace(/\/+$/, '')}/oauth/callback/${system}`;

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const REFUSALS: Record<StateRefusal | 'missing', string> = {
  missing: 'This link has no state, so it cannot be tied to a connection started from the console.',
  unknown: 'This link was not made by this hub (its state is unknown): it may have been forged or altered.',
  expired: 'This link has expired: a connection must be completed within 10 minutes of pressing Connect.',
  used: 'This link has already been used: each connection link works once.',
  other_system: 'This link was made for connecting another system than the one it came back to.',
};

function page(res: ServerResponse, status: number, title: string, lines: string[]) {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; base-uri 'none'; form-action 'none'",
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
  });
  res.end(
    `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body>` +
      `<h1>${escapeHtml(title)}</h1>${lines.map((l) => `<p>${escapeHtml(l)}</p>`).join('')}` +
      `<p><strong>Nothing was changed.</strong> <a href="/console#/connections">Back to Connections</a></p></body></html>`,
  );
}

function redirect(res: ServerResponse, location: string) {
  res.writeHead(302, { location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
  res.end();
}

export function createConsentCallback(
  hub: Hub,
  deps: { audit: AuditLog; addressOf: (req: IncomingMessage) => string },
): (req: IncomingMessage, res: ServerResponse, system: string) => Promise<void> {
  return async (req, res, system) => {
    const connections = hub.connections;
    const module = moduleById(system);
    if (req.method !== 'GET' || !connections || !module?.consent) {
      page(res, 404, 'Unknown connection callback', [
        `There is no consent flow for "${system}" on this hub.`,
      ]);
      return;
    }
    const label = module.label;
    const enumName = module.id.toUpperCase();
    const query = new URL(req.url ?? '/', 'http://hub.invalid').searchParams;
    const address = deps.addressOf(req);
    const audit = (
      workspace: string | null,
      actor: string,
      outcome: 'SUCCEEDED' | 'FAILED' | 'REJECTED',
      detail: Record<string, unknown>,
    ) =>
      deps.audit
        .record({
          workspace,
          actor,
          action: 'connection.callback',
          target: module.id,
          outcome,
          address,
          detail,
        })
        .catch((error: unknown) => hub.logger.error({ err: error }, 'auditing a consent callback failed'));

    const state = query.get('state') ?? '';
    const redeemed: Redeemed | { ok: false; reason: 'missing'; workspace?: string; actor?: string } = state
      ? await connections.states.redeem(module.id, state)
      : { ok: false, reason: 'missing' };
    if (!redeemed.ok) {
      await audit(redeemed.workspace ?? null, redeemed.actor ?? 'anonymous', 'REJECTED', {
        reason: redeemed.reason,
      });
      page(res, 400, `${label} was not connected`, [REFUSALS[redeemed.reason]]);
      return;
    }
    const { workspace, actor } = redeemed;
    const vendorError = query.get('error');
    if (vendorError) {
      await audit(workspace, actor, 'FAILED', { vendorError });
      if (vendorError === 'access_denied') {
        redirect(res, `/console#/connections?refused=${enumName}`);
        return;
      }
      page(res, 400, `${label} was not connected`, [
        `${label} answered "${vendorError}"${query.get('error_description') ? `: ${query.get('error_description')}` : ''}.`,
      ]);
      return;
    }
    const code = query.get('code');
    const bound = connections.bound(workspace, module.id);
    if (!code || !bound) {
      await audit(workspace, actor, 'REJECTED', { reason: code ? 'not_bound' : 'no_code' });
      page(res, 400, `${label} was not connected`, [
        code
          ? `${label} does not play a role in this workspace any more.`
          : `${label} sent no authorization code back.`,
      ]);
      return;
    }
    const publicUrl = connections.publicUrl ?? `http://${req.headers.host ?? 'localhost'}`;
    // A workspace made at run time is for whichever account was chosen on the vendor's page; the
    // environment's workspace only for the one its settings name.
    const chooses = hub.workspaces.get(workspace)?.madeAtRunTime === true && module.consent.account;
    let tokens;
    let account: ConnectedAccount | undefined;
    try {
      tokens = await module.consent.exchange(bound.settings, {
        code,
        redirectUri: redirectUriFor(publicUrl, module.id),
        query,
        anyAccount: Boolean(chooses),
      });
      if (chooses) account = await chooses.chosen(bound.settings, tokens, query);
    } catch (error) {
      const message = error instanceof CodeExchangeError ? error.message : 'the code exchange failed';
      if (!(error instanceof CodeExchangeError))
        hub.logger.error({ err: error, source: module.id }, 'a consent code exchange failed');
      await audit(workspace, actor, 'FAILED', {
        reason: 'exchange',
        vendorCode: error instanceof CodeExchangeError ? (error.vendorCode ?? null) : null,
      });
      page(res, 400, `${label} was not connected`, [`${label}: ${message}.`, 'Try Connect again.']);
      return;
    }
    await connections.saveTokens(workspace, module.id, tokens, actor, account);
    hub.logger.info({ workspace, source: module.id, actor }, `${label} connected from the console`);
    await audit(workspace, actor, 'SUCCEEDED', { method: 'oauth' });
    redirect(res, `/console#/connections?connected=${enumName}`);
  };
}
