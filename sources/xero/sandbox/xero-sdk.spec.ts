/**
 * The official xero-node SDK against the sandbox, with only its base path changed: contacts,
 * invoices, payments, idempotency keys, validation errors and 404s.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CurrencyCode, Invoice, LineAmountTypes, type Contact, type XeroClient } from 'xero-node';
import { generateBusiness, customerAt } from '../../../src/sandbox/seed/business.ts';
import type { VendorSandbox } from '../../../src/sandbox/types.ts';
import { startXeroSandbox } from './server.ts';
import { accessToken, admin, FIXED_NOW, sdkClient, sdkFailure } from './testing.ts';

const business = generateBusiness({ now: FIXED_NOW });
const xeroCustomers = business.customers.filter((c) => customerAt(c, 'xero'));
let sandbox: VendorSandbox;
let xero: XeroClient;
let tenant: string;

beforeAll(async () => {
  sandbox = await startXeroSandbox({ business });
  tenant = sandbox.credentials.tenantId!;
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(async () => {
  await admin(sandbox, 'POST', '/__sandbox/reset');
  xero = sdkClient(sandbox, await accessToken(sandbox));
});

const api = () => xero.accountingApi;

describe('contacts', () => {
  it('getContacts with IDs returns exactly those contacts, named "First Last"', async () => {
    const picked = xeroCustomers.slice(0, 3);
    const { body } = await api().getContacts(
      tenant,
      undefined,
      undefined,
      undefined,
      picked.map((c) => c.ids.xeroContactId),
    );
    expect(body.contacts?.map((c) => c.contactID).sort()).toEqual(
      picked.map((c) => c.ids.xeroContactId).sort(),
    );
    const first = body.contacts?.find((c) => c.contactID === picked[0]!.ids.xeroContactId);
    const seed = customerAt(picked[0]!, 'xero')!;
    expect(first?.name).toMatch(new RegExp(`^${seed.firstName} ${seed.lastName}`));
    expect(first?.emailAddress).toBe(seed.email);
    expect(first?.updatedDateUTC).toBeInstanceOf(Date);
    expect(first?.phones?.find((p) => String(p.phoneType) === 'MOBILE')?.phoneNumber).toBe(seed.phone);
  });

  it('getContacts filters with where: EmailAddress==, Name.Contains(), AND', async () => {
    const seed = customerAt(xeroCustomers[5]!, 'xero')!;
    const byEmail = await api().getContacts(tenant, undefined, `EmailAddress=="${seed.email}"`);
    expect(byEmail.body.contacts?.map((c) => c.contactID)).toEqual([xeroCustomers[5]!.ids.xeroContactId]);

    const byName = await api().getContacts(
      tenant,
      undefined,
      `Name.Contains("${seed.lastName}") AND ContactStatus=="ACTIVE"`,
    );
    const expected = xeroCustomers.filter((c) =>
      customerAt(c, 'xero')!.lastName.includes(seed.lastName),
    ).length;
    expect(byName.body.contacts?.length).toBeGreaterThanOrEqual(1);
    expect(byName.body.contacts?.length).toBeGreaterThanOrEqual(expected);
    for (const c of byName.body.contacts ?? [])
      expect(c.name?.toLowerCase()).toContain(seed.lastName.toLowerCase());
  });

  it('pages with page/pageSize and reports pagination', async () => {
    const seen = new Set<string>();
    const first = await api().getContacts(
      tenant,
      undefined,
      undefined,
      'Name ASC',
      undefined,
      1,
      undefined,
      undefined,
      undefined,
      100,
    );
    const total = first.body.pagination?.itemCount ?? 0;
    expect(total).toBe(xeroCustomers.length);
    expect(first.body.pagination).toMatchObject({
      page: 1,
      pageSize: 100,
      pageCount: Math.ceil(total / 100),
    });
    expect(first.body.contacts).toHaveLength(100);
    for (let page = 1; page <= (first.body.pagination?.pageCount ?? 0); page++) {
      const { body } = await api().getContacts(
        tenant,
        undefined,
        undefined,
        'Name ASC',
        undefined,
        page,
        undefined,
        undefined,
        undefined,
        100,
      );
      for (const c of body.contacts ?? []) seen.add(c.contactID!);
    }
    expect(seen.size).toBe(total);
    const names = first.body.contacts!.map((c) => c.name!.toLowerCase());
    expect(names).toEqual([...names].sort());
  });

  it('createContacts creates, and a duplicate name is a ValidationException surfaced by the SDK', async () => {
    const contact: Contact = {
      name: 'Ada Lovelace',
      firstName: 'Ada',
      lastName: 'Lovelace',
      emailAddress: 'ada@example.com',
    };
    const created = await api().createContacts(tenant, { contacts: [contact] });
    const id = created.body.contacts?.[0]?.contactID;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await api().getContact(tenant, id!)).body.contacts?.[0]?.emailAddress).toBe('ada@example.com');

    const failure = await sdkFailure(api().createContacts(tenant, { contacts: [{ name: 'ada lovelace' }] }));
    expect(failure.statusCode).toBe(400);
    const body = failure.body as {
      ErrorNumber: number;
      Type: string;
      Elements: Array<{ ValidationErrors: Array<{ Message: string }> }>;
    };
    expect(body.ErrorNumber).toBe(10);
    expect(body.Type).toBe('ValidationException');
    expect(body.Elements[0]!.ValidationErrors[0]!.Message).toBe(
      'The contact name ada lovelace is already assigned to another contact. The contact name must be unique across all active contacts.',
    );
  });

  it('updateContact changes fields and moves UpdatedDateUTC forward', async () => {
    const id = xeroCustomers[1]!.ids.xeroContactId;
    const before = (await api().getContact(tenant, id)).body.contacts![0]!;
    const updated = await api().updateContact(tenant, id, {
      contacts: [{ emailAddress: 'new.address@example.com' }],
    });
    expect(updated.body.contacts?.[0]?.emailAddress).toBe('new.address@example.com');
    const after = (await api().getContact(tenant, id)).body.contacts![0]!;
    expect(after.emailAddress).toBe('new.address@example.com');
    expect(after.name).toBe(before.name);
    expect(after.updatedDateUTC!.getTime()).toBeGreaterThan(before.updatedDateUTC!.getTime());
  });

  it('summarizeErrors=false saves the valid elements and flags the invalid ones', async () => {
    const existing = (await api().getContact(tenant, xeroCustomers[2]!.ids.xeroContactId)).body.contacts![0]!;
    const { body } = await api().createContacts(
      tenant,
      { contacts: [{ name: 'Brand New Person' }, { name: existing.name }] },
      false,
    );
    expect(body.contacts?.[0]?.contactID).toBeDefined();
    expect(body.contacts?.[1]?.hasValidationErrors).toBe(true);
    expect(body.contacts?.[1]?.validationErrors?.[0]?.message).toContain(
      'already assigned to another contact',
    );
  });

  it('an unknown id is a 404 with Xero text body', async () => {
    const failure = await sdkFailure(api().getContact(tenant, '00000000-0000-4000-8000-000000000000'));
    expect(failure.statusCode).toBe(404);
    expect(failure.body).toBe("The resource you're looking for cannot be found");
    expect((await sdkFailure(api().getInvoice(tenant, 'INV-9999'))).statusCode).toBe(404);
  });
});

describe('invoices', () => {
  const seeded = business.invoices.filter((i) => {
    const customer = business.customers.find((c) => c.key === i.customerKey)!;
    return customerAt(customer, 'xero') !== undefined;
  });

  it('getInvoices with IDs= returns those invoices, dates parsed by the SDK', async () => {
    const picked = seeded.slice(0, 4);
    const { body } = await api().getInvoices(
      tenant,
      undefined,
      undefined,
      undefined,
      picked.map((i) => i.ids.xeroInvoiceId),
    );
    expect(body.invoices?.map((i) => i.invoiceID).sort()).toEqual(
      picked.map((i) => i.ids.xeroInvoiceId).sort(),
    );
    const seed = picked[0]!;
    const inv = body.invoices!.find((i) => i.invoiceID === seed.ids.xeroInvoiceId)!;
    expect(inv.invoiceNumber).toBe(seed.number);
    expect(inv.total).toBe(seed.total / 100);
    expect(inv.subTotal).toBe(seed.subTotal / 100);
    expect(inv.currencyCode).toBe(CurrencyCode.GBP);
    // UpdatedDateUTC is typed Date; Date/DueDate are typed string but xero-node turns /Date(...)/ into Date objects.
    expect(inv.updatedDateUTC).toBeInstanceOf(Date);
    expect(inv.updatedDateUTC!.getTime()).toBe(seed.updatedAt.getTime());
    const date = inv.date as unknown as Date;
    expect(date).toBeInstanceOf(Date);
    expect(date.toISOString().slice(0, 10)).toBe(seed.date.toISOString().slice(0, 10));
    expect((inv.dueDate as unknown as Date).toISOString().slice(0, 10)).toBe(
      seed.dueDate.toISOString().slice(0, 10),
    );
    // Lists without `page` carry no line items (as in Xero); the single GET does.
    expect(inv.lineItems).toEqual([]);
    const single = (await api().getInvoice(tenant, seed.ids.xeroInvoiceId)).body.invoices![0]!;
    expect(single.lineItems?.[0]?.accountCode).toBe('200');
    expect(single.lineItems?.[0]?.taxType).toBe('OUTPUT2');
  });

  it('filters by ContactIDs= and Statuses=, and the Reference is the Stripe payment intent', async () => {
    const customer = xeroCustomers.find((c) => seeded.filter((i) => i.customerKey === c.key).length >= 2)!;
    const mine = seeded.filter((i) => i.customerKey === customer.key);
    const { body } = await api().getInvoices(tenant, undefined, undefined, undefined, undefined, undefined, [
      customer.ids.xeroContactId,
    ]);
    expect(body.invoices?.map((i) => i.invoiceID).sort()).toEqual(
      mine.map((i) => i.ids.xeroInvoiceId).sort(),
    );
    const withOrder = mine.find((i) => i.orderKey);
    if (withOrder) {
      const order = business.orders.find((o) => o.key === withOrder.orderKey)!;
      expect(body.invoices!.find((i) => i.invoiceID === withOrder.ids.xeroInvoiceId)!.reference).toBe(
        order.ids.stripePaymentIntentId,
      );
    }

    const statuses = await api().getInvoices(
      tenant,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      ['DRAFT', 'VOIDED'],
    );
    const expected = seeded.filter((i) => i.status === 'DRAFT' || i.status === 'VOIDED');
    expect(statuses.body.invoices?.length).toBe(expected.length);
    for (const i of statuses.body.invoices ?? []) expect(['DRAFT', 'VOIDED']).toContain(String(i.status));
  });

  it('honours If-Modified-Since and where with DateTime and AmountDue', async () => {
    const times = seeded.map((i) => i.updatedAt.getTime()).sort((a, b) => a - b);
    const since = new Date(times[Math.floor(times.length / 2)]!);
    const { body } = await api().getInvoices(tenant, since);
    expect(body.invoices?.length).toBe(seeded.filter((i) => i.updatedAt.getTime() > since.getTime()).length);
    for (const i of body.invoices ?? []) expect(i.updatedDateUTC!.getTime()).toBeGreaterThan(since.getTime());

    const where = 'Status=="AUTHORISED" AND AmountDue>0 AND Date>=DateTime(2026,10,01)';
    const filtered = await api().getInvoices(tenant, undefined, where);
    const cutoff = Date.UTC(2026, 9, 1);
    const expected = seeded.filter(
      (i) =>
        i.status === 'AUTHORISED' &&
        Date.UTC(i.date.getUTCFullYear(), i.date.getUTCMonth(), i.date.getUTCDate()) >= cutoff,
    );
    expect(filtered.body.invoices?.length).toBe(expected.length);
  });

  it('a malformed where is a QueryParseException', async () => {
    const failure = await sdkFailure(api().getInvoices(tenant, undefined, 'Nonsense=="x"'));
    expect(failure.statusCode).toBe(400);
    expect(failure.body).toMatchObject({ ErrorNumber: 16, Type: 'QueryParseException' });
  });

  it('createInvoices computes VAT totals and numbers the invoice; a bad account code is a ValidationException', async () => {
    const contactID = xeroCustomers[0]!.ids.xeroContactId;
    const invoice: Invoice = {
      type: Invoice.TypeEnum.ACCREC,
      contact: { contactID },
      date: '2026-11-23',
      dueDate: '2026-12-07',
      lineAmountTypes: LineAmountTypes.Exclusive,
      reference: 'pi_test_123',
      status: Invoice.StatusEnum.AUTHORISED,
      lineItems: [
        {
          description: 'Sports massage (60 min)',
          quantity: 2,
          unitAmount: 54.17,
          accountCode: '200',
          taxType: 'OUTPUT2',
        },
      ],
    };
    const { body } = await api().createInvoices(tenant, { invoices: [invoice] });
    const created = body.invoices![0]!;
    expect(created.subTotal).toBe(108.34);
    expect(created.totalTax).toBe(21.67);
    expect(created.total).toBe(130.01);
    expect(created.amountDue).toBe(130.01);
    expect(String(created.status)).toBe('AUTHORISED');
    expect(created.invoiceNumber).toMatch(/^INV-\d{4}$/);
    expect(seeded.some((i) => i.number === created.invoiceNumber)).toBe(false);
    expect(created.lineItems?.[0]?.lineAmount).toBe(108.34);

    const failure = await sdkFailure(
      api().createInvoices(tenant, {
        invoices: [
          { ...invoice, lineItems: [{ description: 'x', quantity: 1, unitAmount: 1, accountCode: '999' }] },
        ],
      }),
    );
    expect(failure.statusCode).toBe(400);
    const err = failure.body as { Elements: Array<{ ValidationErrors: Array<{ Message: string }> }> };
    expect(err.Elements[0]!.ValidationErrors[0]!.Message).toBe(
      "Account code '999' is not a valid code for this document.",
    );
  });

  it('status rules: DRAFT can be deleted, AUTHORISED cannot; VOIDED only without payments', async () => {
    const contactID = xeroCustomers[0]!.ids.xeroContactId;
    const draft = (
      await api().createInvoices(tenant, {
        invoices: [
          {
            type: Invoice.TypeEnum.ACCREC,
            contact: { contactID },
            lineItems: [{ description: 'x', quantity: 1, unitAmount: 10, accountCode: '200' }],
          },
        ],
      })
    ).body.invoices![0]!;
    expect(String(draft.status)).toBe('DRAFT');
    const deleted = await api().updateInvoice(tenant, draft.invoiceID!, {
      invoices: [{ status: Invoice.StatusEnum.DELETED }],
    });
    expect(String(deleted.body.invoices![0]!.status)).toBe('DELETED');

    const paidSeed = seeded.find((i) => i.status === 'PAID')!;
    const voidPaid = await sdkFailure(
      api().updateInvoice(tenant, paidSeed.ids.xeroInvoiceId, {
        invoices: [{ status: Invoice.StatusEnum.VOIDED }],
      }),
    );
    expect(voidPaid.statusCode).toBe(400);
    const authorised = seeded.find((i) => i.status === 'AUTHORISED')!;
    const deleteAuthorised = await sdkFailure(
      api().updateInvoice(tenant, authorised.ids.xeroInvoiceId, {
        invoices: [{ status: Invoice.StatusEnum.DELETED }],
      }),
    );
    expect(deleteAuthorised.statusCode).toBe(400);
    const voided = await api().updateInvoice(tenant, authorised.ids.xeroInvoiceId, {
      invoices: [{ status: Invoice.StatusEnum.VOIDED }],
    });
    expect(String(voided.body.invoices![0]!.status)).toBe('VOIDED');
    expect(voided.body.invoices![0]!.amountDue).toBe(0);
  });
});

describe('payments', () => {
  const unpaid = () =>
    business.invoices.find(
      (i) =>
        i.status === 'AUTHORISED' &&
        customerAt(
          business.customers.find((c) => c.key === i.customerKey)!,
          'xero',
        ),
    )!;

  it('createPayment of the full amount marks the invoice PAID; deleting it reverses that', async () => {
    const seed = unpaid();
    const payment = await api().createPayment(tenant, {
      invoice: { invoiceID: seed.ids.xeroInvoiceId },
      account: { code: '090' },
      date: '2026-11-23',
      amount: seed.total / 100,
      reference: 'ch_test',
    });
    const paymentID = payment.body.payments![0]!.paymentID!;
    expect(payment.body.payments![0]!.amount).toBe(seed.total / 100);
    const invoice = (await api().getInvoice(tenant, seed.ids.xeroInvoiceId)).body.invoices![0]!;
    expect(String(invoice.status)).toBe('PAID');
    expect(invoice.amountDue).toBe(0);
    expect(invoice.amountPaid).toBe(seed.total / 100);
    expect(invoice.payments?.map((p) => p.paymentID)).toContain(paymentID);
    expect((await api().getPayment(tenant, paymentID)).body.payments![0]!.invoice?.invoiceID).toBe(
      seed.ids.xeroInvoiceId,
    );

    await api().deletePayment(tenant, paymentID, { status: 'DELETED' });
    const reverted = (await api().getInvoice(tenant, seed.ids.xeroInvoiceId)).body.invoices![0]!;
    expect(String(reverted.status)).toBe('AUTHORISED');
    expect(reverted.amountDue).toBe(seed.total / 100);
  });

  it('a payment above the amount due is a ValidationException', async () => {
    const seed = unpaid();
    const failure = await sdkFailure(
      api().createPayment(tenant, {
        invoice: { invoiceID: seed.ids.xeroInvoiceId },
        account: { code: '090' },
        amount: seed.total / 100 + 1,
      }),
    );
    expect(failure.statusCode).toBe(400);
    const body = failure.body as { Elements: Array<{ ValidationErrors: Array<{ Message: string }> }> };
    expect(body.Elements[0]!.ValidationErrors[0]!.Message).toBe(
      'Payment amount exceeds the amount outstanding on this document',
    );
  });

  it('getPayments filters with where on the invoice', async () => {
    const paid = business.invoices.find((i) => i.payments.length > 0)!;
    const { body } = await api().getPayments(
      tenant,
      undefined,
      `Invoice.InvoiceID==Guid("${paid.ids.xeroInvoiceId}")`,
    );
    expect(body.payments?.map((p) => p.paymentID)).toEqual(paid.payments.map((p) => p.ids.xeroPaymentId));
  });
});

describe('idempotency and bad input', () => {
  it('replays the stored response for a repeated Idempotency-Key', async () => {
    const before = (await api().getContacts(tenant)).body.contacts!.length;
    const first = await api().createContacts(
      tenant,
      { contacts: [{ name: 'Grace Hopper' }] },
      true,
      'key-grace-1',
    );
    const again = await api().createContacts(
      tenant,
      { contacts: [{ name: 'Grace Hopper' }] },
      true,
      'key-grace-1',
    );
    expect(again.body.contacts![0]!.contactID).toBe(first.body.contacts![0]!.contactID);
    expect((await api().getContacts(tenant)).body.contacts!.length).toBe(before + 1);
    const reused = await sdkFailure(
      api().createContacts(tenant, { contacts: [{ name: 'Someone Else' }] }, true, 'key-grace-1'),
    );
    expect(reused.statusCode).toBe(400);
  });

  it('a malformed JSON body is a 400 PostDataInvalidException', async () => {
    const token = await accessToken(sandbox);
    const res = await fetch(`${sandbox.url}/api.xro/2.0/Contacts`, {
      method: 'PUT',
      headers: {
        Authorization: `Bearer ${token}`,
        'xero-tenant-id': tenant,
        'Content-Type': 'application/json',
        Accept: 'application/json',
      },
      body: '{"Contacts": [',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ ErrorNumber: 14, Type: 'PostDataInvalidException' });
  });
});
