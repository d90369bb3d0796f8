import { generateBusiness, type BusinessOptions } from './seed/business.ts';
import type { VendorSandbox } from './types.ts';
import type { WebhookSettings } from './kit/webhooks.ts';
import { ROLES, type AnySourceModule, type Role } from '../domain/source-module.ts';
import { bindingsFromEnv } from '../bindings.ts';
import { moduleById } from '../../sources/registry.ts';

/** A running vendor sandbox and the system (module id) it stands in for. */
export type RoleSandbox = VendorSandbox & { system: string };

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
}

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
  return Object.assign(sandbox, { system: module.id });
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
