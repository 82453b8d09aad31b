// The Job sync (pkg/controller/job/job_controller.go syncJob): count the Job's pods, decide
// whether it has failed (backoffLimit, activeDeadlineSeconds) or succeeded (completions),
// otherwise keep the right number of pods running, then record status through the
// finalizer-tracking protocol (tracking.ts).
import type { EventRecorder } from '../../shared/events.js';
import { GVK, R } from '../../shared/resources.js';
import { fromMetaSelector } from '../../shared/selectors.js';
import type { KubeObject } from '../../shared/types.js';
import { claimPods, recheckOwner, type PodWriter } from '../daemonset/claim.js';
import type { Expectations } from '../daemonset/expectations.js';
import type { Lister } from '../daemonset/lister.js';
import { isPodActive, isPodReady, isPodTerminal } from '../daemonset/podutil.js';
import type { BackoffRecord, BackoffStore } from './backoff.js';
import { ensureCondition, findCondition, isJobFinished, newCondition, REASON, ts, type JobCondition } from './conditions.js';
import { isIndexed, parseIndexes } from './indexes.js';
import { deleteActivePods, JOB_TRACKING_FINALIZER, manageJob } from './manage.js';
import { newFinishedPods, trackJobStatusAndRemoveFinalizers, type FinalizerExpectations } from './tracking.js';

/** The resourceVersion of each Job's last status write: a cache older than that is not acted on. */
export class StatusWrites {
  private readonly m = new Map<string, number>();

  wrote(key: string, job: KubeObject): void {
    const rv = Number(job.metadata.resourceVersion);
    if (Number.isFinite(rv)) this.m.set(key, rv);
  }

  isStale(key: string, cached: KubeObject): boolean {
    const last = this.m.get(key);
    const rv = Number(cached.metadata.resourceVersion);
    return last !== undefined && Number.isFinite(rv) && rv < last;
  }

  forget(key: string): void {
    this.m.delete(key);
  }
}

export interface JobDeps {
  client: PodWriter;
  recorder: EventRecorder;
  jobs: Lister;
  /** Pods, with a `namespace` index. */
  pods: Lister;
  expectations: Expectations;
  finalizerExpectations: FinalizerExpectations;
  backoff: BackoffStore;
  statusWrites: StatusWrites;
  now: () => Date;
  /** Base of the pod failure backoff (10 s in Kubernetes). */
  podFailureBackoffMs?: number;
}

export interface SyncContext {
  key: string;
  /** A private copy of the Job; its status is edited and written. */
  job: KubeObject;
  pods: KubeObject[];
  activePods: KubeObject[];
  expectedRmFinalizers: Set<string>;
  uncounted: { succeeded: Set<string>; failed: Set<string> };
  succeededIndexes: Set<number>;
  succeeded: number;
  failed: number;
  terminating: number;
  finishedCondition?: JobCondition;
  newBackoff: BackoffRecord;
  requeueAfterMs?: number;
}

export interface SyncResult {
  requeueAfterMs?: number;
}

/** With restartPolicy OnFailure, container restarts of running pods count against backoffLimit. */
function pastBackoffLimitOnFailure(job: KubeObject, pods: KubeObject[]): boolean {
  if (job.spec?.template?.spec?.restartPolicy !== 'OnFailure') return false;
  let restarts = 0;
  for (const p of pods) {
    if (p.status?.phase !== 'Running' && p.status?.phase !== 'Pending') continue;
    for (const s of [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])]) restarts += s.restartCount ?? 0;
  }
  const limit = job.spec?.backoffLimit ?? 6;
  return limit === 0 ? restarts > 0 : restarts >= limit;
}

/** Milliseconds left before activeDeadlineSeconds, or undefined when there is no deadline running. */
function deadlineRemaining(job: KubeObject, now: Date): number | undefined {
  const ads = job.spec?.activeDeadlineSeconds;
  if (ads === undefined || ads === null || !job.status?.startTime || job.spec?.suspend) return undefined;
  return Date.parse(job.status.startTime) + ads * 1000 - now.getTime();
}

