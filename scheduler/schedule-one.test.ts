import { describe, expect, it } from 'vitest';
import { FitError } from './fit-error.js';
import { defaultProfile } from './framework/profile.js';
import { GenericScheduler, NoNodesAvailableError, numFeasibleNodesToFind } from './schedule-one.js';
import { makeNode, makePod, nodeInfo, podInfo } from './testing.js';

describe('numFeasibleNodesToFind', () => {
  it.each([
    [3, 0, 3],
    [99, 0, 99],
    [100, 0, 100],
    [500, 0, 230],
    [5000, 0, 500],
    [10000, 0, 500],
    [500, 10, 100],
    [500, 100, 500],
  ])('%i nodes at %i%% → %i', (n, pct, want) => {
    expect(numFeasibleNodesToFind(n, pct)).toBe(want);
  });
});

describe('GenericScheduler', () => {
  it('picks the least allocated node', () => {
    const nodes = [nodeInfo(makeNode('busy'), [makePod('x', { nodeName: 'busy', cpu: '3' })]), nodeInfo(makeNode('idle'))];
    const g = new GenericScheduler(defaultProfile(), () => 0.5);
    expect(g.schedule(podInfo('p', { cpu: '500m' }), nodes).node).toBe('idle');
  });

  it('breaks ties at random with the injected source', () => {
    const nodes = ['a', 'b', 'c'].map((n) => nodeInfo(makeNode(n)));
    // Reservoir sampling: a draw of 0 takes each later tie, a draw near 1 keeps the first.
    expect(new GenericScheduler(defaultProfile(), () => 0).schedule(podInfo('p'), nodes).node).toBe('c');
    expect(new GenericScheduler(defaultProfile(), () => 0.99).schedule(podInfo('p'), nodes).node).toBe('a');
    let i = 0;
    const draws = [0.99, 0];
    expect(new GenericScheduler(defaultProfile(), () => draws[i++]!).schedule(podInfo('p'), nodes).node).toBe('c');
  });

  it('explains a failure node by node, with the preemption verdict', () => {
    const nodes = [
      nodeInfo(makeNode('a', { cpu: '2' })),
      nodeInfo(makeNode('b', { cpu: '2' })),
      nodeInfo(makeNode('cp', { cpu: '8', taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] })),
    ];
    const g = new GenericScheduler(defaultProfile());
    let err: unknown;
    try {
      g.schedule(podInfo('p', { cpu: '4' }), nodes);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FitError);
    expect((err as FitError).message).toBe(
      '0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. ' +
        'preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.',
    );
    expect([...(err as FitError).diagnosis.unschedulablePlugins].sort()).toEqual(['NodeResourcesFit', 'TaintToleration']);
  });

  it('says so when there are no nodes at all', () => {
    expect(() => new GenericScheduler(defaultProfile()).schedule(podInfo('p'), [])).toThrow(NoNodesAvailableError);
  });

  it('stops after enough feasible nodes and starts the next pod where the last one stopped', () => {
    const nodes = Array.from({ length: 500 }, (_, i) => nodeInfo(makeNode(`n${i}`)));
    const g = new GenericScheduler(defaultProfile(), () => 0.99);
    const first = g.schedule(podInfo('p1'), nodes);
    expect(first.evaluatedNodes).toBe(230);
    expect(first.feasibleNodes).toBe(230);
    expect(first.node).toBe('n0');
    expect(g.schedule(podInfo('p2'), nodes).node).toBe('n230');
    // The third wraps around.
    expect(g.schedule(podInfo('p3'), nodes).node).toBe('n460');
  });

  it('evaluates every node when fewer than enough are feasible', () => {
    const nodes = Array.from({ length: 200 }, (_, i) => nodeInfo(makeNode(`n${i}`, { labels: { pool: i === 150 ? 'gpu' : 'cpu' } })));
    const r = new GenericScheduler(defaultProfile()).schedule(podInfo('p', { spec: { nodeSelector: { pool: 'gpu' } } }), nodes);
    expect(r).toEqual({ node: 'n150', evaluatedNodes: 200, feasibleNodes: 1 });
  });
});
