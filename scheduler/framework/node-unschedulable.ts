// NodeUnschedulable: a cordoned node (spec.unschedulable) takes no new pods, unless the
// pod tolerates the node.kubernetes.io/unschedulable:NoSchedule taint.
import { TAINT_UNSCHEDULABLE } from '../node-info.js';
import { toleratesAny } from './taint-toleration.js';
import { unresolvable, type FilterPlugin } from './types.js';

export const NAME = 'NodeUnschedulable';
export const ERR_REASON_UNSCHEDULABLE = 'node(s) were unschedulable';

const unschedulableTaint = { key: TAINT_UNSCHEDULABLE, effect: 'NoSchedule' };

export const nodeUnschedulable: FilterPlugin = {
  name: NAME,
  events: ['NodeAdd', 'NodeSpecUnschedulableChange'],
  filter(_state, pod, node) {
    if (!node.unschedulable) return undefined;
    if (toleratesAny(pod.tolerations, unschedulableTaint)) return undefined;
    return unresolvable(NAME, ERR_REASON_UNSCHEDULABLE);
  },
};
