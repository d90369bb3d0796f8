import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashInput, sameInput } from './engine.ts';

describe("a client idempotency key's input hash", () => {
  const input = (start: string) => ({
    input: { customerId: 'c1', start: new Date(start), end: new Date('2026-12-01T11:00:00Z') },
  });

  it('counts a date by its instant, so a changed start is other input', () => {
    const first = hashInput('createBooking', input('2026-12-01T10:00:00Z'));
    expect(hashInput('createBooking', input('2026-12-01T10:00:00Z'))).toBe(first);
    expect(hashInput('createBooking', input('2026-12-02T10:00:00Z'))).not.toBe(first);
    expect(sameInput(first, 'createBooking', input('2026-12-02T10:00:00Z'))).toBe(false);
  });

  it('ignores key order and tells kinds apart', () => {
    expect(hashInput('k', { a: 1, b: [{ c: 2, d: 3 }] })).toBe(hashInput('k', { b: [{ d: 3, c: 2 }], a: 1 }));
    expect(hashInput('k', { a: 1 })).not.toBe(hashInput('other', { a: 1 }));
  });

  it('still recognises a repeat of an operation stored with the old hash (dates as {})', () => {
    // What the hub stored before: sha256 of [kind, canonical input] with {} for every date.
    const stored = createHash('sha256')
      .update(JSON.stringify(['createBooking', { input: { customerId: 'c1', end: {}, start: {} } }]))
      .digest('hex');
    expect(sameInput(stored, 'createBooking', input('2026-12-01T10:00:00Z'))).toBe(true);
  });
});
