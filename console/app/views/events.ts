import { subscribe } from '../api.ts';
import { fill, h, notice } from '../dom.ts';
import type { View } from '../main.ts';

const TYPES = [
  'CUSTOMER_CHANGED',
  'BOOKING_CHANGED',
  'ORDER_CHANGED',
  'PAYMENT_RECEIVED',
  'INVOICE_CHANGED',
  'SYNC_ISSUE_RAISED',
  'OPERATION_UPDATED',
] as const;

interface LiveEvent {
  id: string;
  type: string;
  occurredAt: string;
  source: string | null;
  customer: { id: string; displayName: string | null } | null;
  booking: { title: string | null; status: string } | null;
  order: { status: string; amount: { formatted: string } } | null;
  invoice: { number: string | null; status: string } | null;
  syncIssue: { kind: string; field: string | null } | null;
  operation: { kind: string; state: string } | null;
}

const QUERY = `subscription ConsoleEvents($types: [EventType!]) {
  events(types: $types) {
    id type occurredAt source
    customer { id displayName }
    booking { title status }
    order { status amount { formatted } }
    invoice { number status }
    syncIssue { kind field }
    operation { kind state }
  }
}`;

/** Rows kept on the page; older ones drop off the bottom. */
const KEEP = 200;

const summary = (e: LiveEvent) =>
  e.booking
    ? `${e.booking.title ?? 'booking'} — ${e.booking.status}`
    : e.order
      ? `${e.order.amount.formatted} — ${e.order.status}`
      : e.invoice
        ? `invoice ${e.invoice.number ?? ''} — ${e.invoice.status}`
        : e.syncIssue
          ? `${e.syncIssue.kind}${e.syncIssue.field ? ` (${e.syncIssue.field})` : ''}`
          : e.operation
            ? `${e.operation.kind} — ${e.operation.state}`
            : '';

export const eventsView: View = (root, params) => {
  const type = h(
    'select',
    { id: 'event-type', 'aria-label': 'Event type' },
    h('option', { value: '' }, 'All types'),
    TYPES.map((t) => h('option', { value: t, selected: params.get('type') === t }, t)),
  );
  const customer = h('input', {
    id: 'event-customer',
    type: 'search',
    placeholder: 'Customer name or id',
    'aria-label': 'Customer',
    value: params.get('customer') ?? '',
  });
  const status = h('div', { class: 'status-line' });
  const rows = h('tbody');
  const table = h(
    'table',
    { class: 'events' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Received', 'Type', 'System', 'Customer', 'What'].map((c) => h('th', {}, c)),
      ),
    ),
    rows,
  );
  fill(
    root,
    h('h1', {}, 'Live events'),
    h('div', { class: 'filters' }, type, customer),
    status,
    h('div', { class: 'scroll' }, table),
  );
  const matches = (e: LiveEvent) => {
    const wanted = customer.value.trim().toLowerCase();
    if (!wanted) return true;
    return (
      e.customer !== null &&
      (e.customer.id.toLowerCase() === wanted ||
        (e.customer.displayName ?? '').toLowerCase().includes(wanted))
    );
  };
  let stream: { close(): void } | undefined;
  const open = () => {
    stream?.close();
    fill(status, h('p', { class: 'hint' }, 'Listening for events…'));
    stream = subscribe<{ events: LiveEvent }>(
      QUERY,
      { types: type.value ? [type.value] : null },
      ({ events: e }) => {
        fill(status, h('p', { class: 'hint' }, 'Live.'));
        if (!matches(e)) return;
        const row = h(
          'tr',
          { 'data-type': e.type, 'data-event-id': e.id, 'data-shown-at': Date.now() },
          h('td', {}, new Date().toLocaleTimeString()),
          h('td', {}, e.type),
          h('td', {}, e.source ?? 'hub'),
          h(
            'td',
            {},
            e.customer
              ? h(
                  'a',
                  { href: `#/customers?id=${encodeURIComponent(e.customer.id)}` },
                  e.customer.displayName ?? e.customer.id,
                )
              : '—',
          ),
          h('td', {}, summary(e)),
        );
        rows.prepend(row);
        while (rows.rows.length > KEEP) rows.deleteRow(-1);
      },
      (error) => fill(status, notice('error', error.message)),
    );
  };
  type.addEventListener('change', open);
  open();
  return () => stream?.close();
};
