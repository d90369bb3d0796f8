import { normaliseEmail } from '../src/domain/model.ts';
import type { Resolvers } from '../src/graph/resolvers-types.generated.ts';
import { toGlobalId } from '../src/graph/ids.ts';
import { GraphQLError } from 'graphql';
import {
  prepareCreateCustomer,
  prepareUpdateCustomer,
  type CreateCustomerInput,
  type UpdateCustomerInput,
} from '../src/operations/kinds/customer.ts';
import type { PersonFields } from '../src/operations/kinds/shared.ts';
import { perform } from './operations.ts';
import { checkEmail, checkName } from './validate.ts';
import { customerFor, recordsOf } from './write-helpers.ts';
import { profile } from './customer.ts';

const optional = (value: string | null | undefined) => (value == null ? value : value.trim() || null);

export const customerWriteResolvers: Resolvers = {
  CustomerPayload: {
    operation: (op) => op,
    customer: (op, _, ctx) => {
      const id = op.input.customerId;
      return typeof id === 'string' ? ctx.loaders.customer.load(id) : null;
    },
  },
  Mutation: {
    createCustomer: (_, args, ctx) =>
      perform<CreateCustomerInput>(ctx, 'createCustomer', args, async () => {
        const { input } = args;
        const person: PersonFields = {
          firstName: checkName(input.firstName, 'input.firstName'),
          lastName: checkName(input.lastName, 'input.lastName'),
          email: checkEmail(input.email, 'input.email'),
          phone: optional(input.phone) ?? null,
          company: optional(input.company) ?? null,
        };
        const email = normaliseEmail(person.email) as string;
        const existing = (await ctx.hub.links.findCustomersByEmail(ctx.workspace.id, [email])).get(email);
        if (existing?.[0]) {
          throw new GraphQLError(
            `A customer with the email ${email} exists already (${toGlobalId('Customer', existing[0].id)}); use updateCustomer to change them.`,
            { extensions: { code: 'CUSTOMER_EXISTS', customerId: toGlobalId('Customer', existing[0].id) } },
          );
        }
        return prepareCreateCustomer(ctx.workspace.id, person);
      }),

    updateCustomer: (_, args, ctx) =>
      perform<UpdateCustomerInput>(ctx, 'updateCustomer', args, async () => {
        const customer = await customerFor(ctx, args.id, 'id');
        const { input } = args;
        const changes: Partial<PersonFields> = {};
        if (input.firstName != null) changes.firstName = checkName(input.firstName, 'input.firstName');
        if (input.lastName != null) changes.lastName = checkName(input.lastName, 'input.lastName');
        if (input.email != null) changes.email = checkEmail(input.email, 'input.email');
        if (input.phone !== undefined) changes.phone = optional(input.phone) ?? null;
        if (input.company !== undefined) changes.company = optional(input.company) ?? null;
        if (Object.keys(changes).length === 0) {
          throw new GraphQLError('"input" changes nothing: give at least one field', {
            extensions: { code: 'BAD_USER_INPUT', argument: 'input' },
          });
        }
        // Systems that keep one full name need both halves: complete a half-given name from the CRM.
        if ((changes.firstName === undefined) !== (changes.lastName === undefined)) {
          const current = await profile(customer, ctx);
          changes.firstName ??= current?.firstName ?? '';
          changes.lastName ??= current?.lastName ?? '';
        }
        const email = changes.email ? normaliseEmail(changes.email) : null;
        if (email && email !== customer.email) {
          const clash = (await ctx.hub.links.findCustomersByEmail(ctx.workspace.id, [email])).get(email)?.[0];
          if (clash) {
            throw new GraphQLError(
              `The email ${email} belongs to another customer (${toGlobalId('Customer', clash.id)}).`,
              {
                extensions: { code: 'CUSTOMER_EXISTS', customerId: toGlobalId('Customer', clash.id) },
              },
            );
          }
        }
        return prepareUpdateCustomer(ctx.workspace.id, customer.id, changes, await recordsOf(ctx, customer));
      }),
  },
};
