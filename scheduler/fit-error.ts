// Why a pod fits nowhere, in Kubernetes' words (framework.FitError.Error and the
// DefaultPreemption PostFilter message of 1.32): reasons counted per node, sorted as
// strings, then what preemption would make of each node. skiff does not preempt, so the
// preemption part only reports why preemption cannot help.
import type { NodeInfo } from './node-info.js';
import type { PodInfo } from './pod-info.js';
import type { Status } from './framework/types.js';

export const ERR_NO_NODES_AVAILABLE = 'no nodes available to schedule pods';
export const PREEMPTION_NOT_HELPFUL = 'Preemption is not helpful for scheduling';
export const NO_PREEMPTION_VICTIMS = 'No preemption victims found for incoming pod';

/** "0/3 nodes are available: 1 node(s) had untolerated taint {k: v}, 2 Insufficient cpu." */
export function formatFitError(numAllNodes: number, statuses: Iterable<Pick<Status, 'reasons'>>, postFilterMsg = ''): string {
  const counts = new Map<string, number>();
  for (const s of statuses) for (const r of s.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  // Go's sort.Strings: byte order of "<count> <reason>", so "10 …" sorts before "2 …".
  const parts = [...counts].map(([reason, n]) => `${n} ${reason}`).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let msg = `0/${numAllNodes} nodes are available:`;
  if (parts.length) msg += ` ${parts.join(', ')}.`;
  if (postFilterMsg) msg += ` ${postFilterMsg}`;
  return msg;
}

/** Event notes are capped at 1 KiB (truncateMessage); the condition keeps the whole text. */
export function truncateMessage(message: string, max = 1024): string {
  return message.length <= max ? message : `${message.slice(0, max - 4)} ...`;
}

export interface Diagnosis {
  /** The status of every node that was filtered out. */
  nodeToStatus: Map<string, Status>;
  /** Plugins that rejected some node: the cluster events that may help are theirs. */
  unschedulablePlugins: Set<string>;
}

export class FitError extends Error {
  constructor(
    readonly pod: PodInfo,
    readonly numAllNodes: number,
    readonly diagnosis: Diagnosis,
    readonly postFilterMsg: string,
  ) {
    super(formatFitError(numAllNodes, diagnosis.nodeToStatus.values(), postFilterMsg));
    this.name = 'FitError';
  }
}

/**
 * What DefaultPreemption's PostFilter says when it finds no victims: nodes rejected for
 * good (taints, affinity, cordon) are "not helpful"; a node without lower-priority pods
 * has "no victims"; on a node with some, the filters run again as if they were gone and
 * their reasons are reported if the pod still does not fit.
 */
export function preemptionMessage(pod: PodInfo, nodes: readonly NodeInfo[], nodeToStatus: Map<string, Status>, refilter: (node: NodeInfo) => Status | undefined): string {
  if (pod.pod.spec?.preemptionPolicy === 'Never') return 'preemption: not eligible due to preemptionPolicy=Never.';
  const statuses: Pick<Status, 'reasons'>[] = [];
  for (const node of nodes) {
    const status = nodeToStatus.get(node.name);
    if (!status || status.code === 'UnschedulableAndUnresolvable') {
      statuses.push({ reasons: [PREEMPTION_NOT_HELPFUL] });
      continue;
    }
    let without: NodeInfo | undefined;
    for (const p of node.pods.values()) {
      if (p.priority >= pod.priority) continue;
      without ??= node.clone();
      without.removePod(p.uid);
    }
    if (!without) {
      statuses.push({ reasons: [NO_PREEMPTION_VICTIMS] });
      continue;
    }
    // If it would fit once they are gone, Kubernetes would preempt them; skiff does
    // not, so the node keeps the reasons it was rejected for.
    statuses.push(refilter(without) ?? status);
  }
  return `preemption: ${formatFitError(nodes.length, statuses)}`;
}
