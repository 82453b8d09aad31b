// Wiring of the Job controller: Job and pod informers feeding a queue of Job keys, and a
// second queue of orphan pods whose tracking finalizer must be removed (their Job is gone
// or finished). Handlers only record expectations and enqueue.
import { isApiError } from '../../shared/errors.js';
import { byControllerUID, byNamespace, keyOf } from '../../shared/informer.js';
import { R } from '../../shared/resources.js';
import { fromMetaSelector, matchesLabels } from '../../shared/selectors.js';
import type { KubeObject } from '../../shared/types.js';
import { runWorker, WorkQueue } from '../../shared/workqueue.js';
import type { Controller, ControllerContext } from '../context.js';
import { Expectations } from '../daemonset/expectations.js';
import { controllerRefOf } from '../daemonset/podutil.js';
import { BackoffStore } from './backoff.js';
import { isJobFinished } from './conditions.js';
import { hasTrackingFinalizer, removeFinalizerPatch } from './manage.js';
import { StatusWrites, syncJob, type JobDeps } from './reconcile.js';
import { FinalizerExpectations } from './tracking.js';

export function jobController(ctx: ControllerContext): Controller {
  const log = ctx.log.child({ controller: 'job' });
  const jobs = ctx.informers.for(R.jobs);
  const pods = ctx.informers.for(R.pods);
  pods.addIndexer('namespace', byNamespace);
  pods.addIndexer('controllerUID', byControllerUID);
  const queue = new WorkQueue();
  const orphanQueue = new WorkQueue();
  const expectations = new Expectations(ctx.now);
  const finalizerExpectations = new FinalizerExpectations();
  const timers = new Set<NodeJS.Timeout>();

  const enqueue = (job: KubeObject) => queue.add(keyOf(job));
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
    if (!ref || ref.kind !== 'Job') return undefined;
    const job = jobs.get(`${pod.metadata.namespace}/${ref.name}`);
    return job?.metadata.uid === ref.uid ? job : undefined;
  };
  const matching = (pod: KubeObject) =>
    jobs.list().filter((j) => {
      const sel = fromMetaSelector(j.spec?.selector);
      return j.metadata.namespace === pod.metadata.namespace && sel.length > 0 && matchesLabels(sel, pod.metadata.labels);
    });
  /** A pod no live Job accounts for: adopt it if a Job matches, release its finalizer otherwise. */
  const onUnowned = (pod: KubeObject) => {
    if (!controllerRefOf(pod)) matching(pod).forEach(enqueue);
    if (hasTrackingFinalizer(pod)) orphanQueue.add(keyOf(pod));
  };
  const onPodGone = (pod: KubeObject, final: boolean) => {
    const job = resolve(pod);
    if (!job) return onUnowned(pod);
    expectations.deletionObserved(keyOf(job), pod.metadata.uid);
    if (final) finalizerExpectations.observed(keyOf(job), pod.metadata.uid);
    enqueue(job);
  };

  jobs.addHandlers({
    onAdd: enqueue,
    onUpdate: (_o, j) => enqueue(j),
    onDelete: (job) => {
      enqueue(job);
      for (const pod of pods.byIndex('controllerUID', job.metadata.uid!)) if (hasTrackingFinalizer(pod)) orphanQueue.add(keyOf(pod));
    },
  });
  pods.addHandlers({
    onAdd: (pod) => {
      if (pod.metadata.deletionTimestamp) return onPodGone(pod, false);
      const job = resolve(pod);
      if (!job) return onUnowned(pod);
      expectations.creationObserved(keyOf(job));
      enqueue(job);
    },
    onUpdate: (old, pod) => {
      if (old.metadata.resourceVersion === pod.metadata.resourceVersion) return;
      const job = resolve(pod);
      if (job && hasTrackingFinalizer(old) && !hasTrackingFinalizer(pod)) finalizerExpectations.observed(keyOf(job), pod.metadata.uid);
      const prev = resolve(old);
      if (prev && prev.metadata.uid !== job?.metadata.uid) enqueue(prev);
      if (pod.metadata.deletionTimestamp) return onPodGone(pod, false);
      if (!job) return onUnowned(pod);
      enqueue(job);
    },
    onDelete: (pod) => onPodGone(pod, true),
  });

  const deps: JobDeps = {
    client: ctx.client,
    recorder: ctx.recorder,
    jobs,
    pods,
    expectations,
    finalizerExpectations,
    backoff: new BackoffStore(),
    statusWrites: new StatusWrites(),
    now: ctx.now,
  };
  const reconcile = async (key: string) => {
    const { requeueAfterMs } = await syncJob(key, deps);
    if (requeueAfterMs !== undefined) enqueueAfter(key, requeueAfterMs);
  };
  /** handleOrphanPod: still unowned (or its Job finished)? Then its finalizer goes. */
  const reconcileOrphan = async (key: string) => {
    const pod = pods.get(key);
    if (!pod || !hasTrackingFinalizer(pod)) return;
    const ref = controllerRefOf(pod);
    const job = resolve(pod);
    if (ref && job && !isJobFinished(job)) return;
    try {
      await ctx.client.patch(R.pods, pod.metadata.namespace, pod.metadata.name!, removeFinalizerPatch(pod), 'strategic');
    } catch (err) {
      if (!isApiError(err) || err.code !== 404) throw err;
    }
  };
  const onError = (what: string) => (key: string, err: unknown) => {
    if (isApiError(err) && err.code === 409) log.debug({ key, err: err.message }, `${what} raced its cache; requeueing`);
    else log.warn({ key, err }, `${what} failed; requeueing`);
  };
  return {
    name: 'job',
    run: (workers) => {
      for (let i = 0; i < workers; i++) void runWorker(queue, reconcile, onError('syncing Job'));
      void runWorker(orphanQueue, reconcileOrphan, onError('releasing orphan pod'));
    },
    stop: () => {
      queue.shutDown();
      orphanQueue.shutDown();
      for (const t of timers) clearTimeout(t);
    },
  };
}
