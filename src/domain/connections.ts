import type { AccountingInvoice, CalendarEvent, CrmContact, PaymentOrder, PersonRecord } from './model.ts';
import type { AccountingWrites, CalendarWrites, CrmWrites, PaymentsWrites } from './ports.ts';
import type { Role } from './source-module.ts';
import type { Change } from '../webhooks/types.ts';
import type { VendorLimits } from '../upstream/policy.ts';

/**
 * What a vendor module declares about how it connects (`SourceModule.connections`), for the
 * connection map (`docs/CONNECTIONS.md`, `connectionMap()`). The declarations sit next to the code
 * they describe and are checked against it: field paths against the mappers on recorded fixtures
 * (`sources/connections.spec.ts`), the types below make every domain field and every write of the
 * role's port need an entry, and limits are the very constants the upstream policy uses.
 */

/**
 * Where one domain field's value comes from in the vendor's record:
 * - a path (`properties.email`, `Phones[].PhoneNumber`: `[]` means each element), or several;
 * - `{ from, how }`: paths plus how they are combined, when the mapper does more than copy;
 * - `{ none }`: the vendor holds no such thing, and why (the field is null or a fixed value);
 * - `{ adapter }`: made by the adapter, not read from the record (a URL built from the id).
 */
export type VendorField =
  string | { from: readonly string[]; how: string } | { none: string } | { adapter: string };

/** Every field of a domain record but `source` (the module's id, the same for every record). */
export type RecordFields<T> = { readonly [K in Exclude<keyof T, 'source'>]-?: VendorField };

/** The domain records each role's adapter maps vendor records to. */
export interface RecordsOf {
  crm: { person: RecordFields<CrmContact> };
  calendar: { event: RecordFields<CalendarEvent> };
  payments: { person: RecordFields<PersonRecord>; order: RecordFields<PaymentOrder> };
  accounting: { person: RecordFields<PersonRecord>; invoice: RecordFields<AccountingInvoice> };
}

export type RecordKind = 'person' | 'event' | 'order' | 'invoice';

/** The writes each role's port has. */
export interface WritesOf {
  crm: CrmWrites;
  calendar: CalendarWrites;
  payments: PaymentsWrites;
  accounting: AccountingWrites;
}

/** One HTTP request a write makes: `POST /v1/customers`, with `{id}` for the record's id. */
export interface VendorRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  /** The vendor's reference for the endpoint. */
  docs: string;
}

/** A port write: the requests it makes, in order, and what makes a retry safe. */
export interface VendorWrite {
  requests: readonly VendorRequest[];
  /** How a retry of the same step does not write twice (an Idempotency-Key header, a search first…). */
  idempotency: string;
}

/** One webhook event the hub takes, and the changes it reports (then read back from the vendor). */
export interface VendorWebhookEvent {
  /** The vendor's event type, e.g. `payment_intent.succeeded`. */
  event: string;
  /** What changed, by the hub's change kinds (`src/webhooks/types.ts`); empty when none is modelled. */
  changes: ReadonlyArray<Change['kind']>;
  /** What the changes say besides the record: created, deleted, a payment that succeeded. */
  flags?: ReadonlyArray<'created' | 'deleted' | 'succeeded'>;
  /** What more the event says (which fields, which record). */
  note?: string;
}

/** A port read that is not a record's fields (free/busy time): the requests it makes and what for. */
export interface VendorRead {
  /** The port method, e.g. `freeBusy`. */
  call: string;
  requests: readonly VendorRequest[];
  /** What the hub uses the answer for. */
  note: string;
}

export interface VendorConnections<R extends Role> {
  /** For each domain record of the role: where each field comes from. */
  records: RecordsOf[R];
  /** Reads besides the records (optional: most ports read only records). */
  reads?: readonly VendorRead[];
  /** For each write of the role's port (methods other than writes, like reads, are left out). */
  writes: { readonly [K in WriteMethod<R>]-?: VendorWrite };
  webhooks: {
    /** How the hub subscribes (a registered app, a push channel, the dashboard). */
    subscription: string;
    events: readonly VendorWebhookEvent[];
  };
  /** The rate limits the upstream policy enforces, by the settings they apply to. */
  limits: ReadonlyArray<{ when: string; limits: VendorLimits }>;
}

/** The port's write methods (the calendar's `eventProperties` is a read the writes need). */
export type WriteMethod<R extends Role> = Exclude<keyof WritesOf[R], 'eventProperties'> & string;
