import { join } from 'node:path';
import { generateBusiness, type BusinessOptions } from './seed/business.ts';
import { createSaver, readSaved, SavedStateError } from './kit/persist.ts';
import type { VendorSandbox } from './types.ts';
import type { WebhookSettings } from './kit/webhooks.ts';
import { ROLES, type AnySourceModule, type Role } from '../domain/source-module.ts';
import { bindingsFromEnv } from '../bindings.ts';
import { moduleById } from '../../sources/registry.ts';

/** A running vendor sandbox and the system (module id) it stands in for. */
export type RoleSandbox = VendorSandbox & {
  system: string;
  /** With `persist`: whether it loaded saved state (`loaded`), started from the seed and saves (`seeded`), or cannot save (`memory`). */
  persistence?: 'loaded' | 'seeded' | 'memory';
};

/** One sandbox per role, all loaded from one seed business. */
export type Sandboxes = Record<Role, RoleSandbox> & {
  all: RoleSandbox[];
  close(): Promise<void>;
};

export interface StartSandboxesOptions {
  seed?: BusinessOptions;
  host?: string;
  /** Ports per role; 0 or absent picks a free port (tests, `npm start`). */
  ports?: Partial<Record<Role, number>>;
  webhooks?: Partial<WebhookSettings>;
  /** Lift the vendors' rate limits (tests and benchmarks that are not about them); default false. */
  relaxed?: boolean;
  /** The module per role; default the environment's `SWITCHBOARD_<ROLE>` bindings (the registry's defaults). */
  modules?: Partial<Record<Role, AnySourceModule>>;
  /**
   * Keep each sandbox's records in `<dir>/<module id>.json` (sandbox mode: `<dataDir>/sandboxes`):
   * loaded at start instead of the seed, saved shortly after each change and at close.
   * Absent (tests, `npm run sandbox`): in memory, reseeded on every start.
   */
  persist?: { dir: string; delayMs?: number };
}

/** Where sandbox mode keeps the saved sandboxes, under the data folder. */
export const sandboxStateDir = (dataDir: string) => join(dataDir, 'sandboxes');

/** The module per role the options (or the environment) bind. */
export function sandboxModules(options: StartSandboxesOptions = {}): Record<Role, AnySourceModule> {
  const fromEnv = bindingsFromEnv();
  return Object.fromEntries(ROLES.map((role) => [role, options.modules?.[role] ?? fromEnv[role]])) as Record<
    Role,
    AnySourceModule
  >;
}

/** Starts one vendor's sandbox (by module id or role); `startSandboxes` starts one per role from one business. */
export async function startSandbox(
  which: Role | string,
  options: StartSandboxesOptions = {},
): Promise<RoleSandbox> {
  const module = (ROLES as readonly string[]).includes(which)
    ? sandboxModules(options)[which as Role]
    : moduleById(which);
  if (!module) throw new Error(`no source module "${which}"`);
  return startOne(module, generateBusiness(options.seed), options);
}

async function startOne(
  module: AnySourceModule,
  business: ReturnType<typeof generateBusiness>,
  options: StartSandboxesOptions,
): Promise<RoleSandbox> {
  const sandbox = await module.sandbox.start({
    business,
    host: options.host,
    webhooks: options.webhooks,
    port: options.ports?.[module.role],
    relaxed: options.relaxed,
  });
  const role = Object.assign(sandbox, { system: module.id }) as RoleSandbox;
  return options.persist ? persist(role, business.seed, options.persist) : role;
}

/** Loads the saved state (when there is one) and saves after changes and at close. */
async function persist(
  sandbox: RoleSandbox,
  seed: number,
  options: { dir: string; delayMs?: number },
): Promise<RoleSandbox> {
  const state = sandbox.state;
  if (!state) return Object.assign(sandbox, { persistence: 'memory' as const });
  const file = join(options.dir, `${sandbox.system}.json`);
  let saved: unknown;
  try {
    saved = readSaved(file, sandbox.system, seed);
    if (saved !== undefined) {
      try {
        state.restore(saved);
      } catch (error) {
        throw new SavedStateError(file, `it does not fit this sandbox (${(error as Error).message})`);
      }
    }
  } catch (error) {
    await sandbox.close();
    throw error;
  }
  const saver = createSaver({ file, module: sandbox.system, seed, state, delayMs: options.delayMs });
  // Anything but a read may change the records: API writes, admin actions, OAuth token grants,
  // webhook subscriptions. Reads are not worth a save.
  sandbox.server.on('request', (req, res) => {
    if (req.method === 'GET' || req.method === 'HEAD') return;
    res.once('close', () => saver.schedule());
  });
  // The first start writes the seeded state at once, so a crash before any change still leaves a file.
  if (saved === undefined) {
    saver.schedule();
    saver.flush();
  }
  const close = sandbox.close.bind(sandbox);
  return Object.assign(sandbox, {
    persistence: saved === undefined ? ('seeded' as const) : ('loaded' as const),
    close: async () => {
      await close();
      saver.close();
    },
  });
}

/** Starts a sandbox per role in this process, all loaded from one seed business. */
export async function startSandboxes(options: StartSandboxesOptions = {}): Promise<Sandboxes> {
  const modules = sandboxModules(options);
  const business = generateBusiness(options.seed);
  const started = await Promise.allSettled(ROLES.map((role) => startOne(modules[role], business, options)));
  const ok = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await Promise.all(ok.map((s) => s.close()));
    throw failed.reason;
  }
  return {
    ...(Object.fromEntries(ROLES.map((role, i) => [role, ok[i]])) as Record<Role, RoleSandbox>),
    all: ok,
    close: async () => {
      await Promise.all(ok.map((s) => s.close()));
    },
  };
}
