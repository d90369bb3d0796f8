import { gql } from '../api.ts';
import { fill, h, messageOf, notice, when } from '../dom.ts';
import type { View } from '../main.ts';

interface Source {
  system: string;
  state: 'UNKNOWN' | 'OK' | 'FAILING';
  healthy: boolean;
  baseUrl: string;
  lastCallAt: string | null;
  lastSuccessAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
  consecutiveFailures: number;
  recentErrorRate: number;
  recentCalls: number;
  breaker: { state: string; openedAt: string | null; nextProbeAt: string | null } | null;
  budget: {
    windows: { name: string; limit: number; remaining: number }[];
    inFlight: number;
    queued: number;
    pausedUntil: string | null;
    shared: boolean;
  } | null;
  token: { state: string; expiresAt: string | null; lastError: string | null } | null;
  connection: {
    connectedAt: string | null;
    method: string;
    canConnect: boolean;
    connectWith: 'CONSENT' | 'KEY' | null;
    account: string | null;
  } | null;
}

const QUERY = `query ConsoleConnections {
  sources {
    system state healthy baseUrl lastCallAt lastSuccessAt lastError lastErrorAt consecutiveFailures
    recentErrorRate recentCalls
    breaker { state openedAt nextProbeAt }
    budget { windows { name limit remaining } inFlight queued pausedUntil shared }
    token { state expiresAt lastError }
    connection { connectedAt method canConnect connectWith account }
  }
  sourceHistory(minutes: 60) { system minutes { webhooks } }
}`;

/** How often the page asks again: the health is the hub's own view of its latest calls. */
const EVERY_MS = 2000;

/** Red when calls fail or cannot go (breaker open, token dead), amber while unknown or recovering. */
export function tone(source: Source): 'red' | 'amber' | 'green' {
  if (!source.healthy || source.state === 'FAILING') return 'red';
  if (source.state === 'UNKNOWN' || source.breaker?.state === 'HALF_OPEN') return 'amber';
  return 'green';
}

const METHODS: Record<string, string> = {
  oauth: 'from the console (consent)',
  key: 'from the console (key)',
  environment: 'from the environment',
  none: 'not connected',
};

const describeConnection = (c: NonNullable<Source['connection']>) =>
  `${METHODS[c.method] ?? c.method}${c.account ? `, account ${c.account}` : ''}${c.connectedAt ? `, ${when(c.connectedAt)}` : ''}`;

/**
 * The buttons and key form of one card. Made once per system and moved into each new card, so a
 * refresh every two seconds neither loses a key being typed nor a button being pressed.
 */
function connectionActions(system: string, say: (kind: 'ok' | 'error', text: string) => void) {
  const connect = h('button', { type: 'button', class: 'connect' }, 'Connect');
  const disconnect = h('button', { type: 'button', class: 'disconnect' }, 'Disconnect');
  const key = h('input', {
    type: 'password',
    name: 'key',
    class: 'key',
    placeholder: 'rk_live_… or sk_live_…',
    autocomplete: 'off',
    'aria-label': `${system} API key`,
  });
  const keyForm = h('form', { class: 'key-form' }, key, h('button', { type: 'submit' }, 'Connect with key'));
  connect.addEventListener('click', () => {
    connect.disabled = true;
    gql<{ startConnection: { authorizeUrl: string } }>(
      `mutation ConsoleStartConnection($system: SourceSystem!) { startConnection(system: $system) { authorizeUrl expiresAt } }`,
      { system },
    )
      .then(({ startConnection }) => {
        // The vendor's consent page; it sends the browser back to the hub's callback, then here.
        location.href = startConnection.authorizeUrl;
      })
      .catch((error: unknown) => {
        connect.disabled = false;
        say('error', messageOf(error));
      });
  });
  keyForm.addEventListener('submit', (event) => {
    event.preventDefault();
    gql(
      `mutation ConsoleConnectWithKey($system: SourceSystem!, $key: String!) { connectWithKey(system: $system, key: $key) { system } }`,
      { system, key: key.value },
    )
      .then(() => {
        key.value = '';
        say('ok', `${system} connected with the key.`);
      })
      .catch((error: unknown) => say('error', messageOf(error)));
  });
  disconnect.addEventListener('click', () => {
    if (!confirm(`Disconnect ${system}? Calls to it fail until it is connected again.`)) return;
    gql(`mutation ConsoleDisconnect($system: SourceSystem!) { disconnect(system: $system) { system } }`, {
      system,
    })
      .then(() => say('ok', `${system} disconnected.`))
      .catch((error: unknown) => say('error', messageOf(error)));
  });
  const element = h('div', { class: 'connection-actions' });
  return {
    element,
    update(c: Source['connection']) {
      if (!c?.canConnect) {
        fill(element);
        return;
      }
      connect.textContent = c.method === 'none' ? 'Connect' : 'Reconnect';
      fill(element, c.connectWith === 'KEY' ? keyForm : connect, c.method === 'none' ? null : disconnect);
    },
  };
}

