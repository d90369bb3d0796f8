import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { REDACT_PATHS } from './logger.ts';

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
