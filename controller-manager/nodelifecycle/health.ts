// Node health as the node lifecycle controller tracks it (tryUpdateNodeHealth): the
// probe timestamp is the controller's own clock at the moment it last saw the node's
// Ready heartbeat or its Lease's renewTime move forward, so clock skew between the node
// and the controller never matters. A node not heard from for the grace period gets its
// conditions set to Unknown.
import type { KubeObject } from '../../shared/types.js';
import { getCondition, type NodeCondition } from './taints.js';

/** How long a node that never posted a Ready condition has before it counts as lost. */
export const NODE_STARTUP_GRACE_PERIOD_SECONDS = 60;

/** The conditions the controller sets to Unknown (NetworkUnavailable is not the kubelet's). */
export const MONITORED_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

export interface NodeHealth {
  /** Controller time (ms) the node was last heard from. */
  probeTimestamp: number;
  readyHeartbeat?: string;
  leaseRenewTime?: number;
  /** The Ready status last seen, to report a True → not-True transition once. */
  lastReadyStatus?: string;
  /** Whether the pods of this not-ready episode have been marked not ready. */
  podsMarkedNotReady: boolean;
}

export function timestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Updates the health record from what the cache shows now. */
export function observeHealth(saved: NodeHealth | undefined, node: KubeObject, lease: KubeObject | undefined, now: number): NodeHealth {
  const ready = getCondition(node, 'Ready');
  let h: NodeHealth;
  if (!saved) {
    const created = Date.parse(node.metadata.creationTimestamp ?? '');
    // A node that never posted status is timed from its creation; otherwise from now.
    h = { probeTimestamp: ready || Number.isNaN(created) ? now : created, readyHeartbeat: ready?.lastHeartbeatTime, podsMarkedNotReady: false };
  } else {
    h = { ...saved };
    if (ready && ready.lastHeartbeatTime !== saved.readyHeartbeat) {
      h.readyHeartbeat = ready.lastHeartbeatTime;
      h.probeTimestamp = now;
    }
  }
  const renew = Date.parse(lease?.spec?.renewTime ?? '');
  if (!Number.isNaN(renew) && (saved?.leaseRenewTime === undefined || renew > saved.leaseRenewTime)) {
    h.leaseRenewTime = renew;
    h.probeTimestamp = now;
  }
  return h;
}

export function gracePeriodMs(node: KubeObject, monitorGraceSeconds: number): number {
  const seconds = getCondition(node, 'Ready') ? monitorGraceSeconds : Math.max(NODE_STARTUP_GRACE_PERIOD_SECONDS, monitorGraceSeconds);
  return seconds * 1000;
}

/**
 * The node's status with every monitored condition Unknown, as the controller writes it
 * for a node it lost: "Kubelet stopped posting node status." (or "never posted" for a
 * condition the kubelet never reported). Undefined when the Ready condition is already
 * Unknown, as then there is nothing to write.
 */
export function unknownStatus(node: KubeObject, now: number): KubeObject['status'] | undefined {
  const conditions: NodeCondition[] = ((node.status?.conditions ?? []) as NodeCondition[]).map((c) => ({ ...c }));
  const nowTs = timestamp(now);
  for (const type of MONITORED_CONDITIONS) {
    const c = conditions.find((x) => x.type === type);
    if (!c) {
      conditions.push({
        type,
        status: 'Unknown',
        reason: 'NodeStatusNeverUpdated',
        message: 'Kubelet never posted node status.',
        lastHeartbeatTime: node.metadata.creationTimestamp ?? nowTs,
        lastTransitionTime: nowTs,
      });
    } else if (c.status !== 'Unknown') {
      c.status = 'Unknown';
      c.reason = 'NodeStatusUnknown';
      c.message = 'Kubelet stopped posting node status.';
      c.lastTransitionTime = nowTs;
    }
  }
  const before = getCondition(node, 'Ready');
  const after = conditions.find((c) => c.type === 'Ready')!;
  if (before && before.status === after.status && before.reason === after.reason) return undefined;
  return { ...(node.status ?? {}), conditions };
}
