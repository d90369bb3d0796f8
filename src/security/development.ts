import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { isActive, type ApiKeyRepository } from './keys.ts';
import type { ScopeCatalog } from './scopes.ts';

const NAME = 'development (sandbox mode)';

/**
 * Sandbox mode's key with every scope, so `npm start` needs nothing configured: kept in `file`
 * (`<dataDir>/development-key`, mode 0600) and reused across restarts while it still works and holds
 * every scope the schema has; otherwise the old one is revoked and a new one made. It is a test key
 * (`sb_test_…`), which a live hub refuses. Throws only when the store or the file system fails.
 */
export async function ensureDevelopmentKey(
  keys: ApiKeyRepository,
  catalog: ScopeCatalog,
  options: { file: string | undefined; workspace: string },
): Promise<string> {
  let kept: string | undefined;
  try {
    kept = options.file ? readFileSync(options.file, 'utf8').trim() : undefined;
  } catch {
    kept = undefined;
  }
  if (kept) {
    const key = await keys.verify(kept);
    if (
      key &&
      isActive(key) &&
      key.workspace === options.workspace &&
      catalog.all.every((s) => key.scopes.includes(s))
    ) {
      return kept;
    }
    if (key && !key.revokedAt) await keys.revoke(key.id);
  }
  const { text } = await keys.create({
    workspace: options.workspace,
    kind: 'secret',
    mode: 'test',
    name: NAME,
    scopes: catalog.all,
    createdBy: 'sandbox',
  });
  if (options.file) {
    mkdirSync(dirname(options.file), { recursive: true });
    writeFileSync(options.file, `${text}\n`, { mode: 0o600 });
    chmodSync(options.file, 0o600);
  }
  return text;
}
