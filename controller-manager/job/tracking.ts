// Counting finished pods exactly once (trackJobStatusAndRemoveFinalizers, KEP-2307). Every
// Job pod carries the batch.kubernetes.io/job-tracking finalizer, so it cannot vanish
// before it is counted. A finished pod's UID is first written to
// status.uncountedTerminatedPods, then its finalizer is removed, then the UID moves into
// status.succeeded / status.failed. A crash between any two steps repeats the step, never
// the count. Removals in flight are expectations, so a stale cache showing the finalizer
// still present cannot count a pod twice.
import { R } from '../../shared/resources.js';
import type { KubeObject } from '../../shared/types.js';
import { isPodTerminal } from '../daemonset/podutil.js';
import { ensureCondition, newCondition, type JobCondition } from './conditions.js';
import { completionIndex, formatIndexes, isIndexed } from './indexes.js';
import { hasTrackingFinalizer, removeFinalizerPatch } from './manage.js';
import type { JobDeps, SyncContext } from './reconcile.js';

/** Cap on UIDs in uncountedTerminatedPods per sync, keeping the status small. */
export const MAX_UNCOUNTED_PODS = 500;

/** Pod UIDs whose finalizer removal was sent but not yet seen, per Job key. */
export class FinalizerExpectations {
  private readonly m = new Map<string, Set<string>>();

  expect(key: string, uids: string[]): void {
    const s = this.m.get(key) ?? new Set();
    for (const u of uids) s.add(u);
    this.m.set(key, s);
  }

  observed(key: string, uid: string | undefined): void {
    if (uid) this.m.get(key)?.delete(uid);
  }

  get(key: string): Set<string> {
    return new Set(this.m.get(key) ?? []);
  }

  forget(key: string): void {
    this.m.delete(key);
  }
}

/** isPodFailed: Failed, or — unless only failed pods are replaced — being deleted without having succeeded. */
export function isPodFailed(pod: KubeObject, job: KubeObject): boolean {
  if (pod.status?.phase === 'Failed') return true;
  if (job.spec?.podReplacementPolicy === 'Failed' || job.spec?.podFailurePolicy) return false;
  return !!pod.metadata.deletionTimestamp && pod.status?.phase !== 'Succeeded';
}

/** Finished pods not yet in uncountedTerminatedPods (getNewFinishedPods). */
export function newFinishedPods(c: SyncContext): { succeeded: KubeObject[]; failed: KubeObject[] } {
  const completions = c.job.spec?.completions ?? 0;
  const valid = (p: KubeObject) => {
    const uid = p.metadata.uid!;
    if (!hasTrackingFinalizer(p) || c.uncounted.succeeded.has(uid) || c.uncounted.failed.has(uid) || c.expectedRmFinalizers.has(uid)) return false;
    return !isIndexed(c.job) || (completionIndex(p) >= 0 && completionIndex(p) < completions);
  };
  return {
    succeeded: c.pods.filter((p) => valid(p) && p.status?.phase === 'Succeeded'),
    failed: c.pods.filter((p) => valid(p) && isPodFailed(p, c.job)),
  };
}

async function writeStatus(c: SyncContext, deps: JobDeps): Promise<void> {
  const status = { ...c.job.status, uncountedTerminatedPods: { succeeded: [...c.uncounted.succeeded], failed: [...c.uncounted.failed] } };
  if (!status.uncountedTerminatedPods.succeeded.length) delete (status.uncountedTerminatedPods as Record<string, unknown>).succeeded;
  if (!status.uncountedTerminatedPods.failed.length) delete (status.uncountedTerminatedPods as Record<string, unknown>).failed;
  const written = await deps.client.update(R.jobs, { ...c.job, status }, 'status');
  deps.statusWrites.wrote(c.key, written);
  c.job = written;
}

