import { startSandboxIdp } from './index.ts';

/**
 * `npx tsx src/sandbox/idp/cli.ts`: the sandbox identity provider on a fixed loopback port
 * (SANDBOX_IDP_PORT, default 12120), printing the variables that make a hub trust it and offer
 * "Sign in with Sandbox ID" on its console. Its signing key is new on every start, so tokens from an
 * earlier run stop working (as after a key rotation at a real provider).
 */
const raw = process.env.SANDBOX_IDP_PORT ?? '12120';
const port = Number(raw);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`SANDBOX_IDP_PORT must be a port number, got "${raw}"`);
  process.exit(1);
}
const idp = await startSandboxIdp({ port, host: '127.0.0.1' });
console.log(`Sandbox identity provider at ${idp.url} (Ctrl-C to stop). Users:`);
for (const user of idp.users) console.log(`  ${user.id.padEnd(8)} ${user.name} (${user.scopes.join(', ')})`);
console.log('\nStart the hub with:\n');
console.log(
  `  ${Object.entries(idp.env())
    .map(([name, value]) => `${name}=${value.includes(' ') ? `'${value}'` : value}`)
    .join(' \\\n  ')} \\\n  npm start`,
);
const stop = () => void idp.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
