// Wiring of the ReplicaSet controller: the ReplicaSet and pod informers feed a queue of
// ReplicaSet keys; handlers only resolve which ReplicaSet a pod event concerns, lower
// its expectations, and enqueue. reconcile.ts does the work.
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import { isApiError } from '../../shared/errors.js';
import type { EventRecorder } from '../../shared/events.js';
import { byNamespace, type Informer, keyOf } from '../../shared/informer.js';
import { R } from '../../shared/resources.js';
import type { KubeObject, OwnerReference } from '../../shared/types.js';
import { runWorker, WorkQueue } from '../../shared/workqueue.js';
import type { Controller, ControllerContext } from '../context.js';
import { UIDTrackingControllerExpectations } from './expectations.js';
import { PodControl } from './pod-control.js';
import { getControllerOf, groupOf, isPodReady, podKey } from './podutil.js';
import { type ApiClient, replicaSetSelector, type ReplicaSetSyncDeps, syncReplicaSet } from './reconcile.js';

/** The part of an informer a controller uses; tests pass an in-memory one. */
export type InformerLike<T extends KubeObject = KubeObject> = Pick<Informer<T>, 'addHandlers' | 'addIndexer' | 'byIndex' | 'get' | 'list'>;

export const NAMESPACE_INDEX = 'namespace';

export interface ReplicaSetControllerOptions {
  client: ApiClient;
  pods: InformerLike;
  replicaSets: InformerLike;
  recorder: EventRecorder;
  log: Logger;
  now: () => Date;
  /** Runs `fn` after `ms` (enqueue-after); injectable so tests never sleep. */
  schedule?: (fn: () => void, ms: number) => void;
  queue?: WorkQueue;
  burstReplicas?: number;
}

export class ReplicaSetController {
  readonly queue: WorkQueue;
  readonly expectations: UIDTrackingControllerExpectations;
  private readonly deps: ReplicaSetSyncDeps;
  private readonly schedule: (fn: () => void, ms: number) => void;
  private readonly log: Logger;

  constructor(o: ReplicaSetControllerOptions) {
    this.log = o.log;
    this.queue = o.queue ?? new WorkQueue();
    this.expectations = new UIDTrackingControllerExpectations(o.now);
    this.schedule = o.schedule ?? ((fn, ms) => void setTimeout(fn, ms).unref());
    o.pods.addIndexer(NAMESPACE_INDEX, byNamespace);
    o.replicaSets.addIndexer(NAMESPACE_INDEX, byNamespace);
    this.deps = {
      client: o.client,
      podControl: new PodControl(o.client, o.recorder),
      expectations: this.expectations,
      getReplicaSet: (key) => o.replicaSets.get(key),
      listReplicaSets: (ns) => o.replicaSets.byIndex(NAMESPACE_INDEX, ns),
      listPods: (ns) => o.pods.byIndex(NAMESPACE_INDEX, ns),
      enqueueAfter: (key, ms) => this.enqueueAfter(key, ms),
      now: o.now,
      log: o.log,
      burstReplicas: o.burstReplicas,
    };
    o.replicaSets.addHandlers({
      onAdd: (rs) => this.queue.add(keyOf(rs)),
      onUpdate: (old, cur) => this.updateReplicaSet(old, cur),
      onDelete: (rs) => this.deleteReplicaSet(rs),
    });
    o.pods.addHandlers({
      onAdd: (pod) => this.addPod(pod),
      onUpdate: (old, cur) => this.updatePod(old, cur),
      onDelete: (pod) => this.deletePod(pod),
    });
  }

  /** Reconciles one ReplicaSet key. */
  sync(key: string): Promise<void> {
    return syncReplicaSet(key, this.deps);
  }

  run(workers: number): void {
    const onError = (key: string, err: unknown) => {
      if (isApiError(err) && err.code === 409) this.log.info({ key, err: err.message }, 'conflict syncing ReplicaSet; retrying');
      else this.log.warn({ key, err }, 'error syncing ReplicaSet; retrying');
    };
    for (let i = 0; i < workers; i++) void runWorker(this.queue, (key) => this.sync(key), onError);
  }

  stop(): void {
    this.queue.shutDown();
  }

