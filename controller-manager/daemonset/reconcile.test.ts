import { beforeEach, describe, expect, it } from 'vitest';
import { FakeRecorder } from '../../shared/events.js';
import { byNamespace } from '../../shared/informer.js';
import { R } from '../../shared/resources.js';
import type { KubeObject } from '../../shared/types.js';
import { FailedPodBackoff } from './backoff.js';
import { Expectations } from './expectations.js';
import { FakeClient, FakeLister } from './fake.js';
import { templateHash } from './history.js';
import { targetNodeName } from './nodes.js';
import { syncDaemonSet, type DaemonSetDeps } from './reconcile.js';

const T0 = Date.parse('2024-01-01T00:00:00Z');

function node(name: string, extra: { labels?: Record<string, string>; taints?: unknown[] } = {}): KubeObject {
  return { kind: 'Node', metadata: { name, uid: `node-${name}`, labels: { 'kubernetes.io/hostname': name, ...(extra.labels ?? {}) } }, spec: { taints: extra.taints } };
}

function daemonSet(spec: Record<string, unknown> = {}, image = 'agent:1'): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: 'ns', uid: 'ds-uid', generation: 1, resourceVersion: '1' },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'a', image }] } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
      ...spec,
    },
  };
}

class World {
  now = T0;
  client = new FakeClient(() => new Date(this.now));
  recorder = new FakeRecorder();
  daemonSets = new FakeLister();
  pods = new FakeLister({ namespace: byNamespace });
  nodes = new FakeLister();
  expectations = new Expectations(() => new Date(this.now));
  deps: DaemonSetDeps = {
    client: this.client,
    recorder: this.recorder,
    daemonSets: this.daemonSets,
    pods: this.pods,
    nodes: this.nodes,
    expectations: this.expectations,
    failedPodsBackoff: new FailedPodBackoff(),
    now: () => new Date(this.now),
  };

  constructor(ds: KubeObject, ...nodes: KubeObject[]) {
    this.client.seed(R.daemonsets, ds);
    this.nodes.add(...nodes);
    this.observe();
  }

  /** The informers catch up with the server, observing creates and deletes as the handlers do. */
  observe(): void {
    const before = new Map(this.pods.items);
    const pods = this.client.list(R.pods);
    for (const p of pods) if (!before.has(`ns/${p.metadata.name}`)) this.expectations.creationObserved('ns/agent');
    for (const [k, p] of before) if (!pods.some((q) => `ns/${q.metadata.name}` === k)) this.expectations.deletionObserved('ns/agent', p.metadata.uid);
    for (const p of pods) if (p.metadata.deletionTimestamp) this.expectations.deletionObserved('ns/agent', p.metadata.uid);
    this.pods.replace(pods);
    this.daemonSets.replace(this.client.list(R.daemonsets));
  }

  sync() {
    return syncDaemonSet('ns/agent', this.deps);
  }

  live(): KubeObject[] {
    return this.client.list(R.pods).filter((p) => !p.metadata.deletionTimestamp);
  }

  podsByNode(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const p of this.client.list(R.pods)) if (!p.metadata.deletionTimestamp) (out[targetNodeName(p)!] ??= []).push(p.metadata.name!);
    return out;
  }

  /** Plays the scheduler and kubelet: terminating pods go away, the rest are bound, Running and Ready. */
  runAll(): void {
    for (const p of this.client.list(R.pods)) {
      if (p.metadata.deletionTimestamp) {
        this.client.objects.delete(`pods/ns/${p.metadata.name}`);
        continue;
      }
      p.spec.nodeName = targetNodeName(p);
      p.status = { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date(this.now).toISOString() }] };
      this.client.seed(R.pods, p);
    }
  }

  status(): Record<string, unknown> {
    return this.client.list(R.daemonsets)[0]!.status;
  }
}

