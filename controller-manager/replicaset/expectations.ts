// Controller expectations (k8s.io/kubernetes/pkg/controller ControllerExpectations and
// UIDTrackingControllerExpectations): before a controller issues creates or deletes it
// records how many it expects to see; until its informer has observed them all (or
// they time out) the controller does not act on that key again. This is what stops a
// controller whose cache lags behind its own writes from creating duplicate pods.
//
// Written for any controller that creates or deletes children (ReplicaSet, Job,
// DaemonSet, StatefulSet …): keys are the controller's own keys, e.g. "ns/name".

/** If a watch drops an event, a controller waiting on it wakes up after this long anyway. */
export const EXPECTATIONS_TIMEOUT_MS = 5 * 60 * 1000;

export interface ControlleeExpectations {
  /** Creates still expected (<= 0 when fulfilled). */
  add: number;
  /** Deletes still expected (<= 0 when fulfilled). */
  del: number;
  /** When the expectations were set. */
  timestamp: number;
}

export class ControllerExpectations {
  private readonly store = new Map<string, ControlleeExpectations>();

  constructor(
    private readonly now: () => Date = () => new Date(),
    private readonly timeoutMs = EXPECTATIONS_TIMEOUT_MS,
  ) {}

  get(key: string): Readonly<ControlleeExpectations> | undefined {
    return this.store.get(key);
  }

  /**
   * True when the controller may act on `key`: it set no expectations, or they are
   * fulfilled, or they have expired.
   */
  satisfied(key: string): boolean {
    const exp = this.store.get(key);
    if (!exp) return true;
    if (exp.add <= 0 && exp.del <= 0) return true;
    return this.now().getTime() - exp.timestamp > this.timeoutMs;
  }

  /** Forgets `key` entirely, e.g. when the controller object is deleted. */
  delete(key: string): void {
    this.store.delete(key);
  }

  /** Records new expectations for `key`, replacing whatever was there. */
  set(key: string, add: number, del: number): void {
    this.store.set(key, { add, del, timestamp: this.now().getTime() });
  }

  expectCreations(key: string, adds: number): void {
    this.set(key, adds, 0);
  }

  expectDeletions(key: string, dels: number): void {
    this.set(key, 0, dels);
  }

  raise(key: string, add: number, del: number): void {
    const exp = this.store.get(key);
    if (!exp) return;
    exp.add += add;
    exp.del += del;
  }

  lower(key: string, add: number, del: number): void {
    this.raise(key, -add, -del);
  }

  creationObserved(key: string): void {
    this.lower(key, 1, 0);
  }

  deletionObserved(key: string): void {
    this.lower(key, 0, 1);
  }
}

/**
 * Expectations that remember which children they expect to be deleted, so a graceful
 * delete (an update setting deletionTimestamp) followed by the real delete event counts
 * once, not twice.
 */
export class UIDTrackingControllerExpectations {
  private readonly inner: ControllerExpectations;
  private readonly deleteKeys = new Map<string, Set<string>>();

  constructor(now: () => Date = () => new Date(), timeoutMs = EXPECTATIONS_TIMEOUT_MS) {
    this.inner = new ControllerExpectations(now, timeoutMs);
  }

  get(key: string): Readonly<ControlleeExpectations> | undefined {
    return this.inner.get(key);
  }

  satisfied(key: string): boolean {
    return this.inner.satisfied(key);
  }

  expectCreations(key: string, adds: number): void {
    this.inner.expectCreations(key, adds);
  }

  creationObserved(key: string): void {
    this.inner.creationObserved(key);
  }

  /** Records the keys ("ns/name") of the children about to be deleted. */
  expectDeletions(key: string, childKeys: string[]): void {
    const set = new Set(childKeys);
    this.deleteKeys.set(key, set);
    this.inner.expectDeletions(key, set.size);
  }

  /** Counts the deletion of `childKey` once, if it was expected. */
  deletionObserved(key: string, childKey: string): void {
    const set = this.deleteKeys.get(key);
    if (!set?.has(childKey)) return;
    set.delete(childKey);
    this.inner.deletionObserved(key);
  }

  /** The children whose deletion is still awaited. */
  pendingDeletions(key: string): ReadonlySet<string> {
    return this.deleteKeys.get(key) ?? new Set();
  }

  delete(key: string): void {
    this.inner.delete(key);
    this.deleteKeys.delete(key);
  }
}
