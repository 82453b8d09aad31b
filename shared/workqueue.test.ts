import { describe, expect, it } from 'vitest';
import { runWorker, WorkQueue } from './workqueue.js';

describe('WorkQueue', () => {
  it('deduplicates keys waiting in the queue', async () => {
    const q = new WorkQueue();
    q.add('a');
    q.add('a');
    q.add('b');
    expect(q.length).toBe(2);
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
  });

  it('never hands out a key being processed, and processes it again if re-added meanwhile', async () => {
    const q = new WorkQueue();
    q.add('a');
    const k = await q.get();
    q.add('a');
    expect(q.length).toBe(0);
    q.done(k!);
    expect(q.length).toBe(1);
    expect(await q.get()).toBe('a');
  });

  it('requeues failures after a growing per-key backoff and forgets on success', async () => {
    const scheduled: number[] = [];
    const q = new WorkQueue({ delay: (n) => 10 * 2 ** (n - 1) }, (fn, ms) => {
      scheduled.push(ms);
      fn();
    });
    let calls = 0;
    const worker = runWorker(
      q,
      async () => {
        calls++;
        if (calls < 3) throw new Error('transient');
        q.shutDown();
      },
      () => undefined,
    );
    q.add('k');
    await worker;
    expect(calls).toBe(3);
    expect(scheduled).toEqual([10, 20]);
  });
});
