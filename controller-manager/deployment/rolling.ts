// The RollingUpdate strategy (upstream rolling.go): grow the new replica set up to
// replicas + maxSurge pods in all, shrink the old ones while at least
// replicas − maxUnavailable stay available — unhealthy old replicas first.
import { deploymentComplete } from './conditions.js';
import { syncRolloutStatus } from './progress.js';
import { cleanupDeployment, getAllReplicaSetsAndSyncRevision, scaleReplicaSet } from './sync.js';
import type { Deployment, DeploymentDeps, ReplicaSet } from './types.js';
import * as u from './util.js';
import { DeploymentError } from './util.js';

export async function rolloutRolling(deps: DeploymentDeps, d: Deployment, rsList: ReplicaSet[]): Promise<void> {
  const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(deps, d, rsList, true);
  const allRSs = [...oldRSs, newRS!];

  if (await reconcileNewReplicaSet(deps, allRSs, newRS!, d)) return syncRolloutStatus(deps, allRSs, newRS, d);
  if (await reconcileOldReplicaSets(deps, allRSs, u.filterActive(oldRSs), newRS!, d)) return syncRolloutStatus(deps, allRSs, newRS, d);

  if (deploymentComplete(d, d.status ?? {})) await cleanupDeployment(deps, oldRSs, d);
  return syncRolloutStatus(deps, allRSs, newRS, d);
}

/** Scales the new replica set toward its share; true if it was scaled. */
export async function reconcileNewReplicaSet(deps: DeploymentDeps, allRSs: ReplicaSet[], newRS: ReplicaSet, d: Deployment): Promise<boolean> {
  const size = newRS.spec.replicas ?? 0;
  const replicas = u.replicasOf(d);
  if (size === replicas) return false;
  if (size > replicas) return (await scaleReplicaSet(deps, newRS, replicas, d, 'down')).scaled;
  return (await scaleReplicaSet(deps, newRS, u.newRSNewReplicas(d, allRSs, newRS), d, 'up')).scaled;
}

/**
 * Scales old replica sets down by at most
 *   allPods − minAvailable − (new replica set's unavailable pods),
 * so that a crash-looping new replica set never drags availability further down.
 * True if anything was scaled down.
 */
export async function reconcileOldReplicaSets(deps: DeploymentDeps, allRSs: ReplicaSet[], oldRSs: ReplicaSet[], newRS: ReplicaSet, d: Deployment): Promise<boolean> {
  if (u.specReplicaCount(oldRSs) === 0) return false;
  const allPods = u.specReplicaCount(allRSs);
  const maxUnavailable = u.maxUnavailable(d);
  const minAvailable = u.replicasOf(d) - maxUnavailable;
  const newRSUnavailable = (newRS.spec.replicas ?? 0) - (newRS.status?.availableReplicas ?? 0);
  const maxScaledDown = allPods - minAvailable - newRSUnavailable;
  if (maxScaledDown <= 0) return false;

  // Unhealthy replicas first: they would otherwise block the rollout until it times out.
  let cleaned: { oldRSs: ReplicaSet[]; count: number };
  try {
    cleaned = await cleanupUnhealthyReplicas(deps, oldRSs, d, maxScaledDown);
  } catch (err) {
    deps.log.debug({ err }, 'cleaning up unhealthy replicas failed');
    return false;
  }
  let scaledDown = 0;
  try {
    scaledDown = await scaleDownOldReplicaSetsForRollingUpdate(deps, [...cleaned.oldRSs, newRS], cleaned.oldRSs, d);
  } catch (err) {
    deps.log.debug({ err }, 'scaling down old replica sets failed');
    return false;
  }
  return cleaned.count + scaledDown > 0;
}

/** Scales old replica sets down by their unavailable replicas (oldest first), up to maxCleanup. */
export async function cleanupUnhealthyReplicas(deps: DeploymentDeps, oldRSs: ReplicaSet[], d: Deployment, maxCleanup: number): Promise<{ oldRSs: ReplicaSet[]; count: number }> {
  const sorted = [...oldRSs].sort(u.byCreationTimestamp);
  let total = 0;
  for (const [i, rs] of sorted.entries()) {
    if (total >= maxCleanup) break;
    const size = rs.spec.replicas ?? 0;
    const available = rs.status?.availableReplicas ?? 0;
    if (size === 0 || size === available) continue;
    const count = Math.min(maxCleanup - total, size - available);
    const newSize = size - count;
    if (newSize > size) throw new DeploymentError('StaleCache', `when cleaning up unhealthy replicas, got invalid request to scale down ${rs.metadata.namespace}/${rs.metadata.name} ${size} -> ${newSize}`);
    sorted[i] = (await scaleReplicaSet(deps, rs, newSize, d, 'down')).rs;
    total += count;
  }
  return { oldRSs: sorted, count: total };
}

/** Scales old replica sets down (oldest first) by what availability above minAvailable allows. */
export async function scaleDownOldReplicaSetsForRollingUpdate(deps: DeploymentDeps, allRSs: ReplicaSet[], oldRSs: ReplicaSet[], d: Deployment): Promise<number> {
  const minAvailable = u.replicasOf(d) - u.maxUnavailable(d);
  const available = u.availableReplicaCount(allRSs);
  if (available <= minAvailable) return 0;
  const toScaleDown = available - minAvailable;
  let total = 0;
  for (const rs of [...oldRSs].sort(u.byCreationTimestamp)) {
    if (total >= toScaleDown) break;
    const size = rs.spec.replicas ?? 0;
    if (size === 0) continue;
    const count = Math.min(size, toScaleDown - total);
    await scaleReplicaSet(deps, rs, size - count, d, 'down');
    total += count;
  }
  return total;
}
