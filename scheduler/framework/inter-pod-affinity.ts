// InterPodAffinity, the required anti-affinity half: a pod may not land in a topology
// domain (a node for kubernetes.io/hostname) that holds a pod its anti-affinity terms
// select, nor where an existing pod's anti-affinity terms select it.
import { matchesLabels } from '../../shared/selectors.js';
import type { NodeInfo } from '../node-info.js';
import type { AffinityTerm, PodInfo } from '../pod-info.js';
import { unschedulable, type CycleState, type FilterPlugin } from './types.js';

export const NAME = 'InterPodAffinity';
export const ERR_REASON_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";
export const ERR_REASON_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules";

/** Whether `term` (of a pod in its namespace) selects pod `p`. */
export function termSelects(term: AffinityTerm, p: PodInfo): boolean {
  if (term.namespaces && !term.namespaces.has(p.namespace)) return false;
  return term.selector !== null && matchesLabels(term.selector, p.labels);
}

/** topologyKey → the values of that key where the pod may not go. */
type Forbidden = Map<string, Set<string>>;

interface State {
  incoming: Forbidden;
  existing: Forbidden;
}

function forbid(f: Forbidden, key: string, value: string): void {
  let values = f.get(key);
  if (!values) f.set(key, (values = new Set()));
  values.add(value);
}

function inForbidden(f: Forbidden, node: NodeInfo): boolean {
  for (const [key, values] of f) {
    const v = node.labels[key];
    if (v !== undefined && values.has(v)) return true;
  }
  return false;
}

/** The domains the incoming pod's own terms rule out, and those existing pods' terms do. */
export function computeState(pod: PodInfo, nodes: readonly NodeInfo[]): State {
  const incoming: Forbidden = new Map();
  const existing: Forbidden = new Map();
  for (const node of nodes) {
    for (const term of pod.requiredAntiAffinity) {
      const value = node.labels[term.topologyKey];
      if (value === undefined || incoming.get(term.topologyKey)?.has(value)) continue;
      for (const other of node.pods.values()) {
        if (termSelects(term, other)) {
          forbid(incoming, term.topologyKey, value);
          break;
        }
      }
    }
    if (node.podsWithRequiredAntiAffinity === 0) continue;
    for (const other of node.pods.values()) {
      for (const term of other.requiredAntiAffinity) {
        const value = node.labels[term.topologyKey];
        if (value !== undefined && termSelects(term, pod)) forbid(existing, term.topologyKey, value);
      }
    }
  }
  return { incoming, existing };
}

export const interPodAffinity: FilterPlugin = {
  name: NAME,
  events: ['NodeAdd', 'NodeLabelChange', 'AssignedPodDelete', 'AssignedPodUpdate'],
  preFilter(state: CycleState, pod, nodes) {
    const s = computeState(pod, nodes);
    if (s.incoming.size || s.existing.size) state.write(NAME, s);
  },
  filter(state, _pod, node) {
    const s = state.read<State>(NAME);
    if (!s) return undefined;
    if (inForbidden(s.incoming, node)) return unschedulable(NAME, ERR_REASON_ANTI_AFFINITY);
    if (inForbidden(s.existing, node)) return unschedulable(NAME, ERR_REASON_EXISTING_ANTI_AFFINITY);
    return undefined;
  },
};
