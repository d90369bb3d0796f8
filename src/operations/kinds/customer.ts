import { randomUUID } from 'node:crypto';
import type { PeopleRole } from '../../cache/keys.ts';
import { normaliseEmail } from '../../domain/model.ts';
import { hubTableChanged } from '../../cache/response-cache.ts';
import { createLinkRepository } from '../../store/links.ts';
import type { OperationKind, StepDefinition } from '../engine.ts';
import { linkWritten, type PersonFields, type Prepared } from './shared.ts';

/** A new customer: a fresh id, and the customer's row stored with the operation. */
export function prepareCreateCustomer(
  workspace: string,
  person: PersonFields,
): Prepared<CreateCustomerInput> {
  const customerId = randomUUID();
  return {
    input: { customerId, person },
    alsoWrite: async (trx) => {
      await createLinkRepository(trx).createCustomer(workspace, {
        id: customerId,
        email: normaliseEmail(person.email),
        displayName: `${person.firstName} ${person.lastName}`,
      });
    },
    // Listings of customers (and answers built on them) include the new one from now on.
    invalidates: [hubTableChanged('links')],
  };
}

/** A change to a customer: carried to each record it has (`links`), the hub's own row updated with it. */
export function prepareUpdateCustomer(
  workspace: string,
  customerId: string,
  changes: Partial<PersonFields>,
  links: Partial<Record<PeopleRole, string | null>>,
): Prepared<UpdateCustomerInput> {
  const email = changes.email ? (normaliseEmail(changes.email) ?? undefined) : undefined;
  const displayName =
    changes.firstName !== undefined ? `${changes.firstName} ${changes.lastName ?? ''}`.trim() : undefined;
  return {
    input: {
      customerId,
      changes,
      links: Object.fromEntries(Object.entries(links).filter(([, id]) => id)) as UpdateCustomerInput['links'],
    },
    alsoWrite: async (trx) => {
      await createLinkRepository(trx).updateCustomer(workspace, customerId, {
        email,
        displayName: displayName || undefined,
      });
    },
    invalidates: [hubTableChanged('links')],
  };
}

export interface CreateCustomerInput extends Record<string, unknown> {
  customerId: string;
  person: PersonFields;
}

/** Each people role's create: its port's method, and the key its record's id is stored under. */
const CREATE = {
  crm: { step: 'crm.upsertContact', resultKey: 'crmContactId' },
  payments: { step: 'payments.createCustomer', resultKey: 'paymentsCustomerId' },
  accounting: { step: 'accounting.createContact', resultKey: 'accountingContactId' },
} as const satisfies Record<PeopleRole, { step: string; resultKey: string }>;

function createStep(role: PeopleRole): StepDefinition<CreateCustomerInput> {
  const { resultKey } = CREATE[role];
  return {
    role,
    async run(ctx) {
      const { customerId, person } = ctx.operation.input;
      const input = { ...person, switchboardId: customerId };
      const options = { idempotencyKey: ctx.step.idempotencyKey };
      const { sources } = ctx.workspace;
      const record =
        role === 'crm'
          ? await sources.crm.upsertContact(input, options)
          : role === 'payments'
            ? await sources.payments.createCustomer(input, options)
            : await sources.accounting.createContact(input, options);
      await linkWritten(ctx, role, customerId, record.externalId);
      return { [resultKey]: record.externalId };
    },
    invalidates: (ctx, r) => ctx.keys.personChanged(role, String(r[resultKey])),
  };
}

/**
 * A new customer in every system: CRM contact (upsert by email), payment customer, accounting
 * contact (the adapter settles its books' naming rules), each linked as soon as it exists. People
 * records are not deleted when a later step fails for good: the failure and the missing system show
 * on the operation and as a sync issue, and nothing is left half-linked.
 */
export const createCustomer: OperationKind<CreateCustomerInput> = {
  kind: 'createCustomer',
  plan: () => [CREATE.crm.step, CREATE.payments.step, CREATE.accounting.step],
  steps: {
    [CREATE.crm.step]: createStep('crm'),
    [CREATE.payments.step]: createStep('payments'),
    [CREATE.accounting.step]: createStep('accounting'),
  },
};

export interface UpdateCustomerInput extends Record<string, unknown> {
  customerId: string;
  changes: Partial<PersonFields>;
  /** The customer's record in each role's system that holds it, known when the update was asked for. */
  links: Partial<Record<PeopleRole, string>>;
}

const UPDATE = {
  crm: 'crm.updateContact',
  payments: 'payments.updateCustomer',
  accounting: 'accounting.updateContact',
} as const satisfies Record<PeopleRole, string>;

function updateStep(role: PeopleRole): StepDefinition<UpdateCustomerInput> {
  return {
    role,
    async run(ctx) {
      const { links, changes } = ctx.operation.input;
      const id = links[role] as string;
      const options = { idempotencyKey: ctx.step.idempotencyKey };
      const { sources } = ctx.workspace;
      if (role === 'crm') await sources.crm.updateContact(id, changes, options);
      else if (role === 'payments') await sources.payments.updateCustomer(id, changes, options);
      else await sources.accounting.updateContact(id, changes, options);
      return {};
    },
    invalidates: (ctx) => ctx.keys.personChanged(role, ctx.operation.input.links[role]),
  };
}

/** A change of name, email, phone or company carried to every system that holds the customer. */
export const updateCustomer: OperationKind<UpdateCustomerInput> = {
  kind: 'updateCustomer',
  plan: (input) =>
    (['crm', 'payments', 'accounting'] as const).filter((r) => input.links[r]).map((r) => UPDATE[r]),
  steps: {
    [UPDATE.crm]: updateStep('crm'),
    [UPDATE.payments]: updateStep('payments'),
    [UPDATE.accounting]: updateStep('accounting'),
  },
};

/** An operator's choice on a sync issue: the winner's value, carried to the issue's other systems. */
export interface ResolveSyncIssueInput extends UpdateCustomerInput {
  issueId: string;
  /** The field the systems disagreed on (`email`, `phone`, `name`). */
  field: string;
  /** The system whose value won (it is not written to). */
  winner: string;
}

/**
 * Resolving a FIELD_MISMATCH or EMAIL_FORMAT_MISMATCH: the same steps as `updateCustomer`, under
 * its own kind so the Writes page says why the systems were written to.
 */
export const resolveSyncIssue: OperationKind<ResolveSyncIssueInput> = {
  kind: 'resolveSyncIssue',
  plan: updateCustomer.plan,
  steps: updateCustomer.steps,
};
