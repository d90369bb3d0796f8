import { describe, expect, it } from 'vitest';
import type { ExecutionResult } from 'graphql';
import { createMetrics } from '../observability/metrics.ts';
import { MemberStream } from './fan-out.ts';
import type { GraphContext } from './context.ts';

/** What a member reads of its context: the metrics and its own end. */
function member(buffer: number) {
  const controller = new AbortController();
  const metrics = createMetrics();
  let left = 0;
  const ctx = { hub: { metrics }, signal: controller.signal } as unknown as GraphContext;
  const stream = new MemberStream(buffer, ctx, () => left++);
  return { stream, controller, metrics, left: () => left };
}
const result = (n: number): ExecutionResult => ({ data: { n } });
const gauge = async (metrics: ReturnType<typeof createMetrics>) =>
  (await metrics.subscriptionsActive.get()).values[0]?.value ?? 0;

describe('a subscriber of a shared subscription', () => {
  it('reads results in order, waiting for the next one', async () => {
    const { stream } = member(10);
    stream.push(result(1));
    expect(await stream.next()).toEqual({ value: result(1), done: false });
    const waiting = stream.next();
    stream.push(result(2));
    expect(await waiting).toEqual({ value: result(2), done: false });
  });

  it('that falls too far behind reads what it had, then the reason, and is closed; it leaves the group once', async () => {
    const { stream, left, metrics } = member(2);
    expect(await gauge(metrics)).toBe(1);
    for (let n = 1; n <= 5; n++) stream.push(result(n));
    expect(left()).toBe(1);
    const read: ExecutionResult[] = [];
    for await (const r of stream) read.push(r);
    expect(read.slice(0, 2)).toEqual([result(1), result(2)]);
    expect(read[2]!.errors![0]!.extensions).toMatchObject({ code: 'SUBSCRIBER_TOO_SLOW' });
    expect(read[2]!.errors![0]!.message).toContain('fell 2 events behind');
    expect(read).toHaveLength(3);
    expect(left()).toBe(1);
    expect(await gauge(metrics)).toBe(0);
  });

  it('ends with its own signal (its socket or request), leaving the group', async () => {
    const { stream, controller, left } = member(10);
    const waiting = stream.next();
    controller.abort();
    expect(await waiting).toEqual({ value: undefined, done: true });
    expect(left()).toBe(1);
    stream.push(result(1));
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });

  it('when the shared subscription ends, reads what is queued and then ends; a failure reaches the reader', async () => {
    const ended = member(10);
    ended.stream.push(result(1));
    ended.stream.end();
    expect(await ended.stream.next()).toEqual({ value: result(1), done: false });
    expect((await ended.stream.next()).done).toBe(true);

    const failed = member(10);
    const waiting = failed.stream.next();
    failed.stream.end(new Error('the bus went away'));
    await expect(waiting).rejects.toThrow('the bus went away');
  });
});
