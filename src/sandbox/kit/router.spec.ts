import { describe, expect, it } from 'vitest';
import { compilePattern } from './router.ts';

describe('compilePattern', () => {
  it('matches params segment by segment and decodes them', () => {
    const p = compilePattern('/calendar/v3/calendars/:calendarId/events/:eventId');
    expect(p.match('/calendar/v3/calendars/bookings%40example.com/events/abc123')).toEqual({
      calendarId: 'bookings@example.com',
      eventId: 'abc123',
    });
    expect(p.match('/calendar/v3/calendars/x/events')).toBeUndefined();
    expect(p.match('/calendar/v3/calendars/x/events/y/z')).toBeUndefined();
  });

  it('keeps malformed percent-encoding as it came instead of throwing', () => {
    expect(compilePattern('/v1/customers/:id').match('/v1/customers/%E0%A4%A')).toEqual({ id: '%E0%A4%A' });
  });

  it('takes the rest of the path with a *param', () => {
    expect(compilePattern('/files/*rest').match('/files/a/b%20c')).toEqual({ rest: 'a/b c' });
    expect(compilePattern('/files/*rest').match('/files')).toBeUndefined();
  });
});
