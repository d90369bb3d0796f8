import { describe, expect, it } from 'vitest';
import { customerAt, generateBusiness } from './business.ts';

const now = new Date('2026-11-23T00:00:00Z');
const business = generateBusiness({ seed: 42, now });
const DAY = 86_400_000;

describe('seed business', () => {
  it('is deterministic from its seed and date, and different for another seed', () => {
    expect(generateBusiness({ seed: 42, now })).toEqual(business);
    expect(generateBusiness({ seed: 43, now }).customers[0]?.email).not.toBe(business.customers[0]?.email);
  });

  it('has a few hundred customers with unique emails and vendor ids', () => {
    expect(business.customers).toHaveLength(300);
    const unique = (values: string[]) => new Set(values).size === values.length;
    expect(unique(business.customers.map((c) => c.email))).toBe(true);
    expect(unique(business.customers.map((c) => c.ids.hubspotContactId))).toBe(true);
    expect(unique(business.customers.map((c) => c.ids.stripeCustomerId))).toBe(true);
    expect(unique(business.customers.map((c) => c.ids.xeroContactId))).toBe(true);
    expect(unique(business.bookings.map((b) => b.ids.googleEventId))).toBe(true);
    for (const c of business.customers) expect(c.phone).toMatch(/^\+44 7\d{3} \d{6}$/);
  });

  it('spreads bookings over the past and next 90 days', () => {
    const offsets = business.bookings.map((b) => (b.start.getTime() - now.getTime()) / DAY);
    expect(Math.min(...offsets)).toBeGreaterThanOrEqual(-90);
    expect(Math.max(...offsets)).toBeLessThanOrEqual(91);
    expect(offsets.filter((o) => o < 0).length).toBeGreaterThan(100);
    expect(offsets.filter((o) => o > 0).length).toBeGreaterThan(100);
    for (const b of business.bookings) expect(b.end.getTime()).toBeGreaterThan(b.start.getTime());
  });

  it('has payments in every state, in GBP minor units, some refunded, each invoiced to match', () => {
    const statuses = new Set(business.orders.map((o) => o.status));
    expect([...statuses].sort()).toEqual(['canceled', 'processing', 'requires_payment_method', 'succeeded']);
    expect(business.orders.some((o) => o.refunded > 0)).toBe(true);
    const invoices = new Map(business.invoices.map((i) => [i.key, i]));
    for (const order of business.orders) {
      expect(Number.isInteger(order.amount) && order.amount > 0).toBe(true);
      expect(order.currency).toBe('gbp');
      const invoice = invoices.get(order.invoiceKey ?? '');
      expect(invoice?.customerKey).toBe(order.customerKey);
      expect(invoice?.orderKey).toBe(order.key);
      if (order.status === 'succeeded') expect(invoice?.status).toBe('PAID');
      if (order.status === 'canceled') expect(invoice?.status).toBe('VOIDED');
    }
  });

  it('has invoices in every state, some overdue, with totals that add up', () => {
    expect(new Set(business.invoices.map((i) => i.status))).toEqual(
      new Set(['DRAFT', 'AUTHORISED', 'PAID', 'VOIDED']),
    );
    expect(business.invoices.some((i) => i.status === 'AUTHORISED' && i.dueDate < now)).toBe(true);
    for (const i of business.invoices) {
      expect(i.subTotal).toBe(i.lines.reduce((s, l) => s + l.quantity * l.unitAmount, 0));
      expect(i.total).toBe(i.subTotal + i.totalTax);
      if (i.status === 'PAID') expect(i.payments.reduce((s, p) => s + p.amount, 0)).toBe(i.total);
    }
  });

  it('carries the mess real businesses have, in a few percent of customers', () => {
    const kinds = business.customers.flatMap((c) => c.mess.map((m) => m.split('-')[0]));
    for (const kind of ['email', 'missing', 'phone', 'name']) {
      const share = kinds.filter((k) => k === kind).length / business.customers.length;
      expect(share, kind).toBeGreaterThan(0.005);
      expect(share, kind).toBeLessThan(0.08);
    }
    const missing = business.customers.find(
      (c) => c.mess.includes('missing-xero') || c.mess.includes('missing-stripe'),
    );
    const vendor = missing?.mess[0]?.endsWith('xero') ? 'xero' : 'stripe';
    expect(missing && customerAt(missing, vendor)).toBeUndefined();
    const respelt = business.customers.find((c) => c.mess.some((m) => m.startsWith('email-format')));
    const where = respelt?.mess[0]?.split('-')[2] as 'hubspot' | 'stripe' | 'xero';
    expect(respelt && customerAt(respelt, where)?.email).not.toBe(respelt?.email);
    expect(respelt && customerAt(respelt, where)?.email.trim().toLowerCase()).toBe(respelt?.email);
  });

  it('keeps leads in the CRM only', () => {
    const lead = business.customers.find((c) => c.lifecycleStage === 'lead');
    expect(lead && customerAt(lead, 'hubspot')).toBeDefined();
    expect(lead && customerAt(lead, 'stripe')).toBeUndefined();
    expect(lead && customerAt(lead, 'xero')).toBeUndefined();
  });
});
