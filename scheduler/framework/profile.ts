// The default profile: the ordered chain of filters and the weighted scores, assembled
// in one place (upstream's default plugin set of Kubernetes 1.32, with the plugins skiff
// has). A node is rejected by the first filter that fails, so its reasons come from one
// plugin, as upstream's RunFilterPlugins does.
import { interPodAffinity } from './inter-pod-affinity.js';
import { nodeAffinityFilter, nodeAffinityScore } from './node-affinity.js';
import { nodePorts } from './node-ports.js';
import { balancedAllocation, leastAllocated, nodeResourcesFit } from './node-resources.js';
import { nodeUnschedulable } from './node-unschedulable.js';
import { selectorSpread } from './selector-spread.js';
import { taintTolerationFilter, taintTolerationScore } from './taint-toleration.js';
import type { FilterPlugin, WeightedScorePlugin } from './types.js';

export interface Profile {
  filters: FilterPlugin[];
  scores: WeightedScorePlugin[];
}

export function defaultProfile(): Profile {
  return {
    filters: [nodeUnschedulable, taintTolerationFilter, nodeAffinityFilter, nodePorts, nodeResourcesFit, interPodAffinity],
    scores: [
      { plugin: taintTolerationScore, weight: 3 },
      { plugin: nodeAffinityScore, weight: 2 },
      { plugin: leastAllocated, weight: 1 },
      { plugin: selectorSpread, weight: 2 },
      { plugin: balancedAllocation, weight: 1 },
    ],
  };
}
