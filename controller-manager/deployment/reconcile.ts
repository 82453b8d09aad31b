// syncDeployment: one Deployment key, read from the cache, converged one step. The order
// is upstream's: deleted → status only; pause/resume → condition; paused → scale only;
// a rollback request; a scaling event → proportional scale; else the strategy's rollout.
import type { KubeObject } from '../../shared/types.js';
import { claimReplicaSets, podMapFor, selectorOf } from './claim.js';
import { rolloutRecreate } from './recreate.js';
import { rollback } from './rollback.js';
import { rolloutRolling } from './rolling.js';
import { updateStatus } from './status.js';
import { checkPausedConditions, eventTarget, getRollbackTo, isScalingEvent, sync, syncStatusOnly } from './sync.js';
import type { Deployment, DeploymentDeps, ReplicaSet } from './types.js';
import { DeploymentError } from './util.js';

export async function syncDeployment(key: string, deps: DeploymentDeps): Promise<void> {
  const cached = deps.getDeployment(key);
  if (!cached) return; // deleted: its replica sets go with the garbage collector
  if (deps.cacheBehindOwnWrite?.(cached)) return;
  const d = structuredClone(cached);

  const sel = d.spec.selector;
  if (!sel || (Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0)) {
    deps.recorder.event(eventTarget(d), 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
    if ((d.status?.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) {
      (d.status ??= {}).observedGeneration = d.metadata.generation;
      await updateStatus(deps, d);
    }
    return;
  }
  const selector = selectorOf(d);
  const rsList = await claimReplicaSets(deps, d, selector);
  // The pods matter only to Recreate, which waits for the old ones to be gone.
  const podMap = podMapFor(deps, selector, rsList);

  if (d.metadata.deletionTimestamp) return syncStatusOnly(deps, d, rsList);
  try {
    await rollout(deps, d, rsList, podMap);
  } catch (err) {
    if (!(err instanceof DeploymentError && err.reason === 'Invalid')) throw err;
    // Validation should have refused this spec; retrying would not help.
    deps.recorder.event(eventTarget(d), 'Warning', 'InvalidDeployment', err.message);
  }
}

async function rollout(deps: DeploymentDeps, d: Deployment, rsList: ReplicaSet[], podMap: Map<string, KubeObject[]>): Promise<void> {
  await checkPausedConditions(deps, d);
  if (d.spec.paused) return sync(deps, d, rsList);
  // Not re-entrant: the request is cleared before replica sets are touched again.
  if (getRollbackTo(d) !== undefined) return rollback(deps, d, rsList);
  if (await isScalingEvent(deps, d, rsList)) return sync(deps, d, rsList);

  switch (d.spec.strategy?.type ?? 'RollingUpdate') {
    case 'Recreate':
      return rolloutRecreate(deps, d, rsList, podMap);
    case 'RollingUpdate':
      return rolloutRolling(deps, d, rsList);
    default:
      throw new DeploymentError('Invalid', `unexpected deployment strategy type: ${d.spec.strategy?.type}`);
  }
}
