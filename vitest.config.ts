import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql ships CommonJS (main) and ESM (module) builds. Node, and so graphql-yoga, loads the
    // CommonJS one; Vite would hand our own files the ESM one, and two GraphQLError classes make
    // `instanceof` checks (yoga's error masking among them) fail. One copy for everyone:
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['src/**/*.spec.ts', 'sources/**/*.spec.ts', 'harness/**/*.spec.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // The machine has two cores and the suites start real servers; more workers only add contention.
    maxWorkers: 2,
  },
});
