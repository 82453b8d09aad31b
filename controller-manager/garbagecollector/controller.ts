// Wiring of the garbage collector: informers on every kind that owns or is owned feed
// two queues of UIDs. Handlers only decide which UIDs an event concerns:
//   - an object whose owner is not in the cache, or waits for its dependents → attemptToDelete
//   - an object in foreground deletion → attemptToDelete (it deletes its dependents)
//   - an object deleted → its dependents → attemptToDelete
//   - a dependent gone or unblocked → its foreground-deleting owners → attemptToDelete
//   - an object deleted with orphan propagation → attemptToOrphan
import type { Logger } from 'pino';
import type { ResourceRef } from '../../shared/client.js';
import { GVK, R } from '../../shared/resources.js';
import type { KubeObject } from '../../shared/types.js';
import { runWorker, WorkQueue } from '../../shared/workqueue.js';
import type { Controller, ControllerContext } from '../context.js';
import { isDeletingDependents, isOrphaningDependents, ObjectGraph, type WatchedResource } from './graph.js';
import { AbsentOwnerCache, attemptToDeleteItem, attemptToOrphanItem, type GCDeps, NamespacedOwnerOfClusterScopedError } from './reconcile.js';
import type { GCClient } from './operations.js';
import { RestMapper, RestMappingError } from './restmapper.js';

