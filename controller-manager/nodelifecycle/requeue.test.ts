import { describe, expect, it } from 'vitest';
import { WorkQueue } from '../../shared/workqueue.js';
import { DelayedRequeue, type Timers } from './requeue.js';

function fakeTimers() {
  let now = 0;
  let seq = 0;
  const pending = new Map<number, { at: number; fn: () => void }>();
  const timers: Timers = {
    setTimeout: (fn, ms) => {
      pending.set(++seq, { at: now + ms, fn });
      return seq;
    },
    clearTimeout: (h) => void pending.delete(h as number),
  };
  const advance = (ms: number) => {
    now += ms;
    for (const [id, t] of [...pending].sort((a, b) => a[1].at - b[1].at)) {
      if (t.at <= now) {
        pending.delete(id);
        t.fn();
      }
    }
  };
  return { timers, advance, now: () => now, pending };
}

describe('DelayedRequeue', () => {
  it('adds the key when its time comes, keeping one timer per key at the earliest time', async () => {
    const clock = fakeTimers();
    const queue = new WorkQueue();
    const later = new DelayedRequeue(queue, clock.now, clock.timers);
    later.addAfter('a', 5_000);
    later.addAfter('a', 8_000);
    expect(clock.pending.size).toBe(1);
    later.addAfter('a', 2_000);
    expect(clock.pending.size).toBe(1);
    clock.advance(1_999);
    expect(queue.length).toBe(0);
    clock.advance(1);
    expect(queue.length).toBe(1);
    expect(await queue.get()).toBe('a');
    expect(later.size).toBe(0);
  });

  it('drops its timers on stop', () => {
    const clock = fakeTimers();
    const later = new DelayedRequeue(new WorkQueue(), clock.now, clock.timers);
    later.addAfter('a', 1);
    later.addAfter('b', 1);
    later.stop();
    expect(clock.pending.size).toBe(0);
  });
});
