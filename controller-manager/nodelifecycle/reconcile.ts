// The node lifecycle controller's per-node sync (monitorNodeHealth for one node): a node
// not heard from within the grace period gets its conditions set to Unknown through the
// status subresource; its controller-owned taints are brought in line with its
// conditions (unreachable / not-ready NoExecute and NoSchedule, pressure NoSchedule);
// when it stops being Ready its pods are marked not ready, once per episode, with
// NodeNotReady events. Returns after how many ms the node must be looked at again
// (when it would become stale if nothing is heard from it).
import type { Logger } from 'pino';
import type { Client } from '../../shared/client.js';
import { isApiError } from '../../shared/errors.js';
import type { EventRecorder } from '../../shared/events.js';
import { R } from '../../shared/resources.js';
import type { KubeObject } from '../../shared/types.js';
import { gracePeriodMs, type NodeHealth, observeHealth, timestamp, unknownStatus } from './health.js';
import { getCondition, reconcileTaints } from './taints.js';

export interface NodeLifecycleDeps {
  client: Client;
  recorder: EventRecorder;
  log: Logger;
  now: () => Date;
  gracePeriodSeconds: number;
  /** Health records by node name; owned by the controller, one writer per key. */
  health: Map<string, NodeHealth>;
  getNode(name: string): KubeObject | undefined;
  getLease(name: string): KubeObject | undefined;
  podsOnNode(name: string): KubeObject[];
}

export async function reconcileNode(name: string, deps: NodeLifecycleDeps): Promise<number | undefined> {
  let node = deps.getNode(name);
  if (!node) {
    deps.health.delete(name);
    return undefined;
  }
  const now = deps.now().getTime();
  const health = observeHealth(deps.health.get(name), node, deps.getLease(name), now);
  deps.health.set(name, health);

  let requeueAfter: number | undefined;
  const deadline = health.probeTimestamp + gracePeriodMs(node, deps.gracePeriodSeconds);
  if (now > deadline) {
    const status = unknownStatus(node, now);
    if (status) {
      node = await deps.client.update<KubeObject>(R.nodes, { ...node, status }, 'status');
      deps.log.info({ node: name, silentForMs: now - health.probeTimestamp }, 'node stopped posting status; conditions set to Unknown');
    }
  } else {
    requeueAfter = deadline - now + 1;
  }

  const taints = reconcileTaints(node, timestamp(now));
  if (taints) {
    node = await deps.client.update<KubeObject>(R.nodes, { ...node, spec: { ...(node.spec ?? {}), taints } });
    deps.log.info({ node: name, taints: taints.map((t) => `${t.key}:${t.effect}`) }, 'node taints updated');
  }

  const ready = getCondition(node, 'Ready');
  if (!ready) return requeueAfter;
  const wasReady = health.lastReadyStatus === 'True';
  health.lastReadyStatus = ready.status;
  if (ready.status === 'True') {
    health.podsMarkedNotReady = false;
    return requeueAfter;
  }
  if (wasReady) deps.recorder.event(node, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
  if (!health.podsMarkedNotReady) {
    await markPodsNotReady(name, now, deps);
    health.podsMarkedNotReady = true;
  }
  return requeueAfter;
}

/** MarkPodsNotReady: the Ready condition of every pod on the node set to False. */
async function markPodsNotReady(nodeName: string, now: number, deps: NodeLifecycleDeps): Promise<void> {
  const failures: unknown[] = [];
  for (const pod of deps.podsOnNode(nodeName)) {
    if (pod.spec?.nodeName !== nodeName) continue;
    const conditions: { type: string; status: string; lastTransitionTime?: string }[] = pod.status?.conditions ?? [];
    const i = conditions.findIndex((c) => c.type === 'Ready');
    if (i < 0 || conditions[i]!.status === 'False') continue;
    const next = conditions.map((c, j) => (j === i ? { ...c, status: 'False', lastTransitionTime: timestamp(now) } : c));
    try {
      await deps.client.update(R.pods, { ...pod, status: { ...pod.status, conditions: next } }, 'status');
      deps.recorder.event(pod, 'Warning', 'NodeNotReady', 'Node is not ready');
    } catch (err) {
      if (isApiError(err) && err.code === 404) continue;
      failures.push(err);
    }
  }
  if (failures.length) throw failures[0];
}
