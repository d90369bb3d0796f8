import { ROLES } from '../domain/source-module.ts';
import { ConfigError } from '../env.ts';
import { moduleById, SOURCE_MODULES } from '../../sources/registry.ts';
import { sandboxModules, startSandbox, startSandboxes, type RoleSandbox } from './start.ts';

/**
 * `npm run sandbox`: a sandbox per role (the `SWITCHBOARD_<ROLE>` bindings) on fixed loopback ports,
 * in memory (reseeded on every start). `npm run sandbox -- reset|trigger …`: see commands.ts.
 * Environment:
 * - SANDBOX_SEED (integer) loads a different business; SANDBOX_CUSTOMERS sets its size (default 300);
 * - SANDBOX_PORTS=free picks free ports instead of each module's own (sources/<vendor>/index.ts);
 * - SANDBOX_LIMITS=relaxed lifts the vendors' rate limits (benchmarks that are not about limits);
 * - SANDBOX_OUTPUT=json prints one JSON line with each sandbox's URL and credentials (for scripts);
 * - SANDBOX_ONLY=<module id> starts just that one (benchmarks run each vendor in its own process,
 *   as the real ones are on their own machines).
 */
const [command, ...args] = process.argv.slice(2);
if (command !== undefined) {
  // `npm run sandbox -- reset` / `-- trigger <action>`: commands on a data folder, not a start.
  const { runCommand } = await import('./commands.ts');
  process.exit(await runCommand(command, args));
}

const env = process.env;
const host = env.HOST ?? '127.0.0.1';
const integer = (name: string): number | undefined => {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    console.error(`${name} must be a whole number, got "${raw}"`);
    process.exit(1);
  }
  return value;
};
const seed = integer('SANDBOX_SEED');
const customers = integer('SANDBOX_CUSTOMERS');

const only = env.SANDBOX_ONLY ? moduleById(env.SANDBOX_ONLY) : undefined;
if (env.SANDBOX_ONLY && !only) {
  console.error(
    `SANDBOX_ONLY must be one of ${SOURCE_MODULES.map((m) => m.id).join(', ')}, got "${env.SANDBOX_ONLY}"`,
  );
  process.exit(1);
}

let ports: Record<string, number> = {};
try {
  const modules = sandboxModules();
  ports =
    env.SANDBOX_PORTS === 'free'
      ? {}
      : Object.fromEntries(
          ROLES.map((role) => [role, (only?.role === role ? only : modules[role]).sandbox.port]),
        );
  const options = { host, ports, seed: { seed, customers }, relaxed: env.SANDBOX_LIMITS === 'relaxed' };
  const sandboxes: { all: RoleSandbox[]; close(): Promise<void> } = only
    ? await startSandbox(only.id, options).then((one) => ({ all: [one], close: () => one.close() }))
    : await startSandboxes(options);
  if (env.SANDBOX_OUTPUT === 'json') {
    const described = Object.fromEntries(
      sandboxes.all.map((s) => [
        moduleById(s.system)!.role,
        { name: s.name, system: s.system, url: s.url, credentials: s.credentials },
      ]),
    );
    console.log(JSON.stringify({ sandboxes: described }));
  } else {
    console.log('Switchboard vendor sandboxes are running (Ctrl-C to stop):\n');
    for (const s of sandboxes.all) {
      console.log(`  ${s.name.padEnd(16)} ${s.url}    admin: ${s.url}/__sandbox`);
      for (const [key, value] of Object.entries(s.credentials))
        console.log(`  ${''.padEnd(16)} ${key}=${value}`);
    }
  }
  const stop = () => {
    void sandboxes.close().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} catch (error) {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    console.error(
      `A sandbox port is already in use (${Object.values(ports).join(', ')}): is \`npm run sandbox\` already running? SANDBOX_PORTS=free picks free ports.`,
    );
  } else if (error instanceof ConfigError) console.error(error.message);
  else console.error(error);
  process.exit(1);
}
