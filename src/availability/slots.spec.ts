import { describe, expect, it } from 'vitest';
import { computeSlots, localDays, startOfLocalDay, wallClockToInstant, type Interval } from './slots.ts';
import { parseOpeningHours, type Schedule } from './schedule.ts';
import { wallClock } from '../../harness/wall-clock.ts';

const LONDON = 'Europe/London';

function schedule(hours: string, stepMinutes = 15, timeZone = LONDON): Schedule {
  const problems: string[] = [];
  const parsed = parseOpeningHours(hours, problems);
  expect(problems).toEqual([]);
  return { services: [], hours: parsed, timeZone, stepMinutes };
}

const service = (durationMinutes: number, bufferBeforeMinutes = 0, bufferAfterMinutes = 0) => ({
  durationMinutes,
  bufferBeforeMinutes,
  bufferAfterMinutes,
});

const iso = (d: Date) => d.toISOString().slice(0, 16) + 'Z';
const starts = (slots: Array<{ start: Date }>) => slots.map((s) => iso(s.start));
const busy = (from: string, to: string): Interval => ({ from: new Date(from), to: new Date(to) });

const london = (d: Date) => wallClock(d, LONDON);

describe('computeSlots', () => {
  // Tuesday 24 November 2026: London is on GMT (UTC+0).
  const day = { from: new Date('2026-11-24T00:00:00Z'), to: new Date('2026-11-25T00:00:00Z') };

  it('steps through the opening hours so each slot ends by closing', () => {
    const slots = computeSlots({
      schedule: schedule('mon-fri 09:00-11:00'),
      service: service(60),
      busy: [],
      ...day,
    });
    expect(starts(slots)).toEqual([
      '2026-11-24T09:00Z',
      '2026-11-24T09:15Z',
      '2026-11-24T09:30Z',
      '2026-11-24T09:45Z',
      '2026-11-24T10:00Z',
    ]);
    expect(slots.every((s) => s.end.getTime() - s.start.getTime() === 3_600_000)).toBe(true);
  });

  it('gives nothing on a closed day and honours several periods a day', () => {
    const hours = schedule('tue 09:00-10:00,14:00-15:00; sat 09:00-13:00', 30);
    expect(starts(computeSlots({ schedule: hours, service: service(30), busy: [], ...day }))).toEqual([
      '2026-11-24T09:00Z',
      '2026-11-24T09:30Z',
      '2026-11-24T14:00Z',
      '2026-11-24T14:30Z',
    ]);
    const monday = { from: new Date('2026-11-23T00:00:00Z'), to: new Date('2026-11-24T00:00:00Z') };
    expect(computeSlots({ schedule: hours, service: service(30), busy: [], ...monday })).toEqual([]);
  });

  it('leaves out slots overlapping busy time, and keeps touching ones', () => {
    const slots = computeSlots({
      schedule: schedule('tue 09:00-12:00', 30),
      service: service(60),
      busy: [busy('2026-11-24T10:00:00Z', '2026-11-24T10:30:00Z')],
      ...day,
    });
    // 09:00–10:00 touches the busy period and is free; 09:30, 10:00 overlap it.
    expect(starts(slots)).toEqual(['2026-11-24T09:00Z', '2026-11-24T10:30Z', '2026-11-24T11:00Z']);
  });

  it('keeps the buffers before and after a slot clear of busy time', () => {
    const hours = schedule('tue 09:00-13:00', 30);
    const meeting = [busy('2026-11-24T11:00:00Z', '2026-11-24T11:30:00Z')];
    // 15 min after: a 60-min slot must end by 10:45, so 09:30 is the last before the meeting.
    expect(
      starts(computeSlots({ schedule: hours, service: service(60, 0, 15), busy: meeting, ...day })),
    ).toEqual(['2026-11-24T09:00Z', '2026-11-24T09:30Z', '2026-11-24T11:30Z', '2026-11-24T12:00Z']);
    // 30 min before: a slot may start only at 12:00 after the meeting.
    expect(
      starts(computeSlots({ schedule: hours, service: service(60, 30, 0), busy: meeting, ...day })),
    ).toEqual(['2026-11-24T09:00Z', '2026-11-24T09:30Z', '2026-11-24T10:00Z', '2026-11-24T12:00Z']);
  });

  it('returns only slots wholly inside the window', () => {
    const slots = computeSlots({
      schedule: schedule('tue 09:00-12:00', 30),
      service: service(60),
      busy: [],
      from: new Date('2026-11-24T09:10:00Z'),
      to: new Date('2026-11-24T11:30:00Z'),
    });
    expect(starts(slots)).toEqual(['2026-11-24T09:30Z', '2026-11-24T10:00Z', '2026-11-24T10:30Z']);
  });

  it('computes opening hours in the business zone (summer time is UTC+1 in London)', () => {
    const slots = computeSlots({
      schedule: schedule('wed 09:00-10:00', 30),
      service: service(30),
      busy: [],
      from: new Date('2026-07-15T00:00:00Z'),
      to: new Date('2026-07-16T00:00:00Z'),
    });
    expect(starts(slots)).toEqual(['2026-07-15T08:00Z', '2026-07-15T08:30Z']);
  });

  it('spring change (Sunday 29 March 2026): the skipped hour has no slots, and 09:00 is 09:00 BST', () => {
    const hours = schedule('sat-sun 00:00-04:00,09:00-10:00', 30);
    const sunday = { from: new Date('2026-03-29T00:00:00Z'), to: new Date('2026-03-30T00:00:00Z') };
    const slots = computeSlots({ schedule: hours, service: service(60), busy: [], ...sunday });
    // 00:00 GMT to 04:00 BST is three real hours: starts every 30 min while an hour fits.
    expect(starts(slots)).toEqual([
      '2026-03-29T00:00Z',
      '2026-03-29T00:30Z',
      '2026-03-29T01:00Z',
      '2026-03-29T01:30Z',
      '2026-03-29T02:00Z',
      '2026-03-29T08:00Z',
    ]);
    expect(slots.map((s) => london(s.start))).toEqual(['00:00', '00:30', '02:00', '02:30', '03:00', '09:00']);
    expect(slots.map((s) => london(s.end))).toEqual(['02:00', '02:30', '03:00', '03:30', '04:00', '10:00']);
    // The day before, 09:00 local was still 09:00 UTC.
    const saturday = { from: new Date('2026-03-28T00:00:00Z'), to: new Date('2026-03-29T00:00:00Z') };
    expect(
      starts(computeSlots({ schedule: hours, service: service(60), busy: [], ...saturday })).at(-1),
    ).toBe('2026-03-28T09:00Z');
  });

  it('autumn change (Sunday 25 October 2026): the repeated hour has slots twice, and 09:00 is 09:00 GMT', () => {
    const hours = schedule('sun 00:00-04:00,09:00-10:00', 60);
    const sunday = { from: new Date('2026-10-24T23:00:00Z'), to: new Date('2026-10-26T00:00:00Z') };
    const slots = computeSlots({ schedule: hours, service: service(60), busy: [], ...sunday });
    // 00:00 BST (23:00 UTC the day before) to 04:00 GMT is five real hours.
    expect(starts(slots)).toEqual([
      '2026-10-24T23:00Z',
      '2026-10-25T00:00Z',
      '2026-10-25T01:00Z',
      '2026-10-25T02:00Z',
      '2026-10-25T03:00Z',
      '2026-10-25T09:00Z',
    ]);
    expect(slots.map((s) => london(s.start))).toEqual(['00:00', '01:00', '01:00', '02:00', '03:00', '09:00']);
  });

  it('a month of a service on the default hours stays a few hundred slots and all are opening-hours slots', () => {
    const hours = schedule('mon-fri 09:00-17:30; sat 09:00-13:00');
    const slots = computeSlots({
      schedule: hours,
      service: service(60, 0, 15),
      busy: [busy('2026-11-24T10:00:00Z', '2026-11-24T11:00:00Z')],
      from: new Date('2026-11-01T00:00:00Z'),
      to: new Date('2026-12-01T00:00:00Z'),
    });
    // 21 weekdays × 31 starts (09:00…16:30) + 4 Saturdays × 13 (09:00…12:00), less the 8 starts
    // (09:00…10:45) whose hour and 15-minute buffer reach into the meeting.
    expect(slots).toHaveLength(21 * 31 + 4 * 13 - 8);
    for (const s of slots) {
      const local = london(s.start);
      expect(local >= '09:00' && local <= '16:30').toBe(true);
    }
    const tuesday = slots.filter((s) => iso(s.start).startsWith('2026-11-24')).map((s) => london(s.start));
    expect(tuesday.slice(0, 2)).toEqual(['11:00', '11:15']);
  });
});

