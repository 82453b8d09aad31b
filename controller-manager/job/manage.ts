// manageJob (pkg/controller/job/job_controller.go): keep min(parallelism, remaining
// completions) pods active — create the missing ones (after the failure backoff, in
// slow-start batches, each with the tracking finalizer), or remove the surplus (suspended
// jobs keep none). Creates and deletes are recorded as expectations first.
import { isApiError } from '../../shared/errors.js';
import { GVK, R } from '../../shared/resources.js';
import type { KubeObject } from '../../shared/types.js';
import { byCreation, isPodReady, podFromTemplate } from '../daemonset/podutil.js';
import { createPod, deletePod, isNamespaceTerminating, slowStartBatch } from '../daemonset/podcontrol.js';
import { remainingBackoff } from './backoff.js';
import { COMPLETION_INDEX_ANNOTATION, firstPendingIndexes, isIndexed, podsWithBadIndexes } from './indexes.js';
import type { JobDeps, SyncContext } from './reconcile.js';

export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
/** At most this many creates or deletes per sync. */
export const MAX_POD_CREATE_DELETE_PER_SYNC = 500;

export function hasTrackingFinalizer(pod: KubeObject): boolean {
  return !!pod.metadata.finalizers?.includes(JOB_TRACKING_FINALIZER);
}

/** The strategic merge patch that removes the tracking finalizer (with a uid precondition). */
export function removeFinalizerPatch(pod: KubeObject): unknown {
  return { metadata: { [`$deleteFromPrimitiveList/finalizers`]: [JOB_TRACKING_FINALIZER], uid: pod.metadata.uid } };
}

/** Surplus pods are removed least useful first: unscheduled, pending, not ready, newest. */
function removalOrder(a: KubeObject, b: KubeObject): number {
  const rank = (p: KubeObject) => [p.spec?.nodeName ? 1 : 0, p.status?.phase === 'Running' ? 1 : 0, isPodReady(p) ? 1 : 0];
  const ra = rank(a);
  const rb = rank(b);
  for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return ra[i]! - rb[i]!;
  return byCreation(b, a);
}

/** Returns the number of active pods after acting, and the first error met. */
export async function manageJob(c: SyncContext, deps: JobDeps): Promise<{ active: number; error?: unknown }> {
  const { job, key } = c;
  let active = c.activePods.length;
  const parallelism = job.spec?.parallelism ?? 1;
  const completions: number | undefined = job.spec?.completions ?? undefined;
  const pc = { client: deps.client, recorder: deps.recorder };
  if (job.spec?.suspend) return deleteJobPods(c, c.activePods, deps);

  let wantActive: number;
  if (completions === undefined) wantActive = c.succeeded > 0 ? active : parallelism;
  else wantActive = Math.max(0, Math.min(parallelism, completions - c.succeeded));

  let toDelete: KubeObject[] = [];
  if (isIndexed(job) && completions !== undefined) toDelete = podsWithBadIndexes(c.activePods, c.succeededIndexes, completions);
  const keep = c.activePods.filter((p) => !toDelete.includes(p));
  const surplus = keep.length - wantActive;
  if (surplus > 0) toDelete.push(...[...keep].sort(removalOrder).slice(0, surplus));
  if (toDelete.length) return deleteJobPods(c, toDelete.slice(0, MAX_POD_CREATE_DELETE_PER_SYNC), deps);

  // With podReplacementPolicy Failed, a terminating pod still holds its place.
  const terminating = job.spec?.podReplacementPolicy === 'Failed' ? c.terminating : 0;
  let diff = Math.min(wantActive - terminating - active, MAX_POD_CREATE_DELETE_PER_SYNC);
  if (diff <= 0) return { active };
  const wait = remainingBackoff(c.newBackoff, deps.now(), deps.podFailureBackoffMs);
  if (wait > 0) {
    c.requeueAfterMs = Math.min(c.requeueAfterMs ?? wait, wait);
    return { active };
  }
  let indexes: number[] = [];
  if (isIndexed(job) && completions !== undefined) {
    indexes = firstPendingIndexes(c.succeededIndexes, c.activePods, diff, completions);
    diff = indexes.length;
    if (!diff) return { active };
  }
  deps.expectations.expect(key, diff);
  const template = structuredClone(job.spec?.template ?? {}) as KubeObject;
  template.metadata = { ...(template.metadata ?? {}), finalizers: [...new Set([...(template.metadata?.finalizers ?? []), JOB_TRACKING_FINALIZER])] };
  active += diff;
  let attempted = 0;
  const { error } = await slowStartBatch(diff, async (i) => {
    attempted++;
    const pod = podFromTemplate(template, job, GVK.Job);
    if (indexes.length) {
      const ix = indexes[i]!;
      pod.metadata.annotations![COMPLETION_INDEX_ANNOTATION] = String(ix);
      pod.metadata.labels![COMPLETION_INDEX_ANNOTATION] = String(ix);
      pod.metadata.generateName = `${job.metadata.name}-${ix}-`;
      pod.spec.hostname = `${job.metadata.name}-${ix}`;
    }
    try {
      await createPod(pc, job, pod);
    } catch (err) {
      deps.expectations.creationFailed(key);
      active--;
      if (!isNamespaceTerminating(err)) throw err;
    }
  });
  // Creates never attempted after a failed batch will not be observed either.
  for (let i = attempted; i < diff; i++) {
    deps.expectations.creationFailed(key);
    active--;
  }
  return { active, error };
}

/**
 * deleteJobPods: pods removed because they are not wanted are not failures, so their
 * tracking finalizer is removed before they are deleted. Returns the pods left active.
 */
async function deleteJobPods(c: SyncContext, pods: KubeObject[], deps: JobDeps): Promise<{ active: number; error?: unknown }> {
  if (!pods.length) return { active: c.activePods.length };
  deps.expectations.expect(c.key, 0, pods.map((p) => p.metadata.uid!));
  const pc = { client: deps.client, recorder: deps.recorder };
  let deleted = 0;
  const errors: unknown[] = [];
  await Promise.all(
    pods.map(async (pod) => {
      try {
        if (hasTrackingFinalizer(pod)) await deps.client.patch(R.pods, pod.metadata.namespace, pod.metadata.name!, removeFinalizerPatch(pod), 'strategic');
        if (!(await deletePod(pc, c.job, pod))) deps.expectations.deletionObserved(c.key, pod.metadata.uid);
        deleted++;
      } catch (err) {
        deps.expectations.deletionFailed(c.key, pod.metadata.uid);
        if (isApiError(err) && err.code === 404) deleted++;
        else errors.push(err);
      }
    }),
  );
  return { active: c.activePods.length - deleted, error: errors[0] };
}

/** deleteActivePods: a failing Job's running pods, deleted and later counted as failed. */
export async function deleteActivePods(c: SyncContext, deps: JobDeps): Promise<{ deleted: number; deletedReady: number; error?: unknown }> {
  const pc = { client: deps.client, recorder: deps.recorder };
  let deleted = 0;
  let deletedReady = 0;
  let error: unknown;
  await Promise.all(
    c.activePods.map(async (pod) => {
      try {
        await deletePod(pc, c.job, pod);
        deleted++;
        if (isPodReady(pod)) deletedReady++;
      } catch (err) {
        error ??= err;
      }
    }),
  );
  return { deleted, deletedReady, error };
}
