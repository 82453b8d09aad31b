// ClusterIP and NodePort bookkeeping for Service writes, run inside the storage
// transaction as the last step of a decision, so a rejected write never holds an address
// or port. One function covers create, update (including type changes) and delete.
import type { StatusCause } from '../../shared/errors.js';
import type { KubeObject } from '../../shared/types.js';
import type { ClusterIPAllocator, NodePortAllocator } from './allocator.js';

const needsNodePorts = (svc: any) => svc?.spec?.type === 'NodePort' || svc?.spec?.type === 'LoadBalancer';
const hasClusterIP = (svc: any) => svc?.spec?.type !== 'ExternalName' && svc?.spec?.clusterIP !== 'None';
const nodePortsOf = (svc: any): Set<number> => new Set<number>((svc?.spec?.ports ?? []).map((p: any) => p?.nodePort).filter(Boolean));

export class ServiceAllocations {
  constructor(
    readonly ips: ClusterIPAllocator,
    readonly ports: NodePortAllocator,
  ) {}

  /** Marks what stored Services hold; run once at start. */
  restore(services: KubeObject[]): void {
    for (const s of services as any[]) {
      if (hasClusterIP(s) && s.spec?.clusterIP) this.ips.allocate(s.spec.clusterIP, 'spec.clusterIP');
      for (const p of nodePortsOf(s)) this.ports.allocate(p, 'spec.ports.nodePort');
    }
  }

  /**
   * Keeps what the server allocated when an update leaves it out (a PUT built from a
   * manifest has no clusterIP), and drops node ports a type change to ClusterIP leaves
   * behind, as Kubernetes' service strategy does. Runs before validation.
   */
  carryOver(old: KubeObject, svc: KubeObject): void {
    const o = old as any;
    const s = svc as any;
    if (!s.spec || typeof s.spec !== 'object') return;
    if (hasClusterIP(s) && hasClusterIP(o) && !s.spec.clusterIP && !s.spec.clusterIPs) {
      s.spec.clusterIP = o.spec?.clusterIP;
      s.spec.clusterIPs = o.spec?.clusterIPs;
    }
    if (!Array.isArray(s.spec.ports)) return;
    for (const p of s.spec.ports) {
      if (!p || typeof p !== 'object') continue;
      const before = (o.spec?.ports ?? []).find((q: any) => q.port === p.port && (q.protocol ?? 'TCP') === (p.protocol ?? 'TCP'));
      if (needsNodePorts(s) && !p.nodePort && before?.nodePort && needsNodePorts(o)) p.nodePort = before.nodePort;
      // Left over from the old type, not asked for anew: drop instead of refusing.
      if (!needsNodePorts(s) && needsNodePorts(o) && p.nodePort && p.nodePort === before?.nodePort) delete p.nodePort;
    }
  }

  /**
   * Brings the allocations in line with a write from `old` to `next` (undefined: created /
   * deleted), filling clusterIP(s) and nodePorts of `next`. Returns causes, and then holds
   * nothing new. With dryRun, checks the same things without reserving or releasing.
   */
  apply(old: KubeObject | undefined, next: KubeObject | undefined, dryRun: boolean): StatusCause[] {
    const o = old as any;
    const s = next as any;
    const undo: (() => void)[] = [];
    const causes: StatusCause[] = [];
    const oldIP: string | undefined = hasClusterIP(o) ? o?.spec?.clusterIP || undefined : undefined;
    let keepIP: string | undefined;
    if (s) {
      if (!s.spec || typeof s.spec !== 'object') s.spec = {};
      if (hasClusterIP(s)) {
        const want: string | undefined = s.spec.clusterIP || undefined;
        if (want && want === oldIP) keepIP = want;
        else if (want) {
          const c = this.ips.allocate(want, 'spec.clusterIPs', !dryRun);
          if (c) causes.push({ ...c, field: 'spec.clusterIPs' });
          else if (!dryRun) undo.push(() => this.ips.release(want));
          keepIP = want;
        } else {
          const ip = this.ips.next(!dryRun);
          if (!ip) causes.push({ reason: 'FieldValueInvalid', message: 'failed to allocate a serviceIP: range is full', field: 'spec.clusterIPs' });
          else {
            s.spec.clusterIP = ip;
            if (!dryRun) undo.push(() => this.ips.release(ip));
            keepIP = ip;
          }
        }
        if (s.spec.clusterIP) s.spec.clusterIPs = [s.spec.clusterIP];
      } else if (s.spec.type === 'ExternalName') {
        delete s.spec.clusterIP;
        delete s.spec.clusterIPs;
      } else {
        s.spec.clusterIPs = ['None'];
      }
      if (!causes.length) causes.push(...this.assignNodePorts(s, nodePortsOf(o), dryRun, undo));
    }
    if (causes.length) {
      for (const u of undo) u();
      return causes;
    }
    if (!dryRun) {
      if (oldIP && oldIP !== keepIP) this.ips.release(oldIP);
      const now = nodePortsOf(s);
      for (const p of nodePortsOf(o)) if (!now.has(p)) this.ports.release(p);
    }
    return [];
  }

  private assignNodePorts(s: any, alreadyOwned: Set<number>, dryRun: boolean, undo: (() => void)[]): StatusCause[] {
    const causes: StatusCause[] = [];
    const ports: any[] = Array.isArray(s.spec?.ports) ? s.spec.ports : [];
    if (!needsNodePorts(s)) {
      ports.forEach((p, i) => {
        if (p?.nodePort) causes.push({ reason: 'FieldValueForbidden', message: `Forbidden: may not be used when \`type\` is '${s.spec.type ?? 'ClusterIP'}'`, field: `spec.ports[${i}].nodePort` });
      });
      return causes;
    }
    ports.forEach((p, i) => {
      if (!p || typeof p !== 'object') return;
      const field = `spec.ports[${i}].nodePort`;
      if (p.nodePort) {
        if (alreadyOwned.has(p.nodePort)) return;
        const c = this.ports.allocate(p.nodePort, field, !dryRun);
        if (c) causes.push(c);
        else if (!dryRun) undo.push(() => this.ports.release(p.nodePort));
      } else {
        const port = this.ports.next(!dryRun);
        if (port === undefined) causes.push({ reason: 'FieldValueInvalid', message: 'failed to allocate a nodePort: range is full', field });
        else {
          p.nodePort = port;
          if (!dryRun) undo.push(() => this.ports.release(port));
        }
      }
    });
    return causes;
  }
}
