// Test doubles for the binder's unit tests: an in-memory apiserver for volumes and
// claims (resourceVersion preconditions, the status/spec split, delete preconditions,
// injectable failures to stand for a crash between two writes) and informer listers
// the test syncs from it by hand, so they can lag behind the server. Listers hand out
// frozen copies: a controller that mutates its cache fails the test.
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import type { ResourceRef } from '../../shared/client.js';
import { errors } from '../../shared/errors.js';
import { FakeRecorder } from '../../shared/events.js';
import { type InformerHandlers, keyOf } from '../../shared/informer.js';
import { R } from '../../shared/resources.js';
import type { KubeObject } from '../../shared/types.js';
import type { BinderDeps } from './binding.js';
import { ControllerCache, type Lister, OncePerChange } from './cache.js';
import type { PersistentVolume, PersistentVolumeClaim, VolumePhase } from './types.js';

export interface Action {
  verb: 'get' | 'update' | 'delete';
  resource: string;
  name: string;
  sub?: string;
  body?: KubeObject;
}

function freeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) freeze(v);
    Object.freeze(o);
  }
  return o;
}

export class FakeApi {
  readonly objects = new Map<string, KubeObject>();
  readonly actions: Action[] = [];
  /** Makes a request fail instead of being served (a crash, a conflict, an outage). */
  failWhen?: (a: Action) => Error | undefined;
  private rv = 100;

  private key(r: ResourceRef, ns: string | undefined, name: string): string {
    return `${r.plural}/${r.namespaced ? ns : ''}/${name}`;
  }

  private act(a: Action): void {
    this.actions.push(a);
    const err = this.failWhen?.(a);
    if (err) throw err;
  }

  /** Creates an object as the apiserver would (uid, resourceVersion); no action recorded. */
  seed<T extends KubeObject>(r: ResourceRef, obj: T): T {
    const o = structuredClone(obj);
    o.metadata.uid ??= randomUUID();
    o.metadata.resourceVersion = String(++this.rv);
    this.objects.set(this.key(r, o.metadata.namespace, o.metadata.name!), o);
    return structuredClone(o);
  }

  peek<T extends KubeObject>(r: ResourceRef, ns: string | undefined, name: string): T | undefined {
    const o = this.objects.get(this.key(r, ns, name));
    return o && (structuredClone(o) as T);
  }

  remove(r: ResourceRef, ns: string | undefined, name: string): void {
    this.objects.delete(this.key(r, ns, name));
  }

  list(r: ResourceRef): KubeObject[] {
    return [...this.objects.entries()].filter(([k]) => k.startsWith(`${r.plural}/`)).map(([, o]) => structuredClone(o));
  }

  /** The writes, as `update persistentvolumes/pv1/status`. */
  writes(): string[] {
    return this.actions.filter((a) => a.verb !== 'get').map((a) => `${a.verb} ${a.resource}/${a.name}${a.sub ? `/${a.sub}` : ''}`);
  }

  async get<T extends KubeObject = KubeObject>(r: ResourceRef, ns: string | undefined, name: string): Promise<T> {
    this.act({ verb: 'get', resource: r.plural, name });
    const o = this.peek<T>(r, ns, name);
    if (!o) throw errors.notFound(r.plural, r.group, name);
    return o;
  }

  async update<T extends KubeObject = KubeObject>(r: ResourceRef, obj: KubeObject, sub?: string): Promise<T> {
    this.act({ verb: 'update', resource: r.plural, name: obj.metadata.name!, sub, body: structuredClone(obj) });
    const k = this.key(r, obj.metadata.namespace, obj.metadata.name!);
    const cur = this.objects.get(k);
    if (!cur) throw errors.notFound(r.plural, r.group, obj.metadata.name!);
    if (obj.metadata.resourceVersion && obj.metadata.resourceVersion !== cur.metadata.resourceVersion) {
      throw errors.conflict(r.plural, r.group, obj.metadata.name!, 'the object has been modified; please apply your changes to the latest version and try again');
    }
    const next: KubeObject = sub === 'status' ? { ...structuredClone(cur), status: structuredClone(obj.status) } : { ...structuredClone(obj), status: structuredClone(cur.status) };
    if (next.status === undefined) delete next.status;
    next.metadata.uid = cur.metadata.uid;
    next.metadata.resourceVersion = String(++this.rv);
    this.objects.set(k, next);
    return structuredClone(next) as T;
  }

  async delete(r: ResourceRef, ns: string | undefined, name: string, options: Record<string, unknown> = {}): Promise<KubeObject> {
    this.act({ verb: 'delete', resource: r.plural, name });
    const k = this.key(r, ns, name);
    const cur = this.objects.get(k);
    if (!cur) throw errors.notFound(r.plural, r.group, name);
    const pre = (options.preconditions ?? {}) as { uid?: string; resourceVersion?: string };
    if (pre.uid && pre.uid !== cur.metadata.uid) throw errors.conflict(r.plural, r.group, name, 'Precondition failed: UID mismatch');
    if (pre.resourceVersion && pre.resourceVersion !== cur.metadata.resourceVersion) throw errors.conflict(r.plural, r.group, name, 'Precondition failed: ResourceVersion mismatch');
    this.objects.delete(k);
    return cur;
  }
}

