// The cluster DNS's view of the API: Namespaces, Services and Endpoints reduced to what
// answers need, keyed for the lookups a query makes (namespace/name, and IP for PTR).
// Informer handlers call sync*(key, object-from-the-cache); a query never scans.
import type { KubeObject } from '../../shared/types.js';
import { canonicalIP, endpointHostname } from './names.js';

/** A port as DNS matches it: name and protocol lowercase; port -1 when none is declared. */
export interface DnsPort {
  name: string;
  protocol: string;
  port: number;
}

export interface ServiceEntry {
  namespace: string;
  name: string;
  kind: 'ClusterIP' | 'Headless' | 'ExternalName';
  clusterIPs: string[];
  externalIPs: string[];
  externalName: string;
  ports: DnsPort[];
  publishNotReadyAddresses: boolean;
}

export interface EndpointAddress {
  ip: string;
  /** endpointHostname(): the address's hostname, else its dashed IP. */
  hostname: string;
  ready: boolean;
  ports: DnsPort[];
}

export interface EndpointsEntry {
  namespace: string;
  name: string;
  addresses: EndpointAddress[];
}

/** The pseudo-port CoreDNS gives objects without ports: A records, no SRV. */
const NO_PORTS: DnsPort[] = [{ name: '', protocol: '', port: -1 }];

function ports(list: { name?: string; protocol?: string; port?: number }[] | undefined): DnsPort[] {
  if (!list || list.length === 0) return NO_PORTS;
  return list.map((p) => ({ name: (p.name ?? '').toLowerCase(), protocol: (p.protocol ?? 'TCP').toLowerCase(), port: p.port ?? -1 }));
}

export function toServiceEntry(svc: KubeObject): ServiceEntry {
  const spec = svc.spec ?? {};
  const clusterIP: string = spec.clusterIP ?? '';
  const kind = spec.type === 'ExternalName' ? 'ExternalName' : clusterIP === 'None' ? 'Headless' : 'ClusterIP';
  const rawIPs: string[] = kind === 'ClusterIP' ? (spec.clusterIPs?.length ? spec.clusterIPs : clusterIP ? [clusterIP] : []) : [];
  return {
    namespace: svc.metadata.namespace!.toLowerCase(),
    name: svc.metadata.name!.toLowerCase(),
    kind,
    clusterIPs: rawIPs.map(canonicalIP).filter((ip): ip is string => ip !== undefined),
    externalIPs: ((spec.externalIPs ?? []) as string[]).map(canonicalIP).filter((ip): ip is string => ip !== undefined),
    externalName: String(spec.externalName ?? '').replace(/\.$/, ''),
    ports: ports(spec.ports),
    publishNotReadyAddresses: spec.publishNotReadyAddresses === true,
  };
}

export function toEndpointsEntry(ep: KubeObject): EndpointsEntry {
  const addresses: EndpointAddress[] = [];
  for (const subset of (ep.subsets ?? []) as { addresses?: { ip: string; hostname?: string }[]; notReadyAddresses?: { ip: string; hostname?: string }[]; ports?: DnsPort[] }[]) {
    const p = ports(subset.ports);
    for (const [list, ready] of [[subset.addresses, true], [subset.notReadyAddresses, false]] as const) {
      for (const a of list ?? []) {
        const ip = canonicalIP(a.ip);
        if (ip) addresses.push({ ip, hostname: endpointHostname(a.hostname, ip), ready, ports: p });
      }
    }
  }
  return { namespace: ep.metadata.namespace!.toLowerCase(), name: ep.metadata.name!.toLowerCase(), addresses };
}

/** Adds or removes `key` under each of `values` in a multimap. */
function reindex(map: Map<string, Set<string>>, key: string, before: readonly string[], after: readonly string[]): void {
  for (const v of before) {
    const set = map.get(v);
    set?.delete(key);
    if (set?.size === 0) map.delete(v);
  }
  for (const v of after) {
    let set = map.get(v);
    if (!set) map.set(v, (set = new Set()));
    set.add(key);
  }
}

export class ClusterIndex {
  private readonly namespaces = new Set<string>();
  private readonly services = new Map<string, ServiceEntry>();
  private readonly endpoints = new Map<string, EndpointsEntry>();
  private readonly servicesByIP = new Map<string, Set<string>>();
  private readonly endpointsByIP = new Map<string, Set<string>>();
  /** Unix seconds of the last change: the SOA serial, as CoreDNS's Modified(). */
  serial: number;
  /** Until every informer has listed once, a missing name is SERVFAIL, not NXDOMAIN. */
  synced = false;

  constructor(private readonly now: () => number = Date.now) {
    this.serial = Math.floor(now() / 1000);
  }

  private touch(): void {
    this.serial = Math.floor(this.now() / 1000);
  }

  syncNamespace(name: string, ns: KubeObject | undefined): void {
    if (ns) this.namespaces.add(name.toLowerCase());
    else this.namespaces.delete(name.toLowerCase());
    this.touch();
  }

  syncService(key: string, svc: KubeObject | undefined): void {
    const k = key.toLowerCase();
    const old = this.services.get(k);
    const entry = svc ? toServiceEntry(svc) : undefined;
    if (entry) this.services.set(k, entry);
    else this.services.delete(k);
    reindex(this.servicesByIP, k, old ? [...old.clusterIPs, ...old.externalIPs] : [], entry ? [...entry.clusterIPs, ...entry.externalIPs] : []);
    this.touch();
  }

  syncEndpoints(key: string, ep: KubeObject | undefined): void {
    const k = key.toLowerCase();
    const old = this.endpoints.get(k);
    const entry = ep ? toEndpointsEntry(ep) : undefined;
    if (entry) this.endpoints.set(k, entry);
    else this.endpoints.delete(k);
    reindex(this.endpointsByIP, k, old ? old.addresses.map((a) => a.ip) : [], entry ? entry.addresses.map((a) => a.ip) : []);
    this.touch();
  }

  hasNamespace(name: string): boolean {
    return this.namespaces.has(name);
  }

  /** By lowercase `namespace/name`. */
  service(key: string): ServiceEntry | undefined {
    return this.services.get(key);
  }

  endpointsOf(key: string): EndpointsEntry | undefined {
    return this.endpoints.get(key);
  }

  servicesWithIP(ip: string): ServiceEntry[] {
    return [...(this.servicesByIP.get(ip) ?? [])].map((k) => this.services.get(k)!);
  }

  endpointsWithIP(ip: string): EndpointsEntry[] {
    return [...(this.endpointsByIP.get(ip) ?? [])].map((k) => this.endpoints.get(k)!);
  }

  get stats(): { namespaces: number; services: number; endpoints: number } {
    return { namespaces: this.namespaces.size, services: this.services.size, endpoints: this.endpoints.size };
  }
}

/** Whether DNS publishes an endpoint address: ready, or its Service publishes the not-ready. */
export function published(addr: EndpointAddress, svc: ServiceEntry | undefined): boolean {
  return addr.ready || svc?.publishNotReadyAddresses === true;
}
