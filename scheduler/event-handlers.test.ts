import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../shared/types.js';
import { assignedPodChanged, nodeEvents } from './event-handlers.js';
import { makeNode, makePod } from './testing.js';

describe('nodeEvents', () => {
  const base = makeNode('n');
  const heartbeat = (n: KubeObject, t: string) => ({ ...n, status: { ...n.status, conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: t }] } });
  it.each<[string, KubeObject, string[]]>([
    ['a heartbeat changes nothing', heartbeat(base, '2024-01-01T00:00:10Z'), []],
    ['cordoned', makeNode('n', { unschedulable: true }), ['NodeSpecUnschedulableChange']],
    ['more cpu', makeNode('n', { cpu: '8' }), ['NodeAllocatableChange']],
    ['a label', makeNode('n', { labels: { disk: 'ssd' } }), ['NodeLabelChange']],
    ['a taint', makeNode('n', { taints: [{ key: 'k', effect: 'NoSchedule' }] }), ['NodeTaintChange']],
    ['NotReady', makeNode('n', { ready: 'False' }), ['NodeConditionChange']],
  ])('%s', (_name, updated, want) => {
    const old = updated.status.conditions[0].lastHeartbeatTime ? heartbeat(base, '2024-01-01T00:00:00Z') : base;
    expect(nodeEvents(old, updated)).toEqual(want);
  });
});

describe('assignedPodChanged', () => {
  it('ignores status updates and sees resource, label and deletion changes', () => {
    const pod = makePod('p', { nodeName: 'n', cpu: '1' });
    expect(assignedPodChanged(pod, { ...pod, status: { phase: 'Running', podIP: '10.0.0.1' } })).toBe(false);
    expect(assignedPodChanged(pod, makePod('p', { nodeName: 'n', cpu: '2' }))).toBe(true);
    expect(assignedPodChanged(pod, { ...pod, metadata: { ...pod.metadata, labels: { a: 'b' } } })).toBe(true);
    expect(assignedPodChanged(pod, { ...pod, metadata: { ...pod.metadata, deletionTimestamp: '2024-01-01T00:00:00Z' } })).toBe(true);
  });
});
