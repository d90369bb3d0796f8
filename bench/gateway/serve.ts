/**
 * Hive Gateway serving the composed supergraph, in a process of its own: what the
 * `hive-gateway supergraph` command runs (`createGatewayRuntime` on a Node HTTP server, its default
 * in-memory cache), with the joins of ./joins.ts. Environment: MESH_SUPERGRAPH (the file),
 * MESH_RESPONSE_CACHE=on for Hive Gateway's response cache, and the vendor credentials its
 * operation headers read (./subgraphs.ts). Prints `{"url": …}` when it listens.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createGatewayRuntime } from '@graphql-hive/gateway-runtime';
import LocalforageCache from '@graphql-mesh/cache-localforage';
import { resolvers, typeDefs } from './joins.ts';

const supergraph = process.env.MESH_SUPERGRAPH;
if (!supergraph) throw new Error('MESH_SUPERGRAPH must name the supergraph file');
const responseCache = process.env.MESH_RESPONSE_CACHE === 'on';

const gateway = createGatewayRuntime({
  supergraph,
  additionalTypeDefs: typeDefs,
  additionalResolvers: resolvers,
  // The CLI's default cache (in memory in Node: localforage has no Node driver).
  cache: new LocalforageCache(),
  ...(responseCache
    ? {
        // One cache for every caller (the benchmark has one), kept for the whole run.
        responseCaching: { session: () => null, ttl: 10 * 60_000 },
      }
    : {}),
  logging: 'error',
  landingPage: false,
  graphiql: false,
});

const server = createServer(gateway);
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  console.log(JSON.stringify({ url: `http://127.0.0.1:${port}/graphql` }));
});
const stop = () => {
  server.close();
  void Promise.resolve(gateway.dispose()).then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
