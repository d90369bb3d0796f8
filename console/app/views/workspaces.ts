import { gql, session } from '../api.ts';
import { fill, h, messageOf, notice, when } from '../dom.ts';
import type { View } from '../main.ts';

interface System {
  system: string;
  role: string;
  connected: boolean;
  account: string | null;
}
interface Workspace {
  id: string;
  name: string;
  currency: string;
  origin: 'ENVIRONMENT' | 'CONSOLE';
  createdAt: string | null;
  current: boolean;
  systems: System[];
}

const FIELDS = `id name currency origin createdAt current systems { system role connected account }`;
const LIST = `query ConsoleWorkspaces { workspaces { ${FIELDS} } }`;
const CREATE = `mutation ConsoleCreateWorkspace($input: WorkspaceInput!) {
  createWorkspace(input: $input) { operatorKey workspace { ${FIELDS} } }
}`;

function card(w: Workspace): HTMLElement {
  const connected = w.systems.filter((s) => s.connected).length;
  const tone = connected === w.systems.length ? 'green' : connected === 0 ? 'red' : 'amber';
  return h(
    'section',
    { class: `card connection workspace ${tone}`, 'data-workspace': w.id },
    h(
      'h2',
      {},
      h('span', { class: 'dot', 'aria-hidden': 'true' }),
      w.name,
      h(
        'span',
        { class: 'state' },
        w.current ? 'signed in here' : `${connected} of ${w.systems.length} connected`,
      ),
    ),
    h(
      'dl',
      {},
      h('dt', {}, 'Id'),
      h('dd', { class: 'mono' }, w.id),
      h('dt', {}, 'Made'),
      h(
        'dd',
        {},
        w.origin === 'ENVIRONMENT' ? 'by the hub’s environment' : `from the console ${when(w.createdAt)}`,
      ),
      h('dt', {}, 'Currency'),
      h('dd', {}, w.currency),
      w.systems.flatMap((s) => [
        h('dt', {}, s.role.toLowerCase()),
        h(
          'dd',
          { class: 'workspace-system', 'data-system': s.system, 'data-connected': String(s.connected) },
          `${s.system} ${s.connected ? `connected${s.account ? ` (account ${s.account})` : ''}` : 'not connected'}`,
        ),
      ]),
    ),
  );
}

/**
 * Workspaces: the businesses this hub serves. The studio's operators (the environment's workspace)
 * see them all and make new ones; a new one's operator key is shown once, with a button that signs
 * this tab in to it, where its systems are connected from Connections.
 */
export const workspacesView: View = (root) => {
  let stopped = false;
  const list = h('div', { class: 'cards' });
  const status = h('div', { class: 'status-line' });
  const made = h('div', { class: 'workspace-made' });
  const id = h('input', {
    id: 'workspace-id',
    name: 'id',
    required: true,
    placeholder: 'harbour-lane',
    autocomplete: 'off',
  });
  const name = h('input', {
    id: 'workspace-name',
    name: 'name',
    required: true,
    placeholder: 'Harbour Lane Studio',
  });
  const currency = h('input', {
    id: 'workspace-currency',
    name: 'currency',
    value: 'GBP',
    maxlength: 3,
    size: 4,
  });
  const create = h('button', { type: 'submit' }, 'Make workspace');
  const form = h(
    'form',
    { class: 'card workspace-form' },
    h('h2', {}, 'A new workspace'),
    h(
      'p',
      { class: 'hint' },
      'One per business you look after. It gets this hub’s adapters, none connected.',
    ),
    h('label', { for: 'workspace-id' }, 'Id (lower-case letters, digits, hyphens)'),
    id,
    h('label', { for: 'workspace-name' }, 'Business name'),
    name,
    h('label', { for: 'workspace-currency' }, 'Currency'),
    currency,
    create,
  );

  const load = async () => {
    try {
      const { workspaces } = await gql<{ workspaces: Workspace[] }>(LIST);
      if (stopped) return;
      fill(list, workspaces.map(card));
      // Only the studio's operators (signed in to the environment's workspace) may make workspaces.
      form.hidden = !workspaces.some((w) => w.current && w.origin === 'ENVIRONMENT');
    } catch (error) {
      fill(status, notice('error', messageOf(error)));
    }
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    create.disabled = true;
    fill(status, notice('info', `Making ${id.value.trim()}…`));
    gql<{ createWorkspace: { operatorKey: string; workspace: Workspace } }>(CREATE, {
      input: { id: id.value.trim(), name: name.value.trim(), currency: currency.value.trim() || 'GBP' },
    })
      .then(
        ({ createWorkspace: { operatorKey, workspace } }) => {
          fill(status, notice('ok', `${workspace.name} (${workspace.id}) is served from now on.`));
          const key = h('input', { id: 'workspace-key', readonly: true, value: operatorKey, class: 'mono' });
          fill(
            made,
            h(
              'section',
              { class: 'card' },
              h('h2', {}, `${workspace.name}: its operator key`),
              h(
                'p',
                {},
                'Store it now (a password manager): it is shown this once. It signs in to that workspace’s console.',
              ),
              key,
              h(
                'button',
                {
                  type: 'button',
                  id: 'workspace-sign-in',
                  onclick: () => session.switchTo(operatorKey),
                },
                `Sign in to ${workspace.name} and connect its systems`,
              ),
            ),
          );
          form.reset();
          void load();
        },
        (error: unknown) => fill(status, notice('error', messageOf(error))),
      )
      .finally(() => (create.disabled = false));
  });

  fill(root, h('h1', {}, 'Workspaces'), status, made, list, form);
  void load();
  return () => {
    stopped = true;
  };
};
