// Rollout progress (upstream progress.go): the Progressing condition during a rollout —
// ReplicaSetUpdated while replicas move, NewReplicaSetAvailable once complete,
// ProgressDeadlineExceeded when nothing moved for progressDeadlineSeconds — the
// ReplicaFailure condition carried over from the replica sets, and the requeue that
// makes the deadline check happen even when no event arrives.
import {
  DeploymentProgressing,
  DeploymentReplicaFailure,
  Reason,
  deploymentComplete,
  deploymentProgressing,
  deploymentTimedOut,
  getCondition,
  hasProgressDeadline,
  newCondition,
  removeCondition,
  setCondition,
} from './conditions.js';
import { calculateStatus, statusEqual, updateStatus } from './status.js';
import type { Deployment, DeploymentCondition, DeploymentDeps, DeploymentStatus, ReplicaSet } from './types.js';

export async function syncRolloutStatus(deps: DeploymentDeps, allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined, d: Deployment): Promise<void> {
  const now = deps.now();
  const status = calculateStatus(allRSs, newRS, d, now);
  if (!hasProgressDeadline(d)) removeCondition(status, DeploymentProgressing);

  // One complete replica set and nothing new: a resync, not a rollout to estimate.
  const current = getCondition(d.status, DeploymentProgressing);
  const isCompleteDeployment = status.replicas === status.updatedReplicas && current?.reason === Reason.NewRSAvailable;
  if (hasProgressDeadline(d) && !isCompleteDeployment) {
    const subject = newRS ? `ReplicaSet "${newRS.metadata.name}"` : `Deployment "${d.metadata.name}"`;
    if (deploymentComplete(d, status)) {
      setCondition(status, newCondition(DeploymentProgressing, 'True', Reason.NewRSAvailable, `${subject} has successfully progressed.`, now));
    } else if (deploymentProgressing(d, status)) {
      // Progress refreshes lastUpdateTime even when the reason stays the same.
      const condition = newCondition(DeploymentProgressing, 'True', Reason.ReplicaSetUpdated, `${subject} is progressing.`, now);
      if (current) {
        if (current.status === 'True') condition.lastTransitionTime = current.lastTransitionTime;
        removeCondition(status, DeploymentProgressing);
      }
      setCondition(status, condition);
    } else if (deploymentTimedOut(d, status, now)) {
      setCondition(status, newCondition(DeploymentProgressing, 'False', Reason.TimedOut, `${subject} has timed out progressing.`, now));
    }
  }

  const failure = getReplicaFailures(allRSs, newRS)[0];
  if (failure) setCondition(status, failure);
  else removeCondition(status, DeploymentReplicaFailure);

  if (statusEqual(d.status, status)) {
    requeueStuckDeployment(deps, d, status);
    return;
  }
  d.status = status;
  await updateStatus(deps, d);
}

/** ReplicaFailure conditions of the new replica set, else of any other. */
export function getReplicaFailures(allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined): DeploymentCondition[] {
  const of = (rs: ReplicaSet | undefined): DeploymentCondition[] =>
    (rs?.status?.conditions ?? [])
      .filter((c) => c.type === DeploymentReplicaFailure)
      .map((c) => ({ type: c.type, status: c.status, lastUpdateTime: c.lastTransitionTime, lastTransitionTime: c.lastTransitionTime, reason: c.reason, message: c.message }));
  const fromNew = of(newRS);
  if (fromNew.length) return fromNew;
  return allRSs.flatMap(of);
}

/**
 * Schedules the progress check for when the deadline would pass: lastUpdateTime +
 * progressDeadlineSeconds − now (plus a second of slack). Returns the delay in ms, 0 for
 * "now" (rate limited), or -1 when no check is needed.
 */
export function requeueStuckDeployment(deps: DeploymentDeps, d: Deployment, status: DeploymentStatus): number {
  const current = getCondition(d.status, DeploymentProgressing);
  if (!hasProgressDeadline(d) || !current) return -1;
  if (deploymentComplete(d, status) || current.reason === Reason.TimedOut) return -1;
  const key = `${d.metadata.namespace}/${d.metadata.name}`;
  const after = Date.parse(current.lastUpdateTime ?? '') + d.spec.progressDeadlineSeconds! * 1000 - deps.now().getTime();
  if (Number.isNaN(after)) return -1;
  if (after < 1000) {
    deps.enqueueRateLimited(key);
    return 0;
  }
  deps.enqueueAfter(key, after + 1000);
  return after;
}
