// Wiring of the DaemonSet controller: DaemonSet, pod and node informers feeding a queue of
// DaemonSet keys. Handlers only record expectations and enqueue; syncDaemonSet does the work.
import { isApiError } from '../../shared/errors.js';
import { byNamespace, keyOf } from '../../shared/informer.js';
import { R } from '../../shared/resources.js';
import { fromMetaSelector, matchesLabels } from '../../shared/selectors.js';
import type { KubeObject } from '../../shared/types.js';
import { runWorker, WorkQueue } from '../../shared/workqueue.js';
import type { Controller, ControllerContext } from '../context.js';
import { FailedPodBackoff } from './backoff.js';
import { Expectations } from './expectations.js';
import { controllerRefOf } from './podutil.js';
import { syncDaemonSet, type DaemonSetDeps } from './reconcile.js';

export function daemonSetController(ctx: ControllerContext): Controller {
  const log = ctx.log.child({ controller: 'daemonset' });
  const daemonSets = ctx.informers.for(R.daemonsets);
  const pods = ctx.informers.for(R.pods);
  const nodes = ctx.informers.for(R.nodes);
  pods.addIndexer('namespace', byNamespace);
  const queue = new WorkQueue();
  const expectations = new Expectations(ctx.now);
  const failedPodsBackoff = new FailedPodBackoff();
  const timers = new Set<NodeJS.Timeout>();

  const enqueue = (ds: KubeObject) => queue.add(keyOf(ds));
  const enqueueAll = () => daemonSets.list().forEach(enqueue);
  const enqueueAfter = (key: string, ms: number) => {
    const t = setTimeout(() => {
      timers.delete(t);
      queue.add(key);
    }, ms);
    t.unref();
    timers.add(t);
  };
  /** The DaemonSet a controller ref points at, if it still exists with that uid. */
  const resolve = (pod: KubeObject): KubeObject | undefined => {
    const ref = controllerRefOf(pod);
    if (!ref || ref.kind !== 'DaemonSet') return undefined;
    const ds = daemonSets.get(`${pod.metadata.namespace}/${ref.name}`);
    return ds?.metadata.uid === ref.uid ? ds : undefined;
  };
  /** DaemonSets whose selector matches an orphan pod: one of them may adopt it. */
  const matching = (pod: KubeObject) =>
    daemonSets.list().filter((ds) => {
      const sel = fromMetaSelector(ds.spec?.selector);
      return ds.metadata.namespace === pod.metadata.namespace && sel.length > 0 && matchesLabels(sel, pod.metadata.labels);
    });

  const onPodDelete = (pod: KubeObject) => {
    const ds = resolve(pod);
    if (!ds) return;
    expectations.deletionObserved(keyOf(ds), pod.metadata.uid);
    enqueue(ds);
  };
  daemonSets.addHandlers({ onAdd: enqueue, onUpdate: (_o, ds) => enqueue(ds), onDelete: enqueue });
  pods.addHandlers({
    onAdd: (pod) => {
      // A pod already being deleted when first seen (after a restart) is not a creation.
      if (pod.metadata.deletionTimestamp) return onPodDelete(pod);
      const ds = resolve(pod);
      if (ds) {
        expectations.creationObserved(keyOf(ds));
        enqueue(ds);
      } else if (!controllerRefOf(pod)) matching(pod).forEach(enqueue);
    },
    onUpdate: (old, pod) => {
      if (old.metadata.resourceVersion === pod.metadata.resourceVersion) return;
      if (pod.metadata.deletionTimestamp) onPodDelete(pod);
      const oldRef = controllerRefOf(old);
      const ref = controllerRefOf(pod);
      if (oldRef && oldRef.uid !== ref?.uid) {
        const prev = resolve(old);
        if (prev) enqueue(prev);
      }
      const ds = resolve(pod);
      if (ds) enqueue(ds);
      else if (!ref) matching(pod).forEach(enqueue);
    },
    onDelete: onPodDelete,
  });
  nodes.addHandlers({
    onAdd: enqueueAll,
    // Heartbeats and status changes do not change where daemon pods belong.
    onUpdate: (old, node) => {
      if (JSON.stringify([old.metadata.labels, old.spec]) !== JSON.stringify([node.metadata.labels, node.spec])) enqueueAll();
    },
    onDelete: enqueueAll,
  });

  const deps: DaemonSetDeps = { client: ctx.client, recorder: ctx.recorder, daemonSets, pods, nodes, expectations, failedPodsBackoff, now: ctx.now };
  const reconcile = async (key: string) => {
    const { requeueAfterMs } = await syncDaemonSet(key, deps);
    if (requeueAfterMs !== undefined) enqueueAfter(key, requeueAfterMs);
  };
  const onError = (key: string, err: unknown) => {
    // 409: the cache is behind our own writes; the retry after the backoff sees them.
    if (isApiError(err) && err.code === 409) log.debug({ key, err: err.message }, 'DaemonSet sync raced its cache; requeueing');
    else log.warn({ key, err }, 'syncing DaemonSet failed; requeueing');
  };
  let gc: NodeJS.Timeout | undefined;
  return {
    name: 'daemonset',
    run: (workers) => {
      gc = setInterval(() => failedPodsBackoff.gc(ctx.now()), 60_000);
      gc.unref();
      for (let i = 0; i < workers; i++) void runWorker(queue, reconcile, onError);
    },
    stop: () => {
      queue.shutDown();
      if (gc) clearInterval(gc);
      for (const t of timers) clearTimeout(t);
    },
  };
}
