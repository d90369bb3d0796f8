import {
  RELAXED_LIMITS,
  SANDBOX_KEYS,
  SANDBOX_PORTS,
  startSandbox,
  startSandboxes,
  type SandboxKey,
} from './start.ts';

/**
 * `npm run sandbox`: the four sandboxes on fixed loopback ports. Environment:
 * - SANDBOX_SEED (integer) loads a different business; SANDBOX_CUSTOMERS sets its size (default 300);
 * - SANDBOX_PORTS=free picks free ports instead of 12111–12114;
 * - SANDBOX_LIMITS=relaxed lifts the vendors' rate limits (benchmarks that are not about limits);
 * - SANDBOX_OUTPUT=json prints one JSON line with each sandbox's URL and credentials (for scripts);
 * - SANDBOX_ONLY=stripe|hubspot|googleCalendar|xero starts just that one (benchmarks run each
 *   vendor in its own process, as the real ones are on their own machines).
 */
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

const only = env.SANDBOX_ONLY as SandboxKey | undefined;
if (only !== undefined && !SANDBOX_KEYS.includes(only)) {
  console.error(`SANDBOX_ONLY must be one of ${SANDBOX_KEYS.join(', ')}, got "${only}"`);
  process.exit(1);
}

try {
  const options = {
    host,
    ports: env.SANDBOX_PORTS === 'free' ? {} : SANDBOX_PORTS,
    seed: { seed, customers },
    limits: env.SANDBOX_LIMITS === 'relaxed' ? RELAXED_LIMITS : undefined,
  };
  const sandboxes = only
    ? await startSandbox(only, options).then((one) => ({ [only]: one, all: [one], close: () => one.close() }))
    : await startSandboxes(options);
  if (env.SANDBOX_OUTPUT === 'json') {
    const described = Object.fromEntries(
      SANDBOX_KEYS.flatMap((key) => {
        const s = (sandboxes as Partial<Record<SandboxKey, (typeof sandboxes.all)[number]>>)[key];
        return s ? [[key, { name: s.name, url: s.url, credentials: s.credentials }]] : [];
      }),
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
      `A sandbox port is already in use (${Object.values(SANDBOX_PORTS).join(', ')}): is \`npm run sandbox\` already running? SANDBOX_PORTS=free picks free ports.`,
    );
  } else console.error(error);
  process.exit(1);
}
