import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { openTestStore, storeKinds, type TestStore } from '../../harness/stores.ts';
import {
  createAuditLog,
  type AuditEntry,
  type AuditEntryInput,
  type AuditLog,
  type AuditOptions,
} from './audit.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Waits (up to 5 s: the machine is shared) for a background write to show. */
const eventually = (check: () => unknown) => vi.waitFor(check, { timeout: 5_000, interval: 10 });
/** A fresh workspace id, so each test sees its own entries (and the null-workspace ones). */
const workspace = () => `ws_${randomBytes(4).toString('hex')}`;
/** A fresh caller name. */
const actor = (name: string) => `${name}_${randomBytes(4).toString('hex')}`;

describe.each(storeKinds)('audit log on %s', (kind) => {
  let t: TestStore;
  const logs: AuditLog[] = [];
  beforeAll(async () => {
    t = await openTestStore(kind);
  });
  afterAll(async () => {
    await Promise.all(logs.map((log) => log.close()));
    await t.drop();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const open = (options: AuditOptions = {}) => {
    const log = createAuditLog(t.store.db, options);
    logs.push(log);
    return log;
  };

  /** Entries with a null workspace show in every workspace's list: a test only looks at its own actors'. */
  const listFor = async (log: AuditLog, ws: string, who: readonly string[]) =>
    (await log.list(ws, { first: 1_000 })).filter((e) => who.includes(e.actor));

  it('records an entry and lists it as written', async () => {
    const log = open();
    const ws = workspace();
    const me = actor('key');
    await log.record({
      workspace: ws,
      actor: me,
      action: 'placeOrder',
      target: 'op_123',
      outcome: 'SUCCEEDED',
      address: '10.0.0.1',
      origin: 'https://shop.example.com',
      detail: { codes: ['X'], n: 2 },
    });
    await sleep(5); // a later time, so the order is known
    await log.record({ workspace: ws, actor: me, action: 'cancelBooking', outcome: 'FAILED' });
    const [second, first] = await log.list(ws, { first: 10, actor: me });
    expect(first).toEqual({
      id: expect.any(String),
      workspace: ws,
      at: expect.any(Date),
      actor: me,
      action: 'placeOrder',
      target: 'op_123',
      outcome: 'SUCCEEDED',
      address: '10.0.0.1',
      origin: 'https://shop.example.com',
      detail: { codes: ['X'], n: 2 },
      suppressed: 0,
    } satisfies AuditEntry);
    expect(second).toMatchObject({
      action: 'cancelBooking',
      outcome: 'FAILED',
      target: null,
      address: null,
      origin: null,
      detail: null,
      suppressed: 0,
    });
    expect(Math.abs(first!.at.getTime() - Date.now())).toBeLessThan(60_000);
  });

  describe('list', () => {
    const log = () => logs[0] ?? open();
    let ws: string;
    let other: string;
    let alice: string;
    let bob: string;
    let entries: AuditEntryInput[];
    let times: Date[];

    beforeAll(async () => {
      ws = workspace();
      other = workspace();
      alice = actor('alice');
      bob = actor('bob');
      entries = [
        { workspace: ws, actor: alice, action: 'placeOrder', outcome: 'SUCCEEDED' },
        { workspace: ws, actor: bob, action: 'placeOrder', outcome: 'FAILED' },
        { workspace: other, actor: alice, action: 'placeOrder', outcome: 'SUCCEEDED' },
        { workspace: null, actor: bob, action: 'request', outcome: 'UNAUTHENTICATED' },
        { workspace: ws, actor: alice, action: 'revokeApiKey', outcome: 'SUCCEEDED' },
        { workspace: ws, actor: bob, action: 'request', outcome: 'FORBIDDEN' },
        { workspace: ws, actor: alice, action: 'placeOrder', outcome: 'RATE_LIMITED' },
      ];
      times = [];
      for (const [i, entry] of entries.entries()) {
        times.push(new Date());
        await log().record({ ...entry, target: `t${i}` });
        await sleep(5); // distinct times
      }
    });

    const targets = (list: AuditEntry[]) => list.map((e) => e.target);

    it("newest first: the workspace's entries and those with no workspace, not another workspace's", async () => {
      const listed = await listFor(log(), ws, [alice, bob]);
      expect(targets(listed)).toEqual(['t6', 't5', 't4', 't3', 't1', 't0']);
      expect(listed.find((e) => e.target === 't3')?.workspace).toBeNull();
      expect(targets(await listFor(log(), other, [alice, bob]))).toEqual(['t3', 't2']);
    });

    it('by actor, action and outcomes', async () => {
      expect(targets(await log().list(ws, { first: 50, actor: alice }))).toEqual(['t6', 't4', 't0']);
      expect(targets(await log().list(ws, { first: 50, actor: bob }))).toEqual(['t5', 't3', 't1']);
      expect(targets(await log().list(ws, { first: 50, actor: alice, action: 'placeOrder' }))).toEqual([
        't6',
        't0',
      ]);
      expect(
        targets(await log().list(ws, { first: 50, actor: bob, outcomes: ['FAILED', 'UNAUTHENTICATED'] })),
      ).toEqual(['t3', 't1']);
      expect(targets(await log().list(ws, { first: 50, actor: alice, outcomes: ['FORBIDDEN'] }))).toEqual([]);
      // An empty outcome list filters nothing.
      expect(targets(await log().list(ws, { first: 50, actor: alice, outcomes: [] }))).toEqual([
        't6',
        't4',
        't0',
      ]);
    });

    it('since: at or after the time', async () => {
      const since = times[4]!;
      const listed = (await log().list(ws, { first: 50, since })).filter((e) =>
        [alice, bob].includes(e.actor),
      );
      expect(targets(listed)).toEqual(['t6', 't5', 't4']);
      const exactly = (await log().list(ws, { first: 50, actor: alice, action: 'revokeApiKey' }))[0]!;
      expect(targets(await log().list(ws, { first: 50, actor: alice, since: exactly.at }))).toEqual([
        't6',
        't4',
      ]);
      expect(await log().list(ws, { first: 50, since: new Date(Date.now() + 60_000) })).toEqual([]);
    });

    it('in pages, each after the last entry of the previous one', async () => {
      const pages: (string | null)[][] = [];
      let after: { at: Date; id: string } | undefined;
      for (let guard = 0; guard < 10; guard++) {
        const page = await log().list(ws, { first: 2, actor: alice, after });
        if (page.length === 0) break;
        pages.push(targets(page));
        after = { at: page.at(-1)!.at, id: page.at(-1)!.id };
      }
      expect(pages).toEqual([['t6', 't4'], ['t0']]);
    });
  });

  it('pages through entries written in the same millisecond without losing or repeating one', async () => {
    const log = open();
    const ws = workspace();
    const me = actor('burst');
    await Promise.all(
      Array.from({ length: 9 }, (_, i) =>
        log.record({ workspace: ws, actor: me, action: 'x', target: `b${i}`, outcome: 'SUCCEEDED' }),
      ),
    );
    const seen: string[] = [];
    let after: { at: Date; id: string } | undefined;
    for (let guard = 0; guard < 10; guard++) {
      const page = await log.list(ws, { first: 4, actor: me, after });
      if (page.length === 0) break;
      seen.push(...page.map((e) => e.target!));
      after = { at: page.at(-1)!.at, id: page.at(-1)!.id };
    }
    expect(seen.sort()).toEqual(Array.from({ length: 9 }, (_, i) => `b${i}`));
  });

  describe('refused(): sampled', () => {
    const refusal = (who: string, reason: string, address = '10.0.0.1') => ({
      workspace: null,
      actor: who,
      action: 'request',
      outcome: 'UNAUTHENTICATED' as const,
      address,
      origin: null,
      reason,
    });

    it('2 a minute per caller and reason: of 10, 2 written now and one more with suppressed 8 on flush', async () => {
      const log = open({ refusalsPerMinute: 2 });
      const who = actor('anon');
      for (let i = 0; i < 10; i++) expect(log.refused(refusal(who, 'KEY_UNKNOWN'))).toBeUndefined();
      await eventually(async () => expect(await listFor(log, 'any', [who])).toHaveLength(2));
      await sleep(50);
      const now = await listFor(log, 'any', [who]);
      expect(now).toHaveLength(2);
      for (const entry of now) {
        expect(entry).toMatchObject({
          workspace: null,
          actor: who,
          action: 'request',
          outcome: 'UNAUTHENTICATED',
          address: '10.0.0.1',
          detail: { reason: 'KEY_UNKNOWN' },
          suppressed: 0,
        });
      }

      await log.flush();
      const after = await listFor(log, 'any', [who]);
      expect(after).toHaveLength(3);
      expect(after.map((e) => e.suppressed).sort()).toEqual([0, 0, 8]);
      // The summary says what was suppressed: the same caller, address and reason.
      expect(after.find((e) => e.suppressed === 8)).toMatchObject({
        actor: who,
        action: 'request',
        outcome: 'UNAUTHENTICATED',
        address: '10.0.0.1',
        detail: { reason: 'KEY_UNKNOWN' },
      });
      // Nothing is left to write.
      await log.flush();
      expect(await listFor(log, 'any', [who])).toHaveLength(3);
    });

    it('a different reason or address is a different bucket', async () => {
      const log = open({ refusalsPerMinute: 1 });
      const who = actor('anon');
      for (let i = 0; i < 3; i++) {
        log.refused(refusal(who, 'KEY_UNKNOWN', '10.0.0.1'));
        log.refused(refusal(who, 'KEY_UNKNOWN', '10.0.0.2'));
        log.refused(refusal(who, 'KEY_REVOKED', '10.0.0.1'));
      }
      await eventually(async () => expect(await listFor(log, 'any', [who])).toHaveLength(3));
      await log.flush();
      const entries = await listFor(log, 'any', [who]);
      const summary = (e: AuditEntry) => `${e.address} ${String(e.detail?.reason)} ${e.suppressed}`;
      expect(entries.map(summary).sort()).toEqual([
        '10.0.0.1 KEY_REVOKED 0',
        '10.0.0.1 KEY_REVOKED 2',
        '10.0.0.1 KEY_UNKNOWN 0',
        '10.0.0.1 KEY_UNKNOWN 2',
        '10.0.0.2 KEY_UNKNOWN 0',
        '10.0.0.2 KEY_UNKNOWN 2',
      ]);
    });

    it('a different caller is a different bucket', async () => {
      const log = open({ refusalsPerMinute: 1 });
      const [a, b] = [actor('a'), actor('b')];
      log.refused(refusal(a, 'MISSING_SCOPE'));
      log.refused(refusal(b, 'MISSING_SCOPE'));
      await log.flush();
      expect(await listFor(log, 'any', [a, b])).toHaveLength(2);
    });

    it('the global cap: past globalPerMinute every caller is counted, not written, until the flush', async () => {
      const log = open({ refusalsPerMinute: 5, globalPerMinute: 3 });
      const who = actor('flood');
      for (let i = 0; i < 5; i++) log.refused(refusal(who, 'KEY_UNKNOWN', `192.0.2.${i}`));
      await eventually(async () => expect(await listFor(log, 'any', [who])).toHaveLength(3));
      await sleep(50);
      expect(await listFor(log, 'any', [who])).toHaveLength(3);
      await log.flush();
      const entries = await listFor(log, 'any', [who]);
      expect(entries).toHaveLength(5);
      const written = entries.filter((e) => e.suppressed === 0).map((e) => e.address);
      const counted = entries.filter((e) => e.suppressed === 1).map((e) => e.address);
      expect(written.sort()).toEqual(['192.0.2.0', '192.0.2.1', '192.0.2.2']);
      expect(counted.sort()).toEqual(['192.0.2.3', '192.0.2.4']);
    });

    it("a minute later the caller's count starts again, and the last minute's suppressed count is written", async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      const start = Date.now();
      const log = open({ refusalsPerMinute: 1 });
      const who = actor('slow');
      for (let i = 0; i < 4; i++) log.refused(refusal(who, 'KEY_UNKNOWN'));
      await eventually(async () => expect(await listFor(log, 'any', [who])).toHaveLength(1));
      vi.setSystemTime(start + 61_000);
      log.refused(refusal(who, 'KEY_UNKNOWN'));
      await eventually(async () => expect(await listFor(log, 'any', [who])).toHaveLength(3));
      expect((await listFor(log, 'any', [who])).map((e) => e.suppressed).sort()).toEqual([0, 0, 3]);
      await log.flush();
      expect(await listFor(log, 'any', [who])).toHaveLength(3);
    });

    it('never throws and never waits, even when the store fails', async () => {
      const error = vi.fn();
      const broken = {
        insertInto: () => ({ values: () => ({ execute: () => Promise.reject(new Error('disk full')) }) }),
      } as unknown as TestStore['store']['db'];
      const log = createAuditLog(broken, { logger: { error } as never, refusalsPerMinute: 1 });
      try {
        expect(() => {
          log.refused(refusal('x', 'KEY_UNKNOWN'));
          log.refused(refusal('x', 'KEY_UNKNOWN'));
        }).not.toThrow();
        await log.flush();
        expect(error).toHaveBeenCalledTimes(2);
        await expect(
          log.record({ workspace: null, actor: 'x', action: 'y', outcome: 'FAILED' }),
        ).rejects.toThrow('disk full');
      } finally {
        await log.close();
      }
    });
  });
});
