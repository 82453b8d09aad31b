// Test doubles for controller unit tests: an in-memory informer the test feeds by hand
// (so it can lag behind the "server"), an in-memory API client with the apiserver's
// patch, precondition and finalizer semantics, and a manual clock.
import { randomUUID } from 'node:crypto';
import { applyPatch } from '../../apiserver/patch/apply-patch.js';
import type { ResourceRef } from '../../shared/client.js';
import { ApiError, errors } from '../../shared/errors.js';
import type { IndexFunc, InformerHandlers } from '../../shared/informer.js';
import { keyOf } from '../../shared/informer.js';
import type { KubeList, KubeObject } from '../../shared/types.js';

export class FakeInformer<T extends KubeObject = KubeObject> {
  private readonly items = new Map<string, T>();
  private readonly indexes = new Map<string, IndexFunc<T>>();
  private readonly handlers: InformerHandlers<T>[] = [];
  readonly hasSynced = true;

  addHandlers(h: InformerHandlers<T>): void {
    this.handlers.push(h);
  }
  addIndexer(name: string, fn: IndexFunc<T>): void {
    this.indexes.set(name, fn);
  }
  byIndex(name: string, value: string): T[] {
    const fn = this.indexes.get(name);
    if (!fn) throw new Error(`no index ${name}`);
    return this.list().filter((o) => fn(o).includes(value));
  }
  get(key: string): T | undefined {
    return this.items.get(key);
  }
  list(): T[] {
    return [...this.items.values()];
  }

  /** Delivers an add or update event, as the watch would. */
  set(obj: T): void {
    const copy = structuredClone(obj);
    const key = keyOf(copy);
    const old = this.items.get(key);
    this.items.set(key, copy);
    for (const h of this.handlers) {
      if (old) h.onUpdate?.(old, copy);
      else h.onAdd?.(copy);
    }
  }
  /** Delivers a delete event. */
  remove(obj: T): void {
    const key = keyOf(obj);
    const old = this.items.get(key);
    this.items.delete(key);
    for (const h of this.handlers) h.onDelete?.(old ?? obj);
  }
}

export interface FakeAction {
  verb: 'get' | 'list' | 'create' | 'update' | 'patch' | 'delete';
  resource: string;
  namespace?: string;
  name?: string;
  sub?: string;
  body?: unknown;
}

/** An in-memory apiserver behind the Client methods controllers use. */
export class FakeClient {
  private readonly objects = new Map<string, KubeObject>();
  readonly actions: FakeAction[] = [];
  private rev = 100;
  private seq = 0;
  /** Return an error to fail a request instead of serving it. */
  reactor?: (a: FakeAction) => Error | undefined;

  constructor(private readonly now: () => Date = () => new Date()) {}

  private key(r: ResourceRef, ns: string | undefined, name: string): string {
    return `${r.plural}/${r.namespaced ? (ns ?? '') : ''}/${name}`;
  }

  private act(a: FakeAction): void {
    this.actions.push(a);
    const err = this.reactor?.(a);
    if (err) throw err;
  }

  /** Stores `obj` directly (no action recorded), filling uid, resourceVersion and timestamps. */
  seed<T extends KubeObject>(r: ResourceRef, obj: T): T {
    const o = structuredClone(obj);
    o.metadata.uid ??= randomUUID();
    o.metadata.creationTimestamp ??= this.now().toISOString();
    o.metadata.resourceVersion = String(++this.rev);
    this.objects.set(this.key(r, o.metadata.namespace, o.metadata.name!), o);
    return structuredClone(o);
  }

  /** The stored object, or undefined. */
  peek(r: ResourceRef, ns: string | undefined, name: string): KubeObject | undefined {
    const o = this.objects.get(this.key(r, ns, name));
    return o && structuredClone(o);
  }

  all(r: ResourceRef, ns?: string): KubeObject[] {
    const prefix = `${r.plural}/`;
    return [...this.objects.entries()]
      .filter(([k, o]) => k.startsWith(prefix) && (ns === undefined || o.metadata.namespace === ns))
      .map(([, o]) => structuredClone(o));
  }

  private mustGet(r: ResourceRef, ns: string | undefined, name: string): KubeObject {
    const o = this.objects.get(this.key(r, ns, name));
    if (!o) throw errors.notFound(r.plural, r.group, name);
    return o;
  }

  /** Stores a write, removing an object whose deletion has no finalizers left. */
  private store(r: ResourceRef, obj: KubeObject): KubeObject {
    const k = this.key(r, obj.metadata.namespace, obj.metadata.name!);
    obj.metadata.resourceVersion = String(++this.rev);
    if (obj.metadata.deletionTimestamp && !obj.metadata.finalizers?.length) this.objects.delete(k);
    else this.objects.set(k, obj);
    return structuredClone(obj);
  }

  async get<T extends KubeObject = KubeObject>(r: ResourceRef, ns: string | undefined, name: string): Promise<T> {
    this.act({ verb: 'get', resource: r.plural, namespace: ns, name });
    return structuredClone(this.mustGet(r, ns, name)) as T;
  }

