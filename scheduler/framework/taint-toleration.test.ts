import { describe, expect, it } from 'vitest';
import { makeNode, nodeInfo, podInfo } from '../testing.js';
import type { Taint } from '../node-info.js';
import type { Toleration } from '../pod-info.js';
import { taintTolerationFilter, taintTolerationScore, toleratesTaint } from './taint-toleration.js';
import { CycleState } from './types.js';

describe('toleratesTaint', () => {
  const taint: Taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
  it.each<[string, Toleration, boolean]>([
    ['Equal with the same key and value', { key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }, true],
    ['the operator defaults to Equal', { key: 'dedicated', value: 'gpu' }, true],
    ['Equal with another value', { key: 'dedicated', operator: 'Equal', value: 'cpu' }, false],
    ['Exists ignores the value', { key: 'dedicated', operator: 'Exists' }, true],
    ['another key', { key: 'other', operator: 'Exists' }, false],
    ['an empty key with Exists tolerates everything', { operator: 'Exists' }, true],
    ['an empty effect matches every effect', { key: 'dedicated', operator: 'Exists', effect: '' }, true],
    ['another effect', { key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }, false],
  ])('%s', (_name, toleration, want) => {
    expect(toleratesTaint(toleration, taint)).toBe(want);
  });
});

describe('TaintToleration filter', () => {
  const cp = { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' };
  it.each<[string, Taint[], Toleration[], string | undefined]>([
    ['no taints', [], [], undefined],
    ['an untolerated NoSchedule taint, printed with an empty value', [cp], [], 'node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }'],
    ['a NoExecute taint with a value', [{ key: 'k', value: 'v', effect: 'NoExecute' }], [], 'node(s) had untolerated taint {k: v}'],
    ['PreferNoSchedule never filters', [{ key: 'k', effect: 'PreferNoSchedule' }], [], undefined],
    ['a tolerated taint', [cp], [{ key: cp.key, operator: 'Exists', effect: 'NoSchedule' }], undefined],
    ['the first untolerated taint is reported', [{ key: 'a', effect: 'NoSchedule' }, { key: 'b', effect: 'NoSchedule' }], [{ key: 'a', operator: 'Exists' }], 'node(s) had untolerated taint {b: }'],
  ])('%s', (_name, taints, tolerations, reason) => {
    const s = taintTolerationFilter.filter(new CycleState(), podInfo('p', { spec: { tolerations } }), nodeInfo(makeNode('n', { taints })));
    expect(s?.reasons[0]).toBe(reason);
    if (s) expect(s.code).toBe('UnschedulableAndUnresolvable');
  });

  it.each<[string, 'False' | 'Unknown' | null, string]>([
    ['Ready=False', 'False', 'node(s) had untolerated taint {node.kubernetes.io/not-ready: }'],
    ['Ready=Unknown', 'Unknown', 'node(s) had untolerated taint {node.kubernetes.io/unreachable: }'],
    ['no Ready condition yet', null, 'node(s) had untolerated taint {node.kubernetes.io/not-ready: }'],
  ])('a node that is not Ready (%s) is tainted as the node lifecycle controller does', (_name, ready, reason) => {
    const node = nodeInfo(makeNode('n', { ready }));
    expect(taintTolerationFilter.filter(new CycleState(), podInfo('p'), node)?.reasons).toEqual([reason]);
    // A pod that tolerates it (a DaemonSet's) still fits.
    const tolerant = podInfo('ds', { spec: { tolerations: [{ key: reason.includes('not-ready') ? 'node.kubernetes.io/not-ready' : 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoSchedule' }] } });
    expect(taintTolerationFilter.filter(new CycleState(), tolerant, node)).toBeUndefined();
  });

  it('does not let the default NoExecute tolerations admit a pod to a NotReady node', () => {
    const pod = podInfo('p', { spec: { tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }] } });
    expect(taintTolerationFilter.filter(new CycleState(), pod, nodeInfo(makeNode('n', { ready: 'False' })))).toBeDefined();
  });
});

describe('TaintToleration score', () => {
  it('prefers nodes with fewer untolerated PreferNoSchedule taints', () => {
    const nodes = [
      nodeInfo(makeNode('clean')),
      nodeInfo(makeNode('one', { taints: [{ key: 'a', effect: 'PreferNoSchedule' }] })),
      nodeInfo(makeNode('two', { taints: [{ key: 'a', effect: 'PreferNoSchedule' }, { key: 'b', effect: 'PreferNoSchedule' }] })),
      nodeInfo(makeNode('tolerated', { taints: [{ key: 'c', effect: 'PreferNoSchedule' }] })),
    ];
    const pod = podInfo('p', { spec: { tolerations: [{ key: 'c', operator: 'Exists', effect: 'PreferNoSchedule' }] } });
    const state = new CycleState();
    taintTolerationScore.preScore!(state, pod, nodes);
    const scores = nodes.map((n) => taintTolerationScore.score(state, pod, n));
    expect(scores).toEqual([0, 1, 2, 0]);
    taintTolerationScore.normalize!(state, pod, nodes, scores);
    expect(scores).toEqual([100, 50, 0, 100]);
  });
});
