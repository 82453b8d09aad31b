// The status every sync ends with (upstream syncDeploymentStatus / calculateStatus): the
// replica counts summed over the replica sets and the Available condition, written
// through the status subresource only when it differs from what the deployment carries.
import { canonicalJSON } from './hash.js';
import { DeploymentAvailable, Reason, newCondition, setCondition } from './conditions.js';
import type { Deployment, DeploymentDeps, DeploymentStatus, ReplicaSet } from './types.js';
import * as u from './util.js';

/** Writes the status from our copy, and carries the new resourceVersion forward. */
export async function updateStatus(deps: DeploymentDeps, d: Deployment): Promise<void> {
  const updated = await deps.api.updateDeploymentStatus(d);
  d.metadata.resourceVersion = updated.metadata.resourceVersion;
}

/** Writes the computed status when it differs from the one the deployment carries. */
export async function syncDeploymentStatus(deps: DeploymentDeps, allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined, d: Deployment): Promise<void> {
  const status = calculateStatus(allRSs, newRS, d, deps.now());
  if (statusEqual(d.status, status)) return;
  d.status = status;
  await updateStatus(deps, d);
}

export function statusEqual(a: DeploymentStatus | undefined, b: DeploymentStatus | undefined): boolean {
  return canonicalJSON(a ?? {}) === canonicalJSON(b ?? {});
}

/** The replica counts over all replica sets, and the Available condition. */
export function calculateStatus(allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined, d: Deployment, now: Date): DeploymentStatus {
  const available = u.availableReplicaCount(allRSs);
  const total = u.specReplicaCount(allRSs);
  const status: DeploymentStatus = {
    observedGeneration: d.metadata.generation,
    replicas: u.actualReplicaCount(allRSs),
    updatedReplicas: u.actualReplicaCount([newRS]),
    readyReplicas: u.readyReplicaCount(allRSs),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, total - available),
    conditions: (d.status?.conditions ?? []).map((c) => ({ ...c })),
  };
  if (d.status?.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;
  if (available >= u.replicasOf(d) - u.maxUnavailable(d)) {
    setCondition(status, newCondition(DeploymentAvailable, 'True', Reason.MinimumReplicasAvailable, 'Deployment has minimum availability.', now));
  } else {
    setCondition(status, newCondition(DeploymentAvailable, 'False', Reason.MinimumReplicasUnavailable, 'Deployment does not have minimum availability.', now));
  }
  return status;
}
