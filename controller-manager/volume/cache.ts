// The binder's view of volumes and claims (upstream's controller caches and
// storeObjectUpdate). Binding writes four objects in a row; the informer sees them a
// moment later. Reading the informer alone right after a bind would show the volume
// still Available and let the next claim take it too. So every object the controller
// writes is kept here, and a read returns whichever of it and the informer's copy has
// the higher resourceVersion. An object the informer no longer has is gone.
import type { EventRecorder } from '../../shared/events.js';
import { keyOf } from '../../shared/informer.js';
import type { KubeObject } from '../../shared/types.js';

export interface Lister<T> {
  get(key: string): T | undefined;
  list(): T[];
}

/** resourceVersion as the integer it is in skiff (and etcd); NaN when it is not one. */
const revision = (o: KubeObject): number => Number(o.metadata.resourceVersion ?? NaN);

export class ControllerCache<T extends KubeObject> implements Lister<T> {
  private readonly written = new Map<string, T>();

  constructor(private readonly informer: Lister<T>) {}

  get(key: string): T | undefined {
    const seen = this.informer.get(key);
    const ours = this.written.get(key);
    if (!seen) {
      this.written.delete(key);
      return undefined;
    }
    if (ours && ours.metadata.uid === seen.metadata.uid && revision(ours) > revision(seen)) return ours;
    if (ours) this.written.delete(key); // the informer has caught up
    return seen;
  }

  list(): T[] {
    return this.informer.list().map((o) => this.get(keyOf(o)) ?? o);
  }

  /** Records what the apiserver returned for one of the controller's own writes. */
  store(obj: T): void {
    this.written.set(keyOf(obj), obj);
  }
}

/**
 * Emits an event at most once per version of the object it is about, so a claim that
 * stays unbound reports FailedBinding when it (or its wish) changes, not on every resync.
 */
export class OncePerChange {
  private readonly seen = new Map<string, string>();

  constructor(
    private readonly recorder: EventRecorder,
    private readonly max = 4096,
  ) {}

  event(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const key = `${obj.metadata.uid}\u0000${reason}`;
    const stamp = `${obj.metadata.resourceVersion}\u0000${message}`;
    if (this.seen.get(key) === stamp) return;
    this.seen.delete(key);
    this.seen.set(key, stamp);
    if (this.seen.size > this.max) this.seen.delete(this.seen.keys().next().value!);
    this.recorder.event(obj, type, reason, message);
  }

  /** Drops what was remembered about a deleted object. */
  forget(uid: string | undefined): void {
    for (const key of [...this.seen.keys()]) if (key.startsWith(`${uid}\u0000`)) this.seen.delete(key);
  }
}
