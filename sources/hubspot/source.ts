import type { CrmContact } from '../../src/domain/model.ts';
import { normaliseEmail } from '../../src/domain/model.ts';
import { SourceError } from '../../src/domain/errors.ts';
import type { CallOptions, CrmSource, Page } from '../../src/domain/ports.ts';
import { createUpstreamClient, type Connected } from '../../src/upstream/client.ts';
import { chunk, createReader } from '../../src/upstream/validate.ts';
import type { Metrics } from '../../src/observability/metrics.ts';
import type { UpstreamPolicy } from '../../src/upstream/policy.ts';
import { toHubspotError } from './errors.ts';
import { CONTACT_PROPERTIES, toCrmContact, toHubspotDate } from './mappers.ts';
import { createHubspotWrites } from './writes.ts';

export interface HubspotConfig {
  /** `https://api.hubapi.com` for the real HubSpot; the sandbox's URL otherwise. */
  baseUrl: string;
  /** Private app access token (or an OAuth access token) … */
  accessToken?: string;
  /** … or the access token to use now, asked per request (OAuth: refreshed, or connected from the console). */
  getAccessToken?: () => Promise<string>;
  /** HubSpot refused the token (401): the provider forgets it and fetches another. */
  onUnauthorized?: () => void;
  /** Hub id, used to build links to records in HubSpot's UI. */
  portalId?: string;
  timeoutMs?: number;
  /**
   * IANA time zone of the business: `next_booking_date` (a HubSpot date property) gets the booking's
   * calendar day there. Default `UTC`.
   */
  timeZone?: string;
  metrics?: Metrics;
  /** Rate budget, circuit breaker and retries (src/upstream/policy.ts); none when absent. */
  policy?: UpstreamPolicy;
}

/** One webhook subscription of the app: an event type, and the property for `*.propertyChange`. */
export interface HubspotWebhookEvent {
  eventType: string;
  propertyName?: string;
}

export interface HubspotAppWebhooksInput {
  /** The developer account's API key (`?hapikey=`): the webhooks v3 app API takes nothing else. */
  developerApiKey: string;
  appId: string | number;
  /** Where HubSpot POSTs events (HubSpot requires https; the sandbox also takes http). */
  targetUrl: string;
  events: readonly HubspotWebhookEvent[];
  /** Concurrent requests HubSpot may make to the target (at least 5; default 10, HubSpot's UI default). */
  maxConcurrentRequests?: number;
}

export interface HubspotAppWebhooks {
  targetUrl: string;
  /** Each wanted subscription: newly `created`, already there (`existing`), or re-`activated` from paused. */
  subscriptions: Array<HubspotWebhookEvent & { id: string; outcome: 'created' | 'existing' | 'activated' }>;
}

/** Webhook registration (HubSpot-only, so not part of the CrmSource port). */
export interface HubspotWebhookRegistration {
  /**
   * Points the developer app's webhooks at `targetUrl` and makes sure each of `events` has an
   * active subscription. On real HubSpot this is set once in the app's settings with a developer
   * key; the hub calls it in sandbox mode. Safe to repeat: identical subscriptions are kept.
   */
  registerAppWebhooks(input: HubspotAppWebhooksInput, options?: CallOptions): Promise<HubspotAppWebhooks>;
}

export type HubspotSource = CrmSource & Connected & HubspotWebhookRegistration;

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
    headers: async () => ({
      authorization: `Bearer ${config.getAccessToken ? await config.getAccessToken() : (config.accessToken ?? '')}`,
    }),
    toError: (response, operation) => {
      const error = toHubspotError(response, operation);
      if (error.code === 'UNAUTHENTICATED') config.onUnauthorized?.();
      return error;
    },
    timeoutMs: config.timeoutMs,
    metrics: config.metrics,
    policy: config.policy,
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
      idempotent: true, // a read
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
            idempotent: true, // a read
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
    async registerAppWebhooks(input, options: CallOptions = {}) {
      const base = `/webhooks/v3/${encodeURIComponent(String(input.appId))}`;
      const query = { hapikey: input.developerApiKey };
      const signal = options.signal;
      // https://developers.hubspot.com/docs/api/webhooks (PUT settings: target URL and throttling)
      await client.request({
        operation: 'webhooks.settings.configure',
        method: 'PUT',
        path: `${base}/settings`,
        query,
        body: {
          targetUrl: input.targetUrl,
          throttling: { maxConcurrentRequests: input.maxConcurrentRequests ?? 10, period: 'SECONDLY' },
        },
        signal,
      });

      const listSubscriptions = async () => {
        // https://developers.hubspot.com/docs/api/webhooks (GET subscriptions)
        const res = await client.request({
          operation: 'webhooks.subscriptions.list',
          method: 'GET',
          path: `${base}/subscriptions`,
          query,
          signal,
        });
        return read
          .array(read.object(res.body, 'subscription list').results ?? [], 'results')
          .map(toSubscription);
      };
      const same = (a: HubspotWebhookEvent, b: HubspotWebhookEvent) =>
        a.eventType === b.eventType && (a.propertyName ?? '') === (b.propertyName ?? '');

      let existing = await listSubscriptions();
      const wanted = input.events.filter((e, i) => input.events.findIndex((o) => same(o, e)) === i);
      const subscriptions: HubspotAppWebhooks['subscriptions'] = [];
      for (const event of wanted) {
        let found = existing.find((s) => same(s, event));
        let outcome: 'created' | 'existing' | 'activated' = 'existing';
        if (!found) {
          try {
            // https://developers.hubspot.com/docs/api/webhooks (POST subscriptions; paused unless active)
            const res = await client.request({
              operation: 'webhooks.subscriptions.create',
              method: 'POST',
              path: `${base}/subscriptions`,
              query,
              body: {
                eventType: event.eventType,
                ...(event.propertyName ? { propertyName: event.propertyName } : {}),
                active: true,
              },
              signal,
            });
            found = toSubscription(res.body);
            outcome = 'created';
          } catch (error) {
            // Created meanwhile by another caller (409): identical, so it is fine as it is.
            if (!(error instanceof SourceError) || error.code !== 'CONFLICT') throw error;
            existing = await listSubscriptions();
            found = existing.find((s) => same(s, event));
            if (!found) throw error;
          }
        }
        if (!found.active) {
          // https://developers.hubspot.com/docs/api/webhooks (PATCH a subscription: {active})
          await client.request({
            operation: 'webhooks.subscriptions.update',
            method: 'PATCH',
            path: `${base}/subscriptions/${encodeURIComponent(found.id)}`,
            query,
            body: { active: true },
            signal,
          });
          outcome = 'activated';
        }
        subscriptions.push({
          id: found.id,
          eventType: found.eventType,
          ...(found.propertyName ? { propertyName: found.propertyName } : {}),
          outcome,
        });
      }
      return { targetUrl: input.targetUrl, subscriptions };
    },
    close: () => client.close(),
  };
}

/** A subscription from the webhooks v3 API (`id` may come as a number or a string). */
function toSubscription(raw: unknown): HubspotWebhookEvent & { id: string; active: boolean } {
  const body = read.object(raw, 'subscription');
  const propertyName = read.optionalString(body, 'propertyName');
  return {
    id: read.string(body, 'id', 'subscription'),
    eventType: read.string(body, 'eventType', 'subscription'),
    ...(propertyName ? { propertyName } : {}),
    active: body.active === true,
  };
}
