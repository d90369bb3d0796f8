/**
 * The connection map: for each GraphQL type and field, where its value comes from in each adapter;
 * each webhook taken and what it sets off; each sync rule; each write's steps with the vendor
 * requests and what makes a retry safe; each vendor's limits. Built from what the code declares and
 * uses (vendor modules' `connections`, the operation kinds' steps, the sync rules, the limits the
 * upstream policy enforces), so it cannot drift from the code: `npm run generate` writes it to
 * docs/CONNECTIONS.md (CI checks it is current) and operators read it as `connectionMapMarkdown`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { SETTLEMENT_OPERATIONS } from '../deposits/deposits.ts';
import { fileURLToPath } from 'node:url';
import { buildSchema, type GraphQLObjectType } from 'graphql';
import type { AccountingInvoice, CalendarEvent, CrmContact, PaymentOrder } from '../domain/model.ts';
import type { RecordKind, VendorField, VendorRequest } from '../domain/connections.ts';
import { ROLES, type AnySourceModule, type Role } from '../domain/source-module.ts';
import type { Change } from '../webhooks/types.ts';
import type { EventType } from '../events/types.ts';
import type { Booking, Customer, Invoice, Order } from './resolvers-types.generated.ts';
import { SOURCE_MODULES } from '../../sources/registry.ts';
import { operationKinds } from '../operations/kinds/index.ts';
import { SYNC_RULE_EFFECTS, SYNC_RULES } from '../sync/rules.ts';

/** Where a GraphQL field's value comes from: a field (or fields) of the domain record, or the hub. */
type GraphSource<F extends string> = { field: F | readonly F[]; how?: string } | { hub: string };
type GraphFields<T, F extends string> = { readonly [K in Exclude<keyof T, '__typename'>]-?: GraphSource<F> };

const field = <F extends string>(name: F | readonly F[], how?: string) => ({ field: name, how });
const hub = (how: string) => ({ hub: how });

const CUSTOMER: GraphFields<Customer, keyof CrmContact> = {
  id: hub("the hub's customer id (one per person across systems), as a global id"),
  displayName: field('name', 'else the name the hub stored when it met the customer'),
  firstName: field('firstName'),
  lastName: field('lastName'),
  email: field('email', 'else the email the hub matched the customer by'),
  phone: field('phone'),
  company: field('company'),
  lifecycleStage: field('lifecycleStage', 'a CRM field: null when the details come from another role'),
  links: field(['externalId', 'url'], "one per system holding the customer (the hub's link rows)"),
  updatedAt: field('updatedAt'),
  bookings: hub("the calendar's events with the customer's email among the attendees"),
  orders: hub("the payment system's orders of the linked payment customer (linked by email when first met)"),
  invoices: hub("the accounting system's invoices of the linked contact (linked by email when first met)"),
  outstandingBalance: hub('the sum of `amountDue` over SUBMITTED and AUTHORISED invoices'),
  lifetimeValue: hub('the sum of `amountReceived` less `amountRefunded` over SUCCEEDED orders'),
  syncIssues: hub("the hub's open sync issues about the customer"),
};

const BOOKING: GraphFields<Booking, keyof CalendarEvent> = {
  id: field('externalId', 'as a global id with the system'),
  title: field('title'),
  status: field('status'),
  start: field('start'),
  end: field('end'),
  location: field('location'),
  serviceCode: field('serviceCode'),
  attendeeEmails: field('attendeeEmails'),
  customer: field('attendeeEmails', 'the first attendee whose email is a known customer (hub)'),
  links: field(['externalId', 'url']),
  updatedAt: field('updatedAt'),
};

const ORDER: GraphFields<Order, keyof PaymentOrder> = {
  id: field('externalId', 'as a global id with the system'),
  description: field('description'),
  status: field('status'),
  amount: field('amount'),
  amountReceived: field('amountReceived'),
  amountRefunded: field('amountRefunded'),
  refunds: field('refunds'),
  customer: field('customerExternalId', 'the customer linked to that payment customer (hub)'),
  invoiceNumber: field('invoiceNumber'),
  links: field(['externalId', 'url']),
  createdAt: field('createdAt'),
};

