// What the scheduler needs to know about a pod, computed once when the pod enters the
// cache or the queue (upstream's framework.PodInfo and resourcehelper.PodRequests), so
// that the per-node checks are plain arithmetic and lookups.
import { parseCpuMillis, parseQuantityValue } from '../shared/quantity.js';
import { fromMetaSelector, type LabelSelector, type MetaLabelSelector } from '../shared/selectors.js';
import type { KubeObject } from '../shared/types.js';

/** Requests of containers that name none: schedutil.DefaultMilliCPURequest / DefaultMemoryRequest. */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

export interface Resource {
  milliCPU: number;
  memory: number;
  ephemeralStorage: number;
  /** Extended resources, hugepages and the like, by name. */
  scalar: Map<string, number>;
}

export interface HostPort {
  ip: string;
  protocol: string;
  port: number;
}

export interface Toleration {
  key?: string;
  operator?: 'Equal' | 'Exists';
  value?: string;
  effect?: string;
  tolerationSeconds?: number;
}

/** A PodAffinityTerm resolved against its pod: which pods it selects, over which topology. */
export interface AffinityTerm {
  /** null: every namespace. */
  namespaces: Set<string> | null;
  /** null: no pod (a term without labelSelector selects nothing). */
  selector: LabelSelector | null;
  topologyKey: string;
}

export interface PodInfo {
  pod: KubeObject;
  uid: string;
  /** namespace/name */
  key: string;
  namespace: string;
  labels: Record<string, string>;
  requests: Resource;
  /** Requests with the defaults for containers that name none; what scoring counts. */
  nonZeroMilliCPU: number;
  nonZeroMemory: number;
  hostPorts: HostPort[];
  tolerations: Toleration[];
  requiredAntiAffinity: AffinityTerm[];
  /** uid of the controlling owner (ReplicaSet, StatefulSet, …), for spreading. */
  controllerUID?: string;
  priority: number;
  terminating: boolean;
}

export function emptyResource(): Resource {
  return { milliCPU: 0, memory: 0, ephemeralStorage: 0, scalar: new Map() };
}

type ResourceList = Record<string, string | number> | undefined;

interface Container {
  resources?: { requests?: ResourceList };
  ports?: { hostPort?: number; hostIP?: string; protocol?: string }[];
  restartPolicy?: string;
}

function quantity(name: string, v: string | number): number {
  try {
    return name === 'cpu' ? parseCpuMillis(v) : parseQuantityValue(v);
  } catch {
    return 0; // the apiserver validates quantities; a malformed one counts as nothing
  }
}

/** A container's requests as a name → base-unit map (cpu in millicores). */
function requestMap(c: Container, nonZero: boolean): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, v] of Object.entries(c.resources?.requests ?? {})) out.set(name, quantity(name, v));
  if (nonZero) {
    if (!out.has('cpu')) out.set('cpu', DEFAULT_MILLI_CPU_REQUEST);
    if (!out.has('memory')) out.set('memory', DEFAULT_MEMORY_REQUEST);
  }
  return out;
}

function add(into: Map<string, number>, from: Map<string, number>): void {
  for (const [k, v] of from) into.set(k, (into.get(k) ?? 0) + v);
}

function max(into: Map<string, number>, from: Map<string, number>): void {
  for (const [k, v] of from) if (v > (into.get(k) ?? 0)) into.set(k, v);
}

/**
 * resourcehelper.PodRequests: the sum of the containers, at least the largest init
 * container (restartable "sidecar" init containers keep running, so they add up), plus
 * the pod overhead.
 */
export function podRequests(spec: { containers?: Container[]; initContainers?: Container[]; overhead?: ResourceList }, nonZero: boolean): Map<string, number> {
  const reqs = new Map<string, number>();
  for (const c of spec.containers ?? []) add(reqs, requestMap(c, nonZero));
  const sidecars = new Map<string, number>();
  const initMax = new Map<string, number>();
  for (const c of spec.initContainers ?? []) {
    let r = requestMap(c, nonZero);
    if (c.restartPolicy === 'Always') {
      add(reqs, r);
      add(sidecars, r);
      r = new Map(sidecars);
    } else {
      const withSidecars = new Map(r);
      add(withSidecars, sidecars);
      r = withSidecars;
    }
    max(initMax, r);
  }
  max(reqs, initMax);
  for (const [name, v] of Object.entries(spec.overhead ?? {})) reqs.set(name, (reqs.get(name) ?? 0) + quantity(name, v));
  return reqs;
}

export function toResource(m: Map<string, number>): Resource {
  const r = emptyResource();
  for (const [name, v] of m) {
    if (name === 'cpu') r.milliCPU = v;
    else if (name === 'memory') r.memory = v;
    else if (name === 'ephemeral-storage') r.ephemeralStorage = v;
    else if (name !== 'pods' && v > 0) r.scalar.set(name, v);
  }
  return r;
}

/** Host ports the pod's containers (and sidecar init containers) claim on their node. */
export function hostPortsOf(spec: { containers?: Container[]; initContainers?: Container[] }): HostPort[] {
  const out: HostPort[] = [];
  const containers = [...(spec.containers ?? []), ...(spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always')];
  for (const c of containers) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort || p.hostPort <= 0) continue;
      out.push({ ip: p.hostIP || '0.0.0.0', protocol: p.protocol || 'TCP', port: p.hostPort });
    }
  }
  return out;
}

interface RawAffinityTerm {
  labelSelector?: MetaLabelSelector | null;
  namespaces?: string[];
  namespaceSelector?: MetaLabelSelector | null;
  topologyKey?: string;
}

export function affinityTerm(namespace: string, t: RawAffinityTerm): AffinityTerm {
  let namespaces: Set<string> | null = new Set(t.namespaces ?? []);
  const nsSel = t.namespaceSelector;
  // An empty namespaceSelector ({}) selects every namespace; with neither field the
  // term is about the pod's own namespace.
  if (nsSel && !nsSel.matchLabels && !(nsSel.matchExpressions ?? []).length) namespaces = null;
  else if (!nsSel && namespaces.size === 0) namespaces.add(namespace);
  return { namespaces, selector: t.labelSelector ? fromMetaSelector(t.labelSelector) : null, topologyKey: t.topologyKey ?? '' };
}

export function newPodInfo(pod: KubeObject): PodInfo {
  const spec = pod.spec ?? {};
  const namespace = pod.metadata.namespace ?? '';
  const nonZero = podRequests(spec, true);
  const anti: RawAffinityTerm[] = spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
  return {
    pod,
    uid: pod.metadata.uid ?? `${namespace}/${pod.metadata.name}`,
    key: `${namespace}/${pod.metadata.name}`,
    namespace,
    labels: pod.metadata.labels ?? {},
    requests: toResource(podRequests(spec, false)),
    nonZeroMilliCPU: nonZero.get('cpu') ?? 0,
    nonZeroMemory: nonZero.get('memory') ?? 0,
    hostPorts: hostPortsOf(spec),
    tolerations: spec.tolerations ?? [],
    requiredAntiAffinity: anti.map((t) => affinityTerm(namespace, t)),
    controllerUID: pod.metadata.ownerReferences?.find((r) => r.controller)?.uid,
    priority: typeof spec.priority === 'number' ? spec.priority : 0,
    terminating: Boolean(pod.metadata.deletionTimestamp),
  };
}
