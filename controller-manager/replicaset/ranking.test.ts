import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../shared/types.js';
import { getPodsToDelete, preferForDeletion, sortForDeletion } from './ranking.js';
import { newPod } from './testutil.js';

const NOW = new Date('2025-01-01T12:00:00Z');
const ago = (s: number) => new Date(NOW.getTime() - s * 1000);
const names = (pods: KubeObject[]) => pods.map((p) => p.metadata.name);

describe('scale-down ranking (ActivePodsWithRanks)', () => {
  it('orders unassigned < assigned, Pending < Unknown < Running, not ready < ready', () => {
    const pods = [
      newPod('running-ready', { node: 'n', phase: 'Running', readySince: ago(100) }),
      newPod('running', { node: 'n', phase: 'Running' }),
      newPod('unknown', { node: 'n', phase: 'Unknown' }),
      newPod('pending', { node: 'n', phase: 'Pending' }),
      newPod('unassigned', { phase: 'Pending' }),
    ];
    expect(names(sortForDeletion(pods, [], NOW))).toEqual(['unassigned', 'pending', 'unknown', 'running', 'running-ready']);
  });

  it('then lower pod-deletion-cost, then more siblings on the same node', () => {
    const base = { phase: 'Running', readySince: ago(100), created: ago(100) };
    const cheap = newPod('cheap', { ...base, node: 'a', cost: -5 });
    const crowded = newPod('crowded', { ...base, node: 'b' });
    const alone = newPod('alone', { ...base, node: 'c' });
    const related = [cheap, crowded, alone, newPod('sibling1', { ...base, node: 'b' }), newPod('sibling2', { ...base, node: 'b' })];
    expect(names(sortForDeletion([alone, crowded, cheap], related, NOW))).toEqual(['cheap', 'crowded', 'alone']);
  });

  it('then ready for less time, then more restarts, then newer', () => {
    const ready = { node: 'n', phase: 'Running' };
    expect(preferForDeletion(newPod('x', { ...ready, readySince: ago(5) }), 0, newPod('y', { ...ready, readySince: ago(5000) }), 0, NOW)).toBe(true);
    expect(preferForDeletion(newPod('x', { ...ready, readySince: ago(5000) }), 0, newPod('y', { ...ready, readySince: ago(5) }), 0, NOW)).toBe(false);
    const same = { ...ready, readySince: ago(100), created: ago(100) };
    expect(preferForDeletion(newPod('x', { ...same, restarts: 3 }), 0, newPod('y', { ...same, restarts: 1 }), 0, NOW)).toBe(true);
    const newer = newPod('newer', { node: 'n', phase: 'Pending', created: ago(10) });
    const older = newPod('older', { node: 'n', phase: 'Pending', created: ago(10_000) });
    expect(names(sortForDeletion([older, newer], [], NOW))).toEqual(['newer', 'older']);
  });

  it('treats creation times in the same logarithmic bucket as equal and orders them by UID', () => {
    const a = newPod('a', { node: 'n', created: ago(100) });
    const b = newPod('b', { node: 'n', created: ago(101) });
    a.metadata.uid = 'bbbb';
    b.metadata.uid = 'aaaa';
    expect(names(sortForDeletion([a, b], [], NOW))).toEqual(['b', 'a']);
  });

  it('returns every pod when asked for all of them', () => {
    const pods = [newPod('a'), newPod('b')];
    expect(getPodsToDelete(pods, [], 5, NOW)).toHaveLength(2);
    expect(getPodsToDelete(pods, [], 1, NOW)).toHaveLength(1);
  });
});