const INVOICE: GraphFields<Invoice, keyof AccountingInvoice> = {
  id: field('externalId', 'as a global id with the system'),
  number: field('number'),
  status: field('status'),
  reference: field('reference'),
  issuedOn: field('issuedOn'),
  dueOn: field('dueOn'),
  overdue: field(
    ['amountDue', 'status', 'dueOn'],
    'money due on an AUTHORISED invoice due before today (hub)',
  ),
  lines: field('lines'),
  subTotal: field('subTotal'),
  totalTax: field('totalTax'),
  total: field('total'),
  amountDue: field('amountDue'),
  amountPaid: field('amountPaid'),
  payments: field('payments'),
  customer: field('contactExternalId', 'the customer linked to that contact (hub)'),
  links: field(['externalId', 'url']),
  updatedAt: field('updatedAt'),
};

/** The GraphQL types read from vendor records: the record each is backed by and the roles holding it. */
export const GRAPH_TYPES = [
  {
    type: 'Customer',
    record: 'person',
    roles: ['crm', 'payments', 'accounting'],
    note: "Contact details come from the CRM's record when the customer has one, else the payment system's, else the accounting system's.",
    fields: CUSTOMER,
  },
  { type: 'Booking', record: 'event', roles: ['calendar'], fields: BOOKING },
  { type: 'Order', record: 'order', roles: ['payments'], fields: ORDER },
  { type: 'Invoice', record: 'invoice', roles: ['accounting'], fields: INVOICE },
] as const satisfies ReadonlyArray<{
  type: string;
  record: RecordKind;
  roles: readonly Role[];
  note?: string;
  fields: Record<string, GraphSource<string>>;
}>;

/** What the hub does with each kind of change a webhook reports (src/webhooks/processor.ts). */
export const CHANGE_EFFECTS: Readonly<
  Record<Change['kind'], { events: readonly EventType[]; succeeded?: readonly EventType[]; does: string }>
> = {
  person: {
    events: ['CUSTOMER_CHANGED'],
    does: 'reads the record back, links it to a customer by email (or unlinks it when deleted)',
  },
  paymentLink: {
    events: [],
    does: 'reads the link back; a deposit link the hub made is settled: paid, it confirms the booking, invoices the deposit as paid and moves the CRM contact on (operation depositPaid); expired, it lets a held slot go (releaseHold)',
  },
  order: {
    events: ['ORDER_CHANGED'],
    succeeded: ['PAYMENT_RECEIVED'],
    does: 'reads the payment back; PAYMENT_RECEIVED too when it succeeded',
  },
  invoice: { events: ['INVOICE_CHANGED'], does: 'reads the invoice back' },
  calendar: {
    events: ['BOOKING_CHANGED'],
    does: 'runs an incremental sync of the calendar; one event per changed booking',
  },
};

/** A vendor field as the map shows it. */
export interface MappedField {
  paths: string[];
  how?: string;
  /** The vendor holds no such thing (why). */
  none?: string;
  /** Made by the adapter or the hub, not read from the record (how). */
  made?: string;
}

export interface ConnectionMap {
  adapters: Array<{ id: string; label: string; role: Role }>;
  types: Array<{
    type: string;
    record: RecordKind;
    adapters: string[];
    note?: string;
    fields: Array<{
      field: string;
      /** The domain record's fields it is made from; empty when the hub computes it. */
      from: string[];
      how?: string;
      hub?: string;
      /** Per adapter: where the value comes from (absent for hub fields). */
      sources: Record<string, MappedField[]>;
    }>;
  }>;
  /** Port reads besides the records (free/busy), per adapter. */
  reads: Array<{ adapter: string; call: string; requests: VendorRequest[]; note: string }>;
  webhooks: Array<{
    adapter: string;
    path: string | null;
    subscription: string;
    events: Array<{
      event: string;
      changes: string[];
      flags: string[];
      note?: string;
      domainEvents: string[];
    }>;
  }>;
  changeEffects: Array<{ change: string; does: string; domainEvents: string[] }>;
  syncRules: Array<{ rule: string; trigger: string; when: string; operation: string }>;
  operations: Array<{
    operation: string;
    /** The GraphQL mutation that starts it, or the sync rules that do. */
    startedBy: string[];
    steps: Array<{
      step: string;
      role: Role;
      /** The port writes the step makes (and makes to undo itself). */
      calls: string[];
      undo: string[];
      adapters: Record<string, Array<{ call: string; requests: VendorRequest[]; idempotency: string }>>;
    }>;
  }>;
  limits: Array<{
    adapter: string;
    when: string;
    docs: string;
    windows: Array<{ name: string; limit: number; per: string; operations?: string[] }>;
    concurrency?: number;
    observes: boolean;
  }>;
}

