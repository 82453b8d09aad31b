// NodeResourcesFit and the two resource scores: a pod's requests must fit in the node's
// allocatable minus what the pods there (bound or assumed) already request; among the
// nodes that fit, prefer the least allocated (LeastAllocated) and the ones whose cpu and
// memory stay in balance (NodeResourcesBalancedAllocation).
import type { NodeInfo } from '../node-info.js';
import type { PodInfo } from '../pod-info.js';
import { MAX_NODE_SCORE, unschedulable, type FilterPlugin, type ScorePlugin, type Status } from './types.js';

export const FIT = 'NodeResourcesFit';
export const BALANCED = 'NodeResourcesBalancedAllocation';

/** The reasons this node lacks room for the pod, in upstream's order. */
export function insufficientResources(pod: PodInfo, node: NodeInfo): string[] {
  const reasons: string[] = [];
  const alloc = node.allocatable;
  const used = node.requested;
  if (node.pods.size + 1 > alloc.pods) reasons.push('Too many pods');
  const r = pod.requests;
  if (r.milliCPU === 0 && r.memory === 0 && r.ephemeralStorage === 0 && r.scalar.size === 0) return reasons;
  if (r.milliCPU > 0 && r.milliCPU > alloc.milliCPU - used.milliCPU) reasons.push('Insufficient cpu');
  if (r.memory > 0 && r.memory > alloc.memory - used.memory) reasons.push('Insufficient memory');
  if (r.ephemeralStorage > 0 && r.ephemeralStorage > alloc.ephemeralStorage - used.ephemeralStorage) reasons.push('Insufficient ephemeral-storage');
  for (const [name, q] of r.scalar) {
    if (q > (alloc.scalar.get(name) ?? 0) - (used.scalar.get(name) ?? 0)) reasons.push(`Insufficient ${name}`);
  }
  return reasons;
}

export const nodeResourcesFit: FilterPlugin = {
  name: FIT,
  events: ['NodeAdd', 'NodeAllocatableChange', 'AssignedPodDelete', 'AssignedPodUpdate'],
  filter(_state, pod, node): Status | undefined {
    // The common case without allocating: everything fits.
    const a = node.allocatable;
    const used = node.requested;
    const r = pod.requests;
    if (
      node.pods.size + 1 <= a.pods &&
      r.milliCPU <= a.milliCPU - used.milliCPU &&
      r.memory <= a.memory - used.memory &&
      r.ephemeralStorage <= a.ephemeralStorage - used.ephemeralStorage &&
      r.scalar.size === 0
    ) {
      return undefined;
    }
    const reasons = insufficientResources(pod, node);
    return reasons.length ? unschedulable(FIT, ...reasons) : undefined;
  },
};

/** leastRequestedScore: the free share of the resource after placing the pod, 0..100. */
export function leastRequestedScore(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return Math.trunc(((capacity - requested) * MAX_NODE_SCORE) / capacity);
}

/** NodeResourcesFit's score with the LeastAllocated strategy, cpu and memory weighted 1:1. */
export const leastAllocated: ScorePlugin = {
  name: FIT,
  score(_state, pod, node) {
    let sum = 0;
    let weights = 0;
    if (node.allocatable.milliCPU > 0) {
      sum += leastRequestedScore(node.nonZeroMilliCPU + pod.nonZeroMilliCPU, node.allocatable.milliCPU);
      weights++;
    }
    if (node.allocatable.memory > 0) {
      sum += leastRequestedScore(node.nonZeroMemory + pod.nonZeroMemory, node.allocatable.memory);
      weights++;
    }
    return weights ? Math.trunc(sum / weights) : 0;
  },
};

/** 100 × (1 − the standard deviation of the cpu and memory fractions after placing the pod). */
export function balancedScore(cpuFraction: number | undefined, memoryFraction: number | undefined): number {
  let std = 0;
  if (cpuFraction !== undefined && memoryFraction !== undefined) std = Math.abs((Math.min(cpuFraction, 1) - Math.min(memoryFraction, 1)) / 2);
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
}

export const balancedAllocation: ScorePlugin = {
  name: BALANCED,
  // As 1.32: from actual requests, best-effort pods included (1.33 skips those, kubernetes#130260).
  score(_state, pod, node) {
    const a = node.allocatable;
    const cpu = a.milliCPU > 0 ? (node.requested.milliCPU + pod.requests.milliCPU) / a.milliCPU : undefined;
    const memory = a.memory > 0 ? (node.requested.memory + pod.requests.memory) / a.memory : undefined;
    return balancedScore(cpu, memory);
  },
};
