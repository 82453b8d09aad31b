// Which pods go first when a controller scales down (pkg/controller ActivePodsWithRanks
// and the ReplicaSet controller's getPodsToDelete), with LogarithmicScaleDown (GA in 1.31).
import type { KubeObject } from '../../shared/types.js';
import { getPodReadyCondition, isPodActive, isPodReady, parseTime } from './podutil.js';

export const POD_DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';

const PHASE_ORDINAL: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function phaseOrdinal(pod: KubeObject): number {
  return PHASE_ORDINAL[pod.status?.phase ?? ''] ?? 0;
}

/** The pod-deletion-cost annotation as an int32; absent or invalid counts as 0. */
export function deletionCost(pod: KubeObject): number {
  const v = pod.metadata.annotations?.[POD_DELETION_COST];
  if (v === undefined || !/^[+-]?\d+$/.test(v.trim())) return 0;
  const n = Number(v.trim());
  return n >= -(2 ** 31) && n < 2 ** 31 ? n : 0;
}

function maxContainerRestarts(pod: KubeObject): number {
  let max = 0;
  for (const c of (pod.status?.containerStatuses ?? []) as { restartCount?: number }[]) max = Math.max(max, c.restartCount ?? 0);
  return max;
}

function podReadyTime(pod: KubeObject): number | undefined {
  return isPodReady(pod) ? parseTime(getPodReadyCondition(pod)?.lastTransitionTime) : undefined;
}

/** t1 is zero (and t2 not), or t1 is after t2. */
function afterOrZero(t1: number | undefined, t2: number | undefined): boolean {
  if (t1 === undefined || t2 === undefined) return t1 === undefined;
  return t1 > t2;
}

/** Difference of the log2 buckets of the two ages (in nanoseconds, as Kubernetes). */
function logarithmicRankDiff(t1: number, t2: number, now: number): number {
  const bucket = (t: number) => {
    const d = (now - t) * 1e6;
    return d > 0 ? Math.floor(Math.log2(d)) : -1;
  };
  return bucket(t1) - bucket(t2);
}

/** Compares timestamps newest-first, on a logarithmic scale; equal buckets order by UID. */
function newerFirst(a: KubeObject, ta: number | undefined, b: KubeObject, tb: number | undefined, now: number): boolean {
  if (ta === undefined || tb === undefined) return afterOrZero(ta, tb);
  const diff = logarithmicRankDiff(ta, tb, now);
  if (diff === 0) return (a.metadata.uid ?? '') < (b.metadata.uid ?? '');
  return diff < 0;
}

/**
 * True when pod `a` (with rank `ra`) should be deleted before pod `b`:
 * 1. unassigned < assigned; 2. Pending < Unknown < Running; 3. not ready < ready;
 * 4. lower pod-deletion-cost first; 5. more related pods on the same node first;
 * 6. ready for less time first; 7. more container restarts first; 8. newer first.
 */
export function preferForDeletion(a: KubeObject, ra: number, b: KubeObject, rb: number, now: Date): boolean {
  const na = a.spec?.nodeName ?? '';
  const nb = b.spec?.nodeName ?? '';
  if (na !== nb && (na === '' || nb === '')) return na === '';
  if (phaseOrdinal(a) !== phaseOrdinal(b)) return phaseOrdinal(a) < phaseOrdinal(b);
  if (isPodReady(a) !== isPodReady(b)) return !isPodReady(a);
  if (deletionCost(a) !== deletionCost(b)) return deletionCost(a) < deletionCost(b);
  if (ra !== rb) return ra > rb;
  if (isPodReady(a) && isPodReady(b)) {
    const ta = podReadyTime(a);
    const tb = podReadyTime(b);
    if (ta !== tb) return newerFirst(a, ta, b, tb, now.getTime());
  }
  if (maxContainerRestarts(a) !== maxContainerRestarts(b)) return maxContainerRestarts(a) > maxContainerRestarts(b);
  const ca = parseTime(a.metadata.creationTimestamp);
  const cb = parseTime(b.metadata.creationTimestamp);
  if (ca !== cb) return newerFirst(a, ca, b, cb, now.getTime());
  return false;
}

/**
 * Ranks each pod by how many active related pods (those of the same owner's ReplicaSets)
 * share its node, then sorts the pods so the ones to delete first come first.
 */
export function sortForDeletion(pods: KubeObject[], relatedPods: KubeObject[], now: Date): KubeObject[] {
  const onNode = new Map<string, number>();
  for (const p of relatedPods) {
    if (!isPodActive(p)) continue;
    const node = p.spec?.nodeName ?? '';
    onNode.set(node, (onNode.get(node) ?? 0) + 1);
  }
  const ranked = pods.map((pod) => ({ pod, rank: onNode.get(pod.spec?.nodeName ?? '') ?? 0 }));
  ranked.sort((x, y) => {
    if (preferForDeletion(x.pod, x.rank, y.pod, y.rank, now)) return -1;
    if (preferForDeletion(y.pod, y.rank, x.pod, x.rank, now)) return 1;
    return 0;
  });
  return ranked.map((r) => r.pod);
}

/** The `diff` pods to delete out of `pods`. */
export function getPodsToDelete(pods: KubeObject[], relatedPods: KubeObject[], diff: number, now: Date): KubeObject[] {
  if (diff >= pods.length) return [...pods];
  return sortForDeletion(pods, relatedPods, now).slice(0, diff);
}
