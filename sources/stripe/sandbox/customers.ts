import type { Route } from '../../../src/sandbox/kit/http.ts';
import { route } from './api.ts';
import { invalidRequest, noSuch } from './errors.ts';
import { applyMetadata, readParams, type MetadataPatch, type Params } from './form.ts';
import {
  CREATED_SPEC,
  LIST_SPECS,
  SEARCH_SPECS,
  expandList,
  expandObject,
  inRange,
  newestFirst,
  paginate,
} from './lists.ts';
import { emptyAddress, newCustomer, type Address, type Customer } from './objects.ts';
import { search, type SearchResource } from './search.ts';
import { previousAttributes, type Origin, type StripeState } from './state.ts';

// https://docs.stripe.com/api/customers

const NULLABLE_STRING = { type: 'string', nullable: true } as const;

const CUSTOMER_FIELDS = {
  address: {
    type: 'object',
    nullable: true,
    fields: {
      city: NULLABLE_STRING,
      country: NULLABLE_STRING,
      line1: NULLABLE_STRING,
      line2: NULLABLE_STRING,
      postal_code: NULLABLE_STRING,
      state: NULLABLE_STRING,
    },
  },
  description: { type: 'string', nullable: true, max: 350 },
  email: { type: 'string', nullable: true, max: 512 },
  metadata: { type: 'metadata' },
  name: { type: 'string', nullable: true, max: 256 },
  phone: { type: 'string', nullable: true, max: 20 },
  preferred_locales: { type: 'strings' },
  expand: { type: 'expand' },
} as const;

export interface CustomerPatch {
  name?: string | null;
  email?: string | null;
  phone?: string | null;
  description?: string | null;
  address?: Partial<Address> | null;
  metadata?: MetadataPatch;
  preferred_locales?: string[];
}

function checkEmail(email: string | null | undefined): void {
  if (email && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
    throw invalidRequest(`Invalid email address: ${email}`, { param: 'email', code: 'email_invalid' });
  }
}

const toAddress = (a: Partial<Address> | null | undefined): Address | null | undefined =>
  a === undefined ? undefined : a === null ? null : { ...emptyAddress(), ...a };

/** A live (not deleted) customer, or Stripe's 404. */
export function liveCustomer(state: StripeState, id: string, param = 'id', status = 404): Customer {
  const customer = state.customers.get(id);
  if (!customer || state.deletedCustomers.has(id)) throw noSuch('customer', id, param, status);
  return customer;
}

export function createCustomer(state: StripeState, patch: CustomerPatch, origin: Origin): Customer {
  checkEmail(patch.email);
  const customer = newCustomer({
    id: state.mint('cus_', 14),
    created: state.now(),
    invoicePrefix: state.random.string(8, '0123456789ABCDEF'),
    name: patch.name,
    email: patch.email,
    phone: patch.phone,
    description: patch.description,
    address: toAddress(patch.address),
    metadata: applyMetadata({}, patch.metadata),
    preferredLocales: patch.preferred_locales,
  });
  state.customers.set(customer.id, customer);
  state.emit('customer.created', customer, origin);
  return customer;
}

/** Applies the patch; emits `customer.updated` (with previous_attributes) only when something changed. */
export function updateCustomer(
  state: StripeState,
  id: string,
  patch: CustomerPatch,
  origin: Origin,
): Customer {
  const customer = liveCustomer(state, id);
  checkEmail(patch.email);
  const before = structuredClone(customer);
  if (patch.name !== undefined) customer.name = patch.name;
  if (patch.email !== undefined) customer.email = patch.email;
  if (patch.phone !== undefined) customer.phone = patch.phone;
  if (patch.description !== undefined) customer.description = patch.description;
  if (patch.address !== undefined) customer.address = toAddress(patch.address) ?? null;
  if (patch.preferred_locales !== undefined) customer.preferred_locales = patch.preferred_locales;
  customer.metadata = applyMetadata(customer.metadata, patch.metadata);
  const previous = previousAttributes(before, customer);
  if (Object.keys(previous).length > 0) state.emit('customer.updated', customer, origin, previous);
  return customer;
}

export const customerSearch: SearchResource<Customer> = {
  name: 'customers',
  fields: {
    created: { kind: 'number', get: (c) => c.created },
    email: { kind: 'text', get: (c) => c.email },
    name: { kind: 'text', get: (c) => c.name },
    phone: { kind: 'text', get: (c) => c.phone },
  },
  metadata: (c) => c.metadata,
};

const liveCustomers = (state: StripeState) =>
  newestFirst(state.customers).filter((c) => !state.deletedCustomers.has(c.id));

type CustomerParams = Params<typeof CUSTOMER_FIELDS>;
const patchFrom = ({ expand: _expand, ...rest }: CustomerParams): CustomerPatch => rest;

export function customerRoutes(state: StripeState): Route[] {
  return [
    route('POST', '/v1/customers', 'customers.create', ({ form, origin }) => {
      const params = readParams(form, CUSTOMER_FIELDS);
      return expandObject(state, createCustomer(state, patchFrom(params), origin), 'customer', params.expand);
    }),
    route('GET', '/v1/customers', 'customers.list', ({ form }) => {
      const params = readParams(form, {
        ...LIST_SPECS,
        ...CREATED_SPEC,
        email: { type: 'string', max: 512 },
      });
      const page = paginate({
        all: newestFirst(state.customers),
        keep: (c) =>
          !state.deletedCustomers.has(c.id) &&
          inRange(c.created, params.created) &&
          (params.email === undefined || c.email === params.email),
        params,
        url: '/v1/customers',
        objectName: 'customer',
      });
      return { ...page, data: expandList(state, page.data, 'customer', params.expand).data };
    }),
    route('GET', '/v1/customers/search', 'customers.search', ({ form }) => {
      const params = readParams(form, SEARCH_SPECS);
      const { page, total } = search({
        all: liveCustomers(state),
        resource: customerSearch,
        params,
        url: '/v1/customers/search',
      });
      const expanded = expandList(state, page.data, 'customer', params.expand);
      return { ...page, data: expanded.data, ...(expanded.totalCount ? { total_count: total } : {}) };
    }),
    route('GET', '/v1/customers/:id', 'customers.retrieve', ({ req, form }) => {
      const params = readParams(form, { expand: { type: 'expand' } });
      const id = req.params.id ?? '';
      // Stripe answers a deleted customer with its stub rather than a 404.
      if (state.deletedCustomers.has(id)) return { id, object: 'customer', deleted: true };
      return expandObject(state, liveCustomer(state, id), 'customer', params.expand);
    }),
    route('POST', '/v1/customers/:id', 'customers.update', ({ req, form, origin }) => {
      const params = readParams(form, CUSTOMER_FIELDS);
      const customer = updateCustomer(state, req.params.id ?? '', patchFrom(params), origin);
      return expandObject(state, customer, 'customer', params.expand);
    }),
    route('DELETE', '/v1/customers/:id', 'customers.del', ({ req, form, origin }) => {
      readParams(form, {});
      const customer = liveCustomer(state, req.params.id ?? '');
      state.deletedCustomers.add(customer.id);
      state.emit('customer.deleted', customer, origin);
      return { id: customer.id, object: 'customer', deleted: true };
    }),
  ];
}