const SCHEMA_DIR = fileURLToPath(new URL('../../schema/', import.meta.url));

/** The SDL files (read here rather than through the executable schema, which needs the resolvers). */
const schemaFiles = () =>
  readdirSync(SCHEMA_DIR)
    .filter((f) => f.endsWith('.graphql'))
    .sort()
    .map((f) => readFileSync(`${SCHEMA_DIR}${f}`, 'utf8'));

const asList = <T>(value: T | readonly T[]): T[] => (Array.isArray(value) ? [...value] : [value as T]);

function mapped(value: VendorField | undefined): MappedField {
  if (value === undefined) return { paths: [], none: 'not in this role’s records' };
  if (typeof value === 'string') return { paths: [value] };
  if ('none' in value) return { paths: [], none: value.none };
  if ('adapter' in value) return { paths: [], made: value.adapter };
  return { paths: [...value.from], how: value.how };
}

function recordOf(module: AnySourceModule, kind: RecordKind): Record<string, VendorField> | undefined {
  const records = module.connections?.records as Record<string, Record<string, VendorField>> | undefined;
  return records?.[kind];
}

/** The port methods a function calls on the role's source (`sources.crm.updateContact(`, `payments.refundOrder(`). */
function portCalls(fn: ((...args: never[]) => unknown) | undefined, methods: readonly string[]): string[] {
  if (!fn) return [];
  const text = fn.toString();
  return methods.filter((m) => new RegExp(`\\.${m}\\(`).test(text));
}

const duration = (ms: number) =>
  ms % 86_400_000 === 0
    ? `${ms / 86_400_000 === 1 ? '' : `${ms / 86_400_000} `}day`
    : ms % 60_000 === 0
      ? `${ms / 60_000 === 1 ? '' : `${ms / 60_000} `}minute`
      : `${ms / 1000 === 1 ? '' : `${ms / 1000} `}second${ms / 1000 === 1 ? '' : 's'}`;

/**
 * The map, from the registry's modules (all of them, whichever a workspace binds) and the SDL in
 * schema/ (tests pass others). A field of a mapped type without an entry in `GRAPH_TYPES` throws.
 */
