import { ConfigError, loadConfig } from './config.ts';
import { startSwitchboard } from './app.ts';
import { createLogger } from './observability/logger.ts';
import { ROLES } from './domain/source-module.ts';
import { SavedStateError } from './sandbox/kit/persist.ts';
import { sandboxStateDir } from './sandbox/start.ts';

const logger = createLogger();
try {
  const config = loadConfig();
  const app = await startSwitchboard(config, { logger });
  const lines = [
    '',
    `  Switchboard is running (${config.mode} mode, store ${app.hub.store.description})`,
    '',
    `  GraphQL + GraphiQL   ${app.url}/graphql   (opens on a ready-made "customer 360" query)`,
    `  Console              ${app.url}/console   (operator key: connections, failures, sync issues)`,
    ...(app.website
      ? [`  Website              ${app.website.url}   (example booking page, sandbox publishable key)`]
      : []),
    `  Health               ${app.url}/healthz  ${app.url}/readyz`,
    `  Metrics              ${app.url}/metrics   (operator key)`,
    '',
    `  Systems              ${ROLES.map((role) => `${role}: ${config.sources[role].module.label}`).join(', ')}`,
  ];
  if (config.tracing) {
    const traces = new URL(config.tracing.endpoint);
    lines.push(`  Traces               ${traces.origin}${traces.pathname}   (OpenTelemetry, OTLP/HTTP)`);
  }
  if (app.opsUrl)
    lines.push(
      `  Operations listener  ${app.opsUrl}/metrics  ${app.opsUrl}/readyz   (no key: keep it private)`,
    );
  if (app.developmentKey) {
    lines.push(
      '',
      `  Development key      ${app.developmentKey}`,
      '                       every scope, test mode; GraphiQL already sends it. For curl and scripts:',
      `                       export SWITCHBOARD_KEY=${app.developmentKey}`,
    );
    if (!['127.0.0.1', 'localhost', '::1'].includes(config.host)) {
      lines.push(
        `  Warning: HOST=${config.host} lets other machines reach this sandbox hub, and GraphiQL's page carries the development key.`,
      );
    }
  }
  if (app.sandboxes) {
    const kept = app.sandboxes.all.some((s) => s.persistence === 'loaded' || s.persistence === 'seeded');
    lines.push(
      '',
      kept
        ? `  Vendor sandboxes (kept in ${sandboxStateDir(config.dataDir)}; admin surface under /__sandbox/):`
        : '  Vendor sandboxes (seeded; admin surface under /__sandbox/):',
    );
    for (const s of app.sandboxes.all) {
      const note = { loaded: 'saved state', seeded: 'seeded', memory: 'seeded, not saved' }[
        s.persistence ?? 'memory'
      ];
      lines.push(`    ${s.name.padEnd(17)}  ${s.url}${kept ? `   (${note})` : ''}`);
    }
    if (kept)
      lines.push(
        '    `npm run sandbox -- trigger --list` sends vendor events; `npm run sandbox -- reset` starts over.',
      );
  }
  if (app.backfill) {
    const b = app.backfill;
    const people = ROLES.filter((role) => role !== 'calendar').map(
      (role) => `${config.sources[role].module.label} (${b.records[config.sources[role].module.id] ?? 0})`,
    );
    lines.push(
      '',
      `  Linked ${b.customers} customers across ${people.slice(0, -1).join(', ')} and ${people.at(-1)}; ${b.issuesRaised} sync issues found.`,
    );
  }
  lines.push('', '  Ctrl-C stops it.', '');
  console.log(lines.join('\n'));
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
} catch (error) {
  if (error instanceof ConfigError || error instanceof SavedStateError) console.error(error.message);
  else if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    console.error(
      `Port ${process.env.PORT ?? 4000} is in use: stop what runs there or set PORT to another port.`,
    );
  } else console.error(error);
  process.exit(1);
}
