// The Endpoints a Service's pods make: which pod counts (pkg/controller/util/endpoint
// ShouldPodBeInEndpoints), which port a service port means on a pod (podutil.FindPort),
// the address a pod contributes, and the repacking of per-pod subsets into the N-to-M
// form the API wants (pkg/api/v1/endpoints RepackSubsets, SortSubsets).
import type { KubeObject } from '../../shared/types.js';

export interface ObjectReference {
  kind: string;
  namespace?: string;
  name?: string;
  uid?: string;
}

export interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef?: ObjectReference;
}

export interface EndpointPort {
  name?: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}

export interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: EndpointPort[];
}

export interface ServicePort {
  name?: string;
  port: number;
  protocol?: string;
  appProtocol?: string;
  targetPort?: number | string;
}

/** Endpoints objects hold at most this many addresses (endpoints.kubernetes.io/over-capacity). */
export const MAX_ENDPOINTS_CAPACITY = 1000;

export function isPodReady(pod: KubeObject): boolean {
  const conds: { type?: string; status?: string }[] = pod.status?.conditions ?? [];
  return conds.some((c) => c.type === 'Ready' && c.status === 'True');
}

export function isPodTerminal(pod: KubeObject): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/** ShouldPodBeInEndpoints: not terminal, has an IP, and not terminating unless asked. */
export function shouldPodBeInEndpoints(pod: KubeObject, includeTerminating: boolean): boolean {
  if (isPodTerminal(pod)) return false;
  if (!pod.status?.podIP && !(pod.status?.podIPs?.length > 0)) return false;
  if (!includeTerminating && pod.metadata.deletionTimestamp) return false;
  return true;
}

/** podutil.FindPort: a numeric targetPort as is; a named one looked up in the pod's container ports. */
export function findPort(pod: KubeObject, svcPort: ServicePort): number | undefined {
  const target = svcPort.targetPort ?? svcPort.port;
  if (typeof target === 'number') return target;
  const protocol = svcPort.protocol ?? 'TCP';
  const containers: { ports?: { name?: string; containerPort: number; protocol?: string }[]; restartPolicy?: string }[] = [
    ...(pod.spec?.containers ?? []),
    // Restartable init containers (sidecars) serve ports too.
    ...(pod.spec?.initContainers ?? []).filter((c: { restartPolicy?: string }) => c.restartPolicy === 'Always'),
  ];
  for (const c of containers) {
    for (const p of c.ports ?? []) {
      if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
    }
  }
  return undefined;
}

/** The address a pod contributes to a service's Endpoints. */
export function podToEndpointAddress(pod: KubeObject, service: KubeObject): EndpointAddress {
  const addr: EndpointAddress = { ip: pod.status?.podIP ?? pod.status.podIPs[0].ip };
  const hostname: string | undefined = pod.spec?.hostname;
  if (hostname && pod.spec?.subdomain === service.metadata.name && pod.metadata.namespace === service.metadata.namespace) addr.hostname = hostname;
  if (pod.spec?.nodeName) addr.nodeName = pod.spec.nodeName;
  addr.targetRef = { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid };
  return addr;
}

export function endpointPortFromServicePort(svcPort: ServicePort, port: number): EndpointPort {
  return {
    ...(svcPort.name ? { name: svcPort.name } : {}),
    port,
    protocol: svcPort.protocol ?? 'TCP',
    ...(svcPort.appProtocol ? { appProtocol: svcPort.appProtocol } : {}),
  };
}

const portKey = (p: EndpointPort) => `${p.name ?? ''}\u0000${p.port}\u0000${p.protocol}\u0000${p.appProtocol ?? ''}`;
const addrKey = (a: EndpointAddress) => `${a.ip}\u0000${a.targetRef?.uid ?? ''}`;
const SENTINEL: EndpointPort = { port: -1, protocol: '' };

/**
 * RepackSubsets: maps each port to the addresses offering it (not-ready trumps ready
 * for an address seen twice), groups ports served by the same address set, and sorts.
 */
