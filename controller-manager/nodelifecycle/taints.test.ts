import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../shared/types.js';
import { matchingTolerations, reconcileTaints, type Taint, toleratesTaint } from './taints.js';

const unreachable: Taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' };

describe('toleratesTaint', () => {
  it.each([
    [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' }, true],
    [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists' }, true],
    [{ operator: 'Exists' }, true],
    [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoSchedule' }, false],
    [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists' }, false],
    [{ key: 'node.kubernetes.io/unreachable', value: '' }, true],
    [{ key: 'node.kubernetes.io/unreachable', operator: 'Equal', value: 'x' }, false],
  ] as const)('%j → %s', (t, want) => {
    expect(toleratesTaint(t as never, unreachable)).toBe(want);
  });
});

describe('matchingTolerations', () => {
  it('returns the first toleration of each taint, or not all tolerated', () => {
    const notReady: Taint = { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' };
    const a = { key: 'node.kubernetes.io/unreachable', operator: 'Exists' as const, tolerationSeconds: 5 };
    const b = { operator: 'Exists' as const };
    expect(matchingTolerations([unreachable, notReady], [a, b])).toEqual({ allTolerated: true, used: [a, b] });
    expect(matchingTolerations([unreachable, notReady], [a])).toEqual({ allTolerated: false, used: [] });
    expect(matchingTolerations([], [])).toEqual({ allTolerated: true, used: [] });
  });
});

const nodeWith = (ready: string | undefined, taints: Taint[] = [], extra: Record<string, unknown>[] = [], unschedulable = false): KubeObject => ({
  metadata: { name: 'n' },
  spec: { taints, unschedulable },
  status: { conditions: [...(ready ? [{ type: 'Ready', status: ready }] : []), ...extra] },
});

describe('reconcileTaints', () => {
  const now = '2024-05-01T10:00:00Z';
  it('taints an Unknown node unreachable, NoExecute and NoSchedule, keeping foreign taints', () => {
    const foreign: Taint = { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' };
    expect(reconcileTaints(nodeWith('Unknown', [foreign]), now)).toEqual([
      foreign,
      { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: now },
      { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule', timeAdded: now },
    ]);
  });

  it('swaps unreachable for not-ready when the node reports Ready=False', () => {
    const old = [
      { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: '2024-05-01T09:00:00Z' },
      { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule', timeAdded: '2024-05-01T09:00:00Z' },
    ] as Taint[];
    expect(reconcileTaints(nodeWith('False', old), now)).toEqual([
      { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute', timeAdded: now },
      { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule', timeAdded: now },
    ]);
  });

  it('keeps timeAdded of taints that still apply, and changes nothing when all is in line', () => {
    const old = [
      { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: '2024-05-01T09:00:00Z' },
      { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule', timeAdded: '2024-05-01T09:00:00Z' },
    ] as Taint[];
    expect(reconcileTaints(nodeWith('Unknown', old), now)).toBeUndefined();
  });

  it('removes its taints from a healthy node, and mirrors pressure and unschedulable', () => {
    const old = [
      { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' },
      { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' },
    ] as Taint[];
    expect(reconcileTaints(nodeWith('True', old), now)).toEqual([]);
    expect(reconcileTaints(nodeWith('True', [], [{ type: 'MemoryPressure', status: 'True' }], true), now)).toEqual([
      { key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule', timeAdded: now },
      { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule', timeAdded: now },
    ]);
  });

  it('leaves NoExecute taints alone while the node never posted a Ready condition', () => {
    expect(reconcileTaints(nodeWith(undefined, [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }]), now)).toBeUndefined();
  });
});
