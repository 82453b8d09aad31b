// What kube-proxy programs, computed from the Service and Endpoints objects alone: one
// ServicePort per (service, port), with its endpoints (Kubernetes' ServicePortName and
// endpointsInfo). Pure, so the rules are a function of these and nothing else.
import type { KubeObject } from '../shared/types.js';

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

export interface Endpoint {
  ip: string;
  port: number;
  ready: boolean;
  /** The endpoint runs on this node (for the Local traffic policies). */
  local: boolean;
}

export interface ServicePort {
  /** "namespace/name:portName" (Kubernetes' ServicePortName.String()). */
  name: string;
  namespace: string;
  service: string;
  portName: string;
  protocol: Protocol;
  clusterIPs: string[];
  port: number;
  nodePort?: number;
  /** status.loadBalancer.ingress IPs and spec.externalIPs: traffic to them is external traffic. */
  externalIPs: string[];
  loadBalancerIPs: string[];
  externalPolicyLocal: boolean;
  internalPolicyLocal: boolean;
  sessionAffinitySeconds?: number;
  endpoints: Endpoint[];
}

const PROTOCOLS = new Set<Protocol>(['TCP', 'UDP', 'SCTP']);

/** The service ports of one Service and its Endpoints (none for headless or ExternalName Services). */
export function servicePorts(svc: KubeObject, eps: KubeObject | undefined, nodeName: string): ServicePort[] {
  const spec = svc.spec ?? {};
  const clusterIP = String(spec.clusterIP ?? '');
  if (spec.type === 'ExternalName' || !clusterIP || clusterIP === 'None') return [];
  const clusterIPs = (Array.isArray(spec.clusterIPs) && spec.clusterIPs.length ? spec.clusterIPs : [clusterIP]).filter((ip: unknown) => typeof ip === 'string' && isIPv4(ip));
  const ingress = ((svc.status?.loadBalancer?.ingress ?? []) as { ip?: string }[]).map((i) => i.ip).filter((ip): ip is string => typeof ip === 'string' && isIPv4(ip));
  const externalIPs = ((spec.externalIPs ?? []) as unknown[]).filter((ip): ip is string => typeof ip === 'string' && isIPv4(ip));
  const affinity = spec.sessionAffinity === 'ClientIP' ? Number(spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? 10800) : undefined;
  const out: ServicePort[] = [];
  for (const p of (spec.ports ?? []) as { name?: string; protocol?: string; port: number; nodePort?: number; targetPort?: unknown }[]) {
    const protocol = (p.protocol ?? 'TCP') as Protocol;
    if (!PROTOCOLS.has(protocol)) continue;
    const portName = p.name ?? '';
    out.push({
      name: `${svc.metadata.namespace}/${svc.metadata.name}:${portName}`,
      namespace: svc.metadata.namespace ?? '',
      service: svc.metadata.name ?? '',
      portName,
      protocol,
      clusterIPs,
      port: p.port,
      ...(typeof p.nodePort === 'number' && p.nodePort > 0 && (spec.type === 'NodePort' || spec.type === 'LoadBalancer') ? { nodePort: p.nodePort } : {}),
      externalIPs,
      loadBalancerIPs: spec.type === 'LoadBalancer' ? ingress : [],
      externalPolicyLocal: spec.externalTrafficPolicy === 'Local' && (spec.type === 'NodePort' || spec.type === 'LoadBalancer' || externalIPs.length > 0),
      internalPolicyLocal: spec.internalTrafficPolicy === 'Local',
      ...(affinity !== undefined ? { sessionAffinitySeconds: affinity } : {}),
      endpoints: endpointsFor(eps, portName, protocol, nodeName),
    });
  }
  return out;
}

interface EndpointAddress {
  ip: string;
  nodeName?: string;
}

/** The endpoints of one service port: every address of the subsets that carry a port of that name and protocol. */
function endpointsFor(eps: KubeObject | undefined, portName: string, protocol: Protocol, nodeName: string): Endpoint[] {
  const out: Endpoint[] = [];
  const seen = new Set<string>();
  for (const s of (eps?.subsets ?? []) as { addresses?: EndpointAddress[]; notReadyAddresses?: EndpointAddress[]; ports?: { name?: string; port: number; protocol?: string }[] }[]) {
    const port = (s.ports ?? []).find((p) => (p.name ?? '') === portName && (p.protocol ?? 'TCP') === protocol);
    if (!port) continue;
    for (const [list, ready] of [[s.addresses, true], [s.notReadyAddresses, false]] as const) {
      for (const a of list ?? []) {
        if (!isIPv4(a.ip)) continue;
        const key = `${a.ip}:${port.port}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ ip: a.ip, port: port.port, ready, local: a.nodeName === nodeName });
      }
    }
  }
  return out.sort((a, b) => (a.ip === b.ip ? a.port - b.port : compareIPs(a.ip, b.ip)));
}

export function isIPv4(s: string): boolean {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

function compareIPs(a: string, b: string): number {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < 4; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return 0;
}
