/**
 * `<dataDir>/sandboxes/running.json`: where a sandbox-mode hub's sandboxes listen (they take free
 * ports), written while it runs, so `npm run sandbox -- trigger` and `-- reset` find them (and know
 * the hub is up) without parsing the banner.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './kit/persist.ts';
import { sandboxStateDir } from './start.ts';

/** Where one sandbox listens; no credentials (the CLI asks the sandbox's `GET /__sandbox`). */
export interface RunningSandboxEntry {
  role: string;
  system: string;
  name: string;
  url: string;
}

/** A sandbox the CLI acts on: where it listens and the test credentials it accepts. */
export type RunningSandboxInfo = RunningSandboxEntry & { credentials: Record<string, string> };

export interface RunningFile {
  pid: number;
  hub: string;
  startedAt: string;
  sandboxes: RunningSandboxEntry[];
}

export const runningFile = (dataDir: string) => join(sandboxStateDir(dataDir), 'running.json');

export function writeRunning(dataDir: string, info: Omit<RunningFile, 'pid' | 'startedAt'>): void {
  writeFileAtomic(
    runningFile(dataDir),
    JSON.stringify({ pid: process.pid, startedAt: new Date().toISOString(), ...info }, null, 2),
  );
}

/** Removes the file if this process wrote it (a second hub on the same folder leaves the first's). */
export function removeRunning(dataDir: string): void {
  if (readRunning(dataDir)?.pid === process.pid) rmSync(runningFile(dataDir), { force: true });
}

/** The running hub's file, or undefined when none is running (no file, or its process is gone). */
export function readRunning(dataDir: string): RunningFile | undefined {
  let parsed: RunningFile;
  try {
    parsed = JSON.parse(readFileSync(runningFile(dataDir), 'utf8')) as RunningFile;
  } catch {
    return undefined;
  }
  if (!Number.isInteger(parsed.pid) || !Array.isArray(parsed.sandboxes)) return undefined;
  try {
    process.kill(parsed.pid, 0); // signal 0: only asks whether the process exists
  } catch (error) {
    // EPERM: it exists under another user; anything else: it is gone (killed without cleaning up).
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return undefined;
  }
  return parsed;
}