/** The kinds the collector watches: everything skiff's controllers and kubelets give owners, and their owners. */
export const GC_RESOURCES: { ref: ResourceRef; apiVersion: string; kind: string }[] = [
  { ref: R.pods, ...GVK.Pod },
  { ref: R.replicasets, ...GVK.ReplicaSet },
  { ref: R.deployments, ...GVK.Deployment },
  { ref: R.statefulsets, ...GVK.StatefulSet },
  { ref: R.daemonsets, ...GVK.DaemonSet },
  { ref: R.jobs, ...GVK.Job },
  { ref: R.persistentvolumeclaims, apiVersion: 'v1', kind: 'PersistentVolumeClaim' },
  { ref: R.services, ...GVK.Service },
  { ref: R.configmaps, apiVersion: 'v1', kind: 'ConfigMap' },
  { ref: R.secrets, apiVersion: 'v1', kind: 'Secret' },
  { ref: R.nodes, ...GVK.Node },
  { ref: R.leases, apiVersion: 'coordination.k8s.io/v1', kind: 'Lease' },
  { ref: R.horizontalpodautoscalers, apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler' },
];

export interface GarbageCollectorOptions {
  client: GCClient;
  resources: WatchedResource[];
  mapper: GCDeps['mapper'];
  log: Logger;
  /** How often objects with an owner outside the caches are checked again (ms). */
  resyncMs?: number;
}

/** Owners of kinds the collector does not watch announce no deletion: look again this often. */
export const DEFAULT_RESYNC_MS = 60_000;

export class GarbageCollector {
  readonly attemptToDelete = new WorkQueue();
  readonly attemptToOrphan = new WorkQueue();
  readonly graph: ObjectGraph;
  readonly deps: GCDeps;
  private readonly log: Logger;
  private readonly resources: WatchedResource[];
  private readonly resyncMs: number;
  private timer: NodeJS.Timeout | undefined;

  constructor(o: GarbageCollectorOptions) {
    this.log = o.log;
    this.resources = o.resources;
    this.resyncMs = o.resyncMs ?? DEFAULT_RESYNC_MS;
    this.graph = new ObjectGraph(o.resources);
    this.deps = {
      client: o.client,
      graph: this.graph,
      mapper: o.mapper,
      absentOwners: new AbsentOwnerCache(),
      enqueueDelete: (uid) => this.attemptToDelete.add(uid),
      log: o.log,
    };
    for (const r of o.resources) {
      r.informer.addHandlers({
        onAdd: (obj) => this.observe(undefined, obj),
        onUpdate: (old, obj) => this.observe(old, obj),
        onDelete: (obj) => this.observeDelete(obj),
      });
    }
  }

  private observe(old: KubeObject | undefined, obj: KubeObject): void {
    if (old && old.metadata.uid !== obj.metadata.uid) this.observeDelete(old); // deleted and re-created
    const uid = obj.metadata.uid!;
    if (isOrphaningDependents(obj)) this.attemptToOrphan.add(uid);
    if (isDeletingDependents(obj)) {
      this.attemptToDelete.add(uid);
      // Just started waiting for its dependents: every dependent, blocking or not, goes.
      if (!old || !isDeletingDependents(old)) for (const d of this.graph.dependents(uid)) this.attemptToDelete.add(d.obj.metadata.uid!);
    }
    for (const ref of obj.metadata.ownerReferences ?? []) {
      const owner = this.graph.owner(ref);
      if (!owner || isDeletingDependents(owner.obj)) {
        this.attemptToDelete.add(uid);
        break;
      }
    }
    if (!old || old.metadata.uid !== obj.metadata.uid) return;
    // Owners that wait for their dependents and just lost one (or its blocking).
    const now = new Map((obj.metadata.ownerReferences ?? []).map((r) => [r.uid, r]));
    for (const ref of old.metadata.ownerReferences ?? []) {
      const cur = now.get(ref.uid);
      if (cur && !(ref.blockOwnerDeletion && !cur.blockOwnerDeletion)) continue;
      this.enqueueIfDeletingDependents(ref.uid);
    }
  }

  private observeDelete(obj: KubeObject): void {
    for (const d of this.graph.dependents(obj.metadata.uid!)) this.attemptToDelete.add(d.obj.metadata.uid!);
    for (const ref of obj.metadata.ownerReferences ?? []) this.enqueueIfDeletingDependents(ref.uid);
  }

  private enqueueIfDeletingDependents(uid: string): void {
    const owner = this.graph.find(uid);
    if (owner && isDeletingDependents(owner.obj)) this.attemptToDelete.add(uid);
  }

  /** Enqueues every object with an owner that is not in the caches (owned by an unwatched kind, or dangling). */
  resync(): void {
    for (const r of this.resources) {
      for (const obj of r.informer.list()) {
        if ((obj.metadata.ownerReferences ?? []).some((ref) => !this.graph.owner(ref))) this.attemptToDelete.add(obj.metadata.uid!);
      }
    }
  }

  run(workers: number): void {
    const onError = (queue: string) => (uid: string, err: unknown) => {
      if (err instanceof RestMappingError) this.log.info({ uid, err: err.message }, `${queue}: owner kind not mapped yet; retrying`);
      else this.log.warn({ uid, err }, `${queue} failed; retrying`);
    };
    const deleteItem = async (uid: string) => {
      try {
        await attemptToDeleteItem(uid, this.deps);
      } catch (err) {
        // Invalid references never resolve by retrying: report and drop.
        if (err instanceof NamespacedOwnerOfClusterScopedError) return this.log.warn({ uid, err: err.message }, 'ignoring invalid owner reference');
        throw err;
      }
    };
    for (let i = 0; i < workers; i++) {
      void runWorker(this.attemptToDelete, deleteItem, onError('attemptToDelete'));
      void runWorker(this.attemptToOrphan, (uid) => attemptToOrphanItem(uid, this.deps), onError('attemptToOrphan'));
    }
    this.timer = setInterval(() => this.resync(), this.resyncMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.attemptToDelete.shutDown();
    this.attemptToOrphan.shutDown();
  }
}

export function garbageCollector(ctx: ControllerContext): Controller {
  const resources: WatchedResource[] = GC_RESOURCES.map((r) => ({ ...r, informer: ctx.informers.for(r.ref) }));
  const gc = new GarbageCollector({
    client: ctx.client,
    resources,
    mapper: new RestMapper(ctx.client, GC_RESOURCES),
    log: ctx.log.child({ controller: 'garbagecollector' }),
  });
  return { name: 'garbagecollector', run: (workers) => gc.run(workers), stop: () => gc.stop() };
}
