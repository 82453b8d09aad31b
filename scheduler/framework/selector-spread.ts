// Spreading a controller's pods (upstream's SelectorSpread, and what PodTopologySpread's
// system defaults do today): the fewer pods of the same owner a node (and its zone)
// already has, the higher it scores.
import { MAX_NODE_SCORE, type ScorePlugin } from './types.js';
import type { NodeInfo } from '../node-info.js';

export const NAME = 'SelectorSpread';
const ZONE_WEIGHTING = 2 / 3;

export function zoneKey(node: NodeInfo): string {
  const zone = node.labels['topology.kubernetes.io/zone'] ?? node.labels['failure-domain.beta.kubernetes.io/zone'];
  if (!zone) return '';
  const region = node.labels['topology.kubernetes.io/region'] ?? node.labels['failure-domain.beta.kubernetes.io/region'] ?? '';
  return `${region}:\u0000:${zone}`;
}

/** Raw scores are pod counts; turns them into "fewer is better" with zones weighing 2/3. */
export function spreadNormalize(nodes: readonly NodeInfo[], scores: number[]): void {
  let maxByNode = 0;
  const byZone = new Map<string, number>();
  for (let i = 0; i < nodes.length; i++) {
    const count = scores[i]!;
    if (count > maxByNode) maxByNode = count;
    const zone = zoneKey(nodes[i]!);
    if (zone) byZone.set(zone, (byZone.get(zone) ?? 0) + count);
  }
  let maxByZone = 0;
  for (const n of byZone.values()) if (n > maxByZone) maxByZone = n;
  for (let i = 0; i < nodes.length; i++) {
    let f = maxByNode > 0 ? (MAX_NODE_SCORE * (maxByNode - scores[i]!)) / maxByNode : MAX_NODE_SCORE;
    const zone = byZone.size ? zoneKey(nodes[i]!) : '';
    if (zone) {
      const zoneScore = maxByZone > 0 ? (MAX_NODE_SCORE * (maxByZone - byZone.get(zone)!)) / maxByZone : MAX_NODE_SCORE;
      f = f * (1 - ZONE_WEIGHTING) + ZONE_WEIGHTING * zoneScore;
    }
    scores[i] = Math.trunc(f);
  }
}

export const selectorSpread: ScorePlugin = {
  name: NAME,
  preScore: (_state, pod) => pod.controllerUID !== undefined,
  score: (_state, pod, node) => node.controllerCount(pod.controllerUID!),
  normalize: (_state, _pod, nodes, scores) => spreadNormalize(nodes, scores),
};
