import { describe, expect, it } from 'vitest';
import { formatFitError, preemptionMessage, truncateMessage } from './fit-error.js';
import { unresolvable, unschedulable, type Status } from './framework/types.js';
import { makeNode, makePod, nodeInfo, podInfo } from './testing.js';

const taint = 'node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }';

describe('formatFitError', () => {
  it.each<[string, number, string[][], string]>([
    ['one reason on every node', 3, [['Insufficient cpu'], ['Insufficient cpu'], ['Insufficient cpu']], '0/3 nodes are available: 3 Insufficient cpu.'],
    ['reasons counted and sorted as strings', 3, [['Insufficient cpu'], [taint], ['Insufficient cpu']], `0/3 nodes are available: 1 ${taint}, 2 Insufficient cpu.`],
    ['several reasons from one node each count', 2, [['Insufficient cpu', 'Insufficient memory'], ['Insufficient memory']], '0/2 nodes are available: 1 Insufficient cpu, 2 Insufficient memory.'],
    ['byte order puts 10 before 2', 12, [...Array(10).fill(['Too many pods']), ['Insufficient cpu'], ['Insufficient cpu']], '0/12 nodes are available: 10 Too many pods, 2 Insufficient cpu.'],
    ['capital letters sort before lower case', 2, [['node(s) were unschedulable'], ['Insufficient cpu']], '0/2 nodes are available: 1 Insufficient cpu, 1 node(s) were unschedulable.'],
  ])('%s', (_name, n, reasons, want) => {
    expect(formatFitError(n, reasons.map((r) => ({ reasons: r })))).toBe(want);
  });

  it('appends the PostFilter message', () => {
    expect(formatFitError(1, [{ reasons: ['Insufficient cpu'] }], 'preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.')).toBe(
      '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.',
    );
  });
});

describe('preemptionMessage', () => {
  const nodes = [nodeInfo(makeNode('a')), nodeInfo(makeNode('b')), nodeInfo(makeNode('c'))];
  const statuses = new Map<string, Status>([
    ['a', unschedulable('NodeResourcesFit', 'Insufficient cpu')],
    ['b', unschedulable('NodeResourcesFit', 'Insufficient cpu')],
    ['c', unresolvable('TaintToleration', taint)],
  ]);

  it('says preemption cannot help unresolvable nodes and finds no victims on the others', () => {
    expect(preemptionMessage(podInfo('p', { cpu: '8' }), nodes, statuses, () => undefined)).toBe(
      'preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.',
    );
  });

  it('re-runs the filters without lower-priority pods and reports why it still does not fit', () => {
    const low = makePod('low', { nodeName: 'a', cpu: '1', priority: -1 });
    const withLow = [nodeInfo(makeNode('a', { cpu: '2' }), [low])];
    const st = new Map([['a', unschedulable('NodeResourcesFit', 'Insufficient cpu')]]);
    const seen: number[] = [];
    const msg = preemptionMessage(podInfo('p', { cpu: '4' }), withLow, st, (n) => {
      seen.push(n.pods.size);
      return unschedulable('NodeResourcesFit', 'Insufficient cpu');
    });
    expect(seen).toEqual([0]);
    expect(msg).toBe('preemption: 0/1 nodes are available: 1 Insufficient cpu.');
  });

  it('is not eligible with preemptionPolicy Never', () => {
    expect(preemptionMessage(podInfo('p', { spec: { preemptionPolicy: 'Never' } }), nodes, statuses, () => undefined)).toBe('preemption: not eligible due to preemptionPolicy=Never.');
  });
});

describe('truncateMessage', () => {
  it('caps event notes at 1024 characters as upstream does', () => {
    expect(truncateMessage('short')).toBe('short');
    const long = 'x'.repeat(2000);
    expect(truncateMessage(long)).toHaveLength(1024);
    expect(truncateMessage(long).endsWith(' ...')).toBe(true);
  });
});