  async list<T extends KubeObject = KubeObject>(r: ResourceRef, ns?: string): Promise<KubeList<T>> {
    this.act({ verb: 'list', resource: r.plural, namespace: ns });
    return { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: String(this.rev) }, items: this.all(r, ns) as T[] };
  }

  async create<T extends KubeObject = KubeObject>(r: ResourceRef, ns: string | undefined, obj: KubeObject): Promise<T> {
    const o = structuredClone(obj);
    o.metadata.namespace = r.namespaced ? ns : undefined;
    if (!o.metadata.name && o.metadata.generateName) o.metadata.name = `${o.metadata.generateName}${(++this.seq).toString(36).padStart(5, '0')}`;
    this.act({ verb: 'create', resource: r.plural, namespace: ns, name: o.metadata.name, body: o });
    if (this.objects.has(this.key(r, ns, o.metadata.name!))) throw errors.alreadyExists(r.plural, r.group, o.metadata.name!);
    o.metadata.uid = randomUUID();
    o.metadata.creationTimestamp = this.now().toISOString();
    return this.store(r, o) as T;
  }

  async update<T extends KubeObject = KubeObject>(r: ResourceRef, obj: KubeObject, sub?: string): Promise<T> {
    const { namespace: ns, name } = obj.metadata;
    this.act({ verb: 'update', resource: r.plural, namespace: ns, name, sub, body: obj });
    const cur = this.mustGet(r, ns, name!);
    if (obj.metadata.resourceVersion && obj.metadata.resourceVersion !== cur.metadata.resourceVersion) {
      throw errors.conflict(r.plural, r.group, name!, 'the object has been modified; please apply your changes to the latest version and try again');
    }
    const next = sub === 'status' ? { ...structuredClone(cur), status: structuredClone(obj.status) } : { ...structuredClone(obj), status: structuredClone(cur.status) };
    if (sub !== 'status') for (const k of ['uid', 'creationTimestamp', 'deletionTimestamp'] as const) (next.metadata as Record<string, unknown>)[k] = cur.metadata[k];
    return this.store(r, next) as T;
  }

  async patch<T extends KubeObject = KubeObject>(r: ResourceRef, ns: string | undefined, name: string, patch: unknown, type: 'merge' | 'strategic' | 'json' = 'merge', sub?: string): Promise<T> {
    this.act({ verb: 'patch', resource: r.plural, namespace: ns, name, sub, body: patch });
    const cur = this.mustGet(r, ns, name);
    const next = applyPatch(type, structuredClone(cur) as Record<string, unknown>, patch) as KubeObject;
    if (next.metadata.uid !== cur.metadata.uid) {
      throw errors.conflict(r.plural, r.group, name, `Precondition failed: UID in precondition: ${next.metadata.uid}, UID in object meta: ${cur.metadata.uid}`);
    }
    const rv = next.metadata.resourceVersion;
    if (rv && rv !== cur.metadata.resourceVersion) throw errors.conflict(r.plural, r.group, name, 'the object has been modified; please apply your changes to the latest version and try again');
    if (sub === 'status') return this.store(r, { ...structuredClone(cur), status: next.status }) as T;
    next.metadata.deletionTimestamp = cur.metadata.deletionTimestamp;
    return this.store(r, next) as T;
  }

  async delete(r: ResourceRef, ns: string | undefined, name: string, options: Record<string, unknown> = {}): Promise<KubeObject> {
    this.act({ verb: 'delete', resource: r.plural, namespace: ns, name, body: options });
    const cur = this.mustGet(r, ns, name);
    const pre = options.preconditions as { uid?: string; resourceVersion?: string } | undefined;
    if (pre?.uid && pre.uid !== cur.metadata.uid) throw errors.conflict(r.plural, r.group, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${cur.metadata.uid}`);
    if (pre?.resourceVersion && pre.resourceVersion !== cur.metadata.resourceVersion) {
      throw errors.conflict(r.plural, r.group, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${cur.metadata.resourceVersion}`);
    }
    const next = structuredClone(cur);
    const finalizers = new Set(next.metadata.finalizers ?? []);
    if (options.propagationPolicy === 'Orphan') finalizers.add('orphan');
    if (options.propagationPolicy === 'Foreground') finalizers.add('foregroundDeletion');
    next.metadata.finalizers = [...finalizers];
    next.metadata.deletionTimestamp ??= this.now().toISOString();
    return this.store(r, next);
  }
}

export function isConflict(err: unknown): boolean {
  return err instanceof ApiError && err.code === 409;
}

/** A clock tests move by hand; timers scheduled on it fire when it passes them. */
export class FakeClock {
  private timers: { at: number; fn: () => void }[] = [];
  constructor(private t = Date.parse('2025-01-01T00:00:00Z')) {}
  now = (): Date => new Date(this.t);
  schedule = (fn: () => void, ms: number): void => {
    this.timers.push({ at: this.t + ms, fn });
  };
  advance(ms: number): void {
    this.t += ms;
    const due = this.timers.filter((x) => x.at <= this.t).sort((a, b) => a.at - b.at);
    this.timers = this.timers.filter((x) => x.at > this.t);
    for (const x of due) x.fn();
  }
  get pendingTimers(): number {
    return this.timers.length;
  }
}
