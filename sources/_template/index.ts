/**
 * A template, not a vendor: copy this folder to add one (CHECKLIST.md). It is not in the registry;
 * `src/architecture.spec.ts` checks that it still satisfies the `SourceModule` contract.
 */
import type { SourceModule } from '../../src/domain/source-module.ts';
import { createEnvReader, credential } from '../../src/env.ts';
import { EXAMPLE_LIMITS } from './limits.ts';
import { createExampleSource } from './source.ts';
import { startExampleSandbox } from './sandbox/server.ts';

export interface ExampleSettings {
  baseUrl: string;
  apiKey: string;
}

export const example: SourceModule<'accounting', ExampleSettings, never> = {
  id: 'example',
  role: 'accounting',
  label: 'Example',
  description: 'Example: what the business keeps there.',
  website: 'https://example.com',
  settings: {
    credentialVars: ['EXAMPLE_API_KEY'],
    variables: [
      { name: 'EXAMPLE_API_KEY', meaning: 'the API key' },
      {
        name: 'EXAMPLE_API_BASE',
        default: 'https://api.example.com',
        meaning: 'the API (a sandbox or a proxy)',
      },
    ],
    fromEnv(env) {
      const read = createEnvReader(env);
      const settings: ExampleSettings = {
        baseUrl: read.url('EXAMPLE_API_BASE', 'https://api.example.com'),
        apiKey: read.required('EXAMPLE_API_KEY', 'to connect Example'),
      };
      return read.problems.length ? { problems: read.problems } : { settings };
    },
    fromSandbox: (sandbox) => ({ baseUrl: sandbox.url, apiKey: credential(sandbox, 'apiKey') }),
    envFromSandbox: (sandbox) => ({
      EXAMPLE_API_KEY: credential(sandbox, 'apiKey'),
      EXAMPLE_API_BASE: sandbox.url,
    }),
  },
  limits: () => EXAMPLE_LIMITS,
  connect(settings, context) {
    const source = createExampleSource({
      ...settings,
      timeoutMs: context.timeoutMs,
      metrics: context.metrics,
      policy: context.policy(EXAMPLE_LIMITS),
    });
    return { source };
  },
  sandbox: {
    port: 12199,
    start: ({ relaxed: _relaxed, ...options }) => startExampleSandbox(options),
    seedIds: (business) => ({ people: new Map(business.customers.map((c, i) => [c.key, String(i + 1)])) }),
    faults: { api: { pathPrefix: '/v1' } },
  },
};
