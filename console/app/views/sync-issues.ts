import { gql, subscribe } from '../api.ts';
import { fill, h, messageOf, notice, when } from '../dom.ts';
import type { View } from '../main.ts';

interface Issue {
  id: string;
  kind: string;
  field: string | null;
  systems: string[];
  message: string;
  values: { system: string; value: string | null }[];
  customer: { id: string; displayName: string | null } | null;
  detectedAt: string;
}

const LIST = `query ConsoleSyncIssues {
  syncIssues(first: 500) {
    edges { node { id kind field systems message values { system value } customer { id displayName } detectedAt } }
  }
}`;
const RESOLVE = `mutation ConsoleResolveSyncIssue($id: ID!, $winner: SourceSystem!) {
  resolveSyncIssue(id: $id, winner: $winner) { syncIssue { id resolvedAt } operation { id state } }
}`;
const DISMISS = `mutation ConsoleDismissSyncIssue($id: ID!, $reason: String!) {
  dismissSyncIssue(id: $id, reason: $reason) { id resolvedAt }
}`;
const FOLLOW = `subscription ConsoleFollowResolution($id: ID!) { operationUpdated(id: $id) { id state error } }`;
const RAISED = `subscription ConsoleSyncIssueRaised { syncIssueRaised { id } }`;
const RUN = `id startedAt finishedAt state customersChecked issuesRaised issuesClosed errors lastError`;
const RECONCILIATION = `query ConsoleReconciliation { reconciliation { lastRun { ${RUN} } running { ${RUN} } nextRunAt } }`;
const RECONCILE = `mutation ConsoleReconcile { reconcile { ${RUN} } }`;

interface Run {
  id: string;
  startedAt: string;
  finishedAt: string | null;
  state: 'RUNNING' | 'COMPLETED' | 'FAILED';
  customersChecked: number;
  issuesRaised: number;
  issuesClosed: number;
  errors: number;
  lastError: string | null;
}

const summary = (run: Run) =>
  `${run.customersChecked} customers checked, ${run.issuesRaised} issues raised, ${run.issuesClosed} closed` +
  (run.errors ? `, ${run.errors} not checked (${run.lastError ?? 'a vendor failed'})` : '');

/**
 * Reconciliation: when every linked customer was last compared across the systems, and a button that
 * starts a run now; while one runs, its progress every 2 s, then the list again.
 */
