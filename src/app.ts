import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Hub } from './hub.ts';
import { createMetrics } from './observability/metrics.ts';
import { createLogger } from './observability/logger.ts';
import { openStore } from './store/store.ts';
import { sealStoredSecrets } from './store/secrets-at-rest.ts';
import { createSecretBox } from './security/secrets.ts';
import { sandboxBindings, type SourceBindings } from './sources.ts';
import { composeHub } from './compose.ts';
import { createLocalBus, createRedisBus } from './events/bus.ts';
import { connectWebhooks } from './webhooks/connect.ts';
import { createWebhookIntake } from './webhooks/intake.ts';
import { createWebhookProcessor } from './webhooks/processor.ts';
import { startSyncRules, SYNC_RULES } from './sync/rules.ts';
import {
  sandboxStateDir,
  startSandboxes,
  type Sandboxes,
  type StartSandboxesOptions,
} from './sandbox/start.ts';
import { readRunning, removeRunning, writeRunning } from './sandbox/running.ts';
import { ConfigError } from './env.ts';
import { ROLES } from './domain/source-module.ts';
import { createSwitchboardServer } from './server.ts';
import { inRootSpan } from './observability/spans.ts';
import { backfillLinks, type BackfillReport } from './links/backfill.ts';
import { Redis } from 'ioredis';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { buildSchema } from './graph/schema.ts';
import { createSecurity, type Security, type SecuritySettings } from './security/index.ts';
import { ensureDevelopmentKey } from './security/development.ts';
import type { BudgetBackend } from './upstream/rate-budget.ts';
import { createRedisBudgetBackend } from './upstream/rate-budget-redis.ts';
import { createConsentCallback } from './connections/callback.ts';
import { createConsoleSignIn } from './console/sign-in.ts';
import { websiteExample } from './website/serve.ts';

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
  /** Overrides of the configured security settings (tests shorten the key cache and socket recheck). */
  security?: Partial<SecuritySettings>;
}

/** The Redis connection for counts every replica shares: vendors' rate budgets and callers' rate limits. */
async function connectRedis(url: string, logger: Logger): Promise<Redis> {
  const redis = new Redis(url, { maxRetriesPerRequest: 2, lazyConnect: true });
  redis.on('error', (error) => logger.warn({ err: error }, 'Redis (rate limits) connection error'));
  await redis.connect();
  return redis;
}

