/**
 * HubSpot contact writes (the CRM port's `CrmWrites`).
 *
 * HubSpot has no `Idempotency-Key` header: idempotency comes from the shape of the calls. A contact
 * is created through `batch/upsert` keyed by its email (a unique property), so a retry finds the
 * contact the first attempt made and updates it with the same values; `switchboard_id` is unique
 * too, so even when the email was changed in between a retry cannot make a second contact. Updates
 * are PATCHes that set absolute values, idempotent by nature. The hub's idempotency key is
 * therefore not sent.
 */
import type { CrmContact } from '../../src/domain/model.ts';
import { normaliseEmail } from '../../src/domain/model.ts';
import { SourceError } from '../../src/domain/errors.ts';
import type { CrmWrites, WriteOptions } from '../../src/domain/ports.ts';
import type { UpstreamClient } from '../../src/upstream/client.ts';
import { createReader } from '../../src/upstream/validate.ts';
import { toHubspotError } from './errors.ts';
import { CONTACT_PROPERTIES, toContactProperties, toHubspotDate } from './mappers.ts';

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

  return {
    async upsertContact(input, options: WriteOptions) {
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
    },

    async updateContact(id, changes, options: WriteOptions) {
      const operation = 'contacts.update';
      const { nextBookingAt, ...person } = changes;
      const properties = toContactProperties(person, true);
      if (nextBookingAt !== undefined) {
        if (nextBookingAt !== null && Number.isNaN(nextBookingAt.getTime()))
          throw invalid(operation, 'nextBookingAt is not a valid date');
        // A `date` property: `YYYY-MM-DD` (HubSpot also takes midnight-UTC epoch ms); '' clears it.
        properties.next_booking_date = nextBookingAt === null ? '' : toHubspotDate(nextBookingAt, timeZone);
      }
      if (Object.keys(properties).length === 0) return getContact(id, { signal: options.signal });
      // https://developers.hubspot.com/docs/api/crm/contacts (PATCH /crm/v3/objects/contacts/{contactId})
      const res = await client.request({
        operation,
        method: 'PATCH',
        path: `/crm/v3/objects/contacts/${encodeURIComponent(id)}`,
        body: { properties },
        signal: options.signal,
      });
      return settle(res.body, options.signal);
    },
  };
}

/** A batch answer without a result (207): its first error, mapped like a single call's error. */
function batchError(error: unknown, res: { headers: Record<string, string | string[] | undefined> }) {
  const body = typeof error === 'object' && error !== null ? (error as { category?: unknown }) : {};
  const status = STATUS_BY_CATEGORY[String(body.category)] ?? 502;
  return toHubspotError({ status, headers: res.headers, body: error ?? {} }, 'contacts.batchUpsert');
}
