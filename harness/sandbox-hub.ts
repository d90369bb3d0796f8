import { startSwitchboard, type RunningSwitchboard } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import type { Sandboxes } from '../src/sandbox/start.ts';
import { bindingVar } from '../src/bindings.ts';
import { ROLES } from '../src/domain/source-module.ts';

/**
 * The hub as `npm start` runs it in sandbox mode (its own vendor sandboxes, the development key with
 * every scope, webhooks registered), in this process on SQLite in memory, with the run's
 * `SWITCHBOARD_<ROLE>` bindings: what the console's browser tests, its benchmark and
 * `npm run screenshots` look at. `env` adds settings (`SWITCHBOARD_CACHE`,
 * `OUTBOX_*`); webhooks are retried after 50 ms rather than the vendors' seconds.
 */
export interface SandboxHub {
  app: RunningSwitchboard;
  sandboxes: Sandboxes;
  /** The development key. */
  key: string;
  /** A GraphQL request with `key` (the development key by default); the JSON body as it came. */
  gql(
    query: string,
    variables?: Record<string, unknown>,
    key?: string,
  ): Promise<{ data?: any; errors?: any[] }>;
  close(): Promise<void>;
}

export async function startSandboxHub(env: Record<string, string> = {}): Promise<SandboxHub> {
  // The run's adapter bindings (CI's second pass sets SWITCHBOARD_ACCOUNTING=quickbooks), unless
  // `env` names its own.
  const bindings = Object.fromEntries(
    ROLES.flatMap((role) => {
      const value = process.env[bindingVar(role)];
      return value ? [[bindingVar(role), value]] : [];
    }),
  );
  const app = await startSwitchboard(
    loadConfig({ PORT: '0', DATABASE_URL: ':memory:', LOG_LEVEL: 'silent', ...bindings, ...env }),
    { sandboxOptions: { webhooks: { retryBaseMs: 50 }, relaxed: true } },
  );
  const key = app.developmentKey!;
  return {
    app,
    sandboxes: app.sandboxes as Sandboxes,
    key,
    async gql(query, variables = {}, as = key) {
      const res = await fetch(`${app.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${as}` },
        body: JSON.stringify({ query, variables }),
      });
      return (await res.json()) as { data?: any; errors?: any[] };
    },
    close: () => app.close(),
  };
}
