// The Recreate strategy (upstream recreate.go): scale every old replica set to zero, wait
// until none of their pods is left running, and only then create and scale up the new one.
import type { KubeObject } from '../../shared/types.js';
import { deploymentComplete } from './conditions.js';
import { syncRolloutStatus } from './progress.js';
import { cleanupDeployment, getAllReplicaSetsAndSyncRevision, scaleReplicaSetAndRecordEvent } from './sync.js';
import type { Deployment, DeploymentDeps, ReplicaSet } from './types.js';
import * as u from './util.js';

export async function rolloutRecreate(deps: DeploymentDeps, d: Deployment, rsList: ReplicaSet[], podMap: Map<string, KubeObject[]>): Promise<void> {
  // Don't create the new replica set yet: nothing may scale up before the old are gone.
  let { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(deps, d, rsList, false);
  let allRSs = [...oldRSs, newRS];

  if (await scaleDownOldReplicaSetsForRecreate(deps, u.filterActive(oldRSs), d)) return syncRolloutStatus(deps, allRSs, newRS, d);
  if (oldPodsRunning(newRS, oldRSs, podMap)) return syncRolloutStatus(deps, allRSs, newRS, d);

  if (!newRS) {
    ({ newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(deps, d, rsList, true));
    allRSs = [...oldRSs, newRS];
  }
  await scaleReplicaSetAndRecordEvent(deps, newRS!, u.replicasOf(d), d);

  if (deploymentComplete(d, d.status ?? {})) await cleanupDeployment(deps, oldRSs, d);
  return syncRolloutStatus(deps, allRSs, newRS, d);
}

/** Scales the active old replica sets to zero; true if any was scaled. */
export async function scaleDownOldReplicaSetsForRecreate(deps: DeploymentDeps, oldRSs: ReplicaSet[], d: Deployment): Promise<boolean> {
  let scaled = false;
  for (const rs of oldRSs) {
    if ((rs.spec.replicas ?? 0) === 0) continue;
    if ((await scaleReplicaSetAndRecordEvent(deps, rs, 0, d)).scaled) scaled = true;
  }
  return scaled;
}

/**
 * Whether an old replica set still reports replicas, or any pod of an old replica set is
 * not in a terminal phase (Unknown counts as running: it may be).
 */
export function oldPodsRunning(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[], podMap: Map<string, KubeObject[]>): boolean {
  if (u.actualReplicaCount(oldRSs) > 0) return true;
  for (const [uid, pods] of podMap) {
    if (newRS && newRS.metadata.uid === uid) continue;
    for (const pod of pods) {
      const phase = pod.status?.phase;
      if (phase !== 'Failed' && phase !== 'Succeeded') return true;
    }
  }
  return false;
}
