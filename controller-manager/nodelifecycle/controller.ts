// Wiring of the node lifecycle controller: nodes and their Leases in kube-node-lease
// feed a queue of node names (health, conditions, taints); nodes' NoExecute taints and
// pods feed a queue of pod keys (the taint manager's evictions). Each queue re-looks at
// a key when its reconcile says when: a node when it would go stale, a pod when its
// toleration runs out. Time comes from ctx.now and injectable timers.
import { keyOf } from '../../shared/informer.js';
import { R } from '../../shared/resources.js';
import type { KubeObject } from '../../shared/types.js';
import { runWorker, WorkQueue } from '../../shared/workqueue.js';
import type { Controller, ControllerContext } from '../context.js';
import { type EvictionDeps, noExecuteTaints, reconcilePodEviction } from './eviction.js';
import type { NodeHealth } from './health.js';
import { type NodeLifecycleDeps, reconcileNode } from './reconcile.js';
import { DelayedRequeue, realTimers, type Timers } from './requeue.js';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
export const NODE_NAME_INDEX = 'spec.nodeName';

const taintsView = (n: KubeObject | undefined) => JSON.stringify(noExecuteTaints(n));

export function nodeLifecycleController(ctx: ControllerContext, timers: Timers = realTimers): Controller {
  const log = ctx.log.child({ controller: 'nodelifecycle' });
  const nodes = ctx.informers.for<KubeObject>(R.nodes);
  const leases = ctx.informers.for<KubeObject>(R.leases);
  const pods = ctx.informers.for<KubeObject>(R.pods);
  pods.addIndexer(NODE_NAME_INDEX, (p) => (p.spec?.nodeName ? [p.spec.nodeName as string] : []));
  const now = () => ctx.now().getTime();

  const nodeQueue = new WorkQueue({ delay: (n) => Math.min(50 * 2 ** (n - 1), 10_000) });
  const podQueue = new WorkQueue({ delay: (n) => Math.min(50 * 2 ** (n - 1), 10_000) });
  const nodeLater = new DelayedRequeue(nodeQueue, now, timers);
  const podLater = new DelayedRequeue(podQueue, now, timers);

  const nodeDeps: NodeLifecycleDeps = {
    client: ctx.client,
    recorder: ctx.recorder,
    log,
    now: ctx.now,
    gracePeriodSeconds: ctx.config.nodeMonitorGracePeriodSeconds,
    health: new Map<string, NodeHealth>(),
    getNode: (name) => nodes.get(name),
    getLease: (name) => leases.get(`${NODE_LEASE_NAMESPACE}/${name}`),
    podsOnNode: (name) => pods.byIndex(NODE_NAME_INDEX, name),
  };
  const evictionDeps: EvictionDeps = {
    client: ctx.client,
    recorder: ctx.recorder,
    log,
    now: ctx.now,
    getPod: (key) => pods.get(key),
    getNode: (name) => nodes.get(name),
    scheduled: new Map(),
    firstSeen: new Map(),
  };

  const enqueuePodsOn = (nodeName: string) => {
    for (const p of pods.byIndex(NODE_NAME_INDEX, nodeName)) podQueue.add(keyOf(p));
  };
  const forgetFirstSeen = (node: KubeObject) => {
    const keep = new Set(noExecuteTaints(node).map((t) => `${node.metadata.name}/${t.key}/${t.effect}`));
    for (const k of evictionDeps.firstSeen.keys()) if (k.startsWith(`${node.metadata.name}/`) && !keep.has(k)) evictionDeps.firstSeen.delete(k);
  };
  nodes.addHandlers({
    onAdd: (n) => {
      nodeQueue.add(n.metadata.name!);
      if (noExecuteTaints(n).length) enqueuePodsOn(n.metadata.name!);
    },
    onUpdate: (old, n) => {
      nodeQueue.add(n.metadata.name!);
      if (taintsView(old) !== taintsView(n)) {
        forgetFirstSeen(n);
        enqueuePodsOn(n.metadata.name!);
      }
    },
    onDelete: (n) => {
      nodeQueue.add(n.metadata.name!);
      forgetFirstSeen({ metadata: { name: n.metadata.name } });
      enqueuePodsOn(n.metadata.name!);
    },
  });
  const onLease = (l: KubeObject) => {
    if (l.metadata.namespace === NODE_LEASE_NAMESPACE) nodeQueue.add(l.metadata.name!);
  };
  leases.addHandlers({
    onAdd: onLease,
    onUpdate: (old, l) => {
      if (old.spec?.renewTime !== l.spec?.renewTime) onLease(l);
    },
  });
  const podMatters = (p: KubeObject) => {
    const nodeName = p.spec?.nodeName;
    return nodeName && (noExecuteTaints(nodes.get(nodeName)).length > 0 || evictionDeps.scheduled.has(keyOf(p)));
  };
  pods.addHandlers({
    onAdd: (p) => {
      if (podMatters(p)) podQueue.add(keyOf(p));
    },
    onUpdate: (old, p) => {
      const changed =
        old.spec?.nodeName !== p.spec?.nodeName ||
        JSON.stringify(old.spec?.tolerations ?? []) !== JSON.stringify(p.spec?.tolerations ?? []) ||
        Boolean(old.metadata.deletionTimestamp) !== Boolean(p.metadata.deletionTimestamp);
      if (changed && podMatters(p)) podQueue.add(keyOf(p));
    },
    onDelete: (p) => evictionDeps.scheduled.delete(keyOf(p)),
  });

  const syncNode = async (name: string) => {
    const after = await reconcileNode(name, nodeDeps);
    if (after !== undefined) nodeLater.addAfter(name, after);
  };
  const syncPod = async (key: string) => {
    const after = await reconcilePodEviction(key, evictionDeps);
    if (after !== undefined) podLater.addAfter(key, after);
  };
  return {
    name: 'nodelifecycle',
    run: (workers) => {
      for (let i = 0; i < workers; i++) {
        void runWorker(nodeQueue, syncNode, (key, err) => log.info({ node: key, err }, 'node sync failed; requeueing'));
        void runWorker(podQueue, syncPod, (key, err) => log.info({ pod: key, err }, 'taint eviction failed; requeueing'));
      }
    },
    stop: () => {
      nodeQueue.shutDown();
      podQueue.shutDown();
      nodeLater.stop();
      podLater.stop();
    },
  };
}
