// Wiring of the StatefulSet controller: StatefulSet, pod and claim informers feeding a queue
// of StatefulSet keys. Handlers only enqueue; syncStatefulSet does the work.
import { isApiError } from '../../shared/errors.js';
import { byNamespace, keyOf } from '../../shared/informer.js';
import { R } from '../../shared/resources.js';
import { fromMetaSelector, matchesLabels } from '../../shared/selectors.js';
import type { KubeObject } from '../../shared/types.js';
import { runWorker, WorkQueue } from '../../shared/workqueue.js';
import type { Controller, ControllerContext } from '../context.js';
import { controllerRefOf } from '../daemonset/podutil.js';
import { isMemberOf } from './identity.js';
import { syncStatefulSet, type StatefulSetDeps } from './reconcile.js';

export function statefulSetController(ctx: ControllerContext): Controller {
  const log = ctx.log.child({ controller: 'statefulset' });
  const statefulSets = ctx.informers.for(R.statefulsets);
  const pods = ctx.informers.for(R.pods);
  const claims = ctx.informers.for(R.persistentvolumeclaims);
  pods.addIndexer('namespace', byNamespace);
  const queue = new WorkQueue();
  const timers = new Set<NodeJS.Timeout>();

  const enqueue = (set: KubeObject) => queue.add(keyOf(set));
  const enqueueAfter = (key: string, ms: number) => {
    const t = setTimeout(() => {
      timers.delete(t);
      queue.add(key);
    }, ms);
    t.unref();
    timers.add(t);
  };
  const resolve = (pod: KubeObject): KubeObject | undefined => {
    const ref = controllerRefOf(pod);
    if (!ref || ref.kind !== 'StatefulSet') return undefined;
    const set = statefulSets.get(`${pod.metadata.namespace}/${ref.name}`);
    return set?.metadata.uid === ref.uid ? set : undefined;
  };
  /** Sets that could adopt an orphan pod. */
  const matching = (pod: KubeObject) =>
    statefulSets.list().filter((set) => {
      const sel = fromMetaSelector(set.spec?.selector);
      return set.metadata.namespace === pod.metadata.namespace && sel.length > 0 && matchesLabels(sel, pod.metadata.labels) && isMemberOf(set, pod);
    });
  const onPod = (pod: KubeObject) => {
    const set = resolve(pod);
    if (set) enqueue(set);
    else if (!controllerRefOf(pod)) matching(pod).forEach(enqueue);
  };

  statefulSets.addHandlers({ onAdd: enqueue, onUpdate: (_o, s) => enqueue(s), onDelete: enqueue });
  pods.addHandlers({
    onAdd: onPod,
    onUpdate: (old, pod) => {
      if (old.metadata.resourceVersion === pod.metadata.resourceVersion) return;
      const prev = resolve(old);
      if (prev && prev.metadata.uid !== controllerRefOf(pod)?.uid) enqueue(prev);
      onPod(pod);
    },
    onDelete: onPod,
  });
  // A claim going away may unblock a pod waiting for its stale claim to be collected.
  claims.addHandlers({
    onDelete: (claim) =>
      statefulSets
        .list()
        .filter((s) => s.metadata.namespace === claim.metadata.namespace && claim.metadata.name!.includes(`-${s.metadata.name}-`))
        .forEach(enqueue),
  });

  const deps: StatefulSetDeps = { client: ctx.client, recorder: ctx.recorder, statefulSets, pods, claims, now: ctx.now };
  const reconcile = async (key: string) => {
    const { requeueAfterMs } = await syncStatefulSet(key, deps);
    if (requeueAfterMs !== undefined) enqueueAfter(key, requeueAfterMs);
  };
  const onError = (key: string, err: unknown) => {
    // 409: the cache is behind our own writes; the retry after the backoff sees them.
    if (isApiError(err) && err.code === 409) log.debug({ key, err: err.message }, 'StatefulSet sync raced its cache; requeueing');
    else log.warn({ key, err }, 'syncing StatefulSet failed; requeueing');
  };
  return {
    name: 'statefulset',
    run: (workers) => {
      for (let i = 0; i < workers; i++) void runWorker(queue, reconcile, onError);
    },
    stop: () => {
      queue.shutDown();
      for (const t of timers) clearTimeout(t);
    },
  };
}
