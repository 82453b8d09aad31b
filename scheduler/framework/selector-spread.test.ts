import { describe, expect, it } from 'vitest';
import { makeNode, makePod, nodeInfo, podInfo } from '../testing.js';
import { selectorSpread, spreadNormalize } from './selector-spread.js';
import { CycleState } from './types.js';

describe('SelectorSpread', () => {
  it('counts the pods of the same controller on each node and prefers the emptiest', () => {
    const nodes = [
      nodeInfo(makeNode('a'), [makePod('x1', { nodeName: 'a', owner: 'web' }), makePod('x2', { nodeName: 'a', owner: 'web' })]),
      nodeInfo(makeNode('b'), [makePod('x3', { nodeName: 'b', owner: 'web' }), makePod('y', { nodeName: 'b', owner: 'db' })]),
      nodeInfo(makeNode('c'), [makePod('z', { nodeName: 'c' })]),
    ];
    const pod = podInfo('p', { owner: 'web' });
    const state = new CycleState();
    expect(selectorSpread.preScore!(state, pod, nodes)).toBe(true);
    const scores = nodes.map((n) => selectorSpread.score(state, pod, n));
    expect(scores).toEqual([2, 1, 0]);
    selectorSpread.normalize!(state, pod, nodes, scores);
    expect(scores).toEqual([0, 50, 100]);
  });

  it('gives every node full marks when none has a sibling, and skips pods without a controller', () => {
    const scores = [0, 0];
    spreadNormalize([nodeInfo(makeNode('a')), nodeInfo(makeNode('b'))], scores);
    expect(scores).toEqual([100, 100]);
    expect(selectorSpread.preScore!(new CycleState(), podInfo('bare'), [])).toBe(false);
  });

  it('weighs zones two thirds', () => {
    const z = (name: string, zone: string) => nodeInfo(makeNode(name, { labels: { 'topology.kubernetes.io/zone': zone } }));
    const nodes = [z('a1', 'a'), z('a2', 'a'), z('b1', 'b')];
    const scores = [1, 0, 0];
    spreadNormalize(nodes, scores);
    // a1: node 0 ×1/3 + zone 0 ×2/3; a2: node 100 ×1/3 + zone 0; b1: 100.
    expect(scores).toEqual([0, 33, 100]);
  });
});
