import type { OperationKind } from '../engine.ts';
import { depositLinkStep, type DepositLinkInput } from './deposit.ts';
import { linkWritten, type IsoDate } from './shared.ts';

/** A slot held for an enquiry: a tentative booking in the calendar while the deposit is paid. */
export interface HeldSlot {
  eventId: string;
  title: string;
  serviceCode: string;
  start: IsoDate;
  end: IsoDate;
}

export interface SubmitEnquiryInput extends Record<string, unknown> {
  /** `ENQ-…`: what the visitor quotes; in the CRM note too. */
  reference: string;
  customerId: string;
  person: { email: string; firstName: string; lastName: string; phone: string | null };
  /**
   * The CRM contact with this email, when there was one. With `mismatch` its details are not written
   * over (a sync issue holds the enquiry's); otherwise the upsert by email fills in what is new.
   */
  crmContactId: string | null;
  mismatch: boolean;
  note: string;
  hold: HeldSlot | null;
  deposit: DepositLinkInput | null;
}

const contactOf = (input: SubmitEnquiryInput, context: Record<string, unknown>): string => {
  const id = context.crmContactId ?? input.crmContactId;
  if (typeof id !== 'string') throw new Error('the enquiry has no CRM contact yet');
  return id;
};

/**
 * A website's enquiry: the CRM contact made or found by email and set to the lead stage (details
 * that disagree are not written over), the message as a note on it, and, when a slot was asked for,
 * the slot pencilled in and a deposit link made. A refusal from the calendar or the payments system
 * lets the hold go; the CRM keeps the lead and its note either way.
 */
export const submitEnquiry: OperationKind<SubmitEnquiryInput> = {
  kind: 'submitEnquiry',
  plan: (input) => [
    'crm.upsertLead',
    'crm.addNote',
    ...(input.hold ? ['calendar.holdSlot'] : []),
    ...(input.hold && input.deposit ? ['payments.createDepositLink'] : []),
  ],
  steps: {
    'crm.upsertLead': {
      role: 'crm',
      async run(ctx) {
        const { customerId, person, crmContactId, mismatch } = ctx.operation.input;
        const crm = ctx.workspace.sources.crm;
        const options = { idempotencyKey: ctx.step.idempotencyKey };
        const contact =
          crmContactId && mismatch
            ? await crm.updateContact(crmContactId, { stage: 'LEAD' }, options)
            : await crm.upsertContact(
                { ...person, company: null, switchboardId: customerId, stage: 'LEAD' },
                options,
              );
        await linkWritten(ctx, 'crm', customerId, contact.externalId);
        return { crmContactId: contact.externalId };
      },
      invalidates: (ctx, r) => ctx.keys.personChanged('crm', String(r.crmContactId)),
    },
    'crm.addNote': {
      role: 'crm',
      async run(ctx) {
        const contactId = contactOf(ctx.operation.input, ctx.operation.context);
        const note = await ctx.workspace.sources.crm.addNote(contactId, ctx.operation.input.note, {
          idempotencyKey: ctx.step.idempotencyKey,
        });
        return { noteId: note.externalId };
      },
      invalidates: (ctx) =>
        ctx.keys.personChanged('crm', contactOf(ctx.operation.input, ctx.operation.context)),
    },
    'calendar.holdSlot': {
      role: 'calendar',
      async run(ctx) {
        const { hold, person, customerId, reference, deposit } = ctx.operation.input;
        const slot = hold as HeldSlot;
        await ctx.workspace.sources.calendar.createEvent({
          id: slot.eventId,
          title: slot.title,
          start: new Date(slot.start),
          end: new Date(slot.end),
          attendee: { email: person.email, name: `${person.firstName} ${person.lastName}` },
          serviceCode: slot.serviceCode,
          status: 'TENTATIVE',
          description: `Held for enquiry ${reference} until its deposit is paid.`,
          properties: {
            bookingRef: slot.eventId,
            switchboardCustomerId: customerId,
            enquiryRef: reference,
            ...(deposit ? { depositId: deposit.depositId } : {}),
          },
        });
        return { eventId: slot.eventId };
      },
      async compensate(ctx) {
        await ctx.workspace.sources.calendar.cancelEvent((ctx.operation.input.hold as HeldSlot).eventId);
      },
      invalidates: (ctx) => ctx.keys.bookingChanged((ctx.operation.input.hold as HeldSlot).eventId),
    },
    'payments.createDepositLink': depositLinkStep((input) => input.deposit as DepositLinkInput),
  },
};
