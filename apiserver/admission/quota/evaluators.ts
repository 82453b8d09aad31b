// Quota evaluators (pkg/quota/v1/evaluator/core and generic): for each resource, which
// quota resource names it charges, what one object uses, which quota scopes select it
// and on which operations it can change usage. Shared by the ResourceQuota admission
// plugin (the charge of one write) and the resourcequota controller (the sum of all).
import type { KubeObject } from '../../../shared/types.js';
import type { Operation } from '../interface.js';
import { isObj, objects } from '../interface.js';
import { podConstraints, podMatchesScope, podMatchingResources, podUsage, type ScopeSelector } from './pods.js';
import { amount, count, type ResourceList } from './resource-list.js';

export interface Evaluator {
  /** The names among `names` this evaluator accounts for. */
  matchingResources(names: string[]): string[];
  /** Whether a quota scope selects the object; evaluators without scopes select nothing scoped. */
  matchesScope(sel: ScopeSelector, obj: KubeObject): boolean;
  usage(obj: KubeObject, now: Date): ResourceList;
  /** Operations on which the object's usage can change. */
  handles(op: Operation): boolean;
  /** An error text when the object does not state what the quota requires. */
  constraints(required: string[], obj: KubeObject): string | undefined;
}

/** Object-count names that predate `count/…`. */
const LEGACY_COUNT: Record<string, string> = {
  configmaps: 'configmaps',
  secrets: 'secrets',
  resourcequotas: 'resourcequotas',
  replicationcontrollers: 'replicationcontrollers',
};

const STORAGE_CLASS_SUFFIX = '.storageclass.storage.k8s.io/';

/** `count/deployments.apps`, `count/pods`. */
export function countName(group: string, plural: string): string {
  return group ? `count/${plural}.${group}` : `count/${plural}`;
}

const noScope = () => false;
const none = () => undefined;

function objectCount(group: string, plural: string): Evaluator {
  const names = new Set([countName(group, plural)]);
  if (!group && LEGACY_COUNT[plural]) names.add(LEGACY_COUNT[plural]);
  return {
    matchingResources: (input) => input.filter((n) => names.has(n)),
    matchesScope: noScope,
    usage: () => new Map([...names].map((n) => [n, count(1)])),
    handles: (op) => op === 'CREATE',
    constraints: none,
  };
}

const SERVICE_RESOURCES = new Set(['count/services', 'services', 'services.loadbalancers', 'services.nodeports']);

const services: Evaluator = {
  matchingResources: (input) => input.filter((n) => SERVICE_RESOURCES.has(n)),
  matchesScope: noScope,
  usage: (svc) => {
    const spec = isObj(svc.spec) ? svc.spec : {};
    const ports = objects(spec.ports);
    let nodePorts = 0;
    let loadBalancers = 0;
    if (spec.type === 'NodePort') nodePorts = ports.length;
    if (spec.type === 'LoadBalancer') {
      // Without node port allocation only the ports asking for one explicitly count.
      nodePorts = spec.allocateLoadBalancerNodePorts === false ? ports.filter((p) => typeof p.nodePort === 'number' && p.nodePort !== 0).length : ports.length;
      loadBalancers = 1;
    }
    return new Map([
      ['count/services', count(1)],
      ['services', count(1)],
      ['services.loadbalancers', count(loadBalancers)],
      ['services.nodeports', count(nodePorts)],
    ]);
  },
  handles: (op) => op === 'CREATE' || op === 'UPDATE',
  constraints: none,
};

function storageClassOf(pvc: KubeObject): string {
  const cls = pvc.spec?.storageClassName;
  if (typeof cls === 'string') return cls;
  const ann = pvc.metadata.annotations?.['volume.beta.kubernetes.io/storage-class'];
  return typeof ann === 'string' ? ann : '';
}

const persistentVolumeClaims: Evaluator = {
  matchingResources: (input) =>
    input.filter(
      (n) =>
        n === 'persistentvolumeclaims' ||
        n === 'count/persistentvolumeclaims' ||
        n === 'requests.storage' ||
        (n.includes(STORAGE_CLASS_SUFFIX) && (n.endsWith('/persistentvolumeclaims') || n.endsWith('/requests.storage'))),
    ),
  matchesScope: noScope,
  usage: (pvc) => {
    const out: ResourceList = new Map([
      ['persistentvolumeclaims', count(1)],
      ['count/persistentvolumeclaims', count(1)],
    ]);
    const cls = storageClassOf(pvc);
    if (cls) out.set(`${cls}${STORAGE_CLASS_SUFFIX}persistentvolumeclaims`, count(1));
    // The larger of what is asked and what a resize already allocated.
    const requested = amount(pvc.spec?.resources?.requests?.storage);
    const allocated = amount(pvc.status?.allocatedResources?.storage);
    const storage = requested && allocated ? (allocated.milli > requested.milli ? allocated : requested) : (requested ?? allocated);
    if (storage) {
      out.set('requests.storage', storage);
      if (cls) out.set(`${cls}${STORAGE_CLASS_SUFFIX}requests.storage`, storage);
    }
    return out;
  },
  handles: (op) => op === 'CREATE' || op === 'UPDATE',
  constraints: none,
};

const pods: Evaluator = {
  matchingResources: podMatchingResources,
  matchesScope: podMatchesScope,
  usage: (pod, now) => podUsage(pod, now),
  // Pod resources are immutable: only a create changes what a pod uses.
  handles: (op) => op === 'CREATE',
  constraints: podConstraints,
};

const generic = new Map<string, Evaluator>();

export function evaluatorFor(group: string, plural: string): Evaluator {
  if (!group) {
    if (plural === 'pods') return pods;
    if (plural === 'services') return services;
    if (plural === 'persistentvolumeclaims') return persistentVolumeClaims;
  }
  const key = `${group}/${plural}`;
  let e = generic.get(key);
  if (!e) generic.set(key, (e = objectCount(group, plural)));
  return e;
}

/** The scope selectors of a quota: spec.scopes as Exists, then spec.scopeSelector. */
export function scopeSelectors(quota: KubeObject): ScopeSelector[] {
  const out: ScopeSelector[] = [];
  for (const s of Array.isArray(quota.spec?.scopes) ? quota.spec.scopes : []) if (typeof s === 'string') out.push({ scopeName: s, operator: 'Exists' });
  for (const e of objects(quota.spec?.scopeSelector?.matchExpressions)) {
    out.push({ scopeName: String(e.scopeName), operator: String(e.operator), values: Array.isArray(e.values) ? e.values.map(String) : undefined });
  }
  return out;
}

/** generic.Matches: the quota constrains one of the evaluator's resources and every scope selects the object. */
export function quotaMatches(e: Evaluator, quota: KubeObject, hardNames: string[], obj: KubeObject): boolean {
  if (e.matchingResources(hardNames).length === 0) return false;
  return scopeSelectors(quota).every((s) => e.matchesScope(s, obj));
}
