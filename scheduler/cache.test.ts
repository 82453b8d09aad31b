import { describe, expect, it } from 'vitest';
import { SchedulerCache } from './cache.js';
import { newPodInfo } from './pod-info.js';
import { makeNode, makePod } from './testing.js';

describe('SchedulerCache', () => {
  it('counts an assumed pod until its binding is confirmed, then keeps it once', () => {
    const c = new SchedulerCache();
    c.addNode(makeNode('n', { cpu: '2' }));
    const pod = makePod('p', { cpu: '1' });
    c.assumePod(newPodInfo(pod), 'n');
    expect(c.getNode('n')!.requested.milliCPU).toBe(1000);
    expect(c.isAssumed(pod.metadata.uid)).toBe(true);
    c.finishBinding(pod.metadata.uid!);
    c.addPod({ ...pod, spec: { ...pod.spec, nodeName: 'n' } });
    expect(c.isAssumed(pod.metadata.uid)).toBe(false);
    expect(c.getNode('n')!.requested.milliCPU).toBe(1000);
    expect(c.getNode('n')!.pods.size).toBe(1);
    // A confirmed pod is not forgotten by a late binding error.
    c.forgetPod(pod.metadata.uid!);
    expect(c.getNode('n')!.pods.size).toBe(1);
  });

  it('forgets an assumed pod whose binding failed', () => {
    const c = new SchedulerCache();
    c.addNode(makeNode('n'));
    const pod = makePod('p', { cpu: '1' });
    c.assumePod(newPodInfo(pod), 'n');
    c.forgetPod(pod.metadata.uid!);
    expect(c.getNode('n')!.requested.milliCPU).toBe(0);
    expect(c.stats).toEqual({ nodes: 1, pods: 0, assumed: 0 });
  });

  it('moves an assumed pod to the node someone else bound it to', () => {
    const c = new SchedulerCache();
    c.addNode(makeNode('a'));
    c.addNode(makeNode('b'));
    const pod = makePod('p', { cpu: '1' });
    c.assumePod(newPodInfo(pod), 'a');
    c.addPod({ ...pod, spec: { ...pod.spec, nodeName: 'b' } });
    expect(c.getNode('a')!.requested.milliCPU).toBe(0);
    expect(c.getNode('b')!.requested.milliCPU).toBe(1000);
  });

  it('keeps pods of a deleted node aside until they go, and schedules only onto existing nodes', () => {
    const c = new SchedulerCache();
    c.addNode(makeNode('a'));
    const pod = makePod('p', { nodeName: 'a' });
    c.addPod(pod);
    c.removeNode('a');
    expect(c.nodeInfos()).toHaveLength(0);
    expect(c.getNode('a')!.pods.size).toBe(1);
    c.removePod(pod);
    expect(c.getNode('a')).toBeUndefined();
    // A pod bound to a node the cache has not seen yet waits there for the node.
    c.addPod(makePod('q', { nodeName: 'later', cpu: '1' }));
    c.addNode(makeNode('later', { cpu: '2' }));
    expect(c.nodeInfos().map((n) => n.name)).toEqual(['later']);
    expect(c.getNode('later')!.requested.milliCPU).toBe(1000);
  });

  it('updates a bound pod in place', () => {
    const c = new SchedulerCache();
    c.addNode(makeNode('n'));
    const pod = makePod('p', { nodeName: 'n', cpu: '1' });
    c.addPod(pod);
    c.updatePod({ ...pod, spec: { ...pod.spec, containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '500m' } } }] } });
    expect(c.getNode('n')!.requested.milliCPU).toBe(500);
    expect(c.getNode('n')!.pods.size).toBe(1);
  });
});
