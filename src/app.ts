import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Config, VendorSettings } from './config.ts';
import { createHub, type Hub } from './hub.ts';
import { createMetrics } from './observability/metrics.ts';
import { createLogger } from './observability/logger.ts';
import { openStore } from './store/store.ts';
import { createSourceStateRepository } from './store/source-state.ts';
import { connectSources, sandboxVendorSettings } from './sources.ts';
import { startSandboxes, type Sandboxes, type StartSandboxesOptions } from './sandbox/start.ts';
import { createSwitchboardServer } from './server.ts';
import { backfillLinks, type BackfillReport } from './links/backfill.ts';

export interface StartOptions {
  /** Sandboxes already running (tests); otherwise sandbox mode starts its own. */
  sandboxes?: Sandboxes;
  sandboxOptions?: StartSandboxesOptions;
  /** `if-empty` (default): backfill links when the store has no customers yet. */
  backfill?: 'always' | 'if-empty' | 'never';
  /** PostgreSQL schema (tests isolate themselves with one). */
  databaseSchema?: string;
  logger?: Logger;
  batching?: boolean;
  cache?: boolean;
}

export interface RunningSwitchboard {
  url: string;
  hub: Hub;
  sandboxes?: Sandboxes;
  backfill?: BackfillReport;
  close(): Promise<void>;
}

const WORKSPACE = 'default';

/** Opens the store, connects the vendors (or the sandboxes), backfills links, and listens. */
export async function startSwitchboard(
  config: Config,
  options: StartOptions = {},
): Promise<RunningSwitchboard> {
  const logger = options.logger ?? createLogger();
  const metrics = createMetrics({ defaultMetrics: true });
  const store = await openStore({ url: config.databaseUrl, schema: options.databaseSchema });
  const cleanups: Array<() => Promise<void>> = [];
  try {
    await store.migrate();
    let sandboxes = options.sandboxes;
    let vendors: VendorSettings;
    if (config.mode === 'sandbox') {
      if (!sandboxes) {
        sandboxes = await startSandboxes({ host: '127.0.0.1', ...options.sandboxOptions });
        const started = sandboxes;
        cleanups.push(() => started.close());
      }
      vendors = sandboxVendorSettings(sandboxes);
    } else {
      vendors = config.vendors as VendorSettings;
    }
    const { sources } = connectSources(vendors, {
      workspace: WORKSPACE,
      metrics,
      state: config.mode === 'live' ? createSourceStateRepository(store.db) : undefined,
      timeZone: config.timeZone,
    });
    const hub = createHub({
      store,
      workspaces: [{ id: WORKSPACE, name: 'Default', currency: config.currency, sources }],
      metrics,
      logger,
      batching: options.batching,
      cache: { enabled: options.cache ?? true },
      engine: config.outbox,
    });

    let backfill: BackfillReport | undefined;
    const mode = options.backfill ?? 'if-empty';
    if (mode === 'always' || (mode === 'if-empty' && (await hub.links.countCustomers(WORKSPACE)) === 0)) {
      logger.info('linking customers across systems (backfill)…');
      backfill = await backfillLinks(hub, hub.defaultWorkspace, { onProgress: (m) => logger.info(m) });
    }

    const { server } = createSwitchboardServer(hub, { development: config.development });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => resolve());
    });
    // The worker retries what failed and resumes what a crash left behind, from the first moment.
    const worker = hub.engine.startWorker({ intervalMs: config.outbox.pollMs });
    const address = server.address() as AddressInfo;
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${address.port}`;
    return {
      url,
      hub,
      sandboxes,
      backfill,
      async close() {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await worker.stop();
        await hub.close();
        for (const cleanup of cleanups.reverse()) await cleanup();
      },
    };
  } catch (error) {
    await store.close().catch(() => {});
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    throw error;
  }
}
