import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseOpeningHours, scheduleFromEnv } from './schedule.ts';

const defaults = { timeZone: 'Europe/London', currency: 'GBP' };

function read(env: NodeJS.ProcessEnv) {
  const problems: string[] = [];
  const schedule = scheduleFromEnv(env, problems, defaults);
  return { schedule, problems };
}

describe('the schedule from the environment', () => {
  it('defaults to the sandbox business’s six services and Mon–Fri 09:00–17:30, Sat 09:00–13:00', () => {
    const { schedule, problems } = read({});
    expect(problems).toEqual([]);
    expect(schedule.services.map((s) => s.code)).toEqual([
      'SPORTS-60',
      'DEEP-90',
      'PHYSIO-ASSESS',
      'PHYSIO-FU',
      'PILATES-1TO1',
      'ACU-45',
    ]);
    expect(schedule.services[0]).toEqual({
      code: 'SPORTS-60',
      name: 'Sports massage (60 min)',
      durationMinutes: 60,
      price: { amount: 6500, currency: 'GBP' },
      deposit: { amount: 2000, currency: 'GBP' },
      bufferBeforeMinutes: 0,
      bufferAfterMinutes: 15,
    });
    expect(schedule.hours.mon).toEqual([{ open: 540, close: 1050 }]);
    expect(schedule.hours.sat).toEqual([{ open: 540, close: 780 }]);
    expect(schedule.hours.sun).toEqual([]);
    expect(schedule.stepMinutes).toBe(15);
  });

  it('reads services inline or from a file, prices as minor units or Money', () => {
    const list = [
      { code: 'CUT', name: 'Haircut', durationMinutes: 30, price: 2500, deposit: 500, bufferAfterMinutes: 5 },
      { code: 'COLOUR', name: 'Colour', durationMinutes: 90, price: { amount: 9000, currency: 'eur' } },
    ];
    const inline = read({ SWITCHBOARD_SERVICES: JSON.stringify(list) });
    expect(inline.problems).toEqual([]);
    expect(inline.schedule.services.map((s) => [s.code, s.price, s.deposit, s.bufferAfterMinutes])).toEqual([
      ['CUT', { amount: 2500, currency: 'GBP' }, { amount: 500, currency: 'GBP' }, 5],
      ['COLOUR', { amount: 9000, currency: 'EUR' }, null, 0],
    ]);
    const file = join(mkdtempSync(join(tmpdir(), 'services-')), 'services.json');
    writeFileSync(file, JSON.stringify(list));
    expect(read({ SWITCHBOARD_SERVICES: file }).schedule.services).toEqual(inline.schedule.services);
  });

  it('says what to fix in services', () => {
    expect(read({ SWITCHBOARD_SERVICES: '[{' }).problems[0]).toMatch(
      /^SWITCHBOARD_SERVICES is not valid JSON/,
    );
    expect(read({ SWITCHBOARD_SERVICES: 'data/nothing-here.json' }).problems).toEqual([
      'SWITCHBOARD_SERVICES must be a JSON list of services or the path of a JSON file holding one; no file "data/nothing-here.json"',
    ]);
    const { problems } = read({
      SWITCHBOARD_SERVICES: JSON.stringify([
        { code: 'A B', name: '', durationMinutes: 0, price: 12.5, bufferAfterMinutes: -1 },
        { code: 'OK', name: 'Fine', durationMinutes: 30, price: 100 },
        { code: 'ok', name: 'Twice', durationMinutes: 30, price: 100 },
        { code: 'DEAR', name: 'Deposit over price', durationMinutes: 30, price: 100, deposit: 101 },
      ]),
    });
    expect(problems).toEqual([
      'SWITCHBOARD_SERVICES[0].code must be 1–64 letters, digits, - or _, e.g. "SPORTS-60", got "A B"',
      'SWITCHBOARD_SERVICES[0].name must be a text of 1–200 characters, got ""',
      'SWITCHBOARD_SERVICES[0].durationMinutes must be a whole number of minutes from 5 to 720, got 0',
      'SWITCHBOARD_SERVICES[0].bufferAfterMinutes must be a whole number of minutes from 0 to 240, got -1',
      'SWITCHBOARD_SERVICES[0].price must be minor units (6500 is £65.00) or {"amount": 6500, "currency": "GBP"}, got 12.5',
      'SWITCHBOARD_SERVICES[2].code "ok" is used twice',
      "SWITCHBOARD_SERVICES[3].deposit must be in the price's currency and at most the price (100)",
    ]);
  });

  it('reads opening hours and says what to fix', () => {
    const problems: string[] = [];
    const hours = parseOpeningHours(
      'mon-wed 08:00-12:00, 13:00-18:00; thu 10:00-24:00; mon 07:00-09:00',
      problems,
    );
    expect(problems).toEqual([]);
    expect(hours.mon).toEqual([{ open: 420, close: 540 }]);
    expect(hours.wed).toEqual([
      { open: 480, close: 720 },
      { open: 780, close: 1080 },
    ]);
    expect(hours.thu).toEqual([{ open: 600, close: 1440 }]);
    expect(hours.fri).toEqual([]);

    const bad: string[] = [];
    parseOpeningHours(
      'funday 09:00-17:00; fri-mon 09:00-17:00; sat 17:00-09:00; sun 09:00-12:00,11:00-13:00',
      bad,
    );
    expect(bad).toEqual([
      'SWITCHBOARD_OPENING_HOURS: "funday 09:00-17:00" must be a weekday (mon…sun) or range (mon-fri) and periods, like "mon-fri 09:00-17:30; sat 09:00-13:00"',
      'SWITCHBOARD_OPENING_HOURS: "fri-mon 09:00-17:00" must be a weekday (mon…sun) or range (mon-fri) and periods, like "mon-fri 09:00-17:30; sat 09:00-13:00"',
      'SWITCHBOARD_OPENING_HOURS: "17:00-09:00" in "sat 17:00-09:00" must be HH:MM-HH:MM with the close after the open, like "mon-fri 09:00-17:30; sat 09:00-13:00"',
      'SWITCHBOARD_OPENING_HOURS: the periods in "sun 09:00-12:00,11:00-13:00" overlap',
    ]);
    expect(read({ SWITCHBOARD_SLOT_STEP_MINUTES: '7.5' }).problems).toEqual([
      'SWITCHBOARD_SLOT_STEP_MINUTES must be a whole number of minutes from 5 to 120, got "7.5"',
    ]);
  });
});
