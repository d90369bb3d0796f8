import type { VendorConnections } from '../../src/domain/connections.ts';
import { XERO_LIMITS } from './limits.ts';

const API = '/api.xro/2.0';
const docs = (page: string) => `https://developer.xero.com/documentation/api/accounting/${page}`;
const IDEMPOTENCY = "the step's Idempotency-Key header (Xero replays the first answer for 24 hours)";
const money = (field: string) => ({ from: [field, 'CurrencyCode'], how: 'decimal to minor units' });

/** How Xero connects (docs/CONNECTIONS.md); paths are checked against the mappers. */
export const xeroConnections: VendorConnections<'accounting'> = {
  records: {
    person: {
      externalId: 'ContactID',
      email: 'EmailAddress',
      firstName: 'FirstName',
      lastName: 'LastName',
      name: { from: ['Name', 'FirstName', 'LastName'], how: 'Name, else first and last name joined' },
      phone: {
        from: ['Phones[].PhoneCountryCode', 'Phones[].PhoneAreaCode', 'Phones[].PhoneNumber'],
        how: 'the DEFAULT phone, else the MOBILE one, its parts joined',
      },
      company: { none: 'Name may be a person or an organisation: nothing says which, so none is claimed' },
      createdAt: { none: 'Xero keeps no creation date on contacts' },
      updatedAt: 'UpdatedDateUTC',
      url: { adapter: 'go.xero.com contact, from the ContactID' },
    },
    invoice: {
      externalId: 'InvoiceID',
      number: 'InvoiceNumber',
      contactExternalId: 'Contact.ContactID',
      status: { from: ['Status'], how: "Xero's statuses are the hub's" },
      reference: 'Reference',
      issuedOn: 'Date',
      dueOn: 'DueDate',
      lines: {
        from: [
          'LineItems[].Description',
          'LineItems[].Quantity',
          'LineItems[].UnitAmount',
          'LineItems[].LineAmount',
        ],
        how: 'one line per line item; amounts in minor units',
      },
      subTotal: money('SubTotal'),
      totalTax: money('TotalTax'),
      total: money('Total'),
      amountDue: money('AmountDue'),
      amountPaid: money('AmountPaid'),
      payments: {
        from: ['Payments[].PaymentID', 'Payments[].Amount', 'Payments[].Date'],
        how: 'as the invoice lists them',
      },
      updatedAt: 'UpdatedDateUTC',
      url: { adapter: 'go.xero.com invoice, from the InvoiceID' },
    },
  },
  writes: {
    createContact: {
      requests: [
        { method: 'PUT', path: `${API}/Contacts`, docs: docs('contacts#put-contacts') },
        { method: 'GET', path: `${API}/Contacts?where=Name=="…"`, docs: docs('contacts#get-contacts') },
      ],
      idempotency: `${IDEMPOTENCY}; names are unique, so on a clash the contact of that name and email is taken, else the name is made unique under a derived key`,
    },
    updateContact: {
      requests: [
        { method: 'GET', path: `${API}/Contacts/{id}`, docs: docs('contacts#get-contacts') },
        { method: 'POST', path: `${API}/Contacts/{id}`, docs: docs('contacts#post-contacts') },
      ],
      idempotency: `${IDEMPOTENCY}; the fields it sets are absolute, so a changed body goes under a key of its own`,
    },
    createInvoice: {
      requests: [{ method: 'PUT', path: `${API}/Invoices`, docs: docs('invoices#put-invoices') }],
      idempotency: IDEMPOTENCY,
    },
    voidInvoice: {
      requests: [
        { method: 'POST', path: `${API}/Invoices/{id}`, docs: docs('invoices#post-invoices') },
        { method: 'GET', path: `${API}/Invoices/{id}`, docs: docs('invoices#get-invoices') },
      ],
      idempotency: `${IDEMPOTENCY}; one already voided is read back and counts as done (a draft is deleted instead)`,
    },
    recordPayment: {
      requests: [{ method: 'PUT', path: `${API}/Payments`, docs: docs('payments#put-payments') }],
      idempotency: IDEMPOTENCY,
    },
  },
  webhooks: {
    subscription:
      "the app's webhook (set up in the developer portal), signed with its key (x-xero-signature)",
    events: [
      { event: 'CONTACT.CREATE', changes: ['person'], flags: ['created'] },
      { event: 'CONTACT.UPDATE', changes: ['person'] },
      { event: 'INVOICE.CREATE', changes: ['invoice'] },
      { event: 'INVOICE.UPDATE', changes: ['invoice'] },
    ],
  },
  limits: [{ when: 'per tenant', limits: XERO_LIMITS }],
};
