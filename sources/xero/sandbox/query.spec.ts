import { describe, expect, it } from 'vitest';
import { ResponseError } from '../../../src/sandbox/kit/http.ts';
import { compileOrder, compileWhere } from './query.ts';

const FIELDS = ['Name', 'Status', 'AmountDue', 'Date', 'Contact', 'IsCustomer'];
const rows = [
  {
    Name: 'Ada Smith',
    Status: 'AUTHORISED',
    AmountDue: 10,
    Date: '/Date(1767225600000+0000)/',
    Contact: { ContactID: 'aaa' },
    IsCustomer: true,
  },
  {
    Name: 'Bob Jones',
    Status: 'PAID',
    AmountDue: 0,
    Date: '/Date(1764547200000+0000)/',
    Contact: { ContactID: 'bbb' },
    IsCustomer: false,
  },
];
const names = (where: string) => rows.filter(compileWhere(where, 'Invoice', FIELDS)).map((r) => r.Name);

describe('where', () => {
  it('compares strings case-insensitively, numbers, dates and nested fields', () => {
    expect(names('Status=="authorised"')).toEqual(['Ada Smith']);
    expect(names('Status=="AUTHORISED" AND AmountDue>0')).toEqual(['Ada Smith']);
    expect(names('Status=="PAID" OR AmountDue>=10')).toEqual(['Ada Smith', 'Bob Jones']);
    expect(names('Date>=DateTime(2026,01,01)')).toEqual(['Ada Smith']);
    expect(names('Date<DateTime(2026,01,01)')).toEqual(['Bob Jones']);
    expect(names('Contact.ContactID=="BBB"')).toEqual(['Bob Jones']);
    expect(names('Name.Contains("smith")')).toEqual(['Ada Smith']);
    expect(names('Name.StartsWith("Bob") && IsCustomer==false')).toEqual(['Bob Jones']);
    expect(names('NOT (Status=="PAID")')).toEqual(['Ada Smith']);
    expect(names('IsCustomer')).toEqual(['Ada Smith']);
  });

  it('rejects unknown fields and syntax errors with a QueryParseException', () => {
    for (const bad of [
      'Nope=="x"',
      'Status=="x',
      'Status==',
      '(Status=="x"',
      'Name.Explode("x")',
      'Date>DateTime(2026)',
    ]) {
      let caught: unknown;
      try {
        compileWhere(bad, 'Invoice', FIELDS);
      } catch (error) {
        caught = error;
      }
      expect(caught, bad).toBeInstanceOf(ResponseError);
      expect((caught as ResponseError).response).toMatchObject({
        status: 400,
        body: { ErrorNumber: 16, Type: 'QueryParseException' },
      });
    }
  });
});

describe('order', () => {
  it('sorts by several keys in either direction', () => {
    const sorted = [...rows].sort(compileOrder('AmountDue ASC, Name DESC', 'Invoice', FIELDS));
    expect(sorted.map((r) => r.Name)).toEqual(['Bob Jones', 'Ada Smith']);
    expect([...rows].sort(compileOrder('Date DESC', 'Invoice', FIELDS)).map((r) => r.Name)).toEqual([
      'Ada Smith',
      'Bob Jones',
    ]);
    expect(() => compileOrder('Bogus ASC', 'Invoice', FIELDS)).toThrow(ResponseError);
  });
});
