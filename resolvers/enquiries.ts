import { randomBytes, randomUUID } from 'node:crypto';
import { GraphQLError } from 'graphql';
import type { MutationSubmitEnquiryArgs, Resolvers } from '../src/graph/resolvers-types.generated.ts';
import type { GraphContext } from '../src/graph/context.ts';
import type { EnquiryPayloadModel } from '../src/graph/models.ts';
import { normaliseEmail, normalisePhone, type CrmContact } from '../src/domain/model.ts';
import { badInput } from '../src/graph/errors.ts';
import { scheduleOf } from '../src/hub.ts';
import { findService } from '../src/availability/availability.ts';
import { computeSlots } from '../src/availability/slots.ts';
import { createLinkRepository } from '../src/store/links.ts';
import { hubTableChanged } from '../src/cache/response-cache.ts';
import { createDepositStore } from '../src/deposits/store.ts';
import { depositLinkInput, recordDepositLink } from '../src/deposits/deposits.ts';
import type { SubmitEnquiryInput } from '../src/operations/kinds/enquiry.ts';
import { perform } from './operations.ts';
import { checkEmail, checkName } from './validate.ts';
import { depositReturnUrl } from './deposits.ts';
import { checkTimeFree, newEventId, workspaceBookingLock } from './booking-writes.ts';

const MAX_MESSAGE = 5_000;
/** Crockford's base32 without I, L, O, U: a reference read out over the phone is not misheard. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** `ENQ-` and 8 characters (40 random bits): quoted by the visitor, written into the CRM note. */
export function newReference(): string {
  const bytes = randomBytes(8);
  return `ENQ-${[...bytes].map((b) => ALPHABET[b % 32]).join('')}`;
}

/** The enquiry's fields that the CRM holds too, where the contact's differ from what was sent. */
function differences(
  contact: CrmContact,
  sent: { firstName: string; lastName: string; phone: string | null },
): Record<string, { crm: string; enquiry: string }> {
  const out: Record<string, { crm: string; enquiry: string }> = {};
  const same = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();
  if (contact.firstName && !same(contact.firstName, sent.firstName))
    out.firstName = { crm: contact.firstName, enquiry: sent.firstName };
  if (contact.lastName && !same(contact.lastName, sent.lastName))
    out.lastName = { crm: contact.lastName, enquiry: sent.lastName };
  if (contact.phone && sent.phone && normalisePhone(contact.phone) !== normalisePhone(sent.phone))
    out.phone = { crm: contact.phone, enquiry: sent.phone };
  return out;
}

/** Over the per-address limit: a GraphQL error with HTTP 429 and Retry-After, as the request guard's. */
async function checkRate(ctx: GraphContext): Promise<void> {
  const refusal = await ctx.security.limitEnquiry(ctx.caller.address);
  if (!refusal) return;
  const seconds = Math.ceil((refusal.retryAfterMs ?? 1_000) / 1_000);
  throw new GraphQLError(refusal.message, {
    extensions: {
      code: 'RATE_LIMITED',
      retryAfterSeconds: seconds,
      http: { status: 429, headers: { 'retry-after': String(seconds) } },
    },
  });
}

/** The slot asked for must be one `availability` could offer: a service slot inside opening hours, ahead. */
function checkSlotTime(ctx: GraphContext, serviceCode: string, start: Date) {
  const schedule = scheduleOf(ctx.hub, ctx.workspace);
  const service = findService(schedule, serviceCode, 'input.service');
  if (start.getTime() <= ctx.now.getTime())
    throw badInput(`"input.preferredStart" (${start.toISOString()}) is in the past`, 'input.preferredStart');
  const end = new Date(start.getTime() + service.durationMinutes * 60_000);
  const offered = computeSlots({ schedule, service, busy: [], from: start, to: end });
  if (!offered.some((s) => s.start.getTime() === start.getTime()))
    throw badInput(
      `"input.preferredStart" (${start.toISOString()}) is not a start time of ${service.code}: slots lie inside opening hours (${schedule.timeZone}) every ${schedule.stepMinutes} minutes; ask "availability" for them`,
      'input.preferredStart',
    );
  return { service, end };
}

