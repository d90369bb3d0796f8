/**
 * `npm run sandbox -- reset` and `npm run sandbox -- trigger <action>`: what a developer does to a
 * sandbox-mode hub's data folder (`SWITCHBOARD_DATA_DIR`, else the SQLite file's folder, else `data`).
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { loadConfig, type Config } from '../config.ts';
import { ConfigError } from '../env.ts';
import { ROLES } from '../domain/source-module.ts';
import { sandboxModules, sandboxStateDir } from './start.ts';
import { readRunning, runningFile, type RunningSandboxEntry, type RunningSandboxInfo } from './running.ts';
import { describeActions, TRIGGER_ACTIONS, TriggerError } from './trigger.ts';

export const COMMANDS = ['reset', 'trigger'] as const;

type Out = { log(line: string): void; error(line: string): void };

/** Runs a subcommand; returns the exit code. */
export async function runCommand(command: string, args: string[], out: Out = console): Promise<number> {
  try {
    if (command === 'reset') return await reset(args, out);
    if (command === 'trigger') return await trigger(args, out);
    out.error(
      `Unknown command "${command}". \`npm run sandbox\` starts the sandboxes; its commands are:\n` +
        `  reset [--yes]        clear sandbox mode's store and saved sandboxes together\n` +
        `  trigger <action>     make a running sandbox do something that sends its webhooks (--list)`,
    );
    return 1;
  } catch (error) {
    if (error instanceof ConfigError || error instanceof TriggerError) {
      out.error(error.message);
      return 1;
    }
    throw error;
  }
}

/** The files `reset` deletes: the hub's SQLite store (with its WAL) and everything under `sandboxes/`. */
export function resetTargets(config: Config): string[] {
  const sqlite = config.databaseUrl.replace(/^sqlite:(\/\/)?/, '');
  const store = [sqlite, `${sqlite}-wal`, `${sqlite}-shm`, `${sqlite}-journal`];
  const dir = sandboxStateDir(config.dataDir);
  const saved = existsSync(dir) ? readdirSync(dir).map((name) => join(dir, name)) : [];
  // The development key lives in the store; its file would name a key the new store does not have.
  const key = join(config.dataDir, 'development-key');
  return [...store, ...saved, key].filter((file) => existsSync(file));
}

async function reset(args: string[], out: Out): Promise<number> {
  const unknown = args.filter((a) => a !== '--yes' && a !== '-y');
  if (unknown.length > 0) {
    out.error(`reset takes only --yes, got ${unknown.join(' ')}`);
    return 1;
  }
  // Checked before the rest of the configuration: a half-configured live environment is refused too.
  const credentials = Object.values(sandboxModules()).flatMap((m) =>
    m.settings.credentialVars.filter((name) => process.env[name]),
  );
  const config = credentials.length > 0 ? undefined : loadConfig();
  if (!config || config.mode === 'live') {
    out.error(
      `Refusing to reset: vendor credentials are set (${credentials.join(', ') || 'see the configuration'}), so ` +
        'this is live mode, whose store holds links to real records. reset is for sandbox mode (no vendor ' +
        'credentials in the environment). Nothing was deleted.',
    );
    return 1;
  }
  if (!/^sqlite:/.test(config.databaseUrl) || config.databaseUrl.endsWith(':memory:')) {
    out.error(
      `reset clears the embedded SQLite store and the saved sandboxes; DATABASE_URL is ${config.databaseUrl.replace(/\/\/[^@/]*@/, '//…@')}. ` +
        'An in-memory store starts empty anyway; for PostgreSQL drop the database (or schema) yourself and ' +
        `delete ${sandboxStateDir(config.dataDir)}. Nothing was deleted.`,
    );
    return 1;
  }
  const running = readRunning(config.dataDir);
  if (running) {
    out.error(
      `The hub is running on this data folder (pid ${running.pid}, ${running.hub}): stop it (Ctrl-C) first, ` +
        'then reset. Nothing was deleted.',
    );
    return 1;
  }
  const targets = resetTargets(config);
  if (targets.length === 0) {
    out.log(`Nothing to reset in ${config.dataDir}: the next \`npm start\` seeds everything.`);
    return 0;
  }
  out.log(`reset deletes the hub's store and the saved sandboxes in ${config.dataDir}:`);
  for (const file of targets) out.log(`  ${file}`);
  if (!args.includes('--yes') && !args.includes('-y')) {
    if (!process.stdin.isTTY) {
      out.error('Not deleted: pass --yes to reset without a question (scripts, CI).');
      return 1;
    }
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    const answer = await rl.question('Delete them? [y/N] ');
    rl.close();
    if (!/^y(es)?$/i.test(answer.trim())) {
      out.log('Nothing deleted.');
      return 1;
    }
  }
  for (const file of targets) rmSync(file, { force: true, recursive: true });
  out.log(
    'Done: the next `npm start` reseeds the sandboxes, links customers again and prints a new development key.',
  );
  return 0;
}

