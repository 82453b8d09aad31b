// Test doubles for the workload controllers' unit tests: an in-memory lister with the
// informer's read methods, and a client that keeps objects in memory, records every
// write and can be told to fail. Tests copy the client's objects into the listers
// ("the informer caught up") when they choose, so stale caches can be exercised.
import { ApiError } from '../../shared/errors.js';
import type { ResourceRef } from '../../shared/client.js';
import { keyOf, type IndexFunc } from '../../shared/informer.js';
import type { KubeObject } from '../../shared/types.js';
import type { Lister } from './lister.js';

export class FakeLister<T extends KubeObject = KubeObject> implements Lister<T> {
  readonly items = new Map<string, T>();
  private readonly indexes = new Map<string, IndexFunc<T>>();

  constructor(indexes: Record<string, IndexFunc<T>> = {}) {
    for (const [name, fn] of Object.entries(indexes)) this.indexes.set(name, fn);
  }

  add(...objs: T[]): this {
    for (const o of objs) this.items.set(keyOf(o), o);
    return this;
  }

  remove(key: string): void {
    this.items.delete(key);
  }

  /** Replaces the contents with `objs`. */
  replace(objs: T[]): void {
    this.items.clear();
    this.add(...objs);
  }

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  list(): T[] {
    return [...this.items.values()];
  }

  byIndex(name: string, value: string): T[] {
    const fn = this.indexes.get(name);
    if (!fn) throw new Error(`no index ${name}`);
    return this.list().filter((o) => fn(o).includes(value));
  }
}

export interface Action {
  verb: 'create' | 'delete' | 'patch' | 'update' | 'get';
  resource: string;
  namespace?: string;
  name: string;
  body?: unknown;
  sub?: string;
}

export class FakeClient {
  readonly actions: Action[] = [];
  readonly objects = new Map<string, KubeObject>();
  /** Return an error to make a call fail. */
  fail?: (a: Action) => ApiError | undefined;
  private rv = 100;
  private seq = 0;

  constructor(private readonly now: () => Date = () => new Date(0)) {}

  private k(r: ResourceRef, ns: string | undefined, name: string): string {
    return `${r.plural}/${ns ?? ''}/${name}`;
  }

  /** Objects of one resource, as the "server" holds them. */
  list(r: ResourceRef): KubeObject[] {
    return [...this.objects.entries()].filter(([k]) => k.startsWith(`${r.plural}/`)).map(([, o]) => structuredClone(o));
  }

  seed(r: ResourceRef, ...objs: KubeObject[]): void {
    for (const o of objs) this.objects.set(this.k(r, o.metadata.namespace, o.metadata.name!), structuredClone(o));
  }

  private record(a: Action): void {
    this.actions.push(a);
    const err = this.fail?.(a);
    if (err) throw err;
  }

  async get<T extends KubeObject = KubeObject>(r: ResourceRef, ns: string | undefined, name: string): Promise<T> {
    this.record({ verb: 'get', resource: r.plural, namespace: ns, name });
    const o = this.objects.get(this.k(r, ns, name));
    if (!o) throw new ApiError(404, 'NotFound', `${r.plural} "${name}" not found`);
    return structuredClone(o) as T;
  }

  async create<T extends KubeObject = KubeObject>(r: ResourceRef, ns: string | undefined, obj: KubeObject): Promise<T> {
    const o = structuredClone(obj);
    o.metadata.name ??= `${o.metadata.generateName ?? ''}${(++this.seq).toString(36).padStart(5, 'x')}`;
    this.record({ verb: 'create', resource: r.plural, namespace: ns, name: o.metadata.name, body: structuredClone(obj) });
    const key = this.k(r, ns, o.metadata.name);
    if (this.objects.has(key)) throw new ApiError(409, 'AlreadyExists', `${r.plural} "${o.metadata.name}" already exists`);
    o.metadata.namespace = ns;
    o.metadata.uid = `uid-${o.metadata.name}`;
    o.metadata.resourceVersion = String(++this.rv);
    o.metadata.creationTimestamp = this.now().toISOString().replace(/\.\d{3}Z$/, 'Z');
    if (r.plural === 'pods') o.status = { phase: 'Pending', ...(o.status ?? {}) };
    this.objects.set(key, o);
    return structuredClone(o) as T;
  }

