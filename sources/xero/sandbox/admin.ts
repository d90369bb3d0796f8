/**
 * Xero-specific admin surface (plain JSON in and out): consent, clock, limits, token settings,
 * the webhook subscription (with intent-to-receive), and changes "made in the Xero app" that
 * emit signed webhooks.
 */
import type { Route, SandboxResponse } from '../../../src/sandbox/kit/http.ts';
import type { XeroContext } from './context.ts';
import { applyContact, contactToWire, findContact } from './contacts.ts';
import { findInvoice, invoiceToWire } from './invoices.ts';
import { applyPayment, paymentToWire } from './payments.ts';
import { DEFAULT_SCOPES, type Identity } from './identity.ts';
import { clockRoutes } from '../../../src/sandbox/kit/clock.ts';
import { authorizeRoute } from '../../../src/sandbox/kit/oauth.ts';
import { limitRoutes } from '../../../src/sandbox/kit/limits.ts';
import { DEFAULT_LIMITS, type Limiter } from './limits.ts';
import { amountDue } from './state.ts';
import type { EventCategory, XeroWebhooks } from './webhooks.ts';
import { isRecord, money } from './wire.ts';

const bad = (error: string): SandboxResponse => ({ status: 400, body: { error } });
const ok = (body: unknown): SandboxResponse => ({ status: 200, body });

/** edit-contact accepts Xero's own field names and a few plain aliases. */
const CONTACT_ALIASES: Record<string, string> = {
  name: 'Name',
  Name: 'Name',
  firstName: 'FirstName',
  FirstName: 'FirstName',
  lastName: 'LastName',
  LastName: 'LastName',
  email: 'EmailAddress',
  emailAddress: 'EmailAddress',
  EmailAddress: 'EmailAddress',
  status: 'ContactStatus',
  ContactStatus: 'ContactStatus',
  contactNumber: 'ContactNumber',
  ContactNumber: 'ContactNumber',
  Phones: 'Phones',
  Addresses: 'Addresses',
};

