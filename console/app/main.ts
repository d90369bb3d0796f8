import { EXPIRES_ITEM, gql, HubError, onPartial, onSignedOut, session } from './api.ts';
import { fill, h, notice } from './dom.ts';
import { connectionsView } from './views/connections.ts';
import { eventsView } from './views/events.ts';
import { writesView } from './views/writes.ts';
import { syncIssuesView } from './views/sync-issues.ts';
import { customersView } from './views/customers.ts';
import { mapView } from './views/map.ts';
import { chartsView } from './views/charts.ts';
import { workspacesView } from './views/workspaces.ts';
import { depositsView } from './views/deposits.ts';
import { collectToken, redirectSignIn, signInFailure } from './sign-in.ts';

/** A page of the console: draws into `root`, returns what stops its timers and streams. */
export type View = (root: HTMLElement, params: URLSearchParams) => () => void;

const VIEWS: { path: string; title: string; view: View }[] = [
  { path: 'connections', title: 'Connections', view: connectionsView },
  { path: 'events', title: 'Live events', view: eventsView },
  { path: 'writes', title: 'Writes', view: writesView },
  { path: 'sync-issues', title: 'Sync issues', view: syncIssuesView },
  { path: 'deposits', title: 'Deposits', view: depositsView },
  { path: 'customers', title: 'Customers', view: customersView },
  { path: 'charts', title: 'Charts', view: chartsView },
  { path: 'map', title: 'Connection map', view: mapView },
  { path: 'workspaces', title: 'Workspaces', view: workspacesView },
];

const app = document.getElementById('app')!;
let stopView: (() => void) | undefined;

/** Signing in checks the key against an operator-only field, so a key without the scope is told so here. */
async function signIn(key: string): Promise<void> {
  await gql<{ sources: { system: string }[] }>('query ConsoleSignIn { sources { system } }', {}, key);
  session.set(key);
}

function signInPage(message?: { kind: 'error' | 'info'; text: string }) {
  stopView?.();
  stopView = undefined;
  const input = h('input', {
    id: 'key',
    name: 'key',
    type: 'password',
    autocomplete: 'off',
    required: true,
    placeholder: 'sbk_live_…',
  });
  const status = h('div', { class: 'status-line' }, message ? notice(message.kind, message.text) : null);
  const provider = h('div', { class: 'provider' });
  const form = h(
    'form',
    {
      class: 'sign-in',
      onsubmit: (event: Event) => {
        event.preventDefault();
        const key = input.value.trim();
        fill(status, notice('info', 'Checking the key…'));
        signIn(key).then(
          () => {
            signOutAt(null); // a key does not expire with a provider's token
            route();
          },
          (error: unknown) => {
            const text =
              error instanceof HubError && error.code === 'FORBIDDEN'
                ? 'This key works but is not an operator key: the console needs the `operator` scope (`npm run keys -- create --scopes operator`).'
                : error instanceof HubError && error.signedOut
                  ? `That key was refused: ${error.message}`
                  : error instanceof Error
                    ? error.message
                    : String(error);
            fill(status, notice('error', text));
          },
        );
      },
    },
    h('h1', {}, 'Switchboard console'),
    h('label', { for: 'key' }, 'Operator key'),
    input,
    h('button', { type: 'submit' }, 'Sign in'),
    provider,
    status,
    h(
      'p',
      { class: 'hint' },
      'The key stays in this tab only and is sent to this hub alone. In sandbox mode the development key is printed when the hub starts.',
    ),
  );
  fill(app, form);
  input.focus();
  // A plain link: the hub sends the browser on to the provider (the CSP allows no form to leave).
  void redirectSignIn().then(({ enabled, label }) => {
    if (enabled && label)
      fill(
        provider,
        h('span', {}, 'or'),
        h('a', { class: 'button sign-in-with', href: '/console/login' }, `Sign in with ${label}`),
      );
  });
}

/** Back from the identity provider: `#/signin/<handle>` signs in, `#/signin?error=…` says why not. */
async function returnFromProvider(hash: string): Promise<void> {
  stopView?.();
  stopView = undefined;
  // The handle or the reason is not kept in the address bar or history.
  history.replaceState(null, '', `${location.pathname}#/connections`);
  const [path = '', query = ''] = hash.split('?');
  const handle = /^signin\/([A-Za-z0-9_-]{1,100})$/.exec(path)?.[1];
  if (!handle) {
    const { label } = await redirectSignIn();
    return signInPage({ kind: 'error', text: signInFailure(new URLSearchParams(query), label) });
  }
  fill(app, h('p', { class: 'loading' }, 'Signing in…'));
  try {
    const { token, expiresAt } = await collectToken(handle);
    await signIn(token);
    signOutAt(expiresAt);
    route();
  } catch (error) {
    signInPage({ kind: 'error', text: error instanceof Error ? error.message : String(error) });
  }
}

let expiry: ReturnType<typeof setTimeout> | undefined;
/**
 * A provider's token expires: the page signs out then, saying so, rather than on the next failed
 * call. The time is kept beside the token (this tab only), so a reload keeps the timer.
 */
function signOutAt(expiresAt: string | null) {
  clearTimeout(expiry);
  if (expiresAt) sessionStorage.setItem(EXPIRES_ITEM, expiresAt);
  else sessionStorage.removeItem(EXPIRES_ITEM);
  const left = expiresAt ? Date.parse(expiresAt) - Date.now() : NaN;
  if (!Number.isFinite(left) || left > 2_147_483_647) return;
  expiry = setTimeout(
    () => {
      signOut();
      signInPage({ kind: 'info', text: 'Your sign-in has expired: sign in again.' });
    },
    Math.max(0, left),
  );
}

function signOut() {
  clearTimeout(expiry);
  sessionStorage.removeItem(EXPIRES_ITEM);
  session.clear();
}

function route() {
  const hash = location.hash.replace(/^#\/?/, '');
  if (hash.startsWith('signin')) return void returnFromProvider(hash);
  if (!session.key) return signInPage();
  const [path = 'connections', query = ''] = location.hash.replace(/^#\/?/, '').split('?');
  const current = VIEWS.find((v) => v.path === path) ?? VIEWS[0]!;
  stopView?.();
  const main = h('main', { id: 'view', 'data-view': current.path });
  const nav = h(
    'nav',
    {},
    VIEWS.map((v) => h('a', { href: `#/${v.path}`, 'aria-current': v === current ? 'page' : null }, v.title)),
    h(
      'button',
      {
        class: 'sign-out',
        type: 'button',
        onclick: () => {
          signOut();
          signInPage({ kind: 'info', text: 'Signed out.' });
        },
      },
      'Sign out',
    ),
  );
  fill(app, h('header', {}, h('span', { class: 'brand' }, 'Switchboard'), nav), main);
  document.title = `${current.title} · Switchboard console`;
  stopView = current.view(main, new URLSearchParams(query));
}

onSignedOut((error) => {
  signOut();
  signInPage({ kind: 'error', text: `Signed out: ${error.message}` });
});
onPartial((errors) => {
  const view = document.getElementById('view');
  if (!view) return;
  const messages = [...new Set(errors.map((e) => e.message))].slice(0, 3);
  const line = notice('error', `Part of this page is missing: ${messages.join(' · ')}`);
  line.classList.add('partial');
  view.querySelector(':scope > .partial')?.remove();
  view.prepend(line);
});
window.addEventListener('hashchange', route);
if (session.key) signOutAt(sessionStorage.getItem(EXPIRES_ITEM));
route();
