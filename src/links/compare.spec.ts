import { describe, expect, it } from 'vitest';
import type { PersonRecord } from '../domain/model.ts';
import { compareRecords, comparableName, missingIssue } from './compare.ts';
import { decide } from '../sync/reconcile.ts';

const person = (source: string, fields: Partial<PersonRecord> = {}): PersonRecord => ({
  source,
  externalId: `${source}-1`,
  email: 'amelia@example.com',
  firstName: 'Amelia',
  lastName: 'Hughes',
  name: 'Amelia Hughes',
  phone: '+44 7700 900123',
  company: null,
  createdAt: null,
  updatedAt: null,
  url: null,
  ...fields,
});

describe('comparing one customer across systems', () => {
  it('finds nothing when the values agree after normalising phone and name', () => {
    expect(
      compareRecords('c1', [
        { system: 'hubspot', record: person('hubspot') },
        {
          system: 'stripe',
          record: person('stripe', {
            phone: '07700 900123',
            firstName: null,
            lastName: null,
            name: ' amelia  HUGHES ',
          }),
        },
        { system: 'xero', record: person('xero', { phone: null }) },
      ]),
    ).toEqual([]);
  });

  it('raises a FIELD_MISMATCH for a phone that differs, naming each system and its value as held', () => {
    const issues = compareRecords('c1', [
      { system: 'hubspot', record: person('hubspot') },
      { system: 'stripe', record: person('stripe', { phone: '+44 7700 900999' }) },
    ]);
    expect(issues).toEqual([
      {
        customerId: 'c1',
        kind: 'FIELD_MISMATCH',
        field: 'phone',
        systems: ['hubspot', 'stripe'],
        details: { hubspot: '+44 7700 900123', stripe: '+44 7700 900999' },
        message: expect.stringContaining('The phone differs'),
      },
    ]);
  });

  it('calls an email written in another case an EMAIL_FORMAT_MISMATCH, and a different name a FIELD_MISMATCH', () => {
    const issues = compareRecords('c1', [
      { system: 'hubspot', record: person('hubspot') },
      { system: 'xero', record: person('xero', { email: 'Amelia@Example.com', firstName: 'Amy' }) },
    ]);
    expect(issues.map((i) => [i.kind, i.field])).toEqual([
      ['EMAIL_FORMAT_MISMATCH', 'email'],
      ['FIELD_MISMATCH', 'name'],
    ]);
    expect(comparableName(person('x', { firstName: null, lastName: null, name: null }))).toBeNull();
  });

  it('decides MISSING_IN_SYSTEM for a confirmed absence, except a CRM lead held only by the CRM', () => {
    const system = (role: string) => ({ crm: 'hubspot', payments: 'stripe', accounting: 'xero' })[role]!;
    const customer = { id: 'c1', email: 'amelia@example.com' };
    const held = decide(
      customer,
      {
        crm: { record: person('hubspot') },
        payments: { absent: true },
        accounting: { record: person('xero') },
      },
      system,
    );
    expect(held?.issues).toEqual([missingIssue('c1', 'amelia@example.com', ['hubspot', 'xero'], 'stripe')]);
    expect([...held!.decided].sort()).toEqual(['hubspot', 'stripe', 'xero']);

    const lead = { ...person('hubspot'), lifecycleStage: 'lead', preSale: true };
    const leadOnly = decide(
      customer,
      { crm: { record: lead }, payments: { absent: true }, accounting: { absent: true } },
      system,
    );
    expect(leadOnly?.issues).toEqual([]);
    // Not looked up (no email, no link): neither missing nor decided, so nothing about it is closed.
    const unknown = decide(
      { id: 'c1', email: null },
      { crm: { record: person('hubspot') }, payments: { unknown: true }, accounting: { unknown: true } },
      system,
    );
    expect(unknown?.issues).toEqual([]);
    expect([...unknown!.decided]).toEqual(['hubspot']);
    expect(
      decide(
        customer,
        { crm: { absent: true }, payments: { absent: true }, accounting: { absent: true } },
        system,
      ),
    ).toBeNull();
  });
});
