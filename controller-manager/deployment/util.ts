// The arithmetic of a rollout (deploymentutil): maxSurge/maxUnavailable, replica counts
// over replica sets, the orderings the strategies scale in, finding the new and old
// replica sets, and the revision and replicas annotations.
import { equalIgnoreHash } from './hash.js';
import type { Deployment, IntOrString, ReplicaSet } from './types.js';

export const RevisionAnnotation = 'deployment.kubernetes.io/revision';
export const RevisionHistoryAnnotation = 'deployment.kubernetes.io/revision-history';
export const DesiredReplicasAnnotation = 'deployment.kubernetes.io/desired-replicas';
export const MaxReplicasAnnotation = 'deployment.kubernetes.io/max-replicas';
/** apps.DeprecatedRollbackTo: extensions/v1beta1 rollbackTo, round-tripped as an annotation. */
export const DeprecatedRollbackToAnnotation = 'deprecated.deployment.rollback.to';
const LastAppliedConfigAnnotation = 'kubectl.kubernetes.io/last-applied-configuration';
/** Revision history kept on a replica set, in characters (~100 revisions). */
export const MAX_REV_HISTORY_LENGTH_IN_CHARS = 2000;

/**
 * The controller's own errors, by what to do about them: `Invalid` (a spec validation
 * should have rejected: reported, never retried), `OwnerGone` (the deployment went away
 * under an adoption) and `StaleCache` (the cache contradicts itself): retried.
 */
export class DeploymentError extends Error {
  override readonly name = 'DeploymentError';
  constructor(
    readonly reason: 'Invalid' | 'OwnerGone' | 'StaleCache',
    message: string,
  ) {
    super(message);
  }
}

