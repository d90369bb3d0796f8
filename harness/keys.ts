import { buildSchema } from '../src/graph/schema.ts';
import { createApiKeyRepository, type KeyMode } from '../src/security/keys.ts';
import { readScopeCatalog } from '../src/security/scopes.ts';
import { openStore } from '../src/store/store.ts';

let allScopes: readonly string[] | undefined;

/** Every scope the schema declares. */
export function everyScope(): readonly string[] {
  allScopes ??= readScopeCatalog(buildSchema()).all;
  return allScopes;
}

/**
 * A secret key made straight in a hub's store (as `npm run keys -- create` does), for tests that
 * run hubs as processes. The store must be migrated already (start the hub first).
 */
export async function issueKey(
  databaseUrl: string,
  options: { mode?: KeyMode; scopes?: readonly string[]; workspace?: string; name?: string } = {},
): Promise<string> {
  const store = await openStore({ url: databaseUrl });
  try {
    const { text } = await createApiKeyRepository(store.db).create({
      workspace: options.workspace ?? 'default',
      kind: 'secret',
      mode: options.mode ?? 'live',
      name: options.name ?? 'test',
      scopes: options.scopes ?? everyScope(),
    });
    return text;
  } finally {
    await store.close();
  }
}
