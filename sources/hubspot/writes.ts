/**
 * HubSpot contact writes (the CRM port's `CrmWrites`).
 *
 * HubSpot has no `Idempotency-Key` header: idempotency comes from the shape of the calls. A contact
 * is created through `batch/upsert` keyed by its email (a unique property), so a retry finds the
 * contact the first attempt made and updates it with the same values; `switchboard_id` is unique
 * too, so even when the email was changed in between a retry cannot make a second contact. Updates
 * are PATCHes that set absolute values, idempotent by nature. The hub's idempotency key is
 * therefore not sent for contacts; a note carries it in a unique property (see `addNote`).
 *
 * Lifecycle stages only move on: HubSpot ignores an earlier stage written through the API (200,
 * nothing changes) unless the stage was cleared first. The adapter compares with the contact's
 * stage too and writes only one further along, so it never overwrites `other` or a portal's
 * custom stage (whose place in the order it does not know) and skips writes that change nothing.
 */
import type { CrmContact, CrmStage } from '../../src/domain/model.ts';
import { normaliseEmail } from '../../src/domain/model.ts';
import { SourceError } from '../../src/domain/errors.ts';
import type { CrmWrites, WriteOptions } from '../../src/domain/ports.ts';
import type { UpstreamClient } from '../../src/upstream/client.ts';
import { createReader } from '../../src/upstream/validate.ts';
import { toHubspotError } from './errors.ts';
import { CONTACT_PROPERTIES, HUBSPOT_STAGE, movesOn, toContactProperties, toHubspotDate } from './mappers.ts';

const read = createReader('hubspot');

/** Batch error categories to the HTTP status HubSpot gives the same error on a single call. */
const STATUS_BY_CATEGORY: Record<string, number> = {
  VALIDATION_ERROR: 400,
  OBJECT_NOT_FOUND: 404,
  CONFLICT: 409,
  RATE_LIMITS: 429,
};

export interface HubspotWritesConfig {
  client: UpstreamClient;
  toContact(raw: unknown): CrmContact;
  /** Time zone whose calendar day `next_booking_date` holds. */
  timeZone: string;
}

const invalid = (operation: string, message: string) =>
  new SourceError('hubspot', 'INVALID_REQUEST', `hubspot ${operation}: ${message}`, { operation });

/** The note property holding the hub's idempotency key: a custom unique-value property of the portal. */
export const NOTE_KEY_PROPERTY = 'switchboard_idempotency_key';
/** HubSpot-defined association type "note to contact". */
const NOTE_TO_CONTACT = 202;
/** `hs_note_body` holds at most 65,536 characters. */
const NOTE_BODY_LIMIT = 65_536;

/** The stage's HubSpot value, or the error that says which stages there are. */
function stageValue(operation: string, stage: CrmStage | undefined): string | undefined {
  if (stage === undefined) return undefined;
  const value = (HUBSPOT_STAGE as Record<string, string | undefined>)[stage];
  if (!value)
    throw invalid(
      operation,
      `stage must be one of ${Object.keys(HUBSPOT_STAGE).join(', ')}, got ${JSON.stringify(stage)}`,
    );
  return value;
}

