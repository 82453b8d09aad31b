// Wiring of the deployment controller: Deployment, ReplicaSet and Pod informers whose
// handlers only enqueue the key of the Deployment concerned; workers run syncDeployment.
import type { Client } from '../../shared/client.js';
import { ApiError } from '../../shared/errors.js';
import { byControllerUID, byNamespace, keyOf, type Informer } from '../../shared/informer.js';
import { R } from '../../shared/resources.js';
import { fromMetaSelector, matchesLabels } from '../../shared/selectors.js';
import type { KubeObject } from '../../shared/types.js';
import { runWorker, WorkQueue } from '../../shared/workqueue.js';
import type { Controller, ControllerContext } from '../context.js';
import { controllerRefOf } from './claim.js';
import { syncDeployment } from './reconcile.js';
import type { Deployment, DeploymentApi, DeploymentDeps, ReplicaSet } from './types.js';
import { DeploymentError } from './util.js';

const NAMESPACE_INDEX = 'namespace';
const CONTROLLER_INDEX = 'controllerUID';

/**
 * The controller's writes through the typed client. `onDeploymentWritten` learns the
 * resourceVersion of each Deployment write, to recognise the cache lagging behind it.
 */
export function clientApi(client: Client, onDeploymentWritten: (d: Deployment) => void = () => undefined): DeploymentApi {
  const written = (d: Deployment) => {
    onDeploymentWritten(d);
    return d;
  };
  return {
    getDeployment: (ns, name) => client.get<Deployment>(R.deployments, ns, name),
    updateDeployment: (d) => client.update<Deployment>(R.deployments, d).then(written),
    updateDeploymentStatus: (d) => client.update<Deployment>(R.deployments, d, 'status').then(written),
    patchDeploymentAnnotations: (d, annotations) =>
      client.patch<Deployment>(R.deployments, d.metadata.namespace, d.metadata.name!, { metadata: { resourceVersion: d.metadata.resourceVersion, annotations } }, 'merge').then(written),
    createReplicaSet: (rs) => client.create<ReplicaSet>(R.replicasets, rs.metadata.namespace, rs),
    updateReplicaSet: (rs) => client.update<ReplicaSet>(R.replicasets, rs),
    deleteReplicaSet: async (ns, name) => {
      await client.delete(R.replicasets, ns, name);
    },
  };
}

export function deploymentController(ctx: ControllerContext): Controller {
  const log = ctx.log.child({ controller: 'deployment' });
  const deployments = ctx.informers.for<Deployment>(R.deployments);
  const replicaSets = ctx.informers.for<ReplicaSet>(R.replicasets);
  const pods = ctx.informers.for<KubeObject>(R.pods);
  deployments.addIndexer(NAMESPACE_INDEX, byNamespace);
  replicaSets.addIndexer(NAMESPACE_INDEX, byNamespace);
  pods.addIndexer(CONTROLLER_INDEX, byControllerUID);

  const queue = new WorkQueue();
  const timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  const enqueue = (d: Deployment) => queue.add(keyOf(d));
  addHandlers(deployments, replicaSets, pods, enqueue);
  // The resourceVersion of our last write of each Deployment, until the cache has it.
  const ownWrites = new Map<string, number>();
  deployments.addHandlers({ onDelete: (d) => ownWrites.delete(keyOf(d)) });

  const deps: DeploymentDeps = {
    api: clientApi(ctx.client, (d) => ownWrites.set(keyOf(d), Number(d.metadata.resourceVersion))),
    cacheBehindOwnWrite: (d) => {
      const key = keyOf(d);
      const written = ownWrites.get(key);
      if (written === undefined) return false;
      if (Number(d.metadata.resourceVersion) < written) return true;
      ownWrites.delete(key);
      return false;
    },
    getDeployment: (key) => deployments.get(key),
    getReplicaSet: (ns, name) => replicaSets.get(`${ns}/${name}`),
    listReplicaSets: (ns) => replicaSets.byIndex(NAMESPACE_INDEX, ns),
    listPodsControlledBy: (uid) => pods.byIndex(CONTROLLER_INDEX, uid),
    recorder: ctx.recorder,
    now: ctx.now,
    // One pending check per key, the earliest (the delaying queue's AddAfter).
    enqueueAfter: (key, ms) => {
      const at = ctx.now().getTime() + ms;
      const pending = timers.get(key);
      if (pending && pending.at <= at) return;
      if (pending) clearTimeout(pending.timer);
      const timer = setTimeout(() => {
        timers.delete(key);
        queue.add(key);
      }, ms);
      timer.unref();
      timers.set(key, { at, timer });
    },
    enqueueRateLimited: (key) => queue.addRateLimited(key),
    log,
  };
  const onError = (key: string, err: unknown) => {
    if ((err instanceof ApiError && (err.code === 409 || err.code === 404)) || err instanceof DeploymentError) {
      log.info({ key, reason: err.reason, error: err.message }, 'deployment sync raced a change; requeued');
    } else log.warn({ key, err }, 'deployment sync failed; requeued');
  };
  return {
    name: 'deployment',
    run: (workers) => {
      for (let i = 0; i < workers; i++) void runWorker(queue, (key) => syncDeployment(key, deps), onError);
    },
    stop: () => {
      queue.shutDown();
      for (const { timer } of timers.values()) clearTimeout(timer);
      timers.clear();
    },
  };
}