async function submitEnquiry(
  ctx: GraphContext,
  args: MutationSubmitEnquiryArgs,
): Promise<EnquiryPayloadModel> {
  await checkRate(ctx);
  const { input } = args;
  // A bot fills every field: answer as for anyone, keep nothing, tell it nothing.
  if (input.website?.trim()) {
    ctx.hub.logger.info({ workspace: ctx.workspace.id }, 'enquiry with the honeypot filled: dropped');
    return { reference: newReference(), heldUntil: null, deposit: null };
  }
  const firstName = checkName(input.firstName, 'input.firstName');
  const lastName = checkName(input.lastName, 'input.lastName');
  const email = checkEmail(input.email, 'input.email');
  const phone = input.phone?.trim() || null;
  if (phone && (phone.length > 40 || !normalisePhone(phone)))
    throw badInput(`"input.phone" is not a phone number: ${JSON.stringify(input.phone)}`, 'input.phone');
  const message = input.message?.trim() ?? '';
  if (message.length > MAX_MESSAGE)
    throw badInput(
      `"input.message" is ${message.length.toLocaleString('en-GB')} characters; at most ${MAX_MESSAGE.toLocaleString('en-GB')}`,
      'input.message',
    );
  const schedule = scheduleOf(ctx.hub, ctx.workspace);
  const service = input.service?.trim() ? findService(schedule, input.service, 'input.service') : null;
  if (input.preferredStart && !service)
    throw badInput(
      '"input.preferredStart" needs "input.service": which service is the slot for?',
      'input.service',
    );
  const slot =
    service && input.preferredStart ? checkSlotTime(ctx, service.code, input.preferredStart) : null;

  const reference = newReference();
  const person = { email, firstName, lastName, phone };
  const lock = workspaceBookingLock(ctx);
  let mismatch: Record<string, { crm: string; enquiry: string }> = {};
  let customerId = '';
  try {
    const operation = await perform<SubmitEnquiryInput>(
      ctx,
      'submitEnquiry',
      args,
      async () => {
        const normal = normaliseEmail(email) as string;
        const [found] = await ctx.workspace.sources.crm.findContactsByEmail([normal], { signal: ctx.signal });
        if (found instanceof Error) throw found;
        const contact = found?.[0] ?? null;
        let newCustomer = false;
        if (contact) {
          customerId = await ctx.hub.identity.customerFor(
            ctx.workspace.id,
            { ...contact, role: 'crm' },
            { origin: 'lazy', because: `enquiry ${reference} from ${normal}` },
          );
          mismatch = differences(contact, person);
        } else {
          const known = (await ctx.hub.links.findCustomersByEmail(ctx.workspace.id, [normal])).get(normal);
          if (known?.length === 1) customerId = (known[0] as { id: string }).id;
          else {
            customerId = randomUUID();
            newCustomer = true;
          }
        }
        const note = [
          `Website enquiry ${reference}`,
          service ? `Service: ${service.name} (${service.code})` : null,
          slot ? `Asked for: ${input.preferredStart!.toISOString()} (held while the deposit is paid)` : null,
          phone ? `Phone: ${phone}` : null,
          Object.keys(mismatch).length
            ? `Details given that differ from this contact's (not written over): ${Object.entries(mismatch)
                .map(([field, v]) => `${field} "${v.enquiry}"`)
                .join(', ')}`
            : null,
          '',
          message || '(no message)',
        ]
          .filter((line) => line !== null)
          .join('\n');
        const hold =
          slot && service
            ? {
                eventId: newEventId(),
                title: `${service.name} — ${firstName} ${lastName} (held)`,
                serviceCode: service.code,
                start: input.preferredStart!.toISOString(),
                end: slot.end.toISOString(),
              }
            : null;
        const deposit =
          hold && service?.deposit
            ? depositLinkInput({
                bookingEventId: hold.eventId,
                amount: service.deposit,
                description: `Deposit: ${service.name}, ${reference}`,
                paymentsCustomerId: null,
                customerEmail: email,
                customerId,
                reference,
                returnUrl: depositReturnUrl(ctx),
                minutes: ctx.hub.deposits.minutes,
                now: ctx.now,
              })
            : null;
        if (hold) {
          await lock.acquire();
          await checkTimeFree(ctx, {
            serviceCode: hold.serviceCode,
            start: input.preferredStart!,
            end: slot!.end,
            argument: 'input.preferredStart',
          });
        }
        const writeDeposit = deposit
          ? recordDepositLink(ctx.workspace.id, deposit, { holdsSlot: true, payer: person })
          : null;
        return {
          input: {
            reference,
            customerId,
            person,
            crmContactId: contact?.externalId ?? null,
            mismatch: Object.keys(mismatch).length > 0,
            note,
            hold,
            deposit,
          },
          alsoWrite: async (trx, operationId) => {
            if (newCustomer)
              await createLinkRepository(trx).createCustomer(ctx.workspace.id, {
                id: customerId,
                email: normal,
                displayName: `${firstName} ${lastName}`,
              });
            if (writeDeposit) await writeDeposit(trx, operationId);
          },
          invalidates: newCustomer ? [hubTableChanged('links')] : [],
        };
      },
      lock.release,
    );
    if (Object.keys(mismatch).length > 0) {
      await ctx.hub.issues.raise(ctx.workspace.id, {
        customerId,
        kind: 'ENQUIRY_MISMATCH',
        field: Object.keys(mismatch)[0] ?? null,
        systems: [ctx.workspace.sources.crm.name],
        details: { reference: operation.input.reference, ...mismatch },
        message: `Website enquiry ${String(operation.input.reference)} gave ${Object.entries(mismatch)
          .map(([field, v]) => `${field} "${v.enquiry}" where the CRM has "${v.crm}"`)
          .join(', ')}; the CRM was not written over.`,
      });
    }
    const stored = operation.input as SubmitEnquiryInput;
    const depositRow = stored.deposit
      ? await createDepositStore(ctx.hub.store.db).get(ctx.workspace.id, stored.deposit.depositId)
      : null;
    const held = stored.hold && (operation.state === 'PENDING' || operation.state === 'COMPLETED');
    return {
      reference: stored.reference,
      heldUntil: held
        ? (depositRow?.expiresAt ?? (stored.deposit ? new Date(stored.deposit.expiresAt) : null))
        : null,
      deposit: depositRow?.url ? depositRow : null,
    };
  } finally {
    await lock.release();
  }
}

export const enquiryResolvers: Resolvers = {
  Mutation: {
    submitEnquiry: (_, args, ctx) => submitEnquiry(ctx, args),
  },
};
