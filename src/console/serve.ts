import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The operator's console (`/console`): one HTML page and one script, both from this repository and
 * served by the hub itself, so it works on a machine without internet and loads nothing from a CDN.
 * The script is bundled from `console/app/*.ts` by esbuild on the first visit and kept in memory
 * (esbuild is already how `npm start` runs TypeScript, through tsx); a hub nobody opens the console
 * on never builds it. The page holds no data and no secret: it signs in with an operator key the
 * operator types, or through the business's identity provider (`/console/login…`, src/console/sign-in.ts,
 * answered before these assets), and then talks only to `/graphql`, as any other client does, with
 * the same scopes.
 */
export interface ConsoleAssets {
  /** Answers `/console`, `/console/` and `/console/app.js`; false for any other path. */
  handle(req: IncomingMessage, res: ServerResponse, path: string): boolean;
}

const root = new URL('../../console/', import.meta.url);

/**
 * Nothing but the hub itself: the page cannot load a script, style or frame from anywhere else, nor
 * send data anywhere else, even if a vendor's value shown on it carried markup.
 */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

interface Asset {
  type: string;
  body: Buffer;
  gzip: Buffer;
}

const asset = (type: string, text: string): Asset => {
  const body = Buffer.from(text);
  return { type, body, gzip: gzipSync(body, { level: 9 }) };
};

async function buildScript(): Promise<Asset> {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [fileURLToPath(new URL('app/main.ts', root))],
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2022',
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  return asset('text/javascript; charset=utf-8', result.outputFiles[0]!.text);
}

export function consoleAssets(logger: { error(details: object, message: string): void }): ConsoleAssets {
  let page: Promise<Asset> | undefined;
  let script: Promise<Asset> | undefined;
  let style: Promise<Asset> | undefined;
  const load = (kind: 'page' | 'script' | 'style'): Promise<Asset> => {
    const made =
      kind === 'page'
        ? (page ??= readFile(new URL('index.html', root), 'utf8').then((t) =>
            asset('text/html; charset=utf-8', t),
          ))
        : kind === 'style'
          ? (style ??= readFile(new URL('app/console.css', root), 'utf8').then((t) =>
              asset('text/css; charset=utf-8', t),
            ))
          : (script ??= buildScript());
    // A failed build is tried again on the next visit rather than kept.
    made.catch(() => {
      if (kind === 'page') page = undefined;
      else if (kind === 'style') style = undefined;
      else script = undefined;
    });
    return made;
  };
  const send = (req: IncomingMessage, res: ServerResponse, kind: 'page' | 'script' | 'style') => {
    load(kind).then(
      (a) => {
        const gzip = /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
        const body = gzip ? a.gzip : a.body;
        res.writeHead(200, {
          'content-type': a.type,
          'content-length': body.length,
          ...(gzip ? { 'content-encoding': 'gzip' } : {}),
          vary: 'accept-encoding',
          // The bundle is rebuilt when the hub restarts; a stale one would call fields that moved.
          'cache-control': 'no-cache',
          'content-security-policy': CSP,
          'x-content-type-options': 'nosniff',
          'referrer-policy': 'no-referrer',
        });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (error: unknown) => {
        logger.error({ err: error, asset: kind }, 'the console could not be built');
        if (res.headersSent) return;
        const text = `The console could not be built (${kind}); the hub's log says why. GraphQL at /graphql is unaffected.`;
        res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '5' });
        res.end(text);
      },
    );
  };
  return {
    handle(req, res, path) {
      if (path !== '/console' && !path.startsWith('/console/')) return false;
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
        res.end('The console is read with GET; it changes things through /graphql.');
        return true;
      }
      if (path === '/console' || path === '/console/') send(req, res, 'page');
      else if (path === '/console/app.js') send(req, res, 'script');
      else if (path === '/console/app.css') send(req, res, 'style');
      else {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`No console asset ${path}. The console is at /console.`);
      }
      return true;
    },
  };
}
