import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Config, VendorSettings } from './config.ts';
import { createHub, type Hub } from './hub.ts';
import { createMetrics } from './observability/metrics.ts';
import { createLogger } from './observability/logger.ts';
import { openStore } from './store/store.ts';
import { createSourceStateRepository } from './store/source-state.ts';
import { connectSources, sandboxVendorSettings, sandboxWebhookSettings } from './sources.ts';
import { createLocalBus, createRedisBus } from './events/bus.ts';
import { connectWebhooks, type WebhookSettings } from './webhooks/connect.ts';
import { createWebhookIntake } from './webhooks/intake.ts';
import { createWebhookProcessor, SYNC_RULES } from './webhooks/processor.ts';
import { startSandboxes, type Sandboxes, type StartSandboxesOptions } from './sandbox/start.ts';
import { createSwitchboardServer } from './server.ts';
import { backfillLinks, type BackfillReport } from './links/backfill.ts';
import { Redis } from 'ioredis';
import type { BudgetBackend } from './upstream/rate-budget.ts';
import { createRedisBudgetBackend } from './upstream/rate-budget-redis.ts';

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

/** Rate budgets counted in Redis, shared by every replica, on a connection of their own. */
async function redisBudgets(
  url: string,
  prefix: string,
  logger: Logger,
): Promise<{ backend: () => BudgetBackend; close(): Promise<void> }> {
  const redis = new Redis(url, { maxRetriesPerRequest: 2, lazyConnect: true });
  redis.on('error', (error) => logger.warn({ err: error }, 'Redis (rate budgets) connection error'));
  await redis.connect();
  const backend = createRedisBudgetBackend(redis, (message) => logger.warn(message), `${prefix}:budget`);
  return { backend: () => backend, close: async () => void (await redis.quit()) };
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
    let webhookSettings: WebhookSettings = config.webhooks ?? {};
    if (config.mode === 'sandbox') {
      if (!sandboxes) {
        sandboxes = await startSandboxes({ host: '127.0.0.1', ...options.sandboxOptions });
        const started = sandboxes;
        cleanups.push(() => started.close());
      }
      vendors = sandboxVendorSettings(sandboxes);
      webhookSettings = sandboxWebhookSettings(sandboxes);
    } else {
      vendors = config.vendors as VendorSettings;
    }
    let budgetBackend: (() => BudgetBackend) | undefined;
    if (config.redisUrl && config.upstream.rateLimits) {
      const shared = await redisBudgets(config.redisUrl, config.redisPrefix, logger);
      cleanups.push(shared.close);
      budgetBackend = shared.backend;
    }
    const { sources } = connectSources(vendors, {
      workspace: WORKSPACE,
      metrics,
      state: config.mode === 'live' ? createSourceStateRepository(store.db) : undefined,
      timeZone: config.timeZone,
      timeouts: config.upstream.timeoutMs,
      limits: config.upstream.rateLimits ? undefined : false,
      budgetBackend,
      logger,
    });
    const hub = createHub({
      store,
      workspaces: [{ id: WORKSPACE, name: 'Default', currency: config.currency, sources }],
      metrics,
      logger,
      batching: options.batching,
      cache: { enabled: options.cache ?? true },
      engine: config.outbox,
      requestDeadlineMs: config.upstream.requestDeadlineMs,
      bus: config.redisUrl ? await createRedisBus(config.redisUrl, logger) : createLocalBus(logger),
    });
    const webhooks = connectWebhooks({
      workspace: WORKSPACE,
      db: store.db,
      settings: webhookSettings,
      sources,
      logger,
    });
    const processor = createWebhookProcessor(hub, hub.inbox, {
      leaseMs: config.outbox.leaseMs,
      rules: new Set(SYNC_RULES.filter((rule) => !config.syncRulesOff.includes(rule))),
    });

    let backfill: BackfillReport | undefined;
    const mode = options.backfill ?? 'if-empty';
    if (mode === 'always' || (mode === 'if-empty' && (await hub.links.countCustomers(WORKSPACE)) === 0)) {
      logger.info('linking customers across systems (backfill)…');
      backfill = await backfillLinks(hub, hub.defaultWorkspace, { onProgress: (m) => logger.info(m) });
    }

    let nudge = () => {};
    const intake = createWebhookIntake(hub, hub.inbox, {
      verifierFor: (workspace, source) =>
        workspace.id === WORKSPACE ? webhooks.verifierFor(source) : undefined,
      onStored: () => nudge(),
    });
    const { server, closeSockets } = createSwitchboardServer(hub, {
      development: config.development,
      webhooks: intake,
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => resolve());
    });
    // The workers retry what failed and resume what a crash left behind, from the first moment.
    const worker = hub.engine.startWorker({ intervalMs: config.outbox.pollMs });
    const inboxWorker = processor.start();
    nudge = inboxWorker.nudge;
    const address = server.address() as AddressInfo;
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${address.port}`;
    await webhooks.register(config.publicUrl ?? url);
    return {
      url,
      hub,
      sandboxes,
      backfill,
      async close() {
        await closeSockets();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await webhooks.stop();
        await inboxWorker.stop();
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