export function connectionMap(
  options: { modules?: readonly AnySourceModule[]; typeDefs?: readonly string[] } = {},
): ConnectionMap {
  const modules = options.modules ?? SOURCE_MODULES;
  const schema = buildSchema((options.typeDefs ?? schemaFiles()).join('\n'));
  const adaptersOf = (roles: readonly Role[]) =>
    ROLES.filter((r) => roles.includes(r)).flatMap((r) => modules.filter((m) => m.role === r));

  const types = GRAPH_TYPES.map((t) => {
    const adapters = adaptersOf(t.roles);
    const declared = t.fields as Record<string, GraphSource<string>>;
    // The SDL's order, so the map reads like the schema.
    const names = Object.keys((schema.getType(t.type) as GraphQLObjectType).getFields());
    return {
      type: t.type,
      record: t.record,
      adapters: adapters.map((m) => m.id),
      ...('note' in t ? { note: t.note } : {}),
      fields: names.map((name) => {
        const source = declared[name];
        if (!source)
          throw new Error(`${t.type}.${name} has no entry in GRAPH_TYPES (src/graph/connection-map.ts)`);
        if ('hub' in source) return { field: name, from: [], hub: source.hub, sources: {} };
        const from = asList(source.field);
        return {
          field: name,
          from,
          ...(source.how ? { how: source.how } : {}),
          sources: Object.fromEntries(
            adapters.map((m) => [m.id, from.map((f) => mapped(recordOf(m, t.record)?.[f]))]),
          ),
        };
      }),
    };
  });

  const mutations = new Set(Object.keys(schema.getMutationType()?.getFields() ?? {}));
  const operations = operationKinds.map((kind) => ({
    operation: kind.kind,
    startedBy: [
      ...(mutations.has(kind.kind) ? [`mutation ${kind.kind}`] : []),
      ...SYNC_RULES.filter((r) => SYNC_RULE_EFFECTS[r].operation === kind.kind).map((r) => `sync rule ${r}`),
      ...(SETTLEMENT_OPERATIONS[kind.kind] ? [SETTLEMENT_OPERATIONS[kind.kind]!] : []),
    ],
    steps: Object.entries(kind.steps).map(([step, definition]) => {
      const bound = modules.filter((m) => m.role === definition.role);
      const methods = [
        ...new Set(bound.flatMap((m) => Object.keys(m.connections?.writes ?? {}))),
      ] as string[];
      const calls = portCalls(definition.run, methods);
      const undo = portCalls(definition.compensate, methods);
      return {
        step,
        role: definition.role,
        calls,
        undo,
        adapters: Object.fromEntries(
          bound.map((m) => {
            const writes = (m.connections?.writes ?? {}) as Record<
              string,
              { requests: readonly VendorRequest[]; idempotency: string }
            >;
            return [
              m.id,
              [...calls, ...undo].flatMap((call) => {
                const write = writes[call];
                return write ? [{ call, requests: [...write.requests], idempotency: write.idempotency }] : [];
              }),
            ];
          }),
        ),
      };
    }),
  }));

  return {
    adapters: modules.map((m) => ({ id: m.id, label: m.label, role: m.role })),
    types,
    reads: modules.flatMap((m) =>
      (m.connections?.reads ?? []).map((r) => ({
        adapter: m.id,
        call: r.call,
        requests: [...r.requests],
        note: r.note,
      })),
    ),
    webhooks: modules.map((m) => ({
      adapter: m.id,
      path: m.webhooks ? `/webhooks/${m.webhooks.path}` : null,
      subscription: m.connections?.webhooks.subscription ?? 'not declared',
      events: (m.connections?.webhooks.events ?? []).map((e) => ({
        event: e.event,
        changes: [...e.changes],
        flags: [...(e.flags ?? [])],
        ...(e.note ? { note: e.note } : {}),
        domainEvents: [
          ...new Set(
            e.changes.flatMap((c) => [
              ...CHANGE_EFFECTS[c].events,
              ...(e.flags?.includes('succeeded') ? (CHANGE_EFFECTS[c].succeeded ?? []) : []),
            ]),
          ),
        ],
      })),
    })),
    changeEffects: Object.entries(CHANGE_EFFECTS).map(([change, effect]) => ({
      change,
      does: effect.does,
      domainEvents: [...effect.events, ...(effect.succeeded ?? []).map((e) => `${e} (when succeeded)`)],
    })),
    syncRules: SYNC_RULES.map((rule) => ({ rule, ...SYNC_RULE_EFFECTS[rule] })),
    operations,
    limits: modules.flatMap((m) =>
      (m.connections?.limits ?? []).map(({ when, limits }) => ({
        adapter: m.id,
        when,
        docs: limits.docs,
        windows: limits.windows.map((w) => ({
          name: w.name,
          limit: w.limit,
          per: duration(w.windowMs),
          ...(w.operations ? { operations: [...w.operations] } : {}),
        })),
        ...(limits.concurrency ? { concurrency: limits.concurrency } : {}),
        observes: Boolean(limits.observe),
      })),
    ),
  };
}

const code = (text: string) => `\`${text}\``;
/** A table cell: no pipes or line breaks inside. */
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

const showRequests = (requests: readonly VendorRequest[]) =>
  requests.map((r) => `${code(`${r.method} ${r.path}`)} ([docs](${r.docs}))`).join('<br>');

function showField(f: MappedField): string {
  if (f.none) return `— (${f.none})`;
  if (f.made) return `adapter: ${f.made}`;
  const paths = f.paths.map(code).join(' + ');
  return f.how ? `${paths} (${f.how})` : paths;
}

