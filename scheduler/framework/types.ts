// The scheduling framework's contracts (pkg/scheduler/framework/interface.go, trimmed):
// a filter is a tiny checker that either passes a node or returns a Status naming why
// not; a score plugin ranks the nodes that passed. Both are assembled in one ordered
// chain in profile.ts. Everything here is synchronous: one pod's scheduling cycle runs
// without yielding, so the cache it reads cannot change under it.
import type { NodeInfo } from '../node-info.js';
import type { PodInfo } from '../pod-info.js';

export const MAX_NODE_SCORE = 100;

/**
 * Unschedulable: the node does not fit now but might after preemption (resources,
 * ports, anti-affinity). UnschedulableAndUnresolvable: preemption cannot help (taints,
 * node affinity, an unschedulable node). Error: something went wrong, not the node.
 */
export type Code = 'Unschedulable' | 'UnschedulableAndUnresolvable' | 'Error';

export interface Status {
  code: Code;
  /** The reasons users see, counted per node in the FailedScheduling message. */
  reasons: string[];
  /** Which plugin rejected the node; decides which cluster events can help the pod. */
  plugin: string;
}

export function unschedulable(plugin: string, ...reasons: string[]): Status {
  return { code: 'Unschedulable', reasons, plugin };
}

export function unresolvable(plugin: string, ...reasons: string[]): Status {
  return { code: 'UnschedulableAndUnresolvable', reasons, plugin };
}

/** Per-attempt scratch space: what PreFilter/PreScore computed once for all nodes. */
export class CycleState {
  private readonly data = new Map<string, unknown>();
  write(key: string, value: unknown): void {
    this.data.set(key, value);
  }
  read<T>(key: string): T | undefined {
    return this.data.get(key) as T | undefined;
  }
}

/**
 * Cluster changes that may make a rejected pod schedulable; each plugin names the ones
 * that can undo its rejections (upstream's EventsToRegister), so the queue moves only
 * pods a change can help.
 */
export type ClusterEvent =
  | 'NodeAdd'
  | 'NodeAllocatableChange'
  | 'NodeLabelChange'
  | 'NodeTaintChange'
  | 'NodeSpecUnschedulableChange'
  | 'NodeConditionChange'
  | 'AssignedPodAdd'
  | 'AssignedPodUpdate'
  | 'AssignedPodDelete';

export interface FilterPlugin {
  name: string;
  /** Events after which a pod this plugin rejected may fit. */
  events: ClusterEvent[];
  /** Per-pod precomputation before filtering any node. */
  preFilter?(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): void;
  /** undefined when the node passes. */
  filter(state: CycleState, pod: PodInfo, node: NodeInfo): Status | undefined;
}

export interface ScorePlugin {
  name: string;
  /** Per-pod precomputation over the feasible nodes; false skips this plugin for the pod. */
  preScore?(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): boolean;
  score(state: CycleState, pod: PodInfo, node: NodeInfo): number;
  /** Rescales raw scores (indexed like `nodes`) into 0..MAX_NODE_SCORE in place. */
  normalize?(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], scores: number[]): void;
}

export interface WeightedScorePlugin {
  plugin: ScorePlugin;
  weight: number;
}

/**
 * DefaultNormalizeScore: scale to 0..MAX_NODE_SCORE by the highest score; `reverse`
 * makes the lowest raw score the best (for counts of bad things).
 */
export function defaultNormalizeScore(scores: number[], reverse: boolean): void {
  let max = 0;
  for (const s of scores) if (s > max) max = s;
  if (max === 0) {
    if (reverse) scores.fill(MAX_NODE_SCORE);
    return;
  }
  for (let i = 0; i < scores.length; i++) {
    const s = Math.trunc((MAX_NODE_SCORE * scores[i]!) / max);
    scores[i] = reverse ? MAX_NODE_SCORE - s : s;
  }
}
