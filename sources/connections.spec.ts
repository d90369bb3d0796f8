import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { RecordKind, VendorField } from '../src/domain/connections.ts';
import type { Change, WebhookVerifier } from '../src/webhooks/types.ts';
import { createHubspotWebhookVerifier, hubspotSignatureV3 } from './hubspot/webhooks.ts';
import { createGoogleWebhookVerifier } from './google-calendar/webhooks.ts';
import { changesOf as stripeChanges } from './stripe/webhooks.ts';
import { createXeroWebhookVerifier } from './xero/webhooks.ts';
import { toInboxEvent as quickbooksEvent } from './quickbooks/webhooks.ts';
import { SOURCE_MODULES } from './registry.ts';
import { toCrmContact } from './hubspot/mappers.ts';
import { toCalendarEvent } from './google-calendar/mappers.ts';
import { toPaymentOrder, toPersonRecord as stripePerson } from './stripe/mappers.ts';
import { toAccountingInvoice as xeroInvoice, toPersonRecord as xeroPerson } from './xero/mappers.ts';
import {
  toAccountingInvoice as quickbooksInvoice,
  toAppliedPayment,
  toPersonRecord as quickbooksPerson,
} from './quickbooks/mappers.ts';

/**
 * The connection map's field paths (`sources/<vendor>/connections.ts`) against the mappers, on
 * records recorded from each vendor's sandbox (`sources/<vendor>/fixtures/records.json`): changing
 * the value at a declared path must change the domain field it is declared for (or make the mapper
 * reject the record, naming that key), so a map that names the wrong vendor field fails here.
 */

type Json = Record<string, unknown>;
type Mapper = (raw: Json, fixture: Json) => object;

const fixture = (folder: string): Json =>
  JSON.parse(readFileSync(new URL(`./${folder}/fixtures/records.json`, import.meta.url), 'utf8')) as Json;

const QBO = { appUrl: 'https://app.sandbox.qbo.intuit.com', homeCurrency: 'GBP' };

/** Each adapter's mappers, by record kind, as its source calls them. */
const MAPPERS: Record<string, { folder: string; records: Partial<Record<RecordKind, Mapper>> }> = {
  hubspot: { folder: 'hubspot', records: { person: (raw) => toCrmContact(raw, '24681357') } },
  google_calendar: {
    folder: 'google-calendar',
    records: { event: (raw) => toCalendarEvent(raw, 'Europe/London') },
  },
  stripe: {
    folder: 'stripe',
    records: {
      person: (raw) => stripePerson(raw, { testMode: true }),
      order: (raw) => toPaymentOrder(raw, { testMode: true }),
    },
  },
  xero: {
    folder: 'xero',
    records: { person: (raw) => xeroPerson(raw), invoice: (raw) => xeroInvoice(raw) },
  },
  quickbooks: {
    folder: 'quickbooks',
    records: {
      person: (raw) => quickbooksPerson(raw, QBO),
      invoice: (raw, all) => {
        const payments = (all.payments as Json[]).map(toAppliedPayment);
        return quickbooksInvoice(raw, new Map(payments.map((p) => [p.id, p])), QBO);
      },
    },
  },
};

