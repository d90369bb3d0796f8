import { describe, expect, it } from 'vitest';
import { createEnvReader } from '../env.ts';
import { tracingFromEnv } from './tracing-config.ts';

const read = (env: NodeJS.ProcessEnv) => {
  const problems: string[] = [];
  return { tracing: tracingFromEnv(createEnvReader(env, problems)), problems };
};

describe('tracing settings', () => {
  it('off when SWITCHBOARD_OTEL_ENDPOINT is unset or empty, whatever else is set', () => {
    expect(read({})).toEqual({ tracing: undefined, problems: [] });
    expect(
      read({
        SWITCHBOARD_OTEL_ENDPOINT: '',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces',
      }),
    ).toEqual({ tracing: undefined, problems: [] });
  });

  it('the endpoint as given, service name `switchboard` by default, headers from the standard variable', () => {
    expect(
      read({
        SWITCHBOARD_OTEL_ENDPOINT: 'http://127.0.0.1:4318/v1/traces',
        OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'Authorization=Bearer%20abc, x-tenant = shop ',
      }),
    ).toEqual({
      tracing: {
        endpoint: 'http://127.0.0.1:4318/v1/traces',
        serviceName: 'switchboard',
        headers: { authorization: 'Bearer abc', 'x-tenant': 'shop' },
      },
      problems: [],
    });
    expect(
      read({
        SWITCHBOARD_OTEL_ENDPOINT: 'https://otel.example.com/v1/traces',
        SWITCHBOARD_OTEL_SERVICE_NAME: 'switchboard-eu',
        OTEL_EXPORTER_OTLP_HEADERS: 'x-key=1',
      }).tracing,
    ).toEqual({
      endpoint: 'https://otel.example.com/v1/traces',
      serviceName: 'switchboard-eu',
      headers: { 'x-key': '1' },
    });
  });

  it('a bad endpoint, service name or header list is a problem naming the variable', () => {
    expect(read({ SWITCHBOARD_OTEL_ENDPOINT: '127.0.0.1:4318' }).problems).toEqual([
      'SWITCHBOARD_OTEL_ENDPOINT must be an http:// or https:// URL of an OTLP/HTTP traces endpoint such as http://127.0.0.1:4318/v1/traces, got "127.0.0.1:4318"',
    ]);
    expect(read({ SWITCHBOARD_OTEL_ENDPOINT: 'grpc://collector:4317' }).problems).toHaveLength(1);
    expect(read({ SWITCHBOARD_OTEL_ENDPOINT: 'https://user:pw@collector/v1/traces' }).problems).toEqual([
      expect.stringMatching(/^SWITCHBOARD_OTEL_ENDPOINT must not carry credentials/),
    ]);
    expect(
      read({ SWITCHBOARD_OTEL_ENDPOINT: 'http://c/v1/traces', SWITCHBOARD_OTEL_SERVICE_NAME: 'has spaces' })
        .problems,
    ).toEqual([expect.stringMatching(/^SWITCHBOARD_OTEL_SERVICE_NAME must be/)]);
  });

  it('a malformed header list names the entry, never its value (a collector key)', () => {
    const { problems } = read({
      SWITCHBOARD_OTEL_ENDPOINT: 'http://c/v1/traces',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-ok=1,Bearer secret-value,b@d=1,x-bad=%E0%A4%A',
    });
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(
      /^OTEL_EXPORTER_OTLP_TRACES_HEADERS must be name=value pairs .* entry 2 is not$/,
    );
    expect(problems.join('\n')).not.toContain('secret-value');
  });

  it("the SDK's own sampler variables are checked, since it would ignore a bad value without a word", () => {
    const endpoint = { SWITCHBOARD_OTEL_ENDPOINT: 'http://c/v1/traces' };
    expect(
      read({ ...endpoint, OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' })
        .problems,
    ).toEqual([]);
    expect(
      read({ ...endpoint, OTEL_TRACES_SAMPLER: 'ratio', OTEL_TRACES_SAMPLER_ARG: '10%' }).problems,
    ).toEqual([
      expect.stringMatching(/^OTEL_TRACES_SAMPLER must be one of always_on, .*, got "ratio"$/),
      'OTEL_TRACES_SAMPLER_ARG must be a share of traces from 0 to 1 (0.1 keeps a tenth), got "10%"',
    ]);
    expect(read({ OTEL_TRACES_SAMPLER: 'ratio' }).problems).toEqual([]); // tracing off: not ours to judge
  });
});