const table = (head: string[], rows: string[][]) =>
  [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');

/** The map as Markdown: what docs/CONNECTIONS.md holds and the console shows. */
export function connectionMapMarkdown(map: ConnectionMap = connectionMap()): string {
  const label = (id: string) => map.adapters.find((a) => a.id === id)?.label ?? id;
  const out: string[] = [
    '# Connections',
    '',
    '<!-- Generated from the code by `npm run generate` (src/graph/connection-map.ts): edit the code, not this file. -->',
    '',
    'How every GraphQL field, webhook, sync rule, write and rate limit connects to each vendor, generated from what the code declares and uses: the vendor modules (`sources/<vendor>/connections.ts`, whose field paths a test checks against the mappers on recorded records), the operation kinds, the sync rules and the limits the hub enforces. Operators can read the same text from the API (`connectionMapMarkdown`).',
    '',
    '**Adapters:** ' + map.adapters.map((a) => `${a.label} (${code(a.id)}, ${a.role})`).join(', ') + '.',
    '',
    'In the field tables, `hub` means the hub computes the value (from its own tables or other fields); `adapter:` means the adapter makes it (a link into the vendor’s app), not read from the record; `—` means the vendor holds no such thing.',
    '',
    '## Fields',
  ];
  for (const t of map.types) {
    out.push('', `### ${t.type}`, '');
    if (t.note) out.push(t.note, '');
    out.push(
      table(
        ['field', 'record field', ...t.adapters.map(label)],
        t.fields.map((f) =>
          f.hub
            ? [code(f.field), `hub: ${f.hub}`, ...t.adapters.map(() => 'hub')]
            : [
                code(f.field),
                f.from.map(code).join(', ') + (f.how ? ` (${f.how})` : ''),
                ...t.adapters.map((a) => (f.sources[a] ?? []).map(showField).join('; ')),
              ],
        ),
      ),
    );
  }

  if (map.reads.length > 0) {
    out.push(
      '',
      '## Other reads',
      '',
      'Reads that are not a record’s fields, each through the same upstream policy as the others.',
      '',
      table(
        ['adapter', 'call', 'requests', 'what for'],
        map.reads.map((r) => [label(r.adapter), code(r.call), showRequests(r.requests), r.note]),
      ),
    );
  }

  out.push('', '## Webhooks', '');
  out.push(
    'Every delivery is verified, stored in the inbox once (by the vendor’s event id) and answered; the inbox then processes it. What each kind of change sets off:',
    '',
    table(
      ['change', 'the hub', 'domain events'],
      map.changeEffects.map((c) => [code(c.change), c.does, c.domainEvents.map(code).join(', ')]),
    ),
  );
  for (const w of map.webhooks) {
    out.push(
      '',
      `### ${label(w.adapter)}${w.path ? ` (${code(w.path)})` : ''}`,
      '',
      `Subscription: ${w.subscription}.`,
      '',
    );
    out.push(
      table(
        ['event', 'changes', 'note', 'domain events'],
        w.events.map((e) => [
          code(e.event),
          e.changes.length
            ? `${e.changes.map(code).join(', ')}${e.flags.length ? ` (${e.flags.join(', ')})` : ''}`
            : 'none',
          e.note ?? '',
          e.domainEvents.map(code).join(', ') || '–',
        ]),
      ),
    );
  }

  out.push(
    '',
    '## Sync rules',
    '',
    'Each runs as a write operation keyed by the vendor event that set it off, so a replayed event never writes twice (switch one off with `SWITCHBOARD_SYNC_RULES_OFF`).',
    '',
    table(
      ['rule', 'trigger', 'when', 'effect'],
      map.syncRules.map((r) => [code(r.rule), code(r.trigger), r.when, `operation ${code(r.operation)}`]),
    ),
  );

  out.push(
    '',
    '## Writes',
    '',
    'Each mutation is an operation of steps, one system each, stored before it runs and retried with the step’s own idempotency key; a step that fails for good undoes the steps before it where they can be undone. Steps run only when the input needs them (a deposit, a linked CRM contact).',
  );
  for (const op of map.operations) {
    out.push(
      '',
      `### ${code(op.operation)}`,
      '',
      `Started by: ${op.startedBy.join(', ') || 'nothing yet'}.`,
      '',
    );
    const rows: string[][] = [];
    for (const step of op.steps) {
      for (const [adapter, calls] of Object.entries(step.adapters)) {
        for (const c of calls) {
          rows.push([
            code(step.step),
            `${label(adapter)}${step.undo.includes(c.call) && !step.calls.includes(c.call) ? ' (undo)' : ''}`,
            code(c.call),
            showRequests(c.requests),
            c.idempotency,
          ]);
        }
      }
    }
    out.push(table(['step', 'adapter', 'call', 'requests', 'idempotency'], rows));
  }

  out.push(
    '',
    '## Limits',
    '',
    'The upstream policy keeps each workspace under these (a shared budget across replicas with Redis); where the vendor reports what is left, the budget follows it.',
    '',
    table(
      ['adapter', 'applies', 'windows', 'at once', 'follows vendor headers', 'docs'],
      map.limits.map((l) => [
        label(l.adapter),
        l.when,
        l.windows
          .map(
            (w) =>
              `${w.limit.toLocaleString('en-GB')} per ${w.per}${w.operations ? ` (${w.operations.map(code).join(', ')})` : ''}`,
          )
          .join('; '),
        l.concurrency ? String(l.concurrency) : '–',
        l.observes ? 'yes' : 'no',
        l.docs,
      ]),
    ),
  );
  return `${out.join('\n')}\n`;
}
