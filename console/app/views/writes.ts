import { gql, HubError, subscribe } from '../api.ts';
import { fill, h, messageOf, notice, when } from '../dom.ts';
import type { View } from '../main.ts';

interface Step {
  name: string;
  system: string;
  state: string;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string | null;
}
interface Operation {
  id: string;
  kind: string;
  state: string;
  error: string | null;
  createdAt: string;
  updatedAt: string;
  steps: Step[];
}

const OPERATION = `id kind state error createdAt updatedAt steps { name system state attempts lastError nextAttemptAt }`;
const FAILED = `query ConsoleFailedDeliveries { failedDeliveries(first: 500) { edges { node { operation { ${OPERATION} } } } } }`;
const RECENT = `query ConsoleOperations($states: [OperationState!]) { operations(states: $states, first: 100) { edges { node { ${OPERATION} } } } }`;
const RETRY = `mutation ConsoleRetryDelivery($id: ID!) { retryDelivery(operationId: $id) { ${OPERATION} } }`;
const FOLLOW = `subscription ConsoleFollowOperation($id: ID!) { operationUpdated(id: $id) { ${OPERATION} } }`;

const STATES = ['PENDING', 'COMPENSATING', 'COMPLETED', 'FAILED', 'DELIVERY_FAILED'];
const ENDED = new Set(['COMPLETED', 'FAILED', 'DELIVERY_FAILED']);

const steps = (op: Operation) =>
  h(
    'ol',
    { class: 'steps' },
    op.steps.map((s) =>
      h(
        'li',
        { 'data-state': s.state },
        h('strong', {}, s.name),
        ` on ${s.system}: ${s.state}, ${s.attempts} attempt${s.attempts === 1 ? '' : 's'}`,
        s.nextAttemptAt ? `, next ${when(s.nextAttemptAt)}` : '',
        s.lastError ? h('div', { class: 'last-error' }, s.lastError) : null,
      ),
    ),
  );

export const writesView: View = (root, params) => {
  const status = h('div', { class: 'status-line' });
  const failedList = h('div', { class: 'cards', id: 'failed-deliveries' });
  const replayAll = h('button', { type: 'button', id: 'replay-all', disabled: true }, 'Replay all');
  const stateFilter = h(
    'select',
    { id: 'operation-state', 'aria-label': 'Operation state' },
    h('option', { value: '' }, 'Every state'),
    STATES.map((s) => h('option', { value: s, selected: params.get('state') === s }, s)),
  );
  const recentList = h('div', { class: 'cards', id: 'operations' });
  fill(
    root,
    h('h1', {}, 'Writes'),
    status,
    h('h2', {}, 'Failed deliveries ', replayAll),
    h(
      'p',
      { class: 'hint' },
      'A step that kept failing until its attempts ran out. Replaying starts its attempts again; the idempotency key it was sent with keeps a vendor from doing it twice.',
    ),
    failedList,
    h('h2', {}, 'Recent operations ', stateFilter),
    recentList,
  );
  const follows = new Map<string, { close(): void }>();
  let stopped = false;

  const operationCard = (op: Operation, replayable: boolean): HTMLElement => {
    const card = h(
      'section',
      {
        class: `card operation state-${op.state.toLowerCase()}`,
        'data-operation': op.id,
        'data-state': op.state,
      },
      h('h3', {}, op.kind, h('span', { class: 'state' }, op.state)),
      h('p', { class: 'hint' }, `Started ${when(op.createdAt)}, last change ${when(op.updatedAt)}`),
      op.error ? h('p', { class: 'last-error' }, op.error) : null,
      steps(op),
      replayable
        ? h('button', { type: 'button', class: 'replay', onclick: () => void replay(op.id, card) }, 'Replay')
        : null,
    );
    return card;
  };

  /** Replays one, then follows it live until it ends, redrawing its card in place. */
  const replay = async (id: string, card: HTMLElement): Promise<boolean> => {
    const button = card.querySelector('button.replay') as HTMLButtonElement | null;
    if (button) button.disabled = true;
    try {
      const { retryDelivery } = await gql<{ retryDelivery: Operation | null }>(RETRY, { id });
      if (!retryDelivery) throw new HubError('That operation no longer exists.', 'NOT_FOUND', 200);
      let current = operationCard(retryDelivery, false);
      card.replaceWith(current);
      if (!ENDED.has(retryDelivery.state)) {
        follows.get(id)?.close();
        follows.set(
          id,
          subscribe<{ operationUpdated: Operation }>(
            FOLLOW,
            { id },
            ({ operationUpdated }) => {
              const next = operationCard(operationUpdated, operationUpdated.state === 'DELIVERY_FAILED');
              current.replaceWith(next);
              current = next;
              if (ENDED.has(operationUpdated.state)) follows.get(id)?.close();
            },
            (error) => fill(status, notice('error', error.message)),
          ),
        );
      }
      return true;
    } catch (error) {
      if (button) button.disabled = false;
      card.append(notice('error', messageOf(error)));
      return false;
    }
  };

  replayAll.addEventListener('click', () => {
    void (async () => {
      const cards = [...failedList.querySelectorAll<HTMLElement>('[data-operation]')];
      replayAll.disabled = true;
      let done = 0;
      let failed = 0;
      for (const card of cards) {
        if (stopped) return;
        if (await replay(card.dataset.operation!, card)) done++;
        else failed++;
        fill(status, notice('info', `Replaying ${done + failed} of ${cards.length}…`));
      }
      fill(
        status,
        notice(
          failed ? 'error' : 'ok',
          `Replayed ${done} of ${cards.length}${failed ? `; ${failed} refused (see each)` : ''}.`,
        ),
      );
    })();
  });

  const loadFailed = async () => {
    const { failedDeliveries } = await gql<{
      failedDeliveries: { edges: { node: { operation: Operation } }[] };
    }>(FAILED);
    const ops = failedDeliveries.edges.map((e) => e.node.operation);
    // One operation can have several steps that gave up: one card, one replay.
    const unique = [...new Map(ops.map((o) => [o.id, o])).values()];
    fill(
      failedList,
      unique.length
        ? unique.map((o) => operationCard(o, true))
        : h('p', { class: 'hint' }, 'No failed deliveries.'),
    );
    replayAll.disabled = unique.length === 0;
    replayAll.textContent = unique.length ? `Replay all ${unique.length}` : 'Replay all';
  };
  const loadRecent = async () => {
    const { operations } = await gql<{ operations: { edges: { node: Operation }[] } }>(RECENT, {
      states: stateFilter.value ? [stateFilter.value] : null,
    });
    fill(
      recentList,
      operations.edges.length
        ? operations.edges.map((e) => operationCard(e.node, e.node.state === 'DELIVERY_FAILED'))
        : h('p', { class: 'hint' }, 'No operations in that state.'),
    );
  };
  const load = () =>
    Promise.all([loadFailed(), loadRecent()]).catch((error: unknown) =>
      fill(status, notice('error', messageOf(error))),
    );
  stateFilter.addEventListener('change', () => void loadRecent());
  void load();
  return () => {
    stopped = true;
    for (const f of follows.values()) f.close();
  };
};