describe('DaemonSet sync', () => {
  let w: World;
  beforeEach(() => {
    w = new World(daemonSet(), node('n1'), node('n2'), node('n3'));
  });

  it('creates one pod per node, pinned to it by a metadata.name node affinity, with the daemon tolerations and the hash label', async () => {
    await w.sync();
    expect(Object.keys(w.podsByNode()).sort()).toEqual(['n1', 'n2', 'n3']);
    const pod = w.client.list(R.pods)[0]!;
    expect(pod.spec.nodeName).toBeUndefined();
    expect(pod.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms).toEqual([
      { matchFields: [{ key: 'metadata.name', operator: 'In', values: [targetNodeName(pod)] }] },
    ]);
    expect(pod.spec.tolerations.map((t: { key: string; effect: string }) => `${t.key}:${t.effect}`)).toEqual([
      'node.kubernetes.io/not-ready:NoExecute',
      'node.kubernetes.io/unreachable:NoExecute',
      'node.kubernetes.io/disk-pressure:NoSchedule',
      'node.kubernetes.io/memory-pressure:NoSchedule',
      'node.kubernetes.io/pid-pressure:NoSchedule',
      'node.kubernetes.io/unschedulable:NoSchedule',
    ]);
    expect(pod.metadata.labels).toEqual({ app: 'agent', 'controller-revision-hash': templateHash(daemonSet().spec.template) });
    expect(pod.metadata.ownerReferences).toEqual([{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'ds-uid', controller: true, blockOwnerDeletion: true }]);
    expect(w.recorder.events.filter((e) => e.reason === 'SuccessfulCreate')).toHaveLength(3);
  });

  it('does not create again while its creates are unobserved, and does once they are seen', async () => {
    await w.sync();
    await w.sync(); // stale cache: no pods seen yet
    expect(w.client.list(R.pods)).toHaveLength(3);
    w.observe();
    await w.sync();
    expect(w.client.list(R.pods)).toHaveLength(3);
  });

  it('respects nodeSelector, required node affinity and untolerated taints, but not readiness', async () => {
    w = new World(
      daemonSet({
        template: {
          metadata: { labels: { app: 'agent' } },
          spec: {
            containers: [{ name: 'a', image: 'x' }],
            nodeSelector: { disk: 'ssd' },
            affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['b'] }] }] } } },
          },
        },
      }),
      node('ssd-a', { labels: { disk: 'ssd', zone: 'a' } }),
      node('ssd-b', { labels: { disk: 'ssd', zone: 'b' } }),
      node('hdd', { labels: { disk: 'hdd' } }),
      node('tainted', { labels: { disk: 'ssd' }, taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] }),
      node('not-ready', { labels: { disk: 'ssd' }, taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }] }),
    );
    await w.sync();
    expect(Object.keys(w.podsByNode()).sort()).toEqual(['not-ready', 'ssd-a']);
  });

  it('keeps a pod on a node that gains a NoSchedule taint but removes it for an untolerated NoExecute taint', async () => {
    await w.sync();
    w.observe();
    w.nodes.add(node('n1', { taints: [{ key: 'maintenance', effect: 'NoSchedule' }] }), node('n2', { taints: [{ key: 'evict', effect: 'NoExecute' }] }));
    await w.sync();
    expect(Object.keys(w.podsByNode()).sort()).toEqual(['n1', 'n3']);
    expect(w.recorder.events.filter((e) => e.reason === 'SuccessfulDelete')).toHaveLength(1);
  });

  it('follows nodes joining and leaving; a bound pod on a vanished node is deleted without grace', async () => {
    await w.sync();
    w.runAll();
    w.observe();
    w.nodes.add(node('n4'));
    w.nodes.remove('n1');
    await w.sync();
    expect(Object.keys(w.podsByNode()).sort()).toEqual(['n2', 'n3', 'n4']);
    const del = w.client.actions.find((a) => a.verb === 'delete')!;
    expect(del.body).toMatchObject({ gracePeriodSeconds: 0 });
  });

  it('reports status: desired, current, ready, available, updated, misscheduled, observedGeneration', async () => {
    await w.sync();
    w.observe();
    await w.sync();
    expect(w.status()).toMatchObject({ desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 0, numberAvailable: 0, numberUnavailable: 3, updatedNumberScheduled: 3, numberMisscheduled: 0, observedGeneration: 1 });
    w.runAll();
    // A pod on a node the DaemonSet no longer wants (NoSchedule taint: it may stay) is misscheduled.
    w.nodes.add(node('n3', { taints: [{ key: 'maintenance', effect: 'NoSchedule' }] }));
    w.observe();
    await w.sync();
    expect(w.status()).toMatchObject({ desiredNumberScheduled: 2, currentNumberScheduled: 2, numberReady: 2, numberAvailable: 2, numberMisscheduled: 1 });
    expect(w.status().numberUnavailable).toBeUndefined();
  });

  it('replaces a failed pod, then backs off before replacing it again', async () => {
    await w.sync();
    w.runAll();
    const failed = w.client.list(R.pods).find((p) => targetNodeName(p) === 'n1')!;
    failed.status.phase = 'Failed';
    w.client.seed(R.pods, failed);
    w.observe();
    await w.sync();
    expect(w.recorder.events.map((e) => e.reason)).toContain('FailedDaemonPod');
    expect(w.live().some((p) => p.metadata.name === failed.metadata.name)).toBe(false);
    w.observe();
    await w.sync();
    const again = w.client.list(R.pods).find((p) => targetNodeName(p) === 'n1')!;
    again.status = { phase: 'Failed' };
    w.client.seed(R.pods, again);
    w.observe();
    const r = await w.sync();
    expect(w.client.list(R.pods).some((p) => p.metadata.name === again.metadata.name)).toBe(true);
    expect(r.requeueAfterMs).toBeGreaterThan(0);
  });

  it('adopts an orphan pod that matches its selector instead of creating another', async () => {
    w.client.seed(R.pods, {
      metadata: { name: 'stray', namespace: 'ns', uid: 'stray-uid', resourceVersion: '5', labels: { app: 'agent' } },
      spec: { nodeName: 'n1', containers: [{ name: 'a', image: 'x' }] },
      status: { phase: 'Running' },
    });
    w.observe();
    await w.sync();
    const stray = w.client.list(R.pods).find((p) => p.metadata.name === 'stray')!;
    expect(stray.metadata.ownerReferences?.[0]?.uid).toBe('ds-uid');
    expect(Object.keys(w.podsByNode()).sort()).toEqual(['n1', 'n2', 'n3']);
    expect(w.client.list(R.pods)).toHaveLength(3);
  });

  describe('rolling update', () => {
    async function rollOut(maxUnavailable: number | string) {
      w = new World(daemonSet({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable, maxSurge: 0 } } }), node('n1'), node('n2'), node('n3'), node('n4'));
      await w.sync();
      w.runAll();
      w.observe();
      const next = daemonSet({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable, maxSurge: 0 } } }, 'agent:2');
      next.metadata.generation = 2;
      w.client.seed(R.daemonsets, next);
      w.observe();
      return templateHash(next.spec.template);
    }

    it('replaces at most maxUnavailable old pods at a time, and moves on once new ones are available', async () => {
      const hash = await rollOut(1);
      await w.sync();
      expect(w.live()).toHaveLength(3);
      w.runAll();
      w.observe();
      await w.sync(); // manage creates the new pod on the emptied node
      w.observe();
      await w.sync(); // the new pod is not available yet: nothing else is deleted
      expect(w.live()).toHaveLength(4);
      expect(w.live().filter((p) => p.metadata.labels!['controller-revision-hash'] === hash)).toHaveLength(1);
      for (let i = 0; i < 10; i++) {
        w.runAll();
        w.observe();
        await w.sync();
      }
      expect(w.client.list(R.pods).map((p) => p.metadata.labels!['controller-revision-hash'])).toEqual([hash, hash, hash, hash]);
      w.observe();
      await w.sync();
      expect(w.status()).toMatchObject({ updatedNumberScheduled: 4, numberAvailable: 4, observedGeneration: 2 });
    });

    it('scales a percentage maxUnavailable against the desired count, rounding up', async () => {
      await rollOut('50%');
      await w.sync();
      expect(w.live()).toHaveLength(2);
    });

    it('with maxSurge, starts the new pod beside the old one and deletes the old one once the new is available', async () => {
      w = new World(daemonSet({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } } }), node('n1'), node('n2'));
      await w.sync();
      w.runAll();
      w.observe();
      const next = daemonSet({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } } }, 'agent:2');
      w.client.seed(R.daemonsets, next);
      w.observe();
      await w.sync();
      expect(Object.values(w.podsByNode()).map((p) => p.length).sort()).toEqual([1, 2]);
      w.runAll();
      w.observe();
      await w.sync();
      expect(Object.values(w.podsByNode()).map((p) => p.length).sort()).toEqual([1, 1]);
    });
  });
});
