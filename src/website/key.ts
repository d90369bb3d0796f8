import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { isActive, type ApiKeyRepository } from '../security/keys.ts';

const NAME = 'example website (sandbox mode)';
/** What the booking page needs and nothing more: a publishable key cannot carry anything else anyway. */
export const WEBSITE_SCOPES = ['availability:read', 'enquiries:write'] as const;

/**
 * Sandbox mode's publishable key for the example website (`/website/`), kept like the development
 * key: in `file` (`<dataDir>/website-key`, mode 0600) and reused across restarts while it is active,
 * in the workspace, with exactly {@link WEBSITE_SCOPES} and exactly `origins`. A hub started on
 * another port is reached at other origins, so it revokes the kept key and makes a new one (a key
 * left active for an origin nobody serves any more would only widen CORS). Throws only when the
 * store or the file system fails.
 */
export async function ensureWebsiteKey(
  keys: ApiKeyRepository,
  options: { file: string | undefined; workspace: string; origins: readonly string[] },
): Promise<{ text: string; made: boolean }> {
  let kept: string | undefined;
  try {
    kept = options.file ? readFileSync(options.file, 'utf8').trim() : undefined;
  } catch {
    kept = undefined;
  }
  const wanted = [...new Set(options.origins)].sort();
  if (kept) {
    const key = await keys.verify(kept);
    const same = (a: readonly string[], b: readonly string[]) =>
      a.length === b.length && [...a].sort().every((v, i) => v === [...b].sort()[i]);
    if (
      key &&
      isActive(key) &&
      key.kind === 'publishable' &&
      key.workspace === options.workspace &&
      same(key.scopes, WEBSITE_SCOPES) &&
      same(key.allowedOrigins, wanted)
    ) {
      return { text: kept, made: false };
    }
    if (key && !key.revokedAt) await keys.revoke(key.id);
  }
  const { text } = await keys.create({
    workspace: options.workspace,
    kind: 'publishable',
    mode: 'test',
    name: NAME,
    scopes: WEBSITE_SCOPES,
    allowedOrigins: wanted,
    createdBy: 'sandbox',
  });
  if (options.file) {
    mkdirSync(dirname(options.file), { recursive: true });
    writeFileSync(options.file, `${text}\n`, { mode: 0o600 });
    chmodSync(options.file, 0o600);
  }
  return { text, made: true };
}
