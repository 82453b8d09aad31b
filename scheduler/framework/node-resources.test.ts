import { describe, expect, it } from 'vitest';
import { makeNode, makePod, nodeInfo, podInfo, type NodeSpec, type PodSpecOpts } from '../testing.js';
import { balancedAllocation, balancedScore, insufficientResources, leastAllocated, leastRequestedScore, nodeResourcesFit } from './node-resources.js';
import { CycleState } from './types.js';

describe('NodeResourcesFit', () => {
  it.each<[string, NodeSpec, PodSpecOpts[], PodSpecOpts, string[]]>([
    ['fits in an empty node', { cpu: '4' }, [], { cpu: '1', memory: '1Gi' }, []],
    ['fits exactly', { cpu: '2' }, [{ cpu: '1' }], { cpu: '1' }, []],
    ['cpu short by the pods already there', { cpu: '2' }, [{ cpu: '1500m' }], { cpu: '600m' }, ['Insufficient cpu']],
    ['more cpu than the node has', { cpu: '2' }, [], { cpu: '3' }, ['Insufficient cpu']],
    ['memory short', { memory: '1Gi' }, [{ memory: '768Mi' }], { memory: '512Mi' }, ['Insufficient memory']],
    ['both, in upstream order', { cpu: '1', memory: '1Gi' }, [], { cpu: '2', memory: '2Gi' }, ['Insufficient cpu', 'Insufficient memory']],
    ['pod count', { pods: '2' }, [{}, {}], {}, ['Too many pods']],
    ['pod count and cpu', { pods: '1', cpu: '1' }, [{ cpu: '1' }], { cpu: '1' }, ['Too many pods', 'Insufficient cpu']],
    ['a pod requesting nothing fits an overcommitted node', { cpu: '1' }, [{ cpu: '2' }], {}, []],
  ])('%s', (_name, node, existing, pod, reasons) => {
    const n = nodeInfo(makeNode('n', node), existing.map((o, i) => makePod(`e${i}`, { ...o, nodeName: 'n' })));
    expect(insufficientResources(podInfo('p', pod), n)).toEqual(reasons);
    const s = nodeResourcesFit.filter(new CycleState(), podInfo('p', pod), n);
    if (reasons.length) expect(s).toMatchObject({ code: 'Unschedulable', plugin: 'NodeResourcesFit', reasons });
    else expect(s).toBeUndefined();
  });

  it('checks extended resources by name', () => {
    const n = nodeInfo(makeNode('n', { extra: { 'example.com/gpu': '1' } }));
    const pod = podInfo('p', { spec: { containers: [{ name: 'c', image: 'x', resources: { requests: { 'example.com/gpu': '2' } } }] } });
    expect(insufficientResources(pod, n)).toEqual(['Insufficient example.com/gpu']);
  });

  it('counts init containers and sidecars as Kubernetes does', () => {
    const pod = podInfo('p', {
      spec: {
        initContainers: [
          { name: 'init', image: 'x', resources: { requests: { cpu: '3' } } },
          { name: 'sidecar', image: 'x', restartPolicy: 'Always', resources: { requests: { cpu: '500m' } } },
        ],
        containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '1' } } }],
        overhead: { cpu: '100m' },
      },
    });
    // max(1 + 0.5 sidecar, 3 init) + 0.1 overhead
    expect(pod.requests.milliCPU).toBe(3100);
  });
});

describe('LeastAllocated score', () => {
  it.each([
    [0, 4000, 100],
    [1000, 4000, 75],
    [3999, 4000, 0],
    [5000, 4000, 0],
    [10, 0, 0],
  ])('requested %i of %i scores %i', (requested, capacity, want) => {
    expect(leastRequestedScore(requested, capacity)).toBe(want);
  });

  it('averages cpu and memory, counting 100m/200Mi for containers without requests', () => {
    const node = nodeInfo(makeNode('n', { cpu: '1', memory: '1000Mi' }), [makePod('e', { nodeName: 'n' })]);
    // cpu: (1000 - 100 - 500) / 1000 → 40; memory: (1000 - 200 - 200)Mi / 1000Mi → 60.
    expect(leastAllocated.score(new CycleState(), podInfo('p', { cpu: '500m' }), node)).toBe(50);
  });
});

describe('BalancedAllocation score', () => {
  it.each<[number | undefined, number | undefined, number]>([
    [0.5, 0.5, 100],
    [0.75, 0.25, 75],
    [1.5, 0, 50],
    [0.4, undefined, 100],
  ])('cpu %s memory %s scores %i', (cpu, mem, want) => {
    expect(balancedScore(cpu, mem)).toBe(want);
  });

  it('scores from actual requests', () => {
    const node = nodeInfo(makeNode('n', { cpu: '4', memory: '4Gi' }), [makePod('e', { nodeName: 'n', cpu: '1' })]);
    // cpu (1+1)/4 = 0.5, memory 1/4 = 0.25 → 100 × (1 − 0.125)
    expect(balancedAllocation.score(new CycleState(), podInfo('p', { cpu: '1', memory: '1Gi' }), node)).toBe(87);
    // A best-effort pod adds nothing: cpu 0.25, memory 0 → 87.
    expect(balancedAllocation.score(new CycleState(), podInfo('be'), node)).toBe(87);
  });
});
