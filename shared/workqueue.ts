// A rate-limited work queue of keys (client-go's workqueue): a key is never processed by
// two workers at once, a key added while processing is processed again afterwards, and
// failures come back after a per-key exponential backoff.
export interface Backoff {
  /** Delay for the n-th consecutive failure of a key (n starts at 1). */
  delay(failures: number): number;
}

export const defaultBackoff: Backoff = { delay: (n) => Math.min(5 * 2 ** (n - 1), 1000_000) };

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly dirty = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly waiters: ((key: string | undefined) => void)[] = [];
  private shuttingDown = false;

  constructor(
    private readonly backoff: Backoff = defaultBackoff,
    private readonly schedule: (fn: () => void, ms: number) => void = (fn, ms) => void setTimeout(fn, ms).unref?.(),
  ) {}

  add(key: string): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return;
    const waiter = this.waiters.shift();
    if (waiter) {
      this.dirty.delete(key);
      this.processing.add(key);
      waiter(key);
    } else this.queue.push(key);
  }

  addRateLimited(key: string): void {
    const n = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, n);
    this.schedule(() => this.add(key), this.backoff.delay(n));
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  /** Resolves with the next key, or undefined once shut down. */
  get(): Promise<string | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    const key = this.queue.shift();
    if (key !== undefined) {
      this.dirty.delete(key);
      this.processing.add(key);
      return Promise.resolve(key);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) {
      this.dirty.delete(key);
      this.add(key);
    }
  }

  get length(): number {
    return this.queue.length;
  }

  shutDown(): void {
    this.shuttingDown = true;
    for (const w of this.waiters.splice(0)) w(undefined);
  }
}

/**
 * The worker loop written once: take a key, reconcile it, forget on success, requeue
 * rate-limited on failure. `reconcile` returning normally means done.
 */
export async function runWorker(queue: WorkQueue, reconcile: (key: string) => Promise<void>, onError: (key: string, err: unknown) => void): Promise<void> {
  for (;;) {
    const key = await queue.get();
    if (key === undefined) return;
    try {
      await reconcile(key);
      queue.forget(key);
    } catch (err) {
      onError(key, err);
      queue.addRateLimited(key);
    } finally {
      queue.done(key);
    }
  }
}
