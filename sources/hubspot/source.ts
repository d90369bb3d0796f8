import type { CrmContact } from '../../src/domain/model.ts';
import { normaliseEmail } from '../../src/domain/model.ts';
import { SourceError } from '../../src/domain/errors.ts';
import type { CallOptions, CrmSource, Page } from '../../src/domain/ports.ts';
import { createUpstreamClient, type Connected } from '../../src/upstream/client.ts';
import { chunk, createReader } from '../../src/upstream/validate.ts';
import type { Metrics } from '../../src/observability/metrics.ts';
import { toHubspotError } from './errors.ts';
import { CONTACT_PROPERTIES, toCrmContact, toHubspotDate } from './mappers.ts';
import { createHubspotWrites } from './writes.ts';

export interface HubspotConfig {
  /** `https://api.hubapi.com` for the real HubSpot; the sandbox's URL otherwise. */
  baseUrl: string;
  /** Private app access token (or an OAuth access token). */
  accessToken: string;
  /** Hub id, used to build links to records in HubSpot's UI. */
  portalId?: string;
  timeoutMs?: number;
  /**
   * IANA time zone of the business: `next_booking_date` (a HubSpot date property) gets the booking's
   * calendar day there. Default `UTC`.
   */
  timeZone?: string;
  metrics?: Metrics;
}

export type HubspotSource = CrmSource & Connected;

const read = createReader('hubspot');
/** batch/read takes at most 100 inputs. */
const BATCH_LIMIT = 100;
/** Search: at most 100 values in an IN filter, 200 results a page. */
const SEARCH_IN_LIMIT = 100;
const SEARCH_PAGE = 200;

interface SearchResponse {
  total?: number;
  results?: unknown[];
  paging?: { next?: { after?: string } };
}

export function createHubspotSource(config: HubspotConfig): HubspotSource {
  const client = createUpstreamClient({
    source: 'hubspot',
    baseUrl: config.baseUrl,
    headers: () => ({ authorization: `Bearer ${config.accessToken}` }),
    toError: toHubspotError,
    timeoutMs: config.timeoutMs,
    metrics: config.metrics,
  });
  const toContact = (raw: unknown) => toCrmContact(raw, config.portalId);
  const timeZone = config.timeZone ?? 'UTC';
  toHubspotDate(new Date(0), timeZone); // an unknown time zone fails here, at start, not on a write
  const writes = createHubspotWrites({ client, toContact, timeZone });

  const search = async (
    body: object,
    signal?: AbortSignal,
  ): Promise<{ items: CrmContact[]; next?: string }> => {
    // https://developers.hubspot.com/docs/api/crm/search
    const res = await client.request<SearchResponse>({
      operation: 'contacts.search',
      method: 'POST',
      path: '/crm/v3/objects/contacts/search',
      body: { properties: CONTACT_PROPERTIES, ...body },
      signal,
    });
    const payload = read.object(res.body, 'search response');
    return {
      items: read.array(payload.results ?? [], 'search results').map(toContact),
      next: res.body.paging?.next?.after,
    };
  };

  return {
    name: 'hubspot',
    client,
    ...writes,
    recordUrl: (kind, id) =>
      kind === 'customer' && config.portalId
        ? `https://app.hubspot.com/contacts/${config.portalId}/record/0-1/${id}`
        : null,
    async getContacts(ids, options: CallOptions = {}) {
      const found = new Map<string, CrmContact>();
      await Promise.all(
        chunk([...new Set(ids)], BATCH_LIMIT).map(async (batch) => {
          // https://developers.hubspot.com/docs/api/crm/contacts (batch read; 207 lists missing ids in `errors`)
          const res = await client.request<{ results?: unknown[] }>({
            operation: 'contacts.batchRead',
            method: 'POST',
            path: '/crm/v3/objects/contacts/batch/read',
            body: { properties: CONTACT_PROPERTIES, inputs: batch.map((id) => ({ id })) },
            signal: options.signal,
          });
          for (const raw of read.array(read.object(res.body, 'batch response').results ?? [], 'results')) {
            const contact = toContact(raw);
            found.set(contact.externalId, contact);
          }
        }),
      );
      return ids.map(
        (id) =>
          found.get(id) ??
          new SourceError('hubspot', 'NOT_FOUND', `hubspot has no contact ${id} (deleted or never existed)`, {
            status: 404,
            operation: 'contacts.batchRead',
          }),
      );
    },
    async findContactsByEmail(emails, options: CallOptions = {}) {
      const wanted = [...new Set(emails.map(normaliseEmail).filter((e): e is string => e !== null))];
      const byEmail = new Map<string, CrmContact[]>();
      await Promise.all(
        chunk(wanted, SEARCH_IN_LIMIT).map(async (values) => {
          let after: string | undefined;
          do {
            const page = await search(
              {
                filterGroups: [{ filters: [{ propertyName: 'email', operator: 'IN', values }] }],
                limit: SEARCH_PAGE,
                after,
              },
              options.signal,
            );
            for (const contact of page.items) {
              const key = normaliseEmail(contact.email);
              if (key) byEmail.set(key, [...(byEmail.get(key) ?? []), contact]);
            }
            after = page.next;
          } while (after);
        }),
      );
      return emails.map((email) => byEmail.get(normaliseEmail(email) ?? '') ?? []);
    },
    async searchContacts(query, limit, after, options: CallOptions = {}): Promise<Page<CrmContact>> {
      const page = await search(
        {
          query,
          limit: Math.min(limit, SEARCH_PAGE),
          after,
          sorts: [{ propertyName: 'lastname', direction: 'ASCENDING' }],
        },
        options.signal,
      );
      return { items: page.items, next: page.next };
    },
    async listContacts(after, options: CallOptions = {}): Promise<Page<CrmContact>> {
      // https://developers.hubspot.com/docs/api/crm/contacts (list: 100 a page, `paging.next.after`)
      const res = await client.request<{ results?: unknown[]; paging?: { next?: { after?: string } } }>({
        operation: 'contacts.list',
        method: 'GET',
        path: '/crm/v3/objects/contacts',
        query: { limit: 100, after, properties: CONTACT_PROPERTIES.join(',') },
        signal: options.signal,
      });
      const body = read.object(res.body, 'contact list');
      return {
        items: read.array(body.results ?? [], 'results').map(toContact),
        next: res.body.paging?.next?.after,
      };
    },
    close: () => client.close(),
  };
}