export async function trackJobStatusAndRemoveFinalizers(c: SyncContext, needsStatusUpdate: boolean, deps: JobDeps): Promise<void> {
  let needsFlush = needsStatusUpdate;
  const indexed = isIndexed(c.job);
  const completions = c.job.spec?.completions ?? 0;
  const toRemove: KubeObject[] = [];
  let reachedMax = false;
  const isSuccess = c.finishedCondition?.type === 'SuccessCriteriaMet' || c.finishedCondition?.type === 'Complete';
  for (const pod of c.pods) {
    const uid = pod.metadata.uid!;
    if (!hasTrackingFinalizer(pod) || c.expectedRmFinalizers.has(uid)) continue;
    const failed = isPodFailed(pod, c.job);
    if (!(c.job.metadata.deletionTimestamp || c.finishedCondition || isPodTerminal(pod) || failed)) continue;
    toRemove.push(pod);
    if (pod.status?.phase === 'Succeeded' && !c.uncounted.failed.has(uid)) {
      if (indexed) {
        const ix = completionIndex(pod);
        if (ix >= 0 && ix < completions && !c.succeededIndexes.has(ix)) {
          c.succeededIndexes.add(ix);
          needsFlush = true;
        }
      } else if (!c.uncounted.succeeded.has(uid)) {
        c.uncounted.succeeded.add(uid);
        needsFlush = true;
      }
    } else if (failed || (c.finishedCondition && !isSuccess)) {
      const ix = completionIndex(pod);
      if (!c.uncounted.failed.has(uid) && (!indexed || (ix >= 0 && ix < completions))) {
        c.uncounted.failed.add(uid);
        needsFlush = true;
      }
    }
    if (c.uncounted.succeeded.size + c.uncounted.failed.size >= MAX_UNCOUNTED_PODS) {
      reachedMax = true;
      break;
    }
  }
  const status = c.job.status;
  if (indexed) {
    const s = formatIndexes(c.succeededIndexes);
    if (s !== (status.completedIndexes ?? '')) needsFlush = true;
    status.completedIndexes = s;
    status.succeeded = c.succeededIndexes.size;
  }
  // The interim condition is written with the uncounted pods, the terminal one after.
  if (c.finishedCondition?.type === 'FailureTarget') {
    status.conditions = ensureCondition(status.conditions, c.finishedCondition).conditions;
    needsFlush = true;
    c.finishedCondition = newCondition('Failed', 'True', c.finishedCondition.reason!, c.finishedCondition.message!, deps.now());
  }
  if (c.finishedCondition?.type === 'SuccessCriteriaMet') {
    const r = ensureCondition(status.conditions, c.finishedCondition);
    status.conditions = r.conditions;
    needsFlush ||= r.changed;
    c.finishedCondition = newCondition('Complete', 'True', c.finishedCondition.reason!, c.finishedCondition.message!, deps.now());
  }

  // 1. Record the finished pods' UIDs.
  if (needsFlush) {
    await writeStatus(c, deps);
    needsFlush = false;
  }
  // 2. Release them.
  const withFinalizer = new Set(c.pods.filter((p) => hasTrackingFinalizer(p) || c.expectedRmFinalizers.has(p.metadata.uid!)).map((p) => p.metadata.uid!));
  deps.finalizerExpectations.expect(c.key, toRemove.map((p) => p.metadata.uid!));
  let rmError: unknown;
  await Promise.all(
    toRemove.map(async (pod) => {
      try {
        await deps.client.patch(R.pods, pod.metadata.namespace, pod.metadata.name!, removeFinalizerPatch(pod), 'strategic');
        withFinalizer.delete(pod.metadata.uid!);
      } catch (err) {
        if ((err as { code?: number }).code === 404) withFinalizer.delete(pod.metadata.uid!);
        else rmError ??= err;
        // Nothing will be observed for a removal that did not happen.
        deps.finalizerExpectations.observed(c.key, pod.metadata.uid);
      }
    }),
  );
  // 3. Count the released ones.
  for (const [set, field] of [
    [c.uncounted.succeeded, 'succeeded'],
    [c.uncounted.failed, 'failed'],
  ] as const) {
    for (const uid of [...set]) {
      if (withFinalizer.has(uid)) continue;
      set.delete(uid);
      if (!(indexed && field === 'succeeded')) c.job.status[field] = (c.job.status[field] ?? 0) + 1;
      needsFlush = true;
    }
  }
  if (rmError) {
    if (needsFlush) await writeStatus(c, deps);
    throw rmError;
  }
  const finished = !reachedMax && enactJobFinished(c);
  if (needsFlush || finished) await writeStatus(c, deps);
  if (finished) recordJobFinished(c, deps);
}

/** Sets the terminal condition once no pod is uncounted or still terminating. */
function enactJobFinished(c: SyncContext): boolean {
  const cond = c.finishedCondition;
  if (!cond) return false;
  if (c.uncounted.succeeded.size || c.uncounted.failed.size) return false;
  if (c.terminating > 0) return false;
  c.job.status.conditions = ensureCondition(c.job.status.conditions, cond).conditions;
  if (cond.type === 'Complete') c.job.status.completionTime = cond.lastTransitionTime;
  return true;
}

function recordJobFinished(c: SyncContext, deps: JobDeps): void {
  const cond = c.finishedCondition as JobCondition;
  if (cond.type === 'Complete') deps.recorder.event(c.job, 'Normal', 'Completed', 'Job completed');
  else deps.recorder.event(c.job, 'Warning', cond.reason ?? 'Failed', cond.message ?? '');
}
