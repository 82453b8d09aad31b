// NodePorts: a pod's hostPorts must be free on the node (same protocol and port, and
// the same host IP or 0.0.0.0 on either side, is a conflict).
import { unschedulable, type FilterPlugin } from './types.js';

export const NAME = 'NodePorts';
export const ERR_REASON_PORTS = "node(s) didn't have free ports for the requested pod ports";

export const nodePorts: FilterPlugin = {
  name: NAME,
  events: ['NodeAdd', 'AssignedPodDelete', 'AssignedPodUpdate'],
  filter(_state, pod, node) {
    for (const hp of pod.hostPorts) if (node.portConflict(hp)) return unschedulable(NAME, ERR_REASON_PORTS);
    return undefined;
  },
};
