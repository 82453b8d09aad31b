// NodeAffinity: spec.nodeSelector and requiredDuringScheduling node affinity must match
// the node's labels (and metadata.name for matchFields); preferred terms add their
// weights to the node's score.
import type { NodeInfo } from '../node-info.js';
import type { PodInfo } from '../pod-info.js';
import { defaultNormalizeScore, unresolvable, type CycleState, type FilterPlugin, type ScorePlugin } from './types.js';

export const NAME = 'NodeAffinity';
export const ERR_REASON_POD = "node(s) didn't match Pod's node affinity/selector";

export interface NodeSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';
  values?: string[];
}

export interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}

const INTEGER = /^[+-]?\d+$/;

/** One requirement against a value that may be absent (labels.Requirement.Matches). */
export function matchesRequirement(r: NodeSelectorRequirement, has: boolean, value: string | undefined): boolean {
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return has && values.includes(value!);
    case 'NotIn':
      return !has || !values.includes(value!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      if (!has || values.length !== 1 || !INTEGER.test(value!) || !INTEGER.test(values[0]!)) return false;
      const l = BigInt(value!);
      const v = BigInt(values[0]!);
      return r.operator === 'Gt' ? l > v : l < v;
    }
    default:
      return false;
  }
}

/** A term matches when all its requirements do; a term with none matches no node. */
export function matchesTerm(term: NodeSelectorTerm, node: NodeInfo): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  for (const r of exprs) {
    const has = Object.prototype.hasOwnProperty.call(node.labels, r.key);
    if (!matchesRequirement(r, has, node.labels[r.key])) return false;
  }
  for (const r of fields) {
    if (r.key !== 'metadata.name' || !matchesRequirement(r, true, node.name)) return false;
  }
  return true;
}

/** The terms are ORed. */
export function matchesAnyTerm(terms: readonly NodeSelectorTerm[], node: NodeInfo): boolean {
  for (const t of terms) if (matchesTerm(t, node)) return true;
  return false;
}

interface Required {
  nodeSelector: [string, string][];
  /** undefined: no required node affinity. */
  terms: NodeSelectorTerm[] | undefined;
}

function required(state: CycleState, pod: PodInfo): Required {
  let r = state.read<Required>(NAME);
  if (!r) {
    const spec = pod.pod.spec ?? {};
    r = {
      nodeSelector: Object.entries((spec.nodeSelector ?? {}) as Record<string, string>),
      terms: spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms,
    };
    state.write(NAME, r);
  }
  return r;
}

/** GetRequiredNodeAffinity(pod).Match(node): nodeSelector and required terms both hold. */
export function matchesRequired(r: Required, node: NodeInfo): boolean {
  for (const [k, v] of r.nodeSelector) if (node.labels[k] !== v) return false;
  return r.terms === undefined || matchesAnyTerm(r.terms, node);
}

export const nodeAffinityFilter: FilterPlugin = {
  name: NAME,
  events: ['NodeAdd', 'NodeLabelChange'],
  preFilter(state, pod) {
    required(state, pod);
  },
  filter(state, pod, node) {
    return matchesRequired(required(state, pod), node) ? undefined : unresolvable(NAME, ERR_REASON_POD);
  },
};

interface Preferred {
  weight: number;
  preference: NodeSelectorTerm;
}

const PREFERRED = `${NAME}/preferred`;

export const nodeAffinityScore: ScorePlugin = {
  name: NAME,
  preScore(state, pod) {
    const terms: Preferred[] = pod.pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
    state.write(PREFERRED, terms);
    return terms.length > 0;
  },
  score(state, _pod, node) {
    let sum = 0;
    for (const t of state.read<Preferred[]>(PREFERRED) ?? []) if (t.weight && matchesTerm(t.preference, node)) sum += t.weight;
    return sum;
  },
  normalize(_state, _pod, _nodes, scores) {
    defaultNormalizeScore(scores, false);
  },
};
