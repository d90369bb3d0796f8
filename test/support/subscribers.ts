import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/** Where a subscriber connects: the hub's base URL and the key it authenticates with. */
export interface HubTarget {
  url: string;
  key: string;
}

/** A graphql-ws subscriber over a real WebSocket, collecting what it receives. */
export function wsSubscriber(hub: HubTarget, query: string, variables: Record<string, unknown> = {}) {
  const received: any[] = [];
  const errors: unknown[] = [];
  const closes: Array<{ code: number; reason: string }> = [];
  const client: Client = createClient({
    url: `${hub.url.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    connectionParams: { authorization: `Bearer ${hub.key}` },
    // How the socket ended is in `closes`; graphql-ws would also print it to stderr.
    onNonLazyError: () => {},
    on: {
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string };
        closes.push({ code, reason: String(reason) });
      },
    },
  });
  let ready!: () => void;
  const started = new Promise<void>((resolve) => (ready = resolve));
  client.on('connected', () => ready());
  const stop = client.subscribe(
    { query, variables },
    {
      next: (value) => {
        if (value.errors) errors.push(value.errors);
        if (value.data) received.push(value.data);
      },
      error: (error) => errors.push(error),
      complete: () => {},
    },
  );
  return {
    received,
    errors,
    /** How the socket closed, when it did (code 4403 when the hub closed it for a revoked key). */
    closes,
    /** Resolves once the socket is open (the subscription starts right after). */
    started,
    async close() {
      stop();
      await client.dispose();
    },
  };
}

/**
 * A GraphQL-over-SSE subscriber: POST with `Accept: text/event-stream`, reading `data:` lines.
 * `status` is the HTTP answer (403 for a refused subscription); `ended` turns true when the hub
 * ends the stream (a revoked key) or `close()` does.
 */
export function sseSubscriber(hub: HubTarget, query: string, variables: Record<string, unknown> = {}) {
  const received: any[] = [];
  const controller = new AbortController();
  let ended = false;
  const response = fetch(`${hub.url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'text/event-stream',
      authorization: `Bearer ${hub.key}`,
    },
    body: JSON.stringify({ query, variables }),
    signal: controller.signal,
  });
  const done = (async () => {
    const res = await response;
    if (!res.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const message = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const data = message
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).trim())
          .join('');
        if (data) received.push(JSON.parse(data));
      }
    }
  })()
    .catch(() => {})
    .finally(() => (ended = true));
  return {
    status: response.then((res) => res.status),
    received,
    get ended() {
      return ended;
    },
    async close() {
      controller.abort();
      await done;
    },
  };
}
