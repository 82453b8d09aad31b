// A node as the scheduler sees it (upstream's framework.NodeInfo): its allocatable
// resources, taints and labels, and the running sums of what the pods bound or assumed
// there request, kept up to date pod by pod so that every filter is O(1) per node.
import { parseCpuMillis, parseQuantityValue } from '../shared/quantity.js';
import type { KubeObject } from '../shared/types.js';
import { emptyResource, type HostPort, type PodInfo, type Resource } from './pod-info.js';

export interface Taint {
  key: string;
  value?: string;
  effect: string;
}

export const TAINT_NOT_READY = 'node.kubernetes.io/not-ready';
export const TAINT_UNREACHABLE = 'node.kubernetes.io/unreachable';
export const TAINT_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';

export interface Allocatable extends Resource {
  pods: number;
}

function parseAllocatable(node: KubeObject): Allocatable {
  // Kubernetes defaults status.allocatable to status.capacity.
  const list: Record<string, string | number> = node.status?.allocatable ?? node.status?.capacity ?? {};
  const a: Allocatable = { ...emptyResource(), pods: 0 };
  for (const [name, v] of Object.entries(list)) {
    let n: number;
    try {
      n = name === 'cpu' ? parseCpuMillis(v) : parseQuantityValue(v);
    } catch {
      continue;
    }
    if (name === 'cpu') a.milliCPU = n;
    else if (name === 'memory') a.memory = n;
    else if (name === 'ephemeral-storage') a.ephemeralStorage = n;
    else if (name === 'pods') a.pods = n;
    else a.scalar.set(name, n);
  }
  return a;
}

/**
 * The taint a node that is not Ready carries. Kubernetes' node lifecycle controller (and
 * its admission plugin, at creation) taints such nodes; the scheduler only reads taints.
 * Deriving it here from the Ready condition keeps "node Ready" one rule with taints, so
 * a pod that tolerates not-ready (a DaemonSet's) still lands, as upstream.
 */
export function conditionTaint(node: KubeObject): Taint | undefined {
  const ready = (node.status?.conditions ?? []).find((c: { type?: string }) => c.type === 'Ready') as { status?: string } | undefined;
  if (ready?.status === 'True') return undefined;
  if (ready?.status === 'Unknown') return { key: TAINT_UNREACHABLE, effect: 'NoSchedule' };
  return { key: TAINT_NOT_READY, effect: 'NoSchedule' };
}

const portKey = (protocol: string, port: number) => `${protocol}/${port}`;

export class NodeInfo {
  node: KubeObject | undefined;
  labels: Record<string, string> = {};
  taints: Taint[] = [];
  unschedulable = false;
  allocatable: Allocatable = { ...emptyResource(), pods: 0 };
  readonly requested: Resource = emptyResource();
  nonZeroMilliCPU = 0;
  nonZeroMemory = 0;
  readonly pods = new Map<string, PodInfo>();
  podsWithRequiredAntiAffinity = 0;
  /** "TCP/80" → host IP → how many pods use it. */
  private readonly usedPorts = new Map<string, Map<string, number>>();
  /** controller uid → how many of its (non-terminating) pods are here. */
  private readonly controllerCounts = new Map<string, number>();

  constructor(readonly name: string) {}

  setNode(node: KubeObject): void {
    this.node = node;
    this.labels = node.metadata.labels ?? {};
    this.unschedulable = Boolean(node.spec?.unschedulable);
    this.allocatable = parseAllocatable(node);
    const taints: Taint[] = [...(node.spec?.taints ?? [])];
    const derived = conditionTaint(node);
    if (derived && !taints.some((t) => t.key === derived.key && t.effect === derived.effect)) taints.push(derived);
    this.taints = taints;
  }

  addPod(p: PodInfo): void {
    this.pods.set(p.uid, p);
    this.update(p, 1);
  }

  removePod(uid: string): PodInfo | undefined {
    const p = this.pods.get(uid);
    if (!p) return undefined;
    this.pods.delete(uid);
    this.update(p, -1);
    return p;
  }

  private update(p: PodInfo, sign: 1 | -1): void {
    const r = this.requested;
    r.milliCPU += sign * p.requests.milliCPU;
    r.memory += sign * p.requests.memory;
    r.ephemeralStorage += sign * p.requests.ephemeralStorage;
    for (const [name, v] of p.requests.scalar) r.scalar.set(name, (r.scalar.get(name) ?? 0) + sign * v);
    this.nonZeroMilliCPU += sign * p.nonZeroMilliCPU;
    this.nonZeroMemory += sign * p.nonZeroMemory;
    if (p.requiredAntiAffinity.length) this.podsWithRequiredAntiAffinity += sign;
    for (const hp of p.hostPorts) {
      const key = portKey(hp.protocol, hp.port);
      let ips = this.usedPorts.get(key);
      if (!ips) this.usedPorts.set(key, (ips = new Map()));
      const n = (ips.get(hp.ip) ?? 0) + sign;
      if (n > 0) ips.set(hp.ip, n);
      else ips.delete(hp.ip);
      if (ips.size === 0) this.usedPorts.delete(key);
    }
    if (p.controllerUID && !p.terminating) {
      const n = (this.controllerCounts.get(p.controllerUID) ?? 0) + sign;
      if (n > 0) this.controllerCounts.set(p.controllerUID, n);
      else this.controllerCounts.delete(p.controllerUID);
    }
  }

  /** HostPortInfo.CheckConflict: 0.0.0.0 conflicts with every address of the same port. */
  portConflict(hp: HostPort): boolean {
    const ips = this.usedPorts.get(portKey(hp.protocol, hp.port));
    if (!ips) return false;
    if (hp.ip === '0.0.0.0') return ips.size > 0;
    return ips.has(hp.ip) || ips.has('0.0.0.0');
  }

  controllerCount(uid: string): number {
    return this.controllerCounts.get(uid) ?? 0;
  }

  /** A copy whose pods can be removed without touching the cache (preemption's dry run). */
  clone(): NodeInfo {
    const c = new NodeInfo(this.name);
    if (this.node) c.setNode(this.node);
    for (const p of this.pods.values()) c.addPod(p);
    return c;
  }
}
