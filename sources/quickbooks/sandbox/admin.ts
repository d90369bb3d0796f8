/**
 * QuickBooks-specific admin surface (plain JSON in and out): consent without a browser, the
 * clock, limits, token lifetimes, the webhook endpoint (Intuit has no API for it: it is set in
 * the developer portal), and changes made "in QuickBooks" by a user, which emit signed webhooks.
 */
import type { Route, SandboxResponse } from '../../../src/sandbox/kit/http.ts';
import type { QboContext } from './context.ts';
import { applyCustomer, customerToWire, findCustomer } from './customers.ts';
import { DEFAULT_SCOPES, type Identity } from './identity.ts';
import { applyInvoice, findInvoice, invoiceToWire, voidInvoice } from './invoices.ts';
import { clockRoutes } from '../../../src/sandbox/kit/clock.ts';
import { authorizeRoute } from '../../../src/sandbox/kit/oauth.ts';
import { limitRoutes } from '../../../src/sandbox/kit/limits.ts';
import { DEFAULT_LIMITS, type Limiter } from './limits.ts';
import { applyPayment, paymentToWire } from './payments.ts';
import { invoiceBalance, STANDARD_RATE, type EntityName, type Invoice } from './state.ts';
import { WEBHOOK_ENTITIES, type ChangeBatch, type QboWebhooks } from './webhooks.ts';
import { isRecord, money, QboFault } from './wire.ts';

const bad = (error: string): SandboxResponse => ({ status: 400, body: { error } });
const ok = (body: unknown): SandboxResponse => ({ status: 200, body });

/** Runs one change "made in QuickBooks": commits its webhook on success, answers 400 on a refusal. */
function action(ctx: QboContext, run: (changes: ChangeBatch) => unknown): SandboxResponse {
  const changes = ctx.changes();
  try {
    const body = run(changes);
    changes.commit();
    return ok(body);
  } catch (error) {
    changes.discard();
    if (error instanceof QboFault)
      return { status: 400, body: { error: error.message, fault: error.fault() } };
    throw error;
  }
}

/** edit-customer accepts QBO's own member names and a few plain aliases. */
const CUSTOMER_ALIASES: Record<string, (value: unknown) => [string, unknown]> = {
  displayName: (v) => ['DisplayName', v],
  DisplayName: (v) => ['DisplayName', v],
  firstName: (v) => ['GivenName', v],
  GivenName: (v) => ['GivenName', v],
  lastName: (v) => ['FamilyName', v],
  FamilyName: (v) => ['FamilyName', v],
  company: (v) => ['CompanyName', v],
  CompanyName: (v) => ['CompanyName', v],
  email: (v) => ['PrimaryEmailAddr', { Address: v }],
  PrimaryEmailAddr: (v) => ['PrimaryEmailAddr', v],
  phone: (v) => ['PrimaryPhone', { FreeFormNumber: v }],
  PrimaryPhone: (v) => ['PrimaryPhone', v],
  active: (v) => ['Active', v],
  Active: (v) => ['Active', v],
  notes: (v) => ['Notes', v],
  Notes: (v) => ['Notes', v],
};

/** An invoice by Id or DocNumber. */
function invoiceByRef(ctx: QboContext, ref: string): Invoice | undefined {
  return findInvoice(ctx, ref) ?? [...ctx.company.invoices.values()].find((i) => i.docNumber === ref);
}

