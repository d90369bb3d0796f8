/**
 * `npm run keys -- <command>`: API keys straight in the hub's store (DATABASE_URL), for the first
 * operator key and for scripts. Every change is written to the audit log as actor `cli`.
 *
 *   create --name NAME --scopes a,b [--workspace W] [--expires 90d] [--publishable --origins URL,URL]
 *   list [--all]
 *   revoke ID
 *   rotate ID [--overlap 24h]
 *   reseal
 *
 * `create` and `rotate` print the new key alone on the last line of standard output.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.ts';
import { buildSchema } from '../graph/schema.ts';
import { openStore } from '../store/store.ts';
import { sealStoredSecrets } from '../store/secrets-at-rest.ts';
import { createSecretBox } from './secrets.ts';
import { createAuditLog } from './audit.ts';
import { normaliseOrigin } from './authenticate.ts';
import { createApiKeyRepository, isActive, keyPrefix, parseDuration, type ApiKeyRecord } from './keys.ts';
import { readScopeCatalog, unknownScopes } from './scopes.ts';

const USAGE = `Usage: npm run keys -- <command>

  create --name NAME --scopes SCOPE,SCOPE [--workspace ID] [--expires 90d]
         [--publishable --origins https://www.example.com,…]
                       makes a key; prints it alone on the last line (it is shown only once)
  list [--all]         the keys (--all: revoked and expired ones too)
  revoke ID            stops a key at once
  rotate ID [--overlap 24h]
                       makes a replacement; the old key keeps working for the overlap
  reseal               seals secrets kept in clear and re-seals those sealed with an older
                       SWITCHBOARD_ENCRYPTION_KEYS_PREVIOUS key (the hub also does it at start)

The store is DATABASE_URL's (default sqlite:data/switchboard.db). Keys are live keys (sb_live_…)
when vendor credentials are configured, test keys (sb_test_…) in sandbox mode.`;

class UsageError extends Error {}

function describeKey(key: ApiKeyRecord): string {
  const state = key.revokedAt ? 'revoked' : isActive(key) ? 'active' : 'expired';
  return [
    key.id,
    state.padEnd(7),
    key.kind.padEnd(11),
    keyPrefix(key).padEnd(26),
    key.workspace,
    JSON.stringify(key.name),
    key.scopes.join(','),
    `created ${key.createdAt.toISOString()}`,
    `last used ${key.lastUsedAt?.toISOString() ?? 'never'}`,
    key.expiresAt ? `expires ${key.expiresAt.toISOString()}` : 'no expiry',
    ...(key.allowedOrigins.length ? [`origins ${key.allowedOrigins.join(',')}`] : []),
  ].join('  ');
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      scopes: { type: 'string' },
      workspace: { type: 'string', default: 'default' },
      expires: { type: 'string' },
      publishable: { type: 'boolean', default: false },
      origins: { type: 'string' },
      overlap: { type: 'string', default: '24h' },
      all: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, id] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return;
  }
  const config = loadConfig();
  const mode = config.mode === 'sandbox' ? 'test' : 'live';
  const store = await openStore({ url: config.databaseUrl, secrets: createSecretBox(config.encryption) });
  try {
    await store.migrate();
    const keys = createApiKeyRepository(store.db);
    const audit = createAuditLog(store.db);
    const record = (action: string, key: ApiKeyRecord) =>
      audit.record({ workspace: key.workspace, actor: 'cli', action, target: key.id, outcome: 'SUCCEEDED' });
    try {
      switch (command) {
        case 'create': {
          const catalog = readScopeCatalog(buildSchema());
          if (!values.name?.trim())
            throw new UsageError('create needs --name, e.g. --name "booking website"');
          if (!values.scopes) throw new UsageError(`create needs --scopes, from: ${catalog.all.join(', ')}`);
          const scopes = values.scopes
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean);
          const unknown = unknownScopes(catalog, scopes);
          if (unknown.length || scopes.length === 0) {
            throw new UsageError(
              `unknown scope ${unknown.join(', ') || '(none given)'}; the scopes are: ${catalog.all.join(', ')}`,
            );
          }
          if (!/^[a-z0-9][a-z0-9_-]{0,62}$/.test(values.workspace)) {
            throw new UsageError(
              `--workspace is a workspace id such as "default", got "${values.workspace}"`,
            );
          }
          let expiresAt: Date | null = null;
          if (values.expires) {
            const ms = parseDuration(values.expires);
            if (!ms)
              throw new UsageError(
                `--expires is a duration such as 90d, 12h or 30m, got "${values.expires}"`,
              );
            expiresAt = new Date(Date.now() + ms);
          }
          let allowedOrigins: string[] = [];
          if (values.publishable) {
            const secret = scopes.filter((s) => !catalog.publishable.has(s));
            if (secret.length) {
              throw new UsageError(
                `a publishable key carries only ${[...catalog.publishable].join(', ')}; ${secret.join(', ')} need a secret key`,
              );
            }
            allowedOrigins = (values.origins ?? '')
              .split(',')
              .map((o) => o.trim())
              .filter(Boolean)
              .map((o) => {
                const origin = normaliseOrigin(o);
                if (!origin) throw new UsageError(`"${o}" is not an origin such as https://www.example.com`);
                return origin;
              });
            if (allowedOrigins.length === 0)
              throw new UsageError('a publishable key needs --origins (the website it serves)');
          } else if (values.origins) {
            throw new UsageError('--origins is for publishable keys (add --publishable)');
          }
          const { key, text } = await keys.create({
            workspace: values.workspace,
            kind: values.publishable ? 'publishable' : 'secret',
            mode,
            name: values.name.trim(),
            scopes,
            allowedOrigins,
            expiresAt,
            createdBy: 'cli',
          });
          await record('createApiKey', key);
          console.error(
            `Made ${key.kind} key ${key.id} (${key.name}) for workspace ${key.workspace}: ${scopes.join(', ')}.`,
          );
          console.error('This is the only time the key is shown; store it now:');
          console.log(text);
          return;
        }
        case 'list': {
          const listed = await keys.list({ includeInactive: values.all });
          if (listed.length === 0)
            console.log(values.all ? 'No keys.' : 'No active keys (--all shows revoked and expired ones).');
          for (const key of listed) console.log(describeKey(key));
          return;
        }
        case 'revoke': {
          if (!id) throw new UsageError('revoke needs the key id, as `npm run keys -- list` shows it');
          const key = await keys.revoke(id);
          if (!key) throw new UsageError(`no key ${id}`);
          await record('revokeApiKey', key);
          console.log(`Revoked ${key.id} (${key.name}); running hubs refuse it within seconds.`);
          return;
        }
        case 'rotate': {
          if (!id) throw new UsageError('rotate needs the key id, as `npm run keys -- list` shows it');
          const overlapMs = parseDuration(values.overlap);
          if (overlapMs === undefined)
            throw new UsageError(`--overlap is a duration such as 24h or 0s, got "${values.overlap}"`);
          const old = await keys.get(id);
          if (!old) throw new UsageError(`no key ${id}`);
          if (!isActive(old)) throw new UsageError(`key ${id} is revoked or expired: make a new one instead`);
          const rotated = await keys.rotate(id, overlapMs, 'cli');
          if (!rotated)
            throw new UsageError(`key ${id} was revoked or rotated meanwhile: list the keys again`);
          await record('rotateApiKey', old);
          console.error(
            `Made ${rotated.key.id} to replace ${id}, which stops working at ${rotated.previous.expiresAt?.toISOString()}.`,
          );
          console.error('This is the only time the key is shown; store it now:');
          console.log(rotated.text);
          return;
        }
        case 'reseal': {
          const { sealed, resealed } = await sealStoredSecrets(store);
          console.log(
            `Sealed ${sealed} secrets kept in clear and re-sealed ${resealed} with key ${store.secrets.keyId}.`,
          );
          return;
        }
        default:
          throw new UsageError(`unknown command "${command}"\n\n${USAGE}`);
      }
    } finally {
      await audit.close();
    }
  } finally {
    await store.close();
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const usage =
    error instanceof UsageError || String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS');
  if (usage) console.error(`${(error as Error).message}\n(npm run keys -- --help for the commands)`);
  else if (error instanceof ConfigError) console.error(error.message);
  else console.error(error);
  process.exitCode = usage ? 2 : 1;
});