export function adminRoutes(deps: {
  ctx: XeroContext;
  identity: Identity;
  limiter: Limiter;
  webhooks: XeroWebhooks;
}): Route[] {
  const { ctx, identity, limiter, webhooks } = deps;
  return [
    authorizeRoute({
      authorize: identity.authorize,
      defaultScopes: DEFAULT_SCOPES,
      example: '{"scopes":["openid","offline_access"]}',
    }),
    ...clockRoutes(ctx.clock),
    ...limitRoutes(limiter, DEFAULT_LIMITS, () => limiter.usage(ctx.tenantId)),
    {
      method: 'POST',
      path: '/__sandbox/tokens',
      operation: 'admin.tokens.configure',
      handler: (req) => {
        const input = req.json();
        if (!isRecord(input)) return bad('body must be a JSON object');
        for (const [key, value] of Object.entries(input)) {
          if (key !== 'accessTokenSeconds' && key !== 'refreshGraceSeconds')
            return bad(`unknown token setting "${key}" (known: accessTokenSeconds, refreshGraceSeconds)`);
          if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
            return bad(`"${key}" must be a non-negative integer`);
          identity.settings[key] = value;
        }
        return ok({ tokenSettings: identity.settings });
      },
    },
    {
      method: 'POST',
      path: '/__sandbox/webhooks/subscribe',
      operation: 'admin.webhooks.subscribe',
      handler: async (req) => {
        const input = req.json();
        if (!isRecord(input) || typeof input.url !== 'string')
          return bad('body must be {"url":"https://..."}');
        try {
          const url = new URL(input.url);
          if (url.protocol !== 'http:' && url.protocol !== 'https:') return bad('"url" must be http(s)');
        } catch {
          return bad(`"url" is not a valid URL: ${input.url}`);
        }
        const categories = (input.categories ?? ['CONTACT', 'INVOICE']) as unknown;
        if (
          !Array.isArray(categories) ||
          categories.length === 0 ||
          categories.some((c) => c !== 'CONTACT' && c !== 'INVOICE')
        )
          return bad('"categories" must be a non-empty list of "CONTACT" and/or "INVOICE"');
        const result = await webhooks.subscribe(input.url, categories as EventCategory[]);
        if (!result.ok)
          return {
            status: 400,
            body: {
              status: 'FAILED',
              step: result.step,
              error: `Intent to receive failed: ${result.detail}`,
            },
          };
        return ok({ status: 'OK', subscription: result.subscription });
      },
    },
    {
      method: 'GET',
      path: '/__sandbox/webhooks/subscription',
      operation: 'admin.webhooks.subscription',
      handler: () =>
        ok({ subscription: webhooks.subscription() ?? null, lastEventSequence: webhooks.lastSequence() }),
    },
    {
      method: 'DELETE',
      path: '/__sandbox/webhooks/subscription',
      operation: 'admin.webhooks.unsubscribe',
      handler: () => ok({ removed: webhooks.unsubscribe() }),
    },
    {
      method: 'POST',
      path: '/__sandbox/actions/pay-invoice',
      operation: 'admin.actions.payInvoice',
      handler: (req) => {
        const input = req.json();
        if (!isRecord(input) || typeof input.invoiceId !== 'string')
          return bad(
            'body must be {"invoiceId":"<InvoiceID or number>", "amount"?: pounds, "date"?: "YYYY-MM-DD"}',
          );
        const invoice = findInvoice(ctx, input.invoiceId);
        if (!invoice) return { status: 404, body: { error: `no invoice "${input.invoiceId}"` } };
        if (input.amount !== undefined && (typeof input.amount !== 'number' || !(input.amount > 0)))
          return bad('"amount" must be a positive number of pounds, e.g. 65.00');
        const changes = ctx.changes();
        const result = applyPayment(
          ctx,
          {
            Invoice: { InvoiceID: invoice.id },
            Account: { Code: typeof input.accountCode === 'string' ? input.accountCode : '090' },
            Amount: input.amount ?? money(amountDue(ctx.books, invoice)),
            ...(input.date !== undefined ? { Date: input.date } : {}),
            Reference:
              typeof input.reference === 'string' ? input.reference : 'Paid in the Xero app (sandbox)',
          },
          changes,
        );
        if ('errors' in result) {
          changes.discard();
          return bad(result.errors.join(' '));
        }
        changes.commit();
        return ok({
          payment: paymentToWire(ctx, ctx.books.payments.get(result.id)!),
          invoice: invoiceToWire(ctx, invoice, { lineItems: true }),
        });
      },
    },
    {
      method: 'POST',
      path: '/__sandbox/actions/edit-contact',
      operation: 'admin.actions.editContact',
      handler: (req) => {
        const input = req.json();
        if (!isRecord(input) || typeof input.contactId !== 'string')
          return bad(
            'body must be {"contactId":"<ContactID>", ...fields (Name, FirstName, LastName, EmailAddress, ContactStatus, phone)}',
          );
        const contact = findContact(ctx, input.contactId);
        if (!contact) return { status: 404, body: { error: `no contact "${input.contactId}"` } };
        const patch: Record<string, unknown> = {};
        for (const [key, value] of Object.entries(input)) {
          if (key === 'contactId') continue;
          if (key === 'phone') {
            if (typeof value !== 'string') return bad('"phone" must be a string');
            patch.Phones = [{ PhoneType: 'MOBILE', PhoneNumber: value }];
            continue;
          }
          const field = CONTACT_ALIASES[key];
          if (!field)
            return bad(
              `unknown contact field "${key}" (known: ${Object.keys(CONTACT_ALIASES).join(', ')}, phone)`,
            );
          patch[field] = value;
        }
        if (Object.keys(patch).length === 0) return bad('nothing to change: give at least one field');
        const changes = ctx.changes();
        let result;
        try {
          result = applyContact(ctx, patch, contact, changes);
        } catch {
          changes.discard();
          return bad('a field has the wrong type (strings expected; Phones/Addresses as Xero arrays)');
        }
        if ('errors' in result) {
          changes.discard();
          return bad(result.errors.join(' '));
        }
        changes.commit();
        return ok({ contact: contactToWire(ctx, contact) });
      },
    },
  ];
}