export function adminRoutes(deps: {
  ctx: QboContext;
  identity: Identity;
  limiter: Limiter;
  webhooks: QboWebhooks;
}): Route[] {
  const { ctx, identity, limiter, webhooks } = deps;
  return [
    authorizeRoute({
      authorize: identity.authorize,
      defaultScopes: DEFAULT_SCOPES,
      example: '{"scopes":["com.intuit.quickbooks.accounting"]}',
      // Intuit's redirect carries the company the user picked beside the code.
      extra: () => ({ realmId: ctx.realmId }),
    }),
    ...clockRoutes(ctx.clock),
    ...limitRoutes(limiter, DEFAULT_LIMITS, () => limiter.usage(ctx.realmId)),
    {
      method: 'GET',
      path: '/__sandbox/tokens',
      operation: 'admin.tokens.get',
      handler: () => ok({ tokenSettings: identity.settings, ...identity.describe() }),
    },
    {
      method: 'POST',
      path: '/__sandbox/tokens',
      operation: 'admin.tokens.configure',
      handler: (req) => {
        const input = req.json();
        if (!isRecord(input)) return bad('body must be a JSON object');
        const known = ['accessTokenSeconds', 'refreshGraceSeconds', 'refreshLifetimeSeconds'] as const;
        for (const [key, value] of Object.entries(input)) {
          if (!(known as readonly string[]).includes(key))
            return bad(`unknown token setting "${key}" (known: ${known.join(', ')})`);
          if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
            return bad(`"${key}" must be a non-negative integer`);
        }
        Object.assign(identity.settings, input);
        return ok({ tokenSettings: identity.settings });
      },
    },
    {
      method: 'POST',
      path: '/__sandbox/webhooks/endpoint',
      operation: 'admin.webhooks.register',
      handler: (req) => {
        const input = req.json();
        if (!isRecord(input) || typeof input.url !== 'string')
          return bad('body must be {"url":"https://...", "entities"?: ["Customer","Invoice","Payment"]}');
        try {
          const url = new URL(input.url);
          if (url.protocol !== 'http:' && url.protocol !== 'https:') return bad('"url" must be http(s)');
        } catch {
          return bad(`"url" is not a valid URL: ${input.url}`);
        }
        const entities = (input.entities ?? WEBHOOK_ENTITIES) as unknown;
        if (
          !Array.isArray(entities) ||
          entities.length === 0 ||
          entities.some((e) => !WEBHOOK_ENTITIES.includes(e as EntityName))
        )
          return bad(`"entities" must be a non-empty list of ${WEBHOOK_ENTITIES.join(', ')}`);
        return ok({
          endpoint: webhooks.register(input.url, entities as EntityName[]),
          connected: identity.connected(ctx.realmId),
        });
      },
    },
    {
      method: 'GET',
      path: '/__sandbox/webhooks/endpoint',
      operation: 'admin.webhooks.endpoint',
      handler: () =>
        ok({
          endpoint: webhooks.endpoint() ?? null,
          connected: identity.connected(ctx.realmId),
          notificationsSent: webhooks.sent(),
        }),
    },
    {
      method: 'DELETE',
      path: '/__sandbox/webhooks/endpoint',
      operation: 'admin.webhooks.unregister',
      handler: () => ok({ removed: webhooks.unregister() }),
    },
    {
      method: 'POST',
      path: '/__sandbox/actions/edit-customer',
      operation: 'admin.actions.editCustomer',
      handler: (req) => {
        const input = req.json();
        if (!isRecord(input) || typeof input.customerId !== 'string')
          return bad(
            'body must be {"customerId":"<Id>", ...fields (DisplayName, GivenName/firstName, FamilyName/lastName, email, phone, CompanyName, Active, Notes)}',
          );
        const customer = findCustomer(ctx, input.customerId);
        if (!customer) return { status: 404, body: { error: `no customer "${input.customerId}"` } };
        const patch: Record<string, unknown> = { sparse: true };
        for (const [key, value] of Object.entries(input)) {
          if (key === 'customerId') continue;
          const alias = CUSTOMER_ALIASES[key];
          if (!alias)
            return bad(
              `unknown customer field "${key}" (known: ${Object.keys(CUSTOMER_ALIASES).join(', ')})`,
            );
          const [field, mapped] = alias(value);
          patch[field] = mapped;
        }
        if (Object.keys(patch).length === 1) return bad('nothing to change: give at least one field');
        return action(ctx, (changes) => ({
          customer: customerToWire(ctx, applyCustomer(ctx, patch, customer, changes)),
        }));
      },
    },
    {
      method: 'POST',
      path: '/__sandbox/actions/raise-invoice',
      operation: 'admin.actions.raiseInvoice',
      handler: (req) => {
        const input = req.json();
        if (!isRecord(input) || typeof input.customerId !== 'string')
          return bad(
            'body must be {"customerId":"<Id>", "serviceCode"?: "SPORTS-60", "quantity"?: 1, "unitPrice"?: pounds excl. VAT, "description"?, "txnDate"?, "dueDate"?}',
          );
        const customer = findCustomer(ctx, input.customerId);
        if (!customer) return { status: 404, body: { error: `no customer "${input.customerId}"` } };
        const code = typeof input.serviceCode === 'string' ? input.serviceCode : 'SPORTS-60';
        const item = [...ctx.company.items.values()].find((i) => i.sku === code);
        if (!item) return bad(`unknown serviceCode "${code}"`);
        const quantity = input.quantity ?? 1;
        if (typeof quantity !== 'number' || !(quantity > 0))
          return bad('"quantity" must be a positive number');
        const unitPrice = input.unitPrice ?? money(item.unitPrice);
        if (typeof unitPrice !== 'number' || !(unitPrice >= 0))
          return bad('"unitPrice" must be pounds, e.g. 54.17');
        return action(ctx, (changes) => {
          const invoice = applyInvoice(
            ctx,
            {
              CustomerRef: { value: customer.id },
              Line: [
                {
                  DetailType: 'SalesItemLineDetail',
                  Amount: Math.round(quantity * unitPrice * 100) / 100,
                  Description: typeof input.description === 'string' ? input.description : item.name,
                  SalesItemLineDetail: {
                    ItemRef: { value: item.id },
                    Qty: quantity,
                    UnitPrice: Math.round(quantity * unitPrice * 100) / 100 / quantity,
                    TaxCodeRef: { value: STANDARD_RATE },
                  },
                },
              ],
              ...(typeof input.txnDate === 'string' ? { TxnDate: input.txnDate } : {}),
              ...(typeof input.dueDate === 'string' ? { DueDate: input.dueDate } : {}),
              EmailStatus: 'EmailSent',
            },
            undefined,
            changes,
            { include: [] },
          );
          return { invoice: invoiceToWire(ctx, invoice) };
        });
      },
    },
    {
      method: 'POST',
      path: '/__sandbox/actions/pay-invoice',
      operation: 'admin.actions.payInvoice',
      handler: (req) => {
        const input = req.json();
        if (!isRecord(input) || typeof input.invoiceId !== 'string')
          return bad(
            'body must be {"invoiceId":"<Id or DocNumber>", "amount"?: pounds (default: the balance), "txnDate"?, "privateNote"?}',
          );
        const invoice = invoiceByRef(ctx, input.invoiceId);
        if (!invoice) return { status: 404, body: { error: `no invoice "${input.invoiceId}"` } };
        const amount = input.amount ?? money(invoiceBalance(ctx.company, invoice));
        if (typeof amount !== 'number' || !(amount > 0))
          return bad('"amount" must be a positive number of pounds');
        return action(ctx, (changes) => {
          const payment = applyPayment(
            ctx,
            {
              CustomerRef: { value: invoice.customerId },
              TotalAmt: amount,
              Line: [{ Amount: amount, LinkedTxn: [{ TxnId: invoice.id, TxnType: 'Invoice' }] }],
              ...(typeof input.txnDate === 'string' ? { TxnDate: input.txnDate } : {}),
              PrivateNote:
                typeof input.privateNote === 'string'
                  ? input.privateNote
                  : 'Received in QuickBooks (sandbox)',
            },
            undefined,
            changes,
          );
          return { payment: paymentToWire(ctx, payment), invoice: invoiceToWire(ctx, invoice) };
        });
      },
    },
    {
      method: 'POST',
      path: '/__sandbox/actions/void-invoice',
      operation: 'admin.actions.voidInvoice',
      handler: (req) => {
        const input = req.json();
        if (!isRecord(input) || typeof input.invoiceId !== 'string')
          return bad('body must be {"invoiceId":"<Id or DocNumber>"}');
        const invoice = invoiceByRef(ctx, input.invoiceId);
        if (!invoice) return { status: 404, body: { error: `no invoice "${input.invoiceId}"` } };
        return action(ctx, (changes) => ({
          invoice: invoiceToWire(ctx, voidInvoice(ctx, invoice, changes)),
        }));
      },
    },
  ];
}
