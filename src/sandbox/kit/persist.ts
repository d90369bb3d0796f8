/**
 * Saved sandbox state: sandbox mode keeps each vendor sandbox's records in
 * `<dataDir>/sandboxes/<module>.json` so they outlive a restart, as the hub's links do.
 * Maps, Sets and Dates survive the round trip (vendor stores are made of them).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { dirname } from 'node:path';

/** What a vendor sandbox offers to be saved and loaded (`VendorSandbox.state`). */
export interface PersistentState {
  /** Everything that makes the next start look like this one: records, counters, id streams, keys. */
  snapshot(): unknown;
  /** Loads a `snapshot()` taken by the same module; throws when it does not have the expected shape. */
  restore(saved: unknown): void;
}

/** The saved file names the module, format and seed, so a file never loads into the wrong sandbox. */
export interface SavedFile {
  format: 1;
  module: string;
  seed: number;
  savedAt: string;
  state: unknown;
}

/** A saved file that cannot be used; the message names the file and how to start over. */
export class SavedStateError extends Error {
  constructor(
    readonly file: string,
    problem: string,
  ) {
    super(
      `The saved sandbox state in ${file} cannot be loaded: ${problem}.\n` +
        `Run \`npm run sandbox -- reset\` to clear the hub's store and the saved sandboxes together ` +
        `(or delete that file to reseed that one sandbox).`,
    );
    this.name = 'SavedStateError';
  }
}

export function encodeState(value: unknown): string {
  return JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
    // JSON.stringify has already called Date#toJSON on `v`; the holder still has the Date.
    const raw = key === '' ? v : this[key];
    if (raw instanceof Map) return { $map: [...raw.entries()] };
    if (raw instanceof Set) return { $set: [...raw.values()] };
    if (raw instanceof Date) return { $date: raw.getTime() };
    return v;
  });
}

export function decodeState(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
    const keys = Object.keys(v);
    if (keys.length !== 1) return v;
    const o = v as Record<string, unknown>;
    if (keys[0] === '$map' && Array.isArray(o.$map)) return new Map(o.$map as Array<[unknown, unknown]>);
    if (keys[0] === '$set' && Array.isArray(o.$set)) return new Set(o.$set as unknown[]);
    if (keys[0] === '$date' && typeof o.$date === 'number') return new Date(o.$date);
    return v;
  });
}

/**
 * Write to a temporary file, flush it to disk, then rename over the old one: a crash mid-write
 * leaves the previous complete file (rename is atomic on one filesystem), never half of a new one.
 */
export function writeFileAtomic(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  // Owner-only: the sandboxes keep webhook signing secrets and OAuth tokens (test ones, still).
  writeFileSync(temp, text, { mode: 0o600 });
  const fd = openSync(temp, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, file);
}

/** The saved state for `module`, or undefined when there is none yet. */
export function readSaved(file: string, module: string, seed: number): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new SavedStateError(file, `it cannot be read (${(error as Error).message})`);
  }
  let parsed: unknown;
  try {
    parsed = decodeState(text);
  } catch (error) {
    throw new SavedStateError(file, `it is not valid JSON (${(error as Error).message})`);
  }
  const saved = parsed as Partial<SavedFile> | null;
  if (typeof saved !== 'object' || saved === null || saved.format !== 1 || !('state' in saved))
    throw new SavedStateError(file, 'it is not a saved sandbox (format 1)');
  if (saved.module !== module)
    throw new SavedStateError(file, `it holds the "${String(saved.module)}" sandbox, not "${module}"`);
  if (saved.seed !== seed)
    throw new SavedStateError(
      file,
      `it was seeded with SANDBOX_SEED=${String(saved.seed)}, this start uses ${seed}`,
    );
  return saved.state;
}

export interface Saver {
  /** Saves within `delayMs` (changes in between are saved together). */
  schedule(): void;
  /** Saves now if anything changed since the last save. */
  flush(): void;
  close(): void;
}

/**
 * Debounced saves of one sandbox. A save that fails (disk full, folder removed) is reported and
 * retried on the next change and at shutdown; the sandbox keeps serving.
 */
export function createSaver(options: {
  file: string;
  module: string;
  seed: number;
  state: PersistentState;
  delayMs?: number;
  onError?: (error: Error) => void;
}): Saver {
  const delayMs = options.delayMs ?? 500;
  let timer: NodeJS.Timeout | undefined;
  let dirty = false;
  const save = () => {
    timer = undefined;
    if (!dirty) return;
    dirty = false;
    try {
      const file: SavedFile = {
        format: 1,
        module: options.module,
        seed: options.seed,
        savedAt: new Date().toISOString(),
        state: options.state.snapshot(),
      };
      writeFileAtomic(options.file, encodeState(file));
    } catch (error) {
      dirty = true;
      (options.onError ?? ((e) => console.error(`saving ${options.file} failed:`, e)))(error as Error);
    }
  };
  return {
    schedule() {
      dirty = true;
      timer ??= setTimeout(save, delayMs);
    },
    flush() {
      if (timer) clearTimeout(timer);
      save();
    },
    close() {
      if (timer) clearTimeout(timer);
      save();
    },
  };
}
