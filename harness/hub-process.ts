import { spawn, type ChildProcess } from 'node:child_process';
import { sandboxEnv, type SandboxEndpoints } from '../src/sources.ts';
import { SOURCE_MODULES } from '../sources/registry.ts';
import { waitFor } from './wait.ts';
import { randomBytes } from 'node:crypto';
import { issueKey } from './keys.ts';

/**
 * `src/main.ts` in a child process of its own, as it runs in production: live mode pointed at
 * sandboxes (which live in other processes and so survive the hub's death), PORT=0 (the URL comes
 * from the banner), and whatever else `env` sets (the store, outbox timings). It can be killed
 * with SIGKILL, mid-request, and started again on the same store; each start gets a new port.
 */
export interface HubProcess {
  readonly name: string;
  /** The base URL while the process is up and has printed its banner; null otherwise. */
  readonly url: string | null;
  /** A live key with every scope in the hub's store, made after the first start. */
  readonly key: string;
  /** Requests the test has sent to this process and not yet had an answer for. */
  inFlight: number;
  /** How many times it has been started. */
  readonly starts: number;
  /** Starts it and waits for the banner (throws with the output if it exits first). */
  start(): Promise<void>;
  /** SIGKILL: no shutdown hook runs, sockets and transactions are cut where they are. */
  kill(): Promise<void>;
  /** SIGTERM and wait (SIGKILL after 5 s): the graceful stop, for teardown. */
  stop(): Promise<void>;
  /** The last few kilobytes of its stdout and stderr, for failure messages. */
  output(): string;
}

/** The environment variables that point a live-mode hub at the sandboxes (each module's own, see `envFromSandbox`). */
export const liveVendorEnv = (sandboxes: SandboxEndpoints): Record<string, string> => sandboxEnv(sandboxes);

/** Settings of the test's own environment that would change what the hub does. */
const INHERITED = new RegExp(
  `^(${[...SOURCE_MODULES.flatMap((m) => m.settings.variables.map((v) => v.name.split('_')[0])), 'OUTBOX', 'SWITCHBOARD'].join('|')})_|^(DATABASE_URL|REDIS_URL|PORT|HOST|LOG_LEVEL)$`,
);

/** One encryption key for every hub process of this test run, so replicas read each other's secrets. */
const ENCRYPTION_KEY = randomBytes(32).toString('base64');

/**
 * `HUB_NODE_ARGS` adds Node options to every hub child, for profiling a benchmark's hub:
 * `HUB_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" npm run bench -- gateway` leaves one
 * `.cpuprofile` per hub start (open it in Chrome's DevTools). NODE_OPTIONS cannot carry them:
 * Node refuses `--cpu-prof` there.
 */
const nodeArgs = () => process.env.HUB_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? [];

export function hubProcess(name: string, env: Record<string, string>): HubProcess {
  const base = {
    ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !INHERITED.test(key))),
    SWITCHBOARD_ENCRYPTION_KEY: ENCRYPTION_KEY,
    // Tests send bursts; the callers' limit has tests of its own.
    SWITCHBOARD_RATE_LIMIT: 'off',
  };
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let url: string | null = null;
  let output = '';
  /** This start's output until the banner (the kept output is trimmed). */
  let sinceStart = '';
  let starts = 0;
  let key: string | undefined;
  const append = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8_000);
    if (url === null) sinceStart += chunk.toString();
  };

  const hub: HubProcess = {
    name,
    get url() {
      return url;
    },
    inFlight: 0,
    get starts() {
      return starts;
    },
    get key() {
      if (!key) throw new Error(`${name} has no key before its first start`);
      return key;
    },
    async start() {
      if (child && child.exitCode === null && child.signalCode === null)
        throw new Error(`${name} is already running`);
      starts++;
      output += `\n--- ${name} start ${starts} ---\n`;
      sinceStart = '';
      const started = spawn(process.execPath, [...nodeArgs(), '--import', 'tsx', 'src/main.ts'], {
        cwd: new URL('..', import.meta.url),
        env: { ...base, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child = started;
      exited = new Promise((resolve) =>
        started.once('exit', () => {
          url = null;
          resolve();
        }),
      );
      started.stdout?.on('data', append);
      started.stderr?.on('data', append);
      const found = await waitFor(
        () =>
          /GraphQL \+ GraphiQL\s+(\S+)\/graphql/.exec(sinceStart)?.[1] ??
          (started.exitCode !== null ? 'exited' : undefined),
        () => `${name}'s banner; output so far:\n${sinceStart}`,
        60_000,
        25,
      );
      if (found === 'exited') throw new Error(`${name} exited before it was ready:\n${sinceStart}`);
      url = found;
      key ??= await issueKey(env.DATABASE_URL ?? 'sqlite:data/switchboard.db');
    },
    async kill() {
      url = null;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      url = null;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child?.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
    output: () => output,
  };
  return hub;
}
