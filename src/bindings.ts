import { ROLES, type AnySourceModule, type Role } from './domain/source-module.ts';
import { ConfigError } from './env.ts';
import { DEFAULT_BINDINGS, modulesFor, moduleById, SOURCE_MODULES } from '../sources/registry.ts';

/**
 * Which adapter plays each role: `SWITCHBOARD_<ROLE>=<module id>` (`SWITCHBOARD_ACCOUNTING=quickbooks`),
 * the registry's default when unset. Every mistake is reported with the variable to fix.
 */
export const bindingVar = (role: Role) => `SWITCHBOARD_${role.toUpperCase()}`;

export function readBindings(env: NodeJS.ProcessEnv, problems: string[]): Record<Role, AnySourceModule> {
  const bound: Partial<Record<Role, AnySourceModule>> = {};
  for (const role of ROLES) {
    const name = bindingVar(role);
    const choices = modulesFor(role)
      .map((m) => m.id)
      .join(', ');
    const raw = env[name];
    const fallback = moduleById(DEFAULT_BINDINGS[role]);
    if (raw === undefined) {
      if (fallback) bound[role] = fallback;
      else
        problems.push(
          `${name} is not set and the registry has no default ${role} adapter; set one of: ${choices}`,
        );
      continue;
    }
    const ids = raw
      .split(/[\s,]+/)
      .map((id) => id.trim().toLowerCase())
      .filter(Boolean);
    if (ids.length === 0) {
      problems.push(`${name} is empty: every role needs one adapter; set one of: ${choices}`);
      continue;
    }
    if (ids.length > 1) {
      problems.push(
        `${name} names ${ids.length} adapters (${ids.join(', ')}); a workspace has one ${role} adapter: pick one of ${choices}`,
      );
      continue;
    }
    const id = ids[0]!;
    const module = moduleById(id);
    if (!module) {
      const known = SOURCE_MODULES.map((m) => m.id).join(', ');
      problems.push(
        `${name} names an unknown adapter "${raw}"; the ${role} adapters are: ${choices} (all: ${known})`,
      );
    } else if (module.role !== role) {
      problems.push(
        `${name}=${id}: ${module.label} is a ${module.role} adapter (set it as ${bindingVar(module.role)}); the ${role} adapters are: ${choices}`,
      );
    } else bound[role] = module;
  }
  return bound as Record<Role, AnySourceModule>;
}

/** The bound modules from the environment, or a ConfigError naming each variable to fix. */
export function bindingsFromEnv(env: NodeJS.ProcessEnv = process.env): Record<Role, AnySourceModule> {
  const problems: string[] = [];
  const bound = readBindings(env, problems);
  if (problems.length) throw new ConfigError(problems);
  return bound;
}
