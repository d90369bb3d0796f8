/**
 * The cross-vendor joins of the Mesh side, as Hive Gateway's `additionalTypeDefs` and
 * `additionalResolvers`: each HubSpot contact gets its Stripe customer (with its payments), its
 * calendar events and its Xero contact (with its invoices), joined by email as a gateway without a
 * link store must. Every join goes through Mesh's in-context SDK in its batched form (`key`,
 * `argsFromKeys`, `valuesFromResults`: one DataLoader per request and field), so a page of contacts
 * costs a request per batch the vendor's API allows rather than one per contact: Stripe's search
 * takes 10 clauses, Xero's `where` is kept to 25 emails and `ContactIDs` to 50 ids (URL length), and
 * Google Calendar has no attendee filter but lists a whole window in one page of up to 2,500 events,
 * so one listing serves the page. Self-contained: the gateway process loads nothing of Switchboard.
 */
import {
  Kind,
  type FieldNode,
  type GraphQLResolveInfo,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';

export const typeDefs = /* GraphQL */ `
  extend type HubSpotContact {
    "The Stripe customer with this contact's email."
    stripeCustomer: StripeCustomer
    "Events from 90 days ago to 91 days ahead (UTC days) with this contact as an attendee, cancelled ones included."
    bookings: [CalendarEvent!]!
    "The Xero contact with this contact's email."
    xeroContact: XeroContact
  }
  extend type StripeCustomer {
    "The customer's payment intents, with their latest charge."
    payments: [StripePaymentIntent!]!
  }
  extend type XeroContact {
    "The contact's sales invoices, every status but DELETED, newest first."
    invoices: [XeroInvoice!]!
  }
`;

const DAY = 86_400_000;
/** Stripe's search: at most 10 clauses a query. */
const STRIPE_CLAUSES = 10;
/** Emails per Xero `where` and ids per `ContactIDs`, keeping each URL near 2 KB as Switchboard does. */
const XERO_EMAILS = 25;
const XERO_IDS = 50;
/** Google's largest page; the ±90-day window of the benchmark's business fits in one. */
const CALENDAR_PAGE = 2_500;

type Row = Record<string, unknown>;

/** What Mesh's in-context SDK takes for a batched call (`@graphql-mesh/utils`, `getInContextSDK`). */
interface BatchCall<K> {
  root: unknown;
  context: unknown;
  info: GraphQLResolveInfo;
  key: K | null;
  argsFromKeys: (keys: readonly K[]) => Record<string, unknown>;
  valuesFromResults: (results: unknown, keys: readonly K[]) => unknown[];
  selectionSet: (subtree: SelectionSetNode | undefined) => SelectionSetNode;
  dataLoaderOptions?: { maxBatchSize?: number };
}
type Sdk = Record<string, { Query: Record<string, <K>(call: BatchCall<K>) => Promise<unknown>> }>;

const sdk = (context: unknown, source: string, field: string) => {
  const call = (context as Sdk)[source]?.Query[field];
  if (!call) throw new Error(`the supergraph has no ${source} Query.${field}`);
  return call;
};

const normaliseEmail = (email: unknown) =>
  typeof email === 'string' && email.trim() !== '' ? email.trim().toLowerCase() : null;

/** Search values are quoted, a quote or backslash inside escaped (https://docs.stripe.com/search#search-query-language). */
const stripeQuote = (value: string) => `'${value.replace(/[\\']/g, (c) => `\\${c}`)}'`;
/** A string literal for Xero's `where`. */
const xeroLiteral = (value: string) => `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

const field = (name: string, selectionSet?: SelectionSetNode): FieldNode => ({
  kind: Kind.FIELD,
  name: { kind: Kind.NAME, value: name },
  ...(selectionSet ? { selectionSet } : {}),
});
const selection = (...fields: SelectionNode[]): SelectionSetNode => ({
  kind: Kind.SELECTION_SET,
  selections: fields,
});

/** The caller's selection under the vendor's list field, plus what the join itself reads. */
const wrap = (listField: string, subtree: SelectionSetNode | undefined, ...needed: FieldNode[]) =>
  selection(field(listField, selection(...(subtree?.selections ?? []), ...needed)));

const rows = (results: unknown, listField: string): Row[] => {
  const list = (results as Row | null)?.[listField];
  return Array.isArray(list) ? (list as Row[]) : [];
};

/** Groups `items` by the keys `keysOf` gives each. */
function group<K>(items: Row[], keysOf: (item: Row) => Iterable<K | null>): Map<K, Row[]> {
  const out = new Map<K, Row[]>();
  for (const item of items) {
    for (const key of keysOf(item)) {
      if (key === null) continue;
      const list = out.get(key);
      if (list) list.push(item);
      else out.set(key, [item]);
    }
  }
  return out;
}

/** A search that said there was more than its one page: the join would be missing records. */
const truncated = (what: string) => new Error(`${what} had more than one page; the join reads one`);

/** The listing's fields for the caller's event selection, and what the join reads. */
const eventList = (subtree: SelectionSetNode | undefined) =>
  selection(
    field('nextPageToken'),
    ...wrap(
      'items',
      subtree,
      field('start', selection(field('dateTime'), field('date'))),
      field('attendees', selection(field('email'))),
    ).selections,
  );

type FieldTree = Map<string, FieldTree>;

/**
 * Google's `fields` (partial response, https://developers.google.com/calendar/api/guides/performance)
 * for a selection: `nextPageToken,items(id,start(dateTime,date))`, so the listing carries only what
 * is asked for.
 */
function googleFields(set: SelectionSetNode): string {
  const merge = (tree: FieldTree, s: SelectionSetNode) => {
    for (const f of s.selections) {
      if (f.kind !== Kind.FIELD || f.name.value.startsWith('__')) continue;
      const child = tree.get(f.name.value) ?? new Map();
      tree.set(f.name.value, child);
      if (f.selectionSet) merge(child, f.selectionSet);
    }
    return tree;
  };
  const print = (tree: FieldTree): string =>
    [...tree].map(([name, child]) => (child.size ? `${name}(${print(child)})` : name)).join(',');
  return print(merge(new Map(), set));
}

/** The bookings window Switchboard uses by default: 90 days back and 91 ahead, on UTC day boundaries. */
function bookingsWindow(now = new Date()) {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return { from: new Date(today - 90 * DAY), to: new Date(today + 91 * DAY) };
}

const eventStart = (event: Row) => {
  const start = event.start as { dateTime?: string; date?: string } | undefined;
  const text = start?.dateTime ?? start?.date;
  return text ? Date.parse(text) : NaN;
};

export const resolvers = {
  HubSpotContact: {
    stripeCustomer: {
      selectionSet: '{ properties { email } }',
      resolve: (root: Row, _args: unknown, context: unknown, info: GraphQLResolveInfo) =>
        sdk(
          context,
          'Stripe',
          'stripeCustomerSearch',
        )<string>({
          root,
          context,
          info,
          key: normaliseEmail((root.properties as Row | undefined)?.email),
          // https://docs.stripe.com/api/customers/search
          argsFromKeys: (emails) => ({ query: emails.map((e) => `email:${stripeQuote(e)}`).join(' OR ') }),
          valuesFromResults: (results, emails) => {
            if ((results as Row | null)?.has_more) return emails.map(() => truncated('A Stripe search'));
            const found = group(rows(results, 'data'), (c) => [normaliseEmail(c.email)]);
            return emails.map((e) => found.get(e)?.[0] ?? null);
          },
          selectionSet: (subtree) =>
            selection(field('has_more'), ...wrap('data', subtree, field('id'), field('email')).selections),
          dataLoaderOptions: { maxBatchSize: STRIPE_CLAUSES },
        }),
    },
    bookings: {
      selectionSet: '{ properties { email } }',
      resolve: async (root: Row, _args: unknown, context: unknown, info: GraphQLResolveInfo) => {
        const window = bookingsWindow();
        const found = await sdk(
          context,
          'GoogleCalendar',
          'calendarEvents',
        )<string>({
          root,
          context,
          info,
          key: normaliseEmail((root.properties as Row | undefined)?.email),
          // https://developers.google.com/calendar/api/v3/reference/events/list
          // The same listing whatever the keys: the only attendee filter is free text (`q`), a listing
          // per contact, where one listing of the window serves the whole page.
          argsFromKeys: () => ({
            timeMin: window.from.toISOString(),
            timeMax: window.to.toISOString(),
            showDeleted: true,
            maxResults: CALENDAR_PAGE,
            fields: googleFields(eventList(info.fieldNodes[0]?.selectionSet)),
          }),
          valuesFromResults: (results, emails) => {
            if ((results as Row | null)?.nextPageToken)
              return emails.map(() => truncated('The calendar listing'));
            const inWindow = rows(results, 'items').filter((e) => {
              const start = eventStart(e);
              return start >= window.from.getTime() && start < window.to.getTime();
            });
            const byAttendee = group(inWindow, (e) =>
              Array.isArray(e.attendees)
                ? new Set((e.attendees as Row[]).map((a) => normaliseEmail(a.email)))
                : [],
            );
            return emails.map((e) => (byAttendee.get(e) ?? []).sort((a, b) => eventStart(a) - eventStart(b)));
          },
          selectionSet: eventList,
        });
        return found ?? [];
      },
    },
    xeroContact: {
      selectionSet: '{ properties { email } }',
      resolve: (root: Row, _args: unknown, context: unknown, info: GraphQLResolveInfo) =>
        sdk(
          context,
          'Xero',
          'xeroContacts',
        )<string>({
          root,
          context,
          info,
          key: normaliseEmail((root.properties as Row | undefined)?.email),
          // https://developer.xero.com/documentation/api/accounting/contacts (EmailAddress is an optimised `where` field)
          argsFromKeys: (emails) => ({
            where: emails.map((e) => `EmailAddress==${xeroLiteral(e)}`).join(' OR '),
          }),
          valuesFromResults: (results, emails) => {
            const found = group(rows(results, 'Contacts'), (c) => [normaliseEmail(c.EmailAddress)]);
            return emails.map((e) => found.get(e)?.[0] ?? null);
          },
          selectionSet: (subtree) => wrap('Contacts', subtree, field('ContactID'), field('EmailAddress')),
          dataLoaderOptions: { maxBatchSize: XERO_EMAILS },
        }),
    },
  },
  StripeCustomer: {
    payments: {
      selectionSet: '{ id }',
      resolve: async (root: Row, _args: unknown, context: unknown, info: GraphQLResolveInfo) =>
        (await sdk(
          context,
          'Stripe',
          'stripePaymentIntentSearch',
        )<string>({
          root,
          context,
          info,
          key: typeof root.id === 'string' ? root.id : null,
          // https://docs.stripe.com/api/payment_intents/search
          argsFromKeys: (ids) => ({ query: ids.map((id) => `customer:${stripeQuote(id)}`).join(' OR ') }),
          valuesFromResults: (results, ids) => {
            if ((results as Row | null)?.has_more) return ids.map(() => truncated('A Stripe search'));
            const found = group(rows(results, 'data'), (p) => [
              typeof p.customer === 'string' ? p.customer : null,
            ]);
            return ids.map((id) =>
              (found.get(id) ?? []).sort((a, b) => Number(b.created) - Number(a.created)),
            );
          },
          selectionSet: (subtree) =>
            selection(
              field('has_more'),
              ...wrap('data', subtree, field('customer'), field('created')).selections,
            ),
          dataLoaderOptions: { maxBatchSize: STRIPE_CLAUSES },
        })) ?? [],
    },
  },
  XeroContact: {
    invoices: {
      selectionSet: '{ ContactID }',
      resolve: async (root: Row, _args: unknown, context: unknown, info: GraphQLResolveInfo) =>
        (await sdk(
          context,
          'Xero',
          'xeroInvoices',
        )<string>({
          root,
          context,
          info,
          key: typeof root.ContactID === 'string' ? root.ContactID.toLowerCase() : null,
          // https://developer.xero.com/documentation/api/accounting/invoices#get-invoices
          argsFromKeys: (ids) => ({
            ContactIDs: ids.join(','),
            Statuses: 'DRAFT,SUBMITTED,AUTHORISED,PAID,VOIDED',
            where: 'Type=="ACCREC"',
            order: 'Date DESC',
          }),
          valuesFromResults: (results, ids) => {
            const found = group(rows(results, 'Invoices'), (i) => {
              const id = (i.Contact as Row | undefined)?.ContactID;
              return [typeof id === 'string' ? id.toLowerCase() : null];
            });
            return ids.map((id) => found.get(id) ?? []);
          },
          selectionSet: (subtree) =>
            wrap('Invoices', subtree, field('Contact', selection(field('ContactID')))),
          dataLoaderOptions: { maxBatchSize: XERO_IDS },
        })) ?? [],
    },
  },
};