/** What the sandbox at `url` says of itself, when it is the `system` sandbox; undefined when nothing answers. */
async function describeSandbox(entry: RunningSandboxEntry): Promise<RunningSandboxInfo | undefined> {
  try {
    const res = await fetch(`${entry.url}/__sandbox`, { signal: AbortSignal.timeout(2_000) });
    const described = (await res.json()) as { sandbox?: string; credentials?: Record<string, string> };
    if (described.sandbox !== entry.system) return undefined;
    return { ...entry, credentials: described.credentials ?? {} };
  } catch {
    return undefined;
  }
}

/**
 * The running sandboxes: a sandbox-mode hub's (its running.json), else `npm run sandbox`'s fixed
 * ports. Credentials come from each sandbox's own `GET /__sandbox`, so none are written to disk.
 */
async function findSandboxes(config: Config): Promise<{ from: string; sandboxes: RunningSandboxInfo[] }> {
  const running = readRunning(config.dataDir);
  const modules = sandboxModules();
  const entries: RunningSandboxEntry[] =
    running?.sandboxes ??
    ROLES.map((role) => ({
      role,
      system: modules[role].id,
      name: modules[role].id,
      url: `http://127.0.0.1:${modules[role].sandbox.port}`,
    }));
  const sandboxes = (await Promise.all(entries.map(describeSandbox))).filter((s) => s !== undefined);
  if (running) {
    if (sandboxes.length < entries.length)
      throw new TriggerError(
        `The hub at ${running.hub} (pid ${running.pid}) is running, but its sandboxes do not all answer: is it stopping?`,
      );
    return { from: `the hub at ${running.hub} (pid ${running.pid})`, sandboxes };
  }
  if (sandboxes.length === 0)
    throw new TriggerError(
      `No running sandboxes found: neither ${runningFile(config.dataDir)} (written by \`npm start\` in sandbox mode ` +
        `while it runs) nor \`npm run sandbox\` on ports ${ROLES.map((r) => modules[r].sandbox.port).join(', ')}. ` +
        'Start one of them first (same SWITCHBOARD_DATA_DIR / DATABASE_URL as the hub).',
    );
  return { from: '`npm run sandbox` (fixed ports)', sandboxes };
}

async function trigger(args: string[], out: Out): Promise<number> {
  const [name, ...rest] = args;
  if (name === '--list' || name === '-l') {
    out.log(`Actions (npm run sandbox -- trigger <action>):\n${describeActions()}`);
    return 0;
  }
  const action = TRIGGER_ACTIONS.find((a) => a.name === name);
  if (!action || rest.length > 0) {
    out.error(
      `${name === undefined ? 'Which action?' : rest.length > 0 ? `trigger takes one action, got "${args.join(' ')}".` : `Unknown action "${name}".`} ` +
        `The actions are:\n${describeActions()}`,
    );
    return 1;
  }
  const config = loadConfig();
  const { from, sandboxes } = await findSandboxes(config);
  const sandbox = sandboxes.find((s) => action.systems.includes(s.system));
  if (!sandbox) {
    throw new TriggerError(
      `${action.name} needs a ${action.systems.join(' or ')} sandbox; ${from} runs ${sandboxes.map((s) => s.system).join(', ')}.`,
    );
  }
  const summary = await action.run(sandbox);
  out.log(
    `${action.name}: ${summary}.\n` +
      `The ${sandbox.name} sandbox (${sandbox.url}, via ${from}) sends its signed webhooks now; ` +
      `deliveries: GET ${sandbox.url}/__sandbox/webhooks`,
  );
  return 0;
}
