import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiKeyRepository } from '../security/keys.ts';
import { ensureWebsiteKey } from './key.ts';

/**
 * The example booking website (`examples/website/`) served by a sandbox-mode hub at `/website/`, so
 * `npm start` shows the booking journey end to end with nothing configured: the folder's page, script
 * and stylesheet as they are, and a `config.js` made here in place of the folder's placeholder one,
 * naming the hub's own origin, a sandbox publishable key for that origin and the business's time
 * zone. A live hub never builds this (app.ts makes it only in sandbox mode): `/website/` is a 404
 * there, and a business puts the folder on its own site instead (examples/website/README.md).
 */
export interface WebsiteExample {
  /** Answers `/website` and everything under it; false for any other path. */
  handle(req: IncomingMessage, res: ServerResponse, path: string): boolean;
  /**
   * Makes (or reuses) the publishable key for the origin the page is served at, once the hub
   * listens and its port is known; until then `config.js` answers 503. Returns the page's URL
   * and the key. Throws when the store or the key file fails.
   */
  open(hubUrl: string): Promise<{ url: string; key: string }>;
}

export interface WebsiteOptions {
  keys: ApiKeyRepository;
  workspace: string;
  /** The business's time zone (SWITCHBOARD_TIME_ZONE): the page shows days and times in it. */
  timeZone: string;
  /** PUBLIC_URL, when the hub is reached through a proxy: the page's origin is then its origin. */
  publicUrl?: string;
  /** `<dataDir>/website-key`; undefined for a store that forgets its keys on exit (in memory). */
  keyFile?: string;
  /** Called after a key is made, so CORS allows its origins at once (Security.created). */
  created(): void;
}

const root = new URL('../../examples/website/', import.meta.url);

/** The folder's files a browser may ask for; README.md and the placeholder config.js are not among them. */
const FILES: Record<string, { file: string; type: string }> = {
  '/website/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/website/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/website/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/website/style.css': { file: 'style.css', type: 'text/css; charset=utf-8' },
};

/**
 * Only the hub itself: no inline script, nothing from a CDN, requests to /graphql only. The deposit
 * link is a plain navigation to the payments page, which a CSP does not restrict.
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Wildcard binds: a browser cannot open these, so the page is reached at loopback instead. */
const ANY = new Set(['0.0.0.0', '[::]']);

/**
 * The one origin the example's key allows and its page is served at: PUBLIC_URL's when set (the hub
 * is behind a proxy), otherwise the hub's own URL (loopback for a hub listening on every address).
 * One, not every spelling of the machine: a publishable key's origins are also allowed for CORS and
 * WebSocket upgrades, and `http://localhost:4000` is another origin than `http://127.0.0.1:4000`.
 * A page opened at another spelling is sent to this one (the page and its API calls must share an
 * origin under the CSP).
 */
export function websiteOrigin(hubUrl: string, publicUrl?: string): string {
  if (publicUrl) return new URL(publicUrl).origin;
  const url = new URL(hubUrl);
  if (ANY.has(url.hostname)) url.hostname = '127.0.0.1';
  return url.origin;
}

export function websiteExample(options: WebsiteOptions): WebsiteExample {
  const files = new Map<string, Promise<Buffer>>();
  let opened: { origin: string; key: string } | undefined;

  const load = (file: string) => {
    let made = files.get(file);
    if (!made) {
      made = readFile(new URL(file, root));
      files.set(file, made);
      // A file missing now (a checkout without examples/) is looked for again on the next visit.
      made.catch(() => files.delete(file));
    }
    return made;
  };

  const headers = (type: string, length: number, cache: string) => ({
    'content-type': type,
    'content-length': length,
    'cache-control': cache,
    'content-security-policy': CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });

  const text = (res: ServerResponse, status: number, body: string, extra: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...extra });
    res.end(body);
  };

  /**
   * Whether the browser asked at the page's origin (its Host). Behind a proxy (PUBLIC_URL) the Host
   * the hub sees may be rewritten, so there every Host is taken and the page still calls PUBLIC_URL.
   */
  const atOrigin = (req: IncomingMessage, origin: string) =>
    !!options.publicUrl || req.headers.host?.toLowerCase() === new URL(origin).host;

  const config = (req: IncomingMessage, res: ServerResponse) => {
    if (!opened)
      return text(res, 503, 'The hub is still starting; reload in a moment.', { 'retry-after': '1' });
    const body = Buffer.from(
      [
        '// Made by the hub for this sandbox run (src/website/serve.ts). On your own site, edit the',
        "// folder's config.js instead: examples/website/README.md says how.",
        `export const hubUrl = ${JSON.stringify(opened.origin)};`,
        `export const publishableKey = ${JSON.stringify(opened.key)};`,
        `export const timeZone = ${JSON.stringify(options.timeZone)};`,
        '',
      ].join('\n'),
    );
    // The key is public by design, but a cached copy would outlive the key a restart on another port revokes.
    res.writeHead(200, headers('text/javascript; charset=utf-8', body.length, 'no-store'));
    res.end(req.method === 'HEAD' ? undefined : body);
  };

  return {
    handle(req, res, path) {
      if (path !== '/website' && !path.startsWith('/website/')) return false;
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        text(res, 405, 'The example website is read with GET; it sends enquiries through /graphql.', {
          allow: 'GET, HEAD',
        });
        return true;
      }
      // The page's script and stylesheet are relative to it: /website would load them from /.
      if (path === '/website') {
        res.writeHead(308, { location: '/website/', 'content-length': 0 });
        res.end();
        return true;
      }
      if (path === '/website/config.js') {
        config(req, res);
        return true;
      }
      const asset = FILES[path];
      if (asset?.file === 'index.html' && opened && !atOrigin(req, opened.origin)) {
        res.writeHead(307, { location: `${opened.origin}${path}`, 'content-length': 0 });
        res.end();
        return true;
      }
      if (!asset) {
        text(res, 404, `No file ${path} in the example website. Its page is at /website/.`);
        return true;
      }
      load(asset.file).then(
        (body) => {
          // Read from the folder once per run: a restart shows an edited page.
          res.writeHead(200, headers(asset.type, body.length, 'no-cache'));
          res.end(req.method === 'HEAD' ? undefined : body);
        },
        () => {
          if (res.headersSent) return;
          text(res, 404, `examples/website/${asset.file} is missing from this copy of the hub.`);
        },
      );
      return true;
    },
    async open(hubUrl) {
      const origin = websiteOrigin(hubUrl, options.publicUrl);
      const { text: key, made } = await ensureWebsiteKey(options.keys, {
        file: options.keyFile,
        workspace: options.workspace,
        origins: [origin],
      });
      if (made) options.created();
      opened = { origin, key };
      return { url: `${origin}/website/`, key };
    },
  };
}