export interface RunningSwitchboard {
  url: string;
  /** The operations listener's URL (/metrics, /readyz without a credential), when configured. */
  opsUrl?: string;
  hub: Hub;
  security: Security;
  /** Sandbox mode's development key (every scope), for the banner and GraphiQL. */
  developmentKey?: string;
  /** Sandbox mode's example booking page (`/website/`) and the publishable key its config.js carries. */
  website?: { url: string; key: string };
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
  const store = await openStore({
    url: config.databaseUrl,
    schema: options.databaseSchema,
    secrets: createSecretBox(config.encryption),
  });
  const cleanups: Array<() => Promise<void>> = [];
  try {
    // The SDK is loaded only when traces are on; the last cleanup sends what is still buffered.
    const tracing = config.tracing
      ? (await import('./observability/tracing.ts')).startTracing(config.tracing, logger)
      : undefined;
    if (tracing) cleanups.push(() => tracing.shutdown());
    await store.migrate();
    // Secrets an older version kept in clear, or sealed with a key being rotated out, are sealed
    // with the current key before anything reads them.
    const sealed = await sealStoredSecrets(store);
    if (sealed.sealed + sealed.resealed > 0) {
      logger.info(
        { ...sealed, key: store.secrets.keyId },
        'secrets in the store sealed with the current key',
      );
    }
    let sandboxes = options.sandboxes;
    let bindings: SourceBindings;
    if (config.mode === 'sandbox') {
      if (!sandboxes) {
        const modules = Object.fromEntries(
          Object.entries(config.sources).map(([role, bound]) => [role, bound.module]),
        );
        // The sandboxes keep their records next to the hub's store, so a restart finds both as they
        // were; not with a store that dies with the process or a test's own PostgreSQL schema.
        const persist =
          config.databaseUrl.endsWith(':memory:') || options.databaseSchema
            ? undefined
            : { dir: sandboxStateDir(config.dataDir) };
        // Two hubs saving the same sandboxes would overwrite each other's records.
        const other = persist ? readRunning(config.dataDir) : undefined;
        if (other)
          throw new ConfigError([
            `another sandbox-mode hub (pid ${other.pid}, ${other.hub}) runs on the data folder ${config.dataDir}: stop it, or give this one its own SWITCHBOARD_DATA_DIR and DATABASE_URL`,
          ]);
        sandboxes = await startSandboxes({ host: '127.0.0.1', modules, persist, ...options.sandboxOptions });
        const started = sandboxes;
        cleanups.push(() => started.close());
      }
      bindings = sandboxBindings(sandboxes);
    } else {
      bindings = config.sources as SourceBindings;
    }
    let budgetBackend: (() => BudgetBackend) | undefined;
    let redis: Redis | undefined;
    if (config.redisUrl) {
      const shared = await connectRedis(config.redisUrl, logger);
      redis = shared;
      cleanups.push(async () => void (await shared.quit()));
      if (config.upstream.rateLimits) {
        const backend = createRedisBudgetBackend(
          shared,
          (message) => logger.warn(message),
          `${config.redisPrefix}:budget`,
        );
        budgetBackend = () => backend;
      }
    }
    const { hub } = composeHub({
      store,
      workspaces: [{ id: WORKSPACE, name: 'Default', currency: config.currency, bindings }],
      schedule: config.schedule,
      deposits: config.deposits,
      upstream: {
        timeZone: config.timeZone,
        timeouts: config.upstream.timeoutMs,
        limits: config.upstream.rateLimits ? undefined : false,
        budgetBackend,
        tracer: tracing?.tracer,
      },
      keepTokens: config.mode === 'live',
      metrics,
      logger,
      batching: options.batching,
      cache: { enabled: options.cache ?? config.cache.records },
      responses: { enabled: config.cache.responses },
      engine: { ...config.outbox, tracer: tracing?.tracer },
      outbound: { ...config.outbound, allowLoopback: config.mode === 'sandbox' },
      requestDeadlineMs: config.upstream.requestDeadlineMs,
      bus: config.redisUrl
        ? await createRedisBus(config.redisUrl, { logger, prefix: config.redisPrefix })
        : createLocalBus(logger),
    });
    if (config.mode === 'sandbox' && hub.connections) {
      // The sandboxes start afresh each run: tokens they issued to a console connection last run
      // mean nothing to them now, so the environment's (the sandboxes') credentials count again.
      const forgotten = await hub.connections.forgetAll();
      if (forgotten > 0)
        logger.info('connections made from the console last run were forgotten (sandbox mode)');
    } else if (hub.connections) {
      for (const { module } of Object.values(bindings)) {
        const connection = await hub.connections.current(WORKSPACE, module.id);
        if (connection)
          logger.info(
            { source: module.id, connection: 'disconnected' in connection ? 'none' : connection.method },
            `${module.label}: the connection made from the console overrides its environment variables`,
          );
      }
    }
    const served = (await hub.directory?.load()) ?? 0;
    if (served > 0)
      logger.info({ workspaces: served }, `${served} workspaces made from the console are served too`);
    let nudge = () => {};
    const webhooks = connectWebhooks({
      workspace: WORKSPACE,
      db: store.db,
      bindings,
      sources: hub.defaultWorkspace.sources,
      enqueue: async (system, events) => {
        await hub.inbox.store(WORKSPACE, system, events);
        nudge();
      },
      logger,
    });
    const processor = createWebhookProcessor(hub, hub.inbox, {
      leaseMs: config.outbox.leaseMs,
      tracer: tracing?.tracer,
    });
    const stopRules = startSyncRules(hub.bus, hub.workspaces, {
      engine: hub.engine,
      identity: hub.identity,
      links: hub.links,
      rules: new Set(SYNC_RULES.filter((rule) => !config.syncRulesOff.includes(rule))),
    });
    cleanups.push(async () => stopRules());

    let backfill: BackfillReport | undefined;
    const mode = options.backfill ?? 'if-empty';
    if (mode === 'always' || (mode === 'if-empty' && (await hub.links.countCustomers(WORKSPACE)) === 0)) {
      logger.info('linking customers across systems (backfill)…');
      backfill = await inRootSpan(tracing?.tracer, 'backfill', {}, () =>
        backfillLinks(hub, hub.defaultWorkspace, { onProgress: (m) => logger.info(m) }),
      );
    }

    const intake = createWebhookIntake(hub, hub.inbox, {
      routes: webhooks.routes,
      verifierFor: (workspace, source) =>
        workspace.id === WORKSPACE ? webhooks.verifierFor(source) : undefined,
      onStored: () => nudge(),
    });
    const schema = buildSchema();
    const security = createSecurity({
      store,
      schema,
      mode: config.mode === 'sandbox' ? 'test' : 'live',
      workspaces: hub.workspaces,
      learnWorkspace: hub.directory ? (id) => hub.directory!.learn(id) : undefined,
      defaultWorkspace: WORKSPACE,
      logger,
      metrics: hub.metrics,
      redis,
      redisPrefix: config.redisPrefix,
      settings: { ...config.security, ...options.security },
    });
    const developmentKey =
      config.mode === 'sandbox'
        ? await ensureDevelopmentKey(security.keys, security.catalog, {
            // An in-memory store forgets its keys on exit; so does its development key.
            file: config.databaseUrl.endsWith(':memory:')
              ? undefined
              : join(config.dataDir, 'development-key'),
            workspace: WORKSPACE,
          })
        : undefined;
    const exampleSite =
      config.mode === 'sandbox'
        ? websiteExample({
            keys: security.keys,
            workspace: WORKSPACE,
            timeZone: config.timeZone,
            publicUrl: config.publicUrl,
            keyFile: config.databaseUrl.endsWith(':memory:')
              ? undefined
              : join(config.dataDir, 'website-key'),
            created: () => security.created(),
          })
        : undefined;
    const { server, closeSockets, handleOps } = createSwitchboardServer(hub, {
      security,
      schema,
      development: config.development,
      webhooks: intake,
      tracer: tracing?.tracer,
      oauthCallback: createConsentCallback(hub, {
        audit: security.audit,
        addressOf: (req) => security.addressOf(req),
      }),
      graphiqlHeaders: developmentKey ? { Authorization: `Bearer ${developmentKey}` } : undefined,
      consoleSignIn: createConsoleSignIn({
        db: store.db,
        secrets: store.secrets,
        encryptionKey: config.encryption.key,
        security,
        logger,
        oidc: config.security.oidc,
        jwt: options.security?.jwt ?? config.security.jwt,
        workspace: WORKSPACE,
        publicUrl: config.publicUrl,
      }),
      website: exampleSite,
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => resolve());
    });
    let opsUrl: string | undefined;
    if (config.security.opsListen) {
      const { host, port } = config.security.opsListen;
      const ops = createServer(handleOps);
      await new Promise<void>((resolve, reject) => {
        ops.once('error', reject);
        ops.listen(port, host, () => resolve());
      });
      cleanups.push(() => new Promise<void>((resolve) => ops.close(() => resolve())));
      opsUrl = `http://${host.includes(':') ? `[${host}]` : host}:${(ops.address() as AddressInfo).port}`;
    }
    // The workers retry what failed and resume what a crash left behind, from the first moment.
    const worker = hub.engine.startWorker({ intervalMs: config.outbox.pollMs });
    const inboxWorker = processor.start();
    const outboundWorker = hub.outbound?.start();
    // Deposit links whose webhook never came, and holds whose link was never made (src/deposits/).
    const depositSweep = hub.depositSettlement.start(() => hub.workspaces.values(), 5 * 60_000);
    nudge = inboxWorker.nudge;
    hub.reconciler.schedule(config.reconcileAt);
    const address = server.address() as AddressInfo;
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${address.port}`;
    // Its key allows the origins the hub is reached at, which include the port only known now.
    const website = await exampleSite?.open(url);
    // Without PUBLIC_URL, redirect URIs use the origin the console was opened on (the bind address may be 0.0.0.0).
    if (hub.connections) hub.connections.publicUrl = config.publicUrl;
    // Not in a root span of its own: the renewal timers registration leaves behind would carry it,
    // and calls made days later would join the start-up's trace. Its calls are roots, each alone.
    await webhooks.register(config.publicUrl ?? url);
    const announce =
      config.mode === 'sandbox' && !options.sandboxes && sandboxes?.all.some((s) => s.persistence);
    if (announce && sandboxes) {
      writeRunning(config.dataDir, {
        hub: url,
        sandboxes: ROLES.map((role) => {
          const s = (sandboxes as Sandboxes)[role];
          return { role, system: s.system, name: s.name, url: s.url };
        }),
      });
      cleanups.push(async () => removeRunning(config.dataDir));
    }
    return {
      url,
      opsUrl,
      hub,
      security,
      developmentKey,
      website,
      sandboxes,
      backfill,
      async close() {
        await closeSockets();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await webhooks.stop();
        await inboxWorker.stop();
        await worker.stop();
        await outboundWorker?.stop();
        depositSweep.stop();
        await security.close();
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
