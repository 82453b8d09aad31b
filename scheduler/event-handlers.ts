// Informer events into the scheduler (upstream's eventhandlers.go): bound pods and nodes
// feed the cache, pending pods that name this scheduler feed the queue, and changes that
// may free room or lift a constraint move unschedulable pods back to be tried.
import type { InformerHandlers } from '../shared/informer.js';
import type { KubeObject } from '../shared/types.js';
import type { ClusterEvent } from './framework/types.js';
import type { Scheduler } from './scheduler.js';

const assigned = (pod: KubeObject) => Boolean(pod.spec?.nodeName);
const terminal = (pod: KubeObject) => pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** The node changes that matter to scheduling (nodeSchedulingPropertiesChange). */
export function nodeEvents(old: KubeObject, node: KubeObject): ClusterEvent[] {
  const events: ClusterEvent[] = [];
  if (Boolean(old.spec?.unschedulable) !== Boolean(node.spec?.unschedulable)) events.push('NodeSpecUnschedulableChange');
  if (!same(old.status?.allocatable ?? old.status?.capacity, node.status?.allocatable ?? node.status?.capacity)) events.push('NodeAllocatableChange');
  if (!same(old.metadata.labels, node.metadata.labels)) events.push('NodeLabelChange');
  if (!same(old.spec?.taints, node.spec?.taints)) events.push('NodeTaintChange');
  // Heartbeat times change all the time; only the statuses matter.
  const conditions = (n: KubeObject) => (n.status?.conditions ?? []).map((c: { type: string; status: string }) => `${c.type}=${c.status}`).join(',');
  if (conditions(old) !== conditions(node)) events.push('NodeConditionChange');
  return events;
}

/** Whether a bound pod's update changes what it takes from its node (requests, ports, labels for anti-affinity). */
export function assignedPodChanged(old: KubeObject, pod: KubeObject): boolean {
  return !same(old.spec?.containers, pod.spec?.containers) || !same(old.spec?.initContainers, pod.spec?.initContainers) || !same(old.metadata.labels, pod.metadata.labels) || Boolean(old.metadata.deletionTimestamp) !== Boolean(pod.metadata.deletionTimestamp);
}

interface HandlerSource {
  addHandlers(h: InformerHandlers<KubeObject>): void;
}

export function addAllEventHandlers(sched: Scheduler, pods: HandlerSource, nodes: HandlerSource): void {
  const responsible = (pod: KubeObject) => (pod.spec?.schedulerName ?? 'default-scheduler') === sched.schedulerName;
  const { cache, queue } = sched;

  nodes.addHandlers({
    onAdd: (node) => {
      cache.addNode(node);
      sched.onClusterEvent('NodeAdd');
    },
    onUpdate: (old, node) => {
      cache.updateNode(node);
      for (const e of nodeEvents(old, node)) sched.onClusterEvent(e);
    },
    onDelete: (node) => cache.removeNode(node.metadata.name!),
  });

  const removeAssigned = (pod: KubeObject) => {
    cache.removePod(pod);
    sched.onClusterEvent('AssignedPodDelete');
  };

  pods.addHandlers({
    onAdd: (pod) => {
      if (terminal(pod)) return;
      if (assigned(pod)) {
        cache.addPod(pod);
        sched.onClusterEvent('AssignedPodAdd');
      } else if (responsible(pod) && !pod.metadata.deletionTimestamp) queue.add(pod);
    },
    onUpdate: (old, pod) => {
      if (assigned(pod)) {
        if (terminal(pod)) return removeAssigned(pod);
        if (!assigned(old)) {
          // Bound: by us (confirming what we assumed) or by someone else.
          queue.delete(pod);
          cache.addPod(pod);
          sched.onClusterEvent('AssignedPodAdd');
          return;
        }
        cache.updatePod(pod);
        if (assignedPodChanged(old, pod)) sched.onClusterEvent('AssignedPodUpdate');
        return;
      }
      // Still pending. A pod we assumed is ours until its binding shows up.
      if (cache.isAssumed(pod.metadata.uid)) return;
      if (!responsible(pod) || pod.metadata.deletionTimestamp || terminal(pod)) queue.delete(pod);
      else queue.update(old, pod);
    },
    onDelete: (pod) => {
      if (assigned(pod)) return removeAssigned(pod);
      queue.delete(pod);
      // A pod assumed but not yet shown bound frees its room too.
      if (cache.isAssumed(pod.metadata.uid)) removeAssigned(pod);
    },
  });
}
