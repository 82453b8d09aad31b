// Deployment conditions (deploymentutil: NewDeploymentCondition, SetDeploymentCondition,
// ...), their reasons, and the progress predicates built on the status.
import type { ConditionStatus, Deployment, DeploymentCondition, DeploymentStatus } from './types.js';

export const DeploymentAvailable = 'Available';
export const DeploymentProgressing = 'Progressing';
export const DeploymentReplicaFailure = 'ReplicaFailure';

/** Reasons of the Progressing and Available conditions, as upstream spells them. */
export const Reason = {
  /** The new replica set has failed to be created. */
  FailedRSCreate: 'ReplicaSetCreateError',
  /** A new replica set was created. */
  NewReplicaSet: 'NewReplicaSetCreated',
  /** The deployment noticed its new replica set (a resync of an old deployment). */
  FoundNewRS: 'FoundNewReplicaSet',
  /** Progress was made by one of the deployment's replica sets. */
  ReplicaSetUpdated: 'ReplicaSetUpdated',
  /** No progress within progressDeadlineSeconds. */
  TimedOut: 'ProgressDeadlineExceeded',
  /** The new replica set has all its replicas updated and available. */
  NewRSAvailable: 'NewReplicaSetAvailable',
  Paused: 'DeploymentPaused',
  Resumed: 'DeploymentResumed',
  MinimumReplicasAvailable: 'MinimumReplicasAvailable',
  MinimumReplicasUnavailable: 'MinimumReplicasUnavailable',
} as const;

/** metav1.Time as it travels: RFC 3339 in whole seconds. */
export function timestamp(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function newCondition(type: string, status: ConditionStatus, reason: string, message: string, now: Date): DeploymentCondition {
  const t = timestamp(now);
  return { type, status, lastUpdateTime: t, lastTransitionTime: t, reason, message };
}

export function getCondition(status: DeploymentStatus | undefined, type: string): DeploymentCondition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}

/**
 * Adds or replaces the condition of its type. The same status and reason already there
 * means no change; the same status keeps the old lastTransitionTime.
 */
export function setCondition(status: DeploymentStatus, condition: DeploymentCondition): void {
  const current = getCondition(status, condition.type);
  if (current && current.status === condition.status && current.reason === condition.reason) return;
  const next = { ...condition };
  if (current && current.status === condition.status) next.lastTransitionTime = current.lastTransitionTime;
  status.conditions = [...(status.conditions ?? []).filter((c) => c.type !== condition.type), next];
}

export function removeCondition(status: DeploymentStatus, type: string): void {
  if (!status.conditions) return;
  status.conditions = status.conditions.filter((c) => c.type !== type);
}

const replicas = (d: Deployment) => d.spec.replicas ?? 1;

/** All desired replicas updated and available, no old ones left, and the spec observed. */
export function deploymentComplete(d: Deployment, s: DeploymentStatus): boolean {
  const n = replicas(d);
  return (s.updatedReplicas ?? 0) === n && (s.replicas ?? 0) === n && (s.availableReplicas ?? 0) === n && (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0);
}

/**
 * Whether the new status shows progress over the one the deployment carries: more
 * updated, ready or available replicas, or fewer old ones.
 */
export function deploymentProgressing(d: Deployment, s: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (
    (s.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (s.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (s.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

const MAX_INT32 = 2147483647;

/** progressDeadlineSeconds is set and not "never" (MaxInt32). */
export function hasProgressDeadline(d: Deployment): boolean {
  const s = d.spec.progressDeadlineSeconds;
  return s !== undefined && s !== null && s !== MAX_INT32;
}

export function hasRevisionHistoryLimit(d: Deployment): boolean {
  const l = d.spec.revisionHistoryLimit;
  return l !== undefined && l !== null && l !== MAX_INT32;
}

/**
 * Timed out once the Progressing condition has not been updated for
 * progressDeadlineSeconds (or already says so). A completed rollout never times out.
 */
export function deploymentTimedOut(d: Deployment, s: DeploymentStatus, now: Date): boolean {
  if (!hasProgressDeadline(d)) return false;
  const c = getCondition(s, DeploymentProgressing);
  if (!c) return false;
  if (c.reason === Reason.NewRSAvailable) return false;
  if (c.reason === Reason.TimedOut) return true;
  const from = Date.parse(c.lastUpdateTime ?? '');
  if (Number.isNaN(from)) return false;
  return from + d.spec.progressDeadlineSeconds! * 1000 < now.getTime();
}
