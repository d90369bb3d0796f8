import { spawn, type ChildProcess } from 'node:child_process';
import type { BoundSandbox, SandboxEndpoints } from '../sources.ts';
import { ROLES, type AnySourceModule, type Role } from '../domain/source-module.ts';
import { sandboxModules } from './start.ts';

export interface SandboxProcess {
  endpoints: SandboxEndpoints;
  all: BoundSandbox[];
  close(): Promise<void>;
}

function startOne(
  module: AnySourceModule,
  options: { customers?: number; relaxed?: boolean },
): { child: ChildProcess; ready: Promise<BoundSandbox> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/sandbox/cli.ts'], {
    cwd: new URL('../..', import.meta.url),
    env: {
      ...process.env,
      SANDBOX_ONLY: module.id,
      SANDBOX_PORTS: 'free',
      SANDBOX_OUTPUT: 'json',
      SANDBOX_LIMITS: options.relaxed === false ? 'vendor' : 'relaxed',
      ...(options.customers ? { SANDBOX_CUSTOMERS: String(options.customers) } : {}),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = new Promise<BoundSandbox>((resolve, reject) => {
    let buffer = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const line = buffer.split('\n').find((l) => l.startsWith('{"sandboxes"'));
      const found =
        line && (JSON.parse(line) as { sandboxes: Partial<SandboxEndpoints> }).sandboxes[module.role];
      if (found) resolve(found);
    });
    child.once('exit', (code) =>
      reject(new Error(`the ${module.label} sandbox process exited with ${code} before it was ready`)),
    );
  });
  return { child, ready };
}

/**
 * Each vendor sandbox in a child process of its own, as the vendors are on machines of their own:
 * one vendor's CPU time (serialising a 2,500-event listing, say) neither lands on the hub's event
 * loop nor holds up another vendor's answer, so what the benchmark measures is the hub. The
 * modules are the environment's bindings unless given.
 */
export async function startSandboxProcess(
  options: { customers?: number; relaxed?: boolean; modules?: Partial<Record<Role, AnySourceModule>> } = {},
): Promise<SandboxProcess> {
  const modules = sandboxModules(options);
  const started = ROLES.map((role) => ({ role, ...startOne(modules[role], options) }));
  const close = async () => {
    await Promise.all(
      started.map(async ({ child }) => {
        if (child.exitCode !== null) return;
        child.kill('SIGTERM');
        await new Promise((resolve) => child.once('exit', resolve));
      }),
    );
  };
  try {
    const ready = await Promise.all(started.map((s) => s.ready));
    const endpoints = Object.fromEntries(started.map((s, i) => [s.role, ready[i]])) as SandboxEndpoints;
    return { endpoints, all: ready, close };
  } catch (error) {
    await close();
    throw error;
  }
}
