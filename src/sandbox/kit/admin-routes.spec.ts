import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxServer, type RunningSandbox } from './http.ts';
import { clockRoutes, createClock } from './clock.ts';
import { limitRoutes, type ConfigurableLimiter } from './limits.ts';

// The clock and limits admin routes every OAuth sandbox shares, over real HTTP through the kit's server.
const DEFAULTS = { perMinute: 60, concurrent: 5 };
type Settings = typeof DEFAULTS;
let settings: Settings = { ...DEFAULTS };
let counted = 3;
const limiter: ConfigurableLimiter<Settings> = {
  settings: () => ({ ...settings }),
  configure: (patch) => (settings = { ...settings, ...patch }),
  reset: () => (counted = 0),
};
const clock = createClock();
let sandbox: RunningSandbox;

beforeAll(async () => {
  sandbox = await startSandboxServer({
    name: 'kit_admin',
    routes: [],
    adminRoutes: [...clockRoutes(clock), ...limitRoutes(limiter, DEFAULTS, () => ({ minute: counted }))],
    reset: () => {},
    errorResponse: (status, message) => ({ status, body: { error: message } }),
  });
});
afterAll(() => sandbox.close());

const call = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${sandbox.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('clock routes', () => {
  it('move the clock forward only, and say where it is', async () => {
    expect((await call('GET', '/__sandbox/clock')).body).toMatchObject({ offsetSeconds: 0 });
    const moved = await call('POST', '/__sandbox/clock', { advanceSeconds: 3600 });
    expect(moved.status).toBe(200);
    expect(moved.body.offsetSeconds).toBe(3600);
    expect(Date.parse(moved.body.now as string) - Date.now()).toBeGreaterThan(3_590_000);
    for (const bad of [{ advanceSeconds: -1 }, { advanceSeconds: 'soon' }, {}, [1]]) {
      const refused = await call('POST', '/__sandbox/clock', bad);
      expect(refused.status).toBe(400);
      expect(refused.body.error).toMatch(/advanceSeconds.*forward/);
    }
    expect(clock.offsetSeconds()).toBe(3600);
  });
});

describe('limit routes', () => {
  it('show the limits with their usage, change them, and forget the counted calls on reset', async () => {
    expect((await call('GET', '/__sandbox/limits')).body).toEqual({ limits: DEFAULTS, usage: { minute: 3 } });
    const changed = await call('POST', '/__sandbox/limits', { perMinute: 2, reset: true });
    expect(changed).toEqual({
      status: 200,
      body: { limits: { perMinute: 2, concurrent: 5 }, usage: { minute: 0 } },
    });
  });

  it('refuse what they do not know, naming what they do', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ perHour: 5 }, /unknown limit "perHour" \(known: perMinute, concurrent, reset\)/],
      [{ concurrent: 0 }, /"concurrent" must be a positive integer/],
      [{ concurrent: 1.5 }, /"concurrent" must be a positive integer/],
      [{ reset: 'yes' }, /"reset" must be true or false/],
      [[], /limits must be a JSON object/],
    ];
    for (const [body, error] of cases) {
      const refused = await call('POST', '/__sandbox/limits', body);
      expect(refused.status).toBe(400);
      expect(refused.body.error).toMatch(error);
    }
    expect(settings).toEqual({ perMinute: 2, concurrent: 5 });
  });
});
