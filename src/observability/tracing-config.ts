import type { EnvReader } from '../env.ts';

/**
 * Where and as what the hub sends its traces (OTLP over HTTP, JSON). Absent when
 * `SWITCHBOARD_OTEL_ENDPOINT` is unset: tracing is then off and nothing of the SDK is loaded.
 */
export interface TracingConfig {
  /** The collector's traces URL, e.g. `http://127.0.0.1:4318/v1/traces` (used as is, path included). */
  endpoint: string;
  /** `service.name` of every span (`SWITCHBOARD_OTEL_SERVICE_NAME`, default `switchboard`). */
  serviceName: string;
  /** Sent with every export (`OTEL_EXPORTER_OTLP_TRACES_HEADERS`, else `OTEL_EXPORTER_OTLP_HEADERS`): a collector's API key. */
  headers: Record<string, string>;
}

/** The samplers the SDK knows (`OTEL_TRACES_SAMPLER`); the default is `parentbased_always_on`. */
const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
];
const SERVICE_NAME = /^[\w.:/-]{1,100}$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Reads the tracing settings; every problem goes to `read.problems` naming the variable. Header
 * values are never quoted back in a problem: they usually hold a collector's key.
 */
export function tracingFromEnv(read: EnvReader): TracingConfig | undefined {
  const { env, problems } = read;
  const raw = read.optional('SWITCHBOARD_OTEL_ENDPOINT');
  if (!raw) return undefined;
  let endpoint = raw;
  try {
    const url = new URL(raw);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
    // The collector's own credentials go in the headers variable, never in the URL (it is logged).
    if (url.username || url.password) {
      problems.push(
        'SWITCHBOARD_OTEL_ENDPOINT must not carry credentials; put them in OTEL_EXPORTER_OTLP_TRACES_HEADERS (e.g. authorization=Bearer%20…)',
      );
    }
    endpoint = url.href;
  } catch {
    problems.push(
      `SWITCHBOARD_OTEL_ENDPOINT must be an http:// or https:// URL of an OTLP/HTTP traces endpoint such as http://127.0.0.1:4318/v1/traces, got "${raw}"`,
    );
  }
  const serviceName = read.optional('SWITCHBOARD_OTEL_SERVICE_NAME') ?? 'switchboard';
  if (!SERVICE_NAME.test(serviceName)) {
    problems.push(
      `SWITCHBOARD_OTEL_SERVICE_NAME must be 1 to 100 letters, digits and . _ : / -, got "${serviceName}"`,
    );
  }
  const headersVar = env.OTEL_EXPORTER_OTLP_TRACES_HEADERS
    ? 'OTEL_EXPORTER_OTLP_TRACES_HEADERS'
    : 'OTEL_EXPORTER_OTLP_HEADERS';
  const headers: Record<string, string> = {};
  const pairs = (env[headersVar] ?? '').split(',');
  for (const [index, pair] of pairs.entries()) {
    if (pair.trim() === '') continue;
    const at = pair.indexOf('=');
    const name = pair.slice(0, Math.max(at, 0)).trim();
    let value: string | undefined;
    try {
      value = decodeURIComponent(pair.slice(at + 1).trim());
    } catch {
      value = undefined;
    }
    if (at <= 0 || !HEADER_NAME.test(name) || value === undefined || /[\r\n]/.test(value)) {
      problems.push(
        `${headersVar} must be name=value pairs separated by commas, values URL-encoded (authorization=Bearer%20abc,x-tenant=shop); entry ${index + 1} is not`,
      );
      continue;
    }
    headers[name.toLowerCase()] = value;
  }
  // The SDK reads these itself and would only note a bad value on its silent diagnostics channel.
  const sampler = env.OTEL_TRACES_SAMPLER;
  if (sampler && !SAMPLERS.includes(sampler)) {
    problems.push(`OTEL_TRACES_SAMPLER must be one of ${SAMPLERS.join(', ')}, got "${sampler}"`);
  }
  const ratio = env.OTEL_TRACES_SAMPLER_ARG;
  if (ratio !== undefined && ratio !== '' && !(Number(ratio) >= 0 && Number(ratio) <= 1)) {
    problems.push(
      `OTEL_TRACES_SAMPLER_ARG must be a share of traces from 0 to 1 (0.1 keeps a tenth), got "${ratio}"`,
    );
  }
  return { endpoint, serviceName, headers };
}