const card = (s: Source, webhooks: number, actions?: HTMLElement) =>
  h(
    'section',
    { class: `card connection ${tone(s)}`, 'data-system': s.system, 'data-tone': tone(s) },
    h(
      'h2',
      {},
      h('span', { class: 'dot', 'aria-hidden': 'true' }),
      s.system,
      h('span', { class: 'state' }, s.healthy ? s.state : `${s.state}, unhealthy`),
    ),
    h(
      'dl',
      {},
      h('dt', {}, 'Last success'),
      h('dd', {}, when(s.lastSuccessAt)),
      h('dt', {}, 'Calls, last minute'),
      h('dd', {}, `${s.recentCalls} (${Math.round(s.recentErrorRate * 100)}% failed)`),
      h('dt', {}, 'Failures in a row'),
      h('dd', {}, s.consecutiveFailures),
      h('dt', {}, 'Breaker'),
      h(
        'dd',
        {},
        s.breaker
          ? `${s.breaker.state}${s.breaker.nextProbeAt ? `, next probe ${when(s.breaker.nextProbeAt)}` : ''}`
          : 'off',
      ),
      h('dt', {}, 'Rate budget left'),
      h(
        'dd',
        {},
        s.budget
          ? [
              s.budget.windows.map((w) => `${w.remaining}/${w.limit} per ${w.name}`).join(', '),
              s.budget.pausedUntil ? ` — paused until ${when(s.budget.pausedUntil)}` : '',
              ` (${s.budget.inFlight} in flight, ${s.budget.queued} queued${s.budget.shared ? ', shared' : ''})`,
            ].join('')
          : 'off',
      ),
      h('dt', {}, 'Token'),
      h(
        'dd',
        {},
        s.token
          ? `${s.token.state}${s.token.expiresAt ? `, expires ${when(s.token.expiresAt)}` : ''}${s.token.lastError ? ` — ${s.token.lastError}` : ''}`
          : 'fixed key',
      ),
      h('dt', {}, 'Webhooks, last hour'),
      h('dd', {}, webhooks),
      h('dt', {}, 'Address'),
      h('dd', { class: 'mono' }, s.baseUrl),
      h('dt', {}, 'Connected'),
      h('dd', { class: 'connection-method' }, s.connection ? describeConnection(s.connection) : '—'),
    ),
    actions,
    s.lastError ? h('p', { class: 'last-error' }, `Last error ${when(s.lastErrorAt)}: ${s.lastError}`) : null,
  );

export const connectionsView: View = (root, params) => {
  const list = h('div', { class: 'cards' });
  const status = h('div', { class: 'status-line' });
  const news = h('div', { class: 'connection-news' });
  // Back from a vendor's consent page (the hub's callback redirects here with one of these).
  const connected = params.get('connected');
  const refused = params.get('refused');
  if (connected) fill(news, notice('ok', `${connected} connected: the hub uses the new tokens from now on.`));
  else if (refused)
    fill(
      news,
      notice('error', `${refused} was not connected: consent was refused on its page. Nothing was changed.`),
    );
  const say = (kind: 'ok' | 'error', text: string) => fill(news, notice(kind, text));
  const actions = new Map<string, ReturnType<typeof connectionActions>>();
  const actionsFor = (system: string) => {
    let found = actions.get(system);
    if (!found) actions.set(system, (found = connectionActions(system, say)));
    return found;
  };
  fill(root, h('h1', {}, 'Connections'), news, status, list);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const refresh = async () => {
    try {
      const { sources, sourceHistory } = await gql<{
        sources: Source[];
        sourceHistory: { system: string; minutes: { webhooks: number }[] }[];
      }>(QUERY);
      const webhooks = new Map(
        sourceHistory.map((s) => [s.system, s.minutes.reduce((sum, m) => sum + m.webhooks, 0)]),
      );
      fill(
        list,
        sources.map((s) => {
          const a = actionsFor(s.system);
          a.update(s.connection);
          return card(s, webhooks.get(s.system) ?? 0, a.element);
        }),
      );
      fill(
        status,
        h(
          'p',
          { class: 'hint' },
          `Live: checked ${new Date().toLocaleTimeString()}, every ${EVERY_MS / 1000}s.`,
        ),
      );
    } catch (error) {
      fill(status, notice('error', messageOf(error)));
    }
    if (!stopped) timer = setTimeout(() => void refresh(), EVERY_MS);
  };
  void refresh();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
};
