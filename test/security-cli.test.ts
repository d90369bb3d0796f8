import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { everyScope } from '../harness/keys.ts';
import { waitFor } from '../harness/wait.ts';

// `npm run keys -- …` against a store, and `npm start` (sandbox mode) on the same store taking the
// keys the CLI makes and dropping the ones it revokes.
const dir = mkdtempSync(join(tmpdir(), 'switchboard-keys-'));
const DATABASE_URL = `sqlite:${join(dir, 'switchboard.db')}`;
const KEY = /^sb_test_([0-9A-Za-z]{12})_[0-9A-Za-z]{43}$/;
/** The test's own settings that would change what the CLI or the hub does (vendor credentials, stores). */
const INHERITED =
  /^(HUBSPOT|STRIPE|GOOGLE|XERO|OUTBOX|SWITCHBOARD)_|^(DATABASE_URL|REDIS_URL|PORT|HOST|LOG_LEVEL)$/;
const env = {
  ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !INHERITED.test(name))),
  DATABASE_URL,
};

function keys(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/security/cli.ts', ...args], {
      cwd: new URL('..', import.meta.url),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
const lastLine = (text: string) => text.trimEnd().split('\n').at(-1) ?? '';

let hub: ChildProcess;
let output = '';
let url = '';
let developmentKey = '';
let first: { text: string; id: string };

const call = async (key: string, query: string) => {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query }),
  });
  return { status: res.status, body: (await res.json()) as any };
};
/** Polls the hub until `key` is refused (its key cache is 2 s); returns the refusal and how long it took. */
const refusedWithin = (key: string, ms: number) =>
  waitFor(
    async () => {
      const answer = await call(key, '{ customers(first: 1) { totalCount } }');
      return answer.status === 200 ? undefined : answer;
    },
    () => `the hub refusing the key within ${ms} ms`,
    ms,
    100,
  );