export const replicasOf = (o: Deployment | ReplicaSet): number => o.spec.replicas ?? 1;
export const isRollingUpdate = (d: Deployment): boolean => (d.spec.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';

/** intstr.GetScaledValueFromIntOrPercent: a percent of total, rounded up or down. */
export function scaledValue(v: IntOrString | undefined, total: number, roundUp: boolean): number {
  if (v === undefined || v === null) return 0;
  if (typeof v === 'number') return v;
  const m = /^(-?\d+)%$/.exec(v);
  if (!m) throw new DeploymentError('Invalid', `invalid value for IntOrString: invalid type: string is not a percentage`);
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/**
 * ResolveFenceposts: surge rounds up, unavailable rounds down; when both come to zero,
 * one replica may be unavailable (surge might be blocked by quota).
 */
export function resolveFenceposts(maxSurge: IntOrString | undefined, maxUnavailable: IntOrString | undefined, desired: number): [number, number] {
  const surge = scaledValue(maxSurge ?? 0, desired, true);
  let unavailable = scaledValue(maxUnavailable ?? 0, desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return [surge, unavailable];
}

function fenceposts(d: Deployment): [number, number] {
  try {
    return resolveFenceposts(d.spec.strategy?.rollingUpdate?.maxSurge, d.spec.strategy?.rollingUpdate?.maxUnavailable, replicasOf(d));
  } catch {
    return [0, 0]; // caught by validation
  }
}

export function maxSurge(d: Deployment): number {
  return isRollingUpdate(d) ? fenceposts(d)[0] : 0;
}

export function maxUnavailable(d: Deployment): number {
  if (!isRollingUpdate(d) || replicasOf(d) === 0) return 0;
  return Math.min(fenceposts(d)[1], replicasOf(d));
}

// ---------------------------------------------------------------------------
// Counting over replica sets (a missing new replica set counts as nothing).

type RSs = (ReplicaSet | undefined)[];
const sum = (rss: RSs, f: (rs: ReplicaSet) => number | undefined) => rss.reduce((n, rs) => n + (rs ? (f(rs) ?? 0) : 0), 0);

export const specReplicaCount = (rss: RSs) => sum(rss, (rs) => rs.spec.replicas ?? 0);
export const actualReplicaCount = (rss: RSs) => sum(rss, (rs) => rs.status?.replicas);
export const readyReplicaCount = (rss: RSs) => sum(rss, (rs) => rs.status?.readyReplicas);
export const availableReplicaCount = (rss: RSs) => sum(rss, (rs) => rs.status?.availableReplicas);

export function filterActive(rss: RSs): ReplicaSet[] {
  return rss.filter((rs): rs is ReplicaSet => !!rs && (rs.spec.replicas ?? 0) > 0);
}

// ---------------------------------------------------------------------------
// Orderings (controller.ReplicaSetsBy*).

const created = (rs: ReplicaSet) => Date.parse(rs.metadata.creationTimestamp ?? '') || 0;

export function byCreationTimestamp(a: ReplicaSet, b: ReplicaSet): number {
  return created(a) - created(b) || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
}

/** Larger first; of equal size the older first (who scales down first). */
export function bySizeOlder(a: ReplicaSet, b: ReplicaSet): number {
  return (b.spec.replicas ?? 0) - (a.spec.replicas ?? 0) || byCreationTimestamp(a, b);
}

/** Larger first; of equal size the newer first (who scales up first). */
export function bySizeNewer(a: ReplicaSet, b: ReplicaSet): number {
  return (b.spec.replicas ?? 0) - (a.spec.replicas ?? 0) || byCreationTimestamp(b, a);
}

export function byRevision(a: ReplicaSet, b: ReplicaSet): number {
  return (revision(a) ?? 0) - (revision(b) ?? 0) || byCreationTimestamp(a, b);
}

// ---------------------------------------------------------------------------
// New and old replica sets.

/** The oldest replica set whose template equals the deployment's, ignoring the hash. */
export function findNewReplicaSet(d: Deployment, rsList: ReplicaSet[]): ReplicaSet | undefined {
  return [...rsList].sort(byCreationTimestamp).find((rs) => equalIgnoreHash(rs.spec.template, d.spec.template));
}

/** Every replica set but the new one. */
export function findOldReplicaSets(d: Deployment, rsList: ReplicaSet[]): ReplicaSet[] {
  const newRS = findNewReplicaSet(d, rsList);
  return rsList.filter((rs) => !newRS || rs.metadata.uid !== newRS.metadata.uid);
}

/** The only active replica set, or the newest when none is active; undefined when several are. */
export function findActiveOrLatest(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): ReplicaSet | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const newestFirst = [...oldRSs].sort((a, b) => byCreationTimestamp(b, a));
  const active = filterActive([...newestFirst, newRS]);
  if (active.length === 0) return newRS ?? newestFirst[0];
  return active.length === 1 ? active[0] : undefined;
}

// ---------------------------------------------------------------------------
// Annotations.

/** The revision annotation as a number; undefined when absent or not a number. */
export function revision(o: Deployment | ReplicaSet): number | undefined {
  const v = o.metadata.annotations?.[RevisionAnnotation];
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}

export function maxRevision(rss: ReplicaSet[]): number {
  return rss.reduce((m, rs) => Math.max(m, revision(rs) ?? 0), 0);
}

/** The revision before the newest one (what `rollout undo` without --to-revision means). */
export function lastRevision(rss: ReplicaSet[]): number {
  let max = 0;
  let second = 0;
  for (const rs of rss) {
    const v = revision(rs);
    if (v === undefined) continue;
    if (v >= max) [second, max] = [max, v];
    else if (v > second) second = v;
  }
  return second;
}

function intAnnotation(rs: ReplicaSet, key: string): number | undefined {
  const v = rs.metadata.annotations?.[key];
  return v !== undefined && /^-?\d+$/.test(v) ? Number(v) : undefined;
}

export const desiredReplicasAnnotation = (rs: ReplicaSet) => intAnnotation(rs, DesiredReplicasAnnotation);
export const maxReplicasAnnotation = (rs: ReplicaSet) => intAnnotation(rs, MaxReplicasAnnotation);

const SKIPPED = new Set([LastAppliedConfigAnnotation, RevisionAnnotation, RevisionHistoryAnnotation, DesiredReplicasAnnotation, MaxReplicasAnnotation, DeprecatedRollbackToAnnotation]);

/** Annotations never copied between a deployment and its replica sets. */
export const skipCopyAnnotation = (key: string) => SKIPPED.has(key);

/** Sets desired-replicas and max-replicas; true if they changed. */
export function setReplicasAnnotations(rs: ReplicaSet, desired: number, max: number): boolean {
  const a = (rs.metadata.annotations ??= {});
  let updated = false;
  if (a[DesiredReplicasAnnotation] !== String(desired)) {
    a[DesiredReplicasAnnotation] = String(desired);
    updated = true;
  }
  if (a[MaxReplicasAnnotation] !== String(max)) {
    a[MaxReplicasAnnotation] = String(max);
    updated = true;
  }
  return updated;
}

export function replicasAnnotationsNeedUpdate(rs: ReplicaSet, desired: number, max: number): boolean {
  const a = rs.metadata.annotations ?? {};
  return a[DesiredReplicasAnnotation] !== String(desired) || a[MaxReplicasAnnotation] !== String(max);
}

/** Copies the deployment's annotations (but the skipped ones) onto the replica set; true if any changed. */
function copyDeploymentAnnotationsToReplicaSet(d: Deployment, rs: ReplicaSet): boolean {
  const a = (rs.metadata.annotations ??= {});
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
    if (skipCopyAnnotation(k) || a[k] === v) continue;
    a[k] = v;
    changed = true;
  }
  return changed;
}

/**
 * SetNewReplicaSetAnnotations: copies the deployment's annotations, raises the revision to
 * newRevision when it is lower (keeping the former revision in revision-history, which is
 * what a rollback to this replica set looks like), and on a replica set about to be
 * created sets desired-replicas and max-replicas. True if anything changed.
 */
export function setNewReplicaSetAnnotations(d: Deployment, rs: ReplicaSet, newRevision: number, exists: boolean): boolean {
  let changed = copyDeploymentAnnotationsToReplicaSet(d, rs);
  const a = (rs.metadata.annotations ??= {});
  const oldRevision = a[RevisionAnnotation];
  const had = oldRevision !== undefined;
  if (had && !/^\d+$/.test(oldRevision)) return false;
  const oldRevisionInt = had ? Number(oldRevision) : 0;
  if (oldRevisionInt < newRevision) {
    a[RevisionAnnotation] = String(newRevision);
    changed = true;
    if (had) {
      const history = a[RevisionHistoryAnnotation] ?? '';
      let revisions = history ? history.split(',') : [];
      let total = history.length + oldRevision.length + 1;
      while (total > MAX_REV_HISTORY_LENGTH_IN_CHARS && revisions.length) total -= revisions.shift()!.length + 1;
      revisions = [...revisions, oldRevision];
      a[RevisionHistoryAnnotation] = revisions.join(',');
    }
  }
  if (!exists && setReplicasAnnotations(rs, replicasOf(d), replicasOf(d) + maxSurge(d))) changed = true;
  return changed;
}

/** On a rollback, the deployment takes the replica set's annotations (but the skipped ones). */
export function setDeploymentAnnotationsTo(d: Deployment, rs: ReplicaSet): void {
  const kept = Object.fromEntries(Object.entries(d.metadata.annotations ?? {}).filter(([k]) => skipCopyAnnotation(k)));
  for (const [k, v] of Object.entries(rs.metadata.annotations ?? {})) if (!skipCopyAnnotation(k)) kept[k] = v;
  d.metadata.annotations = kept;
}

/**
 * NewRSNewReplicas: the size the new replica set may grow to now. Rolling: up to
 * replicas + maxSurge pods in all, never past the desired count. Recreate: all of them.
 */
export function newRSNewReplicas(d: Deployment, allRSs: ReplicaSet[], newRS: ReplicaSet): number {
  if (!isRollingUpdate(d)) return replicasOf(d);
  const surge = scaledValue(d.spec.strategy?.rollingUpdate?.maxSurge ?? 0, replicasOf(d), true);
  const current = specReplicaCount(allRSs);
  const maxTotal = replicasOf(d) + surge;
  const newReplicas = newRS.spec.replicas ?? 0;
  if (current >= maxTotal) return newReplicas;
  return newReplicas + Math.min(maxTotal - current, replicasOf(d) - newReplicas);
}

/** The new replica set owns all desired replicas, believes so, and they are all available. */
export function isSaturated(d: Deployment, rs: ReplicaSet | undefined): boolean {
  if (!rs) return false;
  const desired = desiredReplicasAnnotation(rs);
  if (desired === undefined) return false;
  return (rs.spec.replicas ?? 0) === replicasOf(d) && desired === replicasOf(d) && (rs.status?.availableReplicas ?? 0) === replicasOf(d);
}
