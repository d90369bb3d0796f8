import { spawn, type ChildProcess } from 'node:child_process';
import type { SandboxEndpoint, SandboxEndpoints } from '../sources.ts';
import { SANDBOX_KEYS, type SandboxKey } from './start.ts';

export interface SandboxProcess {
  endpoints: SandboxEndpoints;
  all: SandboxEndpoint[];
  close(): Promise<void>;
}

function startOne(
  key: SandboxKey,
  options: { customers?: number; relaxed?: boolean },
): { child: ChildProcess; ready: Promise<SandboxEndpoint> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/sandbox/cli.ts'], {
    cwd: new URL('../..', import.meta.url),
    env: {
      ...process.env,
      SANDBOX_ONLY: key,
      SANDBOX_PORTS: 'free',
      SANDBOX_OUTPUT: 'json',
      SANDBOX_LIMITS: options.relaxed === false ? 'vendor' : 'relaxed',
      ...(options.customers ? { SANDBOX_CUSTOMERS: String(options.customers) } : {}),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = new Promise<SandboxEndpoint>((resolve, reject) => {
    let buffer = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const line = buffer.split('\n').find((l) => l.startsWith('{"sandboxes"'));
      const found = line && (JSON.parse(line) as { sandboxes: Partial<SandboxEndpoints> }).sandboxes[key];
      if (found) resolve(found);
    });
    child.once('exit', (code) =>
      reject(new Error(`the ${key} sandbox process exited with ${code} before it was ready`)),
    );
  });
  return { child, ready };
}

/**
 * Each vendor sandbox in a child process of its own, as the vendors are on machines of their own:
 * one vendor's CPU time (serialising a 2,500-event listing, say) neither lands on the hub's event
 * loop nor holds up another vendor's answer, so what the benchmark measures is the hub.
 */
export async function startSandboxProcess(
  options: { customers?: number; relaxed?: boolean } = {},
): Promise<SandboxProcess> {
  const started = SANDBOX_KEYS.map((key) => ({ key, ...startOne(key, options) }));
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
    const endpoints = Object.fromEntries(
      started.map((s, i) => [s.key, ready[i]]),
    ) as unknown as SandboxEndpoints;
    return { endpoints, all: ready, close };
  } catch (error) {
    await close();
    throw error;
  }
}
