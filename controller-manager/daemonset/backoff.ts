// Per-item exponential backoff (client-go flowcontrol.Backoff), used before replacing a
// failed daemon pod on the same node again: 1 s doubling to 15 min; an entry untouched
// for twice the maximum starts over.
export class FailedPodBackoff {
  private readonly entries = new Map<string, { backoffMs: number; lastUpdate: number }>();

  constructor(
    private readonly initialMs = 1000,
    private readonly maxMs = 15 * 60 * 1000,
  ) {}

  /** Milliseconds left in the item's backoff window; 0 when it may act now. */
  remaining(id: string, now: Date): number {
    const e = this.entries.get(id);
    if (!e || this.expired(e, now)) return 0;
    return Math.max(0, e.lastUpdate + e.backoffMs - now.getTime());
  }

  /** Records an action at `now`, doubling the window. */
  next(id: string, now: Date): void {
    const e = this.entries.get(id);
    const backoffMs = !e || this.expired(e, now) ? this.initialMs : Math.min(e.backoffMs * 2, this.maxMs);
    this.entries.set(id, { backoffMs, lastUpdate: now.getTime() });
  }

  /** Drops entries that have expired (client-go's GC), so the map does not grow forever. */
  gc(now: Date): void {
    for (const [id, e] of this.entries) if (this.expired(e, now)) this.entries.delete(id);
  }

  private expired(e: { lastUpdate: number }, now: Date): boolean {
    return now.getTime() - e.lastUpdate > 2 * this.maxMs;
  }
}
