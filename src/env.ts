/**
 * Reading settings from the environment with one list of problems, so a bad configuration is
 * reported whole at start-up, each problem naming the variable to set. Shared by the hub's own
 * settings (src/config.ts) and each vendor module's (`settings.fromEnv`).
 */
export interface EnvReader {
  readonly env: NodeJS.ProcessEnv;
  readonly problems: string[];
  /** A whole number in range, or `fallback` when unset. */
  int(name: string, fallback: number, min: number, max: number): number;
  /** An absolute URL (trailing slashes dropped), or `fallback` when unset. */
  url(name: string, fallback: string): string;
  /** A value that must be set; `why` ends "… is required <why>". */
  required(name: string, why?: string): string;
  /** A value, or undefined when unset or empty. */
  optional(name: string): string | undefined;
}

export function createEnvReader(env: NodeJS.ProcessEnv, problems: string[] = []): EnvReader {
  return {
    env,
    problems,
    int(name, fallback, min, max) {
      const raw = env[name];
      if (raw === undefined || raw === '') return fallback;
      const value = Number(raw);
      if (!Number.isInteger(value) || value < min || value > max) {
        problems.push(`${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
        return fallback;
      }
      return value;
    },
    url(name, fallback) {
      const value = env[name] || fallback;
      try {
        new URL(value);
      } catch {
        problems.push(`${name} must be an absolute URL, got "${value}"`);
      }
      return value.replace(/\/+$/, '');
    },
    required(name, why = 'when vendor credentials are configured') {
      const value = env[name];
      if (!value) problems.push(`${name} is required ${why}`);
      return value ?? '';
    },
    optional: (name) => env[name] || undefined,
  };
}

/** A sandbox credential, or a clear error naming the sandbox and the credential. */
export function credential(
  sandbox: { name: string; credentials: Record<string, string> },
  key: string,
): string {
  const value = sandbox.credentials[key];
  if (!value) throw new Error(`the ${sandbox.name} sandbox did not publish its "${key}" credential`);
  return value;
}

/** A configuration the hub cannot start with; `problems` each name the variable to fix. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Switchboard cannot start; fix the configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}
