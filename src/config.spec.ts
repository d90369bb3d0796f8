import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';
import { DEFAULT_BINDINGS, SOURCE_MODULES } from '../sources/registry.ts';
import { ROLES } from './domain/source-module.ts';

/** The problems a configuration is refused with (throws if it is accepted). */
function problems(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig({ DATABASE_URL: ':memory:', ...env });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('the configuration was accepted');
}

/** A live-mode environment: each default adapter's variables, as it would point at a sandbox. */
const liveEnv = (): NodeJS.ProcessEnv => {
  const anyCredential = new Proxy({} as Record<string, string>, { get: () => '1234' });
  return Object.assign(
    { SWITCHBOARD_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64') },
    ...ROLES.map((role) =>
      SOURCE_MODULES.find((m) => m.id === DEFAULT_BINDINGS[role])!.settings.envFromSandbox({
        name: role,
        url: 'http://127.0.0.1:9',
        credentials: anyCredential,
      }),
    ),
  ) as NodeJS.ProcessEnv;
};

describe('adapter bindings (SWITCHBOARD_<ROLE>)', () => {
  it('default to the registry and are each a module of that role', () => {
    const config = loadConfig({ DATABASE_URL: ':memory:' });
    for (const role of ROLES) {
      expect(config.sources[role].module.id).toBe(DEFAULT_BINDINGS[role]);
      expect(config.sources[role].module.role).toBe(role);
    }
    expect(config.mode).toBe('sandbox');
  });

  it('refuse an unknown adapter, naming the variable and the choices', () => {
    expect(problems({ SWITCHBOARD_ACCOUNTING: 'sage' })).toEqual([
      expect.stringMatching(
        /^SWITCHBOARD_ACCOUNTING names an unknown adapter "sage"; the accounting adapters are: .*xero/,
      ),
    ]);
  });

  it('refuse two adapters for one role', () => {
    expect(problems({ SWITCHBOARD_CRM: 'hubspot,hubspot' })).toEqual([
      expect.stringMatching(/^SWITCHBOARD_CRM names 2 adapters .*a workspace has one crm adapter/),
    ]);
  });

  it('refuse an adapter of another role, saying where it goes', () => {
    expect(problems({ SWITCHBOARD_ACCOUNTING: 'stripe' })).toEqual([
      expect.stringMatching(
        /^SWITCHBOARD_ACCOUNTING=stripe: Stripe is a payments adapter \(set it as SWITCHBOARD_PAYMENTS\)/,
      ),
    ]);
  });

  it('refuse a role left without one', () => {
    expect(problems({ SWITCHBOARD_CALENDAR: ' ' })).toEqual([
      expect.stringMatching(/^SWITCHBOARD_CALENDAR is empty: every role needs one adapter/),
    ]);
  });

  it('in live mode, list what each bound adapter is missing, naming the variables', () => {
    const env = liveEnv();
    expect(loadConfig(env).mode).toBe('live');
    const found = problems({ ...env, XERO_TENANT_ID: '' });
    expect(found).toEqual([expect.stringMatching(/^XERO_TENANT_ID is required to connect Xero/)]);
  });

  it('read a per-system timeout from <ID>_TIMEOUT_MS', () => {
    const config = loadConfig({ DATABASE_URL: ':memory:', XERO_TIMEOUT_MS: '2500' });
    expect(config.upstream.timeoutMs).toEqual({ xero: 2500 });
    expect(problems({ XERO_TIMEOUT_MS: 'soon' })).toEqual([
      'XERO_TIMEOUT_MS must be a whole number from 100 to 600000, got "soon"',
    ]);
  });
});

describe('reconciliation schedule (SWITCHBOARD_RECONCILE_AT)', () => {
  it('runs nightly at 02:00 UTC by default, at HH:MM when set, and never when off', () => {
    expect(loadConfig({ DATABASE_URL: ':memory:' }).reconcileAt).toEqual({ hour: 2, minute: 0 });
    expect(loadConfig({ DATABASE_URL: ':memory:', SWITCHBOARD_RECONCILE_AT: '23:45' }).reconcileAt).toEqual({
      hour: 23,
      minute: 45,
    });
    expect(loadConfig({ DATABASE_URL: ':memory:', SWITCHBOARD_RECONCILE_AT: 'OFF' }).reconcileAt).toBeNull();
  });

  it.each(['2am', '24:00', '02:60', '2:5', 'nightly'])('refuses "%s", saying what it takes', (value) => {
    expect(problems({ SWITCHBOARD_RECONCILE_AT: value })).toEqual([
      `SWITCHBOARD_RECONCILE_AT must be a time of day in UTC as HH:MM (00:00 to 23:59, e.g. 02:00) or off, got "${value}"`,
    ]);
  });
});

describe("the console's sign-in through the identity provider (SWITCHBOARD_OIDC_*)", () => {
  const jwt = {
    SWITCHBOARD_JWT_ISSUER: 'https://id.example.com',
    SWITCHBOARD_JWT_AUDIENCE: 'switchboard',
    SWITCHBOARD_JWT_JWKS_URL: 'https://id.example.com/jwks',
  };

  it('is off without a client id, and on with one: the label from the issuer, openid always asked', () => {
    expect(loadConfig({ DATABASE_URL: ':memory:', ...jwt }).security.oidc).toBeUndefined();
    expect(
      loadConfig({ DATABASE_URL: ':memory:', ...jwt, SWITCHBOARD_OIDC_CLIENT_ID: 'console' }).security.oidc,
    ).toEqual({ clientId: 'console', label: 'id.example.com', scopes: 'openid operator' });
    expect(
      loadConfig({
        DATABASE_URL: ':memory:',
        ...jwt,
        SWITCHBOARD_OIDC_CLIENT_ID: 'console',
        SWITCHBOARD_OIDC_CLIENT_SECRET: 's3cret',
        SWITCHBOARD_OIDC_LABEL: 'Okta',
        SWITCHBOARD_OIDC_SCOPES: 'switchboard/operator profile',
      }).security.oidc,
    ).toEqual({
      clientId: 'console',
      clientSecret: 's3cret',
      label: 'Okta',
      scopes: 'openid switchboard/operator profile',
    });
  });

  it('needs the JWT settings, a client id for its other settings, and an issuer it may fetch from', () => {
    expect(problems({ SWITCHBOARD_OIDC_CLIENT_ID: 'console' })).toEqual([
      expect.stringMatching(/^SWITCHBOARD_OIDC_CLIENT_ID needs SWITCHBOARD_JWT_ISSUER/),
    ]);
    expect(problems({ ...jwt, SWITCHBOARD_OIDC_CLIENT_SECRET: 's3cret' })).toEqual([
      expect.stringMatching(/need SWITCHBOARD_OIDC_CLIENT_ID/),
    ]);
    expect(
      problems({
        ...jwt,
        SWITCHBOARD_JWT_ISSUER: 'http://id.example.com',
        SWITCHBOARD_OIDC_CLIENT_ID: 'console',
      }),
    ).toEqual([
      expect.stringMatching(/^SWITCHBOARD_JWT_ISSUER must be https:\/\/ \(http only on localhost\)/),
    ]);
    expect(
      loadConfig({
        DATABASE_URL: ':memory:',
        ...jwt,
        SWITCHBOARD_JWT_ISSUER: 'http://127.0.0.1:8080',
        SWITCHBOARD_OIDC_CLIENT_ID: 'console',
      }).security.oidc?.label,
    ).toBe('127.0.0.1:8080');
    expect(
      problems({ ...jwt, SWITCHBOARD_OIDC_CLIENT_ID: 'console', SWITCHBOARD_OIDC_LABEL: '<b>Okta</b>' }),
    ).toEqual([expect.stringMatching(/^SWITCHBOARD_OIDC_LABEL must be at most 60 printable characters/)]);
    expect(
      problems({ ...jwt, SWITCHBOARD_OIDC_CLIENT_ID: 'console', SWITCHBOARD_OIDC_SCOPES: 'openid "x"' }),
    ).toEqual([expect.stringMatching(/^SWITCHBOARD_OIDC_SCOPES must be space-separated scope names/)]);
  });
});

describe('outbound webhooks (OUTBOUND_*)', () => {
  it("default to Standard Webhooks' schedule, and take shorter settings for tests", () => {
    expect(loadConfig({ DATABASE_URL: ':memory:' }).outbound).toEqual({
      baseMs: 5_000,
      maxMs: 36_000_000,
      maxAttempts: 8,
      pollMs: 1_000,
      timeoutMs: 10_000,
      secretGraceMs: 86_400_000,
    });
    const short = loadConfig({
      DATABASE_URL: ':memory:',
      OUTBOUND_RETRY_BASE_MS: '5',
      OUTBOUND_POLL_MS: '20',
    });
    expect(short.outbound).toMatchObject({ baseMs: 5, pollMs: 20 });
  });

  it('refuse a value out of range, naming the variable', () => {
    expect(problems({ OUTBOUND_MAX_ATTEMPTS: '0', OUTBOUND_TIMEOUT_MS: 'long' })).toEqual([
      'OUTBOUND_MAX_ATTEMPTS must be a whole number from 1 to 100, got "0"',
      'OUTBOUND_TIMEOUT_MS must be a whole number from 100 to 120000, got "long"',
    ]);
  });
});