beforeAll(async () => {
  // The CLI on an empty store: it migrates it and makes the first key.
  const made = await keys('create', '--name', 'reporting script', '--scopes', 'customers:read,bookings:read');
  expect(made.code, made.stderr).toBe(0);
  const text = lastLine(made.stdout);
  first = { text, id: KEY.exec(text)?.[1] ?? '' };

  hub = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: new URL('..', import.meta.url),
    env: { ...env, PORT: '0', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  hub.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  hub.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  url = await waitFor(
    () =>
      /GraphQL \+ GraphiQL\s+(\S+)\/graphql/.exec(output)?.[1] ??
      (hub.exitCode !== null ? 'exited' : undefined),
    () => `the banner; output so far:\n${output}`,
    60_000,
    50,
  );
  if (url === 'exited') throw new Error(`npm start exited early:\n${output}`);
  developmentKey = /Development key\s+(sb_test_\S+)/.exec(output)?.[1] ?? '';
}, 90_000);

afterAll(async () => {
  if (hub && hub.exitCode === null) {
    hub.kill('SIGTERM');
    await new Promise((resolve) => hub.once('exit', resolve));
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('npm run keys', () => {
  it('create prints the key alone on the last line of standard output, and says so on standard error', () => {
    expect(first.text).toMatch(KEY);
    expect(first.id).toHaveLength(12);
  });

  it('list shows the key (its prefix, never its secret)', async () => {
    const listed = await keys('list');
    expect(listed.code, listed.stderr).toBe(0);
    const line = listed.stdout.split('\n').find((l) => l.startsWith(first.id));
    expect(line, listed.stdout).toBeDefined();
    expect(line).toMatch(/\bactive\b/);
    expect(line).toContain(`sb_test_${first.id}`);
    expect(line).toContain('"reporting script"');
    expect(line).toContain('customers:read,bookings:read');
    expect(listed.stdout).not.toContain(first.text);
  });

  it('refuses unknown scopes with exit code 2 and the list of scopes', async () => {
    const [bad, none, publishable, unknownCommand] = await Promise.all([
      keys('create', '--name', 'typo', '--scopes', 'customers:read,customer:write'),
      keys('create', '--name', 'nothing'),
      keys(
        'create',
        '--name',
        'site',
        '--scopes',
        'customers:read',
        '--publishable',
        '--origins',
        'https://shop.example.com',
      ),
      keys('delete', 'abc'),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/unknown scope customer:write; the scopes are: /);
    for (const scope of everyScope()) expect(bad.stderr).toContain(scope);
    expect(none.code).toBe(2);
    for (const scope of everyScope()) expect(none.stderr).toContain(scope);
    expect(publishable.code).toBe(2);
    expect(publishable.stderr).toMatch(/a publishable key carries only/);
    expect(unknownCommand.code).toBe(2);
  }, 30_000);
});

describe('npm start on the same store', () => {
  it('accepts the CLI-made key with its scopes only, and refuses it within a few seconds of `revoke`', async () => {
    const ok = await call(first.text, '{ customers(first: 1) { totalCount } }');
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.data.customers.totalCount).toBeGreaterThan(0);
    const pii = await call(first.text, '{ customers(first: 1) { edges { node { email } } } }');
    expect(pii.status).toBe(403);
    expect(pii.body.errors[0].extensions.missingScopes).toEqual(['customers:pii']);

    const revoked = await keys('revoke', first.id);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toMatch(new RegExp(`Revoked ${first.id}`));
    const refusal = await refusedWithin(first.text, 5_000);
    expect(refusal.status).toBe(401);
    expect(refusal.body.errors[0].extensions.reason).toBe('KEY_REVOKED');

    const all = await keys('list', '--all');
    expect(all.stdout.split('\n').find((l) => l.startsWith(first.id))).toMatch(/\brevoked\b/);
    expect((await keys('list')).stdout).not.toContain(first.id);

    // The CLI's changes are in the hub's audit log, as actor `cli`.
    const audit = await call(
      developmentKey,
      `{ auditLog(actor: "cli", first: 50) { edges { node { action target outcome } } } }`,
    );
    expect(audit.body.data.auditLog.edges.map((e: any) => e.node)).toEqual(
      expect.arrayContaining([
        { action: 'createApiKey', target: first.id, outcome: 'SUCCEEDED' },
        { action: 'revokeApiKey', target: first.id, outcome: 'SUCCEEDED' },
      ]),
    );
  }, 30_000);

  it('rotate makes a replacement the hub takes; with --overlap 0s the old key stops', async () => {
    const made = await keys('create', '--name', 'rotating', '--scopes', 'customers:read');
    const old = lastLine(made.stdout);
    const oldId = KEY.exec(old)![1]!;
    expect((await call(old, '{ customers(first: 1) { totalCount } }')).status).toBe(200);

    const rotated = await keys('rotate', oldId, '--overlap', '0s');
    expect(rotated.code, rotated.stderr).toBe(0);
    const replacement = lastLine(rotated.stdout);
    expect(replacement).toMatch(KEY);
    expect(replacement).not.toBe(old);
    expect(rotated.stderr).toMatch(new RegExp(`to replace ${oldId}`));
    expect((await call(replacement, '{ customers(first: 1) { totalCount } }')).status).toBe(200);
    const refusal = await refusedWithin(old, 5_000);
    expect(refusal.status).toBe(401);
    expect(refusal.body.errors[0].extensions.reason).toBe('KEY_EXPIRED');

    // With the default overlap both keep working.
    const next = await keys('rotate', KEY.exec(replacement)![1]!);
    expect(next.code, next.stderr).toBe(0);
    expect((await call(lastLine(next.stdout), '{ customers(first: 1) { totalCount } }')).status).toBe(200);
    expect((await call(replacement, '{ customers(first: 1) { totalCount } }')).status).toBe(200);
    const again = await keys('rotate', oldId);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/revoked or expired: make a new one/);
  }, 30_000);
});