export async function syncJob(key: string, deps: JobDeps): Promise<SyncResult> {
  const cached = deps.jobs.get(key);
  if (!cached) {
    deps.expectations.forget(key);
    deps.finalizerExpectations.forget(key);
    deps.backoff.remove(key);
    deps.statusWrites.forget(key);
    return {};
  }
  // Our last status write is not in the cache yet: its watch event will bring us back.
  if (deps.statusWrites.isStale(key, cached)) return {};
  if (isJobFinished(cached)) {
    deps.backoff.remove(key);
    return {};
  }
  const now = deps.now();
  const job = structuredClone(cached);
  job.status ??= {};
  const satisfied = deps.expectations.satisfied(key);
  const pods = await claimPods(deps.pods.byIndex('namespace', job.metadata.namespace ?? ''), {
    owner: cached,
    gvk: GVK.Job,
    selector: fromMetaSelector(job.spec?.selector),
    client: deps.client,
    canAdopt: recheckOwner(deps.client, R.jobs, cached),
    finalizers: [JOB_TRACKING_FINALIZER],
  });
  const completions: number | undefined = job.spec?.completions ?? undefined;
  const c: SyncContext = {
    key,
    job,
    pods,
    activePods: pods.filter(isPodActive),
    expectedRmFinalizers: deps.finalizerExpectations.get(key),
    uncounted: { succeeded: new Set(job.status.uncountedTerminatedPods?.succeeded ?? []), failed: new Set(job.status.uncountedTerminatedPods?.failed ?? []) },
    succeededIndexes: isIndexed(job) ? parseIndexes(job.status.completedIndexes, completions ?? 0) : new Set(),
    succeeded: 0,
    failed: 0,
    terminating: pods.filter((p) => !isPodTerminal(p) && p.metadata.deletionTimestamp).length,
    newBackoff: { failuresAfterLastSuccess: 0 },
  };
  const fresh = newFinishedPods(c);
  c.succeeded = isIndexed(job) ? c.succeededIndexes.size : (job.status.succeeded ?? 0) + fresh.succeeded.length + c.uncounted.succeeded.size;
  c.failed = (job.status.failed ?? 0) + fresh.failed.length + c.uncounted.failed.size;
  let active = c.activePods.length;
  let ready = c.activePods.filter(isPodReady).length;
  if (!job.status.startTime && !job.spec?.suspend) job.status.startTime = ts(now);
  c.newBackoff = deps.backoff.next(key, fresh.succeeded, fresh.failed);

  const successMet = findCondition(job, 'SuccessCriteriaMet');
  if (successMet?.status === 'True') c.finishedCondition = successMet;
  else {
    const target = findCondition(job, 'FailureTarget');
    const left = deadlineRemaining(job, now);
    if (target?.status === 'True') c.finishedCondition = newCondition('Failed', 'True', target.reason ?? '', target.message ?? '', now);
    else if (c.failed > (job.spec?.backoffLimit ?? 6) || pastBackoffLimitOnFailure(job, pods)) {
      c.finishedCondition = newCondition('FailureTarget', 'True', REASON.BackoffLimitExceeded, 'Job has reached the specified backoff limit', now);
    } else if (left !== undefined && left <= 0) {
      c.finishedCondition = newCondition('FailureTarget', 'True', REASON.DeadlineExceeded, 'Job was active longer than specified deadline', now);
    } else if (left !== undefined) c.requeueAfterMs = left;
  }

  let manageError: unknown;
  let suspendChanged = false;
  if (c.finishedCondition) {
    // A Job that failed (or met its success criteria) stops its remaining pods.
    const { deleted, deletedReady, error } = await deleteActivePods(c, deps);
    // Not finished while pods remain or creates/deletes are still unobserved.
    if (deleted !== active || !satisfied) c.finishedCondition = undefined;
    active -= deleted;
    ready -= deletedReady;
    c.terminating += deleted;
    manageError = error;
  } else {
    let managed = false;
    if (satisfied && !job.metadata.deletionTimestamp) {
      const r = await manageJob(c, deps);
      active = r.active;
      manageError = r.error;
      managed = true;
    }
    const complete = completions === undefined ? c.succeeded > 0 && active === 0 : c.succeeded >= completions && active === 0;
    if (complete) c.finishedCondition = newCondition('SuccessCriteriaMet', 'True', REASON.CompletionsReached, 'Reached expected number of succeeded pods', now);
    else if (managed) {
      const suspended = !!job.spec?.suspend;
      const want = suspended ? newCondition('Suspended', 'True', 'JobSuspended', 'Job suspended', now) : newCondition('Suspended', 'False', 'JobResumed', 'Job resumed', now);
      const r = ensureCondition(job.status.conditions, want);
      if (r.changed) {
        job.status.conditions = r.conditions;
        suspendChanged = true;
        deps.recorder.event(job, 'Normal', suspended ? 'Suspended' : 'Resumed', suspended ? 'Job suspended' : 'Job resumed');
        // activeDeadlineSeconds counts continuous activity: a resumed Job starts its clock again.
        if (!suspended) job.status.startTime = ts(now);
      }
    }
  }
  const needsStatusUpdate =
    suspendChanged || active !== (job.status.active ?? 0) || ready !== job.status.ready || c.terminating !== job.status.terminating || job.status.startTime !== cached.status?.startTime;
  job.status.active = active;
  job.status.ready = ready;
  job.status.terminating = c.terminating;
  await trackJobStatusAndRemoveFinalizers(c, needsStatusUpdate, deps);
  deps.backoff.save(key, c.newBackoff);
  if (manageError) throw manageError;
  return c.requeueAfterMs !== undefined ? { requeueAfterMs: c.requeueAfterMs } : {};
}
