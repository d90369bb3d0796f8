import { gql, HubError } from '../api.ts';
import { fill, h, notice, when } from '../dom.ts';
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
}

const QUERY = `query ConsoleConnections {
  sources {
    system state healthy baseUrl lastCallAt lastSuccessAt lastError lastErrorAt consecutiveFailures
    recentErrorRate recentCalls
    breaker { state openedAt nextProbeAt }
    budget { windows { name limit remaining } inFlight queued pausedUntil shared }
    token { state expiresAt lastError }
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

const card = (s: Source, webhooks: number) =>
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
    ),
    s.lastError ? h('p', { class: 'last-error' }, `Last error ${when(s.lastErrorAt)}: ${s.lastError}`) : null,
  );

export const connectionsView: View = (root) => {
  const list = h('div', { class: 'cards' });
  const status = h('div', { class: 'status-line' });
  fill(root, h('h1', {}, 'Connections'), status, list);
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
        sources.map((s) => card(s, webhooks.get(s.system) ?? 0)),
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
      fill(status, notice('error', error instanceof HubError ? error.message : String(error)));
    }
    if (!stopped) timer = setTimeout(() => void refresh(), EVERY_MS);
  };
  void refresh();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
};
