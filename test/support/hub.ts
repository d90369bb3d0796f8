import type { Hub } from '../../src/hub.ts';
import type { EngineOptions } from '../../src/operations/engine.ts';
import { sandboxBindings, type ConnectedSources } from '../../src/sources.ts';
import { composeHub, type ComposeOptions } from '../../src/compose.ts';
import { createSwitchboardServer, type SwitchboardServer } from '../../src/server.ts';
import { backfillLinks, type BackfillReport } from '../../src/links/backfill.ts';
import type { Sandboxes } from '../../src/sandbox/start.ts';
import { openTestStore, type StoreKind, type TestStore } from '../../harness/stores.ts';
import { buildSchema } from '../../src/graph/schema.ts';
import { secureHub, type Security, type SecuritySettings } from '../../src/security/index.ts';

export interface TestHub {
  hub: Hub;
  app: SwitchboardServer;
  reports: BackfillReport[];
  /** Authentication, scopes and limits, as the app wires them (test mode: `sb_test_` keys). */
  security: Security;
  /** A secret key with every scope per workspace, by workspace id; `graphql()` sends it. */
  keys: Map<string, string>;
  /** The OAuth token providers of each workspace, by workspace id. */
  tokens: Map<string, ConnectedSources['tokens']>;
  /**
   * POSTs a GraphQL request through yoga's fetch (no port) and returns status and JSON body. It
   * authenticates with the workspace's key (the one `x-switchboard-workspace` names, else the
   * default's) unless `headers` carry their own `authorization`.
   */
  graphql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: { data?: T; errors?: GraphQLErrorJson[]; extensions?: unknown } }>;
  close(): Promise<void>;
}

export interface GraphQLErrorJson {
  message: string;
  path?: Array<string | number>;
  extensions?: Record<string, unknown>;
}

export interface TestHubOptions {
  store: StoreKind;
  /** One workspace per entry, each on its own sandboxes; the first is the default. */
  workspaces: Array<{ id: string; sandboxes: Sandboxes }>;
  backfill?: boolean;
  batching?: boolean;
  cache?: boolean;
  engine?: EngineOptions;
  /** Upstream policy settings (rate budgets, breaker, retries, timeouts) for every workspace. */
  upstream?: ComposeOptions['upstream'];
  requestDeadlineMs?: number;
  /** Record cache freshness (stale-if-error tests shorten it). */
  cacheTtlMs?: number;
  /** Security settings (defaults: the app's, without callers' rate limits). */
  security?: SecuritySettings;
}

export async function startTestHub(options: TestHubOptions): Promise<TestHub> {
  const testStore: TestStore = await openTestStore(options.store);
  const { hub, tokens } = composeHub({
    store: testStore.store,
    workspaces: options.workspaces.map(({ id, sandboxes }) => ({ id, bindings: sandboxBindings(sandboxes) })),
    upstream: options.upstream,
    batching: options.batching,
    cache: { enabled: options.cache ?? true, ttlMs: options.cacheTtlMs },
    engine: options.engine,
    requestDeadlineMs: options.requestDeadlineMs,
  });
  const workspaces = [...hub.workspaces.values()];
  const reports: BackfillReport[] = [];
  if (options.backfill ?? true) {
    for (const workspace of workspaces) reports.push(await backfillLinks(hub, workspace));
  }
  const schema = buildSchema();
  const { security, keys } = await secureHub(hub, { schema, settings: options.security });
  const app = createSwitchboardServer(hub, { security, schema });
  return {
    hub,
    app,
    security,
    keys,
    reports,
    tokens,
    async graphql(query, variables, headers = {}) {
      const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
      const key =
        keys.get(lower['x-switchboard-workspace'] ?? workspaces[0]!.id) ?? keys.get(workspaces[0]!.id);
      const res = await app.yoga.fetch('http://switchboard.test/graphql', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json',
          authorization: `Bearer ${key}`,
          ...lower,
        },
        body: JSON.stringify({ query, variables }),
      });
      return { status: res.status, body: (await res.json()) as never };
    },
    async close() {
      await security.close();
      await Promise.all(workspaces.flatMap((w) => Object.values(w.sources).map((s) => s.close())));
      await testStore.drop();
    },
  };
}
