// Per-key exponential back-off, as client-go's flowcontrol.Backoff that the kubelet uses
// for container restarts (CrashLoopBackOff) and image pulls (ImagePullBackOff): the first
// restart is immediate, then base, 2×base, … up to max; an entry whose last update is more
// than 2×max old starts over (a container that ran 10 minutes at the default max of 5).
// Times are passed in, so tests need no clock.
export interface BackoffEntry {
  backoffMs: number;
  lastUpdate: number;
}

export class Backoff {
  private readonly entries = new Map<string, BackoffEntry>();

  constructor(
    readonly baseMs: number,
    readonly maxMs: number,
  ) {}

  /** Records one more back-off for `key` at `eventTime` (the container's exit); returns it. */
  next(key: string, eventTime: number): number {
    const e = this.entries.get(key);
    const backoffMs = !e || this.expired(eventTime, e) ? this.baseMs : Math.min(e.backoffMs * 2, this.maxMs);
    this.entries.set(key, { backoffMs, lastUpdate: eventTime });
    return backoffMs;
  }

  /** Whether `now` is still within the back-off that started at `eventTime` (flowcontrol's IsInBackOffSince). */
  inBackoffSince(key: string, eventTime: number, now: number): boolean {
    const e = this.entries.get(key);
    if (!e || this.expired(eventTime, e)) return false;
    return now - eventTime < e.backoffMs;
  }

  /** Whether `now` is within the back-off since its last update (IsInBackOffSinceUpdate, for image pulls). */
  inBackoffSinceUpdate(key: string, now: number): boolean {
    const e = this.entries.get(key);
    if (!e || this.expired(now, e)) return false;
    return now - e.lastUpdate < e.backoffMs;
  }

  /** Milliseconds until the back-off that started at `eventTime` ends (0: not in back-off). */
  remaining(key: string, eventTime: number, now: number): number {
    const e = this.entries.get(key);
    return e ? Math.max(0, eventTime + e.backoffMs - now) : 0;
  }

  get(key: string): BackoffEntry | undefined {
    return this.entries.get(key);
  }

  reset(key: string): void {
    this.entries.delete(key);
  }

  /** Forgets every key with this prefix (a pod's uid once the pod is gone). */
  resetPrefix(prefix: string): void {
    for (const k of this.entries.keys()) if (k.startsWith(prefix)) this.entries.delete(k);
  }

  private expired(eventTime: number, e: BackoffEntry): boolean {
    return eventTime - e.lastUpdate > 2 * this.maxMs;
  }
}