/** A different value of the same kind: a day later for dates, one more for numbers. */
function changed(value: unknown): unknown {
  if (typeof value === 'number') return value + 1;
  if (typeof value === 'boolean') return !value;
  if (typeof value === 'string') {
    const xero = /^\/Date\((\d+)([+-]\d{4})?\)\/$/.exec(value);
    if (xero) return `/Date(${Number(xero[1]) + 86_400_000}${xero[2] ?? ''})/`;
    if (/^\d{4}-\d{2}-\d{2}$/.test(value))
      return new Date(Date.parse(`${value}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    if (/^\d{4}-\d{2}-\d{2}T/.test(value) && !Number.isNaN(Date.parse(value)))
      return new Date(Date.parse(value) + 86_400_000).toISOString();
    return `${value}Q`;
  }
  if (typeof value === 'object' && value !== null) return { ...value, probe: 'probe' };
  return 'probe';
}

/**
 * Applies `change` at the path (`a.b[].c`: each element of `b`); intermediate objects are made where
 * missing. Returns how many values it changed (0 when a list on the way is absent or empty).
 */
function applyAt(root: Json, path: string, change: (value: unknown) => unknown): number {
  const [head, ...rest] = path.split('.');
  const many = head!.endsWith('[]');
  const key = many ? head!.slice(0, -2) : head!;
  if (many) {
    const list = root[key];
    if (!Array.isArray(list) || list.length === 0) return 0;
    if (rest.length === 0) {
      root[key] = list.map(change);
      return list.length;
    }
    return list.reduce<number>((n, item) => n + applyAt(item as Json, rest.join('.'), change), 0);
  }
  if (rest.length === 0) {
    root[key] = change(root[key]);
    return 1;
  }
  if (typeof root[key] !== 'object' || root[key] === null) root[key] = {};
  return applyAt(root[key] as Json, rest.join('.'), change);
}

const clone = <T>(value: T): T => structuredClone(value);
const show = (value: unknown) => JSON.stringify(value);

/** What the mapper makes of `raw` for `field`, or the error it throws. */
function outcome(map: Mapper, raw: Json, all: Json, field: string): { value?: string; error?: string } {
  try {
    return { value: show((map(raw, all) as Record<string, unknown>)[field]) };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * How to probe a path whose plain change shows nothing: the value to set, and the record around it
 * (values set first, paths taken away), e.g. an all-day event for `start.timeZone`.
 */
interface Probe {
  value?: unknown;
  with?: Record<string, unknown>;
  without?: string[];
}

const INVOICE_REF = {
  'metadata.switchboard_invoice_system': 'xero',
  'metadata.switchboard_invoice_id': 'inv-1',
};
const REFUND_LIST = {
  'latest_charge.refunds': {
    object: 'list',
    data: [
      {
        id: 're_1',
        object: 'refund',
        amount: 750,
        currency: 'gbp',
        status: 'succeeded',
        created: 1796168891,
      },
    ],
  },
};
const ALL_DAY = (end: 'start' | 'end') => ({
  with: { [`${end}.date`]: '2026-12-05' },
  without: [`${end}.dateTime`],
});
const PROBES: Record<string, Probe> = {
  // Only a stage before a purchase makes a contact pre-sale.
  'hubspot person.preSale properties.lifecyclestage': { value: 'lead' },
  // The first name is all but the last word: a longer name shows it.
  'stripe person.firstName name': { value: 'Anna Maria Jones' },
  // The recorded payment names an invoice number only; a reference needs the system and id too.
  'stripe order.invoiceRef metadata.switchboard_invoice_system': { with: INVOICE_REF },
  'stripe order.invoiceRef metadata.switchboard_invoice_id': { with: INVOICE_REF },
  'stripe order.invoiceRef metadata.invoice_number': { with: INVOICE_REF },
  // The connector does not expand a charge's refund list (source.ts), so recorded charges carry none.
  'stripe order.refunds latest_charge.refunds.data[].amount': { with: REFUND_LIST },
  'stripe order.refunds latest_charge.refunds.data[].status': { with: REFUND_LIST },
  // QBO has no status: PAID is a positive total with nothing left, VOIDED a zero total noted "Voided".
  'quickbooks invoice.status TotalAmt': { value: 0 },
  'quickbooks invoice.status PrivateNote': { value: 'Voided', with: { TotalAmt: 0 } },
  // All-day events: the recorded event is timed.
  'google_calendar event.start start.date': { value: '2026-12-06', without: ['start.dateTime'] },
  'google_calendar event.start start.timeZone': { value: 'America/New_York', ...ALL_DAY('start') },
  'google_calendar event.end end.date': { value: '2026-12-06', without: ['end.dateTime'] },
  'google_calendar event.end end.timeZone': { value: 'America/New_York', ...ALL_DAY('end') },
};

/**
 * Whether the value at `path` feeds `field`: changing it changes the field, or makes the mapper
 * reject the record naming that key, or makes a record the mapper rejected readable; tried alone,
 * then with the entry's other paths taken away (fallbacks: `Name`, else first and last name).
 */
function feeds(
  map: Mapper,
  raw: Json,
  all: Json,
  field: string,
  path: string,
  others: string[],
  probe: Probe = {},
) {
  const leaf = path.split('.').at(-1)!.replace('[]', '');
  const tryWith = (base: Json) => {
    const before = outcome(map, base, all, field);
    const probed = clone(base);
    const change = 'value' in probe ? () => probe.value : changed;
    if (applyAt(probed, path, change) === 0) return 'absent' as const;
    const after = outcome(map, probed, all, field);
    if (before.error !== undefined) return after.error === undefined;
    return after.error !== undefined ? after.error.includes(leaf) : after.value !== before.value;
  };
  const base = clone(raw);
  for (const [at, value] of Object.entries(probe.with ?? {})) applyAt(base, at, () => value);
  for (const at of probe.without ?? []) applyAt(base, at, () => undefined);
  const alone = tryWith(base);
  if (alone === true || others.length === 0) return alone;
  for (const other of others) applyAt(base, other, () => undefined);
  return tryWith(base);
}

const pathsOf = (field: VendorField): string[] =>
  typeof field === 'string' ? [field] : 'from' in field ? [...field.from] : [];

describe('the connection map agrees with the mappers on recorded records', () => {
  for (const module of SOURCE_MODULES) {
    const mappers = MAPPERS[module.id];
    it(`${module.id}: every record kind of its role has a mapper and a recorded record here`, () => {
      expect(mappers, `add ${module.id} to MAPPERS in sources/connections.spec.ts`).toBeDefined();
      expect(module.connections, `${module.id} declares no connections`).toBeDefined();
      expect(Object.keys(mappers!.records).sort()).toEqual(Object.keys(module.connections!.records).sort());
    });
    if (!mappers) continue;
    const all = fixture(mappers.folder);
    for (const [kind, map] of Object.entries(mappers.records) as Array<[RecordKind, Mapper]>) {
      const declared = (module.connections?.records as Record<string, Record<string, VendorField>>)[kind]!;
      const raw = all[kind] as Json;

      it(`${module.id} ${kind}: every field the mapper makes is declared, and only those`, () => {
        const made = Object.keys(map(clone(raw), all)).filter((k) => k !== 'source');
        expect(Object.keys(declared).sort()).toEqual(made.sort());
      });

      it(`${module.id} ${kind}: each declared path feeds its field`, () => {
        const wrong: string[] = [];
        for (const [field, source] of Object.entries(declared)) {
          const paths = pathsOf(source);
          for (const path of paths) {
            const id = `${module.id} ${kind}.${field} ${path}`;
            const others = paths.filter((p) => p !== path);
            const result = feeds(map, raw, all, field, path, others, PROBES[id]);
            if (result !== true)
              wrong.push(
                `${id}: ${result === 'absent' ? 'not in the recorded record' : 'changing it changes nothing'}`,
              );
          }
        }
        expect(wrong).toEqual([]);
      });

      it(`${module.id} ${kind}: fields declared as held nowhere are null, made ones are set`, () => {
        const mapped = map(clone(raw), all) as Record<string, unknown>;
        for (const [field, source] of Object.entries(declared)) {
          if (typeof source === 'object' && 'none' in source) expect(mapped[field], field).toBeNull();
          if (typeof source === 'object' && 'adapter' in source) expect(mapped[field], field).toBeTruthy();
        }
      });
    }
  }

  it('the probe sees a wrong path: a map naming the wrong field fails', () => {
    const { person } = fixture('hubspot') as { person: Json };
    const map = MAPPERS.hubspot!.records.person!;
    expect(feeds(map, person, {}, 'email', 'properties.email', [])).toBe(true);
    expect(feeds(map, person, {}, 'email', 'properties.phone', [])).toBe(false);
    expect(feeds(map, person, {}, 'email', 'properties.nowhere', [])).toBe(false);
    expect(feeds(map, person, {}, 'email', 'nowhere[].email', [])).toBe('absent');
  });
});

const NOW = new Date('2026-11-23T12:00:00Z');
const SECRET = 'connection-map-spec-secret';

/** The changes a verifier makes of one delivery (it must accept it). */
async function verified(verifier: WebhookVerifier, delivery: Parameters<WebhookVerifier['verify']>[0]) {
  const result = await verifier.verify(delivery);
  if (!result.ok) throw new Error(`the verifier refused the delivery: ${result.reason}`);
  return result.events.flatMap((e) => e.changes);
}

/**
 * Each adapter's webhook intake, given one event type the map declares (a `*` stands for any: the
 * sample says which is tried): the changes the hub stores for it, through the vendor's own code.
 */
const WEBHOOKS: Record<
  string,
  { sample?: Record<string, string>; changes(event: string): Promise<Change[]> }
> = {
  hubspot: {
    async changes(event) {
      const body = Buffer.from(
        JSON.stringify([
          {
            eventId: 1,
            subscriptionType: event,
            occurredAt: NOW.getTime(),
            objectId: 51004,
            mergedObjectIds: [51005],
            propertyName: 'email',
          },
        ]),
      );
      const url = 'https://hub.example/webhooks/hubspot';
      const timestamp = String(NOW.getTime());
      return verified(createHubspotWebhookVerifier({ clientSecret: SECRET }), {
        method: 'POST',
        url,
        headers: {
          'x-hubspot-signature-v3': hubspotSignatureV3(SECRET, 'POST', url, body, timestamp),
          'x-hubspot-request-timestamp': timestamp,
        },
        rawBody: body,
        now: NOW,
      });
    },
  },
  google_calendar: {
    async changes(state) {
      const channels = {
        find: async () => ({
          token: SECRET,
          resourceId: 'res-1',
          expiresAt: new Date(NOW.getTime() + 86_400_000),
        }),
      };
      return verified(createGoogleWebhookVerifier({ channels }), {
        method: 'POST',
        url: 'https://hub.example/webhooks/google-calendar',
        headers: {
          'x-goog-channel-id': 'channel-1',
          'x-goog-channel-token': SECRET,
          'x-goog-resource-id': 'res-1',
          'x-goog-resource-state': state,
          'x-goog-message-number': '7',
        },
        rawBody: Buffer.alloc(0),
        now: NOW,
      });
    },
  },
  stripe: {
    sample: {
      'payment_intent.*': 'payment_intent.canceled',
      'charge.*': 'charge.refunded',
      'refund.*': 'refund.updated',
    },
    async changes(type) {
      const changes = stripeChanges(type, {
        id: type.startsWith('customer.') ? 'cus_1' : 'pi_1',
        payment_intent: 'pi_1',
      });
      if (typeof changes === 'string') throw new Error(changes);
      return changes;
    },
  },
  xero: {
    async changes(event) {
      const [eventCategory, eventType] = event.split('.');
      const body = Buffer.from(
        JSON.stringify({
          events: [
            {
              resourceUrl: 'https://api.xero.com/api.xro/2.0/Contacts/1',
              resourceId: '4809a1f9-7c7c-4a36-942f-43b4dbdaa0ad',
              eventDateUtc: NOW.toISOString(),
              eventType,
              eventCategory,
              tenantId: '6f1b9c2e-8a4d-4e3b-9c7a-1d2e3f4a5b6c',
              tenantType: 'ORGANISATION',
            },
          ],
          firstEventSequence: 1,
          lastEventSequence: 1,
          entropy: 'ABCDEF',
        }),
      );
      return verified(createXeroWebhookVerifier({ webhookKey: SECRET }), {
        method: 'POST',
        url: 'https://hub.example/webhooks/xero',
        headers: { 'x-xero-signature': createHmac('sha256', SECRET).update(body).digest('base64') },
        rawBody: body,
        now: NOW,
      });
    },
  },
  quickbooks: {
    sample: { 'Invoice.*': 'Invoice.Void', 'Payment.*': 'Payment.Create' },
    async changes(event) {
      const [name, operation] = event.split('.') as [string, string];
      return quickbooksEvent({
        realmId: '9341453172471531',
        name,
        id: '1',
        operation,
        lastUpdated: NOW,
        ...(operation === 'Merge' ? { deletedId: '2' } : {}),
      }).changes;
    },
  },
};

describe('the connection map agrees with the webhook intake', () => {
  for (const module of SOURCE_MODULES) {
    it(`${module.id}: each declared event makes the declared changes`, async () => {
      const intake = WEBHOOKS[module.id];
      expect(intake, `add ${module.id} to WEBHOOKS in sources/connections.spec.ts`).toBeDefined();
      const wrong: string[] = [];
      for (const declared of module.connections!.webhooks.events) {
        const event = intake!.sample?.[declared.event] ?? declared.event;
        expect(event, `give ${declared.event} a sample in WEBHOOKS`).not.toContain('*');
        const changes = await intake!.changes(event);
        const kinds = [...new Set(changes.map((c) => c.kind))];
        if (show(kinds) !== show(declared.changes)) wrong.push(`${event}: ${show(kinds)}`);
        const flags = (['created', 'deleted', 'succeeded'] as const).filter((flag) =>
          changes.some((c) => (c as Record<string, unknown>)[flag] === true),
        );
        if (show(flags) !== show(declared.flags ?? [])) wrong.push(`${event}: flags ${show(flags)}`);
      }
      expect(wrong).toEqual([]);
    });
  }
});
