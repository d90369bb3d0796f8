import { describe, expect, it } from 'vitest';
import { ResponseError } from '../../../src/sandbox/kit/http.ts';
import { applyFields, parseFields } from './fields.ts';
import { mergePatch } from './events.ts';
import { formatInZone, parseInstant, zonedToUtc } from './time.ts';

const local = (y: number, mo: number, d: number, h: number, mi = 0) => ({
  year: y,
  month: mo,
  day: d,
  hour: h,
  minute: mi,
  second: 0,
  millisecond: 0,
});

describe('time', () => {
  it('needs an offset in query timestamps and drops nothing else', () => {
    expect(parseInstant('2026-11-24T09:00:00Z')).toBe(Date.UTC(2026, 10, 24, 9));
    expect(parseInstant('2026-11-24T09:00:00.250-05:30')).toBe(Date.UTC(2026, 10, 24, 14, 30, 0, 250));
    expect(parseInstant('2026-11-24T09:00:00')).toBeUndefined();
    expect(parseInstant('2026-11-24')).toBeUndefined();
    expect(parseInstant('2026-02-30T09:00:00Z')).toBeUndefined();
  });

  it('renders instants in the zone with Google’s offset style', () => {
    expect(formatInZone(Date.UTC(2026, 0, 15, 10), 'Europe/London')).toBe('2026-01-15T10:00:00Z');
    expect(formatInZone(Date.UTC(2026, 6, 15, 10), 'Europe/London')).toBe('2026-07-15T11:00:00+01:00');
    expect(formatInZone(Date.UTC(2026, 6, 15, 10), 'America/New_York')).toBe('2026-07-15T06:00:00-04:00');
    expect(formatInZone(Date.UTC(2026, 6, 15, 10), 'Asia/Kolkata')).toBe('2026-07-15T15:30:00+05:30');
  });

  it('converts wall-clock times across DST changes', () => {
    expect(zonedToUtc(local(2026, 3, 29, 0, 30), 'Europe/London')).toBe(Date.UTC(2026, 2, 29, 0, 30));
    expect(zonedToUtc(local(2026, 3, 29, 2, 30), 'Europe/London')).toBe(Date.UTC(2026, 2, 29, 1, 30));
    // 01:30 does not exist that night: it moves forward like Google does.
    expect(zonedToUtc(local(2026, 3, 29, 1, 30), 'Europe/London')).toBe(Date.UTC(2026, 2, 29, 1, 30));
    expect(zonedToUtc(local(2026, 10, 25, 12), 'Europe/London')).toBe(Date.UTC(2026, 9, 25, 12));
  });
});

describe('fields selector', () => {
  const body = {
    kind: 'calendar#events',
    nextPageToken: 'abc',
    items: [
      {
        id: 'a',
        summary: 'A',
        start: { dateTime: 'x', timeZone: 'z' },
        attendees: [{ email: 'e', displayName: 'n' }],
      },
    ],
  };

  it('selects nested paths and sub-selections', () => {
    expect(applyFields(body, parseFields('items(id,start/dateTime,attendees(email)),nextPageToken'))).toEqual(
      {
        nextPageToken: 'abc',
        items: [{ id: 'a', start: { dateTime: 'x' }, attendees: [{ email: 'e' }] }],
      },
    );
    expect(applyFields(body, parseFields('items/summary'))).toEqual({ items: [{ summary: 'A' }] });
  });

  it('rejects a malformed selection with a 400', () => {
    for (const bad of ['items(id', 'items)', ',', 'items(id))']) {
      try {
        parseFields(bad);
        expect.unreachable(`"${bad}" should be rejected`);
      } catch (error) {
        expect(error).toBeInstanceOf(ResponseError);
        expect((error as ResponseError).response.status).toBe(400);
      }
    }
  });
});

describe('patch merge', () => {
  it('merges objects, replaces arrays and clears with null', () => {
    expect(
      mergePatch(
        { summary: 'a', attendees: [1, 2], extendedProperties: { private: { x: '1', y: '2' } } },
        { attendees: [3], extendedProperties: { private: { y: null, z: '3' } }, summary: null },
      ),
    ).toEqual({ attendees: [3], extendedProperties: { private: { x: '1', z: '3' } } });
  });
});
