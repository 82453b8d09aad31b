import { describe, expect, it } from 'vitest';
import { makeNode, nodeInfo, podInfo } from '../testing.js';
import { nodeUnschedulable } from './node-unschedulable.js';
import { CycleState } from './types.js';

describe('NodeUnschedulable', () => {
  it.each<[string, boolean, unknown[], string | undefined]>([
    ['a schedulable node', false, [], undefined],
    ['a cordoned node', true, [], 'node(s) were unschedulable'],
    ['a cordoned node and a pod tolerating the unschedulable taint', true, [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }], undefined],
    ['a cordoned node and a pod tolerating everything', true, [{ operator: 'Exists' }], undefined],
  ])('%s', (_name, unschedulable, tolerations, reason) => {
    const s = nodeUnschedulable.filter(new CycleState(), podInfo('p', { spec: { tolerations } }), nodeInfo(makeNode('n', { unschedulable })));
    expect(s?.reasons[0]).toBe(reason);
    if (s) expect(s.code).toBe('UnschedulableAndUnresolvable');
  });
});
