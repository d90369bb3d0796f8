/**
 * `npm run generate`: what the source registry (sources/registry.ts) decides, written where people
 * and tools read it: the `SourceSystem` enum (schema/sources.generated.graphql) and the README's
 * vendor tables (between the `generated:` markers), and the connection map (docs/CONNECTIONS.md,
 * from src/graph/connection-map.ts). `--check` writes nothing and fails when a file
 * is out of date (CI runs it), so adding a vendor is a registry line and `npm run generate`.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { format, resolveConfig } from 'prettier';
import { ROLES } from '../src/domain/source-module.ts';
import { DEFAULT_BINDINGS, SOURCE_MODULES } from '../sources/registry.ts';
import { connectionMapMarkdown } from '../src/graph/connection-map.ts';

const root = new URL('..', import.meta.url);
const check = process.argv.includes('--check');
const stale: string[] = [];

/** `raw`: written as given (the file is in .prettierignore), so it equals what the API serves. */
async function write(path: string, text: string, { raw = false } = {}) {
  const url = new URL(path, root);
  // Formatted as `npm run format` would, so the check and the formatter agree.
  const content = raw ? text : await format(text, { ...(await resolveConfig(url)), filepath: url.pathname });
  let current = '';
  try {
    current = readFileSync(url, 'utf8');
  } catch {
    // a new file
  }
  if (current === content) return;
  if (check) stale.push(path);
  else writeFileSync(url, content);
}

const quote = (text: string) => JSON.stringify(text);

await write(
  'schema/sources.generated.graphql',
  `# Generated from sources/registry.ts by \`npm run generate\`: edit the registry, not this file.

"""
The systems Switchboard joins up: one per vendor module in the registry. Which one plays each role
(CRM, calendar, payments, accounting) is the workspace's binding (\`SWITCHBOARD_<ROLE>\`).
"""
enum SourceSystem {
${SOURCE_MODULES.map((m) => `  ${quote(m.description)}\n  ${m.id.toUpperCase()}`).join('\n')}
}
`,
);

/** Each module's folder under sources/ (where its sandbox README is). */
const folders = new Map<string, string>();
for (const entry of readdirSync(new URL('sources/', root), { withFileTypes: true })) {
  if (!entry.isDirectory() || entry.name.startsWith('_')) continue;
  const exports = (await import(new URL(`sources/${entry.name}/index.ts`, root).href).catch(
    () => ({}),
  )) as Record<string, unknown>;
  for (const value of Object.values(exports)) {
    const id = (value as { id?: unknown } | null)?.id;
    if (typeof id === 'string' && SOURCE_MODULES.some((m) => m === value)) folders.set(id, entry.name);
  }
}
const dir = (id: string) => {
  const found = folders.get(id);
  if (!found) throw new Error(`no folder under sources/ exports the registry's module "${id}"`);
  return found;
};

const vendors = [
  '| role | adapter (`SWITCHBOARD_<ROLE>=`) | system | webhooks | sandbox | details |',
  '| ---- | ------------------------------- | ------ | -------- | ------- | ------- |',
  ...ROLES.flatMap((role) =>
    SOURCE_MODULES.filter((m) => m.role === role).map((m) => {
      const path = dir(m.id);
      const isDefault = DEFAULT_BINDINGS[role] === m.id;
      return `| ${role} | \`${m.id}\`${isDefault ? ' (default)' : ''} | [${m.label}](${m.website}) | ${m.webhooks ? `\`/webhooks/${m.webhooks.path}\`` : '–'} | \`http://127.0.0.1:${m.sandbox.port}\` | [\`sources/${path}/sandbox/README.md\`](sources/${path}/sandbox/README.md) |`;
    }),
  ),
].join('\n');

const variables = [
  '| adapter | variable | default | meaning |',
  '| ------- | -------- | ------- | ------- |',
  ...SOURCE_MODULES.flatMap((m) =>
    [
      ...m.settings.variables,
      { name: `${m.id.toUpperCase()}_TIMEOUT_MS`, default: '10000', meaning: "one call's timeout" },
    ].map((v) => `| \`${m.id}\` | \`${v.name}\` | ${v.default ? `\`${v.default}\`` : '–'} | ${v.meaning} |`),
  ),
].join('\n');

let readme = readFileSync(new URL('README.md', root), 'utf8');
for (const [name, table] of [
  ['vendors', vendors],
  ['vendor-variables', variables],
] as const) {
  const pattern = new RegExp(`(<!-- generated:${name} -->)[\\s\\S]*?(<!-- /generated:${name} -->)`);
  if (!pattern.test(readme)) {
    console.error(`README.md has no <!-- generated:${name} --> … <!-- /generated:${name} --> markers`);
    process.exit(1);
  }
  readme = readme.replace(pattern, `$1\n\n${table}\n\n$2`);
}
await write('README.md', readme);

// The connection map: the same text the console reads from `connectionMapMarkdown`.
await write('docs/CONNECTIONS.md', connectionMapMarkdown(), { raw: true });

if (stale.length) {
  console.error(`Out of date (run \`npm run generate\` and commit): ${stale.join(', ')}`);
  process.exit(1);
}
console.log(
  check
    ? 'generated files are up to date'
    : 'generated: schema/sources.generated.graphql, README.md tables, docs/CONNECTIONS.md',
);
