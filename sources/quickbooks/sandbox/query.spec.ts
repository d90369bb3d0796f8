/** The query language parser on its own: the statements clients send, and where it says it stopped. */
import { describe, expect, it } from 'vitest';
import { parseQuery } from './query.ts';
import { QboFault } from './wire.ts';

const detail = (statement: string): string => {
  try {
    parseQuery(statement);
  } catch (error) {
    if (error instanceof QboFault) return `${error.errors[0]!.code} ${error.errors[0]!.Detail}`;
    throw error;
  }
  throw new Error(`expected "${statement}" not to parse`);
};

describe('parseQuery', () => {
  it('reads what node-quickbooks builds (lower-case keywords, escaped quotes, paging)', () => {
    expect(
      parseQuery(
        "select * from customer where FamilyName = 'O\\'Neill' and Active IN (true,false) startposition 1 maxresults 1000",
      ),
    ).toEqual({
      select: { kind: 'all' },
      entity: 'customer',
      where: [
        { field: 'FamilyName', op: '=', values: [{ kind: 'string', text: "O'Neill" }] },
        {
          field: 'Active',
          op: 'IN',
          values: [
            { kind: 'word', text: 'true' },
            { kind: 'word', text: 'false' },
          ],
        },
      ],
      orderBy: [],
      startPosition: 1,
      maxResults: 1000,
    });
  });

  it('reads count(*), projections, LIKE, comparisons, dotted names and ORDERBY lists', () => {
    expect(parseQuery('SELECT COUNT(*) FROM Invoice').select).toEqual({ kind: 'count' });
    expect(parseQuery('select Id, DisplayName from Customer').select).toEqual({
      kind: 'fields',
      fields: ['Id', 'DisplayName'],
    });
    const q = parseQuery(
      "Select * From Invoice Where MetaData.LastUpdatedTime >= '2026-01-01T00:00:00-08:00' And TotalAmt > 10.5 And DocNumber LIKE 'INV-%' OrderBy TxnDate Desc, Id MaxResults 5 StartPosition 6",
    );
    expect(q.where.map((c) => [c.field, c.op])).toEqual([
      ['MetaData.LastUpdatedTime', '>='],
      ['TotalAmt', '>'],
      ['DocNumber', 'LIKE'],
    ]);
    expect(q.where[1]!.values).toEqual([{ kind: 'number', text: '10.5' }]);
    expect(q.orderBy).toEqual([
      { field: 'TxnDate', desc: true },
      { field: 'Id', desc: false },
    ]);
    expect([q.startPosition, q.maxResults]).toEqual([6, 5]);
  });

  it('says where it stopped, as QBO does', () => {
    expect(detail('select * from Invoice wher TxnDate > 1')).toBe(
      '4000 QueryParserError: Encountered " <IDENTIFIER> "wher "" at line 1, column 23.',
    );
    expect(detail("select * from Customer where Id = '1' or Id = '2'")).toBe(
      '4000 QueryParserError: Encountered " "or" "or "" at line 1, column 39.',
    );
    expect(detail('select * from')).toBe('4000 QueryParserError: Encountered "<EOF>" at line 1, column 14.');
    expect(detail("select * from Customer where Id != '1'")).toMatch(
      /^4000 QueryParserError: Lexical error at line 1, column 33/,
    );
    expect(detail("select * from Customer where DisplayName = 'open")).toMatch(
      /^4000 QueryParserError: Lexical error/,
    );
    expect(detail("select * from Customer startposition 'a'")).toBe(
      '4000 QueryParserError: Encountered " <STRING> "\'a\' "" at line 1, column 38.',
    );
  });
});
