// A load balancer for clusters without a cloud, as k3s' ServiceLB: a Service of type
// LoadBalancer gets the InternalIPs of the Ready nodes as its status.loadBalancer.ingress
// (kube-proxy then serves its ports on those addresses), or, with --lb-ip-pool, an address
// of that pool of its own (kube-proxy on every node answers for it). A Service that stops
// being a LoadBalancer gives its ingress back.
import type { Logger } from 'pino';
import type { Client } from '../../shared/client.js';
import { isApiError } from '../../shared/errors.js';
import { R } from '../../shared/resources.js';
import type { KubeObject } from '../../shared/types.js';

export { poolAddresses } from '../../shared/cidr.js';

export interface ServiceLBDeps {
  client: Client;
  log: Logger;
  getService(key: string): KubeObject | undefined;
  services(): KubeObject[];
  nodes(): KubeObject[];
  /** --lb-ip-pool: its addresses, in order (empty: node addresses). */
  pool: string[];
}

export function isReadyNode(n: KubeObject): boolean {
  const ready = ((n.status?.conditions ?? []) as { type: string; status: string }[]).find((c) => c.type === 'Ready');
  const unschedulable = Boolean(n.spec?.unschedulable);
  return ready?.status === 'True' && !unschedulable;
}

function internalIP(n: KubeObject): string | undefined {
  return ((n.status?.addresses ?? []) as { type: string; address: string }[]).find((a) => a.type === 'InternalIP')?.address;
}

const ingressOf = (s: KubeObject): { ip?: string }[] => (s.status?.loadBalancer?.ingress ?? []) as { ip?: string }[];

/** The ingress a LoadBalancer Service should have. */
export function desiredIngress(svc: KubeObject, deps: Pick<ServiceLBDeps, 'services' | 'nodes' | 'pool'>): { ip: string; ipMode: string }[] {
  if (deps.pool.length) {
    const current = ingressOf(svc).map((i) => i.ip).find((ip) => ip && deps.pool.includes(ip));
    if (current) return [{ ip: current, ipMode: 'VIP' }];
    const taken = new Set(deps.services().filter((s) => s.metadata.uid !== svc.metadata.uid).flatMap((s) => ingressOf(s).map((i) => i.ip)));
    const requested = svc.spec?.loadBalancerIP as string | undefined;
    if (requested && deps.pool.includes(requested) && !taken.has(requested)) return [{ ip: requested, ipMode: 'VIP' }];
    const free = deps.pool.find((ip) => !taken.has(ip));
    return free ? [{ ip: free, ipMode: 'VIP' }] : [];
  }
  const ips = deps.nodes().filter(isReadyNode).map(internalIP).filter((ip): ip is string => Boolean(ip)).sort();
  return [...new Set(ips)].map((ip) => ({ ip, ipMode: 'VIP' }));
}

export async function reconcileServiceLB(key: string, deps: ServiceLBDeps): Promise<void> {
  const svc = deps.getService(key);
  // A Service naming a loadBalancerClass belongs to that class's controller: never touched here.
  if (!svc || svc.spec?.loadBalancerClass) return;
  const isLB = svc.spec?.type === 'LoadBalancer';
  const want = isLB ? desiredIngress(svc, deps) : [];
  const have = ingressOf(svc);
  if (JSON.stringify(have) === JSON.stringify(want)) return;
  if (!isLB && have.length === 0) return;
  if (isLB && want.length === 0 && deps.pool.length) {
    deps.log.warn({ service: key, pool: deps.pool.length }, 'no free address in --lb-ip-pool; the Service stays pending');
  }
  try {
    // A merge patch removes a field only when set to null.
    await deps.client.patch(R.services, svc.metadata.namespace, svc.metadata.name!, { status: { loadBalancer: { ingress: want.length ? want : null } } }, 'merge', 'status');
    deps.log.info({ service: key, ingress: want.map((i) => i.ip) }, 'load balancer ingress');
  } catch (err) {
    if (isApiError(err) && err.code === 404) return;
    throw err;
  }
}
