// Expectations (pkg/controller's ControllerExpectations and UIDTrackingExpectations): the
// creates and deletes a controller has issued for a key and not yet seen in its informer.
// While any are outstanding the controller does not act on the key again, so a stale
// cache can never make it create or delete twice. Creations are counted (the new pods'
// names are not known in advance); deletions are tracked by pod UID, so that a pod seen
// first with a deletionTimestamp and then gone is observed once. Records expire after
// five minutes, in case a watch event was lost.
export const EXPECTATIONS_TIMEOUT_MS = 5 * 60 * 1000;

interface Record {
  adds: number;
  deletes: Set<string>;
  at: number;
}

export class Expectations {
  private readonly records = new Map<string, Record>();

  constructor(private readonly now: () => Date) {}

  /** True when nothing is outstanding for key (or the record expired). */
  satisfied(key: string): boolean {
    const r = this.records.get(key);
    if (!r) return true;
    if (r.adds <= 0 && r.deletes.size === 0) return true;
    return this.now().getTime() - r.at > EXPECTATIONS_TIMEOUT_MS;
  }

  /** Records what one sync is about to do, replacing what was there (SetExpectations). */
  expect(key: string, adds: number, deleteUIDs: Iterable<string> = []): void {
    this.records.set(key, { adds, deletes: new Set(deleteUIDs), at: this.now().getTime() });
  }

  creationObserved(key: string): void {
    const r = this.records.get(key);
    if (r) r.adds--;
  }

  deletionObserved(key: string, uid: string | undefined): void {
    if (uid) this.records.get(key)?.deletes.delete(uid);
  }

  /** A create that failed will never be observed: stop waiting for it. */
  creationFailed(key: string): void {
    this.creationObserved(key);
  }

  deletionFailed(key: string, uid: string | undefined): void {
    this.deletionObserved(key, uid);
  }

  forget(key: string): void {
    this.records.delete(key);
  }
}