  async delete(r: ResourceRef, ns: string | undefined, name: string, options: Record<string, unknown> = {}): Promise<KubeObject> {
    this.record({ verb: 'delete', resource: r.plural, namespace: ns, name, body: options });
    const key = this.k(r, ns, name);
    const o = this.objects.get(key);
    if (!o) throw new ApiError(404, 'NotFound', `${r.plural} "${name}" not found`);
    const graceful = r.plural === 'pods' && o.spec?.nodeName && options.gracePeriodSeconds !== 0 && !['Succeeded', 'Failed'].includes(o.status?.phase);
    if (o.metadata.finalizers?.length || graceful) {
      o.metadata.deletionTimestamp ??= this.now().toISOString();
      o.metadata.resourceVersion = String(++this.rv);
    } else this.objects.delete(key);
    return structuredClone(o);
  }

  async patch<T extends KubeObject = KubeObject>(r: ResourceRef, ns: string | undefined, name: string, patch: unknown, _type = 'merge', sub?: string): Promise<T> {
    this.record({ verb: 'patch', resource: r.plural, namespace: ns, name, body: structuredClone(patch), sub });
    const key = this.k(r, ns, name);
    const o = this.objects.get(key);
    if (!o) throw new ApiError(404, 'NotFound', `${r.plural} "${name}" not found`);
    const next = (_type === 'strategic' ? strategicPatch(o, patch) : mergePatch(o, patch)) as KubeObject;
    const want = (patch as KubeObject).metadata?.resourceVersion;
    if (want && want !== o.metadata.resourceVersion) throw new ApiError(409, 'Conflict', 'the object has been modified');
    next.metadata.resourceVersion = String(++this.rv);
    this.objects.set(key, next);
    return structuredClone(next) as T;
  }

  async update<T extends KubeObject = KubeObject>(r: ResourceRef, obj: KubeObject, sub?: string): Promise<T> {
    const { namespace: ns, name } = obj.metadata;
    this.record({ verb: 'update', resource: r.plural, namespace: ns, name: name!, body: structuredClone(obj), sub });
    const key = this.k(r, ns, name!);
    const cur = this.objects.get(key);
    if (!cur) throw new ApiError(404, 'NotFound', `${r.plural} "${name}" not found`);
    if (obj.metadata.resourceVersion && obj.metadata.resourceVersion !== cur.metadata.resourceVersion) throw new ApiError(409, 'Conflict', 'the object has been modified');
    const next = sub === 'status' ? { ...structuredClone(cur), status: structuredClone(obj.status) } : structuredClone(obj);
    next.metadata.resourceVersion = String(++this.rv);
    this.objects.set(key, next);
    return structuredClone(next) as T;
  }

  /** The writes (not gets) of one verb, as "verb resource name". */
  writes(): string[] {
    return this.actions.filter((a) => a.verb !== 'get').map((a) => `${a.verb} ${a.resource}${a.sub ? `/${a.sub}` : ''} ${a.name}`);
  }
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = target && typeof target === 'object' && !Array.isArray(target) ? structuredClone(target as Record<string, unknown>) : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** Just enough of a strategic merge patch: JSON merge plus `$deleteFromPrimitiveList/<list>`. */
export function strategicPatch(target: unknown, patch: unknown): unknown {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = target && typeof target === 'object' && !Array.isArray(target) ? structuredClone(target as Record<string, unknown>) : {};
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) {
    const m = /^\$deleteFromPrimitiveList\/(.+)$/.exec(k);
    if (m) {
      const left = ((out[m[1]!] as unknown[] | undefined) ?? []).filter((x) => !(v as unknown[]).includes(x));
      if (left.length) out[m[1]!] = left;
      else delete out[m[1]!];
    } else if (v === null) delete out[k];
    else out[k] = strategicPatch(out[k], v);
  }
  return out;
}