function reconciliationPanel(reload: () => void): { element: HTMLElement; stop(): void } {
  const line = h('p', { id: 'reconciliation-status' }, 'Reconciliation: …');
  const button = h('button', { type: 'button', id: 'reconcile' }, 'Reconcile now');
  const element = h('section', { class: 'card reconciliation' }, line, button);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  let wasRunning = false;
  const show = async () => {
    try {
      const { reconciliation: r } = await gql<{
        reconciliation: { lastRun: Run | null; running: Run | null; nextRunAt: string | null };
      }>(RECONCILIATION);
      button.disabled = Boolean(r.running);
      if (r.running) {
        fill(line, `Reconciling since ${when(r.running.startedAt)}: ${summary(r.running)}…`);
        wasRunning = true;
        if (!stopped) timer = setTimeout(() => void show(), 2000);
      } else {
        // The run raised and closed issues: the list is redrawn once, when it ends.
        if (wasRunning) reload();
        wasRunning = false;
        element.dataset.state = r.lastRun?.state ?? 'NEVER';
        fill(
          line,
          r.lastRun
            ? `Last reconciled ${when(r.lastRun.startedAt)} (${r.lastRun.state.toLowerCase()}): ${summary(r.lastRun)}.`
            : 'Never reconciled yet.',
          r.nextRunAt ? ` Next run ${when(r.nextRunAt)}.` : ' No nightly run (SWITCHBOARD_RECONCILE_AT=off).',
        );
      }
    } catch (error) {
      fill(line, notice('error', messageOf(error)));
    }
  };
  button.addEventListener('click', () => {
    button.disabled = true;
    gql(RECONCILE).then(
      () => void show(),
      (error: unknown) => {
        button.disabled = false;
        fill(line, notice('error', messageOf(error)));
      },
    );
  });
  void show();
  return {
    element,
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/** Kinds where one system's value can simply be written to the others. */
const WINNABLE = new Set(['FIELD_MISMATCH', 'EMAIL_FORMAT_MISMATCH']);

export const syncIssuesView: View = (root) => {
  const status = h('div', { class: 'status-line' });
  const groups = h('div', { id: 'sync-issues' });
  fill(
    root,
    h('h1', {}, 'Sync issues'),
    h(
      'p',
      { class: 'hint' },
      'Disagreements between systems that Switchboard found and did not guess away. Keep one system’s value to write it to the others (through the outbox, once however often you press), or dismiss the issue with a reason. The audit log records who did which.',
    ),
    status,
  );
  const follows: { close(): void }[] = [];

  const issueCard = (issue: Issue): HTMLElement => {
    const result = h('div', { class: 'result' });
    const reason = h('input', {
      type: 'text',
      class: 'reason',
      placeholder: 'Why dismiss it?',
      'aria-label': 'Reason',
      maxlength: 500,
    });
    const buttons: HTMLButtonElement[] = [];
    const busy = (on: boolean) => buttons.forEach((b) => (b.disabled = on));
    const done = (text: string) => {
      card.classList.add('resolved');
      card.dataset.resolved = 'true';
      fill(result, notice('ok', text));
      busy(true);
    };
    const fail = (error: unknown) => {
      busy(false);
      fill(result, notice('error', messageOf(error)));
    };
    const keep = (system: string) => {
      busy(true);
      fill(result, notice('info', `Writing ${system}’s value to the others…`));
      gql<{ resolveSyncIssue: { operation: { id: string; state: string } | null } }>(RESOLVE, {
        id: issue.id,
        winner: system,
      }).then(({ resolveSyncIssue: { operation } }) => {
        if (!operation || operation.state === 'COMPLETED')
          return done(`Resolved: ${system}’s value kept everywhere.`);
        follows.push(
          subscribe<{ operationUpdated: { state: string; error: string | null } }>(
            FOLLOW,
            { id: operation.id },
            ({ operationUpdated: op }) => {
              if (op.state === 'COMPLETED') done(`Resolved: ${system}’s value kept everywhere.`);
              else if (op.state === 'PENDING')
                fill(result, notice('info', 'Writing… (a vendor is retrying)'));
              else
                fill(
                  result,
                  notice('error', `Resolved, but the write ${op.state}: ${op.error ?? ''} — see Writes.`),
                );
            },
            (error) => fail(error),
          ),
        );
      }, fail);
    };
    const dismiss = () => {
      const text = reason.value.trim();
      if (!text)
        return fill(result, notice('error', 'Say why you dismiss it: the reason goes in the audit log.'));
      busy(true);
      gql(DISMISS, { id: issue.id, reason: text }).then(() => done('Dismissed.'), fail);
    };
    if (WINNABLE.has(issue.kind)) {
      for (const v of issue.values) {
        buttons.push(
          h(
            'button',
            { type: 'button', class: 'keep', 'data-system': v.system, onclick: () => keep(v.system) },
            `Keep ${v.system}`,
          ),
        );
      }
    }
    const dismissButton = h('button', { type: 'button', class: 'dismiss', onclick: dismiss }, 'Dismiss');
    buttons.push(dismissButton);
    const card = h(
      'section',
      { class: 'card issue', 'data-issue': issue.id, 'data-kind': issue.kind },
      h(
        'h3',
        {},
        issue.customer
          ? h(
              'a',
              { href: `#/customers?id=${encodeURIComponent(issue.customer.id)}` },
              issue.customer.displayName ?? issue.customer.id,
            )
          : 'No single customer',
        issue.field ? ` · ${issue.field}` : '',
      ),
      h('p', {}, issue.message),
      h(
        'table',
        { class: 'values' },
        h(
          'tbody',
          {},
          issue.values.map((v) =>
            h('tr', {}, h('th', {}, v.system), h('td', { class: 'mono' }, v.value ?? '(none)')),
          ),
        ),
      ),
      h('p', { class: 'hint' }, `Found ${when(issue.detectedAt)}`),
      h(
        'div',
        { class: 'actions' },
        buttons.filter((b) => b !== dismissButton),
        reason,
        dismissButton,
      ),
      result,
    );
    return card;
  };

  const load = async () => {
    try {
      const { syncIssues } = await gql<{ syncIssues: { edges: { node: Issue }[] } }>(LIST);
      const byKind = new Map<string, Issue[]>();
      for (const { node } of syncIssues.edges)
        byKind.set(node.kind, [...(byKind.get(node.kind) ?? []), node]);
      fill(
        groups,
        byKind.size === 0
          ? h('p', { class: 'hint' }, 'No open sync issues: every system agrees.')
          : [...byKind].map(([kind, issues]) =>
              h(
                'details',
                { open: true, class: 'group', 'data-kind': kind },
                h('summary', {}, `${kind} (${issues.length})`),
                h('div', { class: 'cards' }, issues.map(issueCard)),
              ),
            ),
      );
    } catch (error) {
      fill(status, notice('error', messageOf(error)));
    }
  };
  const panel = reconciliationPanel(() => void load());
  root.append(panel.element, groups);
  follows.push({ close: panel.stop });
  void load();
  // New issues appear as they are raised.
  follows.push(
    subscribe(
      RAISED,
      {},
      () => void load(),
      (error) => fill(status, notice('error', error.message)),
    ),
  );
  return () => follows.forEach((f) => f.close());
};
