import type { PersonRecord } from '../../src/domain/model.ts';
import { SourceError } from '../../src/domain/errors.ts';
import type { AccountingSource, CallOptions } from '../../src/domain/ports.ts';
import { createUpstreamClient, type Connected } from '../../src/upstream/client.ts';
import { createReader } from '../../src/upstream/validate.ts';
import type { Metrics } from '../../src/observability/metrics.ts';
import type { UpstreamPolicy } from '../../src/upstream/policy.ts';

export interface ExampleSourceOptions {
  baseUrl: string;
  apiKey: string;
  timeoutMs?: number;
  metrics?: Metrics;
  policy?: UpstreamPolicy;
}

const read = createReader('example');

/** One place maps the vendor's records to the model; vendor shapes never leave this folder. */
function toPerson(raw: unknown): PersonRecord {
  const contact = read.object(raw, 'contact');
  const id = read.string(contact, 'id', 'contact');
  return {
    source: 'example',
    externalId: id,
    email: read.optionalString(contact, 'email'),
    firstName: read.optionalString(contact, 'first_name'),
    lastName: read.optionalString(contact, 'last_name'),
    name: read.optionalString(contact, 'name'),
    phone: null,
    company: null,
    createdAt: null,
    updatedAt: null,
    url: null,
  };
}

/** What is left to write; the registry never lists the template, so nothing calls these. */
const notWritten = (method: string) => async (): Promise<never> => {
  throw new SourceError(
    'example',
    'INVALID_REQUEST',
    `the Example template has no ${method} yet (CHECKLIST.md, step 3)`,
  );
};

export function createExampleSource(options: ExampleSourceOptions): AccountingSource & Connected {
  const client = createUpstreamClient({
    source: 'example',
    baseUrl: options.baseUrl,
    headers: () => ({ authorization: `Bearer ${options.apiKey}` }),
    // Step 3: one function maps every failure the vendor can answer (errors.ts).
    toError: (response, operation) =>
      new SourceError(
        'example',
        response.status === 404 ? 'NOT_FOUND' : 'UPSTREAM_ERROR',
        `example answered ${response.status}`,
        {
          status: response.status,
          operation,
        },
      ),
    timeoutMs: options.timeoutMs,
    metrics: options.metrics,
    policy: options.policy,
  });
  return {
    name: 'example',
    client,
    close: () => client.close(),
    recordUrl: () => null,
    // A worked example of a batch read: one request for all ids, one entry per id in key order.
    async getContacts(ids: readonly string[], callOptions: CallOptions = {}) {
      // https://example.com/docs/contacts#list (the vendor's docs URL above each request)
      const res = await client.request<{ contacts: unknown[] }>({
        operation: 'contacts.list',
        method: 'GET',
        path: '/v1/contacts',
        query: { ids: [...ids] },
        signal: callOptions.signal,
      });
      const found = new Map(res.body.contacts.map((c) => toPerson(c)).map((p) => [p.externalId, p]));
      return ids.map(
        (id) =>
          found.get(id) ??
          new SourceError('example', 'NOT_FOUND', `example has no contact ${id}`, {
            operation: 'contacts.list',
          }),
      );
    },
    findContactsByEmail: notWritten('findContactsByEmail'),
    listContacts: notWritten('listContacts'),
    listInvoicesByContact: notWritten('listInvoicesByContact'),
    getInvoices: notWritten('getInvoices'),
    listInvoices: notWritten('listInvoices'),
    createContact: notWritten('createContact'),
    updateContact: notWritten('updateContact'),
    createInvoice: notWritten('createInvoice'),
    voidInvoice: notWritten('voidInvoice'),
    recordPayment: notWritten('recordPayment'),
  };
}