/**
 * An informer's store, filled from the fake apiserver when the test says so (a
 * re-list): handlers hear of every object added, changed or gone since the last sync.
 */
export class FakeLister<T extends KubeObject> implements Lister<T> {
  private items = new Map<string, T>();
  private readonly handlers: InformerHandlers<T>[] = [];
  constructor(
    private readonly api: FakeApi,
    private readonly r: ResourceRef,
  ) {}
  addHandlers(h: InformerHandlers<T>): void {
    this.handlers.push(h);
  }
  sync(): void {
    const old = this.items;
    this.items = new Map(this.api.list(this.r).map((o) => [keyOf(o), freeze(o as T)]));
    for (const [k, o] of old) if (!this.items.has(k)) for (const h of this.handlers) h.onDelete?.(o);
    for (const [k, o] of this.items) {
      const before = old.get(k);
      if (before?.metadata.resourceVersion === o.metadata.resourceVersion) continue;
      for (const h of this.handlers) {
        if (before) h.onUpdate?.(before, o);
        else h.onAdd?.(o);
      }
    }
  }
  get(key: string): T | undefined {
    return this.items.get(key);
  }
  list(): T[] {
    return [...this.items.values()];
  }
}

export class World {
  readonly api = new FakeApi();
  readonly recorder = new FakeRecorder();
  readonly pvLister = new FakeLister<PersistentVolume>(this.api, R.persistentvolumes);
  readonly pvcLister = new FakeLister<PersistentVolumeClaim>(this.api, R.persistentvolumeclaims);
  readonly enqueued: string[] = [];
  readonly deps: BinderDeps = {
    client: this.api,
    recorder: this.recorder,
    once: new OncePerChange(this.recorder),
    log: pino({ level: 'silent' }),
    volumes: new ControllerCache(this.pvLister),
    claims: new ControllerCache(this.pvcLister),
    enqueueClaim: (key) => this.enqueued.push(key),
  };

  /** Lets both informers catch up with the apiserver. */
  sync(): void {
    this.pvLister.sync();
    this.pvcLister.sync();
  }
  addVolume(pv: PersistentVolume): PersistentVolume {
    const o = this.api.seed(R.persistentvolumes, pv);
    this.sync();
    return o;
  }
  addClaim(pvc: PersistentVolumeClaim): PersistentVolumeClaim {
    const o = this.api.seed(R.persistentvolumeclaims, pvc);
    this.sync();
    return o;
  }
  volume(name: string): PersistentVolume {
    return this.api.peek<PersistentVolume>(R.persistentvolumes, undefined, name)!;
  }
  claim(ns: string, name: string): PersistentVolumeClaim | undefined {
    return this.api.peek<PersistentVolumeClaim>(R.persistentvolumeclaims, ns, name);
  }
  events(): string[] {
    return this.recorder.events.map((e) => `${e.type} ${e.reason} ${e.object}: ${e.message}`);
  }
}

export interface VolumeOpts {
  modes?: string[];
  cls?: string;
  labels?: Record<string, string>;
  phase?: VolumePhase;
  policy?: string;
  claimRef?: PersistentVolume['spec']['claimRef'];
  mode?: string;
  annotations?: Record<string, string>;
}

export function volume(name: string, size: string, o: VolumeOpts = {}): PersistentVolume {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolume',
    metadata: { name, ...(o.labels ? { labels: o.labels } : {}), ...(o.annotations ? { annotations: o.annotations } : {}) },
    spec: {
      capacity: { storage: size },
      accessModes: o.modes ?? ['ReadWriteOnce'],
      persistentVolumeReclaimPolicy: o.policy ?? 'Retain',
      volumeMode: o.mode ?? 'Filesystem',
      hostPath: { path: `/mnt/${name}` },
      ...(o.cls !== undefined ? { storageClassName: o.cls } : {}),
      ...(o.claimRef ? { claimRef: o.claimRef } : {}),
    },
    status: { phase: o.phase ?? 'Available' },
  };
}

export interface ClaimOpts {
  modes?: string[];
  cls?: string | null;
  selector?: PersistentVolumeClaim['spec']['selector'];
  volumeName?: string;
  mode?: string;
  annotations?: Record<string, string>;
}

export function claim(ns: string, name: string, size: string, o: ClaimOpts = {}): PersistentVolumeClaim {
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: { namespace: ns, name, ...(o.annotations ? { annotations: o.annotations } : {}) },
    spec: {
      accessModes: o.modes ?? ['ReadWriteOnce'],
      resources: { requests: { storage: size } },
      volumeMode: o.mode ?? 'Filesystem',
      ...(o.cls !== undefined ? { storageClassName: o.cls } : {}),
      ...(o.selector ? { selector: o.selector } : {}),
      ...(o.volumeName ? { volumeName: o.volumeName } : {}),
    },
    status: { phase: 'Pending' },
  };
}