export function repackSubsets(subsets: EndpointSubset[]): EndpointSubset[] {
  const allAddrs = new Map<string, EndpointAddress>();
  const portToAddrs = new Map<string, { port: EndpointPort; addrs: Map<string, boolean> }>();
  const map = (addr: EndpointAddress, port: EndpointPort, ready: boolean) => {
    const k = addrKey(addr);
    if (!allAddrs.has(k)) allAddrs.set(k, addr);
    const pk = portKey(port);
    let entry = portToAddrs.get(pk);
    if (!entry) portToAddrs.set(pk, (entry = { port, addrs: new Map() }));
    const was = entry.addrs.get(k);
    if (was === undefined || was) entry.addrs.set(k, ready);
  };
  for (const s of subsets) {
    const ports = s.ports?.length ? s.ports : [SENTINEL];
    for (const port of ports) {
      for (const a of s.addresses ?? []) map(a, port, true);
      for (const a of s.notReadyAddresses ?? []) map(a, port, false);
    }
  }
  // Group the ports by the exact set of (address, ready) they are offered on.
  const groups = new Map<string, { addrs: Map<string, boolean>; ports: EndpointPort[] }>();
  for (const { port, addrs } of portToAddrs.values()) {
    const key = [...addrs].map(([k, r]) => `${k}\u0000${r}`).sort().join('\u0001');
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { addrs, ports: [] }));
    if (port.port > 0) g.ports.push(port);
  }
  const out: EndpointSubset[] = [];
  for (const g of groups.values()) {
    const ready: EndpointAddress[] = [];
    const notReady: EndpointAddress[] = [];
    for (const [k, r] of g.addrs) (r ? ready : notReady).push(allAddrs.get(k)!);
    const s: EndpointSubset = {};
    if (ready.length) s.addresses = ready;
    if (notReady.length) s.notReadyAddresses = notReady;
    if (g.ports.length) s.ports = g.ports;
    out.push(s);
  }
  return sortSubsets(out);
}

/** LessEndpointAddress: by IP bytes, then by target UID. */
export function compareAddresses(a: EndpointAddress, b: EndpointAddress): number {
  if (a.ip !== b.ip) return a.ip < b.ip ? -1 : 1;
  const ua = a.targetRef?.uid ?? '';
  const ub = b.targetRef?.uid ?? '';
  return ua < ub ? -1 : ua > ub ? 1 : 0;
}

function comparePorts(a: EndpointPort, b: EndpointPort): number {
  const ka = portKey(a);
  const kb = portKey(b);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/**
 * SortSubsets: addresses and ports sorted within each subset, then the subsets. Kubernetes
 * orders ports and subsets by a hash of their contents; any stable total order does what
 * it is for (an unchanged set of endpoints serializes identically), so this one is readable.
 */
export function sortSubsets(subsets: EndpointSubset[]): EndpointSubset[] {
  for (const s of subsets) {
    s.addresses?.sort(compareAddresses);
    s.notReadyAddresses?.sort(compareAddresses);
    s.ports?.sort(comparePorts);
  }
  const first = (s: EndpointSubset) => (s.addresses ?? s.notReadyAddresses ?? [])[0];
  return subsets.sort((a, b) => {
    const fa = first(a);
    const fb = first(b);
    if (fa && fb) {
      const c = compareAddresses(fa, fb);
      if (c !== 0) return c;
    }
    const ka = JSON.stringify(a);
    const kb = JSON.stringify(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}

export function countAddresses(subsets: EndpointSubset[]): { ready: number; notReady: number } {
  let ready = 0;
  let notReady = 0;
  for (const s of subsets) {
    ready += s.addresses?.length ?? 0;
    notReady += s.notReadyAddresses?.length ?? 0;
  }
  return { ready, notReady };
}

/**
 * truncateEndpoints: keeps at most MAX_ENDPOINTS_CAPACITY addresses, ready ones first,
 * cutting each subset in proportion to its size. Returns whether anything was cut.
 */
export function truncateSubsets(subsets: EndpointSubset[], max = MAX_ENDPOINTS_CAPACITY): boolean {
  const { ready, notReady } = countAddresses(subsets);
  if (ready + notReady <= max) return false;
  const truncateReady = ready > max;
  const limit = truncateReady ? max : max - ready;
  const total = truncateReady ? ready : notReady;
  let canBeAdded = limit;
  for (const s of subsets) {
    const list = (truncateReady ? s.addresses : s.notReadyAddresses) ?? [];
    const allowed = Math.min(Math.ceil((list.length / total) * limit), canBeAdded, list.length);
    if (truncateReady) {
      delete s.notReadyAddresses;
      if (s.addresses) s.addresses = s.addresses.slice(0, allowed);
    } else if (s.notReadyAddresses) {
      s.notReadyAddresses = s.notReadyAddresses.slice(0, allowed);
    }
    if (s.addresses?.length === 0) delete s.addresses;
    if (s.notReadyAddresses?.length === 0) delete s.notReadyAddresses;
    canBeAdded -= allowed;
  }
  return true;
}
