// Scaling, revision bookkeeping and cleanup (upstream sync.go): finding or creating the
// new replica set and its revision, proportional scaling when the replica count changes
// mid-rollout or while paused, the pause/resume condition, and revisionHistoryLimit.
import { ApiError } from '../../shared/errors.js';
import { POD_TEMPLATE_HASH_LABEL, computeHash, equalIgnoreHash } from './hash.js';
import { controllerRefOf, deploymentControllerRef } from './claim.js';
import { DeploymentProgressing, Reason, getCondition, hasProgressDeadline, hasRevisionHistoryLimit, newCondition, setCondition } from './conditions.js';
import { syncDeploymentStatus, updateStatus } from './status.js';
import type { Deployment, DeploymentDeps, ReplicaSet } from './types.js';
import * as u from './util.js';

export interface ReplicaSets {
  newRS: ReplicaSet | undefined;
  oldRSs: ReplicaSet[];
}

/** The object events are recorded against: list items may lack apiVersion/kind. */
export const eventTarget = (d: Deployment): Deployment => ({ ...d, apiVersion: 'apps/v1', kind: 'Deployment' });

/** SetDeploymentRevision, written at once (see DeploymentApi.patchDeploymentAnnotations). */
async function syncDeploymentRevision(deps: DeploymentDeps, d: Deployment, revision: string | undefined): Promise<void> {
  if (revision === undefined || d.metadata.annotations?.[u.RevisionAnnotation] === revision) return;
  const updated = await deps.api.patchDeploymentAnnotations(d, { [u.RevisionAnnotation]: revision });
  d.metadata.annotations = { ...(d.metadata.annotations ?? {}), [u.RevisionAnnotation]: revision };
  d.metadata.resourceVersion = updated.metadata.resourceVersion;
}

/**
 * The new replica set (created when asked and missing) and all old ones, with the new
 * one's revision raised above every old one and copied to the deployment. rsList is the
 * sync's own array (from claimReplicaSets): an updated new replica set replaces its entry.
 */
export async function getAllReplicaSetsAndSyncRevision(deps: DeploymentDeps, d: Deployment, rsList: ReplicaSet[], createIfNotExisted: boolean): Promise<ReplicaSets> {
  const oldRSs = u.findOldReplicaSets(d, rsList);
  const newRS = await getNewReplicaSet(deps, d, rsList, oldRSs, createIfNotExisted);
  // Later steps of this sync read rsList again: let them see what was just written, rather
  // than conflict on the stale copy.
  const i = newRS ? rsList.findIndex((rs) => rs.metadata.uid === newRS.metadata.uid) : -1;
  if (i >= 0) rsList[i] = newRS!;
  return { newRS, oldRSs };
}

