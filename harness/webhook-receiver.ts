import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/**
 * A business's own tool receiving the hub's outbound webhooks, on a real socket: it verifies each
 * delivery with the standardwebhooks package as a receiver would, answers what the test says per
 * path (503 while "down", 302 to test redirects), and keeps what it accepted, once per `webhook-id`
 * (a second copy is counted, not kept). For tests and benchmarks.
 */
export interface ReceivedWebhook {
  id: string;
  path: string;
  type: string;
  body: any;
  /** performance.now() when it arrived. */
  at: number;
}

export interface WebhookReceiver {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Verifies deliveries to `path` with `secret` (a request that does not verify is answered 400). */
  verifyWith(path: string, secret: string): void;
  /** What to answer at `path` from now on (default 200). */
  answer(path: string, status: number): void;
  /** Accepted deliveries (2xx), first copy only, in order of arrival. */
  received: ReceivedWebhook[];
  /** Requests answered with anything but 2xx, per path. */
  refused: Map<string, number>;
  /** Second copies of a webhook-id already accepted. */
  duplicates: number;
  /** Requests whose signature did not verify. */
  unverified: number;
  close(): Promise<void>;
}

const read = (req: IncomingMessage) =>
  new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const secrets = new Map<string, string>();
  const answers = new Map<string, number>();
  const seen = new Set<string>();
  const receiver: Omit<WebhookReceiver, 'url' | 'close'> = {
    verifyWith: (path, secret) => void secrets.set(path, secret),
    answer: (path, status) => void answers.set(path, status),
    received: [],
    refused: new Map(),
    duplicates: 0,
    unverified: 0,
  };
  const server = createServer(async (req, res) => {
    const body = await read(req);
    const path = (req.url ?? '/').split('?')[0]!;
    const secret = secrets.get(path);
    if (secret) {
      try {
        new Webhook(secret).verify(body, req.headers as Record<string, string>);
      } catch {
        receiver.unverified++;
        res.writeHead(400).end('signature does not verify');
        return;
      }
    }
    const status = answers.get(path) ?? 200;
    if (status < 200 || status >= 300) {
      receiver.refused.set(path, (receiver.refused.get(path) ?? 0) + 1);
      res.writeHead(status, status >= 300 && status < 400 ? { location: 'https://elsewhere.example/' } : {});
      res.end();
      return;
    }
    const id = String(req.headers['webhook-id']);
    if (seen.has(id)) receiver.duplicates++;
    else {
      seen.add(id);
      const parsed = JSON.parse(body) as { type: string };
      receiver.received.push({ id, path, type: parsed.type, body: parsed, at: performance.now() });
    }
    res.writeHead(204).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    ...receiver,
    get received() {
      return receiver.received;
    },
    get duplicates() {
      return receiver.duplicates;
    },
    get unverified() {
      return receiver.unverified;
    },
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
