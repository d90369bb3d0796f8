import { gql } from '../api.ts';
import { fill, h, messageOf, notice, when } from '../dom.ts';
import type { View } from '../main.ts';

interface CustomerRow {
  id: string;
  displayName: string | null;
  email: string | null;
  phone: string | null;
  company: string | null;
}
interface Customer extends CustomerRow {
  lifecycleStage: string | null;
  updatedAt: string | null;
  links: { system: string; externalId: string; url: string | null }[];
  syncIssues: { kind: string; field: string | null; message: string }[];
  bookings: { edges: { node: { title: string | null; start: string; status: string } }[] } | null;
  orders: {
    edges: { node: { description: string | null; status: string; amount: { formatted: string } } }[];
  } | null;
  invoices: {
    edges: {
      node: {
        number: string | null;
        status: string;
        total: { formatted: string };
        amountDue: { formatted: string };
      };
    }[];
  } | null;
  outstandingBalance: { formatted: string } | null;
  lifetimeValue: { formatted: string } | null;
}

const SEARCH = `query ConsoleCustomers($search: String, $after: String) {
  customers(search: $search, first: 25, after: $after) {
    edges { node { id displayName email phone company } }
    pageInfo { hasNextPage endCursor }
  }
}`;
const ONE = `query ConsoleCustomer($id: ID!) {
  customer(id: $id) {
    id displayName email phone company lifecycleStage updatedAt
    links { system externalId url }
    syncIssues { kind field message }
    bookings(first: 10) { edges { node { title start status } } }
    orders(first: 10) { edges { node { description status amount { formatted } } } }
    invoices(first: 10) { edges { node { number status total { formatted } amountDue { formatted } } } }
    outstandingBalance { formatted }
    lifetimeValue { formatted }
  }
}`;

const list = <T>(title: string, rows: T[] | undefined, cells: (row: T) => string[]) =>
  h(
    'section',
    { class: 'card' },
    h('h3', {}, title),
    rows && rows.length
      ? h(
          'ul',
          {},
          rows.map((r) => h('li', {}, cells(r).join(' · '))),
        )
      : h('p', { class: 'hint' }, 'None.'),
  );

function detail(root: HTMLElement, id: string) {
  fill(root, h('p', { class: 'hint' }, 'Loading the customer…'));
  gql<{ customer: Customer | null }>(ONE, { id }).then(
    ({ customer: c }) => {
      if (!c) return fill(root, notice('error', `No customer ${id}.`));
      fill(
        root,
        h('p', {}, h('a', { href: '#/customers' }, '← All customers')),
        h('h1', {}, c.displayName ?? c.id),
        h(
          'dl',
          { class: 'facts' },
          [
            ['Email', c.email],
            ['Phone', c.phone],
            ['Company', c.company],
            ['Stage', c.lifecycleStage],
            ['Outstanding', c.outstandingBalance?.formatted],
            ['Lifetime value', c.lifetimeValue?.formatted],
            ['Updated', when(c.updatedAt)],
          ].flatMap(([k, v]) => [h('dt', {}, k ?? ''), h('dd', {}, v ?? '—')]),
        ),
        h(
          'section',
          { class: 'card' },
          h('h3', {}, 'In each system'),
          h(
            'ul',
            { class: 'links' },
            c.links.map((l) =>
              h(
                'li',
                { 'data-system': l.system },
                h('strong', {}, l.system),
                ' ',
                h('span', { class: 'mono' }, l.externalId),
                ' ',
                l.url
                  ? h('a', { href: l.url, target: '_blank', rel: 'noopener noreferrer' }, 'open in vendor')
                  : null,
              ),
            ),
          ),
        ),
        c.syncIssues.length
          ? h(
              'section',
              { class: 'card' },
              h('h3', {}, 'Sync issues'),
              h(
                'ul',
                {},
                c.syncIssues.map((s) =>
                  h('li', {}, `${s.kind}${s.field ? ` (${s.field})` : ''}: ${s.message}`),
                ),
              ),
              h('a', { href: '#/sync-issues' }, 'Resolve them'),
            )
          : null,
        h(
          'div',
          { class: 'cards' },
          list(
            'Bookings',
            c.bookings?.edges.map((e) => e.node),
            (b) => [b.title ?? 'booking', new Date(b.start).toLocaleString(), b.status],
          ),
          list(
            'Payments',
            c.orders?.edges.map((e) => e.node),
            (o) => [o.description ?? 'payment', o.amount.formatted, o.status],
          ),
          list(
            'Invoices',
            c.invoices?.edges.map((e) => e.node),
            (i) => [i.number ?? 'invoice', i.total.formatted, i.status, `due ${i.amountDue.formatted}`],
          ),
        ),
      );
    },
    (error: unknown) => fill(root, notice('error', messageOf(error))),
  );
}

export const customersView: View = (root, params) => {
  const id = params.get('id');
  if (id) {
    detail(root, id);
    return () => {};
  }
  const input = h('input', {
    id: 'customer-search',
    type: 'search',
    placeholder: 'Name, email, phone or company',
    'aria-label': 'Search customers',
    value: params.get('search') ?? '',
  });
  const results = h('div', { id: 'customer-results' });
  const more = h('button', { type: 'button', hidden: true }, 'More');
  let after: string | null = null;
  const run = async (append: boolean) => {
    try {
      const search = input.value.trim() || null;
      const { customers } = await gql<{
        customers: {
          edges: { node: CustomerRow }[];
          pageInfo: { hasNextPage: boolean; endCursor: string | null };
        };
      }>(SEARCH, { search, after: append ? after : null });
      const rows = customers.edges.map(({ node: c }) =>
        h(
          'tr',
          {},
          h('td', {}, h('a', { href: `#/customers?id=${encodeURIComponent(c.id)}` }, c.displayName ?? c.id)),
          h('td', {}, c.email ?? ''),
          h('td', {}, c.phone ?? ''),
          h('td', {}, c.company ?? ''),
        ),
      );
      const body = results.querySelector('tbody');
      if (append && body) body.append(...rows);
      else
        fill(
          results,
          rows.length
            ? h(
                'table',
                {},
                h(
                  'thead',
                  {},
                  h(
                    'tr',
                    {},
                    ['Name', 'Email', 'Phone', 'Company'].map((t) => h('th', {}, t)),
                  ),
                ),
                h('tbody', {}, rows),
              )
            : h('p', { class: 'hint' }, 'No customer matches.'),
        );
      after = customers.pageInfo.endCursor;
      more.hidden = !customers.pageInfo.hasNextPage;
    } catch (error) {
      fill(results, notice('error', messageOf(error)));
    }
  };
  const form = h(
    'form',
    {
      class: 'filters',
      onsubmit: (e: Event) => {
        e.preventDefault();
        void run(false);
      },
    },
    input,
    h('button', { type: 'submit' }, 'Search'),
  );
  more.addEventListener('click', () => void run(true));
  fill(root, h('h1', {}, 'Customers'), form, results, more);
  void run(false);
  return () => {};
};
