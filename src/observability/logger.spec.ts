import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { GraphQLError, Source } from 'graphql';
import { REDACT_PATHS, safeError, scrub } from './logger.ts';

describe('log redaction', () => {
  it('never writes credentials, wherever they sit in the logged object', () => {
    let out = '';
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        out += chunk.toString();
        done();
      },
    });
    const logger = pino({ redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, sink);
    logger.info({
      req: { headers: { authorization: 'Bearer pat-na1-secret', cookie: 'sid=1' } },
      vendor: { apiKey: 'sk_test_secret', clientSecret: 'xero-secret', accessToken: 'ya29.secret' },
      token: { refresh_token: 'rt-secret', access_token: 'at-secret' },
      refreshToken: 'rt-top',
    });
    for (const secret of [
      'pat-na1-secret',
      'sid=1',
      'sk_test_secret',
      'xero-secret',
      'ya29.secret',
      'rt-secret',
      'at-secret',
      'rt-top',
    ]) {
      expect(out).not.toContain(secret);
    }
    expect(out).toContain('[redacted]');
  });
});

describe('personal data in log text', () => {
  it('masks emails, phone numbers and keys, and keeps dates and ids', () => {
    const text = scrub(
      'search "amelia.hughes@example.co.uk" / +44 7700 900123 / 07700900123 failed at 2026-12-03T09:30:00Z for cus_Q1w2E3 with sb_test_AAAAAAAAAAAA_' +
        'B'.repeat(43),
    );
    expect(text).not.toMatch(/amelia|7700|sb_test_/);
    expect(text).toContain('[email]');
    expect(text).toContain('[number]');
    expect(text).toContain('[credential]');
    expect(text).toContain('2026-12-03T09:30:00Z');
    expect(text).toContain('cus_Q1w2E3');
  });

  it("logs a GraphQL error without its source: the query's literals stay out", () => {
    const error = new GraphQLError('hubspot contacts.search failed', {
      source: new Source('{ customers(search: "amelia.hughes@example.co.uk") { totalCount } }'),
      positions: [2],
      path: ['customers'],
      extensions: { code: 'SOURCE_ERROR' },
    });
    const logged = JSON.stringify(safeError(error));
    expect(logged).not.toContain('amelia');
    expect(logged).toContain('SOURCE_ERROR');
    expect(logged).toContain('customers');
  });
});
