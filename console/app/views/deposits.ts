import { gql } from '../api.ts';
import { fill, h, messageOf, notice, when } from '../dom.ts';
import type { View } from '../main.ts';

interface DepositLink {
  url: string;
  status: 'OPEN' | 'PAID' | 'EXPIRED';
  reference: string;
  createdAt: string;
  expiresAt: string;
  paidAt: string | null;
  amount: { formatted: string };
  booking: { title: string; start: string; status: string } | null;
  operation: { kind: string; state: string } | null;
}

const LINKS = `query ConsoleDepositLinks($status: [DepositLinkStatus!]) { depositLinks(status: $status, first: 200) {
  url status reference createdAt expiresAt paidAt amount { formatted }
  booking { title start status } operation { kind state } } }`;

const STATUSES = ['OPEN', 'PAID', 'EXPIRED'] as const;

/** What became of a link, in the operator's words. */
function outcome(link: DepositLink): string {
  if (link.status === 'PAID') {
    const op = link.operation;
    return op?.state === 'COMPLETED'
      ? 'booking confirmed, invoice paid, CRM moved on'
      : `being settled (${op?.kind ?? 'depositPaid'} ${op?.state ?? 'not started'})`;
  }
  if (link.status === 'EXPIRED')
    return link.operation
      ? `not paid; held slot let go (${link.operation.state.toLowerCase()})`
      : 'not paid by its expiry';
  return new Date(link.expiresAt) < new Date()
    ? 'past its expiry; waiting for the payments system to say so'
    : 'waiting for the customer';
}

/**
 * Deposit links: every link a website's enquiry or `requestDeposit` made, with what became of it, so
 * an abandoned deposit (expired unpaid) or a payment still being settled is seen, not only the paid.
 */
export const depositsView: View = (root, params) => {
  const status = h('div', { class: 'status-line' });
  const filter = h(
    'select',
    { id: 'deposit-status', 'aria-label': 'Deposit status' },
    h('option', { value: '' }, 'Every status'),
    STATUSES.map((s) => h('option', { value: s, selected: params.get('status') === s }, s)),
  );
  const body = h('tbody', { id: 'deposit-links' });
  fill(
    root,
    h('h1', {}, 'Deposits ', filter),
    h(
      'p',
      { class: 'hint' },
      'Links for customers to pay a booking’s deposit: open ones waiting, paid ones and what the hub did about them, and abandoned ones that expired unpaid.',
    ),
    status,
    h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        {},
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['Status', 'Reference', 'Amount', 'Booking', 'Asked', 'Expires / paid', 'Outcome'].map((t) =>
              h('th', { scope: 'col' }, t),
            ),
          ),
        ),
        body,
      ),
    ),
  );
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const load = async () => {
    try {
      const chosen = filter.value;
      const { depositLinks } = await gql<{ depositLinks: DepositLink[] }>(LINKS, {
        status: chosen ? [chosen] : null,
      });
      if (stopped) return;
      fill(
        body,
        depositLinks.length === 0
          ? h('tr', {}, h('td', { colspan: 7 }, 'No deposit links yet.'))
          : depositLinks.map((link) =>
              h(
                'tr',
                { 'data-status': link.status, 'data-reference': link.reference },
                h('td', {}, h('span', { class: `state state-${link.status.toLowerCase()}` }, link.status)),
                h('td', {}, h('code', {}, link.reference)),
                h('td', {}, link.amount.formatted),
                h(
                  'td',
                  {},
                  link.booking
                    ? `${link.booking.title}, ${new Date(link.booking.start).toLocaleString()} (${link.booking.status})`
                    : '—',
                ),
                h('td', {}, when(link.createdAt)),
                h('td', {}, link.status === 'PAID' ? when(link.paidAt) : when(link.expiresAt)),
                h('td', { class: 'outcome' }, outcome(link)),
              ),
            ),
      );
      fill(status);
    } catch (error) {
      if (!stopped) fill(status, notice('error', messageOf(error)));
    }
    if (!stopped) timer = setTimeout(() => void load(), 5_000);
  };
  filter.addEventListener('change', () => {
    history.replaceState(null, '', `#/deposits${filter.value ? `?status=${filter.value}` : ''}`);
    clearTimeout(timer);
    void load();
  });
  void load();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
};
