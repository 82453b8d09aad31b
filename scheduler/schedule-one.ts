// One scheduling decision (upstream's schedulePod): filter the nodes through the chain,
// stopping once enough feasible nodes are found (percentageOfNodesToScore) and starting
// where the last pod stopped so every node gets its turn; score the feasible ones with
// the weighted plugins; pick the best, ties broken at random. Pure and synchronous: it
// reads the cache and decides, the caller assumes and binds.
import { ERR_NO_NODES_AVAILABLE, FitError, preemptionMessage, type Diagnosis } from './fit-error.js';
import { CycleState, type Status } from './framework/types.js';
import type { Profile } from './framework/profile.js';
import type { NodeInfo } from './node-info.js';
import type { PodInfo } from './pod-info.js';

const MIN_FEASIBLE_NODES_TO_FIND = 100;
const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;

export class NoNodesAvailableError extends Error {
  constructor() {
    super(ERR_NO_NODES_AVAILABLE);
    this.name = 'NoNodesAvailableError';
  }
}

/** How many feasible nodes are enough: all below 100 nodes, then an adaptive share. */
export function numFeasibleNodesToFind(numAllNodes: number, percentageOfNodesToScore = 0): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) return numAllNodes;
  let percentage = percentageOfNodesToScore;
  if (percentage <= 0) percentage = Math.max(50 - Math.trunc(numAllNodes / 125), MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND);
  if (percentage >= 100) return numAllNodes;
  return Math.max(Math.trunc((numAllNodes * percentage) / 100), MIN_FEASIBLE_NODES_TO_FIND);
}

/** Runs the chain on one node: the first failing filter's status, or undefined. */
export function runFilters(profile: Profile, state: CycleState, pod: PodInfo, node: NodeInfo): Status | undefined {
  for (const f of profile.filters) {
    const s = f.filter(state, pod, node);
    if (s) return s;
  }
  return undefined;
}

export interface ScheduleResult {
  node: string;
  evaluatedNodes: number;
  feasibleNodes: number;
}

export class GenericScheduler {
  private nextStartNodeIndex = 0;

  constructor(
    private readonly profile: Profile,
    private readonly random: () => number = Math.random,
    private readonly percentageOfNodesToScore = 0,
  ) {}

  /** Picks a node for `pod` among `nodes`; throws FitError or NoNodesAvailableError. */
  schedule(pod: PodInfo, nodes: readonly NodeInfo[]): ScheduleResult {
    if (nodes.length === 0) throw new NoNodesAvailableError();
    const state = new CycleState();
    for (const f of this.profile.filters) f.preFilter?.(state, pod, nodes);
    const { feasible, diagnosis, processed } = this.findNodesThatPassFilters(state, pod, nodes);
    if (feasible.length === 0) {
      const post = preemptionMessage(pod, nodes, diagnosis.nodeToStatus, (n) => runFilters(this.profile, state, pod, n));
      throw new FitError(pod, nodes.length, diagnosis, post);
    }
    if (feasible.length === 1) return { node: feasible[0]!.name, evaluatedNodes: processed, feasibleNodes: 1 };
    const scores = this.prioritizeNodes(state, pod, feasible);
    return { node: feasible[this.selectHost(scores)]!.name, evaluatedNodes: processed, feasibleNodes: feasible.length };
  }

  private findNodesThatPassFilters(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]) {
    const want = numFeasibleNodesToFind(nodes.length, this.percentageOfNodesToScore);
    const feasible: NodeInfo[] = [];
    const diagnosis: Diagnosis = { nodeToStatus: new Map(), unschedulablePlugins: new Set() };
    const n = nodes.length;
    const start = this.nextStartNodeIndex % n;
    let processed = 0;
    while (processed < n && feasible.length < want) {
      const node = nodes[(start + processed) % n]!;
      processed++;
      const status = runFilters(this.profile, state, pod, node);
      if (!status) feasible.push(node);
      else {
        diagnosis.nodeToStatus.set(node.name, status);
        diagnosis.unschedulablePlugins.add(status.plugin);
      }
    }
    this.nextStartNodeIndex = (start + processed) % n;
    return { feasible, diagnosis, processed };
  }

  /** The weighted sum of every score plugin for each feasible node. */
  prioritizeNodes(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[]): number[] {
    const total = new Array<number>(nodes.length).fill(0);
    const raw = new Array<number>(nodes.length);
    for (const { plugin, weight } of this.profile.scores) {
      if (plugin.preScore && !plugin.preScore(state, pod, nodes)) continue;
      for (let i = 0; i < nodes.length; i++) raw[i] = plugin.score(state, pod, nodes[i]!);
      plugin.normalize?.(state, pod, nodes, raw);
      for (let i = 0; i < nodes.length; i++) total[i]! += raw[i]! * weight;
    }
    return total;
  }

  /** Index of the highest score; among equals each is chosen with equal chance (reservoir sampling). */
  selectHost(scores: readonly number[]): number {
    let best = 0;
    let ties = 1;
    for (let i = 1; i < scores.length; i++) {
      if (scores[i]! > scores[best]!) {
        best = i;
        ties = 1;
      } else if (scores[i] === scores[best]) {
        ties++;
        if (Math.floor(this.random() * ties) === 0) best = i;
      }
    }
    return best;
  }
}
