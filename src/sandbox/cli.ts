import { SANDBOX_PORTS, startSandboxes } from './start.ts';

const host = process.env.HOST ?? '127.0.0.1';
const seed = process.env.SANDBOX_SEED ? Number(process.env.SANDBOX_SEED) : undefined;
if (seed !== undefined && !Number.isInteger(seed)) {
  console.error(`SANDBOX_SEED must be an integer, got "${process.env.SANDBOX_SEED}"`);
  process.exit(1);
}

try {
  const sandboxes = await startSandboxes({ host, ports: SANDBOX_PORTS, seed: { seed } });
  console.log('Switchboard vendor sandboxes are running (Ctrl-C to stop):\n');
  for (const s of sandboxes.all) {
    console.log(`  ${s.name.padEnd(16)} ${s.url}    admin: ${s.url}/__sandbox`);
    for (const [key, value] of Object.entries(s.credentials))
      console.log(`  ${''.padEnd(16)} ${key}=${value}`);
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
      `A sandbox port is already in use (${Object.values(SANDBOX_PORTS).join(', ')}): is \`npm run sandbox\` already running?`,
    );
  } else console.error(error);
  process.exit(1);
}
