// The console's only way to the hub: GraphQL over fetch, and subscriptions as GraphQL over SSE
// (a POST with `Accept: text/event-stream`, which yoga answers as a stream). fetch, not EventSource
// nor a WebSocket, because only fetch can send the key in an Authorization header: the key never
// goes in a URL, and there is no cookie for another site to ride on.

const KEY_ITEM = 'switchboard.console.key';
/** When an identity provider's token signs the tab out (console/app/main.ts `signOutAt`). */
export const EXPIRES_ITEM = 'switchboard.console.expires';

/** The operator key, kept for this tab only (sessionStorage): closing the tab signs out. */
export const session = {
  get key(): string | null {
    return sessionStorage.getItem(KEY_ITEM);
  },
  set(key: string) {
    sessionStorage.setItem(KEY_ITEM, key);
  },
  clear() {
    sessionStorage.removeItem(KEY_ITEM);
  },
  /**
   * Signs this tab in with another key (a new workspace's, from the Workspaces page) on a fresh page,
   * so no timer or stream of the previous sign-in lives on.
   */
  switchTo(key: string, hash = '#/connections') {
    sessionStorage.setItem(KEY_ITEM, key);
    sessionStorage.removeItem(EXPIRES_ITEM);
    location.hash = hash;
    location.reload();
  },
};

export interface GraphQLErrorShape {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; [key: string]: unknown };
}

/** A request the hub refused or could not answer, with the hub's own message for the page. */
export class HubError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly status: number,
  ) {
    super(message);
  }
  /** The key is wrong, revoked, expired or lacks the operator scope: the page signs out. */
  get signedOut(): boolean {
    return this.status === 401 || this.code === 'UNAUTHENTICATED';
  }
}

type Listener = (error: HubError) => void;
const signOutListeners = new Set<Listener>();
/** Called when any request finds the key refused (revoked while the page was open, say). */
export const onSignedOut = (listener: Listener) => signOutListeners.add(listener);

const partialListeners = new Set<(errors: GraphQLErrorShape[]) => void>();
/** Called when an answer came with data and errors: some fields are missing, the rest is shown. */
export const onPartial = (listener: (errors: GraphQLErrorShape[]) => void) => partialListeners.add(listener);

const headers = (key: string, accept: string) => ({
  'content-type': 'application/json',
  accept,
  authorization: `Bearer ${key}`,
});

/** The hub's refusal as a HubError; a signed-in key that stopped working signs the page out. */
function failure(
  status: number,
  body: { errors?: GraphQLErrorShape[] } | undefined,
  key: string | null,
): HubError {
  const first = body?.errors?.[0];
  const message =
    first?.message ??
    (status === 429
      ? 'Too many requests from this key just now; the console will try again.'
      : `The hub answered ${status}.`);
  const error = new HubError(message, first?.extensions?.code, status);
  // A key being tried at sign-in is not the session's: its refusal is the sign-in form's to show.
  if (error.signedOut && key !== null && key === session.key)
    for (const listener of signOutListeners) listener(error);
  return error;
}

/** One query or mutation; throws a HubError with the hub's message on any error. */
export async function gql<T>(
  query: string,
  variables: Record<string, unknown> = {},
  key = session.key,
): Promise<T> {
  if (!key) throw new HubError('Sign in with an operator key first.', 'UNAUTHENTICATED', 401);
  let res: Response;
  try {
    res = await fetch('/graphql', {
      method: 'POST',
      headers: headers(key, 'application/graphql-response+json'),
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    throw new HubError('The hub cannot be reached. Is it running?', 'NETWORK', 0);
  }
  let body: { data?: T; errors?: GraphQLErrorShape[] } | undefined;
  try {
    body = (await res.json()) as typeof body;
  } catch {
    body = undefined;
  }
  // Errors below a root field are a partial answer (a vendor down, say): shown, with the errors said
  // aside. A root field that failed (a refused mutation) is the request's failure.
  const partial = body?.errors?.every((e) => (e.path?.length ?? 0) > 1);
  if (res.ok && body?.data && body.errors?.length && partial) {
    for (const listener of partialListeners) listener(body.errors);
    return body.data;
  }
  if (!res.ok || !body || body.errors?.length) throw failure(res.status, body, key);
  return body.data as T;
}

/**
 * A subscription over SSE. `onNext` gets each event's data; the stream is opened again after a
 * dropped connection (with a growing pause) until `close()` is called. Errors go to `onError`.
 */
export function subscribe<T>(
  query: string,
  variables: Record<string, unknown>,
  onNext: (data: T) => void,
  onError: (error: HubError) => void,
): { close(): void } {
  const abort = new AbortController();
  let pause = 500;
  const run = async (): Promise<void> => {
    const key = session.key;
    if (!key) return;
    const res = await fetch('/graphql', {
      method: 'POST',
      headers: headers(key, 'text/event-stream'),
      body: JSON.stringify({ query, variables }),
      signal: abort.signal,
    });
    if (!res.ok || !res.body) {
      let body: { errors?: GraphQLErrorShape[] } | undefined;
      try {
        body = (await res.json()) as typeof body;
      } catch {
        body = undefined;
      }
      throw failure(res.status, body, key);
    }
    pause = 500;
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      // SSE: events end with a blank line; `event: next` carries `data: <ExecutionResult>`.
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: ?(.*)$/m.exec(block)?.[1];
        const data = block
          .split('\n')
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).trimStart())
          .join('\n');
        if (event === 'complete') return;
        if (event !== 'next' || !data) continue;
        const result = JSON.parse(data) as { data?: T; errors?: GraphQLErrorShape[] };
        if (result.errors?.length) onError(failure(200, result, key));
        else if (result.data) onNext(result.data);
      }
    }
  };
  const loop = async () => {
    while (!abort.signal.aborted) {
      try {
        await run();
      } catch (error) {
        if (abort.signal.aborted) return;
        const hubError =
          error instanceof HubError
            ? error
            : new HubError('The live stream dropped; reconnecting…', 'NETWORK', 0);
        onError(hubError);
        if (hubError.signedOut || hubError.code === 'FORBIDDEN') return;
      }
      await new Promise((resolve) => setTimeout(resolve, pause));
      pause = Math.min(pause * 2, 10_000);
    }
  };
  void loop();
  return { close: () => abort.abort() };
}