/** The Deployment a controller reference names, if the cache holds it with that uid. */
function resolveControllerRef(deployments: Informer<Deployment>, namespace: string | undefined, o: KubeObject): Deployment | undefined {
  const ref = controllerRefOf(o);
  if (!ref || ref.kind !== 'Deployment') return undefined;
  const d = deployments.get(`${namespace}/${ref.name}`);
  return d && d.metadata.uid === ref.uid ? d : undefined;
}

/** Deployments whose selector matches an orphan replica set's labels. */
function deploymentsForOrphan(deployments: Informer<Deployment>, rs: ReplicaSet): Deployment[] {
  return deployments.byIndex(NAMESPACE_INDEX, rs.metadata.namespace ?? '').filter((d) => {
    const sel = fromMetaSelector(d.spec.selector);
    return sel.length > 0 && matchesLabels(sel, rs.metadata.labels);
  });
}

/** Handlers only find the Deployment concerned and enqueue its key. */
export function addHandlers(deployments: Informer<Deployment>, replicaSets: Informer<ReplicaSet>, pods: Informer<KubeObject>, enqueue: (d: Deployment) => void): void {
  deployments.addHandlers({ onAdd: enqueue, onUpdate: (_old, d) => enqueue(d), onDelete: enqueue });

  const owner = (rs: ReplicaSet) => resolveControllerRef(deployments, rs.metadata.namespace, rs);
  const enqueueOwner = (rs: ReplicaSet) => {
    const d = owner(rs);
    if (d) enqueue(d);
  };
  replicaSets.addHandlers({
    onAdd: (rs) => {
      if (rs.metadata.deletionTimestamp || controllerRefOf(rs)) return enqueueOwner(rs);
      for (const d of deploymentsForOrphan(deployments, rs)) enqueue(d);
    },
    onUpdate: (old, rs) => {
      if (old.metadata.resourceVersion === rs.metadata.resourceVersion) return;
      const oldRef = controllerRefOf(old);
      const ref = controllerRefOf(rs);
      const refChanged = oldRef?.uid !== ref?.uid;
      if (refChanged && oldRef) enqueueOwner(old);
      if (ref) return enqueueOwner(rs);
      const labelsChanged = JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(rs.metadata.labels ?? {});
      if (labelsChanged || refChanged) for (const d of deploymentsForOrphan(deployments, rs)) enqueue(d);
    },
    onDelete: enqueueOwner,
  });

  // A Recreate rollout waits for the old pods to be gone: their deletion is its cue.
  pods.addHandlers({
    onDelete: (pod) => {
      const rsRef = controllerRefOf(pod);
      if (!rsRef || rsRef.kind !== 'ReplicaSet') return;
      const rs = replicaSets.get(`${pod.metadata.namespace}/${rsRef.name}`);
      if (!rs || rs.metadata.uid !== rsRef.uid) return;
      const d = owner(rs);
      if (d && d.spec.strategy?.type === 'Recreate') enqueue(d);
    },
  });
}
