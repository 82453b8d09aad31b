// TaintToleration: a node's NoSchedule and NoExecute taints keep off every pod that does
// not tolerate them; PreferNoSchedule taints only lower the node's score.
import type { PodInfo, Toleration } from '../pod-info.js';
import type { NodeInfo, Taint } from '../node-info.js';
import { defaultNormalizeScore, unresolvable, type FilterPlugin, type ScorePlugin, type Status } from './types.js';

export const NAME = 'TaintToleration';

/** v1.Toleration.ToleratesTaint: an empty key with Exists tolerates every taint. */
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

export function toleratesAny(tolerations: readonly Toleration[], taint: Taint): boolean {
  for (const t of tolerations) if (toleratesTaint(t, taint)) return true;
  return false;
}

/** The first NoSchedule/NoExecute taint the pod does not tolerate (FindMatchingUntoleratedTaint). */
export function untoleratedTaint(taints: readonly Taint[], tolerations: readonly Toleration[]): Taint | undefined {
  for (const taint of taints) {
    if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
    if (!toleratesAny(tolerations, taint)) return taint;
  }
  return undefined;
}

export const taintTolerationFilter: FilterPlugin = {
  name: NAME,
  // The not-ready taint follows the Ready condition, so condition changes count too.
  events: ['NodeAdd', 'NodeTaintChange', 'NodeConditionChange'],
  filter(_state, pod: PodInfo, node: NodeInfo): Status | undefined {
    if (node.taints.length === 0) return undefined;
    const taint = untoleratedTaint(node.taints, pod.tolerations);
    if (!taint) return undefined;
    return unresolvable(NAME, `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`);
  },
};

export const taintTolerationScore: ScorePlugin = {
  name: NAME,
  preScore(state, pod) {
    // Only tolerations that can match PreferNoSchedule taints matter here.
    state.write(NAME, pod.tolerations.filter((t: Toleration) => !t.effect || t.effect === 'PreferNoSchedule'));
    return true;
  },
  /** How many PreferNoSchedule taints the pod does not tolerate; fewer is better. */
  score(state, _pod, node) {
    const tolerations = state.read<Toleration[]>(NAME) ?? [];
    let n = 0;
    for (const taint of node.taints) if (taint.effect === 'PreferNoSchedule' && !toleratesAny(tolerations, taint)) n++;
    return n;
  },
  normalize(_state, _pod, _nodes, scores) {
    defaultNormalizeScore(scores, true);
  },
};