  enqueueAfter(key: string, ms: number): void {
    this.schedule(() => this.queue.add(key), ms);
  }

  private updateReplicaSet(old: KubeObject, cur: KubeObject): void {
    // A delete and re-create under the same name may arrive as one update.
    if (old.metadata.uid !== cur.metadata.uid) this.deleteReplicaSet(old);
    this.queue.add(keyOf(cur));
  }

  private deleteReplicaSet(rs: KubeObject): void {
    const key = keyOf(rs);
    this.expectations.delete(key);
    this.queue.add(key);
  }

  /** The ReplicaSet a controller reference names, if it is the one in the cache (same UID). */
  private resolveControllerRef(namespace: string | undefined, ref: OwnerReference): KubeObject | undefined {
    if (ref.kind !== 'ReplicaSet' || groupOf(ref.apiVersion) !== 'apps') return undefined;
    const rs = this.deps.getReplicaSet(`${namespace}/${ref.name}`);
    return rs?.metadata.uid === ref.uid ? rs : undefined;
  }

  /** The ReplicaSets whose selector matches an orphan pod (candidates to adopt it). */
  private podReplicaSets(pod: KubeObject): KubeObject[] {
    return this.deps.listReplicaSets(pod.metadata.namespace ?? '').filter((rs) => replicaSetSelector(rs)(pod.metadata.labels));
  }

  private addPod(pod: KubeObject): void {
    // Seen for the first time already being deleted (e.g. after a restart): a deletion.
    if (pod.metadata.deletionTimestamp) return this.deletePod(pod);
    const ref = getControllerOf(pod);
    if (ref) {
      const rs = this.resolveControllerRef(pod.metadata.namespace, ref);
      if (!rs) return;
      const key = keyOf(rs);
      this.expectations.creationObserved(key);
      this.queue.add(key);
      return;
    }
    for (const rs of this.podReplicaSets(pod)) this.queue.add(keyOf(rs));
  }

  private updatePod(old: KubeObject, cur: KubeObject): void {
    if (old.metadata.resourceVersion === cur.metadata.resourceVersion) return; // a re-list, not a change
    const labelChanged = !isDeepStrictEqual(old.metadata.labels ?? {}, cur.metadata.labels ?? {});
    if (cur.metadata.deletionTimestamp) {
      // A graceful delete: replace the pod now rather than when the kubelet finishes.
      this.deletePod(cur);
      if (labelChanged) this.deletePod(old);
      return;
    }
    const curRef = getControllerOf(cur);
    const oldRef = getControllerOf(old);
    const refChanged = !isDeepStrictEqual(curRef, oldRef);
    if (refChanged && oldRef) {
      const rs = this.resolveControllerRef(old.metadata.namespace, oldRef);
      if (rs) this.queue.add(keyOf(rs));
    }
    if (curRef) {
      const rs = this.resolveControllerRef(cur.metadata.namespace, curRef);
      if (!rs) return;
      const key = keyOf(rs);
      this.queue.add(key);
      const minReadySeconds: number = rs.spec?.minReadySeconds ?? 0;
      // Ready now: available after minReadySeconds, which no event will announce.
      if (minReadySeconds > 0 && !isPodReady(old) && isPodReady(cur)) this.enqueueAfter(key, minReadySeconds * 1000 + 1000);
      return;
    }
    if (labelChanged || refChanged) for (const rs of this.podReplicaSets(cur)) this.queue.add(keyOf(rs));
  }

  private deletePod(pod: KubeObject): void {
    const ref = getControllerOf(pod);
    if (!ref) return;
    const rs = this.resolveControllerRef(pod.metadata.namespace, ref);
    if (!rs) return;
    const key = keyOf(rs);
    this.expectations.deletionObserved(key, podKey(pod));
    this.queue.add(key);
  }
}

export function replicaSetController(ctx: ControllerContext): Controller {
  const c = new ReplicaSetController({
    client: ctx.client,
    pods: ctx.informers.for(R.pods),
    replicaSets: ctx.informers.for(R.replicasets),
    recorder: ctx.recorder,
    log: ctx.log.child({ controller: 'replicaset' }),
    now: ctx.now,
  });
  return { name: 'replicaset', run: (workers) => c.run(workers), stop: () => c.stop() };
}
