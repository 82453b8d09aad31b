// Node IPAM's range allocator (pkg/controller/nodeipam/ipam/range_allocator.go): every
// node without spec.podCIDR gets the next free subnet of the cluster CIDR, written with a
// resourceVersion-guarded update; a node that already has one occupies it; a deleted
// node releases it. The allocator remembers which subnet it reserved for which node, so
// a retry after a conflict (or a stale cache right after its own write) reuses the
// same subnet instead of taking another.
import type { Logger } from 'pino';
import type { Client } from '../../shared/client.js';
import { isApiError } from '../../shared/errors.js';
import type { EventRecorder } from '../../shared/events.js';
import { R } from '../../shared/resources.js';
import type { KubeObject } from '../../shared/types.js';
import { CidrSet, CidrSetError } from './cidrset.js';

export function podCIDRsOf(node: KubeObject): string[] {
  const list: unknown = node.spec?.podCIDRs;
  if (Array.isArray(list) && list.length) return list.filter((c): c is string => typeof c === 'string');
  return typeof node.spec?.podCIDR === 'string' && node.spec.podCIDR ? [node.spec.podCIDR] : [];
}

export class RangeAllocator {
  readonly cidrs: CidrSet;
  /** The subnet held for each node name: observed on the node, or reserved by us. */
  private readonly byNode = new Map<string, string>();

  constructor(clusterCIDR: string, nodeMaskSize: number) {
    this.cidrs = new CidrSet(clusterCIDR, nodeMaskSize);
  }

  /** Records a subnet the node has; returns false when it lies outside the cluster CIDR. */
  occupy(nodeName: string, cidr: string): boolean {
    const held = this.byNode.get(nodeName);
    if (held === cidr) return true;
    if (held) this.release(nodeName);
    try {
      this.cidrs.occupy(cidr);
    } catch (err) {
      if (err instanceof CidrSetError) return false;
      throw err;
    }
    this.byNode.set(nodeName, cidr);
    return true;
  }

  /** The subnet reserved for the node, allocating the next free one if it has none. */
  reserve(nodeName: string): string {
    const held = this.byNode.get(nodeName);
    if (held) return held;
    const cidr = this.cidrs.allocateNext();
    this.byNode.set(nodeName, cidr);
    return cidr;
  }

  release(nodeName: string): string | undefined {
    const held = this.byNode.get(nodeName);
    if (!held) return undefined;
    this.byNode.delete(nodeName);
    this.cidrs.release(held);
    return held;
  }

  held(nodeName: string): string | undefined {
    return this.byNode.get(nodeName);
  }
}

export interface NodeIpamDeps {
  client: Client;
  recorder: EventRecorder;
  log: Logger;
  allocator: RangeAllocator;
  getNode(name: string): KubeObject | undefined;
}

/** Occupies what the nodes of the cache already have; called once before the workers start. */
export function occupyExisting(nodes: KubeObject[], deps: Pick<NodeIpamDeps, 'allocator' | 'log'>): void {
  for (const node of nodes) {
    const [cidr] = podCIDRsOf(node);
    if (cidr && !deps.allocator.occupy(node.metadata.name!, cidr)) {
      deps.log.warn({ node: node.metadata.name, podCIDR: cidr }, 'node podCIDR is outside the cluster CIDR; leaving it alone');
    }
  }
}

export async function reconcileNodeCIDR(name: string, deps: NodeIpamDeps): Promise<void> {
  const node = deps.getNode(name);
  if (!node) {
    const released = deps.allocator.release(name);
    if (released) deps.log.info({ node: name, podCIDR: released }, 'released podCIDR of a deleted node');
    return;
  }
  const [existing] = podCIDRsOf(node);
  if (existing) {
    const reserved = deps.allocator.held(name);
    if (reserved && reserved !== existing) deps.log.info({ node: name, podCIDR: existing, reserved }, 'node already has a podCIDR; releasing the reserved one');
    if (!deps.allocator.occupy(name, existing)) deps.log.warn({ node: name, podCIDR: existing }, 'node podCIDR is outside the cluster CIDR; leaving it alone');
    return;
  }
  let cidr: string;
  try {
    cidr = deps.allocator.reserve(name);
  } catch (err) {
    if (err instanceof CidrSetError && err.code === 'RangeFull') {
      deps.recorder.event(node, 'Normal', 'CIDRNotAvailable', `Node ${name} status is now: CIDRNotAvailable`);
    }
    throw err;
  }
  const next: KubeObject = { ...node, spec: { ...(node.spec ?? {}), podCIDR: cidr, podCIDRs: [cidr] } };
  try {
    await deps.client.update(R.nodes, next);
    deps.log.info({ node: name, podCIDRs: [cidr] }, 'Set node PodCIDR');
  } catch (err) {
    if (isApiError(err) && err.code === 404) {
      deps.allocator.release(name);
      return;
    }
    // A conflict keeps the reservation: the retry writes the same subnet to the fresh node.
    if (!(isApiError(err) && err.code === 409)) {
      deps.recorder.event(node, 'Normal', 'CIDRAssignmentFailed', `Node ${name} status is now: CIDRAssignmentFailed`);
    }
    throw err;
  }
}
