import type { OperationKind } from '../engine.ts';
import { linkWritten, type PersonFields } from './shared.ts';

export interface CreateCustomerInput extends Record<string, unknown> {
  customerId: string;
  person: PersonFields;
}

/**
 * A new customer in every system: CRM contact (upsert by email), payment customer, accounting
 * contact (the adapter settles Xero's unique-name rule), each linked as soon as it exists. People
 * records are not deleted when a later step fails for good: the failure and the missing system show
 * on the operation and as a sync issue, and nothing is left half-linked.
 */
export const createCustomer: OperationKind<CreateCustomerInput> = {
  kind: 'createCustomer',
  plan: () => ['hubspot.upsertContact', 'stripe.createCustomer', 'xero.createContact'],
  steps: {
    'hubspot.upsertContact': {
      system: 'hubspot',
      async run(ctx) {
        const { customerId, person } = ctx.operation.input;
        const contact = await ctx.workspace.sources.crm.upsertContact(
          { ...person, switchboardId: customerId },
          { idempotencyKey: ctx.step.idempotencyKey },
        );
        await linkWritten(ctx.hub, ctx, customerId, 'hubspot', contact.externalId);
        return { hubspotContactId: contact.externalId };
      },
      invalidates: (_, r) => [{ source: 'hubspot', resource: 'contact', key: String(r.hubspotContactId) }],
    },
    'stripe.createCustomer': {
      system: 'stripe',
      async run(ctx) {
        const { customerId, person } = ctx.operation.input;
        const customer = await ctx.workspace.sources.payments.createCustomer(
          { ...person, switchboardId: customerId },
          { idempotencyKey: ctx.step.idempotencyKey },
        );
        await linkWritten(ctx.hub, ctx, customerId, 'stripe', customer.externalId);
        return { stripeCustomerId: customer.externalId };
      },
      invalidates: (_, r) => [{ source: 'stripe', resource: 'customer', key: String(r.stripeCustomerId) }],
    },
    'xero.createContact': {
      system: 'xero',
      async run(ctx) {
        const { customerId, person } = ctx.operation.input;
        const contact = await ctx.workspace.sources.accounting.createContact(
          { ...person, switchboardId: customerId },
          { idempotencyKey: ctx.step.idempotencyKey },
        );
        await linkWritten(ctx.hub, ctx, customerId, 'xero', contact.externalId);
        return { xeroContactId: contact.externalId };
      },
      invalidates: (_, r) => [{ source: 'xero', resource: 'contact', key: String(r.xeroContactId) }],
    },
  },
};

export interface UpdateCustomerInput extends Record<string, unknown> {
  customerId: string;
  changes: Partial<PersonFields>;
  /** The customer's record in each system that holds it, known when the update was asked for. */
  links: { hubspot?: string; stripe?: string; xero?: string };
}

/** A change of name, email, phone or company carried to every system that holds the customer. */
export const updateCustomer: OperationKind<UpdateCustomerInput> = {
  kind: 'updateCustomer',
  plan: (input) => [
    ...(input.links.hubspot ? ['hubspot.updateContact'] : []),
    ...(input.links.stripe ? ['stripe.updateCustomer'] : []),
    ...(input.links.xero ? ['xero.updateContact'] : []),
  ],
  steps: {
    'hubspot.updateContact': {
      system: 'hubspot',
      async run(ctx) {
        const { links, changes } = ctx.operation.input;
        await ctx.workspace.sources.crm.updateContact(links.hubspot as string, changes, {
          idempotencyKey: ctx.step.idempotencyKey,
        });
        return {};
      },
      invalidates: (ctx) => [
        { source: 'hubspot', resource: 'contact', key: ctx.operation.input.links.hubspot },
      ],
    },
    'stripe.updateCustomer': {
      system: 'stripe',
      async run(ctx) {
        const { links, changes } = ctx.operation.input;
        await ctx.workspace.sources.payments.updateCustomer(links.stripe as string, changes, {
          idempotencyKey: ctx.step.idempotencyKey,
        });
        return {};
      },
      invalidates: (ctx) => [
        { source: 'stripe', resource: 'customer', key: ctx.operation.input.links.stripe },
      ],
    },
    'xero.updateContact': {
      system: 'xero',
      async run(ctx) {
        const { links, changes } = ctx.operation.input;
        await ctx.workspace.sources.accounting.updateContact(links.xero as string, changes, {
          idempotencyKey: ctx.step.idempotencyKey,
        });
        return {};
      },
      invalidates: (ctx) => [{ source: 'xero', resource: 'contact', key: ctx.operation.input.links.xero }],
    },
  },
};
