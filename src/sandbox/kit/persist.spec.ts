import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createSaver,
  decodeState,
  encodeState,
  readSaved,
  SavedStateError,
  writeFileAtomic,
} from './persist.ts';
import { createRandom } from './random.ts';

const dir = mkdtempSync(join(tmpdir(), 'switchboard-persist-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('encodeState / decodeState', () => {
  it('round-trips the Maps, Sets and Dates vendor stores are made of, nested', () => {
    const value = {
      records: new Map([
        ['1', { props: new Map([['email', 'a@b.c']]), assoc: new Set(['9']), at: new Date(5) }],
      ]),
      list: [new Date(7), { n: 1 }],
      plain: { $map: 'not a map' },
    };
    const back = decodeState(encodeState(value)) as typeof value;
    expect(back).toEqual(value);
    expect(back.records.get('1')!.props).toBeInstanceOf(Map);
    expect(back.records.get('1')!.assoc).toBeInstanceOf(Set);
    expect(back.list[0]).toBeInstanceOf(Date);
  });
});

describe('Random position / seek', () => {
  it('continues a stream exactly where it was read', () => {
    const a = createRandom('x');
    a.string(10);
    const at = a.position();
    const next = a.string(10);
    const b = createRandom('x');
    b.seek(at);
    expect(b.string(10)).toBe(next);
  });
});

describe('writeFileAtomic', () => {
  it('replaces the file whole and leaves no temporary file behind, owner-only', () => {
    const file = join(dir, 'atomic', 'a.json');
    writeFileAtomic(file, 'one');
    writeFileAtomic(file, 'two');
    expect(readFileSync(file, 'utf8')).toBe('two');
    expect(readdirSync(join(dir, 'atomic'))).toEqual(['a.json']);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});

describe('readSaved', () => {
  const saved = (name: string, text: string) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  it('is undefined when nothing was saved yet', () => {
    expect(readSaved(join(dir, 'missing.json'), 'stripe', 1)).toBeUndefined();
  });

  it('names the file and the reset command for a truncated file', () => {
    const file = saved('cut.json', '{"format":1,"module":"stripe","se');
    expect(() => readSaved(file, 'stripe', 1)).toThrow(SavedStateError);
    expect(() => readSaved(file, 'stripe', 1)).toThrow(
      new RegExp(
        `${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} cannot be loaded: it is not valid JSON[^]*npm run sandbox -- reset`,
      ),
    );
  });

  it('refuses another module’s file, another seed, and a file that is not a saved sandbox', () => {
    const file = saved(
      's.json',
      encodeState({ format: 1, module: 'stripe', seed: 1, savedAt: '', state: {} }),
    );
    expect(readSaved(file, 'stripe', 1)).toEqual({});
    expect(() => readSaved(file, 'hubspot', 1)).toThrow(/holds the "stripe" sandbox, not "hubspot"/);
    expect(() => readSaved(file, 'stripe', 2)).toThrow(/seeded with SANDBOX_SEED=1, this start uses 2/);
    expect(() => readSaved(saved('x.json', '[1,2]'), 'stripe', 1)).toThrow(/not a saved sandbox/);
  });
});

describe('createSaver', () => {
  it('saves changes together on flush, and nothing when nothing changed', () => {
    const file = join(dir, 'saver.json');
    let snapshots = 0;
    const saver = createSaver({
      file,
      module: 'stripe',
      seed: 1,
      delayMs: 60_000,
      state: { snapshot: () => ({ n: ++snapshots }), restore: () => {} },
    });
    saver.schedule();
    saver.schedule();
    saver.flush();
    expect(snapshots).toBe(1);
    expect(readSaved(file, 'stripe', 1)).toEqual({ n: 1 });
    saver.close();
    expect(snapshots).toBe(1);
  });

  it('keeps the change to save again when a save fails', () => {
    const errors: Error[] = [];
    let fail = true;
    const file = join(dir, 'retry.json');
    const saver = createSaver({
      file,
      module: 'stripe',
      seed: 1,
      delayMs: 60_000,
      state: {
        snapshot: () => {
          if (fail) throw new Error('disk full');
          return { ok: true };
        },
        restore: () => {},
      },
      onError: (e) => errors.push(e),
    });
    saver.schedule();
    saver.flush();
    expect(errors.map((e) => e.message)).toEqual(['disk full']);
    fail = false;
    saver.close();
    expect(readSaved(file, 'stripe', 1)).toEqual({ ok: true });
  });
});
