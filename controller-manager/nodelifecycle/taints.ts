// Taints the node lifecycle controller owns, and toleration matching (k8s.io/api/core/v1
// toleration.go, pkg/apis/core/v1/helper GetMatchingTolerations): the NoExecute
// not-ready/unreachable taints that follow the Ready condition, and the NoSchedule taints
// that mirror conditions and spec.unschedulable (doNoScheduleTaintingPass).
import type { KubeObject } from '../../shared/types.js';

export interface Taint {
  key: string;
  value?: string;
  effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
  timeAdded?: string;
}

export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

export interface NodeCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
}

export const TAINT_NODE_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_NODE_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_NODE_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';

/** Which NoSchedule taint a condition in a given status puts on its node. */
const CONDITION_TAINTS: Record<string, Partial<Record<NodeCondition['status'], string>>> = {
  Ready: { False: TAINT_NODE_NOT_READY, Unknown: TAINT_NODE_UNREACHABLE },
  MemoryPressure: { True: 'node.kubernetes.io/memory-pressure' },
  DiskPressure: { True: 'node.kubernetes.io/disk-pressure' },
  NetworkUnavailable: { True: 'node.kubernetes.io/network-unavailable' },
  PIDPressure: { True: 'node.kubernetes.io/pid-pressure' },
};

const NO_SCHEDULE_KEYS = new Set([TAINT_NODE_UNSCHEDULABLE, ...Object.values(CONDITION_TAINTS).flatMap((m) => Object.values(m))]);
const NO_EXECUTE_KEYS = new Set([TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE]);

export function getCondition(node: KubeObject, type: string): NodeCondition | undefined {
  return (node.status?.conditions as NodeCondition[] | undefined)?.find((c) => c.type === type);
}

/** Toleration.ToleratesTaint. */
export function toleratesTaint(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  switch (t.operator ?? 'Equal') {
    case 'Equal':
      return (t.value ?? '') === (taint.value ?? '');
    case 'Exists':
      return true;
    default:
      return false;
  }
}

/**
 * GetMatchingTolerations: whether every taint is tolerated, and for each taint (in order)
 * the first toleration that tolerates it.
 */
export function matchingTolerations(taints: Taint[], tolerations: Toleration[]): { allTolerated: boolean; used: Toleration[] } {
  const used: Toleration[] = [];
  for (const taint of taints) {
    const t = tolerations.find((tol) => toleratesTaint(tol, taint));
    if (!t) return { allTolerated: false, used: [] };
    used.push(t);
  }
  return { allTolerated: true, used };
}

/**
 * The taints the controller wants on the node, by key and effect: NoExecute from the
 * Ready condition (untouched while the node never posted one), NoSchedule from every
 * condition and from spec.unschedulable.
 */
export function desiredControllerTaints(node: KubeObject): { noExecute: Taint[] | undefined; noSchedule: Taint[] } {
  const ready = getCondition(node, 'Ready');
  let noExecute: Taint[] | undefined;
  if (ready) {
    noExecute = [];
    if (ready.status === 'False') noExecute.push({ key: TAINT_NODE_NOT_READY, effect: 'NoExecute' });
    if (ready.status === 'Unknown') noExecute.push({ key: TAINT_NODE_UNREACHABLE, effect: 'NoExecute' });
  }
  const noSchedule: Taint[] = [];
  for (const c of (node.status?.conditions ?? []) as NodeCondition[]) {
    const key = CONDITION_TAINTS[c.type]?.[c.status];
    if (key) noSchedule.push({ key, effect: 'NoSchedule' });
  }
  if (node.spec?.unschedulable === true) noSchedule.push({ key: TAINT_NODE_UNSCHEDULABLE, effect: 'NoSchedule' });
  return { noExecute, noSchedule };
}

const same = (a: Taint, b: Taint) => a.key === b.key && a.effect === b.effect;

/**
 * The node's taints with the controller's ones brought to what it wants: its own taints
 * that no longer apply removed, missing ones added with timeAdded, the rest (anyone
 * else's, and its own that still apply, with their original timeAdded) kept in place.
 * Undefined when nothing changes.
 */
export function reconcileTaints(node: KubeObject, now: string): Taint[] | undefined {
  const current: Taint[] = node.spec?.taints ?? [];
  const { noExecute, noSchedule } = desiredControllerTaints(node);
  const owned = (t: Taint) => (t.effect === 'NoSchedule' && NO_SCHEDULE_KEYS.has(t.key)) || (noExecute !== undefined && t.effect === 'NoExecute' && NO_EXECUTE_KEYS.has(t.key));
  const wanted = [...(noExecute ?? []), ...noSchedule];
  const kept = current.filter((t) => !owned(t) || wanted.some((w) => same(w, t)));
  const added = wanted.filter((w) => !current.some((t) => same(t, w))).map((w) => ({ ...w, timeAdded: now }));
  if (kept.length === current.length && added.length === 0) return undefined;
  return [...kept, ...added];
}
