// ClusterIP and NodePort bookkeeping for Service writes, run inside the storage
// transaction after validation so a rejected write never holds an address or port.
import type { StatusCause } from '../../shared/errors.js';
import type { KubeObject } from '../../shared/types.js';
import type { ClusterIPAllocator, NodePortAllocator } from './allocator.js';

const needsNodePorts = (svc: any) => svc.spec?.type === 'NodePort' || svc.spec?.type === 'LoadBalancer';
const hasClusterIP = (svc: any) => svc.spec?.type !== 'ExternalName' && svc.spec?.clusterIP !== 'None';

export class ServiceAllocations {
  constructor(
    readonly ips: ClusterIPAllocator,
    readonly ports: NodePortAllocator,
  ) {}

  /** Marks what stored Services hold; run once at start. */
  restore(services: KubeObject[]): void {
    for (const svc of services) {
      const s = svc as any;
      if (hasClusterIP(s) && s.spec?.clusterIP) this.ips.allocate(s.spec.clusterIP, 'spec.clusterIP');
      for (const p of s.spec?.ports ?? []) if (p.nodePort) this.ports.allocate(p.nodePort, 'spec.ports.nodePort');
    }
  }

  /** Fills and reserves clusterIP and nodePorts of a new Service; on failure nothing stays reserved. */
  onCreate(svc: KubeObject, dryRun: boolean): StatusCause[] {
    const s = svc as any;
    const taken: (() => void)[] = [];
    const causes: StatusCause[] = [];
    if (hasClusterIP(s)) {
      if (s.spec.clusterIP) {
        const c = dryRun ? this.checkIP(s.spec.clusterIP) : this.ips.allocate(s.spec.clusterIP, 'spec.clusterIPs');
        if (c) causes.push({ ...c, field: 'spec.clusterIPs' });
        else if (!dryRun) taken.push(() => this.ips.release(s.spec.clusterIP));
      } else {
        const ip = this.ips.next(!dryRun);
        if (!ip) causes.push({ reason: 'FieldValueInvalid', message: `failed to allocate a serviceIP: range is full`, field: 'spec.clusterIPs' });
        else {
          s.spec.clusterIP = ip;
          if (!dryRun) taken.push(() => this.ips.release(ip));
        }
      }
      if (s.spec.clusterIP) s.spec.clusterIPs = [s.spec.clusterIP];
    } else if (s.spec?.type === 'ExternalName') {
      delete s.spec.clusterIP;
      delete s.spec.clusterIPs;
    } else {
      s.spec.clusterIPs = ['None'];
    }
    if (!causes.length) causes.push(...this.assignNodePorts(s, new Set(), dryRun, taken));
    if (causes.length) for (const undo of taken) undo();
    return causes;
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

  /** Allocates nodePorts that a type change or a new port needs and releases dropped ones. */
  onUpdate(old: KubeObject, svc: KubeObject, dryRun: boolean): StatusCause[] {
    const o = old as any;
    const s = svc as any;
    const oldPorts = new Set<number>((o.spec?.ports ?? []).map((p: any) => p.nodePort).filter(Boolean));
    const taken: (() => void)[] = [];
    const causes = this.assignNodePorts(s, oldPorts, dryRun, taken);
    if (causes.length) {
      for (const undo of taken) undo();
      return causes;
    }
    if (!dryRun) {
      const now = new Set<number>((s.spec?.ports ?? []).map((p: any) => p.nodePort).filter(Boolean));
      for (const p of oldPorts) if (!now.has(p)) this.ports.release(p);
    }
    return [];
  }

  onDelete(svc: KubeObject): void {
    const s = svc as any;
    if (hasClusterIP(s)) this.ips.release(s.spec?.clusterIP);
    for (const p of s.spec?.ports ?? []) if (p.nodePort) this.ports.release(p.nodePort);
  }

  private assignNodePorts(s: any, alreadyOwned: Set<number>, dryRun: boolean, taken: (() => void)[]): StatusCause[] {
    const causes: StatusCause[] = [];
    if (!needsNodePorts(s)) {
      (s.spec?.ports ?? []).forEach((p: any, i: number) => {
        if (p.nodePort) causes.push({ reason: 'FieldValueForbidden', message: `Forbidden: may not be used when \`type\` is '${s.spec.type ?? 'ClusterIP'}'`, field: `spec.ports[${i}].nodePort` });
      });
      return causes;
    }
    (s.spec.ports ?? []).forEach((p: any, i: number) => {
      const field = `spec.ports[${i}].nodePort`;
      if (p.nodePort) {
        if (alreadyOwned.has(p.nodePort)) return;
        const c = dryRun ? undefined : this.ports.allocate(p.nodePort, field);
        if (c) causes.push(c);
        else if (!dryRun) taken.push(() => this.ports.release(p.nodePort));
      } else {
        const port = this.ports.next(!dryRun);
        if (port === undefined) causes.push({ reason: 'FieldValueInvalid', message: 'failed to allocate a nodePort: range is full', field });
        else {
          p.nodePort = port;
          if (!dryRun) taken.push(() => this.ports.release(port));
        }
      }
    });
    return causes;
  }

  private checkIP(ip: string): StatusCause | undefined {
    if (this.ips.has(ip)) return { reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(ip)}: provided IP is already allocated`, field: 'spec.clusterIPs' };
    return undefined;
  }
}