async function getNewReplicaSet(deps: DeploymentDeps, d: Deployment, rsList: ReplicaSet[], oldRSs: ReplicaSet[], createIfNotExisted: boolean): Promise<ReplicaSet | undefined> {
  const existing = u.findNewReplicaSet(d, rsList);
  const newRevision = u.maxRevision(oldRSs) + 1;
  if (existing) {
    const rsCopy = structuredClone(existing);
    const annotationsUpdated = u.setNewReplicaSetAnnotations(d, rsCopy, newRevision, true);
    if (annotationsUpdated || (rsCopy.spec.minReadySeconds ?? 0) !== (d.spec.minReadySeconds ?? 0)) {
      rsCopy.spec.minReadySeconds = d.spec.minReadySeconds;
      return deps.api.updateReplicaSet(rsCopy);
    }
    await syncDeploymentRevision(deps, d, rsCopy.metadata.annotations?.[u.RevisionAnnotation]);
    if (hasProgressDeadline(d) && !getCondition(d.status, DeploymentProgressing)) {
      setCondition((d.status ??= {}), newCondition(DeploymentProgressing, 'True', Reason.FoundNewRS, `Found new replica set "${rsCopy.metadata.name}"`, deps.now()));
      await updateStatus(deps, d);
    }
    return rsCopy;
  }
  if (!createIfNotExisted) return undefined;

  const hash = computeHash(d.spec.template, d.status?.collisionCount);
  const template = structuredClone(d.spec.template);
  template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash } };
  const selector = structuredClone(d.spec.selector ?? {});
  selector.matchLabels = { ...(selector.matchLabels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash };
  const newRS: ReplicaSet = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `${d.metadata.name}-${hash}`,
      namespace: d.metadata.namespace,
      ownerReferences: [deploymentControllerRef(d)],
      labels: { ...template.metadata.labels! },
    },
    spec: { replicas: 0, minReadySeconds: d.spec.minReadySeconds, selector, template },
  };
  const newReplicas = u.newRSNewReplicas(d, [...oldRSs, newRS], newRS);
  newRS.spec.replicas = newReplicas;
  u.setNewReplicaSetAnnotations(d, newRS, newRevision, false);

  let created: ReplicaSet;
  let alreadyExists = false;
  try {
    created = await deps.api.createReplicaSet(newRS);
  } catch (err) {
    if (err instanceof ApiError && err.code === 409 && err.reason === 'AlreadyExists') {
      // A stale cache, or a hash collision with a replica set of another template.
      const rs = deps.getReplicaSet(d.metadata.namespace!, newRS.metadata.name!);
      if (!rs) throw err;
      if (controllerRefOf(rs)?.uid === d.metadata.uid && equalIgnoreHash(d.spec.template, rs.spec.template)) {
        created = rs;
        alreadyExists = true;
      } else {
        const before = d.status?.collisionCount ?? 0;
        (d.status ??= {}).collisionCount = before + 1;
        await updateStatus(deps, d).then(
          () => deps.log.info({ deployment: d.metadata.name, oldCollisionCount: before, newCollisionCount: before + 1 }, 'found a hash collision for deployment; bumping collisionCount to resolve it'),
          () => undefined,
        );
        throw err;
      }
    } else if (err instanceof ApiError && err.code === 403 && /being terminated/.test(err.message)) {
      throw err;
    } else {
      const msg = `Failed to create new replica set "${newRS.metadata.name}": ${err instanceof Error ? err.message : String(err)}`;
      if (hasProgressDeadline(d)) {
        setCondition((d.status ??= {}), newCondition(DeploymentProgressing, 'False', Reason.FailedRSCreate, msg, deps.now()));
        await updateStatus(deps, d).catch(() => undefined); // the bigger issue is reported below
      }
      deps.recorder.event(eventTarget(d), 'Warning', Reason.FailedRSCreate, msg);
      throw err;
    }
  }
  if (!alreadyExists && newReplicas > 0) {
    deps.recorder.event(eventTarget(d), 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${created.metadata.name} from 0 to ${newReplicas}`);
  }
  await syncDeploymentRevision(deps, d, String(newRevision));
  if (!alreadyExists && hasProgressDeadline(d)) {
    setCondition((d.status ??= {}), newCondition(DeploymentProgressing, 'True', Reason.NewReplicaSet, `Created new replica set "${created.metadata.name}"`, deps.now()));
    await updateStatus(deps, d);
  }
  return created;
}

/** Reconciles a scaling event or a paused deployment: scale, clean up when paused, status. */
export async function sync(deps: DeploymentDeps, d: Deployment, rsList: ReplicaSet[]): Promise<void> {
  const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(deps, d, rsList, false);
  await scale(deps, d, newRS, oldRSs);
  if (d.spec.paused && getRollbackTo(d) === undefined) await cleanupDeployment(deps, oldRSs, d);
  await syncDeploymentStatus(deps, [...oldRSs, newRS], newRS, d);
}

/** Only the status: a deployment being deleted takes no action. */
export async function syncStatusOnly(deps: DeploymentDeps, d: Deployment, rsList: ReplicaSet[]): Promise<void> {
  const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(deps, d, rsList, false);
  await syncDeploymentStatus(deps, [...oldRSs, newRS], newRS, d);
}

/** The revision `deprecated.deployment.rollback.to` asks for (0: the previous one). */
export function getRollbackTo(d: Deployment): number | undefined {
  const v = d.metadata.annotations?.[u.DeprecatedRollbackToAnnotation];
  if (!v || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}

/**
 * Marks pause and resume on the Progressing condition (Unknown), so that a deployment
 * paused longer than its deadline does not time out when resumed.
 */
export async function checkPausedConditions(deps: DeploymentDeps, d: Deployment): Promise<void> {
  if (!hasProgressDeadline(d)) return;
  const cond = getCondition(d.status, DeploymentProgressing);
  if (cond?.reason === Reason.TimedOut) return;
  const pausedCondExists = cond?.reason === Reason.Paused;
  if (d.spec.paused && !pausedCondExists) {
    setCondition((d.status ??= {}), newCondition(DeploymentProgressing, 'Unknown', Reason.Paused, 'Deployment is paused', deps.now()));
  } else if (!d.spec.paused && pausedCondExists) {
    setCondition((d.status ??= {}), newCondition(DeploymentProgressing, 'Unknown', Reason.Resumed, 'Deployment is resumed', deps.now()));
  } else return;
  await updateStatus(deps, d);
}

/**
 * Scales proportionally: one active replica set takes the whole count; a saturated new
 * one retires the old; otherwise (rolling) the difference to replicas + maxSurge is
 * shared out by size, larger first, leftovers to the largest.
 */
export async function scale(deps: DeploymentDeps, d: Deployment, newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): Promise<void> {
  const replicas = u.replicasOf(d);
  const activeOrLatest = u.findActiveOrLatest(newRS, oldRSs);
  if (activeOrLatest) {
    if ((activeOrLatest.spec.replicas ?? 0) === replicas) return;
    await scaleReplicaSetAndRecordEvent(deps, activeOrLatest, replicas, d);
    return;
  }
  if (u.isSaturated(d, newRS)) {
    for (const old of u.filterActive(oldRSs)) await scaleReplicaSetAndRecordEvent(deps, old, 0, d);
    return;
  }
  if (!u.isRollingUpdate(d)) return;
  const allRSs = u.filterActive([...oldRSs, newRS]);
  const allowedSize = replicas > 0 ? replicas + u.maxSurge(d) : 0;
  const toAdd = allowedSize - u.specReplicaCount(allRSs);
  let operation = '';
  if (toAdd > 0) {
    allRSs.sort(u.bySizeNewer);
    operation = 'up';
  } else if (toAdd < 0) {
    allRSs.sort(u.bySizeOlder);
    operation = 'down';
  }
  let added = 0;
  const sizes = new Map<string, number>();
  for (const rs of allRSs) {
    if (toAdd !== 0) {
      const proportion = getProportion(rs, d, toAdd, added);
      sizes.set(rs.metadata.name!, (rs.spec.replicas ?? 0) + proportion);
      added += proportion;
    } else sizes.set(rs.metadata.name!, rs.spec.replicas ?? 0);
  }
  for (const [i, rs] of allRSs.entries()) {
    if (i === 0 && toAdd !== 0) sizes.set(rs.metadata.name!, Math.max(0, sizes.get(rs.metadata.name!)! + toAdd - added));
    await scaleReplicaSet(deps, rs, sizes.get(rs.metadata.name!)!, d, operation);
  }
}

/** GetProportion: this replica set's share of toAdd, bounded by what is still to add. */
export function getProportion(rs: ReplicaSet, d: Deployment, toAdd: number, added: number): number {
  if ((rs.spec.replicas ?? 0) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = getReplicaSetFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

function getReplicaSetFraction(rs: ReplicaSet, d: Deployment): number {
  const size = rs.spec.replicas ?? 0;
  if (u.replicasOf(d) === 0) return -size;
  const deploymentMaxReplicas = u.replicasOf(d) + u.maxSurge(d);
  let before = u.maxReplicasAnnotation(rs);
  if (!before) {
    before = d.status?.replicas ?? 0;
    if (before === 0) return 0;
  }
  // integer.RoundToInt32: half away from zero.
  const exact = (size * deploymentMaxReplicas) / before;
  return Math.sign(exact) * Math.round(Math.abs(exact)) - size;
}

export async function scaleReplicaSetAndRecordEvent(deps: DeploymentDeps, rs: ReplicaSet, newScale: number, d: Deployment): Promise<{ scaled: boolean; rs: ReplicaSet }> {
  if ((rs.spec.replicas ?? 0) === newScale) return { scaled: false, rs };
  return scaleReplicaSet(deps, rs, newScale, d, (rs.spec.replicas ?? 0) < newScale ? 'up' : 'down');
}

/** Sets the size and the desired/max annotations; records ScalingReplicaSet when the size changed. */
export async function scaleReplicaSet(deps: DeploymentDeps, rs: ReplicaSet, newScale: number, d: Deployment, operation?: string): Promise<{ scaled: boolean; rs: ReplicaSet }> {
  const oldScale = rs.spec.replicas ?? 0;
  const sizeNeedsUpdate = oldScale !== newScale;
  const desired = u.replicasOf(d);
  const max = desired + u.maxSurge(d);
  if (!sizeNeedsUpdate && !u.replicasAnnotationsNeedUpdate(rs, desired, max)) return { scaled: false, rs };
  const rsCopy = structuredClone(rs);
  rsCopy.spec.replicas = newScale;
  u.setReplicasAnnotations(rsCopy, desired, max);
  const updated = await deps.api.updateReplicaSet(rsCopy);
  if (sizeNeedsUpdate) {
    const op = operation || (oldScale < newScale ? 'up' : 'down');
    deps.recorder.event(eventTarget(d), 'Normal', 'ScalingReplicaSet', `Scaled ${op} replica set ${updated.metadata.name} from ${oldScale} to ${newScale}`);
  }
  return { scaled: sizeNeedsUpdate, rs: updated };
}

/**
 * Deletes the oldest old replica sets beyond revisionHistoryLimit, only those scaled to 0
 * whose controller has seen that.
 */
export async function cleanupDeployment(deps: DeploymentDeps, oldRSs: ReplicaSet[], d: Deployment): Promise<void> {
  if (!hasRevisionHistoryLimit(d)) return;
  const cleanable = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp);
  const diff = cleanable.length - d.spec.revisionHistoryLimit!;
  if (diff <= 0) return;
  cleanable.sort(u.byRevision);
  for (const rs of cleanable.slice(0, diff)) {
    if ((rs.status?.replicas ?? 0) !== 0 || (rs.spec.replicas ?? 0) !== 0 || (rs.metadata.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
    try {
      await deps.api.deleteReplicaSet(rs.metadata.namespace!, rs.metadata.name!);
    } catch (err) {
      if (!(err instanceof ApiError && err.code === 404)) throw err;
    }
  }
}

/** A scaling event: an active replica set's desired-replicas differs from spec.replicas. */
export async function isScalingEvent(deps: DeploymentDeps, d: Deployment, rsList: ReplicaSet[]): Promise<boolean> {
  const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(deps, d, rsList, false);
  for (const rs of u.filterActive([...oldRSs, newRS])) {
    const desired = u.desiredReplicasAnnotation(rs);
    if (desired !== undefined && desired !== u.replicasOf(d)) return true;
  }
  return false;
}