export function createHubspotWrites({ client, toContact, timeZone }: HubspotWritesConfig): CrmWrites {
  /** Write responses carry only the written properties; the rest would read as null. */
  const complete = (raw: unknown): boolean => {
    const props = read.object(read.object(raw, 'contact').properties ?? {}, 'contact.properties');
    return CONTACT_PROPERTIES.every((name) => name in props);
  };

  const getContact = async (
    id: string,
    options: { idProperty?: string; signal?: AbortSignal },
  ): Promise<CrmContact> => {
    // https://developers.hubspot.com/docs/api/crm/contacts (GET /crm/v3/objects/contacts/{contactId})
    const res = await client.request({
      operation: 'contacts.get',
      method: 'GET',
      path: `/crm/v3/objects/contacts/${encodeURIComponent(id)}`,
      query: { properties: CONTACT_PROPERTIES.join(','), idProperty: options.idProperty },
      signal: options.signal,
    });
    return toContact(res.body);
  };

  /** The written contact as the reads see it, reading it back when the write answer is partial. */
  const settle = (raw: unknown, signal?: AbortSignal): Promise<CrmContact> | CrmContact => {
    const contact = toContact(raw);
    return complete(raw) ? contact : getContact(contact.externalId, { signal });
  };

  /** Moves the contact on to `stage` when that is further along than where it stands. */
  const moveOn = async (
    contact: CrmContact,
    stage: string | undefined,
    signal?: AbortSignal,
  ): Promise<CrmContact> => {
    if (stage === undefined || !movesOn(contact.lifecycleStage, stage)) return contact;
    // https://developers.hubspot.com/docs/api/crm/contacts (PATCH /crm/v3/objects/contacts/{contactId})
    const res = await client.request({
      operation: 'contacts.updateStage',
      method: 'PATCH',
      path: `/crm/v3/objects/contacts/${encodeURIComponent(contact.externalId)}`,
      body: { properties: { lifecyclestage: stage } },
      signal,
    });
    // The answer carries the stage HubSpot kept (its own, if moved on meanwhile) and the new time.
    const patched = toContact(res.body);
    return {
      ...contact,
      lifecycleStage: patched.lifecycleStage,
      preSale: patched.preSale,
      updatedAt: patched.updatedAt ?? contact.updatedAt,
    };
  };

  const upsert = async (
    input: Parameters<CrmWrites['upsertContact']>[0],
    options: WriteOptions,
  ): Promise<CrmContact> => {
    const operation = 'contacts.batchUpsert';
    const email = normaliseEmail(input.email);
    if (!email) throw invalid(operation, 'a contact needs an email to be upserted by');
    if (!input.switchboardId.trim()) throw invalid(operation, 'switchboardId is empty');
    // HubSpot keeps emails in lower case; the same value as the key keeps a retry a no-op.
    const properties = {
      ...toContactProperties(input, false),
      email,
      switchboard_id: input.switchboardId,
    };
    let raw: unknown;
    try {
      // https://developers.hubspot.com/docs/api/crm/contacts (batch upsert by a unique property:
      // `idProperty: 'email'` matches case-insensitively, creates the contact when none has it)
      const res = await client.request<{ results?: unknown[]; errors?: unknown[] }>({
        operation,
        method: 'POST',
        path: '/crm/v3/objects/contacts/batch/upsert',
        body: { inputs: [{ id: email, idProperty: 'email', properties }] },
        signal: options.signal,
      });
      const body = read.object(res.body, 'batch upsert response');
      raw = read.array(body.results ?? [], 'batch upsert results')[0];
      if (raw === undefined) throw batchError(read.array(body.errors ?? [], 'batch upsert errors')[0], res);
    } catch (error) {
      // `switchboard_id` is unique: a 409 means a contact already carries this person's id (its
      // email changed since, e.g. in HubSpot's UI). That contact is the person's record: return it
      // rather than fail the step, which would compensate the operation's other systems.
      if (!(error instanceof SourceError) || error.code !== 'CONFLICT') throw error;
      return getContact(input.switchboardId, {
        idProperty: 'switchboard_id',
        signal: options.signal,
      }).catch((lookup: unknown) => {
        // Gone since (archived): the conflict stands. A failed lookup is retried like the write.
        throw lookup instanceof SourceError && lookup.code === 'NOT_FOUND' ? error : lookup;
      });
    }
    return settle(raw, options.signal);
  };

  return {
    async upsertContact(input, options: WriteOptions) {
      // A stage goes on after the upsert, once the contact's own stage is known.
      const stage = stageValue('contacts.batchUpsert', input.stage);
      const contact = await upsert(input, options);
      return moveOn(contact, stage, options.signal);
    },

    async updateContact(id, changes, options: WriteOptions) {
      const operation = 'contacts.update';
      const { nextBookingAt, stage: wanted, ...person } = changes;
      const stage = stageValue(operation, wanted);
      const properties = toContactProperties(person, true);
      if (nextBookingAt !== undefined) {
        if (nextBookingAt !== null && Number.isNaN(nextBookingAt.getTime()))
          throw invalid(operation, 'nextBookingAt is not a valid date');
        // A `date` property: `YYYY-MM-DD` (HubSpot also takes midnight-UTC epoch ms); '' clears it.
        properties.next_booking_date = nextBookingAt === null ? '' : toHubspotDate(nextBookingAt, timeZone);
      }
      let contact: CrmContact;
      if (Object.keys(properties).length === 0) contact = await getContact(id, { signal: options.signal });
      else {
        // https://developers.hubspot.com/docs/api/crm/contacts (PATCH /crm/v3/objects/contacts/{contactId})
        const res = await client.request({
          operation,
          method: 'PATCH',
          path: `/crm/v3/objects/contacts/${encodeURIComponent(id)}`,
          body: { properties },
          signal: options.signal,
        });
        contact = await settle(res.body, options.signal);
      }
      return moveOn(contact, stage, options.signal);
    },

    /*
     * Idempotency: the note is created with the hub's idempotency key in a unique-value property
     * (`switchboard_idempotency_key`), so a second create with the same key is refused with 409 and
     * the first note is then read by that key (a GET with `idProperty`, not the search index, which
     * lags seconds behind writes). Batch upsert by the same property would also work, but its inputs
     * take no `associations`: the note and its link to the contact would be two calls, and a crash
     * between them would leave a note on nobody's timeline until a retry. The create takes both.
     */
    async addNote(contactId, body, options: WriteOptions) {
      const operation = 'notes.create';
      if (!/^\d+$/.test(contactId))
        throw invalid(
          operation,
          `contactId must be a HubSpot contact id (digits), got ${JSON.stringify(contactId)}`,
        );
      if (body.trim() === '') throw invalid(operation, 'the note body is empty');
      if (body.length > NOTE_BODY_LIMIT)
        throw invalid(
          operation,
          `the note body has ${body.length} characters; HubSpot takes at most ${NOTE_BODY_LIMIT}`,
        );
      const key = options.idempotencyKey.trim();
      if (key === '') throw invalid(operation, 'an idempotency key is needed to add a note only once');
      try {
        // https://developers.hubspot.com/docs/api/crm/notes (POST /crm/v3/objects/notes, with associations)
        const res = await client.request({
          operation,
          method: 'POST',
          // A repeat is refused (409) by the unique key and resolved below: safe to retry.
          idempotent: true,
          path: '/crm/v3/objects/notes',
          body: {
            properties: {
              hs_note_body: body,
              hs_timestamp: new Date().toISOString(),
              [NOTE_KEY_PROPERTY]: key,
            },
            associations: [
              {
                to: { id: contactId },
                types: [{ associationCategory: 'HUBSPOT_DEFINED', associationTypeId: NOTE_TO_CONTACT }],
              },
            ],
          },
          signal: options.signal,
        });
        return { externalId: read.string(read.object(res.body, 'note'), 'id', 'note') };
      } catch (error) {
        if (!(error instanceof SourceError) || error.code !== 'CONFLICT') throw error;
        // https://developers.hubspot.com/docs/api/crm/notes (GET /crm/v3/objects/notes/{noteId}, idProperty)
        const res = await client
          .request({
            operation: 'notes.get',
            method: 'GET',
            path: `/crm/v3/objects/notes/${encodeURIComponent(key)}`,
            query: { idProperty: NOTE_KEY_PROPERTY },
            signal: options.signal,
          })
          .catch((lookup: unknown) => {
            // Archived since: the conflict stands. A failed lookup is retried like the write.
            throw lookup instanceof SourceError && lookup.code === 'NOT_FOUND' ? error : lookup;
          });
        return { externalId: read.string(read.object(res.body, 'note'), 'id', 'note') };
      }
    },
  };
}

/** A batch answer without a result (207): its first error, mapped like a single call's error. */
function batchError(error: unknown, res: { headers: Record<string, string | string[] | undefined> }) {
  const body = typeof error === 'object' && error !== null ? (error as { category?: unknown }) : {};
  const status = STATUS_BY_CATEGORY[String(body.category)] ?? 502;
  return toHubspotError({ status, headers: res.headers, body: error ?? {} }, 'contacts.batchUpsert');
}
