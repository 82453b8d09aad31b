// The pod quota evaluator (pkg/quota/v1/evaluator/core/pods.go): what a pod charges
// against a ResourceQuota, which quota scopes select it, and the backward-compatible
// rule that a quota on cpu or memory makes every container state that resource.
import { computePodQOS } from '../../registry/defaults.js';
import { isObj, objects } from '../interface.js';
import { add, count, fromJSON, max, type ResourceList } from './resource-list.js';

type Obj = Record<string, any>;

const POD_RESOURCES = new Set([
  'count/pods', 'cpu', 'memory', 'ephemeral-storage',
  'requests.cpu', 'requests.memory', 'requests.ephemeral-storage',
  'limits.cpu', 'limits.memory', 'limits.ephemeral-storage', 'pods',
]);

/** Resources for which a quota requires each container to state a request or limit. */
const VALIDATION_SET = new Set(['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory']);

/** An extended resource (`example.com/gpu`): has a domain that is not kubernetes.io's, and is not `requests.`/`limits.` of one. */
function isExtendedResourceName(name: string): boolean {
  if (name.startsWith('requests.') || name.startsWith('limits.')) return false;
  if (!name.includes('/')) return false;
  const domain = name.split('/')[0]!;
  return domain !== 'kubernetes.io' && !domain.endsWith('.kubernetes.io');
}

export function podMatchingResources(names: string[]): string[] {
  return names.filter(
    (n) =>
      POD_RESOURCES.has(n) ||
      n.startsWith('hugepages-') ||
      n.startsWith('requests.hugepages-') ||
      (n.startsWith('requests.') && isExtendedResourceName(n.slice('requests.'.length))),
  );
}

/** The usage of one container's requests and limits (podComputeUsageHelper). */
export function computeUsage(requests: ResourceList, limits: ResourceList): ResourceList {
  const out: ResourceList = new Map([['pods', count(1)]]);
  for (const [base, full] of [['cpu', 'cpu'], ['memory', 'memory'], ['ephemeral-storage', 'ephemeral-storage']] as const) {
    const req = requests.get(base);
    if (req) {
      out.set(full, req);
      out.set(`requests.${base}`, req);
    }
    const lim = limits.get(base);
    if (lim) out.set(`limits.${base}`, lim);
  }
  for (const [name, req] of requests) {
    if (name.startsWith('hugepages-')) {
      out.set(name, req);
      out.set(`requests.${name}`, req);
    }
    if (isExtendedResourceName(name)) out.set(`requests.${name}`, req);
  }
  return out;
}

/** resourcehelper.PodRequests / PodLimits: containers summed, init containers as a floor, sidecars added, plus overhead. */
export function podResources(spec: Obj, which: 'requests' | 'limits'): ResourceList {
  const of = (c: Obj) => fromJSON(isObj(c.resources) ? c.resources[which] : undefined);
  let total: ResourceList = new Map();
  for (const c of objects(spec.containers)) total = add(total, of(c));
  let sidecars: ResourceList = new Map();
  let initFloor: ResourceList = new Map();
  for (const c of objects(spec.initContainers)) {
    let use: ResourceList;
    if (c.restartPolicy === 'Always') {
      total = add(total, of(c));
      sidecars = add(sidecars, of(c));
      use = sidecars;
    } else use = add(of(c), sidecars);
    initFloor = max(initFloor, use);
  }
  total = max(total, initFloor);
  if (isObj(spec.overhead)) total = add(total, fromJSON(spec.overhead));
  return total;
}

/** QuotaV1Pod: terminal pods, and pods past their deletion grace period, no longer use compute quota. */
export function podCountsForQuota(pod: Obj, now: Date): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  const meta = pod.metadata ?? {};
  if (meta.deletionTimestamp && typeof meta.deletionGracePeriodSeconds === 'number') {
    const end = Date.parse(meta.deletionTimestamp) + meta.deletionGracePeriodSeconds * 1000;
    if (now.getTime() > end) return false;
  }
  return true;
}

/** PodUsageFunc: count/pods always; pods and compute resources while the pod is alive. */
export function podUsage(pod: Obj, now: Date): ResourceList {
  const out: ResourceList = new Map([['count/pods', count(1)]]);
  if (!podCountsForQuota(pod, now)) return out;
  const spec = isObj(pod.spec) ? pod.spec : {};
  return add(out, computeUsage(podResources(spec, 'requests'), podResources(spec, 'limits')));
}

/**
 * The pod evaluator's Constraints: when a quota tracks cpu or memory, every container
 * must state it. Returns upstream's `must specify limits.cpu for: a,b; …` or undefined.
 */
export function podConstraints(required: string[], pod: Obj): string | undefined {
  const need = required.filter((r) => VALIDATION_SET.has(r));
  if (need.length === 0) return undefined;
  const missing = new Map<string, Set<string>>();
  const spec = isObj(pod.spec) ? pod.spec : {};
  for (const c of [...objects(spec.containers), ...objects(spec.initContainers)]) {
    const res = isObj(c.resources) ? c.resources : {};
    const usage = computeUsage(fromJSON(res.requests), fromJSON(res.limits));
    for (const r of need) {
      if (usage.has(r)) continue;
      if (!missing.has(r)) missing.set(r, new Set());
      missing.get(r)!.add(String(c.name));
    }
  }
  if (missing.size === 0) return undefined;
  const parts = [...missing.keys()].sort().map((r) => `${r} for: ${[...missing.get(r)!].sort().join(',')}`);
  return `must specify ${parts.join('; ')}`;
}

export interface ScopeSelector {
  scopeName: string;
  operator: string;
  values?: string[];
}

function isTerminating(spec: Obj): boolean {
  return typeof spec.activeDeadlineSeconds === 'number' && spec.activeDeadlineSeconds >= 0;
}

function usesCrossNamespacePodAffinity(spec: Obj): boolean {
  const aff = isObj(spec.affinity) ? spec.affinity : {};
  for (const kind of ['podAffinity', 'podAntiAffinity']) {
    const a = isObj(aff[kind]) ? aff[kind] : {};
    const terms = [
      ...objects(a.requiredDuringSchedulingIgnoredDuringExecution),
      ...objects(a.preferredDuringSchedulingIgnoredDuringExecution).map((w) => (isObj(w.podAffinityTerm) ? w.podAffinityTerm : {})),
    ];
    if (terms.some((t) => (Array.isArray(t.namespaces) && t.namespaces.length > 0) || isObj(t.namespaceSelector))) return true;
  }
  return false;
}

/** podMatchesScopeFunc. */
export function podMatchesScope(sel: ScopeSelector, pod: Obj): boolean {
  const spec = isObj(pod.spec) ? pod.spec : {};
  switch (sel.scopeName) {
    case 'Terminating':
      return isTerminating(spec);
    case 'NotTerminating':
      return !isTerminating(spec);
    case 'BestEffort':
      return computePodQOS(spec) === 'BestEffort';
    case 'NotBestEffort':
      return computePodQOS(spec) !== 'BestEffort';
    case 'PriorityClass': {
      const cls = typeof spec.priorityClassName === 'string' ? spec.priorityClassName : '';
      if (sel.operator === 'Exists') return cls !== '';
      if (sel.operator === 'In') return (sel.values ?? []).includes(cls);
      if (sel.operator === 'NotIn') return !(sel.values ?? []).includes(cls);
      return false;
    }
    case 'CrossNamespacePodAffinity':
      return usesCrossNamespacePodAffinity(spec);
    default:
      return false;
  }
}
