import type { VendorConnections } from '../../src/domain/connections.ts';
import { QUICKBOOKS_LIMITS } from './limits.ts';

const BASE = '/v3/company/{realmId}';
const docs = (entity: string, section: string) =>
  `https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/${entity}#${section}`;
const REQUEST_ID =
  "a `requestid` made from the step's key and the request's purpose: QBO answers a repeated requestid with the first answer";
const money = (field: string) => ({ from: [field, 'CurrencyRef.value'], how: 'decimal to minor units' });

/** How QuickBooks Online connects (docs/CONNECTIONS.md); paths are checked against the mappers. */
export const quickbooksConnections: VendorConnections<'accounting'> = {
  records: {
    person: {
      externalId: 'Id',
      email: 'PrimaryEmailAddr.Address',
      firstName: 'GivenName',
      lastName: 'FamilyName',
      name: {
        from: ['DisplayName', 'GivenName', 'FamilyName'],
        how: 'DisplayName, else given and family name',
      },
      phone: {
        from: ['PrimaryPhone.FreeFormNumber', 'Mobile.FreeFormNumber'],
        how: 'the primary phone, else the mobile',
      },
      company: 'CompanyName',
      createdAt: 'MetaData.CreateTime',
      updatedAt: 'MetaData.LastUpdatedTime',
      url: { adapter: 'the QuickBooks app customer page, from the Id' },
    },
    invoice: {
      externalId: 'Id',
      number: 'DocNumber',
      contactExternalId: 'CustomerRef.value',
      status: {
        from: ['TotalAmt', 'Balance', 'PrivateNote'],
        how: 'VOIDED (zero total, note "Voided"), PAID (nothing left of a positive total), else AUTHORISED',
      },
      reference: { from: ['PrivateNote'], how: 'unless voiding overwrote it' },
      issuedOn: 'TxnDate',
      dueOn: 'DueDate',
      lines: {
        from: [
          'Line[].Description',
          'Line[].SalesItemLineDetail.Qty',
          'Line[].SalesItemLineDetail.UnitPrice',
          'Line[].Amount',
        ],
        how: 'sales item lines only; net amounts in minor units',
      },
      subTotal: { from: ['TotalAmt', 'TxnTaxDetail.TotalTax'], how: 'total less tax' },
      totalTax: money('TxnTaxDetail.TotalTax'),
      total: money('TotalAmt'),
      amountDue: money('Balance'),
      amountPaid: { from: ['TotalAmt', 'Balance'], how: 'total less balance' },
      payments: {
        from: ['LinkedTxn[].TxnId'],
        how: 'the linked Payment transactions, read in one query: their TxnDate and the amount applied to this invoice',
      },
      updatedAt: 'MetaData.LastUpdatedTime',
      url: { adapter: 'the QuickBooks app invoice page, from the Id' },
    },
  },
  writes: {
    createContact: {
      requests: [
        { method: 'POST', path: `${BASE}/customer`, docs: docs('customer', 'create-a-customer') },
        {
          method: 'POST',
          path: `${BASE}/query (Customer by DisplayName)`,
          docs: docs('customer', 'query-a-customer'),
        },
      ],
      idempotency: `${REQUEST_ID}; display names are unique, so on a clash the customer of that name and email is taken, else the name is made unique`,
    },
    updateContact: {
      requests: [
        { method: 'GET', path: `${BASE}/customer/{id}`, docs: docs('customer', 'read-a-customer') },
        {
          method: 'POST',
          path: `${BASE}/customer (sparse)`,
          docs: docs('customer', 'sparse-update-a-customer'),
        },
      ],
      idempotency: `${REQUEST_ID}; a sparse update of absolute values with the SyncToken just read`,
    },
    createInvoice: {
      requests: [
        { method: 'POST', path: `${BASE}/query (Item by name)`, docs: docs('item', 'query-an-item') },
        { method: 'POST', path: `${BASE}/invoice`, docs: docs('invoice', 'create-an-invoice') },
      ],
      idempotency: REQUEST_ID,
    },
    voidInvoice: {
      requests: [
        { method: 'GET', path: `${BASE}/invoice/{id}`, docs: docs('invoice', 'read-an-invoice') },
        { method: 'POST', path: `${BASE}/invoice?operation=void`, docs: docs('invoice', 'void-an-invoice') },
      ],
      idempotency: `${REQUEST_ID}; one already voided counts as done`,
    },
    recordPayment: {
      requests: [{ method: 'POST', path: `${BASE}/payment`, docs: docs('payment', 'create-a-payment') }],
      idempotency: REQUEST_ID,
    },
  },
  webhooks: {
    subscription:
      "the app's webhook endpoint (developer portal), signed with its verifier token (intuit-signature); after downtime a change-data-capture (`/cdc`) catch-up stores what was missed the same way",
    events: [
      { event: 'Customer.Create', changes: ['person'], flags: ['created'] },
      { event: 'Customer.Update', changes: ['person'] },
      { event: 'Customer.Delete', changes: ['person'], flags: ['deleted'] },
      {
        event: 'Customer.Merge',
        changes: ['person'],
        flags: ['deleted'],
        note: 'the survivor; the merged one (deletedId) deleted',
      },
      { event: 'Invoice.*', changes: ['invoice'], note: 'Create, Update, Void, Delete, Emailed' },
      {
        event: 'Payment.*',
        changes: [],
        note: 'stored; QBO also sends an Invoice Update for each invoice paid',
      },
    ],
  },
  limits: [{ when: 'per company and app', limits: QUICKBOOKS_LIMITS }],
};
