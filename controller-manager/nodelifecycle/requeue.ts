// A queue's AddAfter with at most one pending timer per key: asking again for a later
// time keeps the earlier timer (its reconcile asks again), an earlier time replaces it.
// Timers are injectable so tests drive time themselves.
import type { WorkQueue } from '../../shared/workqueue.js';

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export class DelayedRequeue {
  private readonly pending = new Map<string, { at: number; handle: unknown }>();

  constructor(
    private readonly queue: WorkQueue,
    private readonly now: () => number,
    private readonly timers: Timers = realTimers,
  ) {}

  addAfter(key: string, ms: number): void {
    const at = this.now() + Math.max(0, ms);
    const cur = this.pending.get(key);
    if (cur && cur.at <= at) return;
    if (cur) this.timers.clearTimeout(cur.handle);
    const handle = this.timers.setTimeout(() => {
      this.pending.delete(key);
      this.queue.add(key);
    }, Math.max(0, ms));
    this.pending.set(key, { at, handle });
  }

  get size(): number {
    return this.pending.size;
  }

  stop(): void {
    for (const { handle } of this.pending.values()) this.timers.clearTimeout(handle);
    this.pending.clear();
  }
}