describe('zone helpers', () => {
  it('turns skipped wall-clock times forward and repeated ones into their first occurrence', () => {
    expect(wallClockToInstant({ year: 2026, month: 3, day: 29 }, 90, LONDON)).toBe(
      Date.UTC(2026, 2, 29, 1, 30),
    );
    expect(wallClockToInstant({ year: 2026, month: 10, day: 25 }, 90, LONDON)).toBe(
      Date.UTC(2026, 9, 25, 0, 30),
    );
    expect(wallClockToInstant({ year: 2026, month: 7, day: 1 }, 1440, LONDON)).toBe(Date.UTC(2026, 6, 1, 23));
    expect(wallClockToInstant({ year: 2026, month: 7, day: 1 }, 540, 'America/New_York')).toBe(
      Date.UTC(2026, 6, 1, 13),
    );
  });

  it('lists the local days a window touches and finds local midnight', () => {
    expect(localDays(new Date('2026-07-01T23:30:00Z'), new Date('2026-07-02T23:00:00Z'), LONDON)).toEqual([
      { year: 2026, month: 7, day: 2 },
    ]);
    expect(startOfLocalDay(new Date('2026-07-01T23:30:00Z'), LONDON).toISOString()).toBe(
      '2026-07-01T23:00:00.000Z',
    );
  });
});
